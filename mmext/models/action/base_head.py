# Copyright (c) mmext contributors. All rights reserved.
"""The plumbing that mmext's two-stream (RGB + pose) heads share.

:class:`~mmext.models.action.PCANHead` and
:class:`~mmext.models.action.HierarchicalRGBPoseHead` classify each stream's
pooled feature with a fine (and a coarse) linear classifier and fuse the
streams' probabilities. What differs between them is the calibration (PCAN's
prototype memories and rectification, or EMA class prototypes) and the
losses; this base holds the rest:

* the argument checks (mmaction2 options the heads do not support, the
  ``streams`` and their ``in_channels``, per-stream ``dropout``);
* the classifier layers ``avg_pool``, ``dropouts``, ``fc_fine`` and
  ``fc_coarse`` (names and creation order fixed: they are state-dict keys
  and the optimizer's parameter order of existing checkpoints);
* the fine labels of a batch, clip averaging, stream fusion into the data
  samples, and ``predict`` / ``loss``.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmaction.models.heads.base import BaseHead
from mmaction.utils import SampleList
from mmengine.model.weight_init import normal_init

from mmext.structures.action_hierarchy import load_hierarchy

__all__ = [
    'BaseRGBPoseHead', 'STREAMS', 'clip_average', 'write_stream_predictions'
]

STREAMS = ('rgb', 'pose')
_UNSUPPORTED = ('multi_class', 'label_smooth_eps', 'average_clips')


def clip_average(probs: Dict[str, torch.Tensor],
                 num_samples: int) -> Dict[str, torch.Tensor]:
    """Average ``(num_samples * clips, C)`` rows over each sample's clips.

    Args:
        probs (dict): Name -> ``(N * clips, C)`` probabilities.
        num_samples (int): ``N``.

    Returns:
        dict: Name -> ``(N, C)``.
    """
    out = {}
    for k, v in probs.items():
        if v.size(0) % num_samples:
            raise ValueError(f'{v.size(0)} score rows cannot be split'
                             f' into {num_samples} samples')
        out[k] = v.view(num_samples, -1, v.size(-1)).mean(1)
    return out


def write_stream_predictions(probs: Dict[str, Dict[str, torch.Tensor]],
                             streams: Sequence[str],
                             data_samples: SampleList) -> SampleList:
    """Fuse per-stream probabilities (mean over streams) into the samples.

    Sets ``pred_score`` / ``pred_label`` (fused fine), ``pred_coarse_score``
    (fused coarse, when the streams have coarse scores) and
    ``stream_scores = {stream: {'fine', 'coarse'}}``.

    Args:
        probs (dict): ``{stream: {'fine': (N, K)[, 'coarse': (N, G)]}}``.
        streams (Sequence[str]): Streams to fuse.
        data_samples (list[ActionDataSample]): ``N`` samples, updated.

    Returns:
        list[ActionDataSample]: ``data_samples``.
    """
    fused = {
        k: torch.stack([probs[s][k] for s in streams]).mean(0)
        for k in probs[streams[0]]
    }
    for i, ds in enumerate(data_samples):
        ds.set_pred_score(fused['fine'][i].detach())
        ds.set_pred_label(fused['fine'][i].argmax().view(1).detach())
        if 'coarse' in fused:
            ds.set_field(fused['coarse'][i].detach(), 'pred_coarse_score')
        ds.set_field(
            {s: {k: v[i].detach()
                 for k, v in probs[s].items()}
             for s in streams}, 'stream_scores')
    return data_samples


class BaseRGBPoseHead(BaseHead):
    """Base of the two-stream hierarchical heads (not registered).

    Args:
        num_classes (int): Fine classes ``K``.
        in_channels (int | Sequence[int]): One feature width per stream.
        streams (Sequence[str]): Non-empty subset of ``('rgb', 'pose')``.
        loss_cls (dict): mmaction2's classification loss config.
        init_std (float): Std of the classifiers' normal init.
        **kwargs: Passed to mmaction2's ``BaseHead``; ``multi_class``,
            ``label_smooth_eps`` and ``average_clips`` other than
            ``'prob'`` are refused (see :attr:`clip_note`).

    A subclass calls :meth:`_build_classifiers` where its layers are made
    and implements ``forward``, ``loss_by_feat`` and
    ``stream_probabilities(cls_scores, num_samples)``.
    """

    #: Why clip-level options are refused, in the head's own words.
    clip_note = 'clip scores are always averaged as probabilities'

    def __init__(self,
                 num_classes: int,
                 in_channels: Union[int, Sequence[int]],
                 streams: Sequence[str],
                 loss_cls: Dict,
                 init_std: float = 0.01,
                 **kwargs) -> None:
        name = type(self).__name__
        if kwargs.get('average_clips') == 'prob':
            kwargs.pop('average_clips')  # what these heads always do
        for key in _UNSUPPORTED:
            if kwargs.get(key):
                raise ValueError(
                    f'{name}: {key}={kwargs[key]!r} is not supported '
                    f'(single-label hard targets; {self.clip_note})')
            kwargs.pop(key, None)
        super().__init__(num_classes, in_channels, loss_cls, **kwargs)
        streams = tuple(streams)
        if not streams or any(s not in STREAMS for s in streams) or \
                len(set(streams)) != len(streams):
            raise ValueError(f'{name}: streams must be a non-empty subset of '
                             f'{STREAMS} without repeats, got {streams!r}')
        in_channels = tuple(int(c) for c in in_channels) if isinstance(
            in_channels, (list, tuple)) else (int(in_channels), )
        if len(in_channels) != len(streams):
            raise ValueError(f'{name}: in_channels {in_channels} must give '
                             f'one channel count per stream {streams}')
        self.streams, self.in_channels = streams, in_channels
        self.init_std = init_std

    @staticmethod
    def _resolve_hierarchy(hierarchy: Union[str, Sequence[int]]) -> List[int]:
        """A hierarchy name / mapping file (``load_hierarchy``) or a list,
        as a list of coarse ids."""
        if isinstance(hierarchy, str):
            hierarchy = load_hierarchy(hierarchy)
        return [int(g) for g in hierarchy]

    def _build_classifiers(self, dropout: Union[float, Dict[str, float]],
                           num_coarse: Optional[int]) -> None:
        """``avg_pool``, per-stream ``dropouts``, ``fc_fine`` and (with
        ``num_coarse``) ``fc_coarse``, in this order."""
        streams = self.streams
        if not isinstance(dropout, dict):
            dropout = {s: float(dropout) for s in streams}
        missing = [s for s in streams if s not in dropout]
        if missing:
            raise ValueError(f'{type(self).__name__}: dropout has no value '
                             f'for streams {missing}')
        self.avg_pool = nn.AdaptiveAvgPool3d(1)
        self.dropouts = nn.ModuleDict(
            {s: nn.Dropout(p=dropout[s]) for s in streams})
        self.fc_fine = nn.ModuleDict({
            s: nn.Linear(c, self.num_classes)
            for s, c in zip(streams, self.in_channels)
        })
        if num_coarse is not None:
            self.fc_coarse = nn.ModuleDict({
                s: nn.Linear(c, num_coarse)
                for s, c in zip(streams, self.in_channels)
            })

    def init_weights(self) -> None:
        """Normal init of the classifiers (other layers keep PyTorch's)."""
        fcs = [self.fc_fine]
        if 'fc_coarse' in self._modules:
            fcs.append(self.fc_coarse)
        for group in fcs:
            for fc in group.values():
                normal_init(fc, std=self.init_std)

    def _stream_features(self, x) -> Tuple[torch.Tensor, ...]:
        """One feature per stream, in the order of ``streams``."""
        if isinstance(x, torch.Tensor):
            x = (x, )
        if len(x) != len(self.streams):
            raise ValueError(f'{type(self).__name__} expects '
                             f'{len(self.streams)} features for streams '
                             f'{self.streams}, got {len(x)}')
        return tuple(x)

    def _fine_labels(self, data_samples: SampleList, batch: int,
                     device) -> torch.Tensor:
        """The ``(B,)`` fine labels (one clip per sample in training)."""
        if batch != len(data_samples):
            raise ValueError(
                f'{type(self).__name__}.loss: got {batch} feature rows for '
                f'{len(data_samples)} samples; train with num_clips=1')
        fine = torch.cat([ds.gt_label.view(-1)[:1] for ds in data_samples])
        return fine.long().to(device)

    def predict_by_feat(self, cls_scores: Dict,
                        data_samples: SampleList) -> SampleList:
        """Fuse the streams (mean of probabilities) into the samples.

        Args:
            cls_scores (dict): Output of ``forward``.
            data_samples (list[ActionDataSample]): The batch samples.

        Returns:
            list[ActionDataSample]: With ``pred_score``, ``pred_label``,
            ``stream_scores`` and, with coarse scores, ``pred_coarse_score``.
        """
        probs = self.stream_probabilities(cls_scores, len(data_samples))
        return write_stream_predictions(probs, self.streams, data_samples)

    def predict(self, feats: Tuple[torch.Tensor], data_samples: SampleList,
                **kwargs) -> SampleList:
        """Forward the features and return the predicted samples."""
        return self.predict_by_feat(self(feats, **kwargs), data_samples)

    def loss(self, feats: Tuple[torch.Tensor], data_samples: SampleList,
             **kwargs) -> Dict:
        """Forward the features and compute the losses."""
        return self.loss_by_feat(self(feats, **kwargs), data_samples)
