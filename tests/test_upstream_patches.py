# Copyright (c) mmext contributors. All rights reserved.
"""Each workaround in mmext.upstream_patches, checked so that the test fails
if the workaround stops working (several compare against a run with
MMEXT_NO_PATCHES=1, which must still show the upstream bug)."""
import pickle
import pickletools
import subprocess
import sys
import textwrap

import pytest
import torch
from conftest import ROOT, tool_env

import mmext  # noqa: F401  (applies the patches under test)
from mmext import upstream_patches


def _python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                          cwd=ROOT, env=tool_env(**env), capture_output=True,
                          text=True, timeout=300)


def test_every_patch_is_applied_and_cites_upstream():
    assert set(upstream_patches.applied()) == \
        {p.name for p in upstream_patches.PATCHES}
    for patch in upstream_patches.PATCHES:
        assert patch.upstream and patch.summary, patch.name


def test_mmaction_models_import_and_drn_placeholder():
    proc = _python("""
        import mmext, mmaction.models
        from mmaction.models.localizers.drn.drn import DRN
        try:
            DRN()
        except ImportError as e:
            print('DRN:', e)
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'open-mmlab/mmaction2#2714' in proc.stdout
    unpatched = _python('import mmaction.models', MMEXT_NO_PATCHES=1)
    assert unpatched.returncode != 0
    assert "No module named 'mmaction.models.localizers.drn'" in \
        unpatched.stderr


def test_mmaction_with_transformers5(tmp_path):
    # a transformers 5 distribution without the removed function: mmaction's
    # multimodal models must be switched off
    dist = tmp_path / 'transformers-5.0.0.dist-info'
    dist.mkdir()
    (dist / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: transformers\nVersion: 5.0.0\n')
    pkg = tmp_path / 'transformers'
    pkg.mkdir()
    (pkg / '__init__.py').write_text('')
    (pkg / 'modeling_utils.py').write_text('')
    code = """
        import mmext, mmaction.models
        from mmaction.utils.dependency import WITH_MULTIMODAL
        print('multimodal', WITH_MULTIMODAL)
    """
    extra = f'{tmp_path}'
    proc = _python(code, PYTHONPATH=f'{ROOT}:{extra}')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'multimodal False' in proc.stdout
    unpatched = _python(code, PYTHONPATH=f'{ROOT}:{extra}',
                        MMEXT_NO_PATCHES=1)
    assert unpatched.returncode != 0


def test_history_buffer_pickles_without_getattr():
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(1.5)
    data = pickle.dumps(buf, protocol=2)
    globals_used = [arg for op, arg, _ in pickletools.genops(data)
                    if op.name in ('GLOBAL', 'STACK_GLOBAL')]
    assert not any('getattr' in str(g) for g in globals_used), globals_used
    restored = pickle.loads(data)
    assert restored.current() == 1.5 and restored.mean() == 1.5


def test_weights_only_resume_of_mmengine_checkpoint(tmp_path):
    from mmengine.logging import MessageHub
    from mmengine.runner.checkpoint import CheckpointLoader
    hub = MessageHub.get_instance('patch_test')
    hub.update_scalar('train/loss', 0.5)
    torch.save({'message_hub': hub.state_dict(), 'meta': {'seed': 0}},
               tmp_path / 'ckpt.pth')
    ckpt = CheckpointLoader.load_checkpoint(str(tmp_path / 'ckpt.pth'),
                                            map_location='cpu')
    assert ckpt['message_hub']['log_scalars']['train/loss'].current() == 0.5


def test_local_backend_is_atomic(tmp_path):
    from mmengine.fileio import get_file_backend
    backend = get_file_backend(str(tmp_path / 'x.pth'))
    assert type(backend).__name__ == 'AtomicLocalBackend'
    backend.put(b'abc', tmp_path / 'x.pth')
    assert (tmp_path / 'x.pth').read_bytes() == b'abc'
    assert not list(tmp_path.glob('.x.pth.*'))  # no temp file left behind


SAFE_LOAD_CODE = """
    import os, pickle
    import mmext, mmengine

    class Payload:
        def __reduce__(self):
            return (os.system, ('touch ' + os.environ['MARKER'], ))

    with open(os.environ['DATA'], 'wb') as f:
        pickle.dump({'cameras': Payload()}, f)
    try:
        mmengine.load(os.environ['DATA'])
    except pickle.UnpicklingError as err:
        print('refused:', err)
"""


@pytest.mark.parametrize('patched', [True, False])
def test_mmengine_load_of_a_crafted_pickle(tmp_path, patched):
    """mmpose reads camera files / annotations through mmengine.load."""
    marker, path = tmp_path / 'ran', tmp_path / 'cameras.pkl'
    env = dict(MARKER=marker, DATA=path)
    if not patched:
        env['MMEXT_NO_PATCHES'] = '1'
    proc = _python(SAFE_LOAD_CODE, **env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    if patched:
        assert f'refused: refusing to load {path}' in proc.stdout
        assert not marker.exists()
    else:  # the upstream behaviour: the pickle runs os.system
        assert marker.exists()


def test_dist_init_on_cpu_without_cuda():
    if torch.cuda.is_available():
        pytest.skip('checks the CPU path')
    # covered end to end by tests/test_engine/test_resume.py; here check
    # that both entry points are patched
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import MMDistributedDataParallel
    assert dist_utils._init_dist_pytorch._mmext_patched
    assert MMDistributedDataParallel.__init__._mmext_patched


XTCOCO_CODE = """
    import mmext
    import mmpose.datasets, mmpose.evaluation
    from xtcocotools.coco import COCO
    from xtcocotools.cocoeval import COCOeval
    import xtcocotools.mask as m
    print('COCO from', COCO.__module__)
    print('mask.iou from', m.iou.__module__)
    try:
        COCOeval()
        print('COCOeval works')
    except ImportError as e:
        print('COCOeval:', e)
"""


def _fake_xtcocotools(root, init='', mask=''):
    pkg = root / 'xtcocotools'
    pkg.mkdir()
    (pkg / '__init__.py').write_text(init)
    (pkg / 'mask.py').write_text(mask)
    (pkg / 'coco.py').write_text('from . import mask\nclass COCO: pass\n')
    (pkg / 'cocoeval.py').write_text(
        'from . import mask\nclass COCOeval: pass\n')


def test_xtcocotools_compiled_mask_broken_under_numpy2(tmp_path):
    """The real failure: xtcocotools' _mask, built for numpy 1, raises
    "numpy.dtype size changed" under numpy 2. Only `mask` is replaced (by
    pycocotools' identical API); xtcocotools' own Python code still runs."""
    _fake_xtcocotools(tmp_path, mask=(
        "raise ValueError('numpy.dtype size changed, may indicate binary "
        "incompatibility. Expected 96 from C header, got 88 from "
        "PyObject')\n"))
    env = dict(PYTHONPATH=f'{tmp_path}:{ROOT}')
    proc = _python(XTCOCO_CODE, **env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'COCO from xtcocotools.coco' in proc.stdout
    assert 'mask.iou from pycocotools' in proc.stdout
    assert 'COCOeval works' in proc.stdout
    unpatched = _python(XTCOCO_CODE, MMEXT_NO_PATCHES=1, **env)
    assert unpatched.returncode != 0
    assert 'numpy.dtype size changed' in unpatched.stderr


def test_xtcocotools_not_importable(tmp_path):
    """No usable xtcocotools at all (e.g. no cp312 wheel): COCO and mask
    come from pycocotools; COCOeval (OKS with per-keypoint sigmas) refuses
    with a clear error instead of computing different numbers."""
    _fake_xtcocotools(tmp_path, init="raise ImportError('no wheel')\n")
    proc = _python(XTCOCO_CODE, PYTHONPATH=f'{tmp_path}:{ROOT}')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'COCO from pycocotools.coco' in proc.stdout
    assert 'mask.iou from pycocotools' in proc.stdout
    assert 'COCOeval: xtcocotools.COCOeval is unavailable' in proc.stdout
    assert 'ImportError: no wheel' in proc.stdout
    assert 'jin-s13/xtcocoapi#45' in proc.stdout
