# Copyright (c) mmext contributors. All rights reserved.
"""Every config name follows the grammar of docs/convention.md, and
``auto_scale_lr.base_batch_size`` has its one meaning there.

    {algorithm}_{module}_{training}_{data}.py   ({module} may be left out)

The vocabularies below are the ones docs/convention.md lists; a new
algorithm, size or dataset is added in both places.
"""
import re

import pytest
from conftest import ROOT

ALGORITHMS = ('motionagformer', 'mambagcn', 'rgbpose-conv3d', 'x3d',
              'x3d-tsm', 'gesture-gan', 'motion-ae', 'hybrid-vfi')
SIZES = ('tiny', 'xs', 'xs4l', 's', 'm', 'b', 'l')
DATASETS = ('h36m', 'mpi-inf-3dhp', 'ma52', 'ntu60', 'beat', 'beat2',
            'vimeo90k', 'x4k-vimeo90k', 'middlebury', 'snu-film', 'ucf101',
            'xiph', 'xtest')

#: tags after the dataset: a split, subset or protocol of the data
DATA_TAGS = ('demo', 'xsub', 'order', 'easy', 'medium', 'hard', 'extreme',
             '2k', '4k')

WORDS = r'[a-z0-9.]+(?:-[a-z0-9.]+)*'
TRAINING = re.compile(r'^(?:(\d+)xb(\d+)-\d+e(?:-[a-z0-9.]+)*|eval)$')

CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts
                 and 'sweeps' not in p.parts)  # search spaces, not configs


def parse(name: str) -> dict:
    """The fields of a config file name, or ValueError saying what breaks
    the grammar."""
    stem = name[:-3] if name.endswith('.py') else name
    fields = stem.split('_')
    if len(fields) not in (3, 4):
        raise ValueError(f'{name}: {len(fields)} "_"-separated fields, '
                         'expected {algorithm}[_{module}]_{training}_{data}')
    for field in fields:
        if not re.fullmatch(WORDS, field):
            raise ValueError(f'{name}: field {field!r}: expected lower-case '
                             'words joined by "-"')
    algorithm, *module, training, data = fields
    name_size = [(a, algorithm[len(a) + 1:]) for a in ALGORITHMS
                 if algorithm == a or algorithm.startswith(a + '-')]
    if not any(size in ('', *SIZES) for _, size in name_size):
        raise ValueError(
            f'{name}: algorithm field {algorithm!r}: expected one of '
            f'{ALGORITHMS}, optionally with a size -{{{",".join(SIZES)}}}; '
            'other variants go into the module field')
    m = TRAINING.match(training)
    if not m:
        raise ValueError(
            f'{name}: training field {training!r}: expected '
            '{gpus}xb{batch}-{epochs}e[-{tag}...] or eval')
    datasets = [d for d in DATASETS if data == d or data.startswith(d + '-')]
    tags = (data[len(max(datasets, key=len)) + 1:].split('-')
            if datasets and data not in datasets else [])
    if not datasets or not set(tags) <= set(DATA_TAGS):
        raise ValueError(
            f'{name}: data field {data!r}: expected a dataset of {DATASETS}, '
            f'optionally with split tags of {DATA_TAGS} (training tags such '
            'as tune, paper or phase2 go into the training field)')
    return dict(algorithm=algorithm, module=module[0] if module else None,
                training=training, data=data,
                total_batch=(int(m.group(1)) * int(m.group(2))
                             if m.group(1) else None))


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_name_follows_the_grammar(path):
    parse(path.name)


@pytest.mark.parametrize('name, field', [
    ('mambagcn-b_243frm_1xb16-60e_h36m_causal.py', 'fields'),
    ('mambagcn-full-b_243frm_1xb16-60e_h36m.py', 'algorithm'),
    ('x3d-tsm-m_pcan_2xb16-70e_ntu60-xsub-tune.py', 'data field'),
    ('rgbpose-conv3d_pcan_1xb10-30e_ma52-paper.py', 'data field'),
    ('gesture-gan_gat-gcn_no-balance_1xb32-100e_beat.py', 'fields'),
    ('hybrid-vfi_vimeo90k_1xb8-300e.py', 'training'),
    ('hybrid-vfi_1xb8-300e_kinetics.py', 'data field'),
    ('MotionAGFormer-b_243frm_1xb16-60e_h36m.py', 'lower-case'),
])
def test_the_grammar_rejects_the_old_names(name, field):
    """The names this grammar replaced (and a few more) fail with a message
    naming the field that breaks it."""
    with pytest.raises(ValueError, match=field):
        parse(name)


def test_parse_fields():
    assert parse('motionagformer-b_243frm_1xb16-60e_h36m.py') == dict(
        algorithm='motionagformer-b', module='243frm', training='1xb16-60e',
        data='h36m', total_batch=16)
    assert parse('hybrid-vfi_feature-warp_eval_snu-film-hard.py') == dict(
        algorithm='hybrid-vfi', module='feature-warp', training='eval',
        data='snu-film-hard', total_batch=None)
    assert parse('x3d-tsm-m_pcan_2xb16-70e-tune_ntu60-xsub.py')[
        'total_batch'] == 32


def _load(path):
    from mmengine.config import Config
    return Config.fromfile(str(path), import_custom_modules=False)


def test_base_batch_size_has_one_meaning():
    """``auto_scale_lr.base_batch_size`` is the total batch (GPUs x
    per-GPU batch) that the config's lr is set for. It equals the name's
    ``{gpus}xb{batch}``, unless the config keeps the lr of a sibling tuned
    at another batch - then a config of that batch with the same lr
    exists."""
    lrs = {}
    checked = []
    for path in CONFIGS:
        fields = parse(path.name)
        cfg = _load(path)
        scale = cfg.get('auto_scale_lr')
        if scale is None or fields['total_batch'] is None:
            continue
        opt = cfg.optim_wrapper.get('optimizer', {})
        lr = opt.get('lr')
        checked.append((path, fields, scale['base_batch_size'], lr))
        lrs.setdefault((path.parent, fields['algorithm'], fields['module'],
                        fields['total_batch']), set()).add(lr)
    assert len(checked) >= 30
    for path, fields, base, lr in checked:
        if base == fields['total_batch']:
            continue
        module = fields['module']
        siblings = {m: v for (d, a, m, b), v in lrs.items()
                    if d == path.parent and a == fields['algorithm']
                    and b == base}
        assert lr in siblings.get(module, set()), (
            f'{path.name}: base_batch_size={base} but the name says total '
            f'batch {fields["total_batch"]}, and no config of batch {base} '
            f'in {path.parent.name}/ has lr {lr}')
