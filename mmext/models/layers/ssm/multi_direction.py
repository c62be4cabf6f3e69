# Copyright (c) mmext contributors. All rights reserved.
"""Multi-directional SSM scans for non-causal sequences and token grids.

Mamba and Mamba-2 are causal. For data without a time arrow (a clip seen
whole, skeleton frames, an image's tokens) the common remedy is to scan the
sequence in several orders and fuse the results, as in Vision Mamba
(Zhu et al., 2024, bidirectional) and VMamba (Liu et al., 2024, four-way
cross-scan over rows and columns).
"""
import inspect
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmext.registry import MODELS
from .mamba import Mamba
from .mamba2 import Mamba2

__all__ = ['MultiDirectionalSSM', 'BiMamba']

SEQ_DIRECTIONS = ('forward', 'backward')
GRID_DIRECTIONS = ('row', 'row_reverse', 'col', 'col_reverse')
DIRECTIONS = SEQ_DIRECTIONS + GRID_DIRECTIONS
SSMS = {'mamba': Mamba, 'mamba2': Mamba2}
FUSIONS = ('sum', 'linear')


def _to_order(x: Tensor, direction: str, hw: Optional[Tuple[int,
                                                            int]]) -> Tensor:
    """Reorder row-major tokens ``(B, L, D)`` into the scan order."""
    if direction in ('col', 'col_reverse'):
        h, w = hw
        x = x.reshape(x.shape[0], h, w, x.shape[-1]).transpose(1, 2)
        x = x.reshape(x.shape[0], h * w, x.shape[-1])
    if direction in ('backward', 'row_reverse', 'col_reverse'):
        x = x.flip(1)
    return x


def _from_order(x: Tensor, direction: str, hw: Optional[Tuple[int,
                                                              int]]) -> Tensor:
    """Inverse of :func:`_to_order`: back to row-major token order."""
    if direction in ('backward', 'row_reverse', 'col_reverse'):
        x = x.flip(1)
    if direction in ('col', 'col_reverse'):
        h, w = hw
        x = x.reshape(x.shape[0], w, h, x.shape[-1]).transpose(1, 2)
        x = x.reshape(x.shape[0], h * w, x.shape[-1])
    return x


@MODELS.register_module()
class MultiDirectionalSSM(nn.Module):
    """Run a Mamba/Mamba2 mixer over several scan orders and fuse them.

    Directions: ``'forward'`` (given order), ``'backward'`` (time-flipped,
    flipped back afterwards); for token grids (``forward(x, hw=(H, W))`` with
    tokens in row-major order) also ``'row'`` (= row-major), ``'row_reverse'``,
    ``'col'`` (column-major) and ``'col_reverse'``. Each output is put back
    into the input order before fusion.

    Args:
        d_model (int): Token width ``D``.
        directions (Sequence[str]): Scan orders, a non-empty subset of
            ``('forward', 'backward', 'row', 'row_reverse', 'col',
            'col_reverse')`` without repeats. Defaults to
            ``('forward', 'backward')``.
        ssm (str): ``'mamba'`` or ``'mamba2'``. Defaults to 'mamba'.
        share_weights (bool): One mixer for all directions (else one each).
            Defaults to False.
        fusion (str): ``'sum'`` of the direction outputs, or ``'linear'``:
            concatenate them and project back to ``D``. Defaults to 'sum'.
        **ssm_kwargs: Passed to the mixer (e.g. ``d_state``, ``backend``).
    """

    def __init__(self,
                 d_model: int,
                 directions: Sequence[str] = ('forward', 'backward'),
                 ssm: str = 'mamba',
                 share_weights: bool = False,
                 fusion: str = 'sum',
                 **ssm_kwargs) -> None:
        super().__init__()
        if isinstance(directions, str):
            directions = (directions, )
        directions = tuple(directions)
        if not directions or len(set(directions)) != len(directions) or any(
                d not in DIRECTIONS for d in directions):
            raise ValueError(
                f'directions must be a non-empty sequence of distinct values '
                f'from {DIRECTIONS}, got {directions}')
        if ssm not in SSMS:
            raise ValueError(f'ssm must be one of {tuple(SSMS)}, got {ssm!r}')
        if fusion not in FUSIONS:
            raise ValueError(f'fusion must be one of {FUSIONS}, '
                             f'got {fusion!r}')
        params = inspect.signature(SSMS[ssm]).parameters
        unknown = sorted(set(ssm_kwargs) - set(params))
        if unknown:
            valid = sorted(k for k in params if k not in ('self', 'd_model'))
            hint = (" ('headdim' is a Mamba-2 argument: use ssm='mamba2')"
                    if 'headdim' in unknown and ssm == 'mamba' else '')
            raise ValueError(
                f'ssm={ssm!r} does not accept {unknown}{hint}; its '
                f'arguments are {valid}')
        self.d_model = d_model
        self.directions = directions
        self.ssm_type = ssm
        self.share_weights = share_weights
        self.fusion = fusion
        n_mixers = 1 if share_weights else len(directions)
        self.mixers = nn.ModuleList(SSMS[ssm](d_model=d_model, **ssm_kwargs)
                                    for _ in range(n_mixers))
        if fusion == 'linear':
            self.fuse = nn.Linear(len(directions) * d_model, d_model)

    def forward(self,
                x: Tensor,
                hw: Optional[Tuple[int, int]] = None) -> Tensor:
        """Scan ``x`` in every direction and fuse.

        Args:
            x (Tensor): ``(B, L, D)``; for grid directions, tokens of an
                ``H x W`` grid in row-major order.
            hw (tuple[int, int], optional): ``(H, W)`` with ``H * W == L``;
                required by the ``'col'``/``'col_reverse'``/``'row'``/
                ``'row_reverse'`` directions.

        Returns:
            Tensor: ``(B, L, D)``.
        """
        if x.dim() != 3:
            raise ValueError(f'x must be (B, L, D), got {tuple(x.shape)}')
        if any(d in GRID_DIRECTIONS for d in self.directions):
            if hw is None:
                raise ValueError(
                    f'directions {self.directions} include grid scans '
                    f'{GRID_DIRECTIONS}: pass hw=(H, W)')
            if len(hw) != 2 or hw[0] * hw[1] != x.shape[1]:
                raise ValueError(f'hw={tuple(hw)} does not match the '
                                 f'{x.shape[1]} tokens (need H * W == L)')
        if self.share_weights:
            # one batched call over all directions
            seqs = [_to_order(x, d, hw) for d in self.directions]
            ys = self.mixers[0](torch.cat(seqs, dim=0)).chunk(
                len(self.directions), dim=0)
        else:
            ys = [
                mixer(_to_order(x, d, hw))
                for mixer, d in zip(self.mixers, self.directions)
            ]
        outs = [_from_order(y, d, hw) for y, d in zip(ys, self.directions)]
        if self.fusion == 'linear':
            return self.fuse(torch.cat(outs, dim=-1))
        return torch.stack(outs, dim=0).sum(dim=0)


class BiMamba(MultiDirectionalSSM):
    """Bidirectional Mamba: ``MultiDirectionalSSM`` with directions
    ``('forward', 'backward')``.

    Args:
        d_model (int): Token width.
        ssm (str): ``'mamba'`` or ``'mamba2'``. Defaults to 'mamba'.
        share_weights (bool): One mixer for both directions. Defaults to
            False.
        fusion (str): ``'sum'`` or ``'linear'``. Defaults to 'sum'.
        **ssm_kwargs: Passed to the mixer.
    """

    def __init__(self,
                 d_model: int,
                 ssm: str = 'mamba',
                 share_weights: bool = False,
                 fusion: str = 'sum',
                 **ssm_kwargs) -> None:
        super().__init__(
            d_model,
            directions=SEQ_DIRECTIONS,
            ssm=ssm,
            share_weights=share_weights,
            fusion=fusion,
            **ssm_kwargs)
