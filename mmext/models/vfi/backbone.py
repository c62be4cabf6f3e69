# Copyright (c) mmext contributors. All rights reserved.
"""Two-frame token backbone: Mamba2 multi-directional scans and gated window
attention over the interleaved tokens of both frames."""
from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from mmext.registry import MODELS
from ..layers import (GatedWindowAttention, ManifoldHyperConnection, Mlp,
                      MultiDirectionalSSM, expand_streams, reduce_streams)

__all__ = ['HybridVFIBackbone', 'interleave_frames', 'split_frames']

MODES = ('hybrid', 'mamba2_only', 'gated_attn_only')


def interleave_frames(f0: Tensor, f1: Tensor) -> Tensor:
    """``(B, C, h, w) x 2 -> (B, h, 2w, C)``: the two frames' tokens side
    by side at every position (``[f0(y, x), f1(y, x)]`` along the row)."""
    x = torch.stack((f0, f1), dim=-1)  # b c h w 2
    b, c, h, w, _ = x.shape
    return x.permute(0, 2, 3, 4, 1).reshape(b, h, 2 * w, c)


def split_frames(x: Tensor) -> Tuple[Tensor, Tensor]:
    """Inverse of :func:`interleave_frames`."""
    b, h, w2, c = x.shape
    x = x.view(b, h, w2 // 2, 2, c).permute(0, 4, 1, 2, 3)
    return x[..., 0].contiguous(), x[..., 1].contiguous()


COL_ORDERS = ('interleaved', 'frame_major')


class _MambaMixer(nn.Module):
    """Mamba2 over the interleaved token grid, in several scan orders.

    Row scans of the ``h x 2w`` grid alternate the two frames at every
    position. Column scans do too with ``col_order='interleaved'``
    (``f0(0, x), f1(0, x), f0(1, x), f1(1, x), ...``, as VFIMamba's
    interleaved scans); ``'frame_major'`` scans the grid's columns as they
    are (frame 0's column ``x``, then frame 1's). ``scan_stride > 1`` scans
    each frame's map average-pooled by that factor (the two frames still
    interleaved) and upsamples the result (nearest): ``stride^2`` times
    fewer tokens per scan.
    """

    def __init__(self, dims: int, directions: Sequence[str], ssm_cfg: Dict,
                 col_order: str = 'interleaved',
                 scan_stride: int = 1) -> None:
        super().__init__()
        self.ssm = MultiDirectionalSSM(
            dims, directions=directions, ssm='mamba2', **ssm_cfg)
        self.col_order = col_order
        self.scan_stride = scan_stride

    def _scan(self, x: Tensor) -> Tensor:
        b, h, w2, c = x.shape
        if self.col_order == 'frame_major':
            return self.ssm(x.reshape(b, h * w2, c), hw=(h, w2)).view(
                b, h, w2, c)
        # the interleaved column grid: row-major over (x, y, frame)
        xt = x.view(b, h, w2 // 2, 2, c).transpose(1, 2).reshape(
            b, w2 // 2 * h * 2, c)
        rows = x.reshape(b, h * w2, c)
        out = 0
        for i, d in enumerate(self.ssm.directions):
            mixer = self.ssm.mixers[0 if self.ssm.share_weights else i]
            rev = d in ('row_reverse', 'col_reverse', 'backward')
            seq = xt if d in ('col', 'col_reverse') else rows
            y = mixer(seq.flip(1) if rev else seq)
            y = y.flip(1) if rev else y
            if d in ('col', 'col_reverse'):
                y = y.view(b, w2 // 2, h, 2, c).transpose(1, 2)
            out = out + y.reshape(b, h, w2, c)
        return out

    def forward(self, x: Tensor) -> Tensor:
        s = self.scan_stride
        if s == 1:
            return self._scan(x)
        # each frame's map average-pooled s x s, still interleaved, on the
        # token grid itself: (b, h, w, frame, c) -> mean over s x s
        b, h, w2, c = x.shape
        w = w2 // 2
        # (a sum of s^2 strided slices: torch's mean over two non-adjacent
        # axes is far slower on the CPU)
        v = x.view(b, h // s, s, w // s, s, 2, c)
        pooled = sum(v[:, :, i, :, j] for i in range(s) for j in range(s))
        pooled = pooled * (1.0 / (s * s))
        y = self._scan(pooled.reshape(b, h // s, 2 * (w // s), c))
        # nearest upsampling of each frame's map, interleaved again
        y = y.view(b, h // s, 1, w // s, 1, 2, c).expand(
            b, h // s, s, w // s, s, 2, c)
        return y.reshape(b, h, w2, c)


@MODELS.register_module()
class HybridVFIBackbone(nn.Module):
    """Token mixer over two frames' feature maps.

    The two ``(B, C, h, w)`` maps are interleaved into one ``h x 2w`` token
    grid (:func:`interleave_frames`), so a row-major scan alternates
    between the frames at each position and an attention window of
    ``(ws, 2 ws)`` tokens covers the same ``ws x ws`` patch of both frames.
    Every block is ``x + mixer(LN(x))`` then ``x + MLP(LN(x))``; the mixer is

    * ``'hybrid'``: alternately Mamba2 (multi-directional scans from
      :class:`~mmext.models.layers.MultiDirectionalSSM`) and gated window
      attention (every second attention block shifted by half a window);
    * ``'mamba2_only'``: Mamba2 in every block;
    * ``'gated_attn_only'``: gated window attention in every block.

    With ``use_mhc=True`` every residual connection is a
    :class:`~mmext.models.layers.ManifoldHyperConnection` over
    ``num_streams`` streams (copies of the input at the start, their mean
    at the end); connection ``k`` (mixer ``2 i``, MLP ``2 i + 1`` of block
    ``i``) reads and writes stream ``k mod n`` most at init (the
    hyper-connection reference initialisation, see
    :class:`~mmext.models.layers.ManifoldHyperConnection`), so the streams
    differ from the first block on.

    Args:
        embed_dims (int): Token width C. Defaults to 32.
        depth (int): Blocks. Defaults to 4.
        mode (str): One of ``('hybrid', 'mamba2_only', 'gated_attn_only')``.
            Defaults to 'hybrid'.
        num_heads (int): Attention heads. Defaults to 2.
        window_size (int): Attention window edge ``ws`` in tokens of one
            frame (even). Defaults to 8.
        gate (str): Attention gate, see
            :class:`~mmext.models.layers.GatedWindowAttention`.
            Defaults to 'elementwise'.
        directions (Sequence[str]): Mamba2 scan orders over the grid.
            Defaults to the four VMamba-style row/column scans.
        col_order (str): ``'interleaved'`` (column scans alternate the two
            frames at every position, as the row scans do) or
            ``'frame_major'`` (the grid's columns as they are: frame 0's
            column, then frame 1's; the former behaviour).
            Defaults to 'interleaved'.
        rel_pos_bias (bool): Relative position bias in the attention
            (:class:`~mmext.models.layers.GatedWindowAttention`).
            Defaults to False.
        scan_stride (int): Scan the frames' maps average-pooled by this
            factor (``window_size`` must be a multiple of it); the output
            is upsampled. Defaults to 1.
        ssm_cfg (dict, optional): Mamba2 arguments. Defaults to
            ``dict(d_state=16, headdim=16, expand=2, chunk_size=64)``.
        mlp_ratio (float): MLP hidden ratio. Defaults to 2.
        use_mhc (bool): mHC residuals. Defaults to False.
        num_streams (int): mHC streams n. Defaults to 4.
        mhc_cfg (dict, optional): Other ManifoldHyperConnection arguments.
    """

    def __init__(self,
                 embed_dims: int = 32,
                 depth: int = 4,
                 mode: str = 'hybrid',
                 num_heads: int = 2,
                 window_size: int = 8,
                 gate: str = 'elementwise',
                 directions: Sequence[str] = ('row', 'row_reverse', 'col',
                                              'col_reverse'),
                 ssm_cfg: Optional[Dict] = None,
                 col_order: str = 'interleaved',
                 scan_stride: int = 1,
                 rel_pos_bias: bool = False,
                 mlp_ratio: float = 2.0,
                 use_mhc: bool = False,
                 num_streams: int = 4,
                 mhc_cfg: Optional[Dict] = None) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f'HybridVFIBackbone: mode must be one of '
                             f'{MODES}, got {mode!r}')
        if window_size % 2:
            raise ValueError(f'HybridVFIBackbone: window_size must be even '
                             f'(the shift is half a window), got '
                             f'{window_size}')
        if col_order not in COL_ORDERS:
            raise ValueError(f'HybridVFIBackbone: col_order must be one of '
                             f'{COL_ORDERS}, got {col_order!r}')
        if scan_stride < 1 or window_size % scan_stride:
            raise ValueError(f'HybridVFIBackbone: scan_stride must be >= 1 '
                             f'and divide window_size={window_size}, got '
                             f'{scan_stride}')
        if depth < 1:
            raise ValueError(f'HybridVFIBackbone: depth must be >= 1, got '
                             f'{depth}')
        ssm_cfg = {
            **dict(d_state=16, headdim=16, expand=2, chunk_size=64),
            **(ssm_cfg or {})
        }
        self.mode = mode
        self.embed_dims = embed_dims
        self.window_size = window_size
        self.use_mhc = use_mhc
        self.num_streams = num_streams
        self.kinds = []
        self.mixers = nn.ModuleList()
        self.norms1 = nn.ModuleList()
        self.norms2 = nn.ModuleList()
        self.mlps = nn.ModuleList()
        n_attn = 0
        for i in range(depth):
            if mode == 'mamba2_only' or (mode == 'hybrid' and i % 2 == 0):
                kind = 'mamba2'
                mixer = _MambaMixer(embed_dims, directions, ssm_cfg,
                                    col_order, scan_stride)
            else:
                kind = 'attn'
                shift = (window_size // 2, window_size) if n_attn % 2 else 0
                mixer = GatedWindowAttention(
                    embed_dims, num_heads=num_heads,
                    window_size=(window_size, 2 * window_size),
                    shift_size=shift, gate=gate, rel_pos_bias=rel_pos_bias)
                n_attn += 1
            self.kinds.append(kind)
            self.mixers.append(mixer)
            self.norms1.append(nn.LayerNorm(embed_dims))
            self.norms2.append(nn.LayerNorm(embed_dims))
            self.mlps.append(Mlp(embed_dims, int(embed_dims * mlp_ratio)))
        if use_mhc:
            self.hc = nn.ModuleList(
                ManifoldHyperConnection(
                    embed_dims, num_streams=num_streams, layer_index=k,
                    **(mhc_cfg or {})) for k in range(2 * depth))
        self.norm_out = nn.LayerNorm(embed_dims)

    @property
    def multiple(self) -> int:
        """Feature maps' ``h`` and ``w`` must be multiples of this."""
        return self.window_size

    def forward(self, f0: Tensor, f1: Tensor) -> Tuple[Tensor, Tensor]:
        """Mix the two frames' features.

        Args:
            f0 (Tensor): ``(B, C, h, w)``, ``h``/``w`` multiples of
                ``window_size``.
            f1 (Tensor): Same shape.

        Returns:
            tuple[Tensor, Tensor]: The mixed maps, same shapes.
        """
        h, w = f0.shape[-2:]
        if h % self.window_size or w % self.window_size:
            raise ValueError(
                f'HybridVFIBackbone: feature map {h}x{w} is not a multiple '
                f'of window_size={self.window_size} (pad the frames)')
        x = interleave_frames(f0, f1)
        if self.use_mhc:
            x = expand_streams(x, self.num_streams)  # b h w n c
        for i, mixer in enumerate(self.mixers):
            norm1, norm2, mlp = self.norms1[i], self.norms2[i], self.mlps[i]
            if self.use_mhc:
                # the block sees the (b, h, w, c) mix of the streams
                x = self.hc[2 * i](x, lambda t: mixer(norm1(t)))
                x = self.hc[2 * i + 1](x, lambda t: mlp(norm2(t)))
            else:
                x = x + mixer(norm1(x))
                x = x + mlp(norm2(x))
        if self.use_mhc:
            x = reduce_streams(x)
        return split_frames(self.norm_out(x))
