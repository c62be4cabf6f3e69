# Copyright (c) mmext contributors. All rights reserved.
"""Early stopping and best-checkpoint rules in the metric's own units.

mmengine's ``EarlyStoppingHook`` counts an epoch as progress only if the
monitored metric beats its best by ``min_delta`` (in the metric's units;
default 0.1). On a top-1 *fraction* that default demands +10 points per
epoch. These tests build the hook from every config that has one and replay
a slowly rising accuracy curve through it, and check every ``save_best`` /
early-stopping key against the units and direction of the metric that
reports it.
"""
import copy
import functools
import re
from types import SimpleNamespace

import pytest
from conftest import ROOT
from mmengine.logging import MMLogger
from mmengine.registry import HOOKS

from mmext.utils import load_config

CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts and 'sweeps' not in p.parts)

# metric type -> [(key regex, rule, units)]; keys as the metric reports them
# (with its default prefix). The units fix the scale of a sensible min_delta.
METRIC_KEYS = {
    'HierarchicalActionMetric': [
        (r'action/\w+_(top\d+|f1_micro|f1_macro)_(fine|coarse)', 'greater',
         'fraction'),
        (r'action/\w+_f1_mean', 'greater', 'fraction')],
    'Pose3DMetric': [(r'(MPJPE|P-MPJPE|N-MPJPE)', 'less', 'mm'),
                     (r'MPJVE', 'less', 'mm')],
    'PCK3DMetric': [(r'(PCK|AUC)', 'greater', 'percent'),
                    (r'MPJPE', 'less', 'mm')],
    'VFIMetric': [(r'vfi/PSNR', 'greater', 'dB'),
                  (r'vfi/SSIM', 'greater', 'fraction'),
                  (r'vfi/IE', 'less', 'grey levels')],
    'MotionAEMetric': [(r'motion_ae/mpjpe', 'less', 'model units')],
    'GestureMetric': [(r'gesture/FGD', 'less', 'feature distance'),
                      (r'gesture/BC', 'greater', 'fraction'),
                      (r'gesture/L1div', 'greater', 'model units')],
}
# largest min_delta that still counts a slow but real gain as progress
MAX_MIN_DELTA = {'fraction': 0.005, 'percent': 0.5, 'mm': 0.5, 'dB': 0.05}


@functools.lru_cache(maxsize=None)
def _cfg(path):
    return load_config(str(path), check_data=False)


def _evaluator_types(cfg):
    ev = cfg.get('val_evaluator')
    evs = ev if isinstance(ev, (list, tuple)) else [ev]
    return [e['type'] for e in evs if e is not None]


def _lookup(cfg, key):
    """(rule, units) of ``key`` as reported by the config's evaluator."""
    types = _evaluator_types(cfg)
    for t in types:
        for pattern, rule, units in METRIC_KEYS.get(t, ()):
            if re.fullmatch(pattern, key):
                return rule, units
    raise AssertionError(
        f'{key!r} is not a key that {types} reports (known: '
        f'{[p for t in types for p, _, _ in METRIC_KEYS.get(t, ())]})')


def _stopping_hooks(cfg):
    return [h for h in cfg.get('custom_hooks', [])
            if h['type'] in ('EarlyStoppingHook',
                             'mmengine.EarlyStoppingHook')]


STOPPING = [p for p in CONFIGS if _stopping_hooks(_cfg(p))]
BEST = [p for p in CONFIGS
        if _cfg(p).default_hooks.checkpoint.get('save_best') not in
        (None, 'auto')]


def test_configs_found():
    names = {p.name for p in STOPPING}
    assert {'x3d-tsm-m_pcan_2xb16-80e_ntu60-xsub.py',
            'x3d-tsm-m_pcan_2xb16-70e-tune_ntu60-xsub.py'} <= names
    assert len(BEST) >= 8


def _replay(hook, curve, epochs):
    """Feed ``curve(epoch)`` (epochs 1..N) to the hook as mmengine's
    ValLoop does; return the epoch after which it stops training, or None.
    """
    runner = SimpleNamespace(
        train_loop=SimpleNamespace(stop_training=False),
        logger=MMLogger.get_instance('test_recipe_early_stopping'))
    hook.before_run(runner)
    for epoch in range(1, epochs + 1):
        hook.after_val_epoch(runner, {hook.monitor: curve(epoch)})
        if runner.train_loop.stop_training:
            return epoch
    return None


def _rising(epoch, start=0.749, per_epoch=0.002, flat_from=78):
    """Top-1 fraction rising 0.2 points per epoch until epoch 78 (0.903),
    flat after it."""
    return start + per_epoch * (min(epoch, flat_from) - 1)


@pytest.mark.parametrize('path', STOPPING, ids=[p.name for p in STOPPING])
def test_early_stopping_survives_slow_rise(path):
    cfg = _cfg(path)
    for hook_cfg in _stopping_hooks(cfg):
        assert 'min_delta' in hook_cfg, (
            f'{path.name}: EarlyStoppingHook without min_delta inherits '
            "mmengine's 0.1, which is not in this metric's units")
        rule, units = _lookup(cfg, hook_cfg['monitor'])
        assert hook_cfg['rule'] == rule
        assert 0 < hook_cfg['min_delta'] <= MAX_MIN_DELTA[units]
        if units != 'fraction':
            continue  # the scripted curve below is a top-1 fraction
        epochs = cfg.train_cfg.max_epochs
        hook = HOOKS.build(copy.deepcopy(hook_cfg))
        # the whole run: no stop before the curve flattens (epoch 78)
        stop = _replay(hook, _rising, epochs)
        assert stop is None or stop > 78, f'{path.name}: stopped at {stop}'
        # past the plateau the hook is alive: it stops `patience` epochs
        # after the last gain
        hook = HOOKS.build(copy.deepcopy(hook_cfg))
        assert _replay(hook, _rising, 200) == 78 + hook_cfg['patience']
        # with mmengine's default min_delta the same curve is cut short
        # after `patience` epochs: the mistake this test guards against
        default = {k: v for k, v in hook_cfg.items() if k != 'min_delta'}
        hook = HOOKS.build(copy.deepcopy(default))
        assert _replay(hook, _rising, epochs) == 1 + hook_cfg['patience']


def test_early_stopping_is_strict():
    """A misspelt monitor key must fail, not silently disable the hook."""
    for path in STOPPING:
        for hook_cfg in _stopping_hooks(_cfg(path)):
            hook = HOOKS.build(copy.deepcopy(hook_cfg))
            runner = SimpleNamespace(
                train_loop=SimpleNamespace(stop_training=False),
                logger=MMLogger.get_instance('test_recipe_early_stopping'))
            with pytest.raises(RuntimeError, match='not available'):
                hook.after_val_epoch(runner, {'action/top1': 0.5})


@pytest.mark.parametrize('path', BEST, ids=[p.name for p in BEST])
def test_save_best_key_and_rule_match_the_metric(path):
    cfg = _cfg(path)
    ckpt = cfg.default_hooks.checkpoint
    keys = ckpt.save_best
    keys = [keys] if isinstance(keys, str) else list(keys)
    rules = ckpt.get('rule')
    rules = [rules] * len(keys) if isinstance(rules, str) or rules is None \
        else list(rules)
    for key, rule in zip(keys, rules):
        expected, _ = _lookup(cfg, key)
        assert rule == expected, f'{path.name}: {key} needs rule={expected}'
