# Copyright (c) mmext contributors. All rights reserved.
"""The official MA-52 test split (hidden labels, ``test0000.mp4 0`` lines)
is read, and ``tools/test.py`` on it writes the challenge submission without
computing any metric. Data: the SYNTHETIC demo generator's clips, renamed
into the official test layout."""
import csv
import os.path as osp
import pickle
import shutil
import zipfile

import numpy as np
import pytest
import torch
from conftest import ROOT, run_tool

import mmext  # noqa: F401

pytest.importorskip('mmcv.ops', reason='mmaction.models needs full mmcv')

CONFIG = ROOT / 'configs/action/' \
    'rgbpose-conv3d-tiny_pcan_1xb4-8e_ma52-demo.py'


@pytest.fixture(scope='module')
def official_test_split(tmp_path_factory):
    """videos_test/testNNNN.mp4, test_list_videos.txt with placeholder
    labels 0, and a skeleton pkl whose frame_dirs are testNNNN."""
    from mmext.datasets.action.synthetic import generate_demo
    tmp = tmp_path_factory.mktemp('ma52_test_split')
    demo = tmp / 'demo'
    generate_demo('ma52', str(demo), clips_per_class=2, num_frames=16,
                  size=64)
    with open(demo / 'ma52_2d.pkl', 'rb') as f:
        data = pickle.load(f)
    root = tmp / 'ma52'
    (root / 'videos_test').mkdir(parents=True)
    annos, lines = [], []
    for i, sid in enumerate(data['split']['val']):
        anno = next(a for a in data['annotations'] if a['frame_dir'] == sid)
        name = f'test{i:04d}'
        shutil.copy(demo / 'videos_val' / f'{sid}.mp4',
                    root / 'videos_test' / f'{name}.mp4')
        annos.append(dict(anno, frame_dir=name, label=0))
        lines.append(f'{name}.mp4 0\n')
    (root / 'test_list_videos.txt').write_text(''.join(lines))
    with open(root / 'ma52_test.pkl', 'wb') as f:
        pickle.dump(dict(split=dict(test=[a['frame_dir'] for a in annos]),
                         annotations=annos), f)
    return root


def _dataset(root, **kw):
    from mmaction.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    return DATASETS.build(
        dict(type='MA52Dataset', data_root=str(root),
             ann_file='ma52_test.pkl', list_file='test_list_videos.txt',
             data_prefix=dict(video=str(root / 'videos_test')), pipeline=[],
             **kw))


def test_hidden_label_split_is_read(official_test_split):
    root = official_test_split
    with pytest.raises(ValueError, match='line 1: sample test0000: name does '
                       'not match SSSS_BB_NNNN'):
        _dataset(root)
    ds = _dataset(root, hidden_labels=True)
    assert len(ds) == 8
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        assert info['sample_id'] == f'test{i:04d}'
        assert info['list_name'] == f'test{i:04d}.mp4'
        assert 'label' not in info and 'coarse_label' not in info


def test_hierarchical_metric_refuses_hidden_labels():
    from mmext.evaluation.action import HierarchicalActionMetric
    metric = HierarchicalActionMetric(hierarchy='ma52')
    sample = dict(pred_score=torch.ones(52) / 52)
    with pytest.raises(KeyError, match='hidden-label test split.*'
                       'MA52SubmissionMetric'):
        metric.process({}, [sample])


def test_write_submission_hand_computed(tmp_path):
    from mmext.evaluation.action import write_ma52_submission
    fine = np.zeros(52, np.float32)
    fine[[7, 3, 40, 12, 0, 51]] = [0.9, 0.8, 0.8, 0.5, 0.4, 0.3]
    coarse = np.array([0.1, 0.3, 0.05, 0.2, 0.15, 0.0, 0.2], np.float32)
    paths = write_ma52_submission(
        [dict(vid='test0000.mp4', fine=fine, coarse=coarse)], str(tmp_path))
    rows = list(csv.reader(open(paths['csv'])))
    assert rows[0] == (['vid'] + [f'action_pred_{i}' for i in range(1, 6)] +
                       [f'body_pred_{i}' for i in range(1, 6)])
    # ties (0.8, 0.2) go to the lower class id
    assert rows[1] == ['test0000.mp4', '7', '3', '40', '12', '0',
                       '1', '3', '6', '4', '0']
    with zipfile.ZipFile(paths['zip']) as z:
        assert z.namelist() == ['prediction.csv']
        assert z.read('prediction.csv') == open(paths['csv'], 'rb').read()


def test_tools_test_writes_submission(official_test_split, tmp_path):
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import mmext.models.action  # noqa: F401
    root = official_test_split
    demo = str(root.parent / 'demo')  # the checker wants train / val roots
    cfg = Config.fromfile(str(CONFIG))
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    # the demo config tests on its labelled val split; point it at the
    # official-format hidden test split, as the full MA-52 configs do
    test_cfg = tmp_path / 'test_split.py'
    test_cfg.write_text(
        f'_base_ = [{str(CONFIG)!r}]\n'
        'test_dataloader = dict(dataset=dict(\n'
        f'    data_root={str(root)!r}, ann_file="ma52_test.pkl",\n'
        '    list_file="test_list_videos.txt",\n'
        '    data_prefix=dict(video="videos_test"), hidden_labels=True))\n'
        'test_evaluator = dict(_delete_=True, type="MA52SubmissionMetric",\n'
        '                      out_dir=None)\n'
        f'train_dataloader = dict(dataset=dict(data_root={demo!r}))\n'
        f'val_dataloader = dict(dataset=dict(data_root={demo!r}))\n')
    work = tmp_path / 'work'
    dump = tmp_path / 'preds.pkl'
    proc = run_tool([
        'test.py', test_cfg, ckpt, '--work-dir', work, '--out', dump
    ], timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # the printed metrics: the submission's video count and nothing else
    printed = proc.stdout.split('Test metrics:\n')[1].splitlines()
    assert [line.strip() for line in printed if line.startswith('  ')] == \
        ['ma52_submission/videos: 8.0']
    rows = list(csv.reader(open(work / 'prediction.csv')))
    assert len(rows) == 9 and rows[0][0] == 'vid'
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 8
    for row, pred in zip(rows[1:], preds):
        assert row[0] == pred['list_name']
        fine = np.asarray(pred['pred_score'])
        coarse = np.asarray(pred['pred_coarse_score'])
        assert [int(v) for v in row[1:6]] == \
            list(np.argsort(-fine, kind='stable')[:5])
        assert [int(v) for v in row[6:]] == \
            list(np.argsort(-coarse, kind='stable')[:5])
        assert 'gt_label' not in pred
    assert sorted(r[0] for r in rows[1:]) == \
        [f'test{i:04d}.mp4' for i in range(8)]
    assert osp.isfile(work / 'submission.zip')


def test_writer_replaces_links_instead_of_writing_through(tmp_path):
    """A symlink in the work dir must not redirect the write to its target
    (it used to be opened and overwritten); the csv and zip are replaced
    atomically, as checkpoints are."""
    from pathlib import Path

    from mmext.evaluation.action import write_ma52_submission
    victim = tmp_path / 'precious.txt'
    victim.write_text('keep me')
    out = tmp_path / 'work'
    out.mkdir()
    (out / 'prediction.csv').symlink_to(victim)
    (out / 'submission.zip').symlink_to(victim)
    rows = [dict(vid='test0000.mp4', fine=np.arange(52.),
                 coarse=np.arange(7.))]
    paths = write_ma52_submission(rows, str(out), topk=2)
    assert victim.read_text() == 'keep me'
    csv_path = Path(paths['csv'])
    assert not csv_path.is_symlink() and not Path(paths['zip']).is_symlink()
    assert csv_path.read_text().splitlines()[1] == 'test0000.mp4,51,50,6,5'
    with zipfile.ZipFile(paths['zip']) as z:
        assert z.read('prediction.csv') == csv_path.read_bytes()
    assert not list(out.glob('.*.tmp'))
