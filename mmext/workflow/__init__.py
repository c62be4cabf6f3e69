# Copyright (c) mmext contributors. All rights reserved.
"""Research workflow: sweeps, multi-seed runs, result tables, figures,
significance tests, reports and model-zoo metadata - all built from work
dirs."""
