# Copyright (c) mmext contributors. All rights reserved.
"""Frame-interpolation datasets and transforms (mmext's registries)."""
from .transforms import (LoadVFIFrames, PackVFIInputs, VFICenterCrop,
                         VFIChannelReverse, VFIRandomCrop, VFIRandomFlip,
                         VFIRandomRotate90, VFIResize, VFITemporalSwap,
                         read_rgb)
from .vfi_datasets import (MiddleburyOtherDataset, MixedVFIDataset,
                           SNUFILMDataset, UCF101TripletDataset,
                           Vimeo90KTripletDataset, X4KTrainDataset,
                           XiphDataset, XTestDataset, holdout_names)

__all__ = [
    'read_rgb', 'LoadVFIFrames', 'PackVFIInputs', 'VFICenterCrop',
    'VFIChannelReverse', 'VFIRandomCrop', 'VFIRandomFlip',
    'VFIRandomRotate90', 'VFIResize', 'VFITemporalSwap',
    'Vimeo90KTripletDataset', 'UCF101TripletDataset', 'SNUFILMDataset',
    'MiddleburyOtherDataset', 'XiphDataset', 'X4KTrainDataset',
    'XTestDataset', 'MixedVFIDataset', 'holdout_names'
]
