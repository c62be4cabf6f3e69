# Copyright (c) mmext contributors. All rights reserved.
"""Drawing 2D skeletons, labels and side-by-side frames with OpenCV."""
from typing import Optional, Sequence

import numpy as np

from mmext.structures.coco import (COCO17_BONES, COCO17_LEFT_JOINTS,
                                   COCO17_RIGHT_JOINTS)

__all__ = ['COCO17_BONES', 'draw_pose2d', 'draw_text', 'side_by_side']

_LEFT = set(COCO17_LEFT_JOINTS)
_RIGHT = set(COCO17_RIGHT_JOINTS)
_PALETTE = ((0, 200, 255), (255, 128, 0), (0, 255, 0), (255, 0, 255),
            (0, 128, 255), (255, 255, 0))


def draw_pose2d(frame: np.ndarray,
                keypoints: np.ndarray,
                box: Optional[np.ndarray] = None,
                label: Optional[str] = None,
                color_index: int = 0,
                interpolated: bool = False) -> np.ndarray:
    """Draw COCO-17 ``(17, 3)`` keypoints (and a box) on a BGR frame.

    Left limbs blue, right limbs red (as the 3D renderer); the box in a
    per-person colour, dashed-looking thin when the pose was interpolated.
    Draws in place and returns the frame.
    """
    import cv2
    kpts = np.asarray(keypoints, np.float64)
    if not np.isfinite(kpts[:, :2]).all():
        return frame
    scale = max(1, int(round(max(frame.shape[:2]) / 400)))
    if box is not None and np.isfinite(box[:4]).all():
        x1, y1, x2, y2 = (int(round(v)) for v in box[:4])
        cv2.rectangle(frame, (x1, y1), (x2, y2),
                      _PALETTE[color_index % len(_PALETTE)],
                      1 if interpolated else 2 * scale)
        if label:
            draw_text(frame, [label], origin=(x1, max(y1 - 4, 12)))
    for a, b in COCO17_BONES:
        color = (255, 64, 0) if b in _LEFT and a in _LEFT | {0} else (
            (0, 0, 255) if b in _RIGHT else (180, 180, 180))
        pa = tuple(int(round(v)) for v in kpts[a, :2])
        pb = tuple(int(round(v)) for v in kpts[b, :2])
        cv2.line(frame, pa, pb, color, scale, cv2.LINE_AA)
    for x, y in kpts[:, :2]:
        cv2.circle(frame, (int(round(x)), int(round(y))), 2 * scale,
                   (255, 255, 255), -1)
    return frame


def draw_text(frame: np.ndarray,
              lines: Sequence[str],
              origin=(8, 20),
              scale: float = 0.5) -> np.ndarray:
    """Write lines of text (white on a dark outline) onto a frame."""
    import cv2
    x, y = origin
    step = int(22 * scale / 0.5)
    for i, line in enumerate(lines):
        pos = (int(x), int(y + i * step))
        cv2.putText(frame, line, pos, cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(frame, line, pos, cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return frame


def side_by_side(frame: np.ndarray, panel: np.ndarray) -> np.ndarray:
    """``[frame | panel]`` with the panel scaled to the frame's height."""
    import cv2
    h = frame.shape[0]
    ph, pw = panel.shape[:2]
    width = max(1, int(round(pw * h / ph)))
    panel = cv2.resize(panel, (width, h), interpolation=cv2.INTER_AREA)
    out = np.concatenate([frame, panel], axis=1)
    # keep even sizes (some mp4 decoders insist)
    return out[:out.shape[0] // 2 * 2, :out.shape[1] // 2 * 2]
