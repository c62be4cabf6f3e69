# Copyright (c) mmext contributors. All rights reserved.
"""Paper-style 3D pose-lifting metrics (MotionBERT / MotionAGFormer)."""
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpose.registry import METRICS

from . import functional as F

#: MotionBERT / MotionAGFormer drop these Human3.6M videos in evaluation
#: (compared against ``source`` without its ``_ca_XX`` suffix).
MOTIONBERT_BLOCK_LIST = ('s_09_act_05_subact_02', 's_09_act_10_subact_02',
                         's_09_act_13_subact_01')


def to_numpy(x) -> np.ndarray:
    """Tensor / array / list -> numpy array."""
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _poses(x, name: str) -> np.ndarray:
    arr = to_numpy(x).astype(np.float64)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 3:
        raise ValueError(f'pose3d metric: data_sample {name} has shape '
                         f'{arr.shape}, expected (T, K, 3) or (1, T, K, 3)')
    return arr


def _action_and_video(ds: dict) -> Tuple[str, str]:
    """Action and video id of a sample (own meta or mmpose image names)."""
    action, video = ds.get('action'), ds.get('video')
    if action is None or video is None:
        paths = ds.get('target_img_path')
        if paths is None:
            raise KeyError(
                "pose3d metric: data_sample has neither 'action'/'video' nor "
                "'target_img_path' meta (add them to PackPoseInputs' "
                'meta_keys)')
        path = paths[0] if isinstance(paths, (list, tuple, np.ndarray)) \
            else paths
        base = osp.basename(str(path))
        subj_act = base.split('.')[0]  # 'S9_Directions_1'
        rest = subj_act.split('_', 1)[-1]
        action = action or rest.split('_')[0]
        video = video or subj_act
    return str(action), str(video)


def format_table(header: Sequence[str], rows: List[Sequence]) -> str:
    """Plain-text table; floats printed with 2 decimals."""
    cells = [[str(h) for h in header]] + [[
        f'{v:.2f}' if isinstance(v, (float, np.floating)) else str(v)
        for v in row
    ] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'
    out = [line]
    for j, r in enumerate(cells):
        out.append('| ' + ' | '.join(c.rjust(w) for c, w in zip(r, widths)) +
                   ' |')
        if j == 0 or j == len(cells) - 1:
            out.append(line)
    return '\n'.join(out)


@METRICS.register_module()
class Pose3DMetric(BaseMetric):
    """MPJPE, P-MPJPE, N-MPJPE and MPJVE in mm, averaged per action.

    Mirrors the Human3.6M evaluation of MotionBERT / MotionAGFormer
    (``evaluate`` in their ``train.py``): predictions and ground truth are
    root-relative and in the metric unit (mmpose's ``MotionBERTLabel``
    decoder already multiplies predictions by the 2.5d factor and returns
    metres; ``gt_instances.lifting_target`` of the test-mode codec is the
    same quantity), each test frame is counted once (a frame covered by
    several clips gets the mean of its errors), frames of videos in
    ``skip_list`` are dropped, errors are averaged over the frames of each
    action and then over actions.

    Reads from each data sample: ``pred_instances.keypoints`` (T, K, 3) or
    (1, T, K, 3); ``gt_instances.lifting_target`` (T, K, 3);
    ``gt_instances.lifting_target_visible`` (T, K) (optional); meta
    ``action`` and ``video`` (else parsed from ``target_img_path`` as mmpose
    does), ``frame_ids`` (T,) (optional; without it every frame of every
    clip counts separately).

    Args:
        unit_scale (float): factor to millimetres (1000 for metres).
        root_index (int): root joint made the origin of both poses.
        skip_list (Sequence[str]): videos to ignore (MotionBERT's
            ``MOTIONBERT_BLOCK_LIST`` for H36M; mmpose's names like
            ``'S9_Greeting'`` for its npz data).
        per_action (bool): average per action first (paper protocol); if
            False, average over all frames.
        per_sample_file (str, optional): also write every frame's errors
            (mm) to this JSON file, keyed by frame id, for paired
            significance tests (``tools/test.py --per-sample``).
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): metric name prefix.
    """

    METRIC_NAMES = ('MPJPE', 'P-MPJPE', 'N-MPJPE', 'MPJVE')

    def __init__(self,
                 unit_scale: float = 1000.,
                 root_index: int = 0,
                 skip_list: Sequence[str] = (),
                 per_action: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 per_sample_file: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.per_sample_file = per_sample_file
        if isinstance(skip_list, str):
            raise TypeError('Pose3DMetric: skip_list must be a list of '
                            f'video names, got the string {skip_list!r}')
        self.unit_scale = float(unit_scale)
        self.root_index = int(root_index)
        self.skip_list = set(skip_list)
        self.per_action = per_action

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store per-frame errors of each sample (in mm)."""
        for ds in data_samples:
            action, video = _action_and_video(ds)
            if video in self.skip_list:
                continue
            pred = _poses(ds['pred_instances']['keypoints'],
                          'pred_instances.keypoints')
            gt = _poses(ds['gt_instances']['lifting_target'],
                        'gt_instances.lifting_target')
            if pred.shape != gt.shape:
                raise ValueError(
                    f'pose3d metric: pred_instances.keypoints {pred.shape} '
                    f'and gt_instances.lifting_target {gt.shape} differ')
            vis = ds['gt_instances'].get('lifting_target_visible')
            mask = (np.ones(gt.shape[:2], bool) if vis is None else
                    to_numpy(vis).astype(bool).reshape(gt.shape[:2]))
            r = self.root_index
            pred = (pred - pred[:, r:r + 1]) * self.unit_scale
            gt = (gt - gt[:, r:r + 1]) * self.unit_scale
            frame_ids = ds.get('frame_ids')
            self.results.append(
                dict(
                    action=action,
                    video=video,
                    frame_ids=None if frame_ids is None else to_numpy(
                        frame_ids).astype(np.int64).reshape(-1),
                    mpjpe=F.mpjpe(pred, gt, mask),
                    p_mpjpe=F.p_mpjpe(pred, gt, mask),
                    n_mpjpe=F.n_mpjpe(pred, gt, mask),
                    mpjve=F.velocity_error(pred, gt, mask)))

    @staticmethod
    def frame_errors(results: List[dict]) -> Dict[str, Dict[str, list]]:
        """Per-frame errors, a frame seen by several clips averaged.

        Returns:
            dict: ``{metric: {action: [error of each counted frame]}}``.
        """
        table, action_of = Pose3DMetric.frame_error_table(results)
        out = {}
        for m, errors in table.items():
            per_action = defaultdict(list)
            for k, err in errors.items():
                per_action[action_of[k]].append(err)
            out[m] = dict(per_action)
        return out

    @staticmethod
    def frame_error_table(results: List[dict],
                          with_video: bool = False) -> Tuple[dict, ...]:
        """Per-frame errors keyed by frame: ``({metric: {key: error}},
        {key: action})``, and ``{key: video}`` with ``with_video``; a key is
        ``('id', frame id)``, or ``('anon', n)`` for samples without
        ``frame_ids``."""
        sums = {m: defaultdict(lambda: [0., 0]) for m in
                ('mpjpe', 'p_mpjpe', 'n_mpjpe', 'mpjve')}
        action_of, video_of = {}, {}
        anon = 0
        for res in results:
            T = len(res['mpjpe'])
            ids = res['frame_ids']
            if ids is None or len(ids) != T:
                keys = [('anon', anon + t) for t in range(T)]
                anon += T
            else:
                # duplicated ids inside one clip (resampled short videos)
                # count once, as in MotionBERT's fancy-index accumulation
                keys = [('id', int(i)) for i in ids]
            seen = {m: set() for m in sums}
            for m in sums:
                vals = res[m]
                ks = keys[1:] if m == 'mpjve' else keys
                for k, v in zip(ks, vals):
                    if np.isnan(v) or k in seen[m]:
                        continue
                    seen[m].add(k)
                    acc = sums[m][k]
                    acc[0] += float(v)
                    acc[1] += 1
                    action_of[k] = res['action']
                    video_of[k] = res.get('video')
        table = {m: {k: s / c for k, (s, c) in t.items()}
                 for m, t in sums.items()}
        return (table, action_of, video_of) if with_video else (table,
                                                                action_of)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Average per action then over actions; log a per-action table."""
        if not results:
            raise ValueError('Pose3DMetric: no samples were evaluated (all '
                             'skipped or empty dataloader)')
        errs = self.frame_errors(results)
        names = dict(mpjpe='MPJPE', p_mpjpe='P-MPJPE', n_mpjpe='N-MPJPE',
                     mpjve='MPJVE')
        actions = sorted(errs['mpjpe'])
        rows = []
        for a in actions:
            rows.append([a, len(errs['mpjpe'][a])] + [
                float(np.mean(errs[m][a])) if errs[m].get(a) else float('nan')
                for m in names
            ])
        metrics = {}
        for j, (m, name) in enumerate(names.items()):
            if self.per_action:
                vals = [r[2 + j] for r in rows if not np.isnan(r[2 + j])]
                metrics[name] = float(np.mean(vals)) if vals else float('nan')
            else:
                allv = [v for a in errs[m].values() for v in a]
                metrics[name] = float(np.mean(allv)) if allv else float(
                    'nan')
        rows.append(['Average', sum(r[1] for r in rows)] +
                    [metrics[n] for n in names.values()])
        if self.per_sample_file:
            self.dump_per_sample(results, names)
        how = 'per-action mean' if self.per_action else 'per-frame mean'
        print_log(
            f'3D pose errors in mm ({how}; MPJVE in mm/frame):\n' +
            format_table(['action', 'frames', *names.values()], rows),
            logger='current')
        return metrics

    def dump_per_sample(self, results: list, names: dict) -> None:
        """Write ``{'metrics': {name: {frame id: error}}, 'groups':
        {frame id: action}, 'sequences': {frame id: video}}`` to
        ``per_sample_file`` (the video clusters the paired tests of
        :mod:`mmext.workflow.significance`)."""
        import json
        import os
        table, action_of, video_of = self.frame_error_table(
            results, with_video=True)

        def sid(key):
            return str(key[1]) if key[0] == 'id' else f'anon_{key[1]}'

        data = dict(
            metric=type(self).__name__, unit='mm', lower_is_better=True,
            metrics={names[m]: {sid(k): v for k, v in t.items()}
                     for m, t in table.items()},
            groups={sid(k): a for k, a in action_of.items()},
            sequences={sid(k): v for k, v in video_of.items()
                       if v is not None})
        folder = os.path.dirname(os.path.abspath(self.per_sample_file))
        os.makedirs(folder, exist_ok=True)
        with open(self.per_sample_file, 'w') as f:
            json.dump(data, f)
        print_log(f'per-sample errors written to {self.per_sample_file}',
                  logger='current')
