# Copyright (c) mmext contributors. All rights reserved.
"""mmaction2 skeleton annotations from tracked COCO-17 2D poses."""
import os.path as osp
from typing import Dict

import numpy as np

from .keypoints import fill_gaps

__all__ = ['build_skeleton_annotation']


def build_skeleton_annotation(result: Dict,
                              max_gap: int = 10,
                              frame_dir: str = None) -> Dict:
    """The annotation dict mmaction2's skeleton pipelines read.

    ``keypoint`` (M, T, 17, 2) and ``keypoint_score`` (M, T, 17) in COCO-17
    order and pixels (what mmaction2's NTU60 / MA-52 2D skeletons use); M
    are the persons of ``result`` (:func:`video_to_pose2d`), the main one
    first. Short gaps are interpolated as in the 3D tool
    (:func:`fill_gaps`); other frames without a person hold zeros with
    score 0, mmaction2's convention for absent persons.

    Returns:
        dict: ``frame_dir``, ``total_frames``, ``img_shape`` and
        ``original_shape`` (h, w), ``label`` (-1: unknown), ``keypoint``,
        ``keypoint_score``.
    """
    coco = result['keypoints_coco']
    num_p, num = coco.shape[:2]
    if num_p == 0:
        raise ValueError(
            f'{result.get("video")}: no person was detected in any frame; '
            'nothing to recognise (lower --bbox-thr or check the detector)')
    kpts = np.zeros((num_p, num, 17, 2), np.float32)
    scores = np.zeros((num_p, num, 17), np.float32)
    for p in range(num_p):
        fill = fill_gaps(coco[p], result['present'][p], max_gap)
        kpts[p][fill.valid] = fill.keypoints[fill.valid, :, :2]
        scores[p][fill.valid] = fill.keypoints[fill.valid, :, 2]
    w, h = result['image_size']
    if frame_dir is None:
        frame_dir = osp.splitext(osp.basename(str(result.get('video',
                                                             'video'))))[0]
    return dict(
        frame_dir=frame_dir,
        total_frames=num,
        img_shape=(h, w),
        original_shape=(h, w),
        label=-1,
        keypoint=kpts,
        keypoint_score=scores)
