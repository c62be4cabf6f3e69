# Copyright (c) mmext contributors. All rights reserved.
"""Metrics, by research line.

``gesture`` and ``vfi`` register into mmext's own ``METRICS`` and are
imported here, so that mmengine finds them under ``default_scope='mmext'``
(it imports ``mmext.evaluation``, the registry's location, on the first
look-up). ``pose3d`` (mmpose's ``METRICS``) and ``action`` (mmaction2's) are
imported by their configs through ``custom_imports``
(docs/contributing.md, "Which registry").
"""
from . import gesture, vfi  # noqa: F401  (register into mmext's METRICS)
