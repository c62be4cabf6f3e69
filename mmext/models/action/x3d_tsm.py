# Copyright (c) mmext contributors. All rights reserved.
"""X3D with a 3D temporal-shift module in every residual branch.

mmaction2 ships the Temporal Shift Module (Lin et al., "TSM: Temporal Shift
Module for Efficient Video Understanding", ICCV 2019) only for 2D networks
(``ResNetTSM``, which folds time into the batch). :class:`TemporalShift3D`
shifts channels along the time axis of a 5D ``(N, C, T, H, W)`` tensor, so it
can sit inside a 3D network. :class:`X3DTSM` is mmaction2's ``X3D`` (Feichten-
hofer, "X3D: Expanding Architectures for Efficient Video Recognition", CVPR
2020) whose ``BlockX3D`` residual branches start with that shift ("residual
shift": the identity path is not shifted). The parameter names are exactly
those of mmaction2's ``X3D`` - the shift has no parameters - so X3D
checkpoints load into :class:`X3DTSM` unchanged.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmaction.models.backbones.x3d import X3D, BlockX3D
from mmaction.registry import MODELS

__all__ = ['TemporalShift3D', 'temporal_shift_3d', 'BlockX3DTSM', 'X3DTSM']


def temporal_shift_3d(x: torch.Tensor, shift_div: int) -> torch.Tensor:
    """Shift a fraction of the channels of ``x`` by one step along time.

    With ``fold = C // shift_div``, channels ``[0, fold)`` move one frame
    forward in time (frame ``t`` receives frame ``t - 1``), channels
    ``[fold, 2 * fold)`` move one frame backward (frame ``t`` receives
    frame ``t + 1``) and the rest are unchanged. Vacated frames are zero.

    Args:
        x (torch.Tensor): ``(N, C, T, H, W)``.
        shift_div (int): Inverse of the fraction of channels shifted each way.

    Returns:
        torch.Tensor: Same shape as ``x``.
    """
    if x.dim() != 5:
        raise ValueError('temporal_shift_3d expects x of shape (N, C, T, H, '
                         f'W), got {tuple(x.shape)}')
    fold = x.size(1) // shift_div
    if fold == 0 or x.size(2) < 2:
        return x
    fwd, bwd, keep = x[:, :fold], x[:, fold:2 * fold], x[:, 2 * fold:]
    zeros = fwd.new_zeros(fwd[:, :, :1].shape)
    fwd = torch.cat([zeros, fwd[:, :, :-1]], dim=2)  # t <- t - 1
    bwd = torch.cat([bwd[:, :, 1:], zeros], dim=2)  # t <- t + 1
    return torch.cat([fwd, bwd, keep], dim=1)


class TemporalShift3D(nn.Module):
    """Parameter-free temporal shift for ``(N, C, T, H, W)`` tensors.

    Args:
        shift_div (int): ``1 / shift_div`` of the channels shift forward in
            time and as many backward. Must be >= 2. Defaults to 8 (the TSM
            paper's 1/8 + 1/8).
    """

    def __init__(self, shift_div: int = 8) -> None:
        super().__init__()
        if not isinstance(shift_div, int) or shift_div < 2:
            raise ValueError('TemporalShift3D: shift_div must be an int >= 2 '
                             f'(fraction 1/shift_div shifted each way), got '
                             f'{shift_div!r}')
        self.shift_div = shift_div

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Shift ``x`` (N, C, T, H, W) along T."""
        return temporal_shift_3d(x, self.shift_div)

    def extra_repr(self) -> str:
        return f'shift_div={self.shift_div}'


class BlockX3DTSM(BlockX3D):
    """mmaction2's ``BlockX3D`` with a temporal shift before ``conv1``.

    Args:
        *args: Positional arguments of ``BlockX3D``.
        shift_div (int): See :class:`TemporalShift3D`. Defaults to 8.
        **kwargs: Keyword arguments of ``BlockX3D``.
    """

    def __init__(self, *args, shift_div: int = 8, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.temporal_shift = TemporalShift3D(shift_div)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Residual block: shift -> 1x1x1 -> dw 3x3x3 (-> SE) -> swish ->
        1x1x1, plus the (un-shifted) identity."""

        def _inner_forward(x):
            identity = x
            out = self.conv1(self.temporal_shift(x))
            out = self.conv2(out)
            if self.se_ratio is not None:
                out = self.se_module(out)
            out = self.swish(out)
            out = self.conv3(out)
            if self.downsample is not None:
                identity = self.downsample(x)
            return out + identity

        if self.with_cp and x.requires_grad:
            out = cp.checkpoint(_inner_forward, x, use_reentrant=False)
        else:
            out = _inner_forward(x)
        return self.relu(out)


@MODELS.register_module()
class X3DTSM(X3D):
    """X3D backbone whose residual blocks start with a 3D temporal shift.

    Takes every argument of mmaction2's ``X3D`` (``gamma_w``, ``gamma_b``,
    ``gamma_d``, ``in_channels``, ``spatial_strides``, ``se_ratio`` ...).
    X3D-M width/depth: ``gamma_w=1, gamma_b=2.25, gamma_d=2.2`` (X3D-S and
    X3D-XS have the same widths and depths; they differ in input size).

    Args:
        shift_div (int): Shift ``1/shift_div`` of the channels each way in
            every block; ``0`` builds plain ``BlockX3D`` blocks (X3D without
            temporal shift, same parameters). Defaults to 8.
        shift_stages (tuple[int], optional): 0-based indices of the stages
            whose blocks shift; ``None`` means all stages. Defaults to None.
        **kwargs: Arguments of mmaction2's ``X3D``.
    """

    def __init__(self,
                 shift_div: int = 8,
                 shift_stages: Optional[tuple] = None,
                 **kwargs) -> None:
        if not isinstance(shift_div, int) or shift_div == 1 or shift_div < 0:
            raise ValueError('X3DTSM: shift_div must be 0 (no shift) or an '
                             f'int >= 2, got {shift_div!r}')
        num_stages = kwargs.get('num_stages', 4)
        if shift_stages is not None:
            bad = [s for s in shift_stages if not 0 <= s < num_stages]
            if bad:
                raise ValueError(
                    f'X3DTSM: shift_stages {tuple(shift_stages)} has indices '
                    f'{bad} outside the valid stages 0..{num_stages - 1}')
        # X3D.__init__ builds the stages through make_res_layer; the counter
        # tells the override which stage it is building.
        self._stage_counter = [0]
        self._shift_cfg = (shift_div, shift_stages)
        super().__init__(**kwargs)
        self.shift_div = shift_div
        self.shift_stages = shift_stages
        del self._stage_counter, self._shift_cfg

    def make_res_layer(self, block, *args, **kwargs) -> nn.Module:
        """Build one stage with :class:`BlockX3DTSM` where shifting."""
        shift_div, shift_stages = self._shift_cfg
        stage = self._stage_counter[0]
        self._stage_counter[0] += 1
        if shift_div and (shift_stages is None or stage in shift_stages):
            block = BlockX3DTSM
            kwargs['shift_div'] = shift_div
        return super().make_res_layer(block, *args, **kwargs)

    def train(self, mode: bool = True) -> 'X3DTSM':
        """Like ``X3D.train`` (frozen stages, ``norm_eval``) but returns
        ``self`` as ``nn.Module.train`` should (mmaction2's returns None)."""
        super().train(mode)
        return self
