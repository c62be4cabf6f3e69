# Copyright (c) mmext contributors. All rights reserved.
"""Config paths of the tiny random-weight models used by the video tests
(the checkpoints are built by mmext.testing.video; nothing downloads)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CFG_DIR = ROOT / 'tests' / 'data' / 'configs'
DET_CFG = str(CFG_DIR / 'tiny_rtmdet_person.py')
POSE_CFG = str(CFG_DIR / 'tiny_topdown_coco.py')
MPII_CFG = str(CFG_DIR / 'tiny_topdown_mpii.py')
LIFTER_CFG = str(ROOT / 'configs/pose3d/motionagformer/'
                 'motionagformer-xs4l_27frm_1xb16-10e_h36m-demo.py')
CAUSAL_CFG = str(ROOT / 'configs/pose3d/mambagcn/'
                 'mambagcn-xs4l_27frm-causal_1xb16-10e_h36m-demo.py')
