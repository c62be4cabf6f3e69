# Copyright (c) mmext contributors. All rights reserved.
"""PCAN head: Prototypical Calibrating Ambiguous Samples (Li et al., AAAI
2025), as in the official code (github.com/kunli-cs/PCAN, commit 873788a,
``mmaction2/mmaction/models/heads/rgbpose_head.py``).

Per stream ``s`` (``'rgb'``, ``'pose'``) the backbone feature map ``x``
(B, C, T, H, W) gives two pooled vectors:

* ``a = avgpool_THW(x)`` - the classifiers' input: fine logits
  ``u = W_f a`` (K actions) and coarse logits ``v = W_c a`` (G body parts);
* ``m = maxpool_HW(mean_T(x))`` - the prototype branch's input, projected by
  a learned linear layer per level: ``f = P_f m`` (fine, 256-d in PCAN) and
  ``g = P_c m`` (coarse, 128-d).

**Prototype memories** ``M_f`` (K, D_f) and ``M_c`` (G, D_c) start from a
standard normal draw and are not trained by the optimiser. In every training
step a class ``k`` with *true positives* in the batch moves to
``M_k <- 0.9 M_k + 0.1 mean(f_i : i true positive of k)``. At the fine level
a true positive is a sample whose fine **and** coarse predictions are both
correct; at the coarse level one whose coarse prediction is correct.

**Contrastive loss over prototypes** (FR-Head style, temperature ``tau =
0.125``, ``alpha = 0.125``). With ``z = f / |f|``, ``p = softmax(u)``, the
per-class sums ``S^X_k = sum_i [i in X_k] f_i`` of a sample set ``X`` and
``has^X_k = [X_k non-empty]``, the score of sample ``i`` for class ``k`` is::

    l^X_ik = ( cos(M'_k, z_i) + [k = y_i] alpha (1 - p_ik) has^X_k
               * (s * cos(S^X_k, z_i) - 1) ) / tau

with ``s = +1`` for false-negative sets (pull) and ``s = -1`` for the
false-positive set (push), ``M'`` the memory after this step's update (the
update keeps the batch mean's gradient). Fine level: FN sets
``FN1`` = fine wrong / coarse right, ``FN2`` = fine right / coarse wrong,
``FN3`` = both wrong, grouped by the true class, ``FP`` = fine wrong grouped
by the predicted class; loss
``mean_i[CE(1.0 l^FN1_i, y_i) + CE(0.1 l^FN2_i, y_i) + CE(0.5 l^FN3_i, y_i)
+ CE(l^FP_i, y_i)]`` (the factors scale the logits, as in the official
code) plus the prototype diversity ``||cos(M', M')||_F``. Coarse level: one
FN set (coarse wrong) and FP; ``mean_i[CE(l^FN_i, c_i) + CE(l^FP_i, c_i)]``.

**Tree loss** (HRN, Chen et al., CVPR 2022, as borrowed by PCAN): with
sigmoid node scores ``sigma([v, u])`` and the legal states "coarse node g
alone" and "fine node k with its parent", the loss is
``-log softmax_states(sum of active node scores)[state of y_i]``.

**Total** per stream: ``CE(u, y) + CE(v, c) + tree + (L_fine + div) / 5 +
L_coarse / 5`` (the official weights; configurable).

**Inference** (prototype-guided rectification): fine logits become
``u + w_s cos(P_f a, M_f)`` with ``w = 5`` for RGB and ``1`` for pose;
softmax probabilities are averaged over clips; the fused score is the mean
of the streams' probabilities (the official ``eval_ma52/eval_test.py``).

Deviations from the official code (none changes a single-process run):

* the coarse memories are buffers saved in checkpoints (the official code
  keeps them as plain attributes, so a resumed run restarts them at random);
* with several processes each one computes the update from its own batch,
  as the official code does, and the stored memories are then averaged over
  the processes so that every rank keeps the same prototypes (the official
  code lets them drift apart and saves rank 0's);
* the diversity term is computed without gradient: in the official code the
  memory is re-created as a detached leaf before the term is taken, so it
  never reaches a trained weight either; it is kept in the loss so that the
  logged totals are the official ones (``{stream}_loss_proto_div``).

``tests/data/action/pcan_head_official.npz`` holds the official head's
losses, gradients, memories and predictions on fixed weights and inputs
(``tools/misc/make_pcan_head_fixture.py`` regenerates it from a checkout of
the official repository); ``tests/test_models/test_action/test_pcan_head.py``
matches this head against it.
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import SampleList

from .base_head import STREAMS, BaseRGBPoseHead, clip_average

__all__ = [
    'PCANHead', 'hrn_tree_loss', 'prototype_contrast_loss',
    'update_prototype_memory', 'prototype_diversity'
]

LOSS_TERMS = ('fine', 'coarse', 'tree', 'proto_fine', 'proto_coarse')
DEFAULT_LOSS_WEIGHTS = dict(
    fine=1.0, coarse=1.0, tree=1.0, proto_fine=0.2, proto_coarse=0.2)
_EPS = 1e-12


# ---------------------------------------------------------------------------
# Functional parts (each matched against the official code in the tests)
# ---------------------------------------------------------------------------
def hrn_tree_loss(coarse_logits: torch.Tensor, fine_logits: torch.Tensor,
                  labels: torch.Tensor,
                  fine_to_coarse: torch.Tensor) -> torch.Tensor:
    """HRN tree loss over the legal label states of a two-level hierarchy.

    States: ``G`` "coarse node alone" states and ``K`` "fine node + its
    parent" states. A state's score is the sum of the sigmoid scores of its
    active nodes; the loss is ``-log softmax(state scores)`` at the state
    of the true fine class, averaged over the batch.

    Args:
        coarse_logits (torch.Tensor): ``(B, G)``.
        fine_logits (torch.Tensor): ``(B, K)``.
        labels (torch.Tensor): ``(B,)`` fine classes.
        fine_to_coarse (torch.Tensor): ``(K,)`` parent of every fine class.

    Returns:
        torch.Tensor: Scalar loss.
    """
    sc = torch.sigmoid(coarse_logits)
    sf = torch.sigmoid(fine_logits)
    states = torch.cat([sc, sf + sc[:, fine_to_coarse]], dim=1)  # b (g+k)
    num_coarse = coarse_logits.size(1)
    target = labels + num_coarse
    return (torch.logsumexp(states, dim=1) -
            states.gather(1, target[:, None]).squeeze(1)).mean()


@torch.no_grad()
def prototype_diversity(memory: torch.Tensor) -> torch.Tensor:
    """Frobenius norm of the prototypes' cosine-similarity matrix.

    Args:
        memory (torch.Tensor): ``(K, D)`` prototypes.

    Returns:
        torch.Tensor: Scalar (no gradient).
    """
    norm = memory.norm(dim=1)
    cos = (memory @ memory.t()) / (norm[:, None] * norm[None, :])
    return cos.norm()


def update_prototype_memory(memory: torch.Tensor, feats: torch.Tensor,
                            tp: torch.Tensor,
                            momentum: float) -> torch.Tensor:
    """Momentum update of the classes that have true positives.

    ``M'_k = momentum * M_k + (1 - momentum) * mean(f_i : tp_ik = 1)`` for
    classes with at least one true positive, ``M'_k = M_k`` otherwise. The
    result keeps the gradient of the batch means.

    Args:
        memory (torch.Tensor): ``(K, D)`` current memory (not changed).
        feats (torch.Tensor): ``(B, D)`` projected features.
        tp (torch.Tensor): ``(B, K)`` float true-positive indicator.
        momentum (float): In [0, 1).

    Returns:
        torch.Tensor: ``(K, D)`` updated memory.
    """
    counts = tp.sum(0)  # k
    means = (tp.t() @ feats) / (counts[:, None] + _EPS)
    has = (counts > 1e-8)[:, None]
    return torch.where(has, momentum * memory.detach() +
                       (1 - momentum) * means, memory.detach())


def prototype_contrast_loss(feats: torch.Tensor,
                            memory: torch.Tensor,
                            labels: torch.Tensor,
                            probs: torch.Tensor,
                            fn_sets: Sequence[Tuple[torch.Tensor, float]],
                            fp_set: torch.Tensor,
                            temperature: float = 0.125,
                            alpha: float = 0.125) -> torch.Tensor:
    """Contrastive CE over prototypes with FN / FP modulation.

    Args:
        feats (torch.Tensor): ``(B, D)`` projected features (normalised
            inside).
        memory (torch.Tensor): ``(K, D)`` prototypes after this step's
            update.
        labels (torch.Tensor): ``(B,)`` true classes.
        probs (torch.Tensor): ``(B, K)`` softmax of the classifier's logits.
        fn_sets (list[tuple[torch.Tensor, float]]): False-negative sets as
            ``(B, K)`` indicators (column = true class) with the factor that
            scales their logits.
        fp_set (torch.Tensor): ``(B, K)`` false-positive indicator (column =
            predicted class); its logits are not scaled.
        temperature (float): ``tau``. Defaults to 0.125.
        alpha (float): Modulation strength. Defaults to 0.125.

    Returns:
        torch.Tensor: Scalar, batch mean of the summed CE terms.
    """

    def unit(x):
        return x / (x.norm(dim=-1, keepdim=True) + _EPS)

    z = unit(feats)
    onehot = F.one_hot(labels, memory.size(0)).to(feats.dtype)
    p_map = (1 - probs) * onehot * alpha  # b k
    score_mem = z @ unit(memory).t()  # b k
    total = 0.
    sets = [(m, w, 1.) for m, w in fn_sets] + [(fp_set, 1., -1.)]
    for mask, factor, sign in sets:
        sums = unit(mask.t() @ feats)  # k d
        has = (mask.sum(0) > 1e-8).to(feats.dtype)  # k
        mod = (sign * (z @ sums.t()) - 1) * p_map * has
        logits = (score_mem + mod) / temperature
        total = total + F.cross_entropy(
            logits * factor, labels, reduction='none')
    return total.mean()


def _all_reduce_mean(x: torch.Tensor) -> torch.Tensor:
    if dist.is_available() and dist.is_initialized() \
            and dist.get_world_size() > 1:
        x = x.clone()
        dist.all_reduce(x)
        x /= dist.get_world_size()
    return x


# ---------------------------------------------------------------------------
# The head
# ---------------------------------------------------------------------------
@MODELS.register_module()
class PCANHead(BaseRGBPoseHead):
    """PCAN head for RGB + pose (or one stream); see the module docstring.

    Predictions set on every data sample (the contract of
    :class:`HierarchicalRGBPoseHead`, read by ``HierarchicalActionMetric``):
    ``pred_score`` / ``pred_label`` (fused fine), ``pred_coarse_score``
    (fused coarse) and ``stream_scores = {stream: {'fine', 'coarse'}}``.

    Args:
        num_classes (int): Number of fine classes.
        in_channels (Sequence[int]): Feature channels of each stream.
        hierarchy (str | Sequence[int]): Coarse group of each fine class or a
            name for ``load_hierarchy`` (``'ma52'``, ``'ntu60'``).
        streams (Sequence[str]): Streams the backbone returns, in order.
            Defaults to ``('rgb', 'pose')``.
        loss_cls (dict): Classification loss of both levels.
        loss_weights (dict, optional): Weights of ``fine``, ``coarse``,
            ``tree``, ``proto_fine`` (with the diversity term) and
            ``proto_coarse``. Defaults to PCAN's 1, 1, 1, 0.2, 0.2.
        proto_channels (Sequence[int]): Projection widths of the fine and
            coarse prototype spaces. Defaults to PCAN's ``(256, 128)``.
        temperature (float): Contrastive temperature. Defaults to 0.125.
        alpha (float): FN / FP modulation strength. Defaults to 0.125.
        momentum (float): Memory momentum. Defaults to 0.9.
        fn_factors (Sequence[float]): Logit factors of the fine FN1, FN2,
            FN3 sets. Defaults to PCAN's ``(1.0, 0.1, 0.5)``.
        with_diversity (bool): Add the prototype diversity term.
            Defaults to True.
        rectify_weights (dict): Weight of the prototype cosine added to each
            stream's fine logits at inference. Defaults to PCAN's
            ``dict(rgb=5.0, pose=1.0)``.
        dropout (float | dict): Dropout before the classifiers.
            Defaults to 0.5.
        init_std (float): Std of the classifiers' normal init.
        **kwargs: ``topk`` / ``init_cfg`` of mmaction2's ``BaseHead``.
    """

    clip_note = 'clip scores are averaged as probabilities, as in PCAN'

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int],
                 hierarchy: Union[str, Sequence[int]],
                 streams: Sequence[str] = STREAMS,
                 loss_cls: Dict = dict(type='CrossEntropyLoss'),
                 loss_weights: Optional[Dict[str, float]] = None,
                 proto_channels: Sequence[int] = (256, 128),
                 temperature: float = 0.125,
                 alpha: float = 0.125,
                 momentum: float = 0.9,
                 fn_factors: Sequence[float] = (1.0, 0.1, 0.5),
                 with_diversity: bool = True,
                 rectify_weights: Optional[Dict[str, float]] = None,
                 dropout: Union[float, Dict[str, float]] = 0.5,
                 init_std: float = 0.01,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, streams, loss_cls,
                         init_std, **kwargs)
        streams, in_channels = self.streams, self.in_channels

        if hierarchy is None:
            raise ValueError('PCANHead: hierarchy is required (PCAN '
                             "calibrates at the fine and coarse levels), "
                             "e.g. hierarchy='ma52'")
        hierarchy = self._resolve_hierarchy(hierarchy)
        if len(hierarchy) != num_classes:
            raise ValueError(
                f'PCANHead: hierarchy maps {len(hierarchy)} fine classes but '
                f'num_classes={num_classes}')
        self.hierarchy = hierarchy
        self.num_coarse_classes = max(hierarchy) + 1
        self.register_buffer(
            'fine_to_coarse', torch.tensor(hierarchy, dtype=torch.long),
            persistent=False)

        weights = dict(loss_weights or {})
        bad = sorted(set(weights) - set(LOSS_TERMS))
        if bad:
            raise ValueError(f'PCANHead: unknown loss_weights keys {bad}; '
                             f'valid keys are {LOSS_TERMS}')
        self.loss_weights = {
            k: float(weights.get(k, DEFAULT_LOSS_WEIGHTS[k]))
            for k in LOSS_TERMS
        }
        if len(tuple(proto_channels)) != 2:
            raise ValueError('PCANHead: proto_channels must be (fine, '
                             f'coarse) widths, got {proto_channels!r}')
        if len(tuple(fn_factors)) != 3:
            raise ValueError('PCANHead: fn_factors must give the FN1, FN2, '
                             f'FN3 logit factors, got {fn_factors!r}')
        if not 0 <= momentum < 1:
            raise ValueError(
                f'PCANHead: momentum must be in [0, 1), got {momentum}')
        if temperature <= 0:
            raise ValueError(
                f'PCANHead: temperature must be > 0, got {temperature}')
        self.temperature, self.alpha = float(temperature), float(alpha)
        self.momentum = float(momentum)
        self.fn_factors = tuple(float(f) for f in fn_factors)
        self.with_diversity = with_diversity
        rectify = dict(rgb=5.0, pose=1.0)
        rectify.update(rectify_weights or {})
        bad = sorted(set(rectify) - set(STREAMS))
        if bad:
            raise ValueError(f'PCANHead: rectify_weights keys {bad} are not '
                             f'streams {STREAMS}')
        self.rectify_weights = {s: float(rectify[s]) for s in streams}

        self._build_classifiers(dropout, self.num_coarse_classes)
        d_fine, d_coarse = (int(c) for c in proto_channels)
        self.proj_fine = nn.ModuleDict(
            {s: nn.Linear(c, d_fine) for s, c in zip(streams, in_channels)})
        self.proj_coarse = nn.ModuleDict(
            {s: nn.Linear(c, d_coarse) for s, c in zip(streams,
                                                       in_channels)})
        for s in streams:
            self.register_buffer(f'{s}_memory_fine',
                                 torch.randn(num_classes, d_fine))
            self.register_buffer(f'{s}_memory_coarse',
                                 torch.randn(self.num_coarse_classes,
                                             d_coarse))

    # --------------------------------------------------------------- forward
    def forward(self, x: Tuple[torch.Tensor], **kwargs) -> Dict:
        """Pool each stream and classify.

        Args:
            x (tuple[torch.Tensor]): One ``(B, C, T, H, W)`` (or ``(B, C)``)
                feature per stream, in the order of ``streams``.

        Returns:
            dict: ``{stream: {'avg': (B, C), 'max': (B, C), 'fine': (B, K),
            'coarse': (B, G)}}`` (logits; ``max`` is the prototype branch's
            input).
        """
        out = {}
        for s, feat in zip(self.streams, self._stream_features(x)):
            if feat.dim() == 5:
                avg = self.avg_pool(feat).flatten(1)
                mx = feat.mean(dim=2).amax(dim=(-2, -1))
            elif feat.dim() == 2:
                avg = mx = feat
            else:
                raise ValueError(f'PCANHead: stream {s!r} feature must be '
                                 '(B, C, T, H, W) or (B, C), got '
                                 f'{tuple(feat.shape)}')
            h = self.dropouts[s](avg)
            out[s] = dict(
                avg=avg, max=mx, fine=self.fc_fine[s](h),
                coarse=self.fc_coarse[s](h))
        return out

    # ------------------------------------------------------------------ loss
    def _labels(self, data_samples: SampleList, batch: int,
                device) -> Tuple[torch.Tensor, torch.Tensor]:
        fine = self._fine_labels(data_samples, batch, device)
        if fine.min() < 0 or fine.max() >= self.num_classes:
            raise ValueError(f'PCANHead.loss: labels {fine.tolist()} outside '
                             f'[0, {self.num_classes})')
        return fine, self.fine_to_coarse.to(device)[fine]

    def _level_losses(self, s: str, level: str, proj_in: torch.Tensor,
                      logits: torch.Tensor, labels: torch.Tensor,
                      tp: torch.Tensor, fn_sets, fp: torch.Tensor) -> Dict:
        proj = self.proj_fine[s] if level == 'fine' else self.proj_coarse[s]
        name = f'{s}_memory_{level}'
        memory = getattr(self, name)
        f = proj(proj_in)
        new_memory = update_prototype_memory(memory, f, tp, self.momentum)
        loss = prototype_contrast_loss(f, new_memory, labels,
                                       logits.softmax(-1), fn_sets, fp,
                                       self.temperature, self.alpha)
        if self.training:
            memory.copy_(_all_reduce_mean(new_memory.detach()))
        return loss

    def loss_by_feat(self, cls_scores: Dict,
                     data_samples: SampleList) -> Dict:
        """All PCAN losses of every stream; updates the memories when
        training.

        Args:
            cls_scores (dict): Output of :meth:`forward`.
            data_samples (list[ActionDataSample]): With ``gt_label``.

        Returns:
            dict: Per stream ``{s}_loss_fine``, ``{s}_loss_coarse``,
            ``{s}_loss_tree``, ``{s}_loss_proto_fine``,
            ``{s}_loss_proto_div`` (constant, see module docstring),
            ``{s}_loss_proto_coarse`` and ``{s}_top1_acc``.
        """
        first = cls_scores[self.streams[0]]['fine']
        y, c = self._labels(data_samples, first.size(0), first.device)
        w = self.loss_weights
        losses = {}
        for s in self.streams:
            out = cls_scores[s]
            fine, coarse = out['fine'], out['coarse']
            losses[f'{s}_loss_fine'] = w['fine'] * self.loss_cls(fine, y)
            losses[f'{s}_loss_coarse'] = w['coarse'] * self.loss_cls(
                coarse, c)
            losses[f'{s}_loss_tree'] = w['tree'] * hrn_tree_loss(
                coarse, fine, y, self.fine_to_coarse.to(y.device))

            pf = fine.detach().argmax(-1)
            pc = coarse.detach().argmax(-1)
            fine_ok = (pf == y).to(fine.dtype)[:, None]
            coarse_ok = (pc == c).to(fine.dtype)[:, None]
            oh_y = F.one_hot(y, self.num_classes).to(fine.dtype)
            oh_pf = F.one_hot(pf, self.num_classes).to(fine.dtype)
            fn_sets = [
                (oh_y * (1 - fine_ok) * coarse_ok, self.fn_factors[0]),
                (oh_y * fine_ok * (1 - coarse_ok), self.fn_factors[1]),
                (oh_y * (1 - fine_ok) * (1 - coarse_ok), self.fn_factors[2]),
            ]
            losses[f'{s}_loss_proto_fine'] = w['proto_fine'] * \
                self._level_losses(s, 'fine', out['max'], fine, y,
                                   oh_y * fine_ok * coarse_ok, fn_sets,
                                   oh_pf * (1 - fine_ok))
            if self.with_diversity:
                losses[f'{s}_loss_proto_div'] = w['proto_fine'] * \
                    prototype_diversity(getattr(self, f'{s}_memory_fine'))

            g = self.num_coarse_classes
            oh_c = F.one_hot(c, g).to(fine.dtype)
            oh_pc = F.one_hot(pc, g).to(fine.dtype)
            losses[f'{s}_loss_proto_coarse'] = w['proto_coarse'] * \
                self._level_losses(s, 'coarse', out['max'], coarse, c,
                                   oh_c * coarse_ok,
                                   [(oh_c * (1 - coarse_ok), 1.0)],
                                   oh_pc * (1 - coarse_ok))
            losses[f'{s}_top1_acc'] = fine_ok.mean()
        return losses

    # --------------------------------------------------------------- predict
    def rectified_logits(self, stream: str, out: Dict) -> torch.Tensor:
        """Fine logits plus ``w_s * cos(P_f a, M_f)`` (PCAN inference).

        Args:
            stream (str): Stream name.
            out (dict): That stream's entry of :meth:`forward`'s output.

        Returns:
            torch.Tensor: ``(B, K)``.
        """
        f = self.proj_fine[stream](out['avg'])
        memory = getattr(self, f'{stream}_memory_fine')
        cos = F.cosine_similarity(f[:, None], memory[None], dim=2)
        return out['fine'] + self.rectify_weights[stream] * cos

    def stream_probabilities(self, cls_scores: Dict,
                             num_samples: int) -> Dict[str, Dict]:
        """Per-stream softmax probabilities averaged over clips.

        Args:
            cls_scores (dict): Output of :meth:`forward`.
            num_samples (int): Number of samples.

        Returns:
            dict: ``{stream: {'fine': (N, K), 'coarse': (N, G)}}``.
        """
        result = {}
        for s in self.streams:
            out = cls_scores[s]
            result[s] = clip_average(
                dict(
                    fine=self.rectified_logits(s, out).softmax(-1),
                    coarse=out['coarse'].softmax(-1)), num_samples)
        return result
