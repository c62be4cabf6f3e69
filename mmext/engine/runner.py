# Copyright (c) mmext contributors. All rights reserved.
"""mmext's Runner: checkpoints must fit, a work dir has one owner, and
``resume='auto'`` re-runs pick up where they stopped.

``tools/train.py`` and ``tools/test.py`` build it (:func:`build_runner`)
unless a config names another ``runner_type``.
"""
import ast
import glob
import os.path as osp
import re
from collections import OrderedDict
from typing import Optional

from mmengine.dist import broadcast_object_list, get_dist_info
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model,
                                        find_latest_checkpoint)

from mmext.registry import RUNNERS
from .checkpoint import check_state_dict_fit, describe_fit
from .errors import MMExtRuntimeError, ResumeMismatchError
from .workdir import WorkDirLock, config_identity, sweep_temp_files

__all__ = [
    'AutoResumeRunner', 'resolve_checkpoint_pattern', 'build_runner',
    'ALLOW_MISMATCH_KEY'
]

# config key: fnmatch patterns of state-dict keys a `load_from` checkpoint
# may lack, add or hold in another shape (``['*']``: any; train.py
# --allow-partial sets that)
ALLOW_MISMATCH_KEY = 'load_from_allow_mismatch'


def resolve_checkpoint_pattern(pattern: str, key: str = 'load_from') -> str:
    """Resolve a glob (e.g. ``work_dirs/x/best_vfi_PSNR_epoch_*.pth``) to the
    one file it matches; a plain path is returned unchanged if it exists.

    Raises:
        FileNotFoundError: nothing matches, or several files do.
    """
    if not any(c in pattern for c in '*?['):
        if not osp.isfile(pattern):
            raise FileNotFoundError(f'{key}: checkpoint {pattern} does not '
                                    f'exist')
        return pattern
    found = sorted(glob.glob(pattern))
    if len(found) != 1:
        raise FileNotFoundError(
            f'{key}: the pattern {pattern} must match exactly one checkpoint '
            f'(found {len(found)}: {found[:3]}); train the previous phase '
            f'first or set {key} to a file')
    return found[0]


@RUNNERS.register_module()
class AutoResumeRunner(Runner):
    """``Runner`` with one more ``resume`` value, ``'auto'``: resume from the
    latest checkpoint in ``work_dir`` if there is one, else start from
    ``load_from`` (weights only; a glob matching one file is allowed), else
    from scratch. So re-running the same command after a crash continues
    the run, and a fine-tuning phase still starts from the previous phase's
    best checkpoint the first time. ``resume=True``/``False`` behave as in
    mmengine (``tools/train.py --resume`` sets ``True``).

    On top of mmengine's Runner:

    * **checkpoints must fit**: ``load_from`` (and a test checkpoint)
      refuses missing, unexpected or shape-mismatched state-dict keys with
      one line (counts and first names), except those matched by the
      config's ``load_from_allow_mismatch = ['fnmatch pattern', ...]``;
      ``load_from=dict(path=..., strict=False)`` allows any. What a partial
      load skipped is logged.
    * **resume checks the config**: the checkpoint to resume must hold the
      same model (type, from the config stored in it, read as data; every
      state-dict shape); a different optimizer / schedule setting is named
      in the log because the checkpoint's optimizer state replaces it.
    * **one owner per work dir**: :class:`~mmext.engine.workdir.WorkDirLock`
      for the whole of :meth:`train`; then the temp files of killed writes
      are swept.
    """

    work_dir_lock: Optional[WorkDirLock] = None
    _resuming = False

    # ------------------------------------------------------------ loading
    def _allow_patterns(self):
        allow = list(self.cfg.get(ALLOW_MISMATCH_KEY) or [])
        load_from = self.cfg.get('load_from')
        if isinstance(load_from, dict) and load_from.get('strict') is False:
            allow.append('*')
        return allow

    def load_checkpoint(self,
                        filename: str,
                        map_location='cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else \
            self.model
        state = checkpoint.get('state_dict', checkpoint) if isinstance(
            checkpoint, dict) else None
        if not isinstance(state, dict):
            raise MMExtRuntimeError(
                f'checkpoint {filename}: holds no state dict (got '
                f'{type(checkpoint).__name__})')
        revised = OrderedDict()
        for k, v in state.items():
            for pattern, repl in revise_keys:
                k = re.sub(pattern, repl, k)
            revised[k] = v
        if self._resuming:
            self._check_resume(filename, checkpoint, model, revised)
            allow = []
        else:
            allow = self._allow_patterns()
        fit = check_state_dict_fit(model.state_dict(), revised, filename,
                                   allow)
        if fit['skipped']:
            self.logger.warning(
                f'partial load of {filename} (allowed by {allow}): '
                f"skipped {len(fit['skipped'])} keys: " + describe_fit(
                    dict(
                        missing=[
                            k for k in fit['skipped'] if k not in revised
                        ],
                        unexpected=[
                            k for k in fit['skipped']
                            if k in revised and k not in model.state_dict()
                        ],
                        mismatched={})) +
                ''.join(f'; {k} (shape differs)' for k in fit['skipped']
                        if k in revised and k in model.state_dict()))
            skip = set(fit['skipped'])
            checkpoint = dict(checkpoint) if isinstance(checkpoint,
                                                        dict) else {}
            checkpoint['state_dict'] = OrderedDict(
                (k, v) for k, v in revised.items() if k not in skip)
        else:
            checkpoint = dict(checkpoint)
            checkpoint['state_dict'] = revised
        # strict=False: the fit was checked above; skipped keys stay as built
        checkpoint = _load_checkpoint_to_model(
            model, checkpoint, False, revise_keys=[])
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _check_resume(self, filename, checkpoint, model, state) -> None:
        """The checkpoint to resume must be of this config's model."""
        meta = checkpoint.get('meta', {}) if isinstance(checkpoint,
                                                        dict) else {}
        old = _literal_config(meta.get('cfg'))
        diffs = []
        old_type = (old.get('model') or {}).get('type') if isinstance(
            old.get('model'), dict) else None
        new_type = self.cfg.model.get('type') if isinstance(
            self.cfg.get('model'), dict) else None
        if old_type is not None and old_type != new_type:
            diffs.append(f'model.type {old_type!r} vs {new_type!r}')
        fit = check_fit_quiet(model.state_dict(), state)
        if fit:
            diffs.append(fit)
        if diffs:
            raise ResumeMismatchError(
                f'cannot resume from {filename}: it is a checkpoint of a '
                f'different model ({"; ".join(diffs)}). Use another '
                '--work-dir for this config, or load its weights with '
                'load_from instead of resuming')
        for key in ('optim_wrapper', 'param_scheduler'):
            a, b = old.get(key), self.cfg.to_dict().get(key)
            if old and a != b:
                self.logger.warning(
                    f'resuming {filename}: {key} differs from the '
                    f'checkpoint\'s config ({a!r} there, {b!r} here); the '
                    'checkpoint\'s optimizer / scheduler state replaces '
                    'this config\'s values (e.g. the lr)')

    def resume(self, filename: str, *args, **kwargs) -> None:
        self._resuming = True
        try:
            return super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False

    def load_or_resume(self) -> None:
        if isinstance(self._load_from, dict):
            self._load_from = self._load_from.get(
                'path', self._load_from.get('filename'))
        if self._has_loaded or self._resume != 'auto':
            return super().load_or_resume()
        latest = find_latest_checkpoint(self.work_dir)
        if latest is not None:
            self.logger.info(f'Auto resumed from the latest checkpoint '
                             f'{latest}.')
            self.resume(latest)
        elif self._load_from is not None:
            path = resolve_checkpoint_pattern(self._load_from)
            self.logger.info(f'No checkpoint in {self.work_dir}: loading '
                             f'weights from {path}.')
            self.load_checkpoint(path)
        self._has_loaded = True

    # ----------------------------------------------------------- training
    def train(self):
        rank, world = get_dist_info()
        outcome = [None]
        if rank == 0:
            lock = WorkDirLock(
                self.work_dir, config_identity(self.cfg),
                osp.basename(self.cfg.filename or '') or self.experiment_name)
            try:
                lock.acquire()
                self.work_dir_lock = lock
            except MMExtRuntimeError as err:
                outcome = [str(err)]
        if world > 1:  # every rank fails (or proceeds) together
            broadcast_object_list(outcome, src=0)
        if outcome[0] is not None:
            from .errors import WorkDirLockedError
            raise WorkDirLockedError(outcome[0])
        try:
            if rank == 0:
                lock = self.work_dir_lock
                if lock.took_over:
                    self.logger.info(
                        f'{lock.path}: the previous run of this config '
                        f"(pid {lock.took_over.get('pid')}) is gone; "
                        'taking the work dir over')
                removed = sweep_temp_files(self.work_dir)
                if removed:
                    self.logger.info(
                        f'removed {len(removed)} temp files of interrupted '
                        f'writes: {removed[:3]}')
            return super().train()
        finally:
            if self.work_dir_lock is not None:
                self.work_dir_lock.release()
                self.work_dir_lock = None


def check_fit_quiet(model_state: dict, state: dict) -> str:
    """The one-line description of a state-dict misfit, '' if it fits."""
    from .checkpoint import state_dict_fit
    fit = state_dict_fit(model_state, state)
    return describe_fit(fit)


def _literal_config(text) -> dict:
    """The config text stored in a checkpoint's meta, read as data."""
    if not isinstance(text, str):
        return {}
    from mmext.fileio.safe_io import _LiteralReader
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    reader = _LiteralReader()
    reader.visit(tree)
    return reader.values


def build_runner(cfg) -> Runner:
    """The Runner of ``cfg``: its ``runner_type`` if set, else
    :class:`AutoResumeRunner` (checkpoint fit, work-dir lock)."""
    if 'runner_type' not in cfg:
        return AutoResumeRunner.from_cfg(cfg)
    from mmengine.registry import RUNNERS as ROOT_RUNNERS
    return ROOT_RUNNERS.build(cfg)
