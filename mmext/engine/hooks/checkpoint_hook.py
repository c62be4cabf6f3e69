# Copyright (c) mmext contributors. All rights reserved.
import glob
import os
import os.path as osp
import re
import secrets
import shutil

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

    An epoch that improves the best score writes its checkpoint once: the
    ``best_*.pth`` file is a hard link to (or, where the file system has
    none, a copy of) that epoch's checkpoint, made after it is written.

    A resumed run sweeps what a kill left behind: ``best_*`` files other
    than the resume point's best (a kill during the deletion of the old one
    leaves two, which breaks a ``load_from`` glob), regular checkpoints that
    fell out of ``max_keep_ckpts`` before the resume point, and re-links a
    best checkpoint whose link was not made yet.
    """

    _pending_step = None
    _deferred = None  # removals of previous best checkpoints, postponed
    _best_links = ()  # best checkpoints to link to the coming epoch ckpt

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
        if not (self.every_n_epochs(runner, self.interval, self.save_begin) or
                (self.save_last and self.is_last_train_epoch(runner))):
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
        links, self._best_links = list(self._best_links), ()
        if not is_main_process():
            return
        for best in links:
            _link_or_copy(str(self.last_ckpt), str(best))
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
        linked = []
        pending = self._pending_step is not None
        last_ckpt = self.last_ckpt
        own = vars(runner).get('save_checkpoint')  # e.g. a test's patch
        if pending:
            # This epoch's checkpoint is written right after (and then holds
            # the new best score): the best file becomes a link to it, and
            # mmengine's re-save of the regular checkpoint "to update the
            # best_score in the message hub" (its `last_ckpt is not None`
            # branch) is skipped - each was a second full write.
            def capture(out_dir, filename, *args, **kwargs):
                linked.append(self.file_backend.join_path(out_dir, filename))

            runner.save_checkpoint = capture
            self.last_ckpt = None
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
            if pending:
                self.last_ckpt = last_ckpt
            if own is not None:
                runner.save_checkpoint = own
            elif 'save_checkpoint' in vars(runner):
                del runner.save_checkpoint
        self._best_links = list(self._best_links) + linked

    def _flush_removals(self) -> None:
        if self._deferred is not None and is_main_process():
            # never the current best (a resumed run may re-create its name)
            keep = [getattr(self, 'best_ckpt_path', None)] + list(
                (getattr(self, 'best_ckpt_path_dict', None) or {}).values())
            self._deferred.flush(keep=[p for p in keep if p])

    # -------------------------------------------------- sweep on resume
    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process() and runner.iter > 0 and self.by_epoch and \
                osp.isdir(str(self.out_dir)):
            self._sweep_orphans(runner)

    def _best_paths(self):
        if getattr(self, 'best_ckpt_path_dict', None):
            return dict(self.best_ckpt_path_dict)
        if self.save_best is None or not getattr(self, 'key_indicators', None):
            return {}
        return {self.key_indicators[0]: getattr(self, 'best_ckpt_path', None)}

    def _sweep_orphans(self, runner) -> None:
        out_dir = str(self.out_dir)
        removed = []
        for key, best in self._best_paths().items():
            if not best:
                continue
            best = str(best)
            if not osp.isfile(best):  # killed before the link was made
                m = re.search(r'_(epoch_\d+\.pth)$', best)
                src = osp.join(out_dir, m.group(1)) if m else None
                if src and osp.isfile(src):
                    _link_or_copy(src, best)
            prefix = f'best_{key}_'.replace('/', '_')
            for path in glob.glob(
                    osp.join(
                        glob.escape(out_dir),
                        glob.escape(prefix) + '*.pth')):
                tail = osp.basename(path)[len(prefix):]
                if re.fullmatch(r'(epoch|iter)_\d+\.pth', tail) and \
                        osp.abspath(path) != osp.abspath(best):
                    os.remove(path)
                    removed.append(path)
        keep = list(self.keep_ckpt_ids) if self.max_keep_ckpts > 0 else []
        if keep:
            for path in glob.glob(
                    osp.join(glob.escape(out_dir), 'epoch_*.pth')):
                m = re.fullmatch(r'epoch_(\d+)\.pth', osp.basename(path))
                if m and int(m.group(1)) < min(keep) and \
                        int(m.group(1)) not in keep:
                    os.remove(path)
                    removed.append(path)
        if removed:
            runner.logger.info(
                f'removed {len(removed)} checkpoints a killed run left '
                f'behind (not the best or kept ones): '
                f'{[osp.basename(p) for p in removed]}')


def _link_or_copy(src: str, dst: str) -> None:
    """Make ``dst`` the same file as ``src`` (hard link, else a copy),
    replacing ``dst`` atomically."""
    if osp.abspath(src) == osp.abspath(dst):
        return
    tmp = osp.join(
        osp.dirname(dst), f'.{osp.basename(dst)}.{secrets.token_hex(4)}.tmp')
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
