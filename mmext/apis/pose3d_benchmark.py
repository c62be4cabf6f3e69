# Copyright (c) mmext contributors. All rights reserved.
"""A pose3d config's model for training-step benchmarks.

``tools/benchmarks/benchmark_train.py``, ``benchmark_memory.py`` and
``profile_pose3d_step.py`` time full training steps of a config's lifter on
random inputs of its shape; this module builds that model the one way they
all use: from the config, seeded, in train mode, with the clip length and
the activation-checkpointing setting of the command line applied.
"""
from typing import Optional, Tuple, Union

from mmengine.config import Config

__all__ = ['parse_with_cp', 'build_pose3d_model', 'pose3d_input_shape']


def parse_with_cp(value: str) -> Optional[dict]:
    """``--with-cp`` text -> backbone keyword arguments.

    ``off`` -> None, ``all`` -> ``with_cp=True``, ``k`` -> every k-th block,
    ``0,3,5`` -> those block indices.

    Raises:
        argparse.ArgumentTypeError: naming ``--with-cp`` and the valid forms.
    """
    import argparse
    if value == 'off':
        return None
    if value == 'all':
        return dict(with_cp=True)
    if ',' in value:
        return dict(with_cp=[int(i) for i in value.split(',') if i])
    try:
        every = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--with-cp {value!r}: use off, all, an int k (every k-th '
            f'block) or a comma-separated list of block indices') from None
    if every < 1:
        raise argparse.ArgumentTypeError(f'--with-cp {value}: k must be >= 1')
    return dict(with_cp=True, cp_every=every)


def build_pose3d_model(config: Union[str, Config],
                       num_frames: Optional[int] = None,
                       with_cp: str = 'off',
                       **backbone_kwargs):
    """The config's lifter in train mode, built after ``manual_seed(0)``.

    Args:
        config (str | Config): a pose3d config file or a loaded config.
        num_frames (int, optional): override the clip length of the
            backbone's ``arch``.
        with_cp (str): ``off`` | ``all`` | ``k`` | ``i,j,...``
            (:func:`parse_with_cp`).
        **backbone_kwargs: further backbone arguments (e.g.
            ``lean_mlp=False``).

    Returns:
        nn.Module: the model (mmpose ``PoseLifter``).
    """
    import torch
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    from mmext.models.pose3d.backbones import MotionAGFormer
    from mmext.utils import load_config
    cfg = load_config(config, check_data=False) if isinstance(
        config, str) else config.copy()
    backbone = cfg.model.backbone
    if num_frames:
        arch = backbone.get('arch', 'xs')
        arch = dict(MotionAGFormer.arch_settings[arch]) if isinstance(
            arch, str) else dict(arch)
        arch['num_frames'] = num_frames
        backbone.arch = arch
    backbone.update(parse_with_cp(with_cp) or {})
    backbone.update(backbone_kwargs)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    return model


def pose3d_input_shape(model) -> Tuple[int, int, int]:
    """``(frames, joints, channels)`` of one input clip of the lifter."""
    backbone = model.backbone
    return (backbone.num_frames, backbone.num_joints, backbone.in_channels)
