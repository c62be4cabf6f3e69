# Copyright (c) mmext contributors. All rights reserved.
"""tools/action_inference.py on a generated demo video with random weights."""
import json
import os
import pickle
import sys
from pathlib import Path

import pytest
import torch

import mmext  # noqa: F401

pytest.importorskip('mmcv.ops', reason='mmaction.models needs full mmcv')

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tools'))
import action_inference  # noqa: E402

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
    import mmext.models.action  # noqa: F401
    from mmaction.registry import MODELS
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


def _run(demo, *extra):
    out = demo['tmp'] / 'result.json'
    args = [
        str(CONFIG),
        str(demo['ckpt']), '--video',
        str(demo['video']), '--skeleton',
        str(demo['skeleton']), '--out',
        str(out)
    ] + list(extra)
    result = action_inference.main(args)
    with open(out) as f:
        assert json.load(f) == json.loads(json.dumps(result))
    return result


def test_inference_prints_valid_topk(demo, capsys):
    result = _run(demo, '--frame-dir', demo['anno']['frame_dir'])
    printed = capsys.readouterr().out
    assert set(result['streams']) == {'rgb', 'pose', 'fused'}
    for title in ('[RGB] top-5 fine:', '[Pose] top-5 coarse:',
                  '[Fused] top-5 fine:', '[Fused] top-5 coarse:'):
        assert title in printed
    from mmext.datasets.action.hierarchy import COARSE_NAMES
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


def test_inference_sample_index_matches_frame_dir(demo, capsys):
    by_dir = _run(demo, '--frame-dir', demo['anno']['frame_dir'])
    by_index = _run(demo, '--sample-index', '1')
    assert by_index['streams']['fused']['fine_probs'] == pytest.approx(
        by_dir['streams']['fused']['fine_probs'])


def test_inference_errors(demo, tmp_path, capsys):
    # errors reach the user through the tools' one error path
    from mmext.utils import cli_main

    def run(*argv):
        cli_main(action_inference.main, [str(a) for a in argv])

    with pytest.raises(SystemExit, match="--frame-dir 'nope' not in the "
                       'skeleton file'):
        run(CONFIG, demo['ckpt'], '--video', demo['video'], '--skeleton',
            demo['skeleton'], '--frame-dir', 'nope')
    with pytest.raises(SystemExit, match='--sample-index 999 out of range'):
        run(CONFIG, demo['ckpt'], '--video', demo['video'], '--skeleton',
            demo['skeleton'], '--sample-index', '999')

    class Evil:

        def __reduce__(self):
            return (os.system, ('echo pwned',))

    evil = tmp_path / 'evil.pkl'
    with open(evil, 'wb') as f:
        pickle.dump({'annotations': [Evil()]}, f)
    with pytest.raises(SystemExit, match='refusing to load .*evil.pkl: it '
                       'references posix.system'):
        run(CONFIG, demo['ckpt'], '--video', demo['video'], '--skeleton',
            evil)
    # a checkpoint of another model is rejected with the keys named
    bad = tmp_path / 'bad.pth'
    torch.save({'state_dict': {'foo': torch.zeros(1)}}, bad)
    with pytest.raises(SystemExit, match=r'does not fit the model \(1 '
                       'tensors in the file.*1 unexpected \(foo\)'):
        run(CONFIG, bad, '--video', demo['video'], '--skeleton',
            demo['skeleton'])
