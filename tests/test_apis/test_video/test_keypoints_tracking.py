# Copyright (c) mmext contributors. All rights reserved.
"""COCO-17 -> H36M conversion, gap filling and IoU tracking (no models)."""
import numpy as np
import pytest

from mmext.apis.video import (IoUTracker, box_iou, coco_to_h36m, fill_gaps,
                              main_track, track_boxes)


def _coco():
    j = np.arange(17, dtype=np.float64)
    return np.stack([10 * j, 100 + j, 0.5 + j / 100], -1)  # (17, 3)


def test_coco_to_h36m_hand_computed():
    out = coco_to_h36m(_coco()[None])[0]
    # joint j of COCO is (10 j, 100 + j, 0.5 + j / 100)
    expect = {
        0: (115, 111.5, 0.615),  # pelvis = mid(l-hip 11, r-hip 12)
        1: (120, 112, 0.62),  # r-hip = COCO 12
        2: (140, 114, 0.64),  # r-knee = 14
        3: (160, 116, 0.66),  # r-ankle = 16
        4: (110, 111, 0.61),  # l-hip = 11
        5: (130, 113, 0.63),  # l-knee = 13
        6: (150, 115, 0.65),  # l-ankle = 15
        7: (85, 108.5, 0.585),  # spine = mid(pelvis, thorax)
        8: (55, 105.5, 0.555),  # thorax = mid(l-sho 5, r-sho 6)
        9: (0, 100, 0.5),  # neck/nose = nose 0
        10: (15, 101.5, 0.515),  # head = mid(l-eye 1, r-eye 2)
        11: (50, 105, 0.55),  # l-shoulder = 5
        12: (70, 107, 0.57),  # l-elbow = 7
        13: (90, 109, 0.59),  # l-wrist = 9
        14: (60, 106, 0.56),  # r-shoulder = 6
        15: (80, 108, 0.58),  # r-elbow = 8
        16: (100, 110, 0.6),  # r-wrist = 10
    }
    assert out.shape == (17, 3) and out.dtype == np.float32
    for h36m, value in expect.items():
        np.testing.assert_allclose(out[h36m], value, rtol=1e-6, err_msg=h36m)
    # batch dimensions pass through
    assert coco_to_h36m(np.zeros((2, 5, 17, 2))).shape == (2, 5, 17, 2)
    with pytest.raises(ValueError, match=r'COCO-17 keypoints of shape'):
        coco_to_h36m(np.zeros((4, 16, 3)))


def test_coco_to_h36m_matches_mmpose():
    """Same as mmpose's convert_keypoint_definition (independent code)."""
    inference_3d = pytest.importorskip('mmpose.apis.inference_3d')
    rng = np.random.default_rng(0)
    kpts = rng.uniform(0, 500, size=(3, 17, 2))
    ref = inference_3d.convert_keypoint_definition(kpts, 'coco', 'h36m')
    np.testing.assert_allclose(coco_to_h36m(kpts), ref, rtol=1e-5)


def test_fill_gaps_hand_computed():
    x = np.array([np.nan, 10, np.nan, np.nan, 70, 5, np.nan, np.nan, np.nan,
                  9, np.nan])
    present = np.isfinite(x)
    kpts = np.where(present, x, -1.)[:, None, None] * np.ones((1, 2, 3))
    fill = fill_gaps(kpts, present, max_gap=2)
    got = fill.keypoints[:, 0, 0]
    # frames 2, 3 between 10 (frame 1) and 70 (frame 4): 10 + 60 / 3 * k
    expect = [np.nan, 10, 30, 50, 70, 5, np.nan, np.nan, np.nan, 9, np.nan]
    np.testing.assert_allclose(got, expect, rtol=1e-6)
    np.testing.assert_allclose(
        got[1:5], np.interp(np.arange(1, 5), [1, 4], [10, 70]), rtol=1e-6)
    assert (fill.keypoints[2] == fill.keypoints[2, 0, 0]).all()  # all chans
    assert fill.interpolated.tolist() == [
        False, False, True, True, False, False, False, False, False, False,
        False
    ]
    # 6..8 is longer than 2: reported; 0 and 10 are outside the track
    assert fill.long_gaps == [(6, 9)]
    assert fill.segments == [(1, 6), (9, 10)]
    assert fill.valid.sum() == 6
    # max_gap 3 fills it too; 0 fills nothing
    assert fill_gaps(kpts, present, 3).long_gaps == []
    assert fill_gaps(kpts, present, 0).long_gaps == [(2, 4), (6, 9)]
    with pytest.raises(ValueError, match='max_gap'):
        fill_gaps(kpts, present, -1)


def _box(x, y, w=20, h=40, s=0.9):
    return [x, y, x + w, y + h, s]


def test_iou_tracker():
    np.testing.assert_allclose(
        box_iou([[0, 0, 10, 10]], [[5, 0, 15, 10], [20, 20, 30, 30]]),
        [[50 / 150, 0]])
    frames = [
        np.array([_box(0, 0), _box(100, 0, 40, 80, 0.8)]),
        np.array([_box(102, 2, 40, 80, 0.8), _box(3, 0)]),  # order swapped
        np.array([_box(6, 0)]),  # the big one is missing for 2 frames
        np.array([_box(9, 0)]),
        np.array([_box(12, 0), _box(104, 4, 40, 80, 0.8)]),
        np.zeros((0, 5)),
    ]
    tracks = track_boxes(frames, iou_thr=0.3, max_age=2)
    assert len(tracks) == 2
    small, big = tracks
    assert sorted(small.boxes) == [0, 1, 2, 3, 4]
    assert sorted(big.boxes) == [0, 1, 4]  # bridged the 2-frame gap
    np.testing.assert_allclose(big.boxes[1][:4], [102, 2, 142, 82])
    # main person: sum of area x score: 3 x 3200 x 0.8 > 5 x 800 x 0.9
    assert main_track(tracks) is big
    np.testing.assert_allclose(big.weight, 3 * 3200 * 0.8)
    # with max_age 1 the big one is a new track after the gap
    assert len(track_boxes(frames, iou_thr=0.3, max_age=1)) == 3
    with pytest.raises(ValueError, match='iou_thr'):
        IoUTracker(iou_thr=0.)
