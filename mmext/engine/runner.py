# Copyright (c) mmext contributors. All rights reserved.
"""A Runner whose ``resume='auto'`` re-runs pick up where they stopped."""
import glob
import os.path as osp

from mmengine.runner import Runner
from mmengine.runner.checkpoint import find_latest_checkpoint

from mmext.registry import RUNNERS

__all__ = ['AutoResumeRunner', 'resolve_checkpoint_pattern']


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
    """

    def load_or_resume(self) -> None:
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
