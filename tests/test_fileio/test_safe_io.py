# Copyright (c) mmext contributors. All rights reserved.
"""No data file runs code: each format with a crafted file (whose payload
would create a marker file) and its benign twin, which must still load."""
import json
import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import mmext  # noqa: F401  (patches mmengine's pickle / yaml handlers)
from mmext.engine import safe_load
from mmext.engine.checkpoint import (CheckpointFormatError,
                                     UnsafeCheckpointError)
from mmext.fileio import (DataFormatError, UnsafeFileError, load_data,
                          load_npz, load_pickle, load_yaml, read_config_dict)


class _Payload:
    """Pickles as a call of os.system (the crafted-file attack)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class _ExecPayload:

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import builtins
        return (builtins.exec, (f"open({self.marker!r}, 'w').write('x')", ))


def _benign():
    """Everything a data file of the published formats holds."""
    return OrderedDict(
        joint_2d=np.random.default_rng(0).normal(size=(4, 17, 2)),
        source=np.array(['s_09_act_02_subact_01_ca_01'] * 4),
        camera_name=['54138969'] * 4,
        factor=np.float32(2.5),
        nested={
            'split': {
                'xsub_train': ['a', 'b']
            },
            'ids': (1, 2.0, None)
        },
        labels={1, 2},
        raw=b'\x00\x01',
        dtype=np.dtype('float64'))


def _assert_same(a, b):
    assert a.keys() == b.keys()
    np.testing.assert_array_equal(a['joint_2d'], b['joint_2d'])
    assert list(a['source']) == list(b['source'])
    assert a['nested'] == b['nested'] and a['labels'] == b['labels']
    assert a['raw'] == b['raw'] and a['dtype'] == b['dtype']


@pytest.mark.parametrize('protocol', [2, 4, 5])
@pytest.mark.parametrize('payload', [_Payload, _ExecPayload])
def test_crafted_pickle_refused_benign_loads(tmp_path, protocol, payload):
    marker = tmp_path / 'pwned'
    evil = dict(_benign(), meta=payload(marker))
    path = tmp_path / 'data.pkl'
    with open(path, 'wb') as f:
        pickle.dump(evil, f, protocol=protocol)
    with pytest.raises(UnsafeFileError) as err:
        load_pickle(str(path), 'h36m pickle')
    line = str(err.value)
    assert '\n' not in line
    assert f'refusing to load {path}' in line
    assert ('system' in line) or ('builtins.exec' in line)
    assert 're-save it' in line  # how to convert a legitimate file
    assert not marker.exists(), 'the payload ran'

    good = tmp_path / 'good.pkl'
    with open(good, 'wb') as f:
        pickle.dump(_benign(), f, protocol=protocol)
    _assert_same(load_pickle(str(good)), _benign())


def test_dataset_call_sites_refuse_crafted_pickles(tmp_path):
    """The pose3d loaders (MotionBERT pickle / clips) and mmengine.load
    (mmaction2 skeleton pkl, mmpose camera files) use the safe loader."""
    import mmengine

    from mmext.datasets.pose3d.utils import load_pickle as pose3d_load
    marker = tmp_path / 'pwned'
    path = tmp_path / 'cameras.pkl'
    with open(path, 'wb') as f:
        pickle.dump({'S1': {'R': np.eye(3), 'x': _Payload(marker)}}, f)
    with pytest.raises(UnsafeFileError, match='posix.system|os.system'):
        pose3d_load(str(path), 'h36m clip')
    with pytest.raises(UnsafeFileError) as err:
        mmengine.load(str(path))
    assert str(path) in str(err.value)  # names the file, not '<stream>'
    assert not marker.exists()
    good = tmp_path / 'good_cameras.pkl'
    mmengine.dump({'S1': {'R': np.eye(3), 'name': 'x'}}, str(good))
    np.testing.assert_array_equal(
        mmengine.load(str(good))['S1']['R'], np.eye(3))


def test_npz_object_arrays_restricted(tmp_path):
    marker = tmp_path / 'pwned'
    # MPI-INF-3DHP layout: 'data' is a pickled dict in an object array
    seqs = {
        'TS1': {
            'data_2d': np.zeros((5, 17, 2)),
            'data_3d': np.zeros((5, 17, 3)),
            'valid': np.ones(5)
        }
    }
    good = tmp_path / 'data_test_3dhp.npz'
    np.savez(good, data=np.array(seqs, dtype=object))
    with load_npz(str(good), '3dhp npz', allow_object=True) as npz:
        assert npz.files == ['data']
        got = npz['data'].item()
    np.testing.assert_array_equal(got['TS1']['data_3d'], np.zeros((5, 17, 3)))

    evil = tmp_path / 'evil.npz'
    np.savez(
        evil,
        data=np.array({'TS1': _Payload(marker)}, dtype=object),
        poses=np.zeros((3, 165)))
    with pytest.raises(UnsafeFileError, match='system'):
        load_npz(str(evil), '3dhp npz', allow_object=True)
    # formats of plain arrays refuse object arrays outright
    with pytest.raises(DataFormatError, match='holds Python objects'):
        load_npz(str(evil), 'BEAT2 npz')
    assert not marker.exists()

    plain = tmp_path / 'beat2.npz'
    np.savez(
        plain,
        poses=np.arange(6.).reshape(2, 3),
        gender=np.array('m'),
        fortran=np.asfortranarray(np.arange(6).reshape(2, 3)))
    z = load_npz(str(plain), 'BEAT2 npz', allow_object=True)
    np.testing.assert_array_equal(z['poses'], np.arange(6.).reshape(2, 3))
    np.testing.assert_array_equal(z['fortran'], np.arange(6).reshape(2, 3))
    assert str(z['gender']) == 'm'


def test_3dhp_dataset_reader_refuses_crafted_npz(tmp_path):
    pytest.importorskip('mmpose')
    from mmext.datasets.pose3d.mpi_inf_3dhp_dataset import MPIINF3DHPDataset
    marker = tmp_path / 'pwned'
    evil = tmp_path / 'data_test_3dhp.npz'
    np.savez(evil, data=np.array({'TS1': _Payload(marker)}, dtype=object))
    reader = MPIINF3DHPDataset.__new__(MPIINF3DHPDataset)
    reader.joint_order = 'h36m'
    with pytest.raises(UnsafeFileError):
        reader._read(str(evil))
    assert not marker.exists()


def test_beat2_converter_refuses_crafted_npz(tmp_path, monkeypatch):
    from mmext.datasets.gesture import converters

    # the SMPL-X model is the user's licensed file: stand in for it (with
    # the hand means BEAT2 poses are relative to), so the converter reaches
    # the BEAT2 npz load
    monkeypatch.setattr(
        converters, '_load_smplx_model',
        lambda path: dict(hands_meanl=np.zeros(45), hands_meanr=np.zeros(45)))
    monkeypatch.setattr(
        converters, 'smplx_parents',
        lambda model: list(range(len(converters.SMPLX_JOINTS))))
    marker = tmp_path / 'pwned'
    src = tmp_path / 'beat2'
    src.mkdir()
    np.savez(
        src / '2_scott_0_1_1.npz',
        poses=np.zeros((4, 165)),
        trans=np.zeros((4, 3)),
        betas=np.zeros(10),
        meta=np.array([_Payload(marker)], dtype=object))
    with pytest.raises(UnsafeFileError, match='system'):
        converters.convert_beat2(str(src), str(tmp_path / 'out'), 'smplx')
    assert not marker.exists()


def test_yaml_safe_and_mmengine_yaml(tmp_path):
    import mmengine
    marker = tmp_path / 'pwned'
    evil = tmp_path / 'evil.yaml'
    evil.write_text(f'a: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(UnsafeFileError, match='refusing to load'):
        load_yaml(str(evil))
    with pytest.raises(Exception):
        mmengine.load(str(evil))
    assert not marker.exists()
    good = tmp_path / 'good.yaml'
    good.write_text('a: [1, 2]\nb: {c: x}\n')
    assert load_yaml(str(good)) == {'a': [1, 2], 'b': {'c': 'x'}}
    assert mmengine.load(str(good)) == {'a': [1, 2], 'b': {'c': 'x'}}
    j = tmp_path / 'x.json'
    j.write_text(json.dumps({'k': [1]}))
    assert load_data(str(j)) == {'k': [1]}


#: fixed "random" bytes: the same on every run and every pytest-xdist
#: worker (which must collect identical test ids)
NOISE = np.random.default_rng(0).bytes(200)


@pytest.mark.parametrize('content,what', [
    (b'', 'empty'),
    (NOISE[:64] + b'\xff', 'not a readable pickle'),
    (b'just some text\n', 'not a readable pickle'),
], ids=['empty', 'noise', 'text'])
def test_broken_files_are_format_errors_not_unsafe(tmp_path, content, what):
    path = tmp_path / 'x.pkl'
    path.write_bytes(b'\x00' + content if what != 'empty' else content)
    with pytest.raises(DataFormatError) as err:
        load_pickle(str(path))
    assert not isinstance(err.value, UnsafeFileError)
    assert str(path) in str(err.value)


def test_renamed_npy_and_truncated_pickle(tmp_path):
    npy = tmp_path / 'x.pkl'
    np.save(tmp_path / 'x.npy', np.zeros(3))
    os.replace(tmp_path / 'x.npy', npy)
    with pytest.raises(DataFormatError, match='got a .npy array file'):
        load_pickle(str(npy))
    trunc = tmp_path / 't.pkl'
    trunc.write_bytes(pickle.dumps(_benign())[:40])
    with pytest.raises(DataFormatError, match='truncated|not a readable'):
        load_pickle(str(trunc))


@pytest.mark.parametrize('kind', ['random', 'text', 'npy', 'empty'])
def test_checkpoint_loader_says_not_a_checkpoint(tmp_path, kind):
    """checkpoint.py used to call every UnpicklingError 'unsafe'."""
    path = tmp_path / 'model.pth'
    if kind == 'random':
        path.write_bytes(b'\x07' + NOISE)
    elif kind == 'text':
        path.write_text('hello, I am not a checkpoint\n')
    elif kind == 'npy':
        np.save(tmp_path / 'a.npy', np.zeros(4))
        os.replace(tmp_path / 'a.npy', path)
    else:
        path.write_bytes(b'')
    with pytest.raises(CheckpointFormatError) as err:
        safe_load(path)
    assert not isinstance(err.value, UnsafeCheckpointError)
    assert 'not a readable torch checkpoint' in str(err.value)
    assert 'run code' not in str(err.value)


def test_checkpoint_legacy_pickle_payload_still_unsafe(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'legacy.pth'
    torch.save({
        'w': torch.ones(1),
        'x': _Payload(marker)
    },
               path,
               _use_new_zipfile_serialization=False)
    with pytest.raises(UnsafeCheckpointError):
        safe_load(path)
    assert not marker.exists()


def test_work_dir_config_read_as_data(tmp_path):
    """Report tools read a work dir's dumped config without running it."""
    from mmext.workflow.results import run_config
    marker = tmp_path / 'pwned'
    wd = tmp_path / 'wd'
    (wd / '20260101_000000' / 'vis_data').mkdir(parents=True)
    (wd / '20260101_000000' / 'vis_data' / 'config.py').write_text(
        f"import os\nos.system('touch {marker}')\n"
        f"__import__('os').system('touch {marker}')\n"
        "lr = 0.01\n"
        "model = dict(type='MotionAGFormer', dim=dict(a=1), layers=[1, 2])\n"
        "optim_wrapper = dict(optimizer=dict(type='AdamW', lr=lr))\n"
        "train_dataloader = dict(batch_size=16, dataset=dict(type='X', "
        "data_root=os.getcwd()))\n")
    cfg = run_config(str(wd))
    assert not marker.exists(), 'the config ran'
    assert cfg.model.type == 'MotionAGFormer' and cfg.model.layers == [1, 2]
    assert cfg.optim_wrapper.optimizer.lr == 0.01
    assert cfg.get('train_dataloader').get('batch_size') == 16
    assert cfg.train_dataloader.dataset.data_root == '<os.getcwd()>'
    assert read_config_dict(
        str(wd / '20260101_000000' / 'vis_data' / 'config.py'))['lr'] == 0.01


def test_datasets_refuse_non_finite_arrays_at_load(tmp_path):
    """NaN data used to train with `loss: nan` until validation died."""
    pytest.importorskip('mmpose')
    from mmext.datasets.pose3d.utils import check_array
    arr = np.zeros((3, 17, 2))
    arr[1, 4, 0] = np.inf
    with pytest.raises(ValueError) as err:
        check_array(arr, 'joint_2d', 'h36m pickle x.pkl [train]', 3)
    assert str(err.value) == (
        "h36m pickle x.pkl [train]: 'joint_2d' holds 1 non-finite values "
        '(NaN/Inf; first at index (1, 4, 0)); expected finite numbers')
    np.testing.assert_array_equal(
        check_array(np.ones((3, 17, 2)), 'joint_2d', 'w', 3),
        np.ones((3, 17, 2)))
    pytest.importorskip('mmcv.ops', reason='mmaction needs full mmcv')
    from mmext.datasets.action.rgbpose_dataset import RGBPoseDataset
    ann = dict(
        frame_dir='v0',
        keypoint=np.full((1, 4, 17, 2), np.nan),
        keypoint_score=np.ones((1, 4, 17)))
    path = tmp_path / 'ntu.pkl'
    with open(path, 'wb') as f:
        pickle.dump({'split': {}, 'annotations': [ann]}, f)
    ds = RGBPoseDataset.__new__(RGBPoseDataset)
    ds.ann_file, ds.dataset_name = str(path), 'NTU60'
    with pytest.raises(
            ValueError,
            match=r'NTU60 .*ntu.pkl sample v0: '
            'keypoint holds 136 non-finite values'):
        ds._load_pkl()


def test_gesture_api_refuses_nan_audio():
    from mmext.apis.gesture_inference import generate_motion
    wave = np.zeros(16000, np.float32)
    wave[100] = np.nan
    with pytest.raises(ValueError, match='audio: waveform holds 1 '
                       'non-finite values'):
        generate_motion(None, wave, 16000, 15., np.zeros((4, 9, 3)), 34)
