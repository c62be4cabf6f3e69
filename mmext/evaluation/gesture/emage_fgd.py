# Copyright (c) mmext contributors. All rights reserved.
"""FGD as EMAGE computes it on BEAT2 (its published 5.51 on speaker 2).

Protocol (PantoMatrix/PantoMatrix at commit c803115):

1. per test file, generated and real SMPL-X axis-angle poses ``(T, 165)``
   are cut to the shorter length (``train_emage_audio.py:396-398``);
2. both are converted to rot6d, the first two rows of each joint's
   rotation matrix, ``(T, 330)`` (``train_emage_audio.py:420-424``;
   :func:`~mmext.models.gesture.emage_fgd.axis_angle_to_rot6d`), and cast to
   float32 (``:425``);
3. each sequence is cut to a multiple of 32 frames from its end and
   encoded WHOLE, one sequence per batch (``mertic.py:323-334``): no
   windows, so GroupNorm's statistics are those of the whole sequence; the
   ``vae_test_len = 32`` / ``vae_test_stride = 20`` of ``Arg`` are not used
   by FGD;
4. every latent frame (``T / 16`` per sequence, 240-d) of every sequence is
   one sample (``mertic.py:340-344``);
5. Fréchet distance with ``1e-6 * I`` added to both covariances inside the
   square root, always (``mertic.py:346-357``).
"""
from typing import Optional, Sequence

import numpy as np
import torch

from mmext.models.gesture.emage_fgd import EmageFGDEncoder, axis_angle_to_rot6d
from .functional import feature_frechet_distance

__all__ = ['emage_fgd_latents', 'emage_fgd', 'emage_fgd_from_joints']

#: Frames per encoded unit: sequences are cut to a multiple of this
#: (``mertic.py:325-327``).
EMAGE_FGD_FRAMES = 32


def emage_fgd_latents(encoder: EmageFGDEncoder, poses,
                      rotation: str = 'axis_angle',
                      dtype: torch.dtype = torch.float32) -> np.ndarray:
    """Latent frames ``(T // 32 * 2, 240)`` of one sequence.

    Args:
        encoder (EmageFGDEncoder): From
            :func:`~mmext.models.gesture.emage_fgd.load_emage_fgd_encoder`.
        poses (array): ``(T, 165)`` axis-angle (``rotation='axis_angle'``)
            or ``(T, 330)`` rot6d (``rotation='rot6d'``).
        dtype: The encoder's precision (the encoder is cast to it);
            EMAGE uses float32.
    """
    if rotation not in ('axis_angle', 'rot6d'):
        raise ValueError("emage_fgd: rotation must be 'axis_angle' or "
                         f"'rot6d', got {rotation!r}")
    x = torch.as_tensor(np.asarray(poses), dtype=torch.float64)
    j = len(encoder.parents)
    width = 3 * j if rotation == 'axis_angle' else 6 * j
    if x.ndim != 2 or x.shape[1] != width:
        raise ValueError(f'emage_fgd: poses must be (T, {width}) '
                         f'{rotation}, got {tuple(x.shape)}')
    if rotation == 'axis_angle':
        x = axis_angle_to_rot6d(x.reshape(-1, j, 3)).reshape(-1, 6 * j)
    t = x.shape[0] - x.shape[0] % EMAGE_FGD_FRAMES
    if t == 0:
        raise ValueError(f'emage_fgd: a sequence of {x.shape[0]} frames is '
                         f'shorter than {EMAGE_FGD_FRAMES}')
    param = next(encoder.parameters())
    with torch.no_grad():
        z = encoder.to(dtype)(x[None, :t].to(dtype=dtype,
                                             device=param.device))
    return z[0].double().cpu().numpy()


def emage_fgd(preds: Sequence, gts: Sequence, encoder: EmageFGDEncoder,
              rotation: str = 'axis_angle',
              dtype: torch.dtype = torch.float32) -> float:
    """EMAGE-protocol FGD between generated and real sequences.

    Args:
        preds, gts (sequence of array): Paired sequences (one pair per test
            file), each ``(T_i, 165)`` axis-angle or ``(T_i, 330)`` rot6d;
            a pair is cut to its shorter length. A ``(N, T, C)`` array
            works too.
        encoder (EmageFGDEncoder): The loaded FGD encoder.
        rotation (str): ``'axis_angle'`` or ``'rot6d'``.
        dtype: Encoder precision (float32 as EMAGE; float64 to compare
            against a float64 reference).
    """
    if len(preds) != len(gts) or len(preds) == 0:
        raise ValueError(f'emage_fgd: need paired sequences, got '
                         f'{len(preds)} generated and {len(gts)} real')
    fp, fg = [], []
    for p, g in zip(preds, gts):
        t = min(len(p), len(g))
        fp.append(emage_fgd_latents(encoder, np.asarray(p)[:t], rotation,
                                    dtype))
        fg.append(emage_fgd_latents(encoder, np.asarray(g)[:t], rotation,
                                    dtype))
    return feature_frechet_distance(np.concatenate(fp), np.concatenate(fg),
                                    always_offset=True)


def emage_fgd_from_joints(preds: Sequence, gts: Sequence,
                          encoder: EmageFGDEncoder, smplx_model: str,
                          fps: float,
                          dtype: torch.dtype = torch.float32,
                          real_poses: Optional[Sequence] = None) -> float:
    """:func:`emage_fgd` of SMPL-X joint positions ``(T_i, 55, 3)``, as
    mmext's generators predict them.

    Each sequence is turned into BEAT2-format axis-angle ``poses`` by
    :func:`~mmext.datasets.gesture.converters.beat2_poses` (inverse
    kinematics on the user's SMPL-X model file, zero betas, hand mean
    removed as BEAT2 stores poses). Positions do not determine every
    rotation: the twist about single-child bones and the jaw, eyes and
    finger tips come out 0, for the real sequences as well, so this is
    EMAGE's FGD of the IK'd motion, not of BEAT2's captured rotations.
    ``real_poses`` (one ``(T_i, 165)`` array per sequence, as BEAT2 stores
    them: the clips' ``smplx_poses`` written by the BEAT2 converter) puts
    the captured rotations on the real side instead, which is EMAGE's
    protocol; each is cut to its generated sequence's length.

    Raises:
        ValueError: ``fps`` is not 30 (EMAGE's encoder was trained on
            30 fps BEAT2 motion; its receptive field is in frames).
    """
    from mmext.datasets.gesture.converters import beat2_poses
    if fps != 30:
        raise ValueError(f'emage_FGD: EMAGE\'s FGD is defined on 30 fps '
                         f'BEAT2 motion, this evaluation runs at {fps:g} fps '
                         '(use a BEAT2 config at 30 fps)')
    pp = [beat2_poses(j, smplx_model, where='emage_FGD')[0] for j in preds]
    if real_poses is not None:
        if len(real_poses) != len(preds):
            raise ValueError(f'emage_FGD: {len(real_poses)} real pose '
                             f'sequences for {len(preds)} generated ones')
        pg = [np.asarray(r, np.float64)[:len(p)]
              for r, p in zip(real_poses, preds)]
    else:
        pg = [beat2_poses(j, smplx_model, where='emage_FGD')[0]
              for j in gts]
    return emage_fgd(pp, pg, encoder, dtype=dtype)
