# Copyright (c) mmext contributors. All rights reserved.
"""Person detector and 2D pose model through mmdet's / mmpose's APIs.

Weights come only from local files: a checkpoint must be an existing file
(URLs and ``open-mmlab://``-style names are refused before mmengine could
download them). ``mmdet.apis.init_detector`` and ``mmpose.apis.init_model``
never call ``init_weights``, so a backbone ``init_cfg`` that points at a
pretrained URL is not fetched either. Checkpoints are read through
mmengine's local loader, which mmext routes to its weights-only
:func:`mmext.engine.safe_load`.
"""
import os.path as osp
import re
from contextlib import contextmanager
from typing import List, Optional, Sequence

import numpy as np

from mmext.structures.coco import COCO17_NAMES

__all__ = [
    'check_local_checkpoint', 'init_person_detector', 'init_pose2d',
    'init_video_models', 'check_coco17', 'detect_persons', 'estimate_pose2d'
]


def check_local_checkpoint(path: Optional[str], option: str,
                           config: str) -> str:
    """An existing local checkpoint file, or one clear error."""
    if not path:
        raise ValueError(
            f'{option} is required with config {config}: give the path of '
            'the weights you have locally (an OpenMMLab model-zoo .pth '
            'works); nothing is downloaded and random weights are not used')
    path = str(path)
    if '://' in path:
        raise ValueError(
            f'{option} {path}: must be a local file; mmext downloads '
            'nothing (fetch the file yourself and pass its path)')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{option}: file not found: {path}')
    return path


def _check_config(path: str, option: str) -> str:
    if not path:
        raise ValueError(f'{option} is required')
    if not osp.isfile(str(path)):
        raise FileNotFoundError(f'{option}: config file not found: {path}')
    return str(path)


def _scope(name: str):
    from mmengine.registry import DefaultScope
    return DefaultScope.overwrite_default_scope(name)


@contextmanager
def _strict_load(module_name: str):
    """Make ``module_name``'s ``load_checkpoint`` (mmengine's, which loads
    whatever keys fit and only warns) refuse a checkpoint that does not fit
    the model, with one line (:func:`mmext.engine.check_state_dict_fit`)."""
    import importlib

    from mmengine.runner.checkpoint import (_load_checkpoint,
                                            _load_checkpoint_to_model)

    from mmext.engine.checkpoint import check_state_dict_fit
    module = importlib.import_module(module_name)
    orig = module.load_checkpoint

    def load_checkpoint(model, filename, map_location=None, strict=False,
                        logger=None, revise_keys=[(r'^module\.', '')]):
        ckpt = _load_checkpoint(filename, map_location)
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt,
                                                           dict) else {}
        revised = {}
        for k, v in state.items():
            for pattern, repl in revise_keys:
                k = re.sub(pattern, repl, k)
            revised[k] = v
        check_state_dict_fit(model.state_dict(), revised, filename)
        return _load_checkpoint_to_model(model, ckpt, False, logger,
                                         revise_keys)

    module.load_checkpoint = load_checkpoint
    try:
        yield
    finally:
        module.load_checkpoint = orig


_INIT_MODULES = {'mmdet': 'mmdet.apis.inference',
                 'mmpose': 'mmpose.apis.inference'}


def _init(init_fn, scope: str, option: str, what: str, config: str,
          checkpoint: Optional[str], device: str,
          cfg_options: Optional[dict]):
    """``init_fn(config, checkpoint, ...)`` in ``scope`` after the file
    checks; errors name the ``{option}-config`` / ``{option}-checkpoint``."""
    config = _check_config(config, f'{option}-config')
    from mmext.engine.errors import MMExtRuntimeError
    checkpoint = check_local_checkpoint(checkpoint, f'{option}-checkpoint',
                                        config)
    with _scope(scope), _strict_load(_INIT_MODULES[scope]):
        try:
            return init_fn(
                config, checkpoint, device=device, cfg_options=cfg_options)
        except MMExtRuntimeError:
            raise  # unreadable / ill-fitting checkpoint: already one line
        except (KeyError, RuntimeError, AttributeError) as err:
            raise MMExtRuntimeError(
                f'{option}-config {config} / {option}-checkpoint '
                f'{checkpoint}: cannot build {what}: {type(err).__name__}: '
                f'{err}') from None


def init_person_detector(config: str,
                         checkpoint: Optional[str],
                         device: str = 'cpu',
                         cfg_options: Optional[dict] = None):
    """An mmdet detector from local files (``mmdet.apis.init_detector``).

    Args:
        config (str): mmdet config file.
        checkpoint (str): local weights file (required).
        device (str): e.g. ``'cpu'``, ``'cuda:0'``.
        cfg_options (dict, optional): overrides, e.g.
            ``{'model.test_cfg.score_thr': 0.1}``.

    Returns:
        nn.Module: the detector, with ``test_pipeline`` (a built
        ``Compose`` that takes an ndarray image) attached.
    """
    from mmdet.apis import init_detector
    from mmdet.utils import get_test_pipeline_cfg
    from mmengine.dataset import Compose
    model = _init(init_detector, 'mmdet', '--det', 'the detector', config,
                  checkpoint, device, cfg_options)
    with _scope('mmdet'):
        pipeline = get_test_pipeline_cfg(model.cfg.copy())
        pipeline[0].type = 'mmdet.LoadImageFromNDArray'
        model.test_pipeline = Compose(pipeline)
    return model


def detect_persons(detector,
                   frame: np.ndarray,
                   person_id: int = 0,
                   score_thr: float = 0.3,
                   min_size: float = 2.) -> np.ndarray:
    """Person boxes of one BGR frame (``mmdet.apis.inference_detector``).

    Returns:
        np.ndarray: (n, 5) ``x1, y1, x2, y2, score`` (clipped to the image,
        boxes smaller than ``min_size`` px dropped), by decreasing score.
    """
    from mmdet.apis import inference_detector
    with _scope('mmdet'):
        result = inference_detector(
            detector, frame, test_pipeline=detector.test_pipeline)
    inst = result.pred_instances
    boxes = inst.bboxes.detach().cpu().numpy().astype(np.float64)
    scores = inst.scores.detach().cpu().numpy().astype(np.float64)
    labels = inst.labels.detach().cpu().numpy()
    h, w = frame.shape[:2]
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
    keep = (labels == person_id) & (scores >= score_thr) & (
        boxes[:, 2] - boxes[:, 0] >= min_size) & (
            boxes[:, 3] - boxes[:, 1] >= min_size)
    out = np.concatenate([boxes[keep], scores[keep, None]], 1)
    return out[np.argsort(-out[:, 4], kind='stable')]


def check_coco17(model, config: str) -> None:
    """Refuse a 2D model whose keypoints are not COCO-17 (one clear error).

    Checks the keypoint names of ``model.dataset_meta`` (from the checkpoint
    or the config) and, where the head says it, its output channels.
    """
    meta = getattr(model, 'dataset_meta', None) or {}
    names = meta.get('keypoint_id2name') or {}
    names = [names.get(i) for i in range(len(names))]
    out_channels = getattr(getattr(model, 'head', None), 'out_channels',
                           None)
    problem = None
    if tuple(names) != COCO17_NAMES:
        problem = (f'{len(names)} keypoints of '
                   f'"{meta.get("dataset_name", "?")}" '
                   f'({", ".join(map(str, names[:6]))}'
                   f'{", ..." if len(names) > 6 else ""})')
    elif isinstance(out_channels, int) and out_channels != 17:
        problem = f'a head with {out_channels} output keypoints'
    if problem:
        raise ValueError(
            f'--pose2d-config {config}: the 2D model predicts {problem}; '
            'mmext needs the 17 COCO body keypoints (nose, left_eye, ..., '
            'right_ankle), e.g. an mmpose config under '
            'configs/body_2d_keypoint/*/coco/')


def init_pose2d(config: str,
                checkpoint: Optional[str],
                device: str = 'cpu',
                cfg_options: Optional[dict] = None):
    """A top-down mmpose 2D model from local files (COCO-17 checked).

    Uses ``mmpose.apis.init_model``; see :func:`check_coco17`.
    """
    from mmpose.apis import init_model
    model = _init(init_model, 'mmpose', '--pose2d', 'the 2D model', config,
                  checkpoint, device, cfg_options)
    check_coco17(model, config)
    return model


def init_video_models(det_config: Optional[str],
                      det_checkpoint: Optional[str],
                      pose2d_config: Optional[str],
                      pose2d_checkpoint: Optional[str],
                      device: str = 'cpu',
                      det_cfg_options: Optional[dict] = None):
    """The person detector and the COCO-17 2D model of the video tools.

    Errors name the command-line option that gives each argument
    (``--det-config``, ``--pose2d-checkpoint``, ...; see
    :func:`mmext.apis.video.add_video_model_args`).

    Returns:
        tuple: ``(detector, pose2d)`` from :func:`init_person_detector` and
        :func:`init_pose2d`.
    """
    if not det_config:
        raise ValueError('--det-config is required (an mmdet config file)')
    if not pose2d_config:
        raise ValueError('--pose2d-config is required (an mmpose top-down '
                         'config with COCO-17 keypoints)')
    detector = init_person_detector(det_config, det_checkpoint, device,
                                    det_cfg_options)
    pose2d = init_pose2d(pose2d_config, pose2d_checkpoint, device)
    return detector, pose2d


def estimate_pose2d(model, frame: np.ndarray,
                    boxes: Sequence[np.ndarray]) -> List[np.ndarray]:
    """COCO-17 keypoints of the given boxes (``inference_topdown``).

    Args:
        model: an mmpose top-down model (:func:`init_pose2d`).
        frame (np.ndarray): BGR image.
        boxes: (n, 4+) ``x1, y1, x2, y2[, score]`` boxes, n >= 1.

    Returns:
        list[np.ndarray]: one (17, 3) ``x, y, score`` array per box.
    """
    from mmpose.apis import inference_topdown
    boxes = np.asarray(boxes, np.float32).reshape(-1, np.shape(boxes)[-1])
    if len(boxes) == 0:
        return []  # inference_topdown would use the whole image instead
    with _scope('mmpose'):
        samples = inference_topdown(model, frame, boxes[:, :4], 'xyxy')
    out = []
    for sample in samples:
        inst = sample.pred_instances
        kpts = np.asarray(inst.keypoints, np.float32)[0]
        scores = np.asarray(inst.keypoint_scores, np.float32)[0]
        out.append(np.concatenate([kpts, scores[:, None]], 1))
    return out
