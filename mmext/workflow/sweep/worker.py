# Copyright (c) mmext contributors. All rights reserved.
"""The sweep worker: samplers seeded per worker, one supervised training
per trial, dead-trial retries, bounded failures and grid bookkeeping."""
import fcntl
import hashlib
import json
import math
import os
import os.path as osp
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional

from mmengine.config import Config

from .space import SweepError, suggest
from .storage import open_storage, retry_storage
from .trial_config import build_trial_config

__all__ = [
    'make_sampler', 'make_pruner', 'derive_seed', 'worker_identity',
    'register_worker', 'unregister_worker', 'SweepWorker', 'read_curve',
    'trial_params',
    'STORAGE_ERROR_FILE', 'LOCK_FILE', 'WorkDirBusy', 'lock_work_dir'
]

#: the pruning hook writes this file into the trial work dir when the
#: storage stayed unreachable through all its retries
STORAGE_ERROR_FILE = 'sweep_storage_error.txt'
#: ``flock``-ed by the trial's supervisor while any of its processes live
LOCK_FILE = '.sweep_trial.lock'
_SUPERVISOR = osp.join(osp.dirname(osp.abspath(__file__)), 'supervise.py')


# ------------------------------------------------------------- samplers
def derive_seed(seed: Optional[int], worker_id: str,
                restart: int) -> Optional[int]:
    """The sampler seed of one worker: a hash of (``--seed``, worker id,
    restart count), so that workers sharing ``--seed`` draw different
    points, a restarted worker draws new ones, and the same three values
    give the same seed again. ``None`` stays ``None`` (OS entropy)."""
    if seed is None:
        return None
    key = f'{int(seed)}|{worker_id}|{int(restart)}'.encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], 'big')


def make_sampler(name: str, space: dict, seed: Optional[int]):
    """``tpe`` (with the constant liar, so that parallel workers avoid the
    points running elsewhere), ``random``; ``grid`` is run by the worker
    itself (every point enqueued once), through a random sampler that never
    samples."""
    import optuna
    if name == 'tpe':
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    if name in ('random', 'grid'):
        return optuna.samplers.RandomSampler(seed=seed)
    raise SweepError(f'--sampler {name!r}: choose tpe, random or grid')


def make_pruner(name: str, startup: int = 2, warmup: int = 0,
                max_resource: int = 1):
    import optuna
    if name == 'median':
        return optuna.pruners.MedianPruner(n_startup_trials=startup,
                                           n_warmup_steps=warmup)
    if name == 'hyperband':
        return optuna.pruners.HyperbandPruner(min_resource=1,
                                              max_resource=max_resource)
    if name == 'none':
        return optuna.pruners.NopPruner()
    raise SweepError(f'--pruner {name!r}: choose median, hyperband or none')


# -------------------------------------------------------------- workers
def worker_identity(explicit: Optional[str] = None) -> str:
    """``--worker-id``, else the Slurm array task
    (``slurm-<array job>_<task>``) or job step task
    (``slurm-<job>.<procid>``), else ``<host>-<pid>``: unique across
    processes, hosts and array tasks."""
    if explicit:
        return str(explicit)
    env = os.environ
    if env.get('SLURM_ARRAY_JOB_ID') and env.get('SLURM_ARRAY_TASK_ID'):
        return (f'slurm-{env["SLURM_ARRAY_JOB_ID"]}_'
                f'{env["SLURM_ARRAY_TASK_ID"]}')
    if env.get('SLURM_JOB_ID'):
        return f'slurm-{env["SLURM_JOB_ID"]}.{env.get("SLURM_PROCID", "0")}'
    return f'{socket.gethostname()}-{os.getpid()}'


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def register_worker(study, worker_id: str, grace: float) -> int:
    """Record a start of ``worker_id`` in the study; returns how many
    starts it had before (its restart count).

    Raises:
        SweepError: a live worker already uses this id (its record was
            refreshed less than ``grace`` seconds ago, and it is not a dead
            process on this host).
    """
    key = f'worker:{worker_id}'
    rec = retry_storage(lambda: study.user_attrs.get(key))
    now = time.time()
    if rec and not rec.get('ended') and now - rec.get('beat', 0) < grace:
        same_host = rec.get('host') == socket.gethostname()
        if not (same_host and not _pid_alive(int(rec.get('pid', 0)))):
            raise SweepError(
                f'worker id {worker_id!r} is in use by a live worker (host '
                f'{rec.get("host")}, pid {rec.get("pid")}, seen '
                f'{now - rec["beat"]:.0f} s ago); give each worker its own '
                '--worker-id')
    starts = int(rec.get('starts', 0)) if rec else 0
    retry_storage(study.set_user_attr, key,
                  dict(starts=starts + 1, host=socket.gethostname(),
                       pid=os.getpid(), beat=now))
    return starts


def unregister_worker(study, worker_id: str) -> None:
    """Mark the worker's record as ended (its id is free again)."""
    key = f'worker:{worker_id}'
    try:
        rec = dict(study.user_attrs.get(key) or {})
        study.set_user_attr(key, dict(rec, ended=True, beat=time.time()))
    except Exception:  # the record only guards against a live twin
        pass


def read_curve(work_dir: str, metric: str) -> Dict[int, float]:
    """Step -> validation ``metric`` over every run in ``work_dir``."""
    from mmext.workflow.results import val_curve
    return val_curve(work_dir, metric)


def trial_params(t) -> dict:
    """A trial's parameters, also for a WAITING (enqueued) trial."""
    return dict(t.params) or dict(t.system_attrs.get('fixed_params', {}))


def _point_key(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def _checkpoint_epoch(work_dir: str) -> Optional[int]:
    """The epoch of the checkpoint ``last_checkpoint`` names, if any."""
    import re
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        m = re.search(r'epoch_(\d+)\.pth\s*$', f.read())
    return int(m.group(1)) if m else None


# ----------------------------------------------------------------- locks
class WorkDirBusy(RuntimeError):
    """The trial work dir's lock is held: an earlier run still lives."""


def lock_work_dir(work_dir: str, trial_number: int,
                  wait: float = 0.0) -> int:
    """``flock`` the work dir's lock file; returns the open descriptor
    (the lock lasts while any copy of it is open).

    Raises:
        WorkDirBusy: still held after ``wait`` seconds; the message names
            the holder recorded in the file.
    """
    path = osp.join(work_dir, LOCK_FILE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                with open(path) as f:
                    holder = f.read().strip() or 'unknown'
                os.close(fd)
                raise WorkDirBusy(
                    f'{work_dir} is locked by a training that still runs '
                    f'({holder})') from None
            time.sleep(0.2)
    os.ftruncate(fd, 0)
    os.write(fd, f'trial {trial_number}, worker host '
             f'{socket.gethostname()} pid {os.getpid()}, since '
             f'{time.strftime("%Y-%m-%d %H:%M:%S")}\n'.encode())
    return fd


class _Stopped(BaseException):
    """The worker received SIGTERM / SIGINT."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


# -------------------------------------------------------------- the worker
class SweepWorker:
    """Pulls trials from one study.

    Every trial is one training run (``bash tools/dist_train.sh
    TRIAL_CONFIG GPUS --work-dir <sweep dir>/trial_<n>``, or
    ``tools/train.py`` with ``launcher='none'``) under a supervisor
    (:mod:`.supervise`) that owns its whole process tree, torchrun ranks
    included, and holds the work dir's lock while any of it lives. The
    worker's death, SIGTERM or SIGINT ends the training.

    While a trial trains, a thread writes its ``heartbeat`` user attribute;
    a running trial whose heartbeat is older than ``grace`` seconds belongs
    to a dead worker: the next worker that looks marks it failed and
    enqueues it again (up to ``max_retry`` times); the retry waits for the
    work dir's lock, copies the validation history up to the checkpoint it
    resumes from into the new trial and resumes in the same work dir. A
    trial that failed because the storage stayed unreachable is retried the
    same way.

    ``max_failures`` trials failing in a row (training errors) stop the
    worker. With ``grid`` (a list of points), every point is run once: a
    completed, pruned or failed point is never run again, unless
    ``retry_failed`` (each failed point once more).
    """

    def __init__(self, study, storage_url: str, cfg: Config, space: dict,
                 metric: str, sweep_dir: str, n_trials: Optional[int],
                 gpus: int = 1, heartbeat: float = 30., grace: float = 120.,
                 max_retry: int = 2, launcher: str = 'dist',
                 log=print, raw_storage=None,
                 pruner: Optional[dict] = None, max_failures: int = 3,
                 grid: Optional[List[dict]] = None,
                 retry_failed: bool = False, worker_id: str = 'worker',
                 grid_seed: Optional[int] = None,
                 kill_grace: float = 5.0) -> None:
        self.study = study
        self.pruner = pruner or dict(name='median')
        self.raw_storage = raw_storage or open_storage(storage_url)
        self.storage_url = storage_url
        self.cfg = cfg
        self.space = space
        self.metric = metric
        self.sweep_dir = osp.abspath(sweep_dir)
        self.n_trials = n_trials
        self.gpus = gpus
        self.heartbeat = heartbeat
        self.grace = grace
        self.max_retry = max_retry
        self.launcher = launcher
        self.log = log
        self.max_failures = max_failures
        self.retry_failed = retry_failed
        self.worker_id = worker_id
        self.kill_grace = kill_grace
        self.grid = None
        if grid is not None:
            self.grid = list(grid)
            # each worker walks the grid in its own order, so that workers
            # rarely reach for the same free point at the same moment
            random.Random(grid_seed).shuffle(self.grid)
        self.root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
            osp.abspath(__file__)))))
        self.failures: List[str] = []
        self._proc = None
        self._retried = set()

    # -- storage ------------------------------------------------------------
    def _call(self, fn, *args, what='storage call', **kwargs):
        return retry_storage(fn, *args, log=self.log, what=what, **kwargs)

    def _trials(self):
        return self._call(self.study.get_trials, deepcopy=False,
                          what='reading the trials')

    def _beat_worker(self) -> None:
        try:
            self.study.set_user_attr(
                f'worker:{self.worker_id}',
                dict(self.study.user_attrs.get(f'worker:{self.worker_id}')
                     or {}, host=socket.gethostname(), pid=os.getpid(),
                     beat=time.time()))
        except Exception as err:  # a missed beat only delays a check
            self.log(f'[sweep] worker heartbeat failed: {err}')

    # -- dead trials --------------------------------------------------------
    def _enqueue_retry(self, t, why: str) -> None:
        retries = t.user_attrs.get('retries', 0)
        if retries >= self.max_retry:
            self.log(f'[sweep] trial {t.number}: {why}; {retries} retries '
                     'used, not retried')
            return
        self._call(self.study.enqueue_trial, trial_params(t),
                   user_attrs=dict(retry_of=t.number, retries=retries + 1,
                                   work_dir=t.user_attrs.get('work_dir')),
                   what='enqueueing a retry')
        self.log(f'[sweep] trial {t.number}: {why}; enqueued again '
                 '(resumes from its last checkpoint)')

    def recover_stale(self) -> int:
        """Fail and re-enqueue running trials whose worker died."""
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState
        now, found = time.time(), 0
        storage = self.raw_storage
        for t in self._trials():
            if t.state != TrialState.RUNNING:
                continue
            beat = t.user_attrs.get('heartbeat')
            if beat is None and t.datetime_start is not None:
                beat = t.datetime_start.timestamp()
            if beat is None or now - beat < self.grace:
                continue
            # the reason first: a finished trial takes no attributes; the
            # worker whose FAIL goes through (one only) enqueues the retry
            try:
                self._call(storage.set_trial_user_attr, t._trial_id,
                           'fail_reason',
                           f'no heartbeat for {now - beat:.0f} s (worker '
                           'died)')
                self._call(storage.set_trial_state_values, t._trial_id,
                           TrialState.FAIL)
            except (UpdateFinishedTrialError, RuntimeError):
                continue  # another worker got there first
            found += 1
            self._enqueue_retry(t, 'worker died')
        return found

    # -- one trial ----------------------------------------------------------
    def _beat(self, trial, stop: threading.Event) -> None:
        from optuna.exceptions import UpdateFinishedTrialError
        while not stop.wait(self.heartbeat):
            try:
                trial.set_user_attr('heartbeat', time.time())
            except UpdateFinishedTrialError:
                # another worker took this trial for dead (its heartbeat
                # came too late) and will retry it: stop training here so
                # that two runs never share the work dir
                self.log(f'[sweep] trial {trial.number} was declared dead '
                         'by another worker; stopping its run here')
                self._lost = True
                self._stop_training()
                return
            except Exception as err:  # storage hiccup: try next time
                self.log(f'[sweep] heartbeat failed: {err}')
            self._beat_worker()

    def _stop_training(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)  # the supervisor
            except ProcessLookupError:
                pass

    def _command(self, cfg_path: str, work_dir: str, resume: bool,
                 lock_fd: int):
        python = os.environ.get('PYTHON', sys.executable)
        if self.launcher == 'none':
            cmd = [python, osp.join(self.root, 'tools/train.py'), cfg_path]
        else:
            cmd = ['bash', osp.join(self.root, 'tools/dist_train.sh'),
                   cfg_path, str(self.gpus)]
        cmd += ['--work-dir', work_dir]
        if resume:
            cmd.append('--resume')
        return [sys.executable, _SUPERVISOR, '--parent', str(os.getpid()),
                '--lock-fd', str(lock_fd), '--grace', str(self.kill_grace),
                '--'] + cmd

    def _copy_history(self, trial, work_dir: str) -> int:
        """Report the validation values the work dir logged up to the
        checkpoint the run resumes from (a retry continues a run: the
        pruner judges it on its whole curve)."""
        epoch = _checkpoint_epoch(work_dir)
        if epoch is None:
            return 0
        curve = read_curve(work_dir, self.metric)
        steps = [s for s in sorted(curve)
                 if s <= epoch and math.isfinite(curve[s])]
        for s in steps:
            self._call(trial.report, curve[s], step=s,
                       what='copying the history')
        return len(steps)

    def run_trial(self, trial) -> tuple:
        """Train one trial; returns ``(outcome, reason)`` with outcome
        ``complete``, ``pruned``, ``failed`` (counts towards
        ``max_failures``), ``retry`` (storage outage, retried like a dead
        trial), ``busy`` or ``lost``."""
        from optuna.trial import TrialState
        t_start = time.time()
        self._call(trial.set_user_attr, 'heartbeat', t_start)
        params, options = suggest(trial, self.space)
        work_dir = trial.user_attrs.get('work_dir') or osp.join(
            self.sweep_dir, f'trial_{trial.number}')
        if not osp.isabs(work_dir):  # a study from an older version
            work_dir = osp.abspath(work_dir)
        os.makedirs(work_dir, exist_ok=True)
        self._call(trial.set_user_attr, 'work_dir', work_dir)
        self._call(trial.set_user_attr, 'worker', self.worker_id)
        try:
            # a retry waits for the old run's supervisor to end it
            lock_fd = lock_work_dir(work_dir, trial.number,
                                    wait=max(self.grace, 30.0))
        except WorkDirBusy as err:
            reason = str(err)
            self._call(trial.set_user_attr, 'fail_reason', reason)
            self._call(self.study.tell, trial, state=TrialState.FAIL)
            self.log(f'[sweep] trial {trial.number} not started: {reason}')
            self._enqueue_retry(self.raw_storage.get_trial(trial._trial_id),
                                'work dir busy')
            return 'busy', reason
        marker = osp.join(work_dir, STORAGE_ERROR_FILE)
        if osp.exists(marker):
            os.remove(marker)
        cfg_path = osp.join(work_dir, 'trial_config.py')
        build_trial_config(self.cfg, options, self.metric).dump(cfg_path)
        resume = osp.isfile(osp.join(work_dir, 'last_checkpoint'))
        copied = self._copy_history(trial, work_dir) if resume else 0
        env = dict(os.environ)
        env.update({
            'MMEXT_SWEEP_STORAGE': self.storage_url,
            'MMEXT_SWEEP_STUDY': self.study.study_name,
            'MMEXT_SWEEP_TRIAL_ID': str(trial._trial_id),
            'MMEXT_SWEEP_PRUNER': json.dumps(self.pruner),
            'PORT': str(_free_port()),
            'PYTHONPATH': self.root + os.pathsep + env.get('PYTHONPATH', ''),
        })
        env.setdefault('PYTHON', sys.executable)
        desc = ', '.join(f'{k}={v}' for k, v in params.items())
        self.log(f'[sweep] trial {trial.number} starts: {desc}' +
                 (f' (resuming; {copied} earlier validation(s) copied)'
                  if resume else ''))
        stop = threading.Event()
        self._lost = False
        try:
            with open(osp.join(work_dir, 'sweep_train.log'), 'ab') as out:
                self._proc = subprocess.Popen(
                    self._command(cfg_path, work_dir, resume, lock_fd),
                    env=env, stdout=out, stderr=subprocess.STDOUT,
                    cwd=os.getcwd(), pass_fds=(lock_fd, ),
                    start_new_session=True)
        finally:
            os.close(lock_fd)  # the supervisor holds the lock now
        beat = threading.Thread(target=self._beat, args=(trial, stop),
                                daemon=True)
        beat.start()
        try:
            rc = self._proc.wait()
        except _Stopped as sig:
            self._stop_training()
            self._proc.wait()
            stop.set()
            beat.join()
            why = f'worker stopped by {signal.Signals(sig.signum).name}'
            self._call(trial.set_user_attr, 'fail_reason', why)
            self._call(self.study.tell, trial, state=TrialState.FAIL)
            self._enqueue_retry(self.raw_storage.get_trial(trial._trial_id),
                                why)
            raise
        finally:
            stop.set()
            beat.join()
            self._proc = None
        if self._lost:
            return 'lost', 'declared dead by another worker'
        wall = time.time() - t_start
        self._call(trial.set_user_attr, 'trial_seconds', wall)
        # read what the training process wrote, past Optuna's per-process
        # cache of the trials this process owns
        frozen = self._call(self.raw_storage.get_trial, trial._trial_id)
        attrs = frozen.user_attrs
        if rc != 0:
            if osp.exists(marker):
                with open(marker) as f:
                    reason = 'storage outage: ' + f.read().strip()
                self._call(trial.set_user_attr, 'fail_reason', reason)
                self._call(self.study.tell, trial, state=TrialState.FAIL)
                self.log(f'[sweep] trial {trial.number}: {reason}')
                self._enqueue_retry(frozen, 'storage outage')
                return 'retry', reason
            reason = (f'training exited with code {rc}; see '
                      f'{osp.join(work_dir, "sweep_train.log")}')
            tail = _log_tail(osp.join(work_dir, 'sweep_train.log'))
            if tail:
                reason += f' ({tail})'
            self._call(trial.set_user_attr, 'fail_reason', reason)
            self._call(self.study.tell, trial, state=TrialState.FAIL)
            self.log(f'[sweep] trial {trial.number} FAILED: {reason}')
            return 'failed', reason
        if 'pruned_at_step' in attrs:
            self._call(self.study.tell, trial, state=TrialState.PRUNED)
            self.log(f'[sweep] trial {trial.number} pruned at step '
                     f'{attrs["pruned_at_step"]} ({wall:.0f} s)')
            return 'pruned', None
        curve = {k: v for k, v in read_curve(work_dir, self.metric).items()
                 if math.isfinite(v)}
        if not curve:
            reason = f'no validation value of {self.metric!r}'
            self._call(trial.set_user_attr, 'fail_reason', reason)
            self._call(self.study.tell, trial, state=TrialState.FAIL)
            self.log(f'[sweep] trial {trial.number} FAILED: {reason}')
            return 'failed', reason
        pick = min if self.study.direction.name == 'MINIMIZE' else max
        best_step = pick(curve, key=curve.get)
        self._call(trial.set_user_attr, 'best_step', best_step)
        self._call(self.study.tell, trial, curve[best_step])
        self.log(f'[sweep] trial {trial.number} done: {self.metric}='
                 f'{curve[best_step]:.6g} (step {best_step}, {wall:.0f} s)')
        return 'complete', None

    # -- which point next ---------------------------------------------------
    @staticmethod
    def _holders(trials) -> Dict[str, list]:
        """Point -> the trials that hold it: waiting, running, finished,
        or failed and not retried (a skipped duplicate holds nothing)."""
        from optuna.trial import TrialState
        retried = {t.user_attrs.get('retry_of') for t in trials}
        out = {}
        for t in trials:
            if t.state == TrialState.FAIL and (
                    t.user_attrs.get('skipped') or t.number in retried):
                continue
            out.setdefault(_point_key(trial_params(t)), []).append(t)
        return out

    def _next_grid_point(self, trials):
        """A grid point no trial holds (``(params, None)``), a failed point
        to retry with ``retry_failed`` (``(params, failed trial)``), or
        None."""
        from optuna.trial import TrialState
        holders = self._holders(trials)
        for point in self.grid:
            held = holders.get(_point_key(point), [])
            if not held:
                return point, None
            if self.retry_failed and all(
                    t.state == TrialState.FAIL for t in held) and \
                    _point_key(point) not in self._retried:
                self._retried.add(_point_key(point))  # once per run
                return point, held[0]
        return None

    def _duplicate_of(self, trial, trials) -> Optional[int]:
        """The number of an earlier trial that holds this trial's point
        (a second worker took the same point at the same moment)."""
        mine = _point_key(trial_params(
            self._call(self.raw_storage.get_trial, trial._trial_id)))
        retry_of = trial.user_attrs.get('retry_of')
        for t in self._holders(trials).get(mine, []):
            if t.number < trial.number and t.number != retry_of:
                return t.number
        return None

    def _grid_report(self, trials) -> None:
        from optuna.trial import TrialState
        holders = self._holders(trials)
        states = {}
        for point in self.grid:
            held = holders.get(_point_key(point), [])
            last = max(held, key=lambda t: t.number) if held else None
            name = last.state.name if last else 'NOT RUN'
            states[name] = states.get(name, 0) + 1
            if last is not None and last.state == TrialState.FAIL:
                self.log(f'[sweep] grid point {point} failed in trial '
                         f'{last.number}: {last.user_attrs.get("fail_reason")}'
                         ' (run it again with --retry-failed)')
        self.log('[sweep] grid done: ' + ', '.join(
            f'{k.lower()} {v}' for k, v in sorted(states.items())))

    # -- the loop -----------------------------------------------------------
    def run(self) -> int:
        """Run trials until the study holds ``n_trials`` finished (complete
        or pruned) trials, or every grid point was run; returns how many
        this worker ran.

        Raises:
            SweepError: ``max_failures`` trials failed in a row (the
                message lists their reasons).
        """
        def on_signal(signum, frame):
            raise _Stopped(signum)

        old = {s: signal.signal(s, on_signal)
               for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            return self._loop()
        except _Stopped as sig:
            self.log(f'[sweep] worker stopped by '
                     f'{signal.Signals(sig.signum).name}; its trial (if '
                     'any) is marked FAIL and enqueued again')
            raise SystemExit(128 + sig.signum)
        finally:
            for s, h in old.items():
                signal.signal(s, h)

    def _loop(self) -> int:
        from optuna.trial import TrialState
        taken = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
        ran = 0
        skips = 0
        while True:
            self._beat_worker()
            self.recover_stale()
            trials = self._trials()
            running = [t for t in trials if t.state == TrialState.RUNNING]
            # an enqueued trial (a retry, --enqueue) is taken first by ask()
            waiting = any(t.state == TrialState.WAITING for t in trials)
            if self.grid is not None and not waiting:
                nxt = self._next_grid_point(trials)
                if nxt is None:
                    if running:  # wait: they finish or come back stale
                        time.sleep(min(self.heartbeat, 5.0))
                        continue
                    self._grid_report(trials)
                    return ran
                point, failed = nxt
                attrs = dict(grid_point=True)
                if failed is not None:
                    attrs['retry_of'] = failed.number
                self._call(self.study.enqueue_trial, point, user_attrs=attrs)
            elif self.grid is None:
                finished = sum(t.state in taken[:2] for t in trials)
                if finished >= self.n_trials:
                    return ran
                if finished + len(running) >= self.n_trials and not waiting:
                    # the last trials run elsewhere: wait for them to
                    # finish, or to go stale and come back as retries
                    time.sleep(min(self.heartbeat, 5.0))
                    continue
            trial = self._call(self.study.ask, what='asking for a trial')
            trials = self._trials()
            if self.grid is None:
                ahead = [t for t in trials
                         if t.number < trial.number and t.state in taken]
                if len(ahead) >= self.n_trials:
                    # another worker took the last slot at the same moment
                    self._skip(trial, 'surplus (not run)')
                    continue
            # the sampler has not drawn yet for a new trial: draw now, so
            # the duplicate check sees this trial's point
            suggest(trial, self.space)
            dup = self._duplicate_of(trial, trials)
            if dup is not None:
                self._skip(trial, f'duplicate of trial {dup} (not run)')
                skips += 1
                if skips >= 50:
                    raise SweepError(
                        'the sampler proposed 50 points in a row that the '
                        'study already holds: the space looks exhausted')
                continue
            skips = 0
            try:
                outcome, reason = self.run_trial(trial)
            except _Stopped:
                raise
            except Exception as err:  # a crashed trial never stops the study
                outcome, reason = 'failed', repr(err)
                self.log(f'[sweep] trial {trial.number} FAILED: {err!r}')
                try:
                    trial.set_user_attr('fail_reason', reason)
                    self.study.tell(trial, state=TrialState.FAIL)
                except Exception:
                    pass
            ran += 1
            if outcome == 'failed':
                self.failures.append(f'trial {trial.number}: {reason}')
                if len(self.failures) >= self.max_failures:
                    raise SweepError(
                        f'{len(self.failures)} trials failed in a row '
                        f'(--max-failures {self.max_failures}); stopping '
                        'this worker. Last reasons:\n  ' +
                        '\n  '.join(self.failures[-self.max_failures:]))
            elif outcome in ('complete', 'pruned'):
                self.failures = []

    def _skip(self, trial, why: str) -> None:
        from optuna.trial import TrialState
        self._call(trial.set_user_attr, 'fail_reason', why)
        self._call(trial.set_user_attr, 'skipped', True)
        self._call(self.study.tell, trial, state=TrialState.FAIL)


def _log_tail(path: str) -> str:
    """The last line of a training log that names an error."""
    try:
        with open(path, errors='replace') as f:
            lines = f.read().splitlines()[-200:]
    except OSError:
        return ''
    for line in reversed(lines):
        s = line.strip()
        if s.startswith('error:') or (
                'Error' in s.split(':', 1)[0] and ':' in s):
            return s[:300]
    return ''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
