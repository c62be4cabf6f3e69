# Copyright (c) mmext contributors. All rights reserved.
"""Co-speech gesture data: mmext's clip format, BEAT/BEAT2 converters."""
from mmext.structures.skeleton import (Skeleton, default_angle_limits,
                                       is_hand_joint)
from .audio_features import audio_features, cached_audio_features
from .bvh import BVH, read_bvh, resample, write_bvh
from .clip_format import (SAMPLE_RATE, load_clip, read_split, read_wav,
                          save_clip, write_splits)
from .converters import (BEAT_JOINTS, SMPLX_JOINTS, SMPLX_PARENTS,
                         beat_parents, convert_beat, convert_beat2,
                         read_split_csv, smplx_forward_kinematics,
                         smplx_rest_joints)
from .gesture_dataset import GestureDataset

__all__ = [
    'Skeleton', 'default_angle_limits', 'is_hand_joint', 'BVH', 'read_bvh',
    'write_bvh', 'resample', 'SAMPLE_RATE', 'save_clip', 'load_clip',
    'read_split', 'read_wav', 'write_splits', 'audio_features',
    'cached_audio_features', 'BEAT_JOINTS', 'SMPLX_JOINTS', 'SMPLX_PARENTS',
    'beat_parents', 'convert_beat',
    'convert_beat2', 'read_split_csv', 'smplx_forward_kinematics',
    'smplx_rest_joints', 'GestureDataset'
]
