# Copyright (c) mmext contributors. All rights reserved.
"""Losses of the co-speech gesture GAN."""
from typing import Dict, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    'bone_lengths', 'bend_angles', 'PhysicsLoss', 'detail_loss',
    'SmoothedAdversarialLoss', 'binary_entropy'
]


def binary_entropy(p: Tensor) -> Tensor:
    """``H(p) = -p log p - (1 - p) log(1 - p)`` (nats; 0 at 0 and 1).

    The floor of BCE against target ``p``: ``BCE(logit, p) = H(p) +
    KL(p || sigmoid(logit)) >= H(p)``, reached when ``sigmoid(logit) = p``.
    """
    p = p.double()
    return -(torch.xlogy(p, p) + torch.xlogy(1 - p, 1 - p))


def bone_lengths(x: Tensor, bones: Sequence[Tuple[int, int]]) -> Tensor:
    """``(..., J, 3) -> (..., num_bones)`` for ``(child, parent)`` bones."""
    c = [b[0] for b in bones]
    p = [b[1] for b in bones]
    return (x[..., c, :] - x[..., p, :]).norm(dim=-1)


def bend_angles(x: Tensor, triplets: Sequence[Sequence]) -> Tensor:
    """Angle (radians) between bones ``g -> p`` and ``p -> j`` per triplet
    ``(g, p, j, ...)``: ``(..., J, 3) -> (..., num_triplets)``."""
    g = [t[0] for t in triplets]
    p = [t[1] for t in triplets]
    j = [t[2] for t in triplets]
    u = x[..., p, :] - x[..., g, :]
    v = x[..., j, :] - x[..., p, :]
    cos = (u * v).sum(-1) / (u.norm(dim=-1) * v.norm(dim=-1)).clamp_min(1e-8)
    return torch.acos(cos.clamp(-1 + 1e-6, 1 - 1e-6))


class PhysicsLoss(nn.Module):
    """Bone-length consistency and joint-angle limits (body and hands).

    * ``bone``: mean ``|len_pred(t) - len_ref|`` over bones and frames,
      ``len_ref`` the target's per-sequence mean bone length;
    * ``angle``: mean over joints with limits of
      ``relu(theta - max) + relu(min - theta)`` (radians), theta the bend
      angle of :func:`bend_angles`.

    Args:
        bones (Sequence[tuple]): ``(child, parent)`` pairs.
        triplets (Sequence[tuple]): ``(g, p, j, min_rad, max_rad)``.
    """

    def __init__(self, bones, triplets) -> None:
        super().__init__()
        self.bones = [tuple(b) for b in bones]
        self.triplets = [tuple(t) for t in triplets]
        self.register_buffer(
            'lo', torch.tensor([t[3] for t in triplets]), persistent=False)
        self.register_buffer(
            'hi', torch.tensor([t[4] for t in triplets]), persistent=False)

    def forward(self, pred: Tensor, target: Tensor) -> Dict[str, Tensor]:
        ref = bone_lengths(target, self.bones).mean(dim=-2, keepdim=True)
        bone = (bone_lengths(pred, self.bones) - ref).abs().mean()
        if self.triplets:
            theta = bend_angles(pred, self.triplets)
            angle = (F.relu(theta - self.hi) + F.relu(self.lo - theta)).mean()
        else:
            angle = pred.new_zeros(())
        return dict(bone=bone, angle=angle)


def detail_loss(pred: Tensor, target: Tensor) -> Dict[str, Tensor]:
    """L1 between velocities and between accelerations (frame dim -3)."""
    vp, vt = pred.diff(dim=-3), target.diff(dim=-3)
    return dict(
        vel=(vp - vt).abs().mean(),
        acc=(vp.diff(dim=-3) - vt.diff(dim=-3)).abs().mean())


class SmoothedAdversarialLoss(nn.Module):
    """BCE with smoothed, noisy labels.

    Targets are ``label + offset + noise`` clipped to [0, 1], with one
    ``offset ~ U(-max_offset, max_offset)`` per call and per-element
    ``noise ~ N(0, noise_std)``: real 0.90, fake 0.10, std 0.005, offset
    0.02 in the recipe of docs/gesture/training.md. The generator's loss
    uses the plain real label (no offset or noise).

    Args:
        real_label (float): Defaults to 0.9.
        fake_label (float): Defaults to 0.1.
        noise_std (float): Defaults to 0.005.
        max_offset (float): Defaults to 0.02.
    """

    def __init__(self,
                 real_label: float = 0.9,
                 fake_label: float = 0.1,
                 noise_std: float = 0.005,
                 max_offset: float = 0.02) -> None:
        super().__init__()
        if not 0 <= fake_label < real_label <= 1:
            raise ValueError('adversarial loss: need 0 <= fake_label < '
                             f'real_label <= 1, got {fake_label}, '
                             f'{real_label}')
        if noise_std < 0 or max_offset < 0:
            raise ValueError('adversarial loss: noise_std and max_offset '
                             f'must be >= 0, got {noise_std}, {max_offset}')
        self.real_label = real_label
        self.fake_label = fake_label
        self.noise_std = noise_std
        self.max_offset = max_offset

    def targets(self, logits: Tensor, label: float) -> Tensor:
        offset = (torch.rand((), device=logits.device) * 2 -
                  1) * self.max_offset
        noise = torch.randn_like(logits, dtype=torch.float32) * self.noise_std
        return (label + offset + noise).clamp(0., 1.)

    def d_loss(self, real_logits: Tensor,
               fake_logits: Tensor) -> Dict[str, Tensor]:
        """D's BCE on real and fake logits against the smoothed, noisy
        targets (``real``, ``fake``), and ``excess``: the same losses
        against the nominal labels minus their floor (no gradient), see
        :meth:`excess`."""
        real_logits, fake_logits = real_logits.float(), fake_logits.float()
        with torch.no_grad():
            excess = self.excess(real_logits, self.real_label) + \
                self.excess(fake_logits, self.fake_label)
        return dict(
            real=F.binary_cross_entropy_with_logits(
                real_logits, self.targets(real_logits, self.real_label)),
            fake=F.binary_cross_entropy_with_logits(
                fake_logits, self.targets(fake_logits, self.fake_label)),
            excess=excess)

    @staticmethod
    def excess(logits: Tensor, label: float) -> Tensor:
        """``BCE(logits, label) - H(label)``: the mean KL divergence
        ``KL(label || sigmoid(logits))``, >= 0 and 0 exactly when the
        network predicts the label.

        This is the loss *relative to its floor* that the balance rules
        compare with their thresholds. With hard labels (1 / 0) it equals
        the BCE itself; with 0.90 / 0.10 the BCE's floor is ``H(0.9) =
        0.325`` per term. The random offset and the noise of the targets
        are left out: BCE is linear in the target, so they average out
        (``E[BCE(x, t)] = BCE(x, E[t])``) but move a single call's loss by
        up to ``0.02 * log(9) = 0.044`` per term.
        """
        logits = logits.float()
        return F.binary_cross_entropy_with_logits(
            logits, torch.full_like(logits, label)) - float(
                binary_entropy(torch.tensor(label)))

    def g_loss(self, fake_logits: Tensor) -> Tensor:
        fake_logits = fake_logits.float()
        return F.binary_cross_entropy_with_logits(
            fake_logits, torch.full_like(fake_logits, self.real_label))
