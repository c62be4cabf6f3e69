# Copyright (c) mmext contributors. All rights reserved.
"""Co-speech gesture generation (mmext's registry, default_scope='mmext')."""
from .emage_fgd import EmageFGDEncoder, load_emage_fgd_encoder
from .generator import GestureDiscriminator, GestureGenerator
from .gesture_gan import GestureGAN
from .losses import (PhysicsLoss, SmoothedAdversarialLoss, bend_angles,
                     bone_lengths, detail_loss)
from .motion_ae import MotionAutoencoder, load_motion_autoencoder

__all__ = [
    'GestureGenerator', 'GestureDiscriminator', 'GestureGAN',
    'MotionAutoencoder', 'load_motion_autoencoder', 'EmageFGDEncoder',
    'load_emage_fgd_encoder', 'PhysicsLoss',
    'SmoothedAdversarialLoss', 'bend_angles', 'bone_lengths', 'detail_loss'
]
