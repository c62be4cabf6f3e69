# Copyright (c) mmext contributors. All rights reserved.
"""The co-speech gesture GAN: model, losses and the G/D training step."""
import copy
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapperDict
from torch import Tensor

from mmext.engine.gan_state import GANTrainState, guarded_update
from mmext.registry import MODELS
from mmext.structures.skeleton import Skeleton
from .losses import (PhysicsLoss, SmoothedAdversarialLoss, binary_entropy,
                     detail_loss)

__all__ = ['GestureGAN']

_DEFAULT_WEIGHTS = dict(rec=1.0, adv=0.05, detail=0.3, physics=0.5)


@MODELS.register_module()
class GestureGAN(BaseModel):
    """Audio-driven body-and-hands gesture GAN.

    ``train_step(data, optim_wrapper)`` takes an ``OptimWrapperDict`` with
    ``generator`` and ``discriminator`` entries. Per batch it runs
    ``gan_state.d_steps`` discriminator updates (skipped entirely, i.e. no
    backward and no call to D's optim wrapper, when ``gan_state.skip_d``
    is set; D's loss is then computed without gradients for monitoring),
    then ``gan_state.g_steps`` generator updates. Loss weights come from
    ``gan_state.loss_weights`` (written by
    :class:`~mmext.engine.hooks.CurriculumHook`).

    Generator loss::

        rec * L1(pos) + adv * BCE(D(fake), real_label)
        + detail * (L1(vel) + L1(acc)) + physics * (bone + angle)

    Args:
        generator (dict): Generator config; ``num_joints``, ``parents`` and
            ``hand_joints`` are filled from the skeleton.
        discriminator (dict): Discriminator config; ``num_joints`` filled.
        skeleton (str | dict): ``skeleton.json`` path or its dict.
        loss_weights (dict, optional): Initial weights of ``rec``, ``adv``,
            ``detail``, ``physics``.
        adversarial (dict, optional): :class:`SmoothedAdversarialLoss`
            arguments.
        g_steps (int): Initial G updates per batch. Defaults to 4.
        d_steps (int): Initial D updates per batch. Defaults to 1.
        data_preprocessor (dict, optional): Defaults to mmengine's
            ``BaseDataPreprocessor``.
    """

    def __init__(self,
                 generator: dict,
                 discriminator: dict,
                 skeleton: Union[str, dict],
                 loss_weights: Optional[Dict[str, float]] = None,
                 adversarial: Optional[dict] = None,
                 g_steps: int = 4,
                 d_steps: int = 1,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.skeleton = Skeleton.load(skeleton)
        sk = self.skeleton
        generator = copy.deepcopy(generator)
        generator.setdefault('num_joints', sk.num_joints)
        generator.setdefault('parents', sk.parents)
        generator.setdefault('hand_joints', sk.hand_indices)
        discriminator = copy.deepcopy(discriminator)
        discriminator.setdefault('num_joints', sk.num_joints)
        self.generator = MODELS.build(generator)
        self.discriminator = MODELS.build(discriminator)
        weights = dict(_DEFAULT_WEIGHTS)
        unknown = set(loss_weights or {}) - set(weights)
        if unknown:
            raise KeyError(f'GestureGAN: unknown loss_weights '
                           f'{sorted(unknown)}; valid: {sorted(weights)}')
        weights.update(loss_weights or {})
        self.adv_loss = SmoothedAdversarialLoss(**(adversarial or {}))
        self.physics_loss = PhysicsLoss(sk.bones, sk.bend_triplets())
        self.gan_state = GANTrainState(weights, g_steps, d_steps)

    # -- forward -----------------------------------------------------------
    def forward(self,
                inputs: dict,
                data_samples: Optional[dict] = None,
                mode: str = 'tensor'):
        """``'tensor'``: generated motion; ``'predict'``: per-sample dicts
        for the gesture metrics; ``'loss'``: generator losses (no D
        update)."""
        fake = self.generator(inputs['audio'], inputs['seed'])
        if mode == 'tensor':
            return fake
        if mode == 'loss':
            return self._g_losses(fake, data_samples['motion'])[1]
        if mode == 'predict':
            return self._to_samples(fake, data_samples)
        raise ValueError(f'GestureGAN: invalid mode {mode!r}')

    def _to_samples(self, fake: Tensor, data_samples: dict) -> List[dict]:
        out = []
        for i in range(fake.shape[0]):
            sample = dict(pred_motion=fake[i].detach().float().cpu())
            for k, v in data_samples.items():
                sample[k] = v[i].detach().cpu() if isinstance(
                    v, Tensor) else v[i]
            out.append(sample)
        return out

    def _d_loss(self, real: Tensor, fake: Tensor) -> Dict[str, Tensor]:
        parts = self.adv_loss.d_loss(
            self.discriminator(real), self.discriminator(fake))
        loss_d = parts['real'] + parts['fake']
        return dict(loss_d=loss_d,
                    loss_d_real=parts['real'], loss_d_fake=parts['fake'],
                    loss_d_excess=parts['excess'])

    def _g_losses(self, fake: Tensor, real: Tensor):
        fake32 = fake.float()
        w = self.gan_state.loss_weights
        rec = (fake32 - real).abs().mean()
        det = detail_loss(fake32, real)
        phys = self.physics_loss(fake32, real)
        parts = dict(
            loss_rec=rec,
            loss_vel=det['vel'],
            loss_acc=det['acc'],
            loss_bone=phys['bone'],
            loss_angle=phys['angle'])
        total = (w['rec'] * rec + w['detail'] * (det['vel'] + det['acc']) +
                 w['physics'] * (phys['bone'] + phys['angle']))
        if self.training:
            adv = self.adv_loss.g_loss(self.discriminator(fake))
            parts['loss_g_adv'] = adv
            parts['loss_g_adv_excess'] = adv.detach() - float(
                binary_entropy(torch.tensor(self.adv_loss.real_label)))
            total = total + w['adv'] * adv
        parts['loss_g'] = total
        return total, parts

    def loss_balance(self, data: dict) -> Dict[str, float]:
        """How strongly each weighted generator loss term pulls on the
        output: the norm of ``d(weight * term) / d(fake)`` per term
        (``rec``, ``detail``, ``physics``, ``adv``) on one batch, with the
        current ``gan_state`` weights. Nothing is updated (normalisation
        running statistics are restored)."""
        buffers = {k: v.clone() for k, v in self.named_buffers()}
        try:
            return self._loss_balance(data)
        finally:
            for k, v in self.named_buffers():
                v.copy_(buffers[k])

    def _loss_balance(self, data: dict) -> Dict[str, float]:
        data = self.data_preprocessor(data, True)
        audio, seed = data['inputs']['audio'], data['inputs']['seed']
        real = data['data_samples']['motion'].float()
        w = self.gan_state.loss_weights
        with torch.no_grad():
            fake = self.generator(audio, seed).float()
        fake.requires_grad_(True)
        det = detail_loss(fake, real)
        phys = self.physics_loss(fake, real)
        terms = dict(
            rec=w['rec'] * (fake - real).abs().mean(),
            detail=w['detail'] * (det['vel'] + det['acc']),
            physics=w['physics'] * (phys['bone'] + phys['angle']),
            adv=w['adv'] * self.adv_loss.g_loss(self.discriminator(fake)))
        out = {}
        for k, v in terms.items():
            g, = torch.autograd.grad(v, fake, retain_graph=True,
                                     allow_unused=True)
            out[f'grad_{k}'] = 0. if g is None else float(g.norm())
            out[f'loss_{k}'] = float(v.detach())
        self.discriminator.zero_grad(set_to_none=True)
        return out

    # -- training ----------------------------------------------------------
    def train_step(self, data: dict,
                   optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One batch: D update(s) (or a skip), then G update(s)."""
        data = self.data_preprocessor(data, True)
        audio, seed = data['inputs']['audio'], data['inputs']['seed']
        real = data['data_samples']['motion'].float()
        state = self.gan_state
        g_wrapper = optim_wrapper['generator']
        d_wrapper = optim_wrapper['discriminator']

        with torch.no_grad(), g_wrapper.optim_context(self.generator):
            fake = self.generator(audio, seed)
        d_skipped = bool(state.skip_d)
        if d_skipped:
            with torch.no_grad(), d_wrapper.optim_context(self.discriminator):
                d_parts = self._d_loss(real, fake)
        else:
            for _ in range(state.d_steps):
                with d_wrapper.optim_context(self.discriminator):
                    d_parts = self._d_loss(real, fake)
                guarded_update(d_wrapper, d_parts['loss_d'], state,
                               'discriminator')

        self.discriminator.requires_grad_(False)
        try:
            for _ in range(state.g_steps):
                with g_wrapper.optim_context(self.generator):
                    fake = self.generator(audio, seed)
                    loss_g, g_parts = self._g_losses(fake, real)
                guarded_update(g_wrapper, loss_g, state, 'generator')
        finally:
            self.discriminator.requires_grad_(True)
        log_vars = {k: v.detach().float() for k, v in d_parts.items()}
        # loss_d_excess / loss_g_adv_excess (BCE minus its floor under the
        # smoothed targets, i.e. the KL divergence from the targets) are
        # what the balance rules compare with their thresholds; see
        # docs/gesture/training.md#gan-balance-under-label-smoothing
        log_vars.update({k: v.detach().float() for k, v in g_parts.items()})
        log_vars['d_skipped'] = torch.tensor(float(d_skipped))
        return log_vars

    def val_step(self, data) -> list:
        data = self.data_preprocessor(data, False)
        return self(**data, mode='predict')

    def test_step(self, data) -> list:
        return self.val_step(data)
