# Copyright (c) mmext contributors. All rights reserved.
"""Stochastic depth (drop path)."""
from torch import Tensor, nn

__all__ = ['DropPath']


class DropPath(nn.Module):
    """Drop whole residual branches per sample (stochastic depth).

    Huang et al., "Deep Networks with Stochastic Depth", ECCV 2016. Kept
    paths are rescaled by ``1 / (1 - drop_prob)`` so that the expectation is
    unchanged; in eval mode (or with ``drop_prob == 0``) this is the identity.

    Args:
        drop_prob (float): Probability of dropping the branch of a sample.
            Defaults to 0.
    """

    def __init__(self, drop_prob: float = 0.) -> None:
        super().__init__()
        if not 0. <= drop_prob < 1.:
            raise ValueError(
                f'drop_prob must be in [0, 1), got {drop_prob!r}')
        self.drop_prob = drop_prob

    def forward(self, x: Tensor) -> Tensor:
        """Apply drop path; ``x`` is ``(B, ...)``, one decision per sample."""
        if self.drop_prob == 0. or not self.training:
            return x
        keep = 1. - self.drop_prob
        mask_shape = (x.shape[0], ) + (1, ) * (x.ndim - 1)
        mask = x.new_empty(mask_shape).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f'drop_prob={self.drop_prob}'
