# Copyright (c) mmext contributors. All rights reserved.
"""OpenMMLab model-zoo metadata (``metafile.yml`` / ``model-index.yml``)
generated from work dirs: config, test metrics, parameters, FLOPs, epochs,
batch, resources and the weights' path. Keys follow the OpenMMLab
``Collections`` / ``Models`` schema (``model-index`` package)."""
import os
import os.path as osp
from glob import glob
from typing import Dict, List, Optional, Sequence

from .results import (Experiment, complexity, epochs_trained, test_metrics,
                      timing)
from .tables import find_config

__all__ = ['model_entry', 'write_model_index']

_TASKS = {
    'mmpose': '3D Human Pose Estimation',
    'mmaction': 'Action Recognition',
}


def _dataset_name(cfg) -> Optional[str]:
    ds = cfg.get('test_dataloader', {}).get('dataset', {})
    while isinstance(ds, dict) and 'dataset' in ds:
        ds = ds['dataset']
    return ds.get('type') if isinstance(ds, dict) else None


def model_entry(e: Experiment, config_roots: Sequence[str],
                collection: str, weights_prefix: Optional[str] = None,
                repo_root: str = '.') -> dict:
    """One ``Models`` entry; keys whose value does not exist are left
    out (never filled in)."""
    wd = e.first
    cfg = e.config()
    name = osp.splitext(e.config_name() or e.name)[0]
    entry = dict(Name=name, **{'In Collection': collection})
    cfg_file = find_config(e.config_name(), config_roots)
    if cfg_file:
        entry['Config'] = osp.relpath(cfg_file, repo_root)
    meta = {}
    comp = complexity(wd)
    if comp.get('params') is not None:
        meta['Parameters'] = int(comp['params'])
    if comp.get('flops') is not None:
        meta['FLOPs'] = int(comp['flops'])
    ep = epochs_trained(wd)
    if ep is not None:
        meta['Epochs'] = ep
    t = timing(wd)
    if cfg is not None:
        bs = cfg.get('train_dataloader', {}).get('batch_size')
        if bs is not None and t['world_size']:
            meta['Batch Size'] = int(bs) * int(t['world_size'])
        ds = _dataset_name(cfg)
        if ds:
            meta['Training Data'] = ds
    if t['device'] and t['world_size']:
        meta['Training Resources'] = f'{t["world_size"]}x {t["device"]}'
    if meta:
        entry['Metadata'] = meta
    metrics = test_metrics(wd)
    if metrics:
        clean = {k.split('/')[-1]: round(float(v), 4)
                 for k, v in metrics.items()
                 if isinstance(v, (int, float)) and k != 'step'}
        scope = cfg.get('default_scope') if cfg is not None else None
        entry['Results'] = [dict(
            Task=_TASKS.get(scope, scope or 'unknown'),
            Dataset=(_dataset_name(cfg) if cfg is not None else None)
            or 'unknown', Metrics=clean)]
    best = sorted(glob(osp.join(wd, 'best_*.pth')))
    if best:
        fname = osp.basename(best[-1])
        entry['Weights'] = (f'{weights_prefix.rstrip("/")}/{name}/{fname}'
                            if weights_prefix else best[-1])
    return entry


def write_model_index(exps: List[Experiment], out_dir: str,
                      config_roots: Sequence[str],
                      collection: Optional[str] = None,
                      weights_prefix: Optional[str] = None
                      ) -> Dict[str, str]:
    """Write one ``metafile.yml`` per collection and a ``model-index.yml``
    importing them; returns ``{collection: metafile path}``."""
    import yaml
    groups: Dict[str, list] = {}
    for e in exps:
        cfg_file = find_config(e.config_name(), config_roots)
        coll = collection or (osp.basename(osp.dirname(cfg_file))
                              if cfg_file else 'models')
        entry = model_entry(e, config_roots, coll, weights_prefix)
        groups.setdefault(coll, []).append(entry)
    written = {}
    for coll, models in groups.items():
        path = osp.join(out_dir, coll, 'metafile.yml')
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            yaml.safe_dump(dict(Collections=[dict(Name=coll)],
                                Models=models), f, sort_keys=False)
        written[coll] = path
    index = osp.join(out_dir, 'model-index.yml')
    with open(index, 'w') as f:
        yaml.safe_dump(dict(Import=[osp.relpath(p, out_dir)
                                    for p in written.values()]), f,
                       sort_keys=False)
    written['model-index'] = index
    return written
