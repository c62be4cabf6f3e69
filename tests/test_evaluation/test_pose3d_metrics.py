# Copyright (c) mmext contributors. All rights reserved.
"""Pose3DMetric / PCK3DMetric against hand-computed cases and mmpose."""
import numpy as np
import pytest
import torch

from mmext.evaluation.pose3d import (PCK3DMetric, Pose3DMetric, mpjpe, n_mpjpe,
                                     p_mpjpe, velocity_error)


def sample(pred, gt, action='Walk', video=None, frame_ids=None, **meta):
    """A data sample dict as mmengine's Evaluator hands it to a metric."""
    ds = dict(pred_instances=dict(keypoints=np.asarray(pred)[None]),
              gt_instances=dict(lifting_target=np.asarray(gt)),
              action=action, video=video or action, **meta)
    if frame_ids is not None:
        ds['frame_ids'] = np.asarray(frame_ids)
    return ds


def run(metric, samples):
    metric.process([], samples)
    return metric.compute_metrics(metric.results)


def test_two_joint_mpjpe_hand_computed():
    # metres in, mm out; root at the origin, joint 1 off by (0, 30, 40) mm
    gt = np.array([[[0., 0., 0.], [0.1, 0., 0.]]])
    pred = np.array([[[0., 0., 0.], [0.1, 0.03, 0.04]]])
    res = run(Pose3DMetric(), [sample(pred, gt)])
    assert set(res) == {'MPJPE', 'P-MPJPE', 'N-MPJPE', 'MPJVE'}
    assert res['MPJPE'] == pytest.approx(25.)  # (0 + 50) / 2
    # one frame -> no velocity pair -> NaN
    assert np.isnan(res['MPJVE'])


def test_root_relative_and_torch_inputs():
    gt = np.zeros((2, 3, 3))
    gt[:, 1, 0], gt[:, 2, 1] = 0.1, 0.2
    pred = gt + np.array([1., 2., 3.])  # global shift only
    s = sample(torch.from_numpy(pred), torch.from_numpy(gt))
    res = run(Pose3DMetric(), [s])
    assert res['MPJPE'] == pytest.approx(0., abs=1e-9)
    assert res['MPJVE'] == pytest.approx(0., abs=1e-9)


def test_rotated_scaled_prediction():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(4, 17, 3)) * 0.3
    gt -= gt[:, :1]
    th = 0.5
    R = np.array([[np.cos(th), -np.sin(th), 0], [np.sin(th), np.cos(th), 0],
                  [0, 0, 1]])
    pred = 1.3 * gt @ R.T
    res = run(Pose3DMetric(), [sample(pred, gt)])
    assert res['P-MPJPE'] == pytest.approx(0., abs=1e-6)
    assert res['MPJPE'] > 50.
    assert res['N-MPJPE'] > 1.  # scale alone cannot undo a rotation
    # scale only: N-MPJPE and P-MPJPE are 0
    res = run(Pose3DMetric(), [sample(0.7 * gt, gt)])
    assert res['N-MPJPE'] == pytest.approx(0., abs=1e-6)
    assert res['MPJPE'] > 10.


def test_velocity_error_hand_computed():
    T = 5
    gt = np.zeros((T, 2, 3))
    gt[:, 1, 0] = 0.5
    const = gt.copy()
    const[:, 1, 1] += 0.02  # constant 20 mm offset of joint 1
    res = run(Pose3DMetric(), [sample(const, gt)])
    assert res['MPJVE'] == pytest.approx(0., abs=1e-9)
    assert res['MPJPE'] == pytest.approx(10.)  # (0 + 20) / 2
    drift = gt.copy()
    drift[:, 1, 2] += 0.004 * np.arange(T)  # +4 mm per frame on joint 1
    res = run(Pose3DMetric(), [sample(drift, gt)])
    assert res['MPJVE'] == pytest.approx(2.)  # (0 + 4) / 2 per frame


def _offset(err_mm, T):
    gt = np.zeros((T, 2, 3))
    gt[:, 1, 0] = 0.3
    pred = gt.copy()
    pred[:, 1, 2] += 2 * err_mm / 1000.  # joint error 2e -> MPJPE e
    return pred, gt


def test_per_action_vs_per_frame_average():
    a = sample(*_offset(10., 1), action='A', frame_ids=[0])
    b = sample(*_offset(20., 3), action='B', frame_ids=[1, 2, 3])
    assert run(Pose3DMetric(), [a, b])['MPJPE'] == pytest.approx(15.)
    per_frame = run(Pose3DMetric(per_action=False), [a, b])
    assert per_frame['MPJPE'] == pytest.approx((10 + 3 * 20) / 4)


def test_overlapping_frames_counted_once_and_skip_list():
    # two clips share frames 1, 2: those frames get the mean of both errors
    c1 = sample(*_offset(10., 3), frame_ids=[0, 1, 2])
    c2 = sample(*_offset(30., 3), frame_ids=[1, 2, 3])
    res = run(Pose3DMetric(), [c1, c2])
    assert res['MPJPE'] == pytest.approx((10 + 20 + 20 + 30) / 4)
    skipped = sample(*_offset(99., 3), video='s_09_act_05_subact_02',
                     frame_ids=[7, 8, 9])
    res = run(Pose3DMetric(skip_list=['s_09_act_05_subact_02']),
              [c1, skipped])
    assert res['MPJPE'] == pytest.approx(10.)


def test_action_from_mmpose_image_names():
    s = dict(pred_instances=dict(keypoints=_offset(10., 2)[0]),
             gt_instances=dict(lifting_target=_offset(10., 2)[1]),
             target_img_path=['S9/S9_Greeting_1.54138969/'
                              'S9_Greeting_1.54138969_000001.jpg'] * 2)
    m = Pose3DMetric(skip_list=['S9_Greeting_1'])
    m.process([], [s])
    assert m.results == []
    m = Pose3DMetric()
    res = run(m, [s])
    assert res['MPJPE'] == pytest.approx(10.)


def test_agrees_with_mmpose_keypoint_mpjpe():
    from mmpose.evaluation.functional import keypoint_mpjpe
    rng = np.random.default_rng(1)
    pred = rng.normal(size=(8, 17, 3))
    gt = rng.normal(size=(8, 17, 3))
    mask = np.ones((8, 17), bool)
    for fn, mode in ((mpjpe, 'none'), (p_mpjpe, 'procrustes'),
                     (n_mpjpe, 'scale')):
        ours = fn(pred, gt, mask).mean()
        assert ours == pytest.approx(
            keypoint_mpjpe(pred, gt, mask, mode), rel=1e-6), mode


def test_bad_inputs():
    with pytest.raises(ValueError, match='pred shape'):
        mpjpe(np.zeros((2, 17, 3)), np.zeros((2, 16, 3)))
    with pytest.raises(KeyError, match="neither 'action'"):
        Pose3DMetric().process([], [dict(
            pred_instances=dict(keypoints=np.zeros((1, 2, 2, 3))),
            gt_instances=dict(lifting_target=np.zeros((2, 2, 3))))])
    with pytest.raises(TypeError, match='skip_list'):
        Pose3DMetric(skip_list='S9_Greeting')
    with pytest.raises(ValueError, match='no samples'):
        Pose3DMetric().compute_metrics([])
    assert velocity_error(np.zeros((1, 2, 3)), np.zeros((1, 2, 3))).size == 0


def test_pck3d_hand_computed():
    # one frame, 4 scored joints (root excluded) with errors 0/100/149/151 mm
    gt = np.zeros((1, 5, 3))
    pred = gt.copy()
    pred[0, 1:, 0] = np.array([0., 100., 149., 151.]) / 1000.
    m = PCK3DMetric(pck_joint_indices=[1, 2, 3, 4])
    res = run(m, [sample(pred, gt, video='TS1', valid=np.ones(1))])
    assert res['PCK'] == pytest.approx(75.)
    # AUC thresholds 0,5,...,150: error 0 passes 30 of 31 (strict <),
    # 100 passes t=105..150 (10), 149 passes t=150 (1), 151 none
    assert res['AUC'] == pytest.approx((30 + 10 + 1 + 0) / (4 * 31) * 100)
    # MPJPE over all 5 joints (root 0 included)
    assert res['MPJPE'] == pytest.approx(400. / 5)


def test_pck3d_uses_valid_frames_only():
    gt = np.zeros((2, 2, 3))
    pred = gt.copy()
    pred[1, 1, 0] = 1.0  # 1000 mm error on an invalid frame
    res = run(PCK3DMetric(pck_joint_indices=[1]),
              [sample(pred, gt, video='TS2', valid=np.array([1., 0.]))])
    assert res['PCK'] == pytest.approx(100.)
    assert res['MPJPE'] == pytest.approx(0.)
    with pytest.raises(ValueError, match='no valid frames'):
        run(PCK3DMetric(pck_joint_indices=[1]),
            [sample(pred, gt, video='TS2', valid=np.zeros(2))])


# The official toolkit's PCK joints (mpii_get_pck_auc_joint_groups.m),
# written out by hand in both orders. 3DHP order: head_top 0, neck 1,
# r_shoulder 2, r_elbow 3, r_wrist 4, l_shoulder 5, l_elbow 6, l_wrist 7,
# r_hip 8, r_knee 9, r_ankle 10, l_hip 11, l_knee 12, l_ankle 13 (pelvis 14,
# spine 15, head 16 left out). H36M order: pelvis 0, r_hip 1, r_knee 2,
# r_ankle 3, l_hip 4, l_knee 5, l_ankle 6, spine 7, thorax 8, neck/nose 9,
# head(top) 10, l_shoulder 11, l_elbow 12, l_wrist 13, r_shoulder 14,
# r_elbow 15, r_wrist 16 (pelvis 0, spine 7, nose 9 left out).
PCK_JOINTS_3DHP = list(range(14))
PCK_JOINTS_H36M = [10, 8, 14, 11, 15, 12, 16, 13, 1, 4, 2, 5, 3, 6]
NON_PCK_H36M = [0, 7, 9]


def _seventeen_joint_case():
    """PCK joints off by 102 mm, spine and head by 200 mm (H36M order)."""
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(1, 17, 3)) * 0.3
    gt -= gt[:, :1]
    pred = gt.copy()
    pred[0, PCK_JOINTS_H36M, 1] += 0.102
    pred[0, [7, 9], 2] -= 0.2
    return pred, gt


def test_pck3d_official_joint_groups_h36m_order():
    from mmext.evaluation.pose3d import pck_joint_groups
    groups = dict(pck_joint_groups('h36m'))
    assert groups == {'Head': (10, ), 'Neck': (8, ), 'Shou': (14, 11),
                      'Elbow': (15, 12), 'Wrist': (16, 13), 'Hip': (1, 4),
                      'Knee': (2, 5), 'Ankle': (3, 6)}
    assert [i for g in groups.values() for i in g] == PCK_JOINTS_H36M
    pred, gt = _seventeen_joint_case()
    res = run(PCK3DMetric(), [sample(pred, gt, video='TS1')])
    # 14 joints at 102 mm: all below 150 -> PCK 100 (over all 17 joints the
    # spine and head, 200 mm off, would make it 15 / 17)
    assert res['PCK'] == pytest.approx(100.)
    # 102 mm passes the thresholds 105, ..., 150: 10 of 31
    assert res['AUC'] == pytest.approx(10 / 31 * 100)
    # MPJPE over all 17: 14 x 102 + root 0 + 2 x 200
    assert res['MPJPE'] == pytest.approx((14 * 102 + 2 * 200) / 17)


def test_pck3d_3dhp_joint_order():
    """The same poses in 3DHP order (root 14) give the same numbers with
    joint_order='3dhp'; read as H36M order they do not."""
    from mmext.evaluation.pose3d import pck_joint_groups
    from mmext.structures.h36m import H36M_TO_3DHP
    assert sorted(i for _, g in pck_joint_groups('3dhp')
                  for i in g) == PCK_JOINTS_3DHP
    pred, gt = _seventeen_joint_case()
    to_3dhp = np.argsort(H36M_TO_3DHP)  # 3DHP index -> H36M index
    assert to_3dhp[14] == 0 and to_3dhp[15] == 7 and to_3dhp[16] == 9
    p3, g3 = pred[:, to_3dhp], gt[:, to_3dhp]
    g3 = g3 + np.array([0.5, -0.2, 3.])  # a global offset: root-relative
    res = run(PCK3DMetric(joint_order='3dhp'), [sample(p3, g3, video='TS1')])
    assert res['PCK'] == pytest.approx(100.)
    assert res['AUC'] == pytest.approx(10 / 31 * 100)
    assert res['MPJPE'] == pytest.approx((14 * 102 + 2 * 200) / 17)
    wrong = run(PCK3DMetric(), [sample(p3, g3, video='TS1')])
    assert wrong['MPJPE'] != pytest.approx(res['MPJPE'])
    with pytest.raises(ValueError, match="joint_order='x' is not one of"):
        PCK3DMetric(joint_order='x')
    with pytest.raises(ValueError, match='more than 16 joints'):
        run(PCK3DMetric(), [sample(np.zeros((1, 5, 3)), np.zeros((1, 5, 3)),
                                   video='TS1')])
