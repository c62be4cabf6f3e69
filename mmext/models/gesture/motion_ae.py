# Copyright (c) mmext contributors. All rights reserved.
"""Motion autoencoder whose latent space defines FGD."""
from typing import Optional

from einops import rearrange
from mmengine.model import BaseModel
from torch import Tensor, nn

from mmext.registry import MODELS

__all__ = ['MotionAutoencoder']


@MODELS.register_module()
class MotionAutoencoder(BaseModel):
    """Temporal-convolution autoencoder of root-relative pose windows.

    Encoder: per-frame flattened joints ``(J * 3)`` -> ``num_layers``
    stride-2 1D convolutions (LeakyReLU) -> a latent sequence of
    ``latent_dims`` channels at ``T / 2**num_layers`` steps. The FGD
    feature of a window is this latent sequence averaged over time.
    Decoder mirrors it with transposed convolutions. Trained with L1 on
    positions and velocities (``configs/gesture/motion-ae_*``).

    Args:
        num_joints (int): ``J``.
        hidden_dims (int): Defaults to 128.
        latent_dims (int): Defaults to 32.
        num_layers (int): Defaults to 2.
    """

    def __init__(self,
                 num_joints: int,
                 hidden_dims: int = 128,
                 latent_dims: int = 32,
                 num_layers: int = 2,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.num_joints = num_joints
        self.num_layers = num_layers
        enc, dec = [], []
        dims = num_joints * 3
        for i in range(num_layers):
            out = latent_dims if i == num_layers - 1 else hidden_dims
            enc += [nn.Conv1d(dims, out, 4, stride=2, padding=1)]
            if i < num_layers - 1:
                enc.append(nn.LeakyReLU(0.2))
            dims = out
        for i in range(num_layers):
            out = num_joints * 3 if i == num_layers - 1 else hidden_dims
            dec += [nn.ConvTranspose1d(dims, out, 4, stride=2, padding=1)]
            if i < num_layers - 1:
                dec.append(nn.LeakyReLU(0.2))
            dims = out
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)

    def _crop(self, motion: Tensor) -> Tensor:
        step = 2**self.num_layers
        t = motion.shape[1] // step * step
        if t == 0:
            raise ValueError(f'MotionAutoencoder: windows need at least '
                             f'{step} frames, got {motion.shape[1]}')
        return motion[:, :t]

    def encode(self, motion: Tensor) -> Tensor:
        """``(B, T, J, 3) -> (B, latent_dims, T')`` latent sequence."""
        motion = self._crop(motion)
        return self.encoder(rearrange(motion, 'b t j c -> b (j c) t'))

    def features(self, motion: Tensor) -> Tensor:
        """FGD features ``(B, latent_dims)``: the time-averaged latent."""
        return self.encode(motion).mean(dim=-1)

    def forward(self, inputs=None, data_samples=None, mode='tensor'):
        motion = self._crop(data_samples['motion'].float())
        rec = rearrange(self.decoder(self.encode(motion)),
                        'b (j c) t -> b t j c', c=3)
        if mode == 'tensor':
            return rec
        if mode == 'loss':
            return dict(
                loss_rec=(rec - motion).abs().mean(),
                loss_vel=(rec.diff(dim=1) - motion.diff(dim=1)).abs().mean())
        if mode == 'predict':
            err = (rec - motion).norm(dim=-1).mean(dim=(1, 2))
            return [dict(ae_mpjpe=e.item()) for e in err]
        raise ValueError(f'MotionAutoencoder: invalid mode {mode!r}')


def _architecture(state: dict) -> dict:
    """The constructor arguments a MotionAutoencoder state dict was built
    with, read from its weight shapes."""
    enc = sorted(int(k.split('.')[1]) for k in state
                 if k.startswith('encoder.') and k.endswith('.weight'))
    if not enc:
        raise KeyError('no encoder.<i>.weight entries')
    first, last = state[f'encoder.{enc[0]}.weight'], state[
        f'encoder.{enc[-1]}.weight']
    arch = dict(num_joints=first.shape[1] // 3, latent_dims=last.shape[0],
                num_layers=len(enc))
    if len(enc) > 1:
        arch['hidden_dims'] = first.shape[0]
    return arch


def load_motion_autoencoder(checkpoint: str, **kwargs) -> MotionAutoencoder:
    """Build a :class:`MotionAutoencoder` and load a checkpoint written by
    ``tools/train.py`` (weights-only loading).

    The architecture (joints, hidden and latent widths, layers) is read from
    the checkpoint's weight shapes, since the checkpoint defines the FGD
    feature space. ``kwargs`` (e.g. a metric's ``fgd_autoencoder``) are
    checked against it: a value the checkpoint contradicts is an error
    naming the checkpoint, the argument and both values.
    """
    from mmext.engine.checkpoint import safe_load
    ckpt = safe_load(checkpoint)
    state = ckpt.get('state_dict', ckpt)
    try:
        arch = _architecture(state)
    except (KeyError, AttributeError, IndexError) as err:
        raise ValueError(f'{checkpoint}: not a MotionAutoencoder checkpoint '
                         f'({err}); FGD needs the autoencoder trained by '
                         f'configs/gesture/motion-ae_*') from None
    wrong = {k: (v, arch[k]) for k, v in kwargs.items()
             if k in arch and v != arch[k]}
    if wrong:
        raise ValueError(
            f'{checkpoint}: the FGD autoencoder checkpoint was built with ' +
            ', '.join(f'{k}={got}' for k, (_, got) in wrong.items()) +
            ' but the config asks for ' +
            ', '.join(f'{k}={want}' for k, (want, _) in wrong.items()) +
            ' (set fgd_autoencoder in the evaluator to match, or drop it: '
            'the checkpoint defines the architecture)')
    model = MotionAutoencoder(**{**kwargs, **arch})
    model.load_state_dict(state)
    return model.eval()
