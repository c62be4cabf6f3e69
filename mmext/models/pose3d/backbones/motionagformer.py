# Copyright (c) mmext contributors. All rights reserved.
"""MotionAGFormer backbone and its MambaGCN variants.

MotionAGFormer: Mehraban et al., "MotionAGFormer: Enhancing 3D Human Pose
Estimation with a Transformer-GCNFormer Network", WACV 2024
(https://github.com/TaatiTeam/MotionAGFormer). Module and parameter names
follow ``model/MotionAGFormer.py`` and ``model/modules/*.py`` of that
repository so that its checkpoints load strictly (see
:func:`convert_official_state_dict`). The backbone stops after the final
``norm``; upstream's ``rep_logit`` (Linear + Tanh) and ``head`` (Linear) are
exactly mmpose's ``MotionRegressionHead`` (``pre_logits.fc`` + Tanh +
``fc``).
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from einops import rearrange
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

from mmext.models.layers import (AdaptiveFusion, AxialAttention, AxialGCN,
                                 DropPath, Mlp, MultiDirectionalSSM,
                                 MultiScaleTCN, layer_norm_mlp,
                                 maybe_checkpoint, resolve_cp_indices)

__all__ = [
    'MotionAGFormer', 'MotionAGFormerBlock', 'AGFormerBlock', 'TemporalSSM',
    'BRANCH_VARIANTS', 'convert_official_state_dict', 'infer_official_config'
]

#: Stream names a :class:`MotionAGFormerBlock` can hold.
BRANCHES = ('attention', 'graph', 'mamba')

#: Named branch combinations for the MambaGCN study.
BRANCH_VARIANTS: Dict[str, Tuple[str, ...]] = {
    'baseline': ('attention', 'graph'),
    'mamba_gcn': ('mamba', 'graph'),
    'full': ('attention', 'graph', 'mamba'),
}

_ACTIVATIONS = {'gelu': nn.GELU, 'relu': nn.ReLU}

_SSM_DEFAULTS = dict(
    type='mamba', d_state=16, expand=2, directions=('forward', 'backward'))
_SSM_KEYS = ('type', 'd_state', 'd_conv', 'expand', 'directions', 'headdim',
             'chunk_size', 'share_weights', 'fusion', 'backend')
_SSM_TYPES = ('mamba', 'mamba2')
_SSM_DIRECTIONS = ('forward', 'backward')


def _check_branches(
        branches: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """Resolve a variant name or validate a sequence of stream names."""
    if isinstance(branches, str):
        if branches not in BRANCH_VARIANTS:
            raise ValueError(
                f'branches={branches!r} is not a known variant; valid '
                f'variants are {tuple(BRANCH_VARIANTS)}, or pass a sequence '
                f'of stream names from {BRANCHES}')
        return BRANCH_VARIANTS[branches]
    branches = tuple(branches)
    if not branches:
        raise ValueError(
            f'branches must name at least one stream from {BRANCHES}')
    unknown = [b for b in branches if b not in BRANCHES]
    if unknown:
        raise ValueError(f'unknown branch name(s) {unknown} in branches='
                         f'{branches}; valid names are {BRANCHES}')
    if len(set(branches)) != len(branches):
        raise ValueError(f'branches={branches} names a stream twice')
    return branches


def _check_ssm_cfg(ssm_cfg: Optional[dict]) -> dict:
    """Merge ``ssm_cfg`` into the defaults and validate it."""
    if ssm_cfg is None:
        ssm_cfg = {}
    if not isinstance(ssm_cfg, dict):
        raise TypeError(
            f'ssm_cfg must be a dict, got {type(ssm_cfg).__name__}')
    unknown = sorted(set(ssm_cfg) - set(_SSM_KEYS))
    if unknown:
        raise ValueError(f'unknown ssm_cfg key(s) {unknown}; valid keys '
                         f'are {_SSM_KEYS}')
    cfg = {**_SSM_DEFAULTS, **ssm_cfg}
    if cfg['type'] not in _SSM_TYPES:
        raise ValueError(f"ssm_cfg['type']={cfg['type']!r} is not "
                         f'supported; valid types are {_SSM_TYPES}')
    for key in ('d_state', 'd_conv', 'expand', 'headdim', 'chunk_size'):
        value = cfg.get(key)
        if value is not None and (not isinstance(value, int)
                                  or isinstance(value, bool) or value < 1):
            raise ValueError(
                f"ssm_cfg['{key}'] must be a positive int, got {value!r}")
    directions = cfg['directions']
    if isinstance(directions, str):
        directions = (directions, )
    directions = tuple(directions)
    bad = [d for d in directions if d not in _SSM_DIRECTIONS]
    if not directions or bad or len(set(directions)) != len(directions):
        raise ValueError(
            f"ssm_cfg['directions']={cfg['directions']!r} is invalid; give "
            f'a non-empty subset of {_SSM_DIRECTIONS} without repeats')
    cfg['directions'] = directions
    return cfg


class TemporalSSM(nn.Module):
    """A (bi)directional state-space model along time, per joint.

    ``'b t j c -> (b j) t c'``, :class:`MultiDirectionalSSM` over ``t``, and
    back. This is the temporal half of the MambaGCN stream.

    Args:
        embed_dims (int): Channels ``C``.
        ssm_type (str): ``'mamba'`` or ``'mamba2'``. Defaults to
            ``'mamba'``.
        directions (Sequence[str]): Scan directions. Defaults to
            ``('forward', 'backward')``.
        **ssm_kwargs: Passed to the SSM (``d_state``, ``expand``, ...).
    """

    def __init__(self,
                 embed_dims: int,
                 ssm_type: str = 'mamba',
                 directions: Sequence[str] = ('forward', 'backward'),
                 **ssm_kwargs) -> None:
        super().__init__()
        self.ssm = MultiDirectionalSSM(
            embed_dims,
            directions=tuple(directions),
            ssm=ssm_type,
            **ssm_kwargs)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, T, J, C) -> (B, T, J, C)``, scanning along ``T``."""
        b = x.shape[0]
        seq = rearrange(x, 'b t j c -> (b j) t c')
        return rearrange(self.ssm(seq), '(b j) t c -> b t j c', b=b)


class AGFormerBlock(nn.Module):
    """Pre-norm residual block around a token mixer and an MLP.

    ``x = x + drop_path(ls1 * mixer(norm1(x)))`` then
    ``x = x + drop_path(ls2 * mlp(norm2(x)))`` (``ls*`` only with layer
    scale). Names follow upstream's ``AGFormerBlock`` (``norm1``, ``mixer``,
    ``norm2``, ``mlp``, ``layer_scale_1``, ``layer_scale_2``).

    Args:
        embed_dims (int): Channels ``C``.
        mixer (nn.Module): Token mixer ``(B, T, J, C) -> (B, T, J, C)``.
        mlp_ratio (float): MLP hidden ratio. Defaults to 4.
        act_layer (type[nn.Module]): MLP activation. Defaults to GELU.
        drop (float): MLP dropout. Defaults to 0.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        use_layer_scale (bool): Whether to scale the residual branches by
            learned per-channel factors. Defaults to True.
        layer_scale_init_value (float): Their initial value. Defaults to
            1e-5.
        lean_mlp (bool): Run ``mlp(norm2(x))`` through
            :func:`~mmext.models.layers.layer_norm_mlp`, which recomputes the
            LayerNorm and GELU outputs in backward instead of keeping them
            (same outputs and gradients, less activation memory). ``False``
            runs the plain ``self.mlp(self.norm2(x))``. Defaults to True.
    """

    def __init__(self,
                 embed_dims: int,
                 mixer: nn.Module,
                 mlp_ratio: float = 4.,
                 act_layer: type = nn.GELU,
                 drop: float = 0.,
                 drop_path: float = 0.,
                 use_layer_scale: bool = True,
                 layer_scale_init_value: float = 1e-5,
                 lean_mlp: bool = True) -> None:
        super().__init__()
        self.lean_mlp = lean_mlp
        self.norm1 = nn.LayerNorm(embed_dims)
        self.mixer = mixer
        self.norm2 = nn.LayerNorm(embed_dims)
        self.mlp = Mlp(
            embed_dims,
            int(embed_dims * mlp_ratio),
            act_layer=act_layer,
            drop=drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0. \
            else nn.Identity()
        self.use_layer_scale = use_layer_scale
        if use_layer_scale:
            self.layer_scale_1 = nn.Parameter(
                layer_scale_init_value * torch.ones(embed_dims))
            self.layer_scale_2 = nn.Parameter(
                layer_scale_init_value * torch.ones(embed_dims))

    def _norm_mlp(self, x: Tensor) -> Tensor:
        if self.lean_mlp:
            return layer_norm_mlp(x, self.norm2, self.mlp)
        return self.mlp(self.norm2(x))

    def forward(self, x: Tensor) -> Tensor:
        """``(B, T, J, C) -> (B, T, J, C)``."""
        if self.use_layer_scale:
            x = x + self.drop_path(self.layer_scale_1 *
                                   self.mixer(self.norm1(x)))
            x = x + self.drop_path(self.layer_scale_2 * self._norm_mlp(x))
        else:
            x = x + self.drop_path(self.mixer(self.norm1(x)))
            x = x + self.drop_path(self._norm_mlp(x))
        return x


class MotionAGFormerBlock(nn.Module):
    """Parallel spatio-temporal streams fused adaptively.

    Streams (each a spatial then a temporal sub-block):

    - ``'attention'``: ``att_spatial`` -> ``att_temporal`` (axial MHSA).
    - ``'graph'``: ``graph_spatial`` -> ``graph_temporal`` (skeleton GCN,
      then top-k-similarity temporal GCN or MS-TCN).
    - ``'mamba'`` (MambaGCN): ``mamba_spatial`` (skeleton GCN) ->
      ``mamba_temporal`` (bidirectional SSM along time).

    The outputs are fused by :class:`AdaptiveFusion` (``fusion``, a learned
    softmax over the streams, in the order of ``branches``), by their mean
    (``use_adaptive_fusion=False``), or, with ``hierarchical=True``, every
    stream gets ``C / N`` channels, stream ``i > 0`` adds stream ``i - 1``'s
    output to its input, and the outputs are concatenated. With
    ``branches=('attention', 'graph')`` this is upstream's
    ``MotionAGFormerBlock`` (same names, same parameters).

    Args:
        embed_dims (int): Channels ``C``.
        num_frames (int): Frames ``T`` (sizes the temporal GCN's BatchNorm).
        branches (Sequence[str]): Streams, from
            ``('attention', 'graph', 'mamba')``.
        num_joints (int): Joints ``J``. Defaults to 17.
        mlp_ratio (float): MLP ratio. Defaults to 4.
        act_layer (type[nn.Module]): MLP activation. Defaults to GELU.
        attn_drop (float): Attention dropout. Defaults to 0.
        drop (float): MLP / projection dropout. Defaults to 0.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        num_heads (int): Attention heads. Defaults to 8.
        qkv_bias (bool): Bias in ``qkv``. Defaults to False.
        qk_scale (float, optional): Attention scale override.
        use_layer_scale (bool): Layer scale. Defaults to True.
        layer_scale_init_value (float): Layer scale init. Defaults to 1e-5.
        use_adaptive_fusion (bool): Adaptive (True) or mean (False) fusion.
            Defaults to True.
        hierarchical (bool): Hierarchical channel split. Defaults to False.
        use_temporal_similarity (bool): Top-k similarity temporal graph.
            Defaults to True.
        temporal_connection_len (int): Band of the fixed temporal graph.
            Defaults to 1.
        use_tcn (bool): MS-TCN instead of the temporal GCN in the graph
            stream. Defaults to False.
        graph_only (bool): Bare GCN/TCN mixers (no norm/MLP wrapper) in the
            graph stream. Defaults to False.
        neighbour_num (int): ``k`` of the temporal graph. Defaults to 4.
        ssm_cfg (dict, optional): Validated SSM settings for ``'mamba'``
            (``type``, ``directions`` and SSM keyword arguments).
        causal (bool): Output frame ``t`` depends on input frames ``<= t``
            only (see :class:`MotionAGFormer`). Defaults to False.
    """

    def __init__(self,
                 embed_dims: int,
                 num_frames: int,
                 branches: Sequence[str] = ('attention', 'graph'),
                 num_joints: int = 17,
                 mlp_ratio: float = 4.,
                 act_layer: type = nn.GELU,
                 attn_drop: float = 0.,
                 drop: float = 0.,
                 drop_path: float = 0.,
                 num_heads: int = 8,
                 qkv_bias: bool = False,
                 qk_scale: Optional[float] = None,
                 use_layer_scale: bool = True,
                 layer_scale_init_value: float = 1e-5,
                 use_adaptive_fusion: bool = True,
                 hierarchical: bool = False,
                 use_temporal_similarity: bool = True,
                 temporal_connection_len: int = 1,
                 use_tcn: bool = False,
                 graph_only: bool = False,
                 neighbour_num: int = 4,
                 ssm_cfg: Optional[dict] = None,
                 causal: bool = False) -> None:
        super().__init__()
        self.branches = _check_branches(branches)
        self.hierarchical = hierarchical
        num_streams = len(self.branches)
        if hierarchical and embed_dims % num_streams:
            raise ValueError(
                f'hierarchical=True splits embed_dims={embed_dims} into '
                f'{num_streams} streams; it must be divisible')
        dim = embed_dims // num_streams if hierarchical else embed_dims

        def wrap(mixer: nn.Module) -> AGFormerBlock:
            return AGFormerBlock(dim, mixer, mlp_ratio, act_layer, drop,
                                 drop_path, use_layer_scale,
                                 layer_scale_init_value)

        def attention(mode: str) -> AxialAttention:
            return AxialAttention(dim, dim, num_heads, qkv_bias, qk_scale,
                                  attn_drop, drop, mode, causal)

        def gcn(mode: str) -> AxialGCN:
            return AxialGCN(
                dim,
                dim,
                num_nodes=num_joints if mode == 'spatial' else num_frames,
                neighbour_num=neighbour_num,
                mode=mode,
                use_temporal_similarity=use_temporal_similarity,
                temporal_connection_len=temporal_connection_len,
                causal=causal)

        if 'attention' in self.branches:
            self.att_spatial = wrap(attention('spatial'))
            self.att_temporal = wrap(attention('temporal'))
        if 'graph' in self.branches:
            temporal = MultiScaleTCN(dim, dim) if use_tcn \
                else gcn('temporal')
            if graph_only:
                # Upstream builds this spatial GCN with its defaults.
                self.graph_spatial = AxialGCN(
                    dim, dim, num_nodes=num_joints, mode='spatial',
                    causal=causal)
                self.graph_temporal = temporal
            else:
                self.graph_spatial = wrap(gcn('spatial'))
                self.graph_temporal = wrap(temporal)
        if 'mamba' in self.branches:
            cfg = dict(_check_ssm_cfg(ssm_cfg))
            self.mamba_spatial = wrap(gcn('spatial'))
            self.mamba_temporal = wrap(
                TemporalSSM(
                    dim,
                    ssm_type=cfg.pop('type'),
                    directions=cfg.pop('directions'),
                    **cfg))

        self.use_adaptive_fusion = use_adaptive_fusion
        if use_adaptive_fusion and num_streams > 1:
            self.fusion = AdaptiveFusion(dim, num_streams)

    def _stream(self, name: str, x: Tensor) -> Tensor:
        prefix = {'attention': 'att', 'graph': 'graph', 'mamba': 'mamba'}
        prefix = prefix[name]
        x = getattr(self, f'{prefix}_spatial')(x)
        return getattr(self, f'{prefix}_temporal')(x)

    def stream_outputs(self, x: Tensor) -> List[Tensor]:
        """Run the streams (not the fusion); for analysis and tests.

        Args:
            x (Tensor): ``(B, T, J, C)``.

        Returns:
            list[Tensor]: One ``(B, T, J, C')`` tensor per stream, in the
            order of ``branches`` (``C' = C / N`` when hierarchical).
        """
        if not self.hierarchical:
            return [self._stream(name, x) for name in self.branches]
        chunks = x.chunk(len(self.branches), dim=-1)
        outs = []
        for i, name in enumerate(self.branches):
            inp = chunks[i] if i == 0 else chunks[i] + outs[-1]
            outs.append(self._stream(name, inp))
        return outs

    def forward(self, x: Tensor) -> Tensor:
        """``(B, T, J, C) -> (B, T, J, C)``."""
        outs = self.stream_outputs(x)
        if len(outs) == 1:
            return outs[0]
        if self.hierarchical:
            return torch.cat(outs, dim=-1)
        if self.use_adaptive_fusion:
            return self.fusion(outs)
        return sum(outs) / len(outs)


@MODELS.register_module()
class MotionAGFormer(BaseModule):
    """MotionAGFormer backbone for 2D-to-3D pose lifting (mmpose registry).

    ``(B, T, J, C_in) -> (B, T, J, embed_dims)``: ``joints_embed`` (Linear)
    + ``pos_embed`` (per joint), ``num_layers`` :class:`MotionAGFormerBlock`
    s (``layers``), a final ``norm``. Pair it with mmpose's
    ``MotionRegressionHead(in_channels=embed_dims, out_channels=3,
    embedding_size=512)``, which equals upstream's ``rep_logit`` + ``head``.

    Presets (``arch``), from the upstream ``configs/h36m/*.yaml``; all use 8
    heads, MLP ratio 4 and ``neighbour_num=2``; the other options keep their
    defaults here (layer scale 1e-5, adaptive fusion, no qkv bias, top-k
    temporal similarity, no TCN, not hierarchical, no drop path):

    ====  ======  ==========  ======  ====================
    arch  layers  embed_dims  frames  params (+ head)
    ====  ======  ==========  ======  ====================
    xs    12      64          27      2,241,531
    s     26      64          81      4,817,119
    b     16      128         243     11,723,811
    l     26      128         243     19,007,111
    ====  ======  ==========  ======  ====================

    Args:
        arch (str | dict): ``'xs'``, ``'s'``, ``'b'``, ``'l'`` or a dict
            with exactly the keys ``num_layers``, ``embed_dims``,
            ``num_frames``, ``num_heads``, ``mlp_ratio``, ``neighbour_num``.
            Defaults to ``'xs'``.
        branches (str | Sequence[str]): Streams of every block, from
            ``('attention', 'graph', 'mamba')``, or a variant name:
            ``'baseline'`` = ``('attention', 'graph')`` (upstream, default),
            ``'mamba_gcn'`` = ``('mamba', 'graph')``, ``'full'`` =
            ``('attention', 'graph', 'mamba')``.
        ssm_cfg (dict, optional): SSM of the ``'mamba'`` stream; keys
            ``type`` (``'mamba'`` | ``'mamba2'``, default ``'mamba'``),
            ``d_state`` (16), ``expand`` (2), ``directions``
            (``('forward', 'backward')``), optional ``d_conv``,
            ``headdim`` (Mamba2; must divide ``expand * embed_dims``),
            ``chunk_size``, ``share_weights``, ``fusion`` (of the
            directions: ``'sum'`` | ``'linear'``) and ``backend``, all
            passed to :class:`MultiDirectionalSSM`.
        in_channels (int): Input channels (x, y, confidence). Defaults to 3.
        num_joints (int): Joints; the spatial graph is the 17-joint H36M
            skeleton. Defaults to 17.
        act_layer (str): MLP activation, ``'gelu'`` or ``'relu'``.
            Defaults to ``'gelu'``.
        drop_rate (float): Dropout. Defaults to 0.
        attn_drop_rate (float): Attention dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth rate, the same for every
            block (as upstream). Defaults to 0.
        qkv_bias (bool): Defaults to False.
        qk_scale (float, optional): Defaults to None.
        use_layer_scale (bool): Defaults to True.
        layer_scale_init_value (float): Defaults to 1e-5.
        use_adaptive_fusion (bool): Defaults to True.
        hierarchical (bool): Defaults to False.
        use_temporal_similarity (bool): Defaults to True.
        temporal_connection_len (int): Defaults to 1.
        use_tcn (bool): Defaults to False.
        graph_only (bool): Defaults to False.
        with_cp (bool | Sequence[int]): Activation checkpointing (OpenMMLab
            name): ``True`` checkpoints every ``cp_every``-th block
            (all with the default ``cp_every=1``), a list names the block
            indices. A checkpointed block keeps only its input for
            backward and runs its forward again there; outputs, gradients,
            dropout / drop-path masks and BatchNorm statistics equal those
            without it (see :func:`checkpoint_module`). Defaults to False.
        cp_every (int): Checkpoint blocks ``0, k, 2k, ...`` when
            ``with_cp=True``. Defaults to 1.
        lean_mlp (bool): Every block's LayerNorm + MLP through the
            memory-lean autograd function (see :class:`AGFormerBlock`);
            ``False`` gives the plain path, e.g. to measure what it saves
            (``tools/benchmarks/profile_pose3d_step.py``). No parameter
            depends on it. Defaults to True.
        causal (bool): A causal model: output frame ``t`` depends on input
            frames ``<= t`` only, in train and eval mode. Temporal
            attention gets a causal mask, the temporal graph links past
            frames only (top-k similarity among them, or the previous
            ``temporal_connection_len`` frames), the spatial GCNs'
            BatchNorms take train-mode statistics per frame, and the SSM
            must scan ``directions=('forward', )``. Not available with
            ``use_tcn`` (its convolutions are centred). Defaults to False.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    arch_settings = {
        'xs': dict(num_layers=12, embed_dims=64, num_frames=27, num_heads=8,
                   mlp_ratio=4., neighbour_num=2),
        's': dict(num_layers=26, embed_dims=64, num_frames=81, num_heads=8,
                  mlp_ratio=4., neighbour_num=2),
        'b': dict(num_layers=16, embed_dims=128, num_frames=243,
                  num_heads=8, mlp_ratio=4., neighbour_num=2),
        'l': dict(num_layers=26, embed_dims=128, num_frames=243,
                  num_heads=8, mlp_ratio=4., neighbour_num=2),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'xs',
                 branches: Union[str, Sequence[str]] = ('attention',
                                                        'graph'),
                 ssm_cfg: Optional[dict] = None,
                 in_channels: int = 3,
                 num_joints: int = 17,
                 act_layer: str = 'gelu',
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 qkv_bias: bool = False,
                 qk_scale: Optional[float] = None,
                 use_layer_scale: bool = True,
                 layer_scale_init_value: float = 1e-5,
                 use_adaptive_fusion: bool = True,
                 hierarchical: bool = False,
                 use_temporal_similarity: bool = True,
                 temporal_connection_len: int = 1,
                 use_tcn: bool = False,
                 graph_only: bool = False,
                 with_cp: Union[bool, Sequence[int]] = False,
                 cp_every: int = 1,
                 lean_mlp: bool = True,
                 causal: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch = self._resolve_arch(arch)
        if causal and use_tcn:
            raise ValueError('causal=True is not available with use_tcn=True '
                             '(MS-TCN convolutions are centred in time)')
        self.cp_blocks = resolve_cp_indices(with_cp,
                                            self.arch['num_layers'],
                                            cp_every)
        self.branches = _check_branches(branches)
        if 'mamba' in self.branches or ssm_cfg is not None:
            directions = _check_ssm_cfg(ssm_cfg)['directions']
            if causal and 'mamba' in self.branches and \
                    directions != ('forward', ):
                raise ValueError(
                    f"causal=True needs ssm_cfg directions=('forward', ), "
                    f'got {directions}: a backward scan sees later frames')
        self.causal = causal
        if act_layer not in _ACTIVATIONS:
            raise ValueError(f'act_layer={act_layer!r} is not supported; '
                             f'valid choices are {tuple(_ACTIVATIONS)}')
        self.in_channels = in_channels
        self.num_joints = num_joints
        self.num_frames = self.arch['num_frames']
        self.embed_dims = self.arch['embed_dims']

        self.joints_embed = nn.Linear(in_channels, self.embed_dims)
        self.pos_embed = nn.Parameter(
            torch.zeros(1, num_joints, self.embed_dims))
        self.layers = nn.Sequential(*[
            MotionAGFormerBlock(
                self.embed_dims,
                self.num_frames,
                branches=self.branches,
                num_joints=num_joints,
                mlp_ratio=self.arch['mlp_ratio'],
                act_layer=_ACTIVATIONS[act_layer],
                attn_drop=attn_drop_rate,
                drop=drop_rate,
                drop_path=drop_path_rate,
                num_heads=self.arch['num_heads'],
                qkv_bias=qkv_bias,
                qk_scale=qk_scale,
                use_layer_scale=use_layer_scale,
                layer_scale_init_value=layer_scale_init_value,
                use_adaptive_fusion=use_adaptive_fusion,
                hierarchical=hierarchical,
                use_temporal_similarity=use_temporal_similarity,
                temporal_connection_len=temporal_connection_len,
                use_tcn=use_tcn,
                graph_only=graph_only,
                neighbour_num=self.arch['neighbour_num'],
                ssm_cfg=ssm_cfg,
                causal=causal) for _ in range(self.arch['num_layers'])
        ])
        self.lean_mlp = lean_mlp
        for block in self.layers.modules():
            if isinstance(block, AGFormerBlock):
                block.lean_mlp = lean_mlp
        self.norm = nn.LayerNorm(self.embed_dims)

    @classmethod
    def _resolve_arch(cls, arch: Union[str, dict]) -> dict:
        valid = tuple(cls.arch_settings)
        if isinstance(arch, str):
            if arch not in cls.arch_settings:
                raise ValueError(f'arch={arch!r} is not a known preset; valid '
                                 f'choices are {valid} or a dict')
            return dict(cls.arch_settings[arch])
        if not isinstance(arch, dict):
            raise TypeError(f'arch must be one of {valid} or a dict, got '
                            f'{type(arch).__name__}')
        keys = tuple(cls.arch_settings['xs'])
        unknown = sorted(set(arch) - set(keys))
        missing = [k for k in keys if k not in arch]
        if unknown or missing:
            raise ValueError(
                f'arch dict has unknown key(s) {unknown} and missing key(s) '
                f'{missing}; valid keys are {keys}')
        return copy.deepcopy(arch)

    def forward(self, x: Tensor) -> Tensor:
        """Encode a 2D pose sequence.

        Args:
            x (Tensor): ``(B, T, J, C_in)`` with ``T == num_frames``,
                ``J == num_joints``, ``C_in == in_channels``.

        Returns:
            Tensor: ``(B, T, J, embed_dims)``.
        """
        expected = (self.num_frames, self.num_joints, self.in_channels)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f'MotionAGFormer expects inputs (B, T, J, C) = (B, '
                f'{", ".join(map(str, expected))}), got {tuple(x.shape)}; '
                f'T is fixed by arch num_frames (the temporal GCN has a '
                f'BatchNorm over frames)')
        x = self.joints_embed(x) + self.pos_embed
        for i, layer in enumerate(self.layers):
            x = maybe_checkpoint(layer, x, i in self.cp_blocks)
        return self.norm(x)


# --------------------------------------------------------------------------
# Official checkpoints
# --------------------------------------------------------------------------
_HEAD_KEY_MAP = (('rep_logit.fc.', 'head.pre_logits.fc.'),
                 ('head.', 'head.fc.'))


def _strip_module_prefix(state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    if state_dict and all(k.startswith('module.') for k in state_dict):
        return {k[len('module.'):]: v for k, v in state_dict.items()}
    return dict(state_dict)


def _read_num_frames(sd: Dict[str, Tensor]) -> Optional[int]:
    """Frames ``T`` from the temporal GCN's BatchNorm, or None (MS-TCN)."""
    for key in ('layers.0.graph_temporal.mixer.batch_norm.weight',
                'layers.0.graph_temporal.batch_norm.weight'):
        if key in sd:
            return int(sd[key].shape[0])
    return None


def infer_official_config(state_dict: Dict[str, Tensor],
                          num_frames: Optional[int] = None) -> dict:
    """Read an upstream MotionAGFormer state_dict's architecture.

    ``num_heads`` and ``neighbour_num`` hold no parameters and cannot be
    read; they are reported as upstream's config values (8 and 2). The
    number of frames is read from the temporal GCN's BatchNorm; a checkpoint
    with MS-TCN in the graph stream (``use_tcn=True``) holds no frame-sized
    parameter, so ``num_frames`` must then be given (upstream's config
    ``n_frames``).

    Args:
        state_dict (dict[str, Tensor]): Upstream ``ckpt['model']``, with or
            without the ``module.`` prefix.
        num_frames (int, optional): Frames ``T`` of the model. Required when
            the checkpoint does not determine it; checked against the
            checkpoint when it does.

    Returns:
        dict: ``backbone`` (keyword arguments of :class:`MotionAGFormer`)
        and ``head`` (``in_channels``, ``out_channels``, ``embedding_size``
        of ``MotionRegressionHead``).

    Raises:
        KeyError: If a key needed to read the architecture is missing.
        ValueError: If ``num_frames`` is needed but not given, or disagrees
            with the checkpoint.
    """
    sd = _strip_module_prefix(state_dict)
    required = ('joints_embed.weight', 'rep_logit.fc.weight', 'head.weight',
                'layers.0.att_spatial.norm1.weight',
                'layers.0.att_spatial.mlp.fc1.weight')
    missing = [k for k in required if k not in sd]
    if missing:
        raise KeyError(f'not a MotionAGFormer state_dict: missing {missing}')
    if num_frames is not None and (not isinstance(num_frames, int)
                                   or isinstance(num_frames, bool)
                                   or num_frames < 1):
        raise ValueError(
            f'num_frames must be a positive int, got {num_frames!r}')
    embed_dims, in_channels = sd['joints_embed.weight'].shape
    num_layers = 1 + max(
        int(k.split('.')[1]) for k in sd if k.startswith('layers.'))
    dim = sd['layers.0.att_spatial.norm1.weight'].shape[0]
    hidden = sd['layers.0.att_spatial.mlp.fc1.weight'].shape[0]
    graph_only = 'layers.0.graph_spatial.U.weight' in sd
    use_tcn = any(
        k.startswith('layers.0.graph_temporal.') and '.branches.' in k
        for k in sd)
    read_frames = _read_num_frames(sd)
    if read_frames is None and num_frames is None:
        raise ValueError(
            'num_frames is required: this checkpoint has MS-TCN in its '
            'graph stream (use_tcn=True) and no frame-sized parameter, so '
            'its clip length cannot be read; pass the n_frames of its '
            'upstream config (converter: --num-frames)')
    if read_frames is not None and num_frames is not None \
            and read_frames != num_frames:
        raise ValueError(
            f'num_frames={num_frames} disagrees with the checkpoint, whose '
            f'temporal GCN BatchNorm has {read_frames} frames')
    backbone = dict(
        arch=dict(
            num_layers=num_layers,
            embed_dims=embed_dims,
            num_frames=read_frames or num_frames,
            num_heads=8,
            mlp_ratio=hidden / dim,
            neighbour_num=2),
        in_channels=in_channels,
        num_joints=sd['pos_embed'].shape[1] if 'pos_embed' in sd else 17,
        qkv_bias='layers.0.att_spatial.mixer.qkv.bias' in sd,
        use_layer_scale='layers.0.att_spatial.layer_scale_1' in sd,
        use_adaptive_fusion='layers.0.fusion.weight' in sd,
        hierarchical=dim != embed_dims,
        use_tcn=use_tcn,
        graph_only=graph_only)
    dim_rep = sd['rep_logit.fc.weight'].shape[0]
    head = dict(
        in_channels=embed_dims,
        out_channels=sd['head.weight'].shape[0],
        embedding_size=dim_rep)
    return dict(backbone=backbone, head=head)


def convert_official_state_dict(
        state_dict: Dict[str, Tensor],
        num_frames: Optional[int] = None) -> Dict[str, Tensor]:
    """Convert upstream ``ckpt['model']`` to an mmpose ``PoseLifter`` one.

    ``module.`` is stripped, ``rep_logit.fc.*`` becomes
    ``head.pre_logits.fc.*``, ``head.*`` becomes ``head.fc.*`` and every
    other key gets the ``backbone.`` prefix. The result is checked against
    the keys and shapes of the :class:`MotionAGFormer` that
    :func:`infer_official_config` reads from the checkpoint.

    Args:
        state_dict (dict[str, Tensor]): Upstream state_dict.
        num_frames (int, optional): Checked against the checkpoint when it
            holds a frame-sized parameter; not needed otherwise (the keys
            and shapes of an MS-TCN model do not depend on it).

    Returns:
        dict[str, Tensor]: Keys ``backbone.*``, ``head.pre_logits.fc.*``,
        ``head.fc.*``.

    Raises:
        KeyError: Naming the unexpected, missing or mis-shaped keys.
        ValueError: If ``num_frames`` disagrees with the checkpoint.
    """
    sd = _strip_module_prefix(state_dict)
    if num_frames is None and _read_num_frames(sd) is None:
        num_frames = 1  # any length: no parameter depends on it
    cfg = infer_official_config(sd, num_frames=num_frames)
    converted = {}
    for key, value in sd.items():
        for old, new in _HEAD_KEY_MAP:
            if key.startswith(old):
                converted[new + key[len(old):]] = value
                break
        else:
            converted['backbone.' + key] = value

    backbone_cfg = dict(cfg['backbone'])
    backbone_cfg['arch'] = dict(backbone_cfg['arch'], num_heads=1)
    with torch.device('meta'):
        reference = MotionAGFormer(**backbone_cfg)
    head_cfg = cfg['head']
    expected = {
        f'backbone.{k}': tuple(v.shape)
        for k, v in reference.state_dict().items()
    }
    expected.update({
        'head.pre_logits.fc.weight':
        (head_cfg['embedding_size'], head_cfg['in_channels']),
        'head.pre_logits.fc.bias': (head_cfg['embedding_size'], ),
        'head.fc.weight':
        (head_cfg['out_channels'], head_cfg['embedding_size']),
        'head.fc.bias': (head_cfg['out_channels'], ),
    })
    unexpected = sorted(set(converted) - set(expected))
    missing = sorted(set(expected) - set(converted))
    mismatched = sorted(
        f'{k}: {tuple(converted[k].shape)} vs {expected[k]}'
        for k in set(converted) & set(expected)
        if tuple(converted[k].shape) != expected[k])
    if unexpected or missing or mismatched:
        raise KeyError(
            'the checkpoint does not match the MotionAGFormer read from it '
            f'({cfg["backbone"]}): unexpected keys {unexpected}, missing '
            f'keys {missing}, shape mismatches {mismatched}')
    return converted
