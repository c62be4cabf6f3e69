# Copyright (c) mmext contributors. All rights reserved.
"""Per-stream and fused top-k predictions of an RGB+pose action model.

The library behind ``tools/inference/action_inference.py`` and
``tools/inference/action_video.py``: read an mmaction2 skeleton pickle,
build a two-stream model from local weights, run one clip through the
config's test pipeline and collect the top-k fine and coarse classes of the
RGB stream, the pose stream and the fused prediction (what mmaction2's
``RGBPoseHead`` users ask for: open-mmlab/mmaction2#2803, #2847). The model
must use mmext's ``PCANHead`` or ``HierarchicalRGBPoseHead`` (any head that
sets ``stream_scores`` on its predictions works).

A skeleton pickle is ``{'split': ..., 'annotations': [ann, ...]}``, a list
of annotations, or one annotation dict (``frame_dir``, ``total_frames``,
``img_shape``, ``original_shape``, ``keypoint`` (M, T, V, C),
``keypoint_score`` (M, T, V)). It is read with a restricted unpickler that
accepts only containers and numpy arrays, and the checkpoint with
:func:`mmext.engine.safe_load` (weights-only), so neither file can run code.
Error messages name the command-line option of the tools that feeds each
argument (``--skeleton``, ``--video``, ...).
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

from mmext.fileio import check_finite, load_pickle
from mmext.structures.action_hierarchy import COARSE_NAMES, FINE_NAMES

__all__ = [
    'load_skeleton', 'select_annotation', 'class_names', 'topk_entries',
    'init_action_model', 'inference_action', 'format_action_result'
]


# --------------------------------------------------------------- skeleton
def load_skeleton(path: str) -> List[Dict]:
    """Annotations of an mmaction2 skeleton pickle.

    Args:
        path (str): ``.pkl`` file (dict with ``annotations``, a list of
            annotations, or one annotation).

    Returns:
        list[dict]: The annotations.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'--skeleton: file not found: {path}')
    data = load_pickle(path, '--skeleton')  # containers + arrays only
    if isinstance(data, dict) and 'annotations' in data:
        annos = data['annotations']
    elif isinstance(data, dict) and 'keypoint' in data:
        annos = [data]
    elif isinstance(data, list):
        annos = data
    else:
        raise ValueError(
            f'--skeleton {path}: expected a dict with "annotations", a list '
            'of annotations or one annotation with "keypoint"')
    if not annos:
        raise ValueError(f'--skeleton {path} holds no annotations')
    for i, ann in enumerate(annos):
        for key in ('keypoint', 'keypoint_score'):
            if isinstance(ann, dict) and key in ann:
                check_finite(ann[key], f'--skeleton {path} annotation {i} '
                             f"({ann.get('frame_dir')})", key)
    return annos


def select_annotation(annos: Sequence[Dict],
                      sample_index: Optional[int] = None,
                      frame_dir: Optional[str] = None) -> Dict:
    """The annotation chosen by ``--sample-index`` or ``--frame-dir``."""
    if frame_dir is not None:
        names = [a.get('frame_dir') for a in annos]
        if frame_dir not in names:
            shown = ', '.join(map(str, names[:5]))
            raise ValueError(
                f'--frame-dir {frame_dir!r} not in the skeleton file '
                f'({len(names)} annotations; first: {shown})')
        return annos[names.index(frame_dir)]
    index = 0 if sample_index is None else sample_index
    if not -len(annos) <= index < len(annos):
        raise ValueError(f'--sample-index {index} out of range: the skeleton '
                         f'file holds {len(annos)} annotations')
    return annos[index]


# ------------------------------------------------------------------ names
def class_names(cfg: Config, num_fine: int, num_coarse: int):
    """Fine and coarse class names where mmext knows them, else None."""
    hierarchy = cfg.model.get('cls_head', {}).get('hierarchy')
    fine = coarse = None
    if isinstance(hierarchy, str):
        fine = FINE_NAMES.get(hierarchy)
        coarse = COARSE_NAMES.get(hierarchy)
    if fine is not None and len(fine) != num_fine:
        fine = None
    if coarse is not None and len(coarse) != num_coarse:
        coarse = None
    return fine, coarse


def topk_entries(probs, k: int, names: Optional[Sequence[str]]) -> List:
    """``[{'index', 'name', 'prob'}, ...]`` of the k most likely classes."""
    import torch
    probs = torch.as_tensor(probs).float()
    values, indices = probs.topk(min(k, probs.numel()))
    return [
        dict(
            index=int(i),
            name=names[int(i)] if names is not None else f'class {int(i)}',
            prob=float(v)) for v, i in zip(values, indices)
    ]


# ---------------------------------------------------------------- model
def init_action_model(cfg: Config, checkpoint: str, device: str = 'cpu'):
    """Build the model of ``cfg`` and load weights with ``safe_load``.

    The checkpoint must fit the model exactly (missing or unexpected keys
    are an error that names them).
    """
    from mmengine.registry import init_default_scope
    from mmengine.utils import import_modules_from_strings

    from mmext.engine import safe_load
    from mmext.engine.checkpoint import check_state_dict_fit
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    from mmaction.registry import MODELS
    model = MODELS.build(cfg.model)
    ckpt = safe_load(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{checkpoint}: no state_dict found')
    state = {(k[7:] if k.startswith('module.') else k): v
             for k, v in state.items()}
    # missing / unexpected / shape-mismatched keys: one line, nothing loaded
    check_state_dict_fit(model.state_dict(), state, checkpoint)
    model.load_state_dict(state)
    return model.to(device).eval()


def inference_action(cfg: Config, model, annotation: Dict, video: str,
                     topk: int = 5) -> Dict:
    """Run the test pipeline on one clip and collect the top-k classes.

    Returns:
        dict: ``{'frame_dir', 'video', 'streams': {stream | 'fused':
        {'fine': [...], 'coarse': [...], 'fine_probs': [...],
        'coarse_probs': [...]}}}``.
    """
    import torch
    from mmengine.dataset import Compose, pseudo_collate
    if not osp.isfile(video):
        raise FileNotFoundError(f'--video: file not found: {video}')
    pipeline_cfg = cfg.get('test_pipeline') or \
        cfg.test_dataloader.dataset.pipeline
    pipeline = Compose(pipeline_cfg)
    info = dict(annotation)
    info.update(
        filename=video,
        label=int(info.get('label', -1)),
        modality=info.get('modality', 'Pose'),
        start_index=info.get('start_index', 0))
    if info['label'] < 0:
        info['label'] = 0  # PackActionInputs needs one; not used to predict
    data = pseudo_collate([pipeline(info)])
    with torch.no_grad():
        sample = model.test_step(data)[0]
    if 'stream_scores' not in sample:
        raise ValueError('the model\'s head sets no `stream_scores`; use '
                         'mmext PCANHead or HierarchicalRGBPoseHead')
    fine_probs = {s: v['fine'] for s, v in sample.stream_scores.items()}
    coarse_probs = {
        s: v['coarse']
        for s, v in sample.stream_scores.items() if 'coarse' in v
    }
    fine_probs['fused'] = sample.pred_score
    if 'pred_coarse_score' in sample:
        coarse_probs['fused'] = sample.pred_coarse_score
    num_coarse = len(coarse_probs['fused']) if coarse_probs else 0
    fine_names, coarse_names = class_names(cfg, len(sample.pred_score),
                                           num_coarse)
    result = dict(
        frame_dir=annotation.get('frame_dir'),
        video=video,
        label=annotation.get('label'),
        streams={})
    for s in fine_probs:
        entry = dict(
            fine=topk_entries(fine_probs[s], topk, fine_names),
            fine_probs=[float(p) for p in fine_probs[s].cpu()])
        if s in coarse_probs:
            entry['coarse'] = topk_entries(coarse_probs[s], topk,
                                           coarse_names)
            entry['coarse_probs'] = [float(p) for p in coarse_probs[s].cpu()]
        result['streams'][s] = entry
    return result


def format_action_result(result: Dict) -> str:
    """Human-readable table of the top-k classes per stream."""
    titles = {'rgb': 'RGB', 'pose': 'Pose', 'fused': 'Fused'}
    lines = [f"video: {result['video']}  frame_dir: {result['frame_dir']}"
             f"  label: {result['label']}"]
    for s, entry in result['streams'].items():
        for level in ('fine', 'coarse'):
            if level not in entry:
                continue
            lines.append(f'[{titles.get(s, s)}] top-{len(entry[level])} '
                         f'{level}:')
            for rank, e in enumerate(entry[level], 1):
                lines.append(f"  {rank}. {e['index']:>3d}  {e['prob']:.4f}  "
                             f"{e['name']}")
    return '\n'.join(lines)
