# Copyright (c) mmext contributors. All rights reserved.
from .motionagformer import (BRANCH_VARIANTS, AGFormerBlock, MotionAGFormer,
                             MotionAGFormerBlock, TemporalSSM,
                             convert_official_state_dict,
                             infer_official_config)

__all__ = [
    'MotionAGFormer', 'MotionAGFormerBlock', 'AGFormerBlock', 'TemporalSSM',
    'BRANCH_VARIANTS', 'convert_official_state_dict', 'infer_official_config'
]
