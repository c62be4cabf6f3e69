# Copyright (c) mmext contributors. All rights reserved.
"""Reading frames: video files (OpenCV), cameras and raw frames on stdin.

Only OpenCV's ``cv2.VideoCapture`` is used to decode files (PyAV is not
used). Frames are BGR ``uint8`` arrays as mmdet / mmpose expect for
ndarray inputs.
"""
import os.path as osp
from typing import BinaryIO, Iterator, Optional, Tuple

import numpy as np

__all__ = [
    'VideoInfo', 'probe_video', 'iter_video', 'iter_camera',
    'iter_raw_frames', 'VideoWriter'
]


class VideoInfo(tuple):
    """``(num_frames, fps, width, height)`` of a video file."""

    __slots__ = ()

    def __new__(cls, num_frames, fps, width, height):
        return super().__new__(cls, (num_frames, fps, width, height))

    num_frames = property(lambda self: self[0])
    fps = property(lambda self: self[1])
    width = property(lambda self: self[2])
    height = property(lambda self: self[3])


def _open(path: str):
    import cv2
    if not osp.isfile(str(path)):
        raise FileNotFoundError(f'video file not found: {path}')
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise ValueError(f'{path}: cannot read the video (OpenCV could not '
                         'open it: not a video, or a codec OpenCV lacks)')
    return cap


def iter_video(path: str,
               max_frames: Optional[int] = None) -> Iterator[np.ndarray]:
    """Decode a video file frame by frame (BGR uint8)."""
    count = 0
    for frame in _read(_open(path), max_frames):
        count += 1
        yield frame
    if count == 0:
        raise ValueError(f'{path}: cannot read the video (no frame could '
                         'be decoded)')


def _read(cap, max_frames: Optional[int]) -> Iterator[np.ndarray]:
    """Frames of an opened ``cv2.VideoCapture``, released at the end."""
    try:
        count = 0
        while max_frames is None or count < max_frames:
            ok, frame = cap.read()
            if not ok:
                break
            count += 1
            yield frame
    finally:
        cap.release()


def probe_video(path: str) -> VideoInfo:
    """Read fps, size and the container's frame count (an estimate).

    Containers often state a wrong count; the pipeline counts the frames it
    decodes and uses this only for progress bars. A file that opens but
    yields no frame is an error naming it.
    """
    import cv2
    cap = _open(path)
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        ok, frame = cap.read()
    finally:
        cap.release()
    if not ok:
        raise ValueError(f'{path}: cannot read the video (no frame could '
                         'be decoded)')
    if not (fps and np.isfinite(fps) and fps > 0):
        fps = 25.
    return VideoInfo(max(count, 0), float(fps), frame.shape[1],
                     frame.shape[0])


def iter_camera(device: int,
                max_frames: Optional[int] = None) -> Iterator[np.ndarray]:
    """Frames of a camera (``cv2.VideoCapture(device)``)."""
    import cv2
    cap = cv2.VideoCapture(int(device))
    if not cap.isOpened():
        raise ValueError(f'--stream {device}: cannot open camera device '
                         f'{device}')
    yield from _read(cap, max_frames)


def iter_raw_frames(stream: BinaryIO,
                    size: Tuple[int, int],
                    max_frames: Optional[int] = None
                    ) -> Iterator[np.ndarray]:
    """Raw ``bgr24`` frames of ``size = (w, h)`` read from a byte stream.

    E.g. ``ffmpeg -i in.mp4 -f rawvideo -pix_fmt bgr24 - | python ...``.
    A truncated last frame is an error.
    """
    w, h = (int(v) for v in size)
    if w < 1 or h < 1:
        raise ValueError(f'--frame-size: expected W H >= 1, got {size}')
    nbytes = w * h * 3
    count = 0
    while max_frames is None or count < max_frames:
        buf = b''
        while len(buf) < nbytes:
            chunk = stream.read(nbytes - len(buf))
            if not chunk:
                break
            buf += chunk
        if not buf:
            return
        if len(buf) < nbytes:
            raise ValueError(
                f'raw frames: the stream ended inside frame {count} '
                f'({len(buf)} of {nbytes} bytes for {w}x{h} bgr24)')
        count += 1
        yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)


class VideoWriter:
    """``cv2.VideoWriter`` (fourcc ``mp4v``) opened at the first frame."""

    def __init__(self, path: str, fps: float):
        dirname = osp.dirname(osp.abspath(str(path)))
        if not osp.isdir(dirname):
            raise FileNotFoundError(f'{path}: directory {dirname} does not '
                                    'exist')
        self.path, self.fps, self._writer = str(path), float(fps), None
        self.count = 0

    def write(self, frame: np.ndarray) -> None:
        import cv2
        if self._writer is None:
            h, w = frame.shape[:2]
            self._writer = cv2.VideoWriter(self.path,
                                           cv2.VideoWriter_fourcc(*'mp4v'),
                                           self.fps, (w, h))
            if not self._writer.isOpened():
                raise RuntimeError(f'{self.path}: cv2.VideoWriter cannot '
                                   "open it with fourcc 'mp4v'")
        self._writer.write(frame)
        self.count += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
