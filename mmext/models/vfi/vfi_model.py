# Copyright (c) mmext contributors. All rights reserved.
"""Flow-based frame interpolation with the hybrid Mamba2 / gated-attention
backbone."""
import math
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor, BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

from mmext.registry import MODELS
from ..layers import backward_warp, local_correlation, resize_flow

__all__ = [
    'VFIModel', 'VFIDataPreprocessor', 'pad_to_multiple', 'PHASE2_NEW_LAYERS'
]

#: State-dict keys (fnmatch patterns) that ``feature_warp=True`` adds to a
#: phase-1 model; the phase-2 config's ``load_from_allow_mismatch``.
PHASE2_NEW_LAYERS = ('flow_refine.*', 'refine.mid_extra.*')

MULTI_MODES = ('recursive', 'direct')


def pad_to_multiple(x: Tensor, multiple: int):
    """Replicate-pad ``(..., H, W)`` (split evenly, as the benchmark
    scripts' ``InputPadder``) to multiples of ``multiple``.

    Returns:
        tuple: The padded tensor and ``(left, right, top, bottom)``.
    """
    h, w = x.shape[-2:]
    ph = (-h) % multiple
    pw = (-w) % multiple
    pad = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)
    if ph or pw:
        shape = x.shape
        x = F.pad(x.reshape(-1, *shape[-3:]), pad, mode='replicate')
        x = x.view(*shape[:-2], *x.shape[-2:])
    return x, pad


def _crop(x: Tensor, pad) -> Tensor:
    left, right, top, bottom = pad
    h, w = x.shape[-2:]
    return x[..., top:h - bottom, left:w - right]


@MODELS.register_module()
class VFIDataPreprocessor(BaseDataPreprocessor):
    """Stack the frame pairs and scale 8-bit images to ``[0, 1]``.

    ``inputs``: per sample a ``(2, 3, H, W)`` tensor (uint8, or float in
    ``[0, 1]``); the ground truth ``gt_img`` of each data sample likewise.
    """

    @staticmethod
    def _to_float(x: Tensor) -> Tensor:
        return x.float() / 255.0 if x.dtype == torch.uint8 else x.float()

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        inputs = self._to_float(inputs)
        samples = data.get('data_samples')
        if samples is not None:
            for s in samples:
                if 'gt_img' in s:
                    s.gt_img = self._to_float(s.gt_img)
        return dict(inputs=inputs, data_samples=samples)


def _channels_last(x: Tensor) -> Tensor:
    """The convolutions' memory order: NHWC. Same values (tested); on the
    CPU oneDNN's full-resolution 3x3 and transposed convolutions run
    faster on it than on NCHW (docs/benchmarks.md, "VFI beside
    EMA-VFI-small"). A no-op when ``x`` is already NHWC."""
    return x.contiguous(memory_format=torch.channels_last)


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1), nn.PReLU(cout))


class _Encoder(nn.Module):
    """Shared per-frame CNN to 1/4 resolution (``cin`` input channels: 3,
    or 6 for the joint stem's frame pair)."""

    def __init__(self, dims: int, cin: int = 3) -> None:
        super().__init__()
        half = max(dims // 2, 8)
        self.net = nn.Sequential(
            _conv(cin, half, 2), _conv(half, half), _conv(half, dims, 2),
            _conv(dims, dims))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(_channels_last(x))


class _FlowHead(nn.Module):
    """Predicts ``(flow_t0, flow_t1, mask logit)`` (5 channels).

    ``zero_init``: the last convolution starts at zero, so a head that
    predicts a residual update (phase 2's ``flow_refine``) starts as no
    update and a model warm-started from phase 1 keeps phase 1's output.
    """

    def __init__(self, cin: int, hidden: int,
                 zero_init: bool = False) -> None:
        super().__init__()
        self.net = nn.Sequential(
            _conv(cin, hidden), _conv(hidden, hidden),
            nn.Conv2d(hidden, 5, 3, 1, 1))
        if zero_init:
            nn.init.zeros_(self.net[-1].weight)
            nn.init.zeros_(self.net[-1].bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(_channels_last(x))


def _resize(x: Tensor, size) -> Tensor:
    """Bilinear resize (``align_corners=False``); unchanged at its size."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size, mode='bilinear', align_corners=False)


def _resize_flows(flow: Tensor, size) -> Tensor:
    """``(B, 4, h, w)`` pair of flows resized to ``size``, vectors scaled."""
    return torch.cat((resize_flow(flow[:, :2], size),
                      resize_flow(flow[:, 2:], size)), 1)


class _IFBlock(nn.Module):
    """Coarse-to-fine flow refinement at a finer level, after RIFE's IFBlock
    (Huang et al., ECCV 2022) and EMA-VFI's multi-scale heads: from both
    frames, their backward warps by the current flows, the mask logit, the
    flows and ``t`` (all at this level's resolution) it predicts a residual
    ``(dflow_t0, dflow_t1, dmask)`` at this level; it works at half this
    level's resolution inside. The last layer starts at zero (no update)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            _conv(3 * 4 + 1 + 4 + 1, hidden, 2), _conv(hidden, hidden),
            _conv(hidden, hidden), nn.ConvTranspose2d(hidden, 5, 4, 2, 1))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, img0: Tensor, img1: Tensor, flow: Tensor,
                mask: Tensor, t: Tensor):
        w0 = backward_warp(img0, flow[:, :2])
        w1 = backward_warp(img1, flow[:, 2:])
        tmap = t.view(-1, 1, 1, 1).expand(-1, 1, *img0.shape[-2:])
        d = self.net(
            _channels_last(
                torch.cat((img0, img1, w0, w1, mask, flow / 20., tmap), 1)))
        return flow + d[:, :4], mask + d[:, 4:]


class _Refine(nn.Module):
    """Small U-Net predicting a residual in ``[-1, 1]`` at full resolution.

    Optional extra features (phase 2's warped backbone features) join at
    its 1/4-resolution bottleneck through their own convolution
    ``mid_extra``, added to ``mid``'s before its activation; that is
    ``mid`` over the concatenation, split by input channels, so ``mid``
    keeps phase 1's shape and loads from a phase-1 checkpoint, and
    ``mid_extra`` starts at zero (phase 2 starts as phase 1). A checkpoint
    of the former layout (one ``mid.0`` over the concatenation) is split
    when it loads.
    """

    def __init__(self, cin: int, dims: int, extra: int = 0) -> None:
        super().__init__()
        self.dims = dims
        self.extra = extra
        self.down1 = nn.Sequential(_conv(cin, dims, 2), _conv(dims, dims))
        self.down2 = nn.Sequential(
            _conv(dims, 2 * dims, 2), _conv(2 * dims, 2 * dims))
        self.mid = _conv(2 * dims, 2 * dims)
        if extra:
            self.mid_extra = nn.Conv2d(extra, 2 * dims, 3, 1, 1, bias=False)
            nn.init.zeros_(self.mid_extra.weight)
        self.up2 = nn.ConvTranspose2d(2 * dims, dims, 4, 2, 1)
        self.fuse = _conv(2 * dims, dims)
        self.up1 = nn.ConvTranspose2d(dims, dims, 4, 2, 1)
        self.out = nn.Conv2d(dims + cin, 3, 3, 1, 1)
        # zero residual at the start: the prediction begins as the
        # mask-fused warped frames
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        key = prefix + 'mid.0.weight'
        w = state_dict.get(key)
        if (self.extra and w is not None
                and prefix + 'mid_extra.weight' not in state_dict
                and w.shape[1] == 2 * self.dims + self.extra):
            state_dict[key] = w[:, :2 * self.dims]
            state_dict[prefix + 'mid_extra.weight'] = w[:, 2 * self.dims:]
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, x: Tensor, extra: Optional[Tensor] = None) -> Tensor:
        x = _channels_last(x)
        d1 = self.down1(x)
        d2 = self.down2(d1)
        if extra is not None:
            m = self.mid[1](
                self.mid[0](d2) + self.mid_extra(_channels_last(extra)))
        else:
            m = self.mid(d2)
        u = self.fuse(torch.cat((self.up2(m), d1), 1))
        u = self.up1(u)
        return torch.sigmoid(self.out(torch.cat((u, x), 1))) * 2 - 1


@MODELS.register_module()
class VFIModel(BaseModel):
    """Flow-based frame interpolation at arbitrary time ``t``.

    1. A shared CNN encodes both frames to 1/4 resolution.
    2. The backbone (:class:`HybridVFIBackbone`) mixes the two frames'
       tokens.
    3. A flow head predicts the backward flows ``F_t->0``, ``F_t->1`` and a
       fusion-mask logit from both feature maps and ``t``.
    4. Phase 2 (``feature_warp=True``): the backbone features are
       backward-warped by those flows and a second head predicts a
       residual update of flows and mask from the warped features; the
       warped features also join the refinement network. Both new paths
       start at zero (``flow_refine``'s last convolution,
       ``refine.mid_extra``), and every phase-1 weight keeps its shape, so
       phase 2 loaded from a phase-1 checkpoint starts with phase 1's
       output (:data:`PHASE2_NEW_LAYERS` are the only new keys).
    5. Both frames are backward-warped at full resolution, fused by the
       sigmoid mask, and a refinement U-Net adds a residual.

    ``flow_scale < 1`` (``test_cfg``) is the high-resolution path: steps 1-4
    run on frames resized by ``flow_scale`` and the flows are upsampled to
    full resolution for steps 5.

    Args:
        backbone (dict): Backbone config (``type='HybridVFIBackbone'``).
        embed_dims (int): Encoder width; must equal the backbone's.
            Defaults to 32.
        flow_dims (int): Flow-head width. Defaults to 48.
        refine_dims (int): Refinement width. Defaults to 16.
        feature_warp (bool): Phase-2 flow-guided feature warping.
            Defaults to False.
        corr_radius (int): ``> 0``: a motion-feature path, the local
            correlation (:func:`~mmext.models.layers.local_correlation`) of
            the backbone's two maps over displacements up to this radius
            (1/4-resolution pixels), joins the flow head's input.
            Defaults to 0 (off).
        refine_scales (Sequence[int]): Coarse-to-fine flow refinement:
            one :class:`_IFBlock` per entry, each at ``1/s`` of the
            flow-estimation resolution: ``(2, )`` (one step at 1/2 after
            the 1/4-resolution heads), ``(1, )`` or ``(2, 1)``.
            Defaults to () (off).
        joint_stem (bool): Both frames meet in the encoder's first layer:
            frame ``i``'s features are ``encoder([I_i, I_other])`` (six
            input channels, shared weights, the pair's order swapped for
            the other frame, so swapping the frames swaps the maps), instead
            of each frame shrunk to 1/4 on its own before the backbone
            interleaves them. Defaults to False (the per-frame encoder).
        losses (Sequence[dict]): Loss configs; each term is logged as
            ``loss_<name>``. Defaults to Laplacian L1 and census.
        data_preprocessor (dict, optional): Defaults to
            ``VFIDataPreprocessor``.
        test_cfg (dict, optional): ``pad_multiple`` (int, default the
            model's multiple), ``flow_scale`` (float, 1.0), ``multi``
            (``'recursive'`` | ``'direct'``: how a ``t`` other than 0.5 is
            reached, default ``'direct'``).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 embed_dims: int = 32,
                 flow_dims: int = 48,
                 refine_dims: int = 16,
                 feature_warp: bool = False,
                 corr_radius: int = 0,
                 refine_scales: Sequence[int] = (),
                 joint_stem: bool = False,
                 losses: Sequence[dict] = (
                     dict(type='LaplacianPyramidLoss', loss_weight=1.0),
                     dict(type='CensusLoss', loss_weight=1.0)),
                 data_preprocessor: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor
            or dict(type='mmext.VFIDataPreprocessor'),
            init_cfg=init_cfg)
        self.joint_stem = joint_stem
        self.encoder = _Encoder(embed_dims, 6 if joint_stem else 3)
        self.backbone = MODELS.build(backbone)
        if getattr(self.backbone, 'embed_dims', embed_dims) != embed_dims:
            raise ValueError(
                f'VFIModel: backbone.embed_dims '
                f'({self.backbone.embed_dims}) must equal embed_dims '
                f'({embed_dims})')
        self.feature_warp = feature_warp
        if corr_radius < 0:
            raise ValueError(f'VFIModel: corr_radius must be >= 0, got '
                             f'{corr_radius}')
        self.corr_radius = corr_radius
        self.flow_head = _FlowHead(
            2 * embed_dims + 1 + (2 * corr_radius + 1)**2 * (corr_radius > 0),
            flow_dims)
        if feature_warp:
            self.flow_refine = _FlowHead(2 * embed_dims + 5 + 1, flow_dims,
                                         zero_init=True)
        self.refine_scales = tuple(int(v) for v in refine_scales)
        if not set(self.refine_scales) <= {1, 2} or len(
                set(self.refine_scales)) != len(self.refine_scales) or list(
                    self.refine_scales) != sorted(self.refine_scales,
                                                  reverse=True):
            raise ValueError(f'VFIModel: refine_scales must be (2, ), (1, ) '
                             f'or (2, 1), got {tuple(refine_scales)}')
        self.flow_levels = nn.ModuleList(
            _IFBlock(flow_dims) for _ in self.refine_scales)
        self.refine = _Refine(3 * 5 + 1 + 4, refine_dims,
                              extra=2 * embed_dims if feature_warp else 0)
        self.loss_names, self.losses = [], nn.ModuleList()
        for cfg in losses:
            cfg = dict(cfg)
            name = cfg.pop('name', None) or _loss_name(cfg['type'])
            self.loss_names.append(name)
            self.losses.append(MODELS.build(cfg))
        self.test_cfg = dict(test_cfg or {})
        multi = self.test_cfg.get('multi', 'direct')
        if multi not in MULTI_MODES:
            raise ValueError(f'VFIModel: test_cfg.multi must be one of '
                             f'{MULTI_MODES}, got {multi!r}')
        scale = float(self.test_cfg.get('flow_scale', 1.0))
        if not 0 < scale <= 1:
            raise ValueError(f'VFIModel: test_cfg.flow_scale must be in '
                             f'(0, 1], got {scale}')

    def init_weights(self) -> None:
        """mmengine's init, then the losses' own (VGG19 weights)."""
        super().init_weights()
        for loss in self.losses:
            if hasattr(loss, 'init_weights'):
                loss.init_weights()

    @property
    def multiple(self) -> int:
        """Frame sizes the network takes without padding."""
        return 4 * self.backbone.multiple

    # ------------------------------------------------------------------
    def interpolate(self,
                    img0: Tensor,
                    img1: Tensor,
                    t: Union[float, Tensor] = 0.5,
                    flow_scale: float = 1.0,
                    return_aux: bool = False,
                    flow_override: Optional[Tensor] = None):
        """Synthesise the frame at time ``t`` between ``img0`` and ``img1``.

        Args:
            img0 (Tensor): ``(B, 3, H, W)`` in ``[0, 1]``; ``H``, ``W``
                multiples of :attr:`multiple` (4 with ``flow_scale < 1``).
            img1 (Tensor): Same shape.
            t (float | Tensor): Time in ``[0, 1]``, scalar or ``(B,)``.
            flow_scale (float): Resolution of the flow estimation.
            return_aux (bool): Also return flows, mask and warped frames.
            flow_override (Tensor, optional): ``(B, 4, H, W)`` full-resolution
                ``[F_t->0, F_t->1]`` used instead of the predicted flows for
                warping the frames and as the refinement's input (the mask
                and phase 2's feature warping keep the predicted ones):
                diagnostics such as the zero-flow and true-flow rows of the
                demo report.

        Returns:
            Tensor | tuple: ``(B, 3, H, W)`` in ``[0, 1]`` (and a dict).
        """
        b, _, h, w = img0.shape
        t = torch.as_tensor(t, dtype=img0.dtype, device=img0.device)
        t = t.expand(b) if t.dim() == 0 else t.reshape(b)
        m = self.multiple
        if flow_scale == 1.0:
            if h % m or w % m:
                raise ValueError(f'VFIModel: frames of {h}x{w} are not a '
                                 f'multiple of {m}; pad them (predict mode '
                                 f'does) or use pad_to_multiple')
            s0, s1 = img0, img1
        else:
            if h % 4 or w % 4:
                raise ValueError(f'VFIModel: frames of {h}x{w} must be '
                                 f'multiples of 4 for the full-resolution '
                                 f'refinement')
            size = (max(m, round(h * flow_scale / m) * m),
                    max(m, round(w * flow_scale / m) * m))
            s0 = F.interpolate(img0, size, mode='bilinear',
                               align_corners=False)
            s1 = F.interpolate(img1, size, mode='bilinear',
                               align_corners=False)
        if self.joint_stem:
            e0 = self.encoder(torch.cat((s0, s1), 1))
            e1 = self.encoder(torch.cat((s1, s0), 1))
        else:
            e0, e1 = self.encoder(s0), self.encoder(s1)
        f0, f1 = self.backbone(e0, e1)
        tmap = t.view(b, 1, 1, 1).expand(b, 1, *f0.shape[-2:])
        head_in = [f0, f1, tmap]
        if self.corr_radius:
            head_in.append(local_correlation(f0, f1, self.corr_radius))
        out = self.flow_head(torch.cat(head_in, 1))
        flow, mask = out[:, :4], out[:, 4:]
        wf0 = wf1 = None
        if self.feature_warp:
            wf0 = backward_warp(f0, flow[:, :2])
            wf1 = backward_warp(f1, flow[:, 2:])
            delta = self.flow_refine(torch.cat((wf0, wf1, out, tmap), 1))
            flow, mask = flow + delta[:, :4], mask + delta[:, 4:]
            wf0 = backward_warp(f0, flow[:, :2])
            wf1 = backward_warp(f1, flow[:, 2:])
        # coarse to fine: every level adds a residual at its resolution;
        # the full-resolution flow is the 1/4 flow plus each residual, each
        # upsampled once (zero residuals leave it exactly as without them)
        parts = [(flow, mask)]
        for scale, level in zip(self.refine_scales, self.flow_levels):
            size = (s0.shape[-2] // scale, s0.shape[-1] // scale)
            cur_f = sum(_resize_flows(f, size) for f, _ in parts)
            cur_m = sum(_resize(m_, size) for _, m_ in parts)
            a0, a1 = _resize(s0, size), _resize(s1, size)
            new_f, new_m = level(a0, a1, cur_f, cur_m, t)
            parts.append((new_f - cur_f, new_m - cur_m))
        flow_full = sum(_resize_flows(f, (h, w)) for f, _ in parts)
        mask = sum(_resize(m_, (h, w)) for _, m_ in parts)
        if flow_override is not None:
            if flow_override.shape != flow_full.shape:
                raise ValueError(f'VFIModel: flow_override must be '
                                 f'{tuple(flow_full.shape)}, got '
                                 f'{tuple(flow_override.shape)}')
            flow_full = flow_override.to(flow_full)
        mask = torch.sigmoid(mask)
        w0 = backward_warp(img0, flow_full[:, :2])
        w1 = backward_warp(img1, flow_full[:, 2:])
        merged = mask * w0 + (1 - mask) * w1
        extra = None
        if self.feature_warp:
            extra = torch.cat((wf0, wf1), 1)
            if extra.shape[-2:] != (h // 4, w // 4):
                extra = F.interpolate(extra, (h // 4, w // 4),
                                      mode='bilinear', align_corners=False)
        res = self.refine(
            torch.cat((img0, img1, w0, w1, merged, mask, flow_full / 20.),
                      1), extra)
        pred = (merged + res).clamp(0, 1).contiguous()
        if return_aux:
            return pred, dict(flow=flow_full, mask=mask, warped0=w0,
                              warped1=w1, merged=merged)
        return pred

    def interpolate_recursive(self, img0: Tensor, img1: Tensor, t: float,
                              flow_scale: float = 1.0,
                              max_depth: int = 8) -> Tensor:
        """Reach a dyadic ``t = k / 2^d`` by repeated midpoints."""
        lo, hi, a, b = 0.0, 1.0, img0, img1
        for _ in range(max_depth):
            mid = 0.5 * (lo + hi)
            m = self.interpolate(a, b, 0.5, flow_scale)
            if abs(t - mid) < 1e-9:
                return m
            if t < mid:
                hi, b = mid, m
            else:
                lo, a = mid, m
        raise ValueError(f'VFIModel: recursive interpolation needs a dyadic '
                         f't = k / 2^d (d <= {max_depth}), got {t}')

    def interpolate_sequence(self, img0: Tensor, img1: Tensor, factor: int,
                             mode: str = 'recursive',
                             flow_scale: float = 1.0) -> List[Tensor]:
        """The ``factor - 1`` frames between ``img0`` and ``img1``
        (``factor`` a power of 2 for ``'recursive'``)."""
        if mode not in MULTI_MODES:
            raise ValueError(f'mode must be one of {MULTI_MODES}, got '
                             f'{mode!r}')
        if factor < 2:
            raise ValueError(f'factor must be >= 2, got {factor}')
        if mode == 'direct':
            return [
                self.interpolate(img0, img1, k / factor, flow_scale)
                for k in range(1, factor)
            ]
        if factor & (factor - 1):
            raise ValueError(f'recursive interpolation needs a power of 2 '
                             f'factor, got {factor}')
        frames = [img0, img1]
        while len(frames) - 1 < factor:
            new = [frames[0]]
            for a, b in zip(frames[:-1], frames[1:]):
                new += [self.interpolate(a, b, 0.5, flow_scale), b]
            frames = new
        return frames[1:-1]

    # ------------------------------------------------------------------
    @staticmethod
    def _times(data_samples, n: int, device) -> Tensor:
        if not data_samples:
            return torch.full((n, ), 0.5, device=device)
        return torch.tensor(
            [float(s.metainfo.get('t', 0.5)) for s in data_samples],
            device=device)

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        """OpenMMLab contract.

        Args:
            inputs (Tensor): ``(B, 2, 3, H, W)`` frame pairs in ``[0, 1]``.
            data_samples (list[BaseDataElement], optional): With ``gt_img``
                ``(3, H, W)`` and meta ``t`` (default 0.5).
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.
        """
        if inputs.dim() != 5 or inputs.shape[1:3] != (2, 3):
            raise ValueError(f'VFIModel: inputs must be (B, 2, 3, H, W), '
                             f'got {tuple(inputs.shape)}')
        img0, img1 = inputs[:, 0], inputs[:, 1]
        t = self._times(data_samples, inputs.shape[0], inputs.device)
        if mode == 'loss':
            gt = torch.stack([s.gt_img for s in data_samples])
            pred = self.interpolate(img0, img1, t)
            return {
                f'loss_{name}': loss(pred, gt)
                for name, loss in zip(self.loss_names, self.losses)
            }
        if mode == 'predict':
            return self.predict(img0, img1, t, data_samples)
        if mode == 'tensor':
            return self.interpolate(img0, img1, t)
        raise ValueError(f'VFIModel: invalid mode {mode!r}')

    def predict(self, img0: Tensor, img1: Tensor, t: Tensor,
                data_samples=None) -> List[BaseDataElement]:
        """Pad, interpolate per ``test_cfg`` and crop back."""
        scale = float(self.test_cfg.get('flow_scale', 1.0))
        multiple = self.test_cfg.get('pad_multiple') or (
            self.multiple if scale == 1.0 else
            int(math.ceil(self.multiple / scale)))
        p0, pad = pad_to_multiple(img0, multiple)
        p1, _ = pad_to_multiple(img1, multiple)
        if scale != 1.0 and (p0.shape[-1] % 4 or p0.shape[-2] % 4):
            p0, pad = pad_to_multiple(img0, 4 * multiple)
            p1, _ = pad_to_multiple(img1, 4 * multiple)
        recursive = self.test_cfg.get('multi', 'direct') == 'recursive'
        if recursive:
            preds = torch.cat([
                self.interpolate_recursive(p0[i:i + 1], p1[i:i + 1],
                                           float(t[i]), scale)
                for i in range(p0.shape[0])
            ])
        else:
            preds = self.interpolate(p0, p1, t, scale)
        preds = _crop(preds, pad)
        out = []
        for i in range(preds.shape[0]):
            s = data_samples[i] if data_samples else BaseDataElement()
            s.pred_img = preds[i]
            out.append(s)
        return out


def _loss_name(type_name) -> str:
    name = type_name if isinstance(type_name, str) else type_name.__name__
    table = {'LaplacianPyramidLoss': 'lap', 'CensusLoss': 'census',
             'VGGPerceptualLoss': 'vgg'}
    return table.get(name.split('.')[-1], name.lower())
