# Copyright (c) mmext contributors. All rights reserved.
"""Where the time of a two-stream data pipeline goes: decode vs augment.

The library behind ``tools/benchmarks/benchmark_action_pipeline.py``
(figures in docs/benchmarks/action_pipeline.md): every transform of a
config's ``{split}_dataloader.dataset.pipeline`` is timed on each sample, in
one process, and the medians are split at the last decode transform.
"""
import time
from typing import Dict, List

import numpy as np

from mmext.utils.profiling import markdown_table

__all__ = ['DECODE_TYPES', 'benchmark_pipeline', 'format_pipeline_table']

# Transforms that belong to the decode stage (everything up to and including
# the last of these, in pipeline order).
DECODE_TYPES = ('MMUniformSampleFrames', 'UniformSampleFrames', 'SampleFrames',
                'MMDecodeCV2', 'MMDecode', 'PoseDecode', 'DecordInit',
                'DecordDecode', 'OpenCVInit', 'OpenCVDecode', 'RawFrameDecode',
                'PyAVInit', 'PyAVDecode')


def _stage_split(types: List[str]) -> int:
    """Index of the first augment transform."""
    last = -1
    for i, t in enumerate(types):
        if t in DECODE_TYPES:
            last = i
    if last < 0:
        raise ValueError(f'no decode transform {DECODE_TYPES} in the '
                         f'pipeline {types}')
    return last + 1


def benchmark_pipeline(cfg, split: str, num_samples: int,
                       warmup: int) -> Dict:
    """Time every transform of ``{split}_dataloader.dataset.pipeline``."""
    import copy

    from mmaction.registry import DATASETS, TRANSFORMS
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmaction') or 'mmaction')
    ds_cfg = copy.deepcopy(cfg[f'{split}_dataloader']['dataset'])
    pipeline_cfg = ds_cfg.pop('pipeline')
    ds_cfg['pipeline'] = []
    dataset = DATASETS.build(ds_cfg)
    transforms = [TRANSFORMS.build(t) for t in pipeline_cfg]
    types = [t['type'] for t in pipeline_cfg]
    cut = _stage_split(types)
    n = min(num_samples + warmup, len(dataset))
    if n <= warmup:
        raise ValueError(f'{split} dataset has {len(dataset)} samples, need '
                         f'more than --warmup {warmup}')
    times = np.zeros((n - warmup, len(transforms)))
    for i in range(n):
        results = dataset.get_data_info(i)
        for j, t in enumerate(transforms):
            start = time.perf_counter()
            results = t(results)
            took = time.perf_counter() - start
            if i >= warmup:
                times[i - warmup, j] = took
    decode = times[:, :cut].sum(1)
    augment = times[:, cut:].sum(1)
    total = times.sum(1)
    return dict(
        types=types,
        cut=cut,
        per_transform_ms=np.median(times, 0) * 1e3,
        decode_ms=float(np.median(decode) * 1e3),
        augment_ms=float(np.median(augment) * 1e3),
        total_ms=float(np.median(total) * 1e3),
        num_samples=n - warmup,
        dataset_len=len(dataset))


def format_pipeline_table(res: Dict) -> str:
    """Markdown tables of the medians."""
    stages = [[name, f'{res[key]:.2f}', f'{1e3 / res[key]:.1f}']
              for name, key in (('decode (sample + decode)', 'decode_ms'),
                                ('augment (crop ... pack)', 'augment_ms'),
                                ('whole pipeline', 'total_ms'))]
    transforms = [[i, t, 'decode' if i < res['cut'] else 'augment',
                   f'{ms:.2f}']
                  for i, (t, ms) in enumerate(
                      zip(res['types'], res['per_transform_ms']))]
    return '\n'.join([
        markdown_table(['stage', 'median ms / clip', 'clips/s (1 worker)'],
                       stages, align=['', 'r', 'r']), '',
        markdown_table(['#', 'transform', 'stage', 'median ms'], transforms,
                       align=['', '', '', 'r'])
    ])
