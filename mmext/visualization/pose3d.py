# Copyright (c) mmext contributors. All rights reserved.
"""Render 3D skeleton sequences (Human3.6M 17 joints) with matplotlib."""
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np

from mmext.structures.h36m import (H36M_BONES, H36M_LEFT_JOINTS,
                                   H36M_RIGHT_JOINTS)

__all__ = [
    'H36M_BONES', 'H36M_LEFT_JOINTS', 'H36M_RIGHT_JOINTS',
    'Skeleton3DRenderer', 'render_skeleton_3d', 'strip_frame_indices'
]

_COLORS = dict(left='tab:blue', right='tab:red', center='0.2')


def _bone_color(child: int) -> str:
    if child in H36M_LEFT_JOINTS:
        return _COLORS['left']
    if child in H36M_RIGHT_JOINTS:
        return _COLORS['right']
    return _COLORS['center']


def _check_poses(poses: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(poses, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[1:] != (17, 3) or arr.shape[0] < 1:
        raise ValueError(f'{name}: expected 3D poses of shape (N, 17, 3) in '
                         f'Human3.6M joint order, got {arr.shape}')
    if not np.isfinite(arr).all():
        raise ValueError(f'{name}: expected finite values, got NaN/inf')
    return arr


def _to_plot_axes(poses: np.ndarray) -> np.ndarray:
    """Root-centre and map image-style (x right, y down, z depth) axes to
    matplotlib's (X right, Y depth, Z up)."""
    p = poses - poses[:, :1]
    return np.stack([p[..., 0], p[..., 2], -p[..., 1]], axis=-1)


def strip_frame_indices(num_frames: int, stride: int,
                        max_panels: int) -> List[int]:
    """Frames shown in a png strip: every ``stride``-th frame, thinned to at
    most ``max_panels`` evenly spaced ones."""
    frames = list(range(0, num_frames, stride))
    if len(frames) > max_panels:
        pick = np.linspace(0, len(frames) - 1, max_panels).round()
        frames = [frames[int(i)] for i in pick]
    return frames


def _setup_axes(ax, radius: float, title: str) -> list:
    """Equal limits ``[-radius, radius]``, the fixed view, no tick labels;
    returns one empty line per bone."""
    ax.set_xlim(-radius, radius)
    ax.set_ylim(-radius, radius)
    ax.set_zlim(-radius, radius)
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=15., azim=-70.)
    ax.set_xticklabels([])
    ax.set_yticklabels([])
    ax.set_zticklabels([])
    ax.set_title(title, fontsize=8)
    return [
        ax.plot([], [], [], color=_bone_color(c), lw=2)[0]
        for _, c in H36M_BONES
    ]


class Skeleton3DRenderer:
    """Draw one or more 3D skeletons per call into a BGR image.

    A matplotlib figure with ``num_panels`` 3D axes side by side is set up
    once (fixed, equal axis limits ``[-radius, radius]``, the view and the
    bone colours of :func:`render_skeleton_3d`); :meth:`render` redraws the
    bones and returns the canvas, so a video costs one canvas draw per
    frame. Used by :func:`render_skeleton_3d` and the video tools.

    Args:
        num_panels (int): skeletons drawn side by side.
        radius (float): half the axis range, in the units of the poses.
        titles (Sequence[str]): one title per panel.
        panel_px (int): panel size in pixels.
    """

    def __init__(self,
                 num_panels: int = 1,
                 radius: float = 1.,
                 titles: Sequence[str] = ('3D', ),
                 panel_px: int = 240):
        import matplotlib
        matplotlib.use('Agg', force=False)
        import matplotlib.pyplot as plt
        if num_panels < 1 or panel_px < 32 or not radius > 0:
            raise ValueError('num_panels >= 1, panel_px >= 32 and radius > 0 '
                             f'expected, got {num_panels}, {panel_px}, '
                             f'{radius}')
        titles = list(titles) + [''] * (num_panels - len(titles))
        self._plt = plt
        dpi = 100
        self.fig = plt.figure(
            figsize=(num_panels * panel_px / dpi, panel_px / dpi), dpi=dpi)
        self.axes_lines = []
        for k in range(num_panels):
            ax = self.fig.add_subplot(1, num_panels, k + 1, projection='3d')
            self.axes_lines.append(_setup_axes(ax, float(radius), titles[k]))
        self.fig.subplots_adjust(0, 0, 1, 0.92, 0, 0)

    def render(self,
               poses: Sequence[Optional[np.ndarray]],
               plot_axes: bool = False) -> np.ndarray:
        """Draw one pose per panel.

        Args:
            poses (Sequence[np.ndarray | None]): one (17, 3) pose per panel
                in image-style axes (x right, y down, z depth), or ``None``
                (or a pose with NaNs) for an empty panel.
            plot_axes (bool): the poses are already root-centred plot axes.

        Returns:
            np.ndarray: the canvas as a BGR uint8 image.
        """
        import cv2
        for lines, pose in zip(self.axes_lines, poses):
            if pose is None or not np.isfinite(pose).all():
                for line in lines:
                    line.set_data_3d([], [], [])
                continue
            p = np.asarray(pose, np.float64)
            if not plot_axes:
                p = _to_plot_axes(p[None])[0]
            for line, (a, b) in zip(lines, H36M_BONES):
                line.set_data_3d(p[[a, b], 0], p[[a, b], 1], p[[a, b], 2])
        self.fig.canvas.draw()
        rgba = np.asarray(self.fig.canvas.buffer_rgba())
        return cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGR)

    def close(self) -> None:
        """Free the figure."""
        self._plt.close(self.fig)


def render_skeleton_3d(pred: np.ndarray,
                       gt: Optional[np.ndarray] = None,
                       out_path: str = 'skeleton.png',
                       fps: float = 25.,
                       stride: int = 1,
                       max_panels: int = 10,
                       panel_px: int = 240,
                       titles: Sequence[str] = ('prediction',
                                                'ground truth')) -> str:
    """Draw a 3D skeleton sequence to a png strip or an mp4 video.

    Bones follow Human3.6M (left limbs blue, right limbs red). Each skeleton
    is root-centred and drawn with fixed, equal axis limits over the whole
    sequence, shared by prediction and ground truth (x right, depth into the
    screen, -y up, as the MotionBERT image convention has y pointing down).
    With ``gt`` (in the same units as ``pred``) the ground truth is drawn
    with the same layout: below the prediction in a png, beside it in a
    video.

    Args:
        pred (np.ndarray): (N, 17, 3) predicted poses.
        gt (np.ndarray, optional): (N, 17, 3) ground truth (same N).
        out_path (str): ``.png`` (a row of ``panel_px`` x ``panel_px``
            panels, one per shown frame; image width = panels * panel_px)
            or ``.mp4`` (``cv2.VideoWriter``, fourcc ``'mp4v'``).
        fps (float): video frame rate.
        stride (int): draw every ``stride``-th frame.
        max_panels (int): at most this many (evenly spaced) frames in a png.
        panel_px (int): size of one panel in pixels.
        titles (Sequence[str]): titles of the prediction and gt panels.

    Returns:
        str: ``out_path``.
    """
    import matplotlib
    matplotlib.use('Agg', force=False)
    import matplotlib.pyplot as plt

    pred = _check_poses(pred, 'pred')
    seqs = [_to_plot_axes(pred)]
    if gt is not None:
        gt = _check_poses(gt, 'gt')
        if gt.shape[0] != pred.shape[0]:
            raise ValueError(f'gt: expected {pred.shape[0]} frames like '
                             f'pred, got {gt.shape[0]}')
        seqs.append(_to_plot_axes(gt))
    if int(stride) < 1:
        raise ValueError(f'stride: expected >= 1, got {stride}')
    if max_panels < 1 or panel_px < 32 or fps <= 0:
        raise ValueError('max_panels >= 1, panel_px >= 32 and fps > 0 '
                         f'expected, got {max_panels}, {panel_px}, {fps}')
    ext = osp.splitext(str(out_path))[1].lower()
    if ext not in ('.png', '.mp4'):
        raise ValueError(f'out_path: expected a .png or .mp4 file, got '
                         f'{out_path}')
    dirname = osp.dirname(osp.abspath(str(out_path)))
    if not osp.isdir(dirname):
        raise FileNotFoundError(f'out_path: directory {dirname} does not '
                                'exist')
    # one scale for prediction and gt, so that sizes compare
    radius = [max(max(float(np.abs(s).max()) for s in seqs), 1e-6)] * 2
    dpi = 100

    def setup(ax, k):
        return _setup_axes(ax, radius[k], titles[k])

    def draw(lines, pose):
        for line, (a, b) in zip(lines, H36M_BONES):
            line.set_data_3d(pose[[a, b], 0], pose[[a, b], 1], pose[[a, b],
                                                                    2])

    if ext == '.png':
        frames = strip_frame_indices(len(pred), int(stride), max_panels)
        rows, cols = len(seqs), len(frames)
        fig = plt.figure(
            figsize=(cols * panel_px / dpi, rows * panel_px / dpi), dpi=dpi)
        try:
            for r, seq in enumerate(seqs):
                for c, t in enumerate(frames):
                    ax = fig.add_subplot(
                        rows, cols, r * cols + c + 1, projection='3d')
                    lines = setup(ax, r)
                    ax.set_title(f'{titles[r]} #{t}', fontsize=8)
                    draw(lines, seq[t])
            fig.subplots_adjust(0, 0, 1, 0.95, 0, 0)
            fig.savefig(str(out_path), dpi=dpi)
        finally:
            plt.close(fig)
        return str(out_path)

    import cv2
    renderer = Skeleton3DRenderer(
        len(seqs), radius=radius[0], titles=titles, panel_px=panel_px)
    writer = None
    try:
        for t in range(0, len(pred), int(stride)):
            frame = renderer.render([seq[t] for seq in seqs], plot_axes=True)
            if writer is None:
                height, width = frame.shape[:2]
                writer = cv2.VideoWriter(
                    str(out_path), cv2.VideoWriter_fourcc(*'mp4v'),
                    float(fps), (width, height))
                if not writer.isOpened():
                    raise RuntimeError(
                        f'out_path: cv2.VideoWriter cannot open {out_path} '
                        "with fourcc 'mp4v' (OpenCV without an mp4 "
                        'encoder?); render to .png instead')
            writer.write(frame)
    finally:
        if writer is not None:
            writer.release()
        renderer.close()
    return str(out_path)
