# Copyright (c) mmext contributors. All rights reserved.
"""Pure-numpy metric functions used by :class:`HierarchicalActionMetric`."""
from typing import Dict, Sequence

import numpy as np

__all__ = ['top_k_accuracy', 'f1_micro_macro', 'fine_to_coarse_scores']


def top_k_accuracy(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Fraction of samples whose label is among the ``k`` highest scores.

    Equal scores rank the lower class index first (stable sort of the
    negated scores).

    Args:
        scores (np.ndarray): (N, C) scores.
        labels (np.ndarray): (N,) int labels.
        k (int): ``k >= 1``; ``k >= C`` gives 1.0.

    Returns:
        float: Top-k accuracy in [0, 1].
    """
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    if scores.ndim != 2 or scores.shape[0] != labels.shape[0]:
        raise ValueError(f'scores must be (N, C) with N={labels.shape[0]} '
                         f'labels, got {scores.shape}')
    if k < 1:
        raise ValueError(f'k={k}: expected >= 1')
    k = min(k, scores.shape[1])
    topk = np.argsort(-scores, axis=1, kind='stable')[:, :k]
    return float(np.mean(np.any(topk == labels[:, None], axis=1)))


def f1_micro_macro(y_true: np.ndarray, y_pred: np.ndarray) -> Dict[str, float]:
    """Single-label F1, micro and macro, as ``sklearn.metrics.f1_score``.

    Per class ``c``: ``F1_c = 2 TP / (2 TP + FP + FN)``. Macro averages
    ``F1_c`` over the classes present in ``y_true`` or ``y_pred`` (sklearn's
    default label set; a class with no TP, FP, FN cannot occur there).
    Micro pools TP, FP, FN over classes; for single-label data it equals the
    accuracy.

    Args:
        y_true (np.ndarray): (N,) int labels.
        y_pred (np.ndarray): (N,) int predictions.

    Returns:
        dict: ``{'micro': float, 'macro': float}``.
    """
    y_true = np.asarray(y_true).astype(np.int64)
    y_pred = np.asarray(y_pred).astype(np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or not y_true.size:
        raise ValueError(f'y_true {y_true.shape} and y_pred {y_pred.shape} '
                         'must be non-empty 1-D arrays of the same length')
    classes = np.union1d(y_true, y_pred)
    tp = np.array([np.sum((y_true == c) & (y_pred == c)) for c in classes])
    fp = np.array([np.sum((y_true != c) & (y_pred == c)) for c in classes])
    fn = np.array([np.sum((y_true == c) & (y_pred != c)) for c in classes])
    per_class = 2 * tp / (2 * tp + fp + fn)
    micro = 2 * tp.sum() / (2 * tp.sum() + fp.sum() + fn.sum())
    return dict(micro=float(micro), macro=float(per_class.mean()))


def fine_to_coarse_scores(fine_scores: np.ndarray,
                          hierarchy: Sequence[int]) -> np.ndarray:
    """Coarse probabilities by summing fine probabilities per coarse group.

    ``P(coarse = g) = sum_{f : hierarchy[f] = g} P(fine = f)``: exact when the
    fine classes partition the coarse ones and the fine scores are softmax
    probabilities.

    Args:
        fine_scores (np.ndarray): (N, num_fine) probabilities.
        hierarchy (Sequence[int]): ``hierarchy[fine] = coarse``.

    Returns:
        np.ndarray: (N, num_coarse) coarse probabilities.
    """
    fine_scores = np.asarray(fine_scores, dtype=np.float64)
    h = np.asarray(hierarchy, dtype=np.int64)
    if fine_scores.shape[-1] != len(h):
        raise ValueError(f'fine scores have {fine_scores.shape[-1]} classes, '
                         f'the hierarchy maps {len(h)} fine classes')
    onehot = np.zeros((len(h), int(h.max()) + 1))
    onehot[np.arange(len(h)), h] = 1.
    return fine_scores @ onehot
