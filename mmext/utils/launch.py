# Copyright (c) mmext contributors. All rights reserved.
import os.path as osp
import sys
from typing import Optional

from mmengine.config import Config


def setup_run(cfg: Config, config_path: str, work_dir: Optional[str],
              launcher: str) -> Config:
    """Settings shared by ``tools/train.py`` and ``tools/test.py``.

    * ``work_dir``: the argument, else the config's, else
      ``work_dirs/<config name>``;
    * ``launcher``; without CUDA a requested ``nccl`` backend becomes
      ``gloo`` so that ``dist_*.sh`` run as CPU processes.
    """
    import torch
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])
    cfg.launcher = launcher
    if launcher != 'none' and not torch.cuda.is_available():
        dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
        if dist_cfg.get('backend', 'nccl') == 'nccl':
            dist_cfg['backend'] = 'gloo'
    return cfg


class CleanExit:
    """Context manager that ends a run's process group cleanly.

    A process that exits without ``destroy_process_group()`` leaves gloo's
    C++ worker threads alive while Python finalizes; a worker that drops its
    last reference to a Python-owned tensor then takes the GIL from a dying
    interpreter and the process aborts (``terminate called without an active
    exception``, SIGABRT) after a run that succeeded (see
    pytorch/pytorch#179291, #190489). Under CPU load the window is wide
    enough to hit at random. This guard, around building and running the
    Runner:

    * on success: shuts the runner's dataloader workers down, waits for
      every rank at a barrier (so no peer still expects a collective) and
      destroys the process group while the interpreter is fully alive;
    * on error: destroys the process group without a barrier (a peer may be
      inside a collective this rank will never join), in a helper thread
      bounded by ``error_timeout`` seconds so that a stuck peer cannot turn
      the error into a hang, and then re-raises the original exception
      unchanged.

    Usage::

        with CleanExit() as guard:
            runner = guard.track(Runner.from_cfg(cfg))
            runner.train()

    Args:
        error_timeout (float): Seconds to wait for the teardown after an
            error. Defaults to 30.
    """

    def __init__(self, error_timeout: float = 30.0) -> None:
        self.error_timeout = error_timeout
        self.runner = None

    def track(self, runner):
        """Remember ``runner`` so that its dataloaders are released."""
        self.runner = runner
        return runner

    def __enter__(self) -> 'CleanExit':
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            release_dataloaders(self.runner)
            destroy_dist(barrier=True)
        else:
            self._teardown_after_error()
        return False  # never swallow the exception

    def _teardown_after_error(self) -> None:
        import threading

        def teardown():
            try:
                release_dataloaders(self.runner)
                destroy_dist(barrier=False)
            except Exception as err:  # the original error matters more
                print(f'warning: process-group teardown after an error '
                      f'failed: {err!r}', file=sys.stderr)

        thread = threading.Thread(
            target=teardown, name='mmext-dist-teardown', daemon=True)
        thread.start()
        thread.join(self.error_timeout)


def release_dataloaders(runner) -> None:
    """Shut down the worker processes (and pin-memory threads) of the
    runner's built dataloaders now, instead of at interpreter exit."""
    if runner is None:
        return
    for name in ('_train_loop', '_val_loop', '_test_loop'):
        loop = getattr(runner, name, None)
        loader = getattr(loop, 'dataloader', None)
        iterator = getattr(loader, '_iterator', None)
        if iterator is None:
            continue
        shutdown = getattr(iterator, '_shutdown_workers', None)
        if shutdown is not None:
            shutdown()
        loader._iterator = None


def destroy_dist(barrier: bool = True) -> None:
    """``barrier()`` (optionally), then ``destroy_process_group()``, if a
    default process group exists; a no-op otherwise."""
    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()):
        return
    if barrier and dist.get_world_size() > 1:
        dist.barrier()
    dist.destroy_process_group()
