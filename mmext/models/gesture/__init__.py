# Copyright (c) mmext contributors. All rights reserved.
"""Co-speech gesture generation (mmext's registry, default_scope='mmext')."""
from .generator import GestureDiscriminator, GestureGenerator
from .gesture_gan import GestureGAN
from .losses import (PhysicsLoss, SmoothedAdversarialLoss, bend_angles,
                     bone_lengths, detail_loss)
from .motion_ae import MotionAutoencoder, load_motion_autoencoder

__all__ = [
    'GestureGenerator', 'GestureDiscriminator', 'GestureGAN',
    'MotionAutoencoder', 'load_motion_autoencoder', 'PhysicsLoss',
    'SmoothedAdversarialLoss', 'bend_angles', 'bone_lengths', 'detail_loss'
]
