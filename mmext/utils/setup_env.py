# Copyright (c) mmext contributors. All rights reserved.
from importlib.metadata import PackageNotFoundError, version

from mmengine.utils.dl_utils import collect_env as collect_base_env

import mmext


def collect_env() -> dict:
    """Environment info: mmengine's (torch, CUDA, compiler ...) plus the
    versions of mmext and the OpenMMLab toolboxes it extends."""
    env = collect_base_env()
    env['mmext'] = mmext.__version__
    for dist in ('mmcv', 'mmcv-lite', 'mmpose', 'mmaction2', 'mmdet', 'timm',
                 'mamba-ssm'):
        try:
            env[dist] = version(dist)
        except PackageNotFoundError:
            pass
    env['upstream patches'] = ', '.join(
        mmext.upstream_patches.applied()) or 'none'
    return env
