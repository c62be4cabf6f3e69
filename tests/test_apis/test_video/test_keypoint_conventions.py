# Copyright (c) mmext contributors. All rights reserved.
"""The two COCO-17 -> Human3.6M conventions of the in-the-wild demo and the
MotionAGFormer demo's resampling of a short final clip.

The expected numbers are worked out by hand from the upstream functions'
definitions:

* ``motionbert``: MotionBERT ``coco2h36m`` (mid-hips, mid-shoulders, their
  mean, the nose, mid-eyes); hand case in test_keypoints_tracking.py.
* ``motionagformer-demo``: MotionAGFormer ``demo/lib/preprocess.py``
  ``coco_h36m`` (lines 10-37) and ``h36m_coco_format``'s scores (58-62).
* the short clip: ``demo/vis.py`` ``resample`` / ``turn_into_clips``.
"""
import numpy as np
import pytest
import torch
from conftest import ROOT

from mmext.apis import init_lifter, lift_sequence, normalize_keypoints_2d
from mmext.apis.pose3d_inference import resample_indices
from mmext.apis.video.keypoints import (KEYPOINT_CONVENTIONS,
                                        checkpoint_keypoint_convention,
                                        coco_to_h36m,
                                        coco_to_h36m_motionagformer_demo,
                                        convert_coco_to_h36m)

# A person in pixels, image y downwards, the nose 3 px right of the
# shoulders' middle so that the sideways terms are not zero.
COCO = np.array([
    [13, 20, .9],  # 0 nose
    [8, 18, .8],  # 1 l-eye
    [12, 18, .6],  # 2 r-eye
    [6, 19, .5],  # 3 l-ear
    [14, 19, .3],  # 4 r-ear
    [4, 30, 1.],  # 5 l-shoulder
    [16, 30, .8],  # 6 r-shoulder
    [2, 40, .7],  # 7 l-elbow
    [18, 40, .6],  # 8 r-elbow
    [1, 50, .5],  # 9 l-wrist
    [19, 50, .4],  # 10 r-wrist
    [6, 60, .9],  # 11 l-hip
    [14, 60, .7],  # 12 r-hip
    [6, 80, .6],  # 13 l-knee
    [14, 80, .5],  # 14 r-knee
    [6, 100, .4],  # 15 l-ankle
    [14, 100, .2],  # 16 r-ankle
])

# By hand, with nose n = (13, 20), mid-shoulders ms = (10, 30), mid-hips
# mh = (10, 60), mid-eyes me = (10, 18):
MAG_DEMO = {
    0: (10, 60, .8),  # pelvis = mh; score mean(.9, .7)
    # spine: mean of shoulders and hips = (10, 45); x += 2 (10 - mean(
    # pelvis.x 10, thorax.x 11)) = -1 -> 9; score mean(pelvis .8,
    # thorax .9)
    7: (9, 45, .85),
    # thorax: ms + (n - ms) / 3 = (11, 26.667); y -= (me.y - n.y) 2/3 =
    # -4/3 -> 28; score mean(1., .8)
    8: (11, 28, .9),
    9: (12.25, 22.5, .9),  # neck: n - (n - ms) / 4; score = the nose's
    # head top: x mean(eyes, ears) = 10, y = 18 + 18 - 20 = 16 (above the
    # eyes); score mean of eyes and ears .55
    10: (10, 16, .55),
    1: (14, 60, .7), 2: (14, 80, .5), 3: (14, 100, .2),  # right leg
    4: (6, 60, .9), 5: (6, 80, .6), 6: (6, 100, .4),  # left leg
    11: (4, 30, 1.), 12: (2, 40, .7), 13: (1, 50, .5),  # left arm
    14: (16, 30, .8), 15: (18, 40, .6), 16: (19, 50, .4),  # right arm
}
# MotionBERT on the same person: spine = mid(pelvis, thorax), thorax = ms,
# joint 9 = the nose, head = mid-eyes; every channel averaged alike.
MOTIONBERT = {
    0: (10, 60, .8), 7: (10, 45, .85), 8: (10, 30, .9), 9: (13, 20, .9),
    10: (10, 18, .7)
}


def test_motionagformer_demo_hand_case():
    out = coco_to_h36m_motionagformer_demo(COCO)
    assert out.shape == (17, 3) and out.dtype == np.float32
    for joint, value in MAG_DEMO.items():
        np.testing.assert_allclose(out[joint], value, rtol=1e-6, atol=1e-6,
                                   err_msg=f'H36M joint {joint}')
    # x, y only; batch dimensions pass through
    xy = coco_to_h36m_motionagformer_demo(np.stack([COCO[:, :2]] * 2)[None])
    assert xy.shape == (1, 2, 17, 2)
    np.testing.assert_allclose(xy[0, 1], out[:, :2], rtol=1e-6)
    with pytest.raises(ValueError, match=r'\(\.\.\., 17, 2\|3\)'):
        coco_to_h36m_motionagformer_demo(np.zeros((17, 4)))


def test_motionbert_hand_case_and_the_two_differ():
    out = coco_to_h36m(COCO)
    for joint, value in MOTIONBERT.items():
        np.testing.assert_allclose(out[joint], value, rtol=1e-6,
                                   err_msg=f'H36M joint {joint}')
    demo = coco_to_h36m_motionagformer_demo(COCO)
    # same limbs and pelvis; different spine, thorax, neck and head
    same = [0, 1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]
    np.testing.assert_allclose(out[same], demo[same], rtol=1e-6)
    for joint in (7, 8, 9, 10):
        assert np.abs(out[joint, :2] - demo[joint, :2]).max() >= 1


def test_demo_conversion_commutes_with_screen_normalisation():
    """Affine per axis: converting pixels then normalising equals
    normalising then converting (so the order in the pipeline is free)."""
    w, h = 1920., 1080.
    rng = np.random.default_rng(0)
    coco = np.concatenate(
        [rng.uniform(0, 1000, (5, 17, 2)), rng.uniform(0, 1, (5, 17, 1))],
        -1)
    a = normalize_keypoints_2d(coco_to_h36m_motionagformer_demo(coco),
                               (w, h))
    b = coco_to_h36m_motionagformer_demo(normalize_keypoints_2d(coco, (w, h)))
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_convert_dispatch_and_errors():
    assert KEYPOINT_CONVENTIONS == ('motionbert', 'motionagformer-demo')
    np.testing.assert_array_equal(convert_coco_to_h36m(COCO),
                                  coco_to_h36m(COCO))
    np.testing.assert_array_equal(
        convert_coco_to_h36m(COCO, 'motionagformer-demo'),
        coco_to_h36m_motionagformer_demo(COCO))
    with pytest.raises(ValueError, match="'mhformer' is not known"):
        convert_coco_to_h36m(COCO, 'mhformer')


def test_checkpoint_meta_picks_the_convention():
    assert checkpoint_keypoint_convention({}) == 'motionbert'
    assert checkpoint_keypoint_convention(
        dict(keypoint_convention='motionagformer-demo')) == \
        'motionagformer-demo'
    with pytest.raises(ValueError, match=r"meta\['keypoint_convention'\]"):
        checkpoint_keypoint_convention(dict(keypoint_convention='x'))


def test_resample_indices_hand_case():
    # n = 3 frames to T = 7: floor(k * 3 / 7) for k = 0..6
    indices, positions = resample_indices(3, 7)
    assert indices.tolist() == [0, 0, 0, 1, 1, 2, 2]
    assert positions.tolist() == [0, 3, 5]  # first position of each frame
    # n = 5 to T = 8: floor(0, .625, 1.25, 1.875, 2.5, 3.125, 3.75, 4.375)
    indices, positions = resample_indices(5, 8)
    assert indices.tolist() == [0, 0, 1, 1, 2, 3, 3, 4]
    assert positions.tolist() == [0, 2, 4, 5, 7]
    assert resample_indices(4, 4)[0].tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match='num_frames <= window'):
        resample_indices(5, 4)


CONFIG = str(ROOT / 'configs/pose3d/motionagformer/'
             'motionagformer-xs4l_27frm_1xb16-10e_h36m-demo.py')
W, H = 1000., 1002.
T = 27


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return init_lifter(CONFIG)  # random weights


def _net(model, clip):
    with torch.no_grad():
        out = model(torch.from_numpy(clip)[None], None, 'tensor')[0].numpy()
    out = out * W / 2 / 1000  # MotionBERTLabel.decode, no 2.5d factor
    out[:, 0] = 0
    return out


def _kpts(n, seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform([200, 150], [800, 900], size=(n, 17, 2))
    score = rng.uniform(0.3, 1., size=(n, 17, 1))
    return np.concatenate([xy, score], -1).astype(np.float32)


def test_tail_resample_as_the_official_demo(model):
    # 40 frames, T = 27: one full window, then frames 27..39 (13 frames)
    # shown as frames 27 + floor(k * 13 / 27) and read at the first k of
    # each frame (ceil(j * 27 / 13))
    kpts = _kpts(40)
    x = normalize_keypoints_2d(kpts, (W, H))
    first = [int(np.ceil(j * 27 / 13)) for j in range(13)]
    shown = [27 + int(np.floor(k * 13 / 27)) for k in range(27)]
    expect = np.concatenate(
        [_net(model, x[:27]), _net(model, x[shown])[first]])
    out = lift_sequence(model, kpts, (W, H), flip=False, tail='resample')
    np.testing.assert_allclose(out, expect, rtol=1e-4, atol=1e-6)
    pad = lift_sequence(model, kpts, (W, H), flip=False, tail='pad')
    np.testing.assert_allclose(pad[:27], out[:27], rtol=1e-5, atol=1e-6)
    assert np.abs(pad[27:] - out[27:]).max() > 1e-4  # the tails differ
    # a sequence shorter than T is resampled whole
    short = _kpts(10, seed=1)
    xs = normalize_keypoints_2d(short, (W, H))
    shown = [int(np.floor(k * 10 / 27)) for k in range(27)]
    first = [int(np.ceil(j * 27 / 10)) for j in range(10)]
    np.testing.assert_allclose(
        lift_sequence(model, short, (W, H), flip=False, tail='resample'),
        _net(model, xs[shown])[first], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="tail: expected 'pad' or"):
        lift_sequence(model, short, (W, H), tail='repeat')


def _official_style(model):
    """An upstream-style checkpoint (``ckpt['model']``, ``module.``) of a
    lifter's weights, as TaatiTeam/MotionAGFormer's torch.save writes."""
    sd = model.state_dict()
    out = {f'module.{k[len("backbone."):]}': v for k, v in sd.items()
           if k.startswith('backbone.')}
    out['module.rep_logit.fc.weight'] = sd['head.pre_logits.fc.weight']
    out['module.rep_logit.fc.bias'] = sd['head.pre_logits.fc.bias']
    out['module.head.weight'] = sd['head.fc.weight']
    out['module.head.bias'] = sd['head.fc.bias']
    return dict(epoch=1, model=out)


def test_converted_upstream_weights_default_to_the_demo_convention(
        model, tmp_path):
    from mmext.apis.model_conversion import convert_motionagformer_checkpoint
    from mmext.apis.video import lift_tracks
    src, dst = tmp_path / 'official.pth.tr', tmp_path / 'mmext.pth'
    torch.save(_official_style(model), src)
    convert_motionagformer_checkpoint(str(src), str(dst), 'h36m')
    meta = torch.load(dst, weights_only=True)['meta']
    assert meta['keypoint_convention'] == 'motionagformer-demo'
    lifter = init_lifter(CONFIG, str(dst))
    assert checkpoint_keypoint_convention(lifter) == 'motionagformer-demo'
    # mmext-trained weights (no such meta) keep the MotionBERT convention
    assert checkpoint_keypoint_convention(model) == 'motionbert'

    coco = np.stack([COCO * [30, 8, 1] + [100, 100, 0]] * 30)  # (30, 17, 3)
    coco += np.random.default_rng(0).normal(0, 2, coco.shape) * [1, 1, 0]
    result = dict(keypoints_coco=coco[None].astype(np.float32),
                  present=np.ones((1, 30), bool), image_size=(W, H),
                  timings={})
    out = lift_tracks(dict(result, timings={}), lifter, flip=False,
                      progress=False)
    assert (out['keypoint_convention'], out['tail']) == (
        'motionagformer-demo', 'resample')
    np.testing.assert_allclose(out['keypoints_h36m'][0],
                               coco_to_h36m_motionagformer_demo(coco),
                               rtol=1e-6, atol=1e-4)
    # frames 27..29 are the resampled tail, as lift_sequence does it
    np.testing.assert_allclose(
        out['keypoints_3d'][0],
        lift_sequence(lifter, out['keypoints_h36m'][0], (W, H), flip=False,
                      tail='resample'), rtol=1e-5, atol=1e-6)
    # an explicit choice overrides the checkpoint's
    out = lift_tracks(dict(result, timings={}), lifter, flip=False,
                      progress=False, keypoint_convention='motionbert')
    assert (out['keypoint_convention'], out['tail']) == ('motionbert', 'pad')
    np.testing.assert_allclose(out['keypoints_h36m'][0], coco_to_h36m(coco),
                               rtol=1e-6, atol=1e-4)
