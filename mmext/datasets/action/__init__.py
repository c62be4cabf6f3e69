# Copyright (c) mmext contributors. All rights reserved.
"""Two-stream (RGB + pose) action-recognition data: datasets, transforms and
the synthetic demo generator (the label hierarchies are in
:mod:`mmext.structures.action_hierarchy`).

``synthetic`` needs only numpy/cv2. The datasets and
transforms register into mmaction2's registries and are imported whenever
mmcv is installed (mmaction2 cannot be imported without it); import errors
other than a missing mmcv propagate.
"""
import importlib.util

__all__ = []

if importlib.util.find_spec('mmcv') is not None:
    import mmext  # noqa: F401  (mmaction2 packaging workarounds first)
    from .rgbpose_dataset import MA52Dataset, RGBPoseDataset
    from .transforms import (MMDecodeCV2, PackHierActionInputs,
                             read_video_frames_cv2)
    __all__ += [
        'RGBPoseDataset', 'MA52Dataset', 'MMDecodeCV2',
        'PackHierActionInputs', 'read_video_frames_cv2'
    ]
