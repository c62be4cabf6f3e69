# Copyright (c) mmext contributors. All rights reserved.
"""From a video to 2D/3D poses: detection and 2D pose through mmdet and
mmpose, IoU tracking, COCO -> Human3.6M conversion, gap filling, offline
and streaming 3D lifting, and the mmaction2 skeleton annotation."""
from .action import build_skeleton_annotation
from .draw import COCO17_BONES, draw_pose2d, draw_text, side_by_side
from .io import (VideoWriter, iter_camera, iter_raw_frames, iter_video,
                 probe_video)
from .keypoints import COCO17_NAMES, COCO_TO_H36M, coco_to_h36m, fill_gaps
from .models import (check_coco17, check_local_checkpoint, detect_persons,
                     estimate_pose2d, init_person_detector, init_pose2d,
                     init_video_models)
from .options import add_video_model_args
from .pipeline import lift_tracks, video_to_pose2d, video_to_pose3d
from .stream import StreamingLifter, VideoPoseStream, is_causal
from .tracking import IoUTracker, box_iou, main_track, track_boxes

__all__ = [
    'build_skeleton_annotation', 'COCO17_BONES', 'draw_pose2d', 'draw_text',
    'side_by_side', 'VideoWriter', 'iter_camera', 'iter_raw_frames',
    'iter_video', 'probe_video', 'COCO17_NAMES', 'COCO_TO_H36M',
    'coco_to_h36m', 'fill_gaps', 'check_coco17', 'check_local_checkpoint',
    'detect_persons', 'estimate_pose2d', 'init_person_detector',
    'init_pose2d', 'init_video_models', 'add_video_model_args', 'lift_tracks',
    'video_to_pose2d', 'video_to_pose3d', 'StreamingLifter',
    'VideoPoseStream', 'is_causal', 'IoUTracker',
    'box_iou', 'main_track', 'track_boxes'
]
