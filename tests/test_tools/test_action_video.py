# Copyright (c) mmext contributors. All rights reserved.
"""tools/inference/action_video.py (run as a command) on a generated video
with tiny random weights."""
import json
import pickle

import cv2
import numpy as np
import pytest
import torch
from conftest import ROOT, run_tool

import mmext  # noqa: F401

pytest.importorskip('mmcv.ops', reason='mmaction / mmdet need full mmcv')

from mmext.apis.action_inference import inference_action, init_action_model
from mmext.testing.video import (make_detector_checkpoint,
                                 make_pose_checkpoint, write_synthetic_video)

CFG_DIR = ROOT / 'tests' / 'data' / 'configs'
DET_CFG = str(CFG_DIR / 'tiny_rtmdet_person.py')
POSE_CFG = str(CFG_DIR / 'tiny_topdown_coco.py')
CONFIG = str(ROOT / 'configs/action/'
             'x3d-tsm-tiny_pcan_1xb4-8e_ntu60-demo.py')
MA52 = str(ROOT / 'configs/action/'
           'rgbpose-conv3d-tiny_pcan_1xb4-8e_ma52-demo.py')
N = 16


@pytest.fixture(autouse=True)
def mmaction_scope():
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):
        yield


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    tmp = tmp_path_factory.mktemp('action_video')
    cfg = Config.fromfile(CONFIG)
    from mmaction.registry import MODELS

    import mmext.models.action  # noqa: F401
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    ckpt = tmp / 'action.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    return dict(
        tmp=tmp,
        ckpt=str(ckpt),
        video=write_synthetic_video(
            tmp / 'two.mp4', N, (160, 120), num_people=2),
        det=make_detector_checkpoint(DET_CFG, tmp / 'det.pth'),
        pose=make_pose_checkpoint(POSE_CFG, tmp / 'pose.pth'))


def _args(files, config=CONFIG, *extra):
    return [
        'inference/action_video.py', files['video'], config, files['ckpt'],
        '--det-config', DET_CFG,
        '--det-checkpoint', files['det'], '--pose2d-config', POSE_CFG,
        '--pose2d-checkpoint', files['pose'], '--out-dir',
        str(files['tmp'] / 'out'), '--quiet', '--det-cfg-options',
        'model.test_cfg.max_per_img=3', *extra
    ]


def test_action_video(files):
    proc = run_tool(_args(files), timeout=600)
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout
    out = files['tmp'] / 'out'
    with open(out / 'two_action.json') as f:
        result = json.load(f)
    with open(out / 'two_skeleton.pkl', 'rb') as f:
        ann = pickle.load(f)['annotations'][0]
    for title in ('[RGB] top-5 fine:', '[RGB] top-5 coarse:',
                  '[Pose] top-5 fine:', '[Pose] top-5 coarse:',
                  '[Fused] top-5 fine:', '[Fused] top-5 coarse:'):
        assert title in printed
    # the annotation mmaction2 reads: (M, T, 17, 2), M <= --max-persons
    num_p = len(result['persons'])
    assert 1 <= num_p <= 2
    assert ann['keypoint'].shape == (num_p, N, 17, 2)
    assert ann['keypoint_score'].shape == (num_p, N, 17)
    assert ann['total_frames'] == N and ann['img_shape'] == (120, 160)
    # same probabilities as the action API on the written skeleton
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    model = init_action_model(cfg, files['ckpt'], 'cpu')
    ref = inference_action(cfg, model, ann, files['video'])
    for s in ('rgb', 'pose', 'fused'):
        np.testing.assert_allclose(result['streams'][s]['fine_probs'],
                                   ref['streams'][s]['fine_probs'],
                                   rtol=1e-5, atol=1e-7)
    cap = cv2.VideoCapture(str(out / 'two_action.mp4'))
    count = 0
    while cap.read()[0]:
        count += 1
    assert count == N


def test_action_video_refuses_28_joint_model(files):
    proc = run_tool(_args(files, MA52), timeout=600)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith(
        f'error: {MA52}: the action model reads 28-joint skeletons')
