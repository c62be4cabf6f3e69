# Copyright (c) mmext contributors. All rights reserved.
"""Multi-scale temporal convolution (MS-TCN) over skeleton sequences."""
from typing import Sequence, Union

import torch
from einops import rearrange
from torch import Tensor, nn

__all__ = ['TemporalConv', 'MultiScaleTCN']


class TemporalConv(nn.Module):
    """``(k, 1)`` convolution along time followed by BatchNorm.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Temporal kernel size.
        stride (int): Temporal stride. Defaults to 1.
        dilation (int): Temporal dilation. Defaults to 1.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 dilation: int = 1) -> None:
        super().__init__()
        pad = (kernel_size + (kernel_size - 1) * (dilation - 1) - 1) // 2
        self.conv = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size=(kernel_size, 1),
            padding=(pad, 0),
            stride=(stride, 1),
            dilation=(dilation, 1))
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C, T, J) -> (B, C', T', J)``."""
        return self.bn(self.conv(x))


class MultiScaleTCN(nn.Module):
    """Multi-scale TCN of MS-G3D / MotionAGFormer's ``use_tcn`` option.

    ``len(dilations)`` dilated temporal-conv branches, a max-pool branch and
    a 1x1 branch, concatenated along channels, plus a residual. Module names
    (``branches.{i}.{j}``, ``residual``) match ``MultiScaleTCN`` in
    TaatiTeam/MotionAGFormer (``model/modules/tcn.py``).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels, a multiple of
            ``len(dilations) + 2``.
        kernel_size (int | Sequence[int]): Temporal kernel size (per
            dilated branch). Defaults to 5.
        stride (int): Temporal stride. Defaults to 1.
        dilations (Sequence[int]): Dilations of the conv branches. Defaults
            to ``(1, 2)``.
        residual (bool): Whether to add a residual. Defaults to True.
        residual_kernel_size (int): Kernel of the projecting residual.
            Defaults to 1.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: Union[int, Sequence[int]] = 5,
                 stride: int = 1,
                 dilations: Sequence[int] = (1, 2),
                 residual: bool = True,
                 residual_kernel_size: int = 1) -> None:
        super().__init__()
        num_branches = len(dilations) + 2
        if out_channels % num_branches != 0:
            raise ValueError(
                f'out_channels ({out_channels}) must be a multiple of the '
                f'number of branches ({num_branches})')
        if isinstance(kernel_size, int):
            kernel_size = [kernel_size] * len(dilations)
        if len(kernel_size) != len(dilations):
            raise ValueError(
                f'kernel_size has {len(kernel_size)} entries but dilations '
                f'has {len(dilations)}')
        ch = out_channels // num_branches

        self.branches = nn.ModuleList([
            nn.Sequential(
                nn.Conv2d(in_channels, ch, kernel_size=1),
                nn.BatchNorm2d(ch), nn.ReLU(inplace=True),
                TemporalConv(ch, ch, ks, stride=stride, dilation=dil))
            for ks, dil in zip(kernel_size, dilations)
        ])
        self.branches.append(
            nn.Sequential(
                nn.Conv2d(in_channels, ch, kernel_size=1), nn.BatchNorm2d(ch),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(
                    kernel_size=(3, 1), stride=(stride, 1), padding=(1, 0)),
                nn.BatchNorm2d(ch)))
        self.branches.append(
            nn.Sequential(
                nn.Conv2d(
                    in_channels, ch, kernel_size=1, stride=(stride, 1)),
                nn.BatchNorm2d(ch)))

        self.use_residual = residual
        if residual and not (in_channels == out_channels and stride == 1):
            self.residual = TemporalConv(
                in_channels,
                out_channels,
                kernel_size=residual_kernel_size,
                stride=stride)
        else:
            self.residual = None

    def forward(self, x: Tensor) -> Tensor:
        """Convolve along time.

        Args:
            x (Tensor): ``(B, T, J, C)``.

        Returns:
            Tensor: ``(B, T', J, out_channels)``.
        """
        x = rearrange(x, 'b t j c -> b c t j')
        out = torch.cat([branch(x) for branch in self.branches], dim=1)
        if self.residual is not None:
            out = out + self.residual(x)
        elif self.use_residual:
            out = out + x
        return rearrange(out, 'b c t j -> b t j c')
