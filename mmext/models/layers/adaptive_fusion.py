# Copyright (c) mmext contributors. All rights reserved.
"""Adaptive fusion: a learned per-token softmax over N feature streams."""
from typing import Sequence

import torch
from torch import Tensor, nn

__all__ = ['AdaptiveFusion']


class AdaptiveFusion(nn.Linear):
    """Fuse ``N`` streams with per-token weights ``softmax(W [x_1..x_N])``.

    ``alpha = softmax(Linear(cat(x_1, ..., x_N)))`` over the stream axis and
    ``out = sum_i alpha_i * x_i``. With ``N = 2`` this is the adaptive fusion
    of MotionBERT / MotionAGFormer: it *is* an ``nn.Linear(N * C, N)`` (so
    the upstream key names ``fusion.weight`` / ``fusion.bias`` are kept),
    initialised to weight 0 and bias 0.5, i.e. equal weights at start.

    Args:
        embed_dims (int): Channels ``C`` of every stream.
        num_streams (int): Number of streams ``N``. Defaults to 2.
    """

    def __init__(self, embed_dims: int, num_streams: int = 2) -> None:
        if num_streams < 2:
            raise ValueError(
                f'num_streams must be >= 2 to fuse, got {num_streams}')
        super().__init__(embed_dims * num_streams, num_streams)
        self.embed_dims = embed_dims
        self.num_streams = num_streams
        nn.init.zeros_(self.weight)
        nn.init.constant_(self.bias, 0.5)

    def fusion_weights(self, streams: Sequence[Tensor]) -> Tensor:
        """Per-token stream weights.

        Args:
            streams (Sequence[Tensor]): ``N`` tensors ``(..., C)``.

        Returns:
            Tensor: ``(..., N)``, non-negative, summing to 1 over the last
            axis.
        """
        if len(streams) != self.num_streams:
            raise ValueError(f'expected {self.num_streams} streams, got '
                             f'{len(streams)}')
        return super().forward(torch.cat(list(streams), dim=-1)).softmax(-1)

    def forward(self, streams: Sequence[Tensor]) -> Tensor:
        """Fuse the streams.

        Args:
            streams (Sequence[Tensor]): ``N`` tensors ``(..., C)``.

        Returns:
            Tensor: ``(..., C)``.
        """
        alpha = self.fusion_weights(streams)
        out = streams[0] * alpha[..., 0:1]
        for i in range(1, self.num_streams):
            out = out + streams[i] * alpha[..., i:i + 1]
        return out
