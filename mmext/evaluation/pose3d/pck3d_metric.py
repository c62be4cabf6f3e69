# Copyright (c) mmext contributors. All rights reserved.
"""3D PCK / AUC for MPI-INF-3DHP."""
from collections import defaultdict
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpose.registry import METRICS

from .functional import pck_3d
from .pose3d_metric import _action_and_video, _poses, format_table, to_numpy


@METRICS.register_module()
class PCK3DMetric(BaseMetric):
    """PCK at ``threshold`` mm, AUC over ``0..auc_max`` mm and MPJPE.

    Root-relative poses in mm (``unit_scale`` converts from the model's
    unit), only frames whose ``valid`` meta flag is set, each (sequence,
    frame) counted once. PCK is the fraction of joints with error strictly
    below the threshold; AUC is the mean PCK over thresholds
    ``0, auc_step, ..., auc_max`` (31 values for 0..150 step 5). Reported per
    sequence (meta ``video``, e.g. ``'TS1'``) and over all valid frames.

    Reads ``pred_instances.keypoints``, ``gt_instances.lifting_target``,
    meta ``valid`` (T,) (optional, default all valid), ``video`` or
    ``target_img_path``, ``frame_ids`` (optional).

    Args:
        threshold (float): PCK threshold in mm. Default: 150.
        auc_max (float): last AUC threshold in mm. Default: 150.
        auc_step (float): AUC threshold step in mm. Default: 5.
        joint_indices (Sequence[int], optional): joints to score (default
            all).
        unit_scale (float): factor to mm (1000 for metres).
        root_index (int): root joint. Default: 0 (H36M order).
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): metric name prefix.
    """

    def __init__(self,
                 threshold: float = 150.,
                 auc_max: float = 150.,
                 auc_step: float = 5.,
                 joint_indices: Optional[Sequence[int]] = None,
                 unit_scale: float = 1000.,
                 root_index: int = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if auc_step <= 0 or auc_max < 0:
            raise ValueError(f'PCK3DMetric: auc_step must be > 0 and auc_max '
                             f'>= 0, got {auc_step} and {auc_max}')
        self.threshold = float(threshold)
        self.auc_thresholds = np.arange(0., auc_max + 1e-9, auc_step)
        self.joint_indices = (None if joint_indices is None else
                              list(joint_indices))
        self.unit_scale = float(unit_scale)
        self.root_index = int(root_index)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store per-frame joint errors (mm) of the valid frames."""
        for ds in data_samples:
            _, video = _action_and_video(ds)
            pred = _poses(ds['pred_instances']['keypoints'],
                          'pred_instances.keypoints')
            gt = _poses(ds['gt_instances']['lifting_target'],
                        'gt_instances.lifting_target')
            r = self.root_index
            dist = np.linalg.norm(
                (pred - pred[:, r:r + 1]) - (gt - gt[:, r:r + 1]),
                axis=-1) * self.unit_scale
            if self.joint_indices is not None:
                dist = dist[:, self.joint_indices]
            T = len(dist)
            valid = ds.get('valid')
            valid = (np.ones(T, bool) if valid is None else
                     to_numpy(valid).reshape(-1).astype(bool))
            ids = ds.get('frame_ids')
            ids = None if ids is None else to_numpy(ids).reshape(-1)
            self.results.append(dict(video=video, dist=dist, valid=valid,
                                     frame_ids=ids))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        per_seq = defaultdict(dict)
        anon = 0
        for res in results:
            ids = res['frame_ids']
            if ids is None:
                ids = np.arange(anon, anon + len(res['dist']))
                anon += len(res['dist'])
            for t, fid in enumerate(ids):
                if res['valid'][t] and int(fid) not in per_seq[res['video']]:
                    per_seq[res['video']][int(fid)] = res['dist'][t]
        if not any(per_seq.values()):
            raise ValueError('PCK3DMetric: no valid frames to evaluate')
        rows, all_d = [], []
        for seq in sorted(per_seq):
            if not per_seq[seq]:
                continue
            d = np.stack(list(per_seq[seq].values()))
            all_d.append(d)
            rows.append(self._row(seq, d))
        d = np.concatenate(all_d)
        overall = self._row('All', d)
        rows.append(overall)
        print_log(
            f'MPI-INF-3DHP (valid frames): PCK@{self.threshold:g}mm, AUC '
            f'0-{self.auc_thresholds[-1]:g}mm, MPJPE mm\n' +
            format_table(['sequence', 'frames', 'PCK', 'AUC', 'MPJPE'], rows),
            logger='current')
        return dict(PCK=overall[2], AUC=overall[3], MPJPE=overall[4])

    def _row(self, name: str, d: np.ndarray) -> list:
        pck = float(pck_3d(d, [self.threshold])[0]) * 100
        auc = float(pck_3d(d, self.auc_thresholds).mean()) * 100
        return [name, len(d), pck, auc, float(d.mean())]
