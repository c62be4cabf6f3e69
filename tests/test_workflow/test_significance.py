# Copyright (c) mmext contributors. All rights reserved.
"""Paired bootstrap CI and Wilcoxon signed-rank test against scipy and a
naive loop, per frame and per sequence (cluster bootstrap, Wilcoxon on
sequence means); per-sample files written by the real Pose3DMetric."""
import json

import numpy as np
import pytest
from conftest import run_tool
from scipy import stats

from mmext.workflow.significance import (cluster_bootstrap_ci, compare,
                                         describe, paired_bootstrap_ci,
                                         wilcoxon_signed_rank)

# hand-made paired differences: no ties, no zeros
DIFF = np.array([1.5, -0.3, 2.1, 0.8, -1.2, 3.3, 0.4, 1.9, -0.7, 2.6])


def test_wilcoxon_exact_matches_scipy():
    ours = wilcoxon_signed_rank(DIFF)
    ref = stats.wilcoxon(DIFF, method='exact')
    assert ours['method'] == 'exact'
    # W- = ranks of |-0.3|, |-0.7|, |-1.2| = 1 + 3 + 5 = 9 (by hand)
    assert ours['statistic'] == 9.0 == ref.statistic
    assert ours['pvalue'] == pytest.approx(ref.pvalue, rel=1e-12)


def test_wilcoxon_ties_and_zeros_match_scipy_normal_approximation():
    rng = np.random.default_rng(3)
    d = np.round(rng.normal(0.3, 1.0, size=80), 1)  # many ties
    d[:5] = 0.0  # zeros (and values rounded to 0) are dropped (Wilcox)
    ours = wilcoxon_signed_rank(d)
    ref = stats.wilcoxon(d, zero_method='wilcox', correction=False,
                         method='approx')
    assert ours['method'] == 'normal' and ours['n'] == int((d != 0).sum())
    assert ours['statistic'] == ref.statistic
    assert ours['pvalue'] == pytest.approx(ref.pvalue, rel=1e-9)


def test_bootstrap_ci_equals_naive_loop_and_agrees_with_scipy():
    lo, hi = paired_bootstrap_ci(DIFF, n_boot=2000, seed=7)
    rng = np.random.default_rng(7)
    means = [DIFF[rng.integers(0, len(DIFF), size=len(DIFF))].mean()
             for _ in range(2000)]
    assert (lo, hi) == tuple(np.quantile(means, [0.025, 0.975]))
    # scipy draws other resamples: agreement within Monte Carlo error
    lo, hi = paired_bootstrap_ci(DIFF, n_boot=20000, seed=0)
    ref = stats.bootstrap((DIFF, ), np.mean, n_resamples=20000,
                          method='percentile', random_state=1)
    ci = ref.confidence_interval
    se = DIFF.std(ddof=1) / np.sqrt(len(DIFF))
    assert abs(lo - ci.low) < 0.1 * se
    assert abs(hi - ci.high) < 0.1 * se
    assert lo < DIFF.mean() < hi


def _per_sample_file(path, offsets):
    """Pose3DMetric on two 2-joint clips whose joint 1 is off by
    ``offsets[frame]`` mm along x; writes the per-sample file."""
    from mmext.evaluation.pose3d import Pose3DMetric
    metric = Pose3DMetric(per_sample_file=str(path))
    samples = []
    for clip, action in ((0, 'Walk'), (1, 'Sit')):
        ids = np.arange(3) + 3 * clip
        gt = np.zeros((3, 2, 3))
        gt[:, 1, 1] = 0.1
        pred = gt.copy()
        pred[:, 1, 0] = [offsets[i] / 1000. for i in ids]
        samples.append(dict(pred_instances=dict(keypoints=pred[None]),
                            gt_instances=dict(lifting_target=gt),
                            action=action, video=f'v{clip}',
                            frame_ids=ids))
    metric.process([], samples)
    return metric.compute_metrics(metric.results)


def test_per_sample_files_from_pose_metric_and_compare_tool(tmp_path):
    base = [10., 20., 30., 40., 50., 60.]
    new = [8., 19., 25., 43., 44., 52.]  # no tied |differences|
    res_a = _per_sample_file(tmp_path / 'a.json', base)
    _per_sample_file(tmp_path / 'b.json', new)
    data = json.loads((tmp_path / 'a.json').read_text())
    # MPJPE of a frame = offset / 2 (2 joints, the root is exact)
    assert data['metrics']['MPJPE'] == {
        str(i): pytest.approx(v / 2) for i, v in enumerate(base)}
    assert data['groups'] == {'0': 'Walk', '1': 'Walk', '2': 'Walk',
                              '3': 'Sit', '4': 'Sit', '5': 'Sit'}
    assert data['sequences'] == {'0': 'v0', '1': 'v0', '2': 'v0',
                                 '3': 'v1', '4': 'v1', '5': 'v1'}
    # the per-action mean of the file is what the metric reported
    walk = np.mean(base[:3]) / 2
    sit = np.mean(base[3:]) / 2
    assert res_a['MPJPE'] == pytest.approx((walk + sit) / 2)

    out = compare(str(tmp_path / 'a.json'), str(tmp_path / 'b.json'),
                  'MPJPE', n_boot=4000, seed=1, unit='frame')
    diff = (np.array(new) - np.array(base)) / 2
    assert out['n'] == 6 and out['unit'] == 'frame'
    assert out['n_sequences'] == 2
    assert out['mean_diff'] == pytest.approx(diff.mean())
    assert out['ci'] == pytest.approx(paired_bootstrap_ci(diff, 4000,
                                                          seed=1))
    assert out['pvalue'] == pytest.approx(
        stats.wilcoxon(diff, method='exact').pvalue)

    proc = run_tool(['analysis_tools/compare_runs.py', tmp_path / 'a.json',
                     tmp_path / 'b.json', '--n-boot', 4000, '--seed', 1,
                     '--unit', 'frame'])
    assert proc.returncode == 0, proc.stderr
    lo, hi = out['ci']
    assert proc.stdout.splitlines()[1] == (
        f'B - A: {out["mean_diff"]:+.2f} mm [95% CI {lo:+.2f}, {hi:+.2f}], '
        f'Wilcoxon p = {out["pvalue"]:.3g} (per frame, frames treated as '
        'independent: n = 6 frames in 2 sequences)')
    # the default unit is the sequence: two videos, two units
    seq = compare(str(tmp_path / 'a.json'), str(tmp_path / 'b.json'),
                  'MPJPE', n_boot=4000, seed=1)
    assert seq['unit'] == 'sequence' and seq['n'] == 2
    assert seq['pvalue'] == pytest.approx(stats.wilcoxon(
        [diff[:3].mean(), diff[3:].mean()], method='exact').pvalue)
    proc = run_tool(['analysis_tools/compare_runs.py', tmp_path / 'a.json',
                     tmp_path / 'b.json', '--n-boot', 4000, '--seed', 1])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1].endswith(
        '(per sequence: n = 2 sequences, 6 frames)')
    proc = run_tool(['analysis_tools/compare_runs.py', tmp_path / 'a.json',
                     tmp_path / 'missing.json'])
    assert proc.returncode == 2
    assert proc.stderr.strip() == \
        f'error: per-sample file not found: {tmp_path / "missing.json"}'


def test_action_metric_per_sample_file_gives_per_class_table(tmp_path):
    from mmext.evaluation.action import HierarchicalActionMetric
    from mmext.workflow.results import per_sample_groups
    labels = [0, 0, 1, 1, 1, 2]
    preds = [0, 1, 1, 1, 0, 2]  # class 0: 1/2, class 1: 2/3, class 2: 1/1
    metric = HierarchicalActionMetric(
        topk=(1, ), per_sample_file=str(tmp_path / 'per_sample.json'))
    samples = [dict(gt_label=np.array([y]),
                    pred_score=np.eye(3)[p] * 0.8 + 0.2 / 3)
               for y, p in zip(labels, preds)]
    metric.process([], samples)
    out = metric.compute_metrics(metric.results)
    assert out['fused_top1_fine'] == pytest.approx(4 / 6)
    data = json.loads((tmp_path / 'per_sample.json').read_text())
    assert data['metrics']['fused_top1_fine'] == {
        '0': 1, '1': 0, '2': 1, '3': 1, '4': 0, '5': 1}
    table = per_sample_groups(str(tmp_path), 'fused_top1_fine')
    rows = {g: r['fused_top1_fine'] for g, r in table['rows'].items()}
    assert rows == pytest.approx({'0': 0.5, '1': 2 / 3, '2': 1.0,
                                  'Average': (0.5 + 2 / 3 + 1) / 3})


def _file(path, diffs_per_seq, base=50.0):
    """A per-sample file: sequence k holds ``len(diffs_per_seq[k])``
    frames; A's error is ``base``, B's is ``base + diff``."""
    metrics_a, metrics_b, seqs = {}, {}, {}
    i = 0
    for k, diffs in enumerate(diffs_per_seq):
        for d in diffs:
            metrics_a[str(i)] = base
            metrics_b[str(i)] = base + float(d)
            seqs[str(i)] = f'S9_seq{k}'
            i += 1
    for name, m in (('a', metrics_a), ('b', metrics_b)):
        (path / f'{name}.json').write_text(json.dumps(dict(
            metric='Pose3DMetric', unit='mm', lower_is_better=True,
            metrics=dict(MPJPE=m), groups={}, sequences=seqs)))
    return str(path / 'a.json'), str(path / 'b.json')


def test_per_frame_and_per_sequence_disagree_on_a_hand_built_case(
        tmp_path):
    # 4 videos of 50 frames: B is 1 mm better on three, 0.5 mm worse on
    # the fourth. 200 correlated frames look overwhelming; 4 videos are
    # not evidence: the exact Wilcoxon p of 4 units is at least 2/16
    rng = np.random.default_rng(0)
    per_seq = [-1.0 + 0.01 * rng.standard_normal(50) for _ in range(3)]
    per_seq.append(0.5 + 0.01 * rng.standard_normal(50))
    a, b = _file(tmp_path, per_seq)
    frame = compare(a, b, unit='frame', n_boot=4000)
    seq = compare(a, b, n_boot=4000)
    diff = np.concatenate(per_seq)
    means = [d.mean() for d in per_seq]
    assert frame['pvalue'] < 1e-20
    assert frame['ci'][1] < 0  # per frame: "significant"
    assert seq['n'] == 4 and seq['n_frames'] == 200
    # Wilcoxon on the sequence means, by hand: |+0.5| has rank 1, so
    # W+ = 1; two-sided exact p = 2 * P(W+ <= 1) = 2 * 2/16 (W+ = 0 or 1)
    assert seq['wilcoxon']['statistic'] == 1.0
    assert seq['pvalue'] == pytest.approx(0.25)
    assert seq['pvalue'] == pytest.approx(
        stats.wilcoxon(means, method='exact').pvalue, rel=1e-12)
    assert seq['ci'][0] < 0 < seq['ci'][1]  # per sequence: not shown
    assert seq['mean_diff'] == pytest.approx(diff.mean())
    text = describe(seq)
    assert text.endswith('(per sequence: n = 4 sequences, 200 frames)')


def test_cluster_bootstrap_equals_a_naive_loop():
    rng = np.random.default_rng(1)
    sizes = [5, 9, 3, 12, 7]
    diff = np.concatenate([rng.normal(m, 1, n) for m, n in
                           zip([0.5, -0.2, 1.0, 0.1, 0.3], sizes)])
    labels = np.repeat([f's{k}' for k in range(5)], sizes)
    lo, hi = cluster_bootstrap_ci(diff, labels, n_boot=3000, seed=4)
    rng = np.random.default_rng(4)
    groups = [diff[labels == f's{k}'] for k in range(5)]
    means = []
    for _ in range(3000):
        pick = rng.integers(0, 5, size=5)
        means.append(np.concatenate([groups[k] for k in pick]).mean())
    assert (lo, hi) == pytest.approx(
        tuple(np.quantile(means, [0.025, 0.975])), rel=1e-12)


def test_seeds_count_as_units(tmp_path):
    rng = np.random.default_rng(2)
    files = []
    for k in range(3):  # three seeds of A and B, paired by seed
        d = tmp_path / f'seed_{k}'
        d.mkdir()
        files.append(_file(d, [rng.normal(-1, 0.2, 10) for _ in range(4)]))
    res = compare([a for a, _ in files], [b for _, b in files], n_boot=2000)
    assert res['n'] == 12 and res['n_seeds'] == 3
    assert res['n_sequences'] == 4
    units = []
    for a, b in files:
        da = json.loads(open(a).read())['metrics']['MPJPE']
        db = json.loads(open(b).read())['metrics']['MPJPE']
        seqs = json.loads(open(a).read())['sequences']
        for s in sorted(set(seqs.values())):
            units.append(np.mean([db[i] - da[i] for i in da
                                  if seqs[i] == s]))
    assert res['pvalue'] == pytest.approx(
        stats.wilcoxon(units, method='exact').pvalue, rel=1e-12)
    assert describe(res).endswith('(per sequence: n = 4 sequences x 3 '
                                  'seeds = 12 units, 40 frames x 3 seeds)')
    with pytest.raises(ValueError, match='give one per seed for both'):
        compare([files[0][0]], [files[0][1], files[1][1]])
