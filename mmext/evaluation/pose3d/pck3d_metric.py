# Copyright (c) mmext contributors. All rights reserved.
"""3D PCK / AUC for MPI-INF-3DHP."""
from collections import defaultdict
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpose.registry import METRICS

from mmext.structures.h36m import H36M_TO_3DHP
from .functional import pck_3d
from .pose3d_metric import _action_and_video, _poses, format_table, to_numpy

#: Joint groups of PCK / AUC in the official MPI-INF-3DHP test toolkit
#: (``mpii_get_pck_auc_joint_groups.m``, the version shipped with
#: P-STMO / PoseFormerV2 / MotionAGFormer's evaluation): 0-based indices in
#: the 3DHP 17-joint order (head_top, neck, r_shoulder, r_elbow, r_wrist,
#: l_shoulder, l_elbow, l_wrist, r_hip, r_knee, r_ankle, l_hip, l_knee,
#: l_ankle, pelvis, spine, head). 14 joints: pelvis (14), spine (15) and
#: head (16) are not scored.
MPI3DHP_PCK_JOINT_GROUPS: Tuple[Tuple[str, Tuple[int, ...]], ...] = (
    ('Head', (0, )), ('Neck', (1, )), ('Shou', (2, 5)), ('Elbow', (3, 6)),
    ('Wrist', (4, 7)), ('Hip', (8, 11)), ('Knee', (9, 12)),
    ('Ankle', (10, 13)))

#: Root (pelvis) index per joint order.
ROOT_INDEX = {'h36m': 0, '3dhp': 14}


def pck_joint_groups(joint_order: str = 'h36m'
                     ) -> Tuple[Tuple[str, Tuple[int, ...]], ...]:
    """The official PCK / AUC joint groups as indices in ``joint_order``.

    Args:
        joint_order (str): ``'h36m'`` (mmext's 3DHP dataset default, pelvis
            first) or ``'3dhp'`` (the data's own order, pelvis at 14).

    Returns:
        tuple: ``(name, joint indices)`` per group.
    """
    if joint_order not in ROOT_INDEX:
        raise ValueError(f'joint_order={joint_order!r} is not one of '
                         f'{tuple(ROOT_INDEX)}')
    if joint_order == '3dhp':
        return MPI3DHP_PCK_JOINT_GROUPS
    to_h36m = {k: i for i, k in enumerate(H36M_TO_3DHP)}
    return tuple((name, tuple(to_h36m[k] for k in ids))
                 for name, ids in MPI3DHP_PCK_JOINT_GROUPS)


@METRICS.register_module()
class PCK3DMetric(BaseMetric):
    """MPI-INF-3DHP evaluation: PCK@150 mm, AUC and MPJPE in one evaluator.

    Follows the official MATLAB test toolkit (``mpii_test_predictions_py.m``
    -> ``mpii_evaluate_errors.m`` -> ``mpii_compute_3d_pck.m``):
    root-relative poses in mm (``unit_scale`` converts from the model's
    unit), only frames whose ``valid`` meta flag is set, each (sequence,
    frame) counted once;

    - **PCK** (%): joints with error strictly below ``threshold`` over the
      14 joints of ``mpii_get_pck_auc_joint_groups`` (head_top, neck,
      shoulders, elbows, wrists, hips, knees, ankles; not pelvis, spine,
      head), i.e. the group-size-weighted mean of the per-group PCKs the
      toolkit's "Total" column reports;
    - **AUC** (%): the mean PCK over thresholds ``0, auc_step, ...,
      auc_max`` (31 values for 0..150 step 5) on the same 14 joints;
    - **MPJPE** (mm): mean error over all 17 joints (the toolkit's
      ``mean(all_errors)``; the root's error is 0 after alignment).

    Reported per sequence (meta ``video``, e.g. ``'TS1'``) and over all
    valid frames ("All", pooled over frames as the toolkit's last row); the
    per-group PCK / AUC of "All" is logged too.

    Reads ``pred_instances.keypoints``, ``gt_instances.lifting_target``,
    meta ``valid`` (T,) (optional, default all valid), ``video`` or
    ``target_img_path``, ``frame_ids`` (optional).

    Args:
        threshold (float): PCK threshold in mm. Default: 150.
        auc_max (float): last AUC threshold in mm. Default: 150.
        auc_step (float): AUC threshold step in mm. Default: 5.
        joint_order (str): order of the 17 joints, ``'h36m'`` (what
            ``MPIINF3DHPDataset`` gives by default; root 0) or ``'3dhp'``
            (``MPIINF3DHPDataset(joint_order='3dhp')``; root 14). Selects the
            root and the official PCK joints.
        pck_joint_indices (Sequence[int], optional): score PCK / AUC on these
            joints instead of the official 14 (a deviation from the
            protocol; for other skeletons).
        unit_scale (float): factor to mm (1000 for metres).
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): metric name prefix.
    """

    def __init__(self,
                 threshold: float = 150.,
                 auc_max: float = 150.,
                 auc_step: float = 5.,
                 joint_order: str = 'h36m',
                 pck_joint_indices: Optional[Sequence[int]] = None,
                 unit_scale: float = 1000.,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if auc_step <= 0 or auc_max < 0:
            raise ValueError(f'PCK3DMetric: auc_step must be > 0 and auc_max '
                             f'>= 0, got {auc_step} and {auc_max}')
        if joint_order not in ROOT_INDEX:
            raise ValueError(f'PCK3DMetric: joint_order={joint_order!r} is '
                             f'not one of {tuple(ROOT_INDEX)}')
        self.threshold = float(threshold)
        self.auc_thresholds = np.arange(0., auc_max + 1e-9, auc_step)
        self.joint_order = joint_order
        self.root_index = ROOT_INDEX[joint_order]
        if pck_joint_indices is None:
            self.groups = pck_joint_groups(joint_order)
        else:
            self.groups = (('Selected', tuple(int(i)
                                              for i in pck_joint_indices)), )
        self.pck_joints = [i for _, ids in self.groups for i in ids]
        self.unit_scale = float(unit_scale)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store per-frame joint errors (mm) of the valid frames."""
        for ds in data_samples:
            _, video = _action_and_video(ds)
            pred = _poses(ds['pred_instances']['keypoints'],
                          'pred_instances.keypoints')
            gt = _poses(ds['gt_instances']['lifting_target'],
                        'gt_instances.lifting_target')
            num_joints = gt.shape[1]
            if pred.shape != gt.shape or num_joints <= max(
                    self.pck_joints + [self.root_index]):
                raise ValueError(
                    f'PCK3DMetric: prediction {pred.shape} and target '
                    f'{gt.shape} must have equal shapes with more than '
                    f'{max(self.pck_joints + [self.root_index])} joints '
                    f'(joint_order={self.joint_order!r}, PCK joints '
                    f'{self.pck_joints}, root {self.root_index})')
            r = self.root_index
            dist = np.linalg.norm(
                (pred - pred[:, r:r + 1]) - (gt - gt[:, r:r + 1]),
                axis=-1) * self.unit_scale
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
        groups = [[name, len(ids),
                   float(pck_3d(d[:, list(ids)], [self.threshold])[0]) * 100,
                   float(pck_3d(d[:, list(ids)],
                                self.auc_thresholds).mean()) * 100]
                  for name, ids in self.groups]
        seq_table = format_table(
            ['sequence', 'frames', 'PCK', 'AUC', 'MPJPE'], rows)
        group_table = format_table(['group (All)', 'joints', 'PCK', 'AUC'],
                                   groups)
        print_log(
            f'MPI-INF-3DHP (valid frames): PCK@{self.threshold:g}mm and AUC '
            f'0-{self.auc_thresholds[-1]:g}mm over joints {self.pck_joints} '
            f'({self.joint_order} order), MPJPE mm over all joints\n'
            f'{seq_table}\n{group_table}',
            logger='current')
        return dict(PCK=overall[2], AUC=overall[3], MPJPE=overall[4])

    def _row(self, name: str, d: np.ndarray) -> list:
        dp = d[:, self.pck_joints]
        pck = float(pck_3d(dp, [self.threshold])[0]) * 100
        auc = float(pck_3d(dp, self.auc_thresholds).mean()) * 100
        return [name, len(d), pck, auc, float(d.mean())]
