# Copyright (c) mmext contributors. All rights reserved.
"""MA-52 challenge submission file for the official (hidden-label) test
split."""
import csv
import io
import os
import os.path as osp
import zipfile
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

__all__ = ['MA52SubmissionMetric', 'write_ma52_submission']


def _np(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu().numpy().reshape(-1)
    return np.asarray(x, dtype=np.float32).reshape(-1)


def _topk(scores: np.ndarray, k: int) -> List[int]:
    # descending score, ties by class index (as torch.topk on CPU)
    order = np.lexsort((np.arange(scores.size), -scores))
    return [int(i) for i in order[:k]]


def write_ma52_submission(rows: Sequence[Dict], out_dir: str,
                          csv_name: str = 'prediction.csv',
                          zip_name: str = 'submission.zip',
                          topk: int = 5) -> Dict[str, str]:
    """Write the PCAN / MA-52 challenge ``prediction.csv`` and its zip.

    One row per video: ``vid, action_pred_1..k, body_pred_1..k`` (class ids
    of the k best fine actions and k best body-part groups, best first),
    with a header line, as ``eval_ma52/eval_test.py`` of the official PCAN
    code writes it for the Codabench server (competition 9066); the zip
    holds the csv alone.

    Args:
        rows (list[dict]): ``vid`` (file name, e.g. ``test0000.mp4``),
            ``fine`` (num_fine,) and ``coarse`` (num_coarse,) scores.
        out_dir (str): Output folder (created).
        csv_name (str): Defaults to ``'prediction.csv'``.
        zip_name (str): Defaults to ``'submission.zip'``.
        topk (int): Predictions per level. Defaults to 5.

    Returns:
        dict: Paths ``csv`` and ``zip``.
    """
    from mmext.engine.checkpoint import atomic_write_bytes
    os.makedirs(out_dir, exist_ok=True)
    csv_path = osp.join(out_dir, csv_name)
    zip_path = osp.join(out_dir, zip_name)
    text = io.StringIO(newline='')
    writer = csv.writer(text)
    writer.writerow(['vid'] +
                    [f'action_pred_{i}' for i in range(1, topk + 1)] +
                    [f'body_pred_{i}' for i in range(1, topk + 1)])
    for r in rows:
        writer.writerow([r['vid']] + _topk(r['fine'], topk) +
                        _topk(r['coarse'], topk))
    data = text.getvalue().encode()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, 'w') as z:
        z.writestr(osp.basename(csv_path), data)
    # temp file + rename, as checkpoints: a symlink (or hard link) at the
    # target is replaced, never written through, and a kill leaves either
    # the old file or the new one
    atomic_write_bytes(data, csv_path)
    atomic_write_bytes(archive.getvalue(), zip_path)
    return dict(csv=csv_path, zip=zip_path)


@METRICS.register_module()
class MA52SubmissionMetric(BaseMetric):
    """Write the MA-52 challenge submission of the official test split.

    The official test labels are hidden, so **no metric is computed**: the
    evaluator writes ``<out_dir>/prediction.csv`` and
    ``<out_dir>/submission.zip`` (format: :func:`write_ma52_submission`) to
    upload to the challenge server, and reports only the number of videos
    written (``ma52_submission/videos``). Rows follow the dataset order (the
    list file's order); ``vid`` is the list file's name of each video
    (``list_name``, else ``<sample_id>.mp4``).

    Reads ``pred_score`` (fused fine) and ``pred_coarse_score`` (fused
    coarse) of every predicted sample; both heads of mmext
    (``PCANHead``, ``HierarchicalRGBPoseHead``) set them.

    Args:
        out_dir (str, optional): Output folder. ``tools/test.py`` sets it to
            the run's work dir when it is None.
        topk (int): Predictions per level. Defaults to 5.
        collect_device (str): See ``BaseMetric``.
        prefix (str, optional): Defaults to ``'ma52_submission'``.
    """
    default_prefix: Optional[str] = 'ma52_submission'

    def __init__(self,
                 out_dir: Optional[str] = None,
                 topk: int = 5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if int(topk) < 1:
            raise ValueError(f'MA52SubmissionMetric: topk={topk} must be >= 1')
        self.out_dir = out_dir
        self.topk = int(topk)

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Keep the video name and the fused fine / coarse scores."""
        for ds in data_samples:
            get = ds.get if isinstance(ds, dict) else (
                lambda k, d=None, _ds=ds: getattr(_ds, k, d))
            meta = ds.get('metainfo', {}) if isinstance(ds, dict) else \
                ds.metainfo
            sid = get('sample_id', meta.get('sample_id'))
            vid = get('list_name', meta.get('list_name')) or (
                None if sid is None else f'{sid}.mp4')
            if vid is None:
                raise KeyError('MA52SubmissionMetric: a data sample has '
                               'neither list_name nor sample_id')
            fine, coarse = get('pred_score'), get('pred_coarse_score')
            if fine is None or coarse is None or isinstance(fine, dict):
                raise KeyError(
                    f'MA52SubmissionMetric: sample {vid} needs pred_score '
                    '(fused fine) and pred_coarse_score (fused coarse), as '
                    'set by PCANHead / HierarchicalRGBPoseHead')
            self.results.append(
                dict(vid=str(vid), fine=_np(fine), coarse=_np(coarse)))

    def compute_metrics(self, results: List[Dict]) -> Dict[str, float]:
        """Write the files; return only the number of videos written."""
        if self.out_dir is None:
            raise ValueError('MA52SubmissionMetric: out_dir is not set (run '
                             'tools/test.py, which sets it to the work dir, '
                             'or set test_evaluator.out_dir)')
        k = min(self.topk, min(r['coarse'].size for r in results))
        paths = write_ma52_submission(results, self.out_dir, topk=k)
        print_log(
            f'MA-52 submission: {len(results)} videos, top-{k} fine and '
            f'top-{k} coarse predictions -> {paths["zip"]} (the test labels '
            'are hidden: no metric is computed)', logger='current')
        return {'videos': float(len(results))}
