# Copyright (c) mmext contributors. All rights reserved.
import os.path as osp
from typing import Optional

from mmengine.config import Config


def setup_run(cfg: Config, config_path: str, work_dir: Optional[str],
              launcher: str) -> Config:
    """Settings shared by ``tools/train.py`` and ``tools/test.py``.

    * ``work_dir``: the argument, else the config's, else
      ``work_dirs/<config name>``;
    * ``launcher``; without CUDA a requested ``nccl`` backend becomes
      ``gloo`` so that ``dist_*.sh`` run as CPU processes.
    """
    import torch
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])
    cfg.launcher = launcher
    if launcher != 'none' and not torch.cuda.is_available():
        dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
        if dist_cfg.get('backend', 'nccl') == 'nccl':
            dist_cfg['backend'] = 'gloo'
    return cfg
