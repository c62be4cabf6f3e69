# Copyright (c) mmext contributors. All rights reserved.
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import Dataset

from mmext.registry import DATASETS, HOOKS, METRICS, MODELS


@DATASETS.register_module()
class ToyRegressionDataset(Dataset):
    """``y = x @ w`` with fixed ``w``; train samples get random augmentation
    from the global RNGs (so resume must restore RNG streams): input noise
    from numpy, and a sign flip of the sample (``x`` and ``y``) from torch.

    Args:
        num_samples (int): Dataset length.
        dim (int): Input dimension.
        noise (float): Std of the numpy-drawn input noise (0 at test time).
        flip_prob (float): Probability of flipping a sample's sign.
        delay (float): Seconds to sleep per sample (to make runs slow
            enough to be interrupted in tests).
        seed (int): Picks the inputs of this split.
        data_root (str, optional): If given, inputs are read from
            ``data_root/x.npy`` instead of drawn from ``seed``.
    """

    def __init__(self,
                 num_samples: int = 64,
                 dim: int = 8,
                 noise: float = 0.1,
                 flip_prob: float = 0.0,
                 delay: float = 0.0,
                 seed: int = 0,
                 data_root: Optional[str] = None) -> None:
        # the target function is shared by every split; `seed` picks inputs
        self.w = np.random.RandomState(0).randn(dim, 1).astype(np.float32)
        if data_root is not None:
            self.x = np.load(f'{data_root}/x.npy').astype(np.float32)
        else:
            self.x = np.random.RandomState(seed + 1).randn(
                num_samples, dim).astype(np.float32)
        self.noise = noise
        self.flip_prob = flip_prob
        self.delay = delay
        self.metainfo = dict(name='toy')

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, idx: int) -> dict:
        if self.delay:
            time.sleep(self.delay)
        x = self.x[idx]
        y = self.x[idx] @ self.w
        if self.flip_prob and float(torch.rand(())) < self.flip_prob:
            x, y = -x, -y
        if self.noise:
            x = x + self.noise * np.random.randn(*x.shape).astype(np.float32)
        return dict(inputs=torch.from_numpy(x), target=torch.from_numpy(y))


@MODELS.register_module()
class ToyRegressor(BaseModel):
    """Two-layer MLP with dropout (exercises the torch RNG on resume)."""

    def __init__(self, dim: int = 8, hidden: int = 16,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, 1))

    def forward(self,
                inputs: torch.Tensor,
                target: Optional[torch.Tensor] = None,
                mode: str = 'tensor'):
        pred = self.net(inputs)
        if mode == 'loss':
            return dict(loss=((pred - target)**2).mean())
        if mode == 'predict':
            return [(p, t) for p, t in zip(pred, target)]
        return pred


@METRICS.register_module()
class ToyMSEMetric(BaseMetric):
    """Mean squared error of :class:`ToyRegressor` predictions."""

    default_prefix = 'toy'

    def process(self, data_batch, data_samples: Sequence) -> None:
        for pred, target in data_samples:
            self.results.append(float(((pred - target)**2).mean()))

    def compute_metrics(self, results: list) -> dict:
        return dict(mse=float(np.mean(results)))


@HOOKS.register_module()
class StallAfterEpochHook(Hook):
    """Test aid: after epoch ``epoch``'s validation (and so after its
    checkpoint and ``last_checkpoint`` are written), write
    ``work_dir/stalled_rank<R>`` and block until the process is killed.

    A test that kills a run once every rank's marker exists kills it at a
    deterministic point, however busy the CPU is.
    """

    priority = 'LOWEST'  # after SafeCheckpointHook's after_val_epoch

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def after_val_epoch(self, runner, metrics=None) -> None:
        if runner.epoch != self.epoch:
            return
        Path(runner.work_dir, f'stalled_rank{get_rank()}').touch()
        while True:
            time.sleep(1)
