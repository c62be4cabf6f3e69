# Copyright (c) mmext contributors. All rights reserved.
"""Backbone wrappers with the calling convention of mmaction2's
``RGBPoseConv3D``: ``forward(imgs, heatmap_imgs) -> tuple`` of per-stream
feature maps, so that ``MMRecognizer3D`` and the RGB+pose heads work with any
pair of 3D backbones.

* :class:`TwoStreamBackbone` - two independent pathways (e.g. X3D-TSM for
  RGB and for the pose heatmaps), returns ``(rgb_feat, pose_feat)``.
* :class:`SingleStreamBackbone` - one pathway fed with one modality, returns
  ``(feat,)``; used by the RGB-only / pose-only ablations.
"""
from typing import Dict, Optional, Tuple

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModule

__all__ = ['TwoStreamBackbone', 'SingleStreamBackbone', 'STREAM_INPUTS']

# stream name -> keyword of the multi-modal input dict
STREAM_INPUTS = {'rgb': 'imgs', 'pose': 'heatmap_imgs'}


def _build_pathway(cfg: Dict, name: str) -> torch.nn.Module:
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'{name} must be a config dict with a "type" key '
                        f'(e.g. dict(type="X3DTSM", ...)), got {cfg!r}')
    return MODELS.build(cfg)


@MODELS.register_module()
class TwoStreamBackbone(BaseModule):
    """An RGB pathway and a pose-heatmap pathway without lateral connections.

    Args:
        rgb_pathway (dict): Config of the RGB backbone (input ``imgs``,
            ``(N, 3, T, H, W)``).
        pose_pathway (dict): Config of the pose backbone (input
            ``heatmap_imgs``, ``(N, V, T', H', W')``; ``in_channels`` = V).
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 rgb_pathway: Dict,
                 pose_pathway: Dict,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.rgb_path = _build_pathway(rgb_pathway, 'rgb_pathway')
        self.pose_path = _build_pathway(pose_pathway, 'pose_pathway')

    def forward(self, imgs: torch.Tensor,
                heatmap_imgs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Return ``(rgb_feat, pose_feat)``, each ``(N, C, t, h, w)``."""
        return self.rgb_path(imgs), self.pose_path(heatmap_imgs)


@MODELS.register_module()
class SingleStreamBackbone(BaseModule):
    """One pathway fed with one modality of the multi-modal input.

    Args:
        stream (str): ``'rgb'`` (uses ``imgs``) or ``'pose'`` (uses
            ``heatmap_imgs``).
        backbone (dict): Config of the pathway, e.g. ``ResNet3dSlowOnly``.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 stream: str,
                 backbone: Dict,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if stream not in STREAM_INPUTS:
            raise ValueError(f'SingleStreamBackbone: stream must be one of '
                             f'{sorted(STREAM_INPUTS)}, got {stream!r}')
        self.stream = stream
        self.path = _build_pathway(backbone, 'backbone')

    def forward(self,
                imgs: Optional[torch.Tensor] = None,
                heatmap_imgs: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor]:
        """Return ``(feat,)`` from the configured modality only."""
        x = imgs if self.stream == 'rgb' else heatmap_imgs
        if x is None:
            raise ValueError(
                f'SingleStreamBackbone(stream={self.stream!r}) needs the '
                f'input "{STREAM_INPUTS[self.stream]}"; the data pipeline '
                'did not provide it')
        return (self.path(x), )
