# Copyright (c) mmext contributors. All rights reserved.
"""Every workaround mmext needs for upstream packaging/runtime bugs.

This is the ONLY place where mmext changes the behaviour of a dependency.
:func:`apply_all` runs once, on ``import mmext``. Each patch

* names the upstream issue it works around,
* is idempotent and applies only where the bug is present,
* is covered by a test in ``tests/test_upstream_patches.py`` that fails if
  the patch stops working.

Patches on optional toolboxes (mmaction2) are installed as import hooks, so
``import mmext`` never imports mmaction2 itself.

Install-time workarounds (``setuptools<81`` for ``pkg_resources``; mmpose
without its unbuildable ``chumpy`` requirement; ``importlib-metadata<9``;
mmcv 2.1.0 compiled with C++20 for torch>=2.13) live in ``tools/install.sh``.
"""
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types
from dataclasses import dataclass
from typing import Callable, Dict, List

__all__ = ['Patch', 'PATCHES', 'apply_all', 'applied']


@dataclass
class Patch:
    """A workaround for one upstream bug."""
    name: str
    upstream: str
    summary: str
    apply: Callable[[], None]


PATCHES: List[Patch] = []
_APPLIED: Dict[str, bool] = {}


def _patch(name: str, upstream: str, summary: str):

    def decorator(fn):
        PATCHES.append(Patch(name, upstream, summary, fn))
        return fn

    return decorator


def applied() -> Dict[str, bool]:
    """Names of the patches :func:`apply_all` has run."""
    return dict(_APPLIED)


# ---------------------------------------------------------------------------
# Import-hook machinery for optional toolboxes
# ---------------------------------------------------------------------------
_POST_IMPORT: Dict[str, List[Callable[[types.ModuleType], None]]] = {}
_SYNTHETIC: Dict[str, Callable[[types.ModuleType], None]] = {}
# modules replaced by a shim when they are missing OR fail to import
_FALLBACK: Dict[str, Callable[[types.ModuleType], None]] = {}


class _PostImportLoader(importlib.abc.Loader):

    def __init__(self, loader, callbacks):
        self._loader = loader
        self._callbacks = callbacks

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        for callback in self._callbacks:
            callback(module)


class _SyntheticLoader(importlib.abc.Loader):

    def __init__(self, fill):
        self._fill = fill

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        self._fill(module)


class _FallbackLoader(importlib.abc.Loader):
    """Executes the real module; if that raises, fills in the shim."""

    def __init__(self, loader, fill):
        self._loader = loader
        self._fill = fill

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        try:
            self._loader.exec_module(module)
        except (ImportError, ValueError, AttributeError) as err:
            keep = ('__name__', '__spec__', '__loader__', '__package__')
            for key in [k for k in vars(module) if k not in keep]:
                delattr(module, key)
            module.__mmext_shim_reason__ = f'{type(err).__name__}: {err}'
            self._fill(module)


class _UpstreamFinder(importlib.abc.MetaPathFinder):
    """Runs callbacks after chosen modules import; supplies missing ones."""

    def find_spec(self, fullname, path, target=None):
        if fullname in _POST_IMPORT:
            spec = self._find_real(fullname, path)
            if spec is not None and spec.loader is not None:
                spec.loader = _PostImportLoader(spec.loader,
                                                _POST_IMPORT[fullname])
                return spec
        if fullname in _FALLBACK:
            spec = self._find_real(fullname, path)
            if spec is None or spec.loader is None:
                is_pkg = any(
                    name.startswith(fullname + '.') for name in _FALLBACK)
                return importlib.machinery.ModuleSpec(
                    fullname,
                    _SyntheticLoader(_FALLBACK[fullname]),
                    is_package=is_pkg)
            spec.loader = _FallbackLoader(spec.loader, _FALLBACK[fullname])
            return spec
        if fullname in _SYNTHETIC:
            if self._find_real(fullname, path) is None:
                is_pkg = any(
                    name.startswith(fullname + '.') for name in _SYNTHETIC)
                return importlib.machinery.ModuleSpec(
                    fullname,
                    _SyntheticLoader(_SYNTHETIC[fullname]),
                    is_package=is_pkg)
        return None

    def _find_real(self, fullname, path):
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path)
            if spec is not None:
                return spec
        return None


_FINDER = _UpstreamFinder()


def _install_finder():
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def _dist_version(name: str):
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------
# The patches
# ---------------------------------------------------------------------------
@_patch(
    'mmaction_missing_drn',
    upstream='open-mmlab/mmaction2#2714',
    summary='The mmaction2 1.2.0 wheel and sdist lack '
    '`mmaction/models/localizers/drn/`, so `import mmaction.models` raises '
    'ModuleNotFoundError. Supply a placeholder package whose DRN raises a '
    'clear error when built.')
def _mmaction_missing_drn():

    def fill_pkg(module):
        module.__path__ = []

    def fill_drn(module):

        class DRN:
            """Placeholder: DRN is missing from the mmaction2 1.2.0 wheel."""

            def __init__(self, *args, **kwargs):
                raise ImportError(
                    'mmaction2 1.2.0 as published on PyPI lacks '
                    'mmaction.models.localizers.drn (open-mmlab/mmaction2'
                    '#2714); install mmaction2 from source to use DRN.')

        module.DRN = DRN

    _SYNTHETIC['mmaction.models.localizers.drn'] = fill_pkg
    _SYNTHETIC['mmaction.models.localizers.drn.drn'] = fill_drn
    _install_finder()


@_patch(
    'xtcocotools_numpy2',
    upstream='jin-s13/xtcocoapi#45 (the PyPI wheel fails under numpy 2: '
    '"numpy.dtype size changed"; no cp312 wheel; its source uses '
    'np.NPY_OWNDATA, removed in numpy 2)',
    summary='mmpose.datasets and mmpose.evaluation import xtcocotools at '
    'import time, so on numpy-2 machines (the lent GPU machine) nothing of '
    'mmpose\'s data side imports. When xtcocotools is missing or fails to '
    'import, supply `xtcocotools.coco`/`.mask` from pycocotools (same API); '
    'xtcocotools\' COCOeval (per-keypoint OKS sigmas) has no pycocotools '
    'equivalent, so it raises a clear error instead of giving different '
    'numbers. 3D pose lifting never uses either.')
def _xtcocotools_numpy2():

    def unavailable(name: str, why: str):

        def __init__(self, *args, **kwargs):
            raise ImportError(
                f'xtcocotools.{name} is unavailable: the real xtcocotools '
                f'does not import here ({why}); mmext supplies only the '
                'pycocotools-compatible parts (jin-s13/xtcocoapi#45).')

        return type(name, (), {'__init__': __init__})

    def fill_pkg(module):
        module.__path__ = []
        module.__mmext_shim__ = True
        module.__doc__ = 'mmext shim of xtcocotools (see upstream_patches).'

    def _why(module):
        parent = sys.modules.get('xtcocotools')
        return getattr(parent, '__mmext_shim_reason__',
                       getattr(module, '__mmext_shim_reason__',
                               'not installed'))

    def fill_coco(module):
        try:
            from pycocotools.coco import COCO
        except ImportError:
            COCO = unavailable('COCO', _why(module))
        module.COCO = COCO

    def fill_mask(module):
        try:
            from pycocotools import mask
        except ImportError:
            return
        for name in ('encode', 'decode', 'area', 'toBbox', 'iou', 'merge',
                     'frPyObjects'):
            setattr(module, name, getattr(mask, name))

    def fill_cocoeval(module):
        module.COCOeval = unavailable('COCOeval', _why(module))

    _FALLBACK['xtcocotools'] = fill_pkg
    _FALLBACK['xtcocotools.coco'] = fill_coco
    _FALLBACK['xtcocotools.mask'] = fill_mask
    _FALLBACK['xtcocotools.cocoeval'] = fill_cocoeval
    _install_finder()


@_patch(
    'mmaction_transformers5',
    upstream='open-mmlab/mmaction2 mmaction/models/multimodal/vindlu/xbert.py '
    '(imports transformers.modeling_utils.apply_chunking_to_forward, removed '
    'in transformers 5; same failure reported in '
    'xinyu1205/recognize-anything#219)',
    summary='With transformers>=5 installed, `import mmaction.models` fails '
    'inside the multimodal VindLU models. mmaction gates them on '
    '`mmaction.utils.dependency.WITH_MULTIMODAL`; switch it off when the '
    'installed transformers is 5 or newer.')
def _mmaction_transformers5():

    def gate(module):
        version = _dist_version('transformers')
        if version is not None and int(version.split('.')[0]) >= 5:
            module.WITH_MULTIMODAL = False

    _POST_IMPORT.setdefault('mmaction.utils.dependency', []).append(gate)
    _install_finder()


@_patch(
    'mmengine_weights_only_checkpoints',
    upstream='open-mmlab/mmengine#1655 (and PR #1650)',
    summary='torch>=2.6 defaults torch.load to weights_only=True; mmengine '
    '0.10.7 checkpoints pickle HistoryBuffer and numpy objects, so resume '
    'and load_from fail with UnpicklingError. Re-register mmengine\'s local '
    'loader with mmext.engine.checkpoint.safe_load: weights-only loading '
    'plus an explicit allow-list, never weights_only=False.')
def _mmengine_weights_only():
    from mmengine.runner.checkpoint import CheckpointLoader

    from mmext.engine.checkpoint import safe_load

    def load_from_local(filename, map_location):
        return safe_load(filename, map_location=map_location)

    CheckpointLoader.register_scheme(prefixes='', force=True)(load_from_local)


@_patch(
    'mmengine_history_buffer_pickle',
    upstream='open-mmlab/mmengine logging/history_buffer.py '
    'HistoryBuffer.__getstate__ (pickles the class-level statistics '
    'functions; related: open-mmlab/mmengine#1655)',
    summary='HistoryBuffer.__getstate__ adds the statistics *functions* to '
    'every pickled buffer, which needs `builtins.getattr` to unpickle, so '
    'checkpoints cannot be loaded weights-only without allowing getattr. '
    'Pickle only the data; the functions are class-level and re-registered '
    'on import.')
def _mmengine_history_buffer_pickle():
    from mmengine.logging import HistoryBuffer

    if getattr(HistoryBuffer.__getstate__, '_mmext_patched', False):
        return

    def __getstate__(self) -> dict:
        return {
            k: v
            for k, v in self.__dict__.items() if k != 'statistics_methods'
        }

    __getstate__._mmext_patched = True
    HistoryBuffer.__getstate__ = __getstate__


@_patch(
    'mmengine_atomic_local_writes',
    upstream='open-mmlab/mmengine LocalBackend.put (fileio/backends/'
    'local_backend.py) writes in place with open(path, "wb")',
    summary='A run killed while saving leaves a truncated checkpoint. '
    'Replace the local file backend with one that writes to a temporary '
    'file, fsyncs and renames.')
def _mmengine_atomic_writes():
    from mmengine.fileio.backends import register_backend

    from mmext.engine.checkpoint import AtomicLocalBackend
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')


@_patch(
    'mmengine_dist_cpu',
    upstream='open-mmlab/mmengine dist/utils.py _init_dist_pytorch calls '
    'torch.cuda.set_device unconditionally; Runner.wrap_model passes '
    'device_ids=[LOCAL_RANK] (mmengine PR #973), which DDP rejects for CPU '
    'modules (pytorch/pytorch#100243)',
    summary='Without CUDA, initialise the process group on gloo without '
    'touching CUDA, and drop device_ids when the wrapped module is on CPU, '
    'so `tools/dist_train.sh CONFIG 2` trains on two CPU processes.')
def _mmengine_dist_cpu():
    import torch
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import distributed as mm_ddp

    original_init_dist = dist_utils._init_dist_pytorch
    if not getattr(original_init_dist, '_mmext_patched', False):

        def _init_dist_pytorch(backend, init_backend='torch', **kwargs):
            if torch.cuda.is_available():
                return original_init_dist(backend, init_backend, **kwargs)
            if backend == 'nccl':
                backend = 'gloo'
            torch.distributed.init_process_group(backend=backend, **kwargs)

        _init_dist_pytorch._mmext_patched = True
        dist_utils._init_dist_pytorch = _init_dist_pytorch

    cls = mm_ddp.MMDistributedDataParallel
    original_ddp_init = cls.__init__
    if not getattr(original_ddp_init, '_mmext_patched', False):

        def __init__(self, module, *args, **kwargs):
            params = list(module.parameters())
            if params and all(p.device.type == 'cpu' for p in params):
                kwargs['device_ids'] = None
                kwargs.pop('output_device', None)
            original_ddp_init(self, module, *args, **kwargs)

        __init__._mmext_patched = True
        cls.__init__ = __init__


@_patch(
    'mmengine_safe_data_handlers',
    upstream='open-mmlab/mmengine fileio/handlers/pickle_handler.py '
    '(pickle.load) and yaml_handler.py (yaml.load with the full Loader)',
    summary='mmengine.load() of a .pkl runs any code the pickle names, and '
    'of a .yaml constructs arbitrary Python objects; mmpose (camera files, '
    'annotations) and mmaction read datasets through it. Route both '
    'through mmext.fileio: the restricted unpickler (containers, numbers, '
    'strings, numpy arrays) and yaml SafeLoader.')
def _mmengine_safe_data_handlers():
    import contextvars

    import mmengine
    import mmengine.fileio
    import yaml
    from mmengine.fileio import io as mm_io
    from mmengine.fileio.handlers import PickleHandler, YamlHandler

    from mmext.fileio.safe_io import RestrictedUnpickler

    if getattr(PickleHandler.load_from_fileobj, '_mmext_patched', False):
        return
    current = contextvars.ContextVar('mmext_loading', default='<stream>')
    original_load = mm_io.load

    def load(file, *args, **kwargs):  # remembers the file for messages
        token = current.set(str(getattr(file, 'name', file)))
        try:
            return original_load(file, *args, **kwargs)
        finally:
            current.reset(token)

    def load_pickle(self, file, **kwargs):
        name = getattr(file, 'name', None) or current.get()
        return RestrictedUnpickler(file, path=str(name)).load()

    def load_yaml(self, file, **kwargs):
        kwargs['Loader'] = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
        return yaml.load(file, **kwargs)

    load_pickle._mmext_patched = load_yaml._mmext_patched = True
    PickleHandler.load_from_fileobj = load_pickle
    YamlHandler.load_from_fileobj = load_yaml
    mm_io.load = mmengine.fileio.load = mmengine.load = load


def apply_all() -> None:
    """Apply every patch once (idempotent). Set ``MMEXT_NO_PATCHES=1`` to
    skip them, e.g. to reproduce an upstream bug."""
    if os.environ.get('MMEXT_NO_PATCHES') == '1':
        return
    for patch in PATCHES:
        if _APPLIED.get(patch.name):
            continue
        patch.apply()
        _APPLIED[patch.name] = True
