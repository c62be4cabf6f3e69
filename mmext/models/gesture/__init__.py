# Copyright (c) mmext contributors. All rights reserved.
"""Co-speech gesture generation (mmext's registry, default_scope='mmext')."""
from .generator import GestureDiscriminator, GestureGenerator
from .gesture_gan import GestureGAN
from .losses import (PhysicsLoss, SmoothedAdversarialLoss, bend_angles,
                     bone_lengths, detail_loss)

__all__ = [
    'GestureGenerator', 'GestureDiscriminator', 'GestureGAN', 'PhysicsLoss',
    'SmoothedAdversarialLoss', 'bend_angles', 'bone_lengths', 'detail_loss'
]
