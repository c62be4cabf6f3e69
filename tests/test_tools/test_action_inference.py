# Copyright (c) mmext contributors. All rights reserved.
"""mmext.apis.action_inference (and its CLI, tools/inference/
action_inference.py) on a generated demo video with random weights."""
import json
import os
import pickle

import pytest
import torch
from conftest import ROOT, run_tool

import mmext  # noqa: F401

pytest.importorskip('mmcv.ops', reason='mmaction.models needs full mmcv')

from mmext.apis.action_inference import (format_action_result,
                                         inference_action, init_action_model,
                                         load_skeleton, select_annotation)

CONFIG = ROOT / 'configs/action/' \
    'rgbpose-conv3d-tiny_pcan_1xb4-8e_ma52-demo.py'


@pytest.fixture(autouse=True)
def mmaction_scope():
    """The tool sets mmaction's default scope; keep it out of other tests."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):
        yield


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmext.datasets.action.synthetic import generate_demo
    tmp = tmp_path_factory.mktemp('action_inference')
    generate_demo(
        'ma52', str(tmp / 'data'), clips_per_class=2, num_frames=16, size=64)
    cfg = Config.fromfile(str(CONFIG))
    from mmaction.registry import MODELS

    import mmext.models.action  # noqa: F401
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(cfg.model)
    model.init_weights()  # PCAN memories start random: rectification runs
    ckpt = tmp / 'random.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    with open(tmp / 'data' / 'ma52_2d.pkl', 'rb') as f:
        annos = pickle.load(f)['annotations']
    anno = annos[1]
    split = 'videos_train' if (tmp / 'data' / 'videos_train' / (
        anno['frame_dir'] + '.mp4')).exists() else 'videos_val'
    video = tmp / 'data' / split / (anno['frame_dir'] + '.mp4')
    return dict(
        tmp=tmp,
        ckpt=ckpt,
        skeleton=tmp / 'data' / 'ma52_2d.pkl',
        video=video,
        anno=anno)


@pytest.fixture(scope='module')
def model(demo):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):
        return init_action_model(Config.fromfile(str(CONFIG)), demo['ckpt'])


def _run(demo, model, frame_dir=None, sample_index=None):
    from mmengine.config import Config
    annotation = select_annotation(load_skeleton(str(demo['skeleton'])),
                                   sample_index, frame_dir)
    return inference_action(Config.fromfile(str(CONFIG)), model, annotation,
                            str(demo['video']))


def test_inference_prints_valid_topk(demo, model):
    result = _run(demo, model, frame_dir=demo['anno']['frame_dir'])
    printed = format_action_result(result)
    assert set(result['streams']) == {'rgb', 'pose', 'fused'}
    for title in ('[RGB] top-5 fine:', '[Pose] top-5 coarse:',
                  '[Fused] top-5 fine:', '[Fused] top-5 coarse:'):
        assert title in printed
    from mmext.structures.action_hierarchy import COARSE_NAMES
    for s, entry in result['streams'].items():
        fine, coarse = entry['fine_probs'], entry['coarse_probs']
        assert len(fine) == 52 and len(coarse) == 7
        assert sum(fine) == pytest.approx(1., abs=1e-5)
        assert sum(coarse) == pytest.approx(1., abs=1e-5)
        probs = [e['prob'] for e in entry['fine']]
        assert probs == sorted(probs, reverse=True) and len(probs) == 5
        for e in entry['fine']:
            assert 0 <= e['index'] < 52
            assert e['prob'] == pytest.approx(fine[e['index']])
            assert f"{e['index']:>3d}  {e['prob']:.4f}  {e['name']}" in \
                printed
        for e in entry['coarse']:
            assert e['name'] == COARSE_NAMES['ma52'][e['index']]
    streams = result['streams']
    for level in ('fine_probs', 'coarse_probs'):
        mean = (torch.tensor(streams['rgb'][level]) +
                torch.tensor(streams['pose'][level])) / 2
        assert torch.allclose(
            torch.tensor(streams['fused'][level]), mean, atol=1e-6)
    assert result['frame_dir'] == demo['anno']['frame_dir']
    assert result['label'] == demo['anno']['label']


def test_inference_sample_index_matches_frame_dir(demo, model):
    by_dir = _run(demo, model, frame_dir=demo['anno']['frame_dir'])
    by_index = _run(demo, model, sample_index=1)
    assert by_index['streams']['fused']['fine_probs'] == pytest.approx(
        by_dir['streams']['fused']['fine_probs'])


def test_inference_errors(demo, model, tmp_path):
    with pytest.raises(ValueError, match="--frame-dir 'nope' not in the "
                       'skeleton file'):
        _run(demo, model, frame_dir='nope')
    with pytest.raises(ValueError, match='--sample-index 999 out of range'):
        _run(demo, model, sample_index=999)

    class Evil:

        def __reduce__(self):
            return (os.system, ('echo pwned',))

    evil = tmp_path / 'evil.pkl'
    with open(evil, 'wb') as f:
        pickle.dump({'annotations': [Evil()]}, f)
    with pytest.raises(pickle.UnpicklingError,
                       match='refusing to load .*evil.pkl: it references '
                       'posix.system'):
        load_skeleton(str(evil))
    # a checkpoint of another model is rejected with the keys named
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    bad = tmp_path / 'bad.pth'
    torch.save({'state_dict': {'foo': torch.zeros(1)}}, bad)
    with DefaultScope.overwrite_default_scope('mmaction'), pytest.raises(
            RuntimeError, match=r'does not fit the model \(1 tensors in the '
            r'file.*1 unexpected \(foo\)'):
        init_action_model(Config.fromfile(str(CONFIG)), str(bad))


def test_cli_writes_the_api_result(demo, model, tmp_path):
    """The command line prints the API's table and writes its result."""
    out = tmp_path / 'result.json'
    proc = run_tool([
        'inference/action_inference.py', CONFIG, demo['ckpt'], '--video',
        demo['video'], '--skeleton', demo['skeleton'], '--sample-index', 1,
        '--out', out
    ], timeout=600)
    assert proc.returncode == 0, proc.stderr
    ref = _run(demo, model, sample_index=1)
    with open(out) as f:
        saved = json.load(f)
    assert saved['streams']['fused']['fine_probs'] == pytest.approx(
        ref['streams']['fused']['fine_probs'], abs=1e-6)
    assert format_action_result(ref).splitlines()[1] in proc.stdout
    proc = run_tool([
        'inference/action_inference.py', CONFIG, demo['ckpt'], '--video',
        demo['video'], '--skeleton', demo['skeleton'], '--topk', 0
    ], timeout=600)
    assert proc.returncode == 1
    assert proc.stderr.strip() == 'error: --topk must be >= 1, got 0'
