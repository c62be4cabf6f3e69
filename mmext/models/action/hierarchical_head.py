# Copyright (c) mmext contributors. All rights reserved.
"""Hierarchical RGB+pose head with PCAN-style prototype calibration.

Per stream (``'rgb'``, ``'pose'``) the head pools the backbone feature map and
applies a fine classifier (e.g. 52 MA-52 actions) and, optionally, a coarse
classifier (e.g. 7 body-part groups). Training minimises, per stream ``s``
with weight ``stream_weights[s]``::

    w_fine   * CE(fine_s, y)
  + w_coarse * CE(coarse_s, g(y))
  + w_tree   * KL(q_s || A p_s)        (tree consistency, see below)
  + w_proto  * L_proto(z_s, P_s)       (ambiguous-sample calibration)

*Tree consistency.* ``p_s = softmax(fine_s)`` summed within each coarse group
(``(A p)_g = sum_{c: g(c) = g} p_c``) is a coarse distribution implied by the
fine classifier; ``q_s = softmax(coarse_s)`` is the coarse classifier's. The
loss is ``KL(q || A p) = sum_g q_g (log q_g - log (A p)_g)`` averaged over
the batch; it is zero exactly when both classifiers agree on the group
probabilities and it penalises fine mass placed outside the group the coarse
classifier believes in. Gradients reach both classifiers.

*Prototypes* (after Li et al., "Prototypical Calibrating Ambiguous Samples
for Micro-Action Recognition", AAAI 2025 - PCAN). ``P_s`` holds one prototype
per fine class in the space of the L2-normalised pooled feature ``z``. They
are buffers (saved in checkpoints, not trained by the optimiser), updated
after every training step by an exponential moving average of the class-mean
normalised feature of the ground-truth labels in the batch (all-reduced
across processes), ``P_c <- m P_c + (1 - m) mean_{i: y_i = c} z_i``; a class
seen for the first time takes the batch mean directly.

A training sample is *ambiguous* when the stream predicts ``yhat != y``: it is
a false negative of class ``y`` and a false positive of class ``yhat``. The
calibration loss pulls false negatives to their class prototype and pushes
false positives away from the prototype of the class they were wrongly given::

    L_proto = 1/B * sum_{i: yhat_i != y_i} [ (1 - cos(z_i, P_{y_i}))
                             + max(0, cos(z_i, P_{yhat_i}) - margin) ]

(terms whose prototype has not been initialised yet are zero). PCAN also
calibrates at the body (coarse) level and adds a prototype diversity loss;
here prototypes are EMA buffers, so only the fine-level calibration is used.

*Inference.* The fine logits of each stream become
``fine_s + logit_weight * cos(z, P_c) / temperature`` for every class ``c``
with an initialised prototype (PCAN's prototype-guided rectification).
Per-stream softmax probabilities are averaged over clips; the fused scores
are the mean of the streams' probabilities.
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import SampleList

from .base_head import STREAMS, BaseRGBPoseHead, clip_average

__all__ = [
    'HierarchicalRGBPoseHead', 'group_matrix', 'coarse_log_probs',
    'tree_consistency_loss', 'prototype_calibration_loss',
    'ema_update_prototypes'
]

LOSS_TERMS = ('fine', 'coarse', 'tree', 'proto')
PROTOTYPE_KEYS = ('momentum', 'temperature', 'margin', 'logit_weight')


# ---------------------------------------------------------------------------
# Functional parts (tested against hand-computed cases)
# ---------------------------------------------------------------------------
def group_matrix(hierarchy: Sequence[int]) -> torch.Tensor:
    """One-hot ``(num_fine, num_coarse)`` matrix ``A[c, g] = [g(c) == g]``.

    Args:
        hierarchy (Sequence[int]): Coarse group of every fine class.

    Returns:
        torch.Tensor: Float matrix with one 1 per row.
    """
    index = torch.as_tensor(list(hierarchy), dtype=torch.long)
    return F.one_hot(index, int(index.max()) + 1).float()


def coarse_log_probs(fine_logits: torch.Tensor,
                     groups: torch.Tensor) -> torch.Tensor:
    """``log sum_{c in g} softmax(fine_logits)_c`` for every group ``g``.

    Args:
        fine_logits (torch.Tensor): ``(B, num_fine)``.
        groups (torch.Tensor): ``(num_fine, num_coarse)`` from
            :func:`group_matrix`.

    Returns:
        torch.Tensor: ``(B, num_coarse)`` log-probabilities (log-sum-exp
        within each group, numerically stable).
    """
    log_p = F.log_softmax(fine_logits, dim=-1)  # b k
    mask = groups.t().bool()  # g k
    masked = log_p.unsqueeze(1).masked_fill(~mask, float('-inf'))  # b g k
    return torch.logsumexp(masked, dim=-1)


def tree_consistency_loss(fine_logits: torch.Tensor,
                          coarse_logits: torch.Tensor,
                          groups: torch.Tensor) -> torch.Tensor:
    """``mean_b KL(softmax(coarse) || fine probabilities summed per group)``.

    Args:
        fine_logits (torch.Tensor): ``(B, num_fine)``.
        coarse_logits (torch.Tensor): ``(B, num_coarse)``.
        groups (torch.Tensor): ``(num_fine, num_coarse)`` group matrix.

    Returns:
        torch.Tensor: Scalar loss.
    """
    log_q = F.log_softmax(coarse_logits, dim=-1)
    log_agg = coarse_log_probs(fine_logits, groups)
    return (log_q.exp() * (log_q - log_agg)).sum(-1).mean()


def prototype_calibration_loss(feats: torch.Tensor,
                               prototypes: torch.Tensor,
                               valid: torch.Tensor,
                               labels: torch.Tensor,
                               preds: torch.Tensor,
                               margin: float = 0.0) -> torch.Tensor:
    """Pull false negatives to their class prototype, push false positives
    away from the prototype of the wrongly predicted class.

    Args:
        feats (torch.Tensor): ``(B, C)`` features (normalised inside).
        prototypes (torch.Tensor): ``(num_classes, C)`` (normalised inside).
        valid (torch.Tensor): ``(num_classes,)`` bool, prototype initialised.
        labels (torch.Tensor): ``(B,)`` ground-truth classes.
        preds (torch.Tensor): ``(B,)`` predicted classes.
        margin (float): Cosine below which a false positive is not pushed.

    Returns:
        torch.Tensor: Scalar, summed over ambiguous samples, divided by B.
    """
    z = F.normalize(feats, dim=-1)
    protos = F.normalize(prototypes, dim=-1)
    wrong = preds != labels
    cos_true = (z * protos[labels]).sum(-1)
    cos_pred = (z * protos[preds]).sum(-1)
    pull = (1 - cos_true) * (wrong & valid[labels])
    push = F.relu(cos_pred - margin) * (wrong & valid[preds])
    return (pull + push).sum() / feats.size(0)


@torch.no_grad()
def ema_update_prototypes(prototypes: torch.Tensor,
                          seen: torch.Tensor,
                          feats: torch.Tensor,
                          labels: torch.Tensor,
                          momentum: float,
                          sync: bool = True) -> None:
    """In-place EMA update of class prototypes from a batch.

    ``P_c <- momentum * P_c + (1 - momentum) * mean_{i: y_i = c} z_i`` with
    ``z = normalize(feats)``; classes never seen before take the mean. With
    ``sync`` and an initialised process group the class sums and counts are
    all-reduced first, so every process keeps the same prototypes.

    Args:
        prototypes (torch.Tensor): ``(num_classes, C)`` buffer, updated.
        seen (torch.Tensor): ``(num_classes,)`` float buffer counting the
            updates each class received, updated.
        feats (torch.Tensor): ``(B, C)`` features.
        labels (torch.Tensor): ``(B,)`` ground-truth classes.
        momentum (float): EMA momentum in [0, 1).
        sync (bool): All-reduce across processes. Defaults to True.
    """
    z = F.normalize(feats.detach().float(), dim=-1)
    sums = torch.zeros_like(prototypes, dtype=torch.float32)
    sums.index_add_(0, labels, z)
    counts = torch.bincount(labels, minlength=prototypes.size(0)).float()
    if sync and dist.is_available() and dist.is_initialized() \
            and dist.get_world_size() > 1:
        dist.all_reduce(sums)
        dist.all_reduce(counts)
    present = counts > 0
    if not present.any():
        return
    means = sums[present] / counts[present].unsqueeze(-1)
    old = prototypes[present].float()
    first = (seen[present] == 0).unsqueeze(-1)
    new = torch.where(first, means, momentum * old + (1 - momentum) * means)
    prototypes[present] = new.to(prototypes.dtype)
    seen[present] += 1


# ---------------------------------------------------------------------------
# The head
# ---------------------------------------------------------------------------
@MODELS.register_module()
class HierarchicalRGBPoseHead(BaseRGBPoseHead):
    """Fine + coarse classifiers per stream, tree consistency and PCAN-style
    prototype calibration (see the module docstring for the losses).

    The backbone returns one feature map per stream, in the order of
    ``streams`` (``RGBPoseConv3D`` and :class:`TwoStreamBackbone` return
    ``(rgb, pose)``; :class:`SingleStreamBackbone` returns one).

    Predictions set on every data sample:

    * ``pred_score`` - fused fine probabilities ``(num_classes,)`` (mean of
      the streams' probabilities), ``pred_label`` - its argmax;
    * ``pred_coarse_score`` - fused coarse probabilities (the coarse heads';
      without a coarse head but with a hierarchy, the fine probabilities
      summed per group; absent without a hierarchy);
    * ``stream_scores`` - ``{stream: {'fine': probs, 'coarse': probs}}``.

    Args:
        num_classes (int): Number of fine classes.
        in_channels (Sequence[int]): Feature channels of each stream.
        streams (Sequence[str]): Streams the backbone returns, in order;
            a non-empty subset of ``('rgb', 'pose')``.
            Defaults to ``('rgb', 'pose')``.
        hierarchy (str | Sequence[int], optional): Coarse group of each fine
            class, or a name/path for
            ``mmext.structures.action_hierarchy.load_hierarchy`` (``'ma52'``,
            ``'ntu60'``). Defaults to None (no coarse level).
        with_coarse_head (bool): Add a coarse classifier per stream (needs
            ``hierarchy``). Defaults to True.
        loss_cls (dict): Classification loss for both levels.
            Defaults to ``dict(type='CrossEntropyLoss')``.
        loss_weights (dict): Weights of the loss terms ``fine``, ``coarse``,
            ``tree``, ``proto``; missing keys are 1 (``coarse``/``tree``
            apply only with a coarse head, ``proto`` only with prototypes).
        stream_weights (dict, optional): Weight of each stream's losses.
            Defaults to 1 for every stream.
        prototype (dict, optional): Prototype settings, ``None`` disables
            them. Keys: ``momentum`` (EMA, default 0.9), ``temperature``
            (cosine temperature at inference, default 0.1), ``margin``
            (false-positive push margin, default 0.0), ``logit_weight``
            (weight of ``cos / temperature`` added to the fine logits at
            inference, default 0.5).
        dropout (float | dict): Dropout before the classifiers, one value or
            one per stream. Defaults to 0.5.
        init_std (float): Std of the classifiers' normal init.
            Defaults to 0.01.
        **kwargs: Other arguments of mmaction2's ``BaseHead`` (``topk``,
            ``init_cfg``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int],
                 streams: Sequence[str] = STREAMS,
                 hierarchy: Union[str, Sequence[int], None] = None,
                 with_coarse_head: bool = True,
                 loss_cls: Dict = dict(type='CrossEntropyLoss'),
                 loss_weights: Optional[Dict[str, float]] = None,
                 stream_weights: Optional[Dict[str, float]] = None,
                 prototype: Optional[Dict[str, float]] = dict(),
                 dropout: Union[float, Dict[str, float]] = 0.5,
                 init_std: float = 0.01,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, streams, loss_cls,
                         init_std, **kwargs)
        streams, in_channels = self.streams, self.in_channels

        # hierarchy -------------------------------------------------------
        if hierarchy is not None:
            hierarchy = self._resolve_hierarchy(hierarchy)
            if len(hierarchy) != num_classes:
                raise ValueError(
                    f'HierarchicalRGBPoseHead: hierarchy has '
                    f'{len(hierarchy)} entries but num_classes={num_classes}'
                    ' (one coarse group per fine class expected)')
            groups = group_matrix(hierarchy)
            if (groups.sum(0) == 0).any():
                raise ValueError('HierarchicalRGBPoseHead: hierarchy groups '
                                 'must be 0..G-1 with every group used')
            self.num_coarse_classes = groups.size(1)
            self.register_buffer('groups', groups, persistent=False)
            self.register_buffer(
                'fine_to_coarse',
                torch.as_tensor(hierarchy, dtype=torch.long),
                persistent=False)
        else:
            self.num_coarse_classes = 0
        if with_coarse_head and hierarchy is None:
            raise ValueError('HierarchicalRGBPoseHead: with_coarse_head=True '
                             'needs a hierarchy (e.g. hierarchy="ma52"); set '
                             'with_coarse_head=False for a flat head')
        self.hierarchy = hierarchy
        self.with_coarse_head = with_coarse_head

        # weights ---------------------------------------------------------
        loss_weights = dict(loss_weights or {})
        bad = sorted(set(loss_weights) - set(LOSS_TERMS))
        if bad:
            raise ValueError(f'HierarchicalRGBPoseHead: unknown loss_weights '
                             f'keys {bad}; valid keys are {LOSS_TERMS}')
        self.loss_weights = {k: float(loss_weights.get(k, 1.)) for k in
                             LOSS_TERMS}
        stream_weights = dict(stream_weights or {})
        bad = sorted(set(stream_weights) - set(streams))
        if bad:
            raise ValueError(f'HierarchicalRGBPoseHead: stream_weights keys '
                             f'{bad} are not among streams {streams}')
        self.stream_weights = {s: float(stream_weights.get(s, 1.))
                               for s in streams}

        # prototypes ------------------------------------------------------
        if prototype is not None:
            bad = sorted(set(prototype) - set(PROTOTYPE_KEYS))
            if bad:
                raise ValueError(f'HierarchicalRGBPoseHead: unknown prototype '
                                 f'keys {bad}; valid keys are '
                                 f'{PROTOTYPE_KEYS}')
            prototype = dict(
                dict(momentum=0.9, temperature=0.1, margin=0.0,
                     logit_weight=0.5), **prototype)
            if not 0 <= prototype['momentum'] < 1:
                raise ValueError('HierarchicalRGBPoseHead: prototype.momentum'
                                 f' must be in [0, 1), got '
                                 f'{prototype["momentum"]}')
            if prototype['temperature'] <= 0:
                raise ValueError('HierarchicalRGBPoseHead: prototype.'
                                 'temperature must be > 0, got '
                                 f'{prototype["temperature"]}')
            for s, c in zip(streams, in_channels):
                self.register_buffer(f'{s}_prototypes',
                                     torch.zeros(num_classes, c))
                self.register_buffer(f'{s}_prototype_seen',
                                     torch.zeros(num_classes))
        self.prototype = prototype

        # layers ----------------------------------------------------------
        self._build_classifiers(
            dropout, self.num_coarse_classes if with_coarse_head else None)

    @property
    def with_prototypes(self) -> bool:
        """Whether the head keeps class prototypes."""
        return self.prototype is not None

    def forward(self, x: Tuple[torch.Tensor], **kwargs) -> Dict:
        """Pool each stream and classify.

        Args:
            x (tuple[torch.Tensor]): One ``(B, C, T, H, W)`` (or ``(B, C)``)
                feature per stream, in the order of ``streams``.

        Returns:
            dict: ``{stream: {'feat': (B, C), 'fine': (B, K)
            [, 'coarse': (B, G)]}}`` (logits).
        """
        out = {}
        for s, feat in zip(self.streams, self._stream_features(x)):
            if feat.dim() > 2:
                feat = self.avg_pool(feat).flatten(1)
            h = self.dropouts[s](feat)
            out[s] = dict(feat=feat, fine=self.fc_fine[s](h))
            if self.with_coarse_head:
                out[s]['coarse'] = self.fc_coarse[s](h)
        return out

    # ------------------------------------------------------------------ loss
    def _labels(self, data_samples: SampleList, batch: int,
                device) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        fine = self._fine_labels(data_samples, batch, device)
        coarse = None
        if self.hierarchy is not None:
            if all('gt_coarse_label' in ds for ds in data_samples):
                coarse = torch.cat([
                    torch.as_tensor(ds.gt_coarse_label).view(-1)[:1]
                    for ds in data_samples
                ]).long().to(device)
            else:
                coarse = self.fine_to_coarse[fine]
        return fine, coarse

    def loss_by_feat(self, cls_scores: Dict,
                     data_samples: SampleList) -> Dict:
        """Compute the losses of every stream (module docstring) and update
        the prototypes (training only).

        Args:
            cls_scores (dict): Output of :meth:`forward`.
            data_samples (list[ActionDataSample]): With ``gt_label`` and,
                optionally, ``gt_coarse_label``.

        Returns:
            dict: ``{stream}_loss_fine``, ``{stream}_loss_coarse``,
            ``{stream}_loss_tree``, ``{stream}_loss_proto`` (those that
            apply) and ``{stream}_top1_acc``.
        """
        first = cls_scores[self.streams[0]]['fine']
        labels, coarse_labels = self._labels(data_samples, first.size(0),
                                             first.device)
        w = self.loss_weights
        losses = {}
        for s in self.streams:
            out, sw = cls_scores[s], self.stream_weights[s]
            fine = out['fine']
            losses[f'{s}_loss_fine'] = sw * w['fine'] * self.loss_cls(
                fine, labels)
            preds = fine.detach().argmax(-1)
            losses[f'{s}_top1_acc'] = (preds == labels).float().mean()
            if self.with_coarse_head:
                coarse = out['coarse']
                losses[f'{s}_loss_coarse'] = sw * w['coarse'] * self.loss_cls(
                    coarse, coarse_labels)
                losses[f'{s}_loss_tree'] = sw * w['tree'] * \
                    tree_consistency_loss(fine, coarse, self.groups)
            if self.with_prototypes:
                protos = getattr(self, f'{s}_prototypes')
                seen = getattr(self, f'{s}_prototype_seen')
                losses[f'{s}_loss_proto'] = sw * w['proto'] * \
                    prototype_calibration_loss(
                        out['feat'], protos.detach().clone(), seen > 0,
                        labels, preds, self.prototype['margin'])
                if self.training:
                    ema_update_prototypes(protos, seen, out['feat'], labels,
                                          self.prototype['momentum'])
        return losses

    # --------------------------------------------------------------- predict
    def prototype_logits(self, stream: str,
                         feats: torch.Tensor) -> torch.Tensor:
        """``logit_weight * cos(z, P_c) / temperature`` for classes with an
        initialised prototype, 0 for the others.

        Args:
            stream (str): Stream name.
            feats (torch.Tensor): ``(B, C)`` pooled features.

        Returns:
            torch.Tensor: ``(B, num_classes)``.
        """
        protos = getattr(self, f'{stream}_prototypes')
        seen = getattr(self, f'{stream}_prototype_seen') > 0
        cos = F.normalize(feats, dim=-1) @ F.normalize(protos, dim=-1).t()
        scale = self.prototype['logit_weight'] / self.prototype['temperature']
        return scale * cos * seen.to(cos.dtype)

    def stream_probabilities(self, cls_scores: Dict,
                             num_samples: int) -> Dict[str, Dict]:
        """Per-stream softmax probabilities averaged over clips.

        Args:
            cls_scores (dict): Output of :meth:`forward`.
            num_samples (int): Number of samples (rows / clips per sample).

        Returns:
            dict: ``{stream: {'fine': (N, K)[, 'coarse': (N, G)]}}``.
        """
        result = {}
        for s in self.streams:
            out = cls_scores[s]
            fine = out['fine']
            if self.with_prototypes:
                fine = fine + self.prototype_logits(s, out['feat'])
            probs = {'fine': F.softmax(fine, dim=-1)}
            if self.with_coarse_head:
                probs['coarse'] = F.softmax(out['coarse'], dim=-1)
            elif self.hierarchy is not None:
                probs['coarse'] = probs['fine'] @ self.groups
            result[s] = clip_average(probs, num_samples)
        return result
