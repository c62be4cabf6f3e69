# Copyright (c) mmext contributors. All rights reserved.
"""Hierarchical (fine/coarse), per-stream and fused action metrics."""
import mmext  # noqa: F401  (mmaction2 packaging workarounds first)
from .functional import f1_micro_macro, fine_to_coarse_scores, top_k_accuracy
from .hierarchical_metric import HierarchicalActionMetric
from .submission import MA52SubmissionMetric, write_ma52_submission

__all__ = [
    'HierarchicalActionMetric', 'f1_micro_macro', 'fine_to_coarse_scores',
    'top_k_accuracy', 'MA52SubmissionMetric', 'write_ma52_submission'
]
