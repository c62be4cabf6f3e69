# Copyright (c) mmext contributors. All rights reserved.
"""HierarchicalActionMetric against hand-computed cases and scikit-learn."""
import numpy as np
import pytest
import torch

import mmext  # noqa: F401
from mmext.evaluation.action import (HierarchicalActionMetric, f1_micro_macro,
                                     fine_to_coarse_scores, top_k_accuracy)

# 4 fine classes in 2 coarse groups; one sample per fine class.
H = [0, 0, 1, 1]
GT = [0, 1, 2, 3]
RGB = [[0.6, 0.2, 0.1, 0.1], [0.5, 0.3, 0.1, 0.1], [0.1, 0.1, 0.3, 0.5],
       [0.45, 0.1, 0.15, 0.3]]
POSE = [[0.1, 0.7, 0.1, 0.1], [0.1, 0.8, 0.05, 0.05], [0.05, 0.05, 0.8, 0.1],
        [0.05, 0.05, 0.2, 0.7]]


def _samples(rgb=RGB, pose=POSE, gt=GT, extra=None):
    out = []
    for i, g in enumerate(gt):
        s = dict(
            gt_label=torch.tensor([g]),
            stream_scores=dict(
                rgb=dict(fine=torch.tensor(rgb[i])),
                pose=dict(fine=torch.tensor(pose[i]))))
        if extra:
            s.update(extra(i))
        out.append(s)
    return out


def _run(metric, samples):
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_hand_computed_case():
    res = _run(HierarchicalActionMetric(hierarchy=H, topk=(1, 2)), _samples())
    # rgb argmax [0, 0, 3, 0] vs [0, 1, 2, 3]; coarse sums -> [0, 0, 1, 0]
    # pose argmax [1, 1, 2, 3]; fused (1:1 mean) argmax [1, 1, 2, 3], coarse
    # all right.
    expected = {
        'rgb_top1_fine': 0.25,
        'rgb_top2_fine': 1.0,
        'rgb_top1_coarse': 0.75,
        'pose_top1_fine': 0.75,
        'pose_top1_coarse': 1.0,
        'fused_top1_fine': 0.75,
        'fused_top1_coarse': 1.0,
        # F1 per class (2TP / (2TP + FP + FN)):
        # rgb fine: c0 2/4, c1 0, c2 0, c3 0
        'rgb_f1_micro_fine': 0.25,
        'rgb_f1_macro_fine': 0.125,
        # rgb coarse: c0 4/5, c1 2/3
        'rgb_f1_micro_coarse': 0.75,
        'rgb_f1_macro_coarse': (0.8 + 2 / 3) / 2,
        'rgb_f1_mean': (0.25 + 0.125 + 0.75 + (0.8 + 2 / 3) / 2) / 4,
        # fused fine: c0 0, c1 2/3, c2 1, c3 1
        'fused_f1_macro_fine': (2 / 3 + 2) / 4,
        'fused_f1_micro_coarse': 1.0,
        'fused_f1_mean': (0.75 + (2 / 3 + 2) / 4 + 1 + 1) / 4,
    }
    for k, v in expected.items():
        assert res[k] == pytest.approx(v, abs=1e-9), k


def test_keys_exact_with_prefix():
    from mmengine.evaluator import Evaluator
    ev = Evaluator(HierarchicalActionMetric(hierarchy=H))
    ev.process(_samples(), {})
    res = ev.evaluate(4)
    keys = set()
    for s in ('fused', 'rgb', 'pose'):
        for lvl in ('fine', 'coarse'):
            keys |= {
                f'action/{s}_top1_{lvl}', f'action/{s}_top5_{lvl}',
                f'action/{s}_f1_micro_{lvl}', f'action/{s}_f1_macro_{lvl}'
            }
        keys.add(f'action/{s}_f1_mean')
    assert set(res) == keys
    assert res['action/fused_top1_fine'] == pytest.approx(0.75)
    assert res['action/rgb_top5_fine'] == 1.0  # k >= num classes


def test_pred_score_and_coarse_heads_take_precedence():
    # fused pred_score that makes every fine prediction class 0
    def extra(i):
        return dict(
            pred_score=torch.tensor([0.7, 0.1, 0.1, 0.1]),
            pred_coarse_score=torch.tensor([0.1, 0.9]))

    res = _run(HierarchicalActionMetric(hierarchy=H), _samples(extra=extra))
    assert res['fused_top1_fine'] == 0.25  # only sample 0 is class 0
    assert res['fused_top1_coarse'] == 0.5  # coarse head says 1 everywhere
    # streams are unaffected
    assert res['rgb_top1_fine'] == 0.25 and res['pose_top1_fine'] == 0.75

    # stream coarse heads: rgb coarse head always says group 1
    samples = _samples()
    for s in samples:
        s['stream_scores']['rgb']['coarse'] = torch.tensor([0.2, 0.8])
    res = _run(HierarchicalActionMetric(hierarchy=H), samples)
    assert res['rgb_top1_coarse'] == 0.5
    # pose has no coarse head -> fused coarse derived from fused fine sums
    assert res['fused_top1_coarse'] == 1.0


def test_fusion_weights():
    # rgb:pose = 3:1 -> fused s0 [.475, .325, .1, .1] -> 0, s1 [.4, .425, ..]
    # -> 1, s2 [.0875, .0875, .425, .4] -> 2, s3 [.35, .0875, .1625, .4] -> 3:
    # all right (1:1 gets 0.75, see test_hand_computed_case).
    res = _run(
        HierarchicalActionMetric(
            hierarchy=H, fusion_weights=dict(rgb=3, pose=1)), _samples())
    assert res['fused_top1_fine'] == 1.0


def test_gt_coarse_label_and_mmaction_rgbpose_head_output():
    # vanilla mmaction2 RGBPoseHead: pred_score = {'rgb': T, 'pose': T}
    samples = [
        dict(
            gt_label=torch.tensor([g]),
            gt_coarse_label=torch.tensor([1 - H[g]]),  # deliberately flipped
            pred_score=dict(
                rgb=torch.tensor(RGB[i]), pose=torch.tensor(POSE[i])))
        for i, g in enumerate(GT)
    ]
    res = _run(HierarchicalActionMetric(hierarchy=H), samples)
    assert res['fused_top1_fine'] == 0.75
    assert res['fused_top1_coarse'] == 0.0  # gt_coarse_label is used


def test_without_hierarchy_only_fine():
    res = _run(HierarchicalActionMetric(), _samples())
    assert 'fused_top1_coarse' not in res and 'fused_f1_mean' not in res
    assert res['fused_top1_fine'] == 0.75


def test_named_hierarchy_ma52():
    # fine 4 -> body (0), fine 5 -> head (1); predicting 5 for gt 4 is wrong
    # at both levels; predicting 23 for gt 11 is right at the coarse level.
    def onehot(i):
        v = torch.full((52, ), 0.1 / 51)
        v[i] = 0.9
        return v

    samples = [
        dict(
            gt_label=torch.tensor([g]),
            stream_scores=dict(rgb=dict(fine=onehot(p))))
        for g, p in ((4, 5), (11, 23))
    ]
    res = _run(HierarchicalActionMetric(hierarchy='ma52'), samples)
    assert res['rgb_top1_fine'] == 0.0
    assert res['rgb_top1_coarse'] == 0.5
    assert res['fused_top1_coarse'] == 0.5  # single stream: fused == rgb


def test_f1_against_sklearn():
    from sklearn.metrics import f1_score
    rng = np.random.default_rng(0)
    for _ in range(30):
        n, c = rng.integers(1, 40), rng.integers(2, 9)
        t, p = rng.integers(0, c, n), rng.integers(0, c, n)
        got = f1_micro_macro(t, p)
        assert got['micro'] == pytest.approx(f1_score(t, p, average='micro'))
        assert got['macro'] == pytest.approx(
            f1_score(t, p, average='macro', zero_division=0))


def test_functional_helpers():
    s = np.array([[0.1, 0.5, 0.4], [0.3, 0.25, 0.45]])
    # ranks: sample 0 -> 1, 2, 0 (label 2 2nd); sample 1 -> 2, 0, 1 (label 1
    # 3rd)
    assert top_k_accuracy(s, np.array([2, 1]), 1) == 0.0
    assert top_k_accuracy(s, np.array([2, 1]), 2) == 0.5
    assert top_k_accuracy(s, np.array([2, 1]), 3) == 1.0
    # ties go to the lower class index
    assert top_k_accuracy(np.array([[0.5, 0.5]]), np.array([0]), 1) == 1.0
    np.testing.assert_allclose(
        fine_to_coarse_scores(s, [1, 0, 1]), [[0.5, 0.5], [0.25, 0.75]])
    with pytest.raises(ValueError, match='fine scores have 3 classes, the '
                       'hierarchy maps 2'):
        fine_to_coarse_scores(s, [0, 1])


def test_errors_name_the_problem():
    samples = _samples()
    del samples[2]['stream_scores']['pose']
    with pytest.raises(KeyError, match=r"sample 2: stream_scores lacks "
                       r"streams \['pose'\]"):
        _run(HierarchicalActionMetric(hierarchy=H), samples)
    with pytest.raises(ValueError, match='gt_label 3 is out of range for the '
                       'hierarchy of 2 fine classes'):
        _run(HierarchicalActionMetric(hierarchy=[0, 1]), _samples())
    with pytest.raises(ValueError, match='topk'):
        HierarchicalActionMetric(topk=(0, ))
