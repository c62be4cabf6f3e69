# Copyright (c) mmext contributors. All rights reserved.
"""Bad input must fail early with a first line that names what is wrong."""
import textwrap

import pytest
from conftest import ROOT, run_tool

from mmext.utils import ConfigError, load_config

TOY = ROOT / 'tests/data/configs/toy_regression.py'


def _child(tmp_path, body: str):
    path = tmp_path / 'child.py'
    path.write_text(f"_base_ = ['{TOY}']\n" + textwrap.dedent(body))
    return str(path)


def _first_line(err) -> str:
    return str(err.value).splitlines()[0]


def test_missing_config_file_cli(tmp_path):
    proc = run_tool(['train.py', str(tmp_path / 'nope.py')], timeout=120)
    assert proc.returncode != 0
    first = proc.stderr.strip().splitlines()[-1]
    assert first.startswith(f'error: config file not found: '
                            f'{tmp_path / "nope.py"}')


def test_unknown_component_type_names_scope(tmp_path):
    cfg = _child(tmp_path, "model = dict(type='ToyRegresor')\n")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    line = _first_line(err)
    assert "model.type='ToyRegresor' is not a registered model in scope " \
        "'mmext' (searched: mmext -> mmengine)" in line
    assert "Did you mean 'ToyRegressor'?" in line


def test_unknown_type_in_pipeline_and_hooks(tmp_path):
    cfg = _child(tmp_path, """
        custom_hooks = [dict(type='mmext.EpochSeedHok')]
    """)
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "custom_hooks[0].type='mmext.EpochSeedHok'" in _first_line(err)


def test_misspelled_argument(tmp_path):
    cfg = _child(tmp_path, 'model = dict(hiden=32)\n')
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert _first_line(err).endswith(
        'unknown argument model.hiden for ToyRegressor (valid arguments: '
        "dim, hidden, dropout). Did you mean 'hidden'?")


def test_misspelled_top_level_key(tmp_path):
    cfg = _child(tmp_path, 'trian_cfg = dict(max_epochs=3)\n')
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "unknown top-level key 'trian_cfg'; did you mean 'train_cfg'?" \
        in _first_line(err)


def test_misspelled_cfg_option_cli(tmp_path):
    proc = run_tool(['train.py', str(TOY), '--work-dir', str(tmp_path),
                     '--cfg-options', 'model.dropuot=0.5'], timeout=120)
    assert proc.returncode != 0
    assert 'unknown argument model.dropuot for ToyRegressor' in \
        proc.stderr.strip().splitlines()[-1]


def test_missing_data_root(tmp_path):
    cfg = _child(tmp_path, f"""
        train_dataloader = dict(dataset=dict(
            data_root='{tmp_path}/no_such_dir'))
    """)
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert _first_line(err).endswith(
        f"train_dataloader.dataset.data_root='{tmp_path}/no_such_dir' does "
        'not exist (expected a directory holding the dataset; for the demos '
        'run the generator in tools/misc/, or pass --cfg-options '
        'train_dataloader.dataset.data_root=PATH)')


def test_unparsable_config(tmp_path):
    path = tmp_path / 'broken.py'
    path.write_text('model = dict(type=\n')
    with pytest.raises(ConfigError) as err:
        load_config(str(path))
    assert _first_line(err).startswith(f'cannot parse config {path}:')


def test_resume_path_missing_cli(tmp_path):
    proc = run_tool(['train.py', str(TOY), '--work-dir', str(tmp_path),
                     '--resume', str(tmp_path / 'epoch_9.pth')], timeout=120)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1] == (
        f'error: --resume: checkpoint not found: {tmp_path / "epoch_9.pth"}')


def test_annotation_file_of_wrong_format(tmp_path):
    from mmext.datasets.pose3d import H36MMotionBERTDataset
    text = tmp_path / 'h36m.pkl'
    text.write_text('this is not a pickle')
    with pytest.raises(ValueError) as err:
        H36MMotionBERTDataset(ann_file=str(text), seq_len=27)
    assert _first_line(err).startswith(
        f'h36m pickle {text}: not a readable pickle of the expected format')
    wrong = tmp_path / 'list.pkl'
    wrong.write_bytes(__import__('pickle').dumps([1, 2, 3]))
    with pytest.raises(KeyError) as err:
        H36MMotionBERTDataset(ann_file=str(wrong), seq_len=27)
    assert f"h36m pickle {wrong}: missing split 'train' (found <class " \
        "'list'>; expected {'train': ..., 'test': ...})" in str(err.value)


def test_batch_size_of_the_wrong_type(tmp_path):
    """mmengine said 'got batch_size=16' for the string '16'."""
    cfg = _child(tmp_path, "train_dataloader = dict(batch_size='16')\n")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert _first_line(err).endswith(
        "train_dataloader.batch_size must be an integer >= 1, got '16' "
        '(str)')


def test_misspelt_loop_key(tmp_path):
    cfg = _child(tmp_path, 'train_cfg = dict(max_epoch=3)\n')
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    line = _first_line(err)
    assert 'unknown key train_cfg.max_epoch for EpochBasedTrainLoop' in line
    assert "Did you mean 'max_epochs'?" in line
    cfg = _child(tmp_path, 'val_cfg = dict(fp61=True)\n')
    with pytest.raises(ConfigError, match='unknown key val_cfg.fp61 for '
                       'ValLoop'):
        load_config(cfg)


def test_tool_errors_are_one_line_and_debug_shows_the_traceback(tmp_path):
    """train.py caught only ConfigError: any other expected error (here a
    truncated load_from checkpoint) printed a traceback."""
    bad = tmp_path / 'epoch_1.pth'
    bad.write_bytes(b'PK\x03\x04 truncated')
    args = ['train.py', str(TOY), '--work-dir', str(tmp_path / 'wd'),
            '--cfg-options', f'load_from={bad}', 'train_cfg.max_epochs=1']
    proc = run_tool(args, timeout=300)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(
        f'error: checkpoint {bad} is not a readable torch checkpoint')
    proc = run_tool(args + ['--debug'], timeout=300)
    assert 'Traceback' in proc.stderr
