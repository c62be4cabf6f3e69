# Copyright (c) mmext contributors. All rights reserved.
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmext.engine.checkpoint import atomic_write_bytes
from mmext.registry import HOOKS


class _DeferredRemovals:
    """Proxy of a file backend whose ``remove``/``rmtree`` are postponed."""

    def __init__(self, backend):
        self._backend = backend
        self.pending = []

    def remove(self, path):
        self.pending.append(('remove', path))

    def rmtree(self, path):
        self.pending.append(('rmtree', path))

    def flush(self, keep=()):
        """Run the postponed removals, except of the paths in ``keep``."""
        keep = {str(p) for p in keep}
        for op, path in self.pending:
            if str(path) in keep:
                continue
            if op == 'remove' and self._backend.isfile(path):
                self._backend.remove(path)
            elif op == 'rmtree' and self._backend.isdir(path):
                self._backend.rmtree(path)
        self.pending.clear()

    def __getattr__(self, name):
        return getattr(self._backend, name)


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """:class:`mmengine.hooks.CheckpointHook` that survives being killed.

    mmengine's hook deletes the oldest checkpoint (``max_keep_ckpts``) and the
    previous best checkpoint *before* writing the new one, and rewrites
    ``last_checkpoint`` in place; a run killed in between is left with
    ``last_checkpoint`` naming a deleted or truncated file. This hook keeps
    the same arguments and file names but orders every step safely:

    1. write the new checkpoint (atomically: temp file + rename, see
       :class:`mmext.engine.checkpoint.AtomicLocalBackend`);
    2. point ``last_checkpoint`` at it (atomically);
    3. only then delete the checkpoints that fell out of ``max_keep_ckpts``
       and the previous best checkpoint(s) (a best checkpoint replaced by a
       validation stays on disk until the next regular checkpoint and
       ``last_checkpoint`` are written, because the resume point's message
       hub names it as ``best_ckpt`` until then).

    It also writes an epoch's checkpoint *after* that epoch's validation
    (mmengine writes it before), so the checkpoint a run resumes from
    already holds the validation's best-score / best-checkpoint record; a
    run killed between the two redoes the epoch and its validation instead
    of losing them (and leaving an orphaned ``best_*.pth`` behind).
    """

    _pending_step = None
    _deferred = None  # removals of previous best checkpoints, postponed

    def _validates_after(self, runner, epoch: int) -> bool:
        loop = runner.train_loop
        try:
            val_loop = runner.val_loop
        except Exception:  # no val_dataloader / val_cfg configured
            return False
        return val_loop is not None and epoch >= loop.val_begin and (
            epoch % loop.val_interval == 0 or epoch == loop.max_epochs)

    def after_train_epoch(self, runner) -> None:
        if not self.by_epoch:
            return
        if not (self.every_n_epochs(runner, self.interval, self.save_begin)
                or (self.save_last and self.is_last_train_epoch(runner))):
            return
        step = runner.epoch + 1
        if self._validates_after(runner, step):
            self._pending_step = step  # saved by after_val_epoch
        else:
            runner.logger.info(f'Saving checkpoint at {step} epochs')
            self._save_checkpoint(runner)

    def _flush_pending(self, runner) -> None:
        step, self._pending_step = self._pending_step, None
        if step is not None:
            runner.logger.info(f'Saving checkpoint at {step} epochs')
            self._save_checkpoint_with_step(
                runner, step, meta=dict(epoch=step, iter=runner.iter))

    def after_val_epoch(self, runner, metrics) -> None:
        super().after_val_epoch(runner, metrics)  # best checkpoint first
        self._flush_pending(runner)

    def before_train_epoch(self, runner) -> None:
        self._flush_pending(runner)  # validation did not run after all

    def after_train(self, runner) -> None:
        self._flush_pending(runner)
        self._flush_removals()  # training is over: no resume point needs it
        super().after_train(runner)

    def _save_checkpoint_with_step(self, runner, step, meta):
        # Same bookkeeping as mmengine's CheckpointHook, in a crash-safe order.
        stale = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                stale.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write_bytes(
            str(self.last_ckpt).encode(),
            osp.join(runner.work_dir, 'last_checkpoint'))
        for old_step in stale:
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(old_step))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):
                self.file_backend.rmtree(path)
        self._flush_removals()

    def _save_best_checkpoint(self, runner, metrics) -> None:
        # The previous best is removed only after the next regular
        # checkpoint and `last_checkpoint` exist (see
        # `_save_checkpoint_with_step`): until then the resume point's
        # message hub still names it as `best_ckpt`.
        backend = self.file_backend
        if self._deferred is None:
            self._deferred = _DeferredRemovals(backend)
        self.file_backend = self._deferred
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend

    def _flush_removals(self) -> None:
        if self._deferred is not None and is_main_process():
            # never the current best (a resumed run may re-create its name)
            keep = [getattr(self, 'best_ckpt_path', None)] + list(
                (getattr(self, 'best_ckpt_path_dict', None) or {}).values())
            self._deferred.flush(keep=[p for p in keep if p])
