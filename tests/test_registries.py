# Copyright (c) mmext contributors. All rights reserved.
"""mmext's own registries find every gesture and VFI component.

A fresh interpreter sets ``default_scope='mmext'`` and looks up every
``type`` that a config under ``configs/gesture/`` or ``configs/vfi/`` names,
in the registry that the config key builds it from, *without* the configs'
``custom_imports`` and without importing any research line itself: mmengine
must import ``mmext.models`` / ``mmext.datasets`` / ``mmext.evaluation``
(the registries' locations) on the first look-up, and those packages must
import the lines. A line missing from one of those ``__init__`` files fails
here with the type and the config that names it.
"""
import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, tool_env

LINES = ('gesture', 'vfi')

# The lookup runs in its own process: this test process has imported the
# research lines long ago, which would hide a missing import.
SCRIPT = r'''
import json, sys
from pathlib import Path

from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmext.registry as R

# top-level keys -> the registry their dicts are built from
TOP = {
    'model': 'MODELS', 'val_evaluator': 'METRICS', 'test_evaluator': 'METRICS',
    'custom_hooks': 'HOOKS', 'default_hooks': 'HOOKS',
    'optim_wrapper': 'OPTIM_WRAPPERS', 'param_scheduler': 'PARAM_SCHEDULERS',
    'visualizer': 'VISUALIZERS', 'log_processor': 'LOG_PROCESSORS',
    'train_cfg': 'LOOPS', 'val_cfg': 'LOOPS', 'test_cfg': 'LOOPS',
}
# nested keys that switch the registry wherever they appear
NESTED = {
    'data_preprocessor': 'MODELS', 'dataset': 'DATASETS',
    'datasets': 'DATASETS', 'pipeline': 'TRANSFORMS',
    'transforms': 'TRANSFORMS', 'sampler': 'DATA_SAMPLERS',
    'batch_sampler': 'DATA_SAMPLERS', 'optimizer': 'OPTIMIZERS',
    'vis_backends': 'VISBACKENDS',
}
# keys whose dicts are not built from a registry by name
SKIP = {'init_cfg', 'env_cfg', 'collate_fn', 'custom_imports'}


def walk(node, registry, out):
    if isinstance(node, dict):
        if registry and isinstance(node.get('type'), str):
            out.add((registry, node['type']))
        for key, value in node.items():
            if key in SKIP:
                continue
            if key == 'constructor' and isinstance(value, str):
                out.add(('OPTIM_WRAPPER_CONSTRUCTORS', value))
            walk(value, NESTED.get(key, registry), out)
    elif isinstance(node, (list, tuple)):
        for value in node:
            walk(value, registry, out)


configs = [Path(p) for p in sys.argv[1:]]
wanted = {}
for path in configs:
    cfg = Config.fromfile(str(path), import_custom_modules=False)
    assert cfg.get('default_scope') == 'mmext', (path,
                                                 cfg.get('default_scope'))
    found = set()
    for key, value in cfg.to_dict().items():
        walk(value, TOP.get(key), found)
    if isinstance(cfg.get('runner_type'), str):
        found.add(('RUNNERS', cfg.runner_type))
    for item in found:
        wanted.setdefault(item, path.name)

lines_before = sorted(m for m in sys.modules
                      if m.split('.')[:2] in (['mmext', 'models'],
                                              ['mmext', 'datasets'],
                                              ['mmext', 'evaluation']))
init_default_scope('mmext')
missing = sorted(f'{reg}.get({name!r}) is None (named in {cfg})'
                 for (reg, name), cfg in wanted.items()
                 if getattr(R, reg).get(name) is None)
print(json.dumps(dict(lines_before=lines_before, missing=missing,
                      checked=len(wanted),
                      types=sorted(n for _, n in wanted))))
'''


def _configs():
    return sorted(str(p) for line in LINES
                  for p in (ROOT / 'configs' / line).rglob('*.py'))


def test_every_gesture_and_vfi_type_is_found_under_mmext_scope():
    configs = _configs()
    assert len(configs) >= 20
    proc = subprocess.run([sys.executable, '-c', SCRIPT, *configs],
                          cwd=ROOT, env=tool_env(), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    # nothing of the lines was imported before the first look-up
    assert res['lines_before'] == []
    assert res['missing'] == []
    # the check really looked at the lines' own components
    assert {'GestureGAN', 'GestureDataset', 'GestureMetric', 'VFIModel',
            'HybridVFIBackbone', 'Vimeo90KTripletDataset', 'VFIMetric',
            'LoadVFIFrames'} <= set(res['types'])


def test_the_check_catches_a_missing_line():
    """The same script reports a type that no registry holds."""
    first = _configs()[0]
    proc = subprocess.run(
        [sys.executable, '-c',
         SCRIPT.replace("    found = set()\n",
                        "    found = {('MODELS', 'NoSuchGestureModel')}\n"),
         first],
        cwd=ROOT, env=tool_env(), capture_output=True, text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res['missing'] == [
        "MODELS.get('NoSuchGestureModel') is None (named in "
        f'{Path(first).name})'
    ]
