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


def load_motion_autoencoder(checkpoint: str, **kwargs) -> MotionAutoencoder:
    """Build a :class:`MotionAutoencoder` and load a checkpoint written by
    ``tools/train.py`` (weights-only loading)."""
    from mmext.engine.checkpoint import safe_load
    model = MotionAutoencoder(**kwargs)
    ckpt = safe_load(checkpoint)
    state = ckpt.get('state_dict', ckpt)
    model.load_state_dict(state)
    return model.eval()
