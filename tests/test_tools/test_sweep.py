# Copyright (c) mmext contributors. All rights reserved.
"""tools/sweep.py end to end on the toy regression config: real training
runs as trials, a real pruner, journal-file and PostgreSQL studies shared by
worker processes, and a worker killed with SIGKILL in the middle of a
trial."""
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import optuna
import pytest
from conftest import ROOT, free_port, run_tool, tool_env

from mmext.testing.procs import last_checkpoint_is, wait_until
from mmext.workflow.sweep import cli as sweep_tool

CONFIG = ROOT / 'tests/data/configs/toy_sweep.py'
SPACE = ROOT / 'tests/data/sweeps/toy_space.py'
WIDE_SPACE = ROOT / 'tests/data/sweeps/toy_space_wide.py'
LR = 'optim_wrapper.optimizer.lr'


def _finished(study):
    return [t for t in study.get_trials()
            if t.state.name in ('COMPLETE', 'PRUNED')]


def _no_duplicates(study, n):
    done = _finished(study)
    assert len(done) == n, [(t.number, t.state.name) for t in
                            study.get_trials()]
    assert len({t.number for t in done}) == n
    assert len({t.user_attrs['work_dir'] for t in done}) == n
    assert len({tuple(sorted(t.params.items())) for t in done}) == n


# ---------------------------------------------------------------- bad input
def test_bad_space_key_and_distribution_fail_before_any_trial(
        tmp_path, capsys):
    bad_key = tmp_path / 'bad_key.py'
    bad_key.write_text("space = {'optim_wrapper.optimizer.lrr': "
                       "dict(type='loguniform', low=1e-4, high=1e-2)}\n")
    bad_dist = tmp_path / 'bad_dist.py'
    bad_dist.write_text("space = {'optim_wrapper.optimizer.lr': "
                        "dict(type='loguniform', low=0, high=1e-2)}\n")
    bad_type = tmp_path / 'bad_type.py'
    bad_type.write_text("space = {'model.hidden': "
                        "dict(type='choice', choices=[8])}\n")
    bad_preset = tmp_path / 'bad_preset.py'
    bad_preset.write_text(
        "space = {'size': dict(type='preset', choices=dict("
        "small={'model.hiden': 8}))}\n")
    root = tmp_path / 'sweeps'
    for space, needle in (
            (bad_key, "'optim_wrapper.optimizer.lrr', which the config "
             'does not have'),
            (bad_dist, "space['optim_wrapper.optimizer.lr'] is log-scaled "
             'and needs low > 0'),
            (bad_type, "space['model.hidden'] has unknown type 'choice'"),
            (bad_preset, "space['size'] choice 'small' names the config "
             "key 'model.hiden'")):
        rc = sweep_tool.main([str(CONFIG), '--space', str(space), '--study',
                              's', '--trials', '1', '--work-root',
                              str(root)])
        err = capsys.readouterr().err
        assert rc == 2
        assert needle in err, err
        assert len(err.strip().splitlines()) == 1
    assert not (root / 's').exists()  # nothing ran, no study was made


def test_unreachable_storage_is_one_line(tmp_path, capsys):
    port = free_port()  # nothing listens there
    rc = sweep_tool.main([
        str(CONFIG), '--space', str(SPACE), '--study', 's', '--trials', '1',
        '--work-root', str(tmp_path), '--storage',
        f'postgresql://user:secret@127.0.0.1:{port}/optuna'
    ])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith('error: cannot open storage postgresql://'
                          f'user:***@127.0.0.1:{port}/optuna: ')
    assert 'secret' not in err
    assert len(err.strip().splitlines()) == 1
    rc = sweep_tool.main([
        str(CONFIG), '--space', str(SPACE), '--study', 's', '--trials', '1',
        '--work-root', str(tmp_path), '--storage', 'redis://x'
    ])
    assert rc == 2
    assert "storage 'redis://x' is not understood" in \
        capsys.readouterr().err


# ------------------------------------------------------------ end to end
@pytest.mark.timeout(3000)
def test_four_trial_sweep_prunes_divergence_and_best_config_trains(
        tmp_path, capsys, monkeypatch):
    root = tmp_path / 'sweeps'
    args = [
        str(CONFIG), '--space', str(WIDE_SPACE), '--study', 'e2e',
        '--trials', '4', '--work-root', str(root), '--sampler', 'random',
        '--seed', '0', '--worker-id', 'e2e', '--pruner', 'median',
        '--n-startup-trials', '1', '--launcher', 'none',
        '--enqueue', f'{LR}=0.03', 'model.hidden=16',
        '--enqueue', f'{LR}=5.0', 'model.hidden=16',
        '--enqueue', f'{LR}=0.1', 'model.hidden=16',
    ]
    assert sweep_tool.main(args) == 0
    storage = f'sqlite:///{root}/e2e/study.db'
    study = optuna.load_study(study_name='e2e', storage=storage)
    _no_duplicates(study, 4)
    by_number = {t.number: t for t in study.get_trials()}
    good, diverged = by_number[0], by_number[1]
    assert good.params[LR] == 0.03 and diverged.params[LR] == 5.0
    assert good.state.name == 'COMPLETE'
    # objective = best validation toy/mse of the run, read from its logs
    from mmext.workflow.results import val_curve
    curve = val_curve(good.user_attrs['work_dir'], 'toy/mse')
    assert sorted(curve) == [1, 2, 3]
    assert good.value == min(curve.values())
    assert good.intermediate_values == curve  # reported by the hook
    # the diverging trial was pruned after epoch 1 of 3 and stopped there
    # by the median pruner: its epoch-1 error is far above the completed
    # trial's at epoch 1
    assert diverged.state.name == 'PRUNED'
    assert diverged.user_attrs['pruned_at_step'] == 1
    assert list(diverged.intermediate_values) == [1]
    assert diverged.intermediate_values[1] > 10 * curve[1]
    assert diverged.value == diverged.intermediate_values[1]
    wd = Path(diverged.user_attrs['work_dir'])
    assert wd == root / 'e2e' / 'trial_1'
    assert (wd / 'epoch_1.pth').is_file()
    assert not (wd / 'epoch_2.pth').exists()

    # restarting the finished sweep runs nothing again
    assert sweep_tool.main(args) == 0
    assert len(study.get_trials()) == 4

    # the summary from another directory, with the full schedule restored
    capsys.readouterr()
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert sweep_tool.main([str(CONFIG), '--study', 'e2e', '--work-root',
                            '../sweeps', '--summary', '--best-epochs',
                            '6']) == 0
    out = capsys.readouterr().out
    best = study.best_trial
    assert f'#{best.number:<4d} {best.value:.6g}' in out
    states = [t.state.name for t in study.get_trials()]
    n_done, n_pruned = states.count('COMPLETE'), states.count('PRUNED')
    assert n_done >= 2 and n_done + n_pruned == 4  # 0.03 and 0.1 finish
    assert f"study 'e2e': 4 trials complete {n_done}, pruned {n_pruned}; " \
        f'0 retries; pruned at steps {[1] * n_pruned}' in out
    assert 'parameter importances (PED-ANOVA, Optuna 5.0\'s default, ' \
        f'from {n_done} completed trials)' in out
    for name in ('history', 'parallel_coordinate', 'importances'):
        assert (root / 'e2e' / f'{name}.png').stat().st_size > 1000
    best_cfg = root / 'e2e' / 'best_config.py'
    text = best_cfg.read_text()
    assert 'OptunaPruningHook' not in text
    assert f'Best trial {best.number} ' in text
    assert '# train_cfg.max_epochs: 3 in the sweep, 6 here' in text

    # tools/test.py on a trial dir keeps the trial's config file
    wd = Path(best.user_attrs['work_dir'])
    before = (wd / 'trial_config.py').read_text()
    ckpt = sorted(wd.glob('best_*.pth'))[0]
    res = run_tool(['test.py', wd / 'trial_config.py', ckpt, '--work-dir',
                    wd])
    assert res.returncode == 0, res.stderr[-2000:]
    assert (wd / 'trial_config.py').read_text() == before
    assert 'load_from' in (wd / 'test_trial_config.py').read_text()

    # the report from the trial dirs has a sweep section
    from mmext.workflow.report import build_report
    from mmext.workflow.results import Experiment
    exps = [Experiment(str(p)) for p in sorted((root / 'e2e').glob(
        'trial_*'))]
    rep = build_report(exps, str(tmp_path / 'report'), 'toy/mse', 'less')
    md = Path(rep['markdown']).read_text()
    assert '## Sweep' in md
    assert f'4 trials, complete {n_done}, pruned {n_pruned}; 0 retries' \
        in md
    assert f'pruned at steps {[1] * n_pruned}' in md
    assert 'Parameter importances (PED-ANOVA, Optuna\'s default) from ' \
        f'{n_done} completed trials: too few trials' in md
    assert f'Best trial {best.number}: toy/mse {best.value:.4g}' in md

    # the best config is complete: it trains on its own
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(str(best_cfg))
    assert cfg.train_cfg.max_epochs == 6
    assert cfg.optim_wrapper.optimizer.lr == best.params[LR]
    assert cfg.model.hidden == best.params['model.hidden']
    cfg.work_dir = str(tmp_path / 'best_run')
    cfg.train_cfg.max_epochs = 1
    cfg.experiment_name = 'best_config_run'
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert (tmp_path / 'best_run' / 'epoch_1.pth').is_file()


# ------------------------------------------------------ shared studies
_STARTED = []


@pytest.fixture(autouse=True)
def _kill_leftovers():
    """Workers (and their training processes, same process group) that a
    failing test left behind are killed."""
    yield
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


def _worker(tmp_path, storage, study, trials, name, *extra):
    log = open(tmp_path / f'{name}.log', 'w')
    cmd = [sys.executable, str(ROOT / 'tools/sweep.py'), str(CONFIG),
           '--space', str(SPACE), '--study', study, '--trials',
           str(trials), '--storage', storage, '--work-root',
           str(tmp_path / 'sweeps'), '--launcher', 'none', '--sampler',
           'random', '--pruner', 'none', *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=tool_env(), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    _STARTED.append(proc)
    return proc


def _wait(proc, tmp_path, name, timeout=1500):
    # generous: on a 2-core machine busy with other work a trial that
    # takes seconds when idle has been seen to take minutes
    rc = proc.wait(timeout=timeout)
    assert rc == 0, (tmp_path / f'{name}.log').read_text()[-3000:]


@pytest.mark.timeout(3000)
def test_journal_study_two_workers_after_a_sigkill(tmp_path):
    storage = f'journal:///{tmp_path}/study.log'
    slow = ['--heartbeat', '1', '--grace', '20', '--cfg-options',
            'train_dataloader.dataset.delay=0.03']
    # a worker is killed (with its training process) in the middle of
    # its first trial, like a node failure. It is killed once the state the
    # test means exists: a resumable checkpoint, i.e. `last_checkpoint`
    # naming epoch_1.pth (the checkpoint hook writes the checkpoint file,
    # then `last_checkpoint`; a kill between the two leaves a run that
    # correctly starts over, which is not what this test is about).
    first = _worker(tmp_path, storage, 'shared', 3, 'w0', *slow)
    trial0 = tmp_path / 'sweeps' / 'shared' / 'trial_0'
    reached = wait_until(last_checkpoint_is(trial0, ['epoch_1.pth']), first,
                         timeout=1200, poll=0.05)
    assert reached, 'trial 0 never reached epoch 1: ' + \
        (tmp_path / 'w0.log').read_text()[-3000:]
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    # the trial's supervisor ends its training after the worker's death
    # (SIGTERM, then SIGKILL): wait for that state before looking at files
    gone = time.monotonic() + 60
    while _trial_processes(str(trial0)):
        assert time.monotonic() < gone, _trial_processes(str(trial0))
        time.sleep(0.1)
    assert not (trial0 / 'epoch_3.pth').exists(), 'the kill came too late'

    # two new workers share the study: they run the remaining trials,
    # notice the dead trial by its stale heartbeat and retry it, resuming
    # from its checkpoint
    workers = [_worker(tmp_path, storage, 'shared', 3, f'w{i}', *slow)
               for i in (1, 2)]
    for i, w in enumerate(workers, 1):
        _wait(w, tmp_path, f'w{i}')
    study = optuna.load_study(
        study_name='shared',
        storage=sweep_tool.open_storage(storage))
    _no_duplicates(study, 3)
    trials = study.get_trials()
    dead = trials[0]
    assert dead.state.name == 'FAIL'
    assert 'no heartbeat' in dead.user_attrs['fail_reason']
    retry = [t for t in trials if t.user_attrs.get('retry_of') == 0]
    assert len(retry) == 1 and retry[0].state.name == 'COMPLETE'
    assert retry[0].params == dead.params
    assert retry[0].user_attrs['work_dir'] == str(trial0)
    logs = (trial0 / 'sweep_train.log').read_text()
    assert 'Auto resumed from the latest checkpoint' in logs
    from mmext.workflow.results import val_curve
    assert sorted(val_curve(str(trial0), 'toy/mse')) == [1, 2, 3]
    # the two workers ran the three trials between them
    ran = [int((tmp_path / f'w{i}.log').read_text().split(
        'this worker ran ')[1].split()[0]) for i in (1, 2)]
    assert sum(ran) >= 3


def _pg_bin():
    for ver in ('17', '16', '15', '14'):
        path = Path(f'/usr/lib/postgresql/{ver}/bin')
        if (path / 'initdb').is_file():
            return path
    found = shutil.which('initdb')
    return Path(found).parent if found else None


@pytest.fixture
def postgres_url():
    """A throw-away PostgreSQL server on a free port."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip('PostgreSQL server binaries (initdb, pg_ctl) are not '
                    'installed on this machine')
    pytest.importorskip('psycopg2', reason='psycopg2 is not installed')
    root = tempfile.mkdtemp(prefix='mmext_pg_')
    os.chmod(root, 0o777)
    data, sock = os.path.join(root, 'data'), os.path.join(root, 'sock')
    os.mkdir(sock)
    os.chmod(sock, 0o777)
    port = free_port()
    as_root = os.geteuid() == 0

    def run(cmd):
        if as_root:  # PostgreSQL refuses to run as root
            cmd = ['su', 'postgres', '-s', '/bin/sh', '-c',
                   ' '.join(shlex.quote(c) for c in cmd)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    run([str(bindir / 'initdb'), '-D', data, '-A', 'trust', '-U',
         'postgres', '--no-sync'])
    run([str(bindir / 'pg_ctl'), '-D', data, '-w', '-t', '120', '-l',
         os.path.join(root, 'server.log'), '-o',
         f'-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off',
         'start'])
    try:
        run([str(bindir / 'createdb'), '-h', '127.0.0.1', '-p', str(port),
             '-U', 'postgres', 'optuna'])
        yield f'postgresql://postgres@127.0.0.1:{port}/optuna'
    finally:
        run([str(bindir / 'pg_ctl'), '-D', data, '-m', 'immediate',
             'stop'])
        shutil.rmtree(root, ignore_errors=True)


def _dead_trial_retried(trials, work_dir):
    """Trial 0 died (no heartbeat); its one retry completed in the same
    work dir, resumed from its checkpoint. Returns ``(dead, retry)``."""
    dead = trials[0]
    assert dead.state.name == 'FAIL'
    assert 'no heartbeat' in dead.user_attrs['fail_reason']
    retry = [t for t in trials if t.user_attrs.get('retry_of') == 0]
    assert len(retry) == 1 and retry[0].state.name == 'COMPLETE'
    assert retry[0].params == dead.params
    assert retry[0].user_attrs['work_dir'] == str(work_dir)
    assert 'Auto resumed from the latest checkpoint' in (
        work_dir / 'sweep_train.log').read_text()
    return dead, retry[0]


def _trial_processes(marker: str) -> list:
    """``(pid, cmdline)`` of every live process (zombies left out) whose
    command line names ``marker`` (a trial work dir)."""
    found = []
    for name in os.listdir('/proc'):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f'/proc/{name}/stat') as f:
                if f.read().rsplit(')', 1)[1].split()[0] == 'Z':
                    continue
            with open(f'/proc/{name}/cmdline', 'rb') as f:
                cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
        except OSError:
            continue
        if marker in cmd:
            found.append((int(name), cmd))
    return found


def _wait_for(what, check, deadline_s, proc=None, log=None):
    deadline = time.time() + deadline_s
    while not check():
        if proc is not None:
            assert proc.poll() is None, log.read_text()[-3000:]
        assert time.time() < deadline, what
        time.sleep(0.05)


@pytest.mark.timeout(3000)
def test_postgresql_two_workers_after_a_sigkill_through_torchrun(
        tmp_path, postgres_url):
    """The default launcher (dist_train.sh -> torchrun -> a rank in its own
    session): a SIGKILLed worker leaves no process of its trial behind
    10 s later; two workers with the same --seed finish the study, retry
    the dead trial from its checkpoint, and propose no point twice."""
    sweep_tool.open_storage(postgres_url)
    slow = ['--launcher', 'dist', '--seed', '0', '--heartbeat', '1',
            '--grace', '8', '--cfg-options',
            'train_dataloader.dataset.delay=0.03']
    first = _worker(tmp_path, postgres_url, 'pg', 3, 'p0', '--worker-id',
                    'p0', *slow)
    trial0 = tmp_path / 'sweeps' / 'pg' / 'trial_0'
    last = trial0 / 'last_checkpoint'
    _wait_for('trial 0 never saved epoch 1',
              lambda: last.is_file() and
              last.read_text().strip().endswith('epoch_1.pth'), 1200,
              first, tmp_path / 'p0.log')
    procs = _trial_processes(str(trial0))
    # the rank is there, started by torchrun in a session of its own
    ranks = [p for p, cmd in procs if '--launcher pytorch' in cmd]
    assert ranks, procs
    assert all(os.getsid(p) != os.getsid(first.pid) for p in ranks)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    killed = time.time()
    while _trial_processes(str(trial0)) and time.time() < killed + 10:
        time.sleep(0.1)
    assert not _trial_processes(str(trial0)), _trial_processes(str(trial0))

    workers = [_worker(tmp_path, postgres_url, 'pg', 3, f'p{i}',
                       '--worker-id', f'p{i}', *slow) for i in (1, 2)]
    for i, w in enumerate(workers, 1):
        _wait(w, tmp_path, f'p{i}')
    assert not _trial_processes(str(tmp_path / 'sweeps')), 'orphans'
    study = optuna.load_study(study_name='pg',
                              storage=sweep_tool.open_storage(postgres_url))
    trials = study.get_trials()
    states = [t.state.name for t in trials]
    # every trial accounted for: 3 finished, the dead one, and skipped
    # duplicates / surplus trials that never trained
    trained = [t for t in trials if not t.user_attrs.get('skipped') and
               not t.user_attrs.get('fail_reason', '').startswith('surplus')]
    assert sum(s == 'COMPLETE' for s in states) == 3, states
    assert [t.state.name for t in trained].count('FAIL') == 1, states
    dead, retry = _dead_trial_retried(trials, trial0)
    # the retry carries the dead run's history: epoch 1 was copied over
    assert sorted(retry.intermediate_values) == [1, 2, 3]
    assert retry.intermediate_values[1] == dead.intermediate_values[1]
    # no point proposed twice, although all three workers used --seed 0
    points = [tuple(sorted(t.params.items())) for t in trained
              if t.user_attrs.get('retry_of') is None]
    assert len(points) == len(set(points)) == 3
    # the study's best is the best work dir's metric
    from mmext.workflow.results import val_curve
    done = [t for t in trials if t.state.name == 'COMPLETE']
    best_dir = {t.user_attrs['work_dir']: min(val_curve(
        t.user_attrs['work_dir'], 'toy/mse').values()) for t in done}
    assert study.best_value == min(best_dir.values())
    assert best_dir[study.best_trial.user_attrs['work_dir']] == \
        study.best_value


# ------------------------------------------------------ distinct trials
def test_workers_sharing_a_seed_draw_distinct_reproducible_points():
    from mmext.utils import load_config
    from mmext.workflow.sweep import (check_space, derive_seed, load_space,
                                      make_sampler, suggest)
    space = check_space(load_space(str(SPACE)),
                        load_config(str(CONFIG), check_data=False), 'space')

    def run(name, seeds, n=12):
        storage = optuna.storages.InMemoryStorage()
        optuna.create_study(study_name='s', storage=storage)
        studies = [optuna.load_study(study_name='s', storage=storage,
                                     sampler=make_sampler(name, space, s))
                   for s in seeds]
        for i in range(n):  # the workers take turns
            study = studies[i % len(studies)]
            trial = study.ask()
            params, _ = suggest(trial, space)
            study.tell(trial, params[LR] * params['model.hidden'])
        return [tuple(sorted(t.params.items()))
                for t in studies[0].get_trials()]

    for name in ('tpe', 'random'):  # 12 trials: all TPE startup trials
        seeds = [derive_seed(0, w, 0) for w in ('host-a-1', 'host-b-1')]
        points = run(name, seeds)
        assert len(set(points)) == len(points) == 12, name
        assert run(name, seeds) == points  # reproducible from seed + ids
        # the old behaviour (every worker seeded with --seed) repeats
        same = run(name, [0, 0])
        assert same[0] == same[1] and same[2] == same[3]
    # a restarted worker continues with new points
    assert derive_seed(0, 'w', 0) != derive_seed(0, 'w', 1)
    assert derive_seed(None, 'w', 0) is None


def test_worker_restart_count_and_live_id_refused():
    from mmext.workflow.sweep import SweepError, register_worker
    study = optuna.create_study()
    assert register_worker(study, 'a', grace=60) == 0
    with pytest.raises(SweepError, match="worker id 'a' is in use by a "
                       'live worker'):
        register_worker(study, 'a', grace=60)  # this very process
    assert register_worker(study, 'b', grace=60) == 0
    rec = dict(study.user_attrs['worker:a'], beat=time.time() - 120)
    study.set_user_attr('worker:a', rec)
    assert register_worker(study, 'a', grace=60) == 1  # a restart
    assert study.user_attrs['worker:a']['starts'] == 2


def test_reused_study_name_with_another_space_is_refused(tmp_path, capsys):
    root = str(tmp_path / 'sweeps')
    base = [str(CONFIG), '--study', 's', '--trials', '2', '--work-root',
            root, '--check']
    assert sweep_tool.main(base + ['--space', str(SPACE)]) == 0
    assert 'check passed' in capsys.readouterr().out
    assert sweep_tool.main(base + ['--space', str(WIDE_SPACE)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: study 's' was created with another space;"
                          ' differing keys: optim_wrapper.optimizer.lr ('), err
    assert 'model.hidden' not in err
    assert len(err.strip().splitlines()) == 1


# ---------------------------------------------------- bounded failure
@pytest.mark.timeout(600)
def test_worker_stops_after_max_failures_in_a_row(tmp_path):
    log = tmp_path / 'w.log'
    proc = subprocess.run(
        [sys.executable, str(ROOT / 'tools/sweep.py'), str(CONFIG),
         '--space', str(ROOT / 'tests/data/sweeps/toy_space_bad.py'),
         '--study', 'bad', '--trials', '1', '--work-root',
         str(tmp_path / 'sweeps'), '--launcher', 'none', '--sampler',
         'random', '--max-failures', '2'],
        cwd=ROOT, env=tool_env(), stdout=open(log, 'w'),
        stderr=subprocess.STDOUT, timeout=600)
    out = log.read_text()
    assert proc.returncode == 1, out
    assert 'error: 2 trials failed in a row (--max-failures 2)' in out
    assert out.count('training exited with code 1') == 4  # 2 logs, 2 reasons
    assert 'dropout probability has to be between 0 and 1' in out
    study = optuna.load_study(
        study_name='bad',
        storage=f'sqlite:///{tmp_path}/sweeps/bad/study.db')
    assert [t.state.name for t in study.get_trials()] == ['FAIL', 'FAIL']


@pytest.mark.timeout(900)
def test_grid_with_a_failing_point_runs_each_point_once(tmp_path):
    grid = ROOT / 'tests/data/sweeps/toy_grid_one_bad.py'
    args = [str(CONFIG), '--space', str(grid), '--study', 'g',
            '--work-root', str(tmp_path / 'sweeps'), '--launcher', 'none',
            '--sampler', 'grid', '--seed', '0', '--pruner', 'none',
            '--cfg-options', 'train_cfg.max_epochs=1']

    def sweep(name, *extra):
        log = tmp_path / f'{name}.log'
        rc = subprocess.run(
            [sys.executable, str(ROOT / 'tools/sweep.py'), *args, *extra],
            cwd=ROOT, env=tool_env(), stdout=open(log, 'w'),
            stderr=subprocess.STDOUT, timeout=900).returncode
        out = log.read_text()
        assert rc == 0, out
        return out

    out = sweep('first')
    storage = f'sqlite:///{tmp_path}/sweeps/g/study.db'
    study = optuna.load_study(study_name='g', storage=storage)
    trials = study.get_trials()
    assert sorted(t.state.name for t in trials) == \
        ['COMPLETE', 'COMPLETE', 'COMPLETE', 'FAIL']
    assert sorted(t.params['variant'] for t in trials) == \
        ['bad', 'h16', 'h4', 'h8']
    bad = next(t for t in trials if t.params['variant'] == 'bad')
    assert bad.state.name == 'FAIL'
    # one FAILED line, for the bad point; the grid's end is no failure
    failed = [line for line in out.splitlines() if 'FAILED' in line]
    assert len(failed) == 1 and f'trial {bad.number} FAILED' in failed[0]
    assert "grid point {'variant': 'bad'} failed in trial" in out
    assert 'grid done: complete 3, fail 1' in out
    # a second run re-runs nothing, the failed point included
    again = sweep('again')
    assert 'this worker ran 0 trial(s)' in again
    assert len(study.get_trials()) == 4
    # ... unless asked to retry failed points
    retried = sweep('retry', '--retry-failed')
    assert 'this worker ran 1 trial(s)' in retried
    trials = study.get_trials()
    assert len(trials) == 5
    assert trials[-1].params == bad.params
    assert trials[-1].user_attrs['retry_of'] == bad.number


@pytest.mark.parametrize('space,config', [
    ('pose3d_lr-bs-wd_grid.py',
     'pose3d/mambagcn/mambagcn-b_243frm_1xb16-60e_h36m.py'),
    ('pose3d_architecture.py',
     'pose3d/motionagformer/motionagformer-b_243frm_1xb16-60e_h36m.py'),
    ('pose3d_demo.py', 'pose3d/motionagformer/'
     'motionagformer-xs4l_27frm_1xb16-10e_h36m-demo.py'),
    ('pose3d_mambagcn.py',
     'pose3d/mambagcn/mambagcn-b_243frm_1xb16-60e_h36m.py'),
])
def test_shipped_spaces_fit_the_pose_configs(space, config):
    from mmext.utils import load_config
    from mmext.workflow.sweep import check_space, grid_space, load_space
    cfg = load_config(str(ROOT / 'configs' / config), check_data=False)
    checked = check_space(load_space(str(ROOT / 'sweeps' / space)),
                          cfg, space)
    if space in ('pose3d_lr-bs-wd_grid.py', 'pose3d_architecture.py'):
        sizes = [len(v) for v in grid_space(checked).values()]
        assert int(np.prod(sizes)) == {'pose3d_lr-bs-wd_grid.py': 36,
                                       'pose3d_architecture.py': 12}[space]


def test_parallel_coordinate_labels_are_distinct():
    import matplotlib
    matplotlib.use('Agg')
    from optuna.visualization.matplotlib import plot_parallel_coordinate

    from mmext.workflow.sweep.summary import parallel_labels, short_names
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(0))
    for _ in range(4):
        t = study.ask()
        lr = t.suggest_float(LR, 1e-4, 1e-2, log=True)
        wd = t.suggest_float('optim_wrapper.optimizer.weight_decay', 0, 1)
        study.tell(t, lr + wd)
    ax = plot_parallel_coordinate(study)
    before = [t.get_text() for t in ax.get_xticklabels()]
    assert before[1] == before[2]  # Optuna cuts both to 17 characters
    parallel_labels(ax, sorted(study.best_params))
    assert [t.get_text() for t in ax.get_xticklabels()][1:] == \
        ['lr', 'weight_decay']
    assert short_names(['a.b.lr', 'c.b.lr', 'x.y']) == {
        'a.b.lr': 'a.b.lr', 'c.b.lr': 'c.b.lr', 'x.y': 'y'}


def test_slurm_sweep_checks_space_and_config_before_submitting(tmp_path):
    fake = tmp_path / 'bin'
    fake.mkdir()
    (fake / 'sbatch').write_text('#!/bin/sh\necho "$@" > ' +
                                 str(tmp_path / 'submitted') + '\n')
    (fake / 'sbatch').chmod(0o755)
    bad = tmp_path / 'bad.py'
    bad.write_text("space = {'model.hiden': dict(type='categorical', "
                   "choices=[8])}\n")
    env = dict(PATH=f'{fake}:{os.environ["PATH"]}')
    storage = f'journal:///{tmp_path}/study.log'
    res = run_tool(['slurm_sweep.sh', 'part', 'st', CONFIG, bad, storage,
                    '--trials', '2'], **env)
    assert res.returncode != 0
    assert "names the config key 'model.hiden'" in res.stderr
    assert not (tmp_path / 'submitted').exists()
    res = run_tool(['slurm_sweep.sh', 'part', 'st', CONFIG, SPACE, storage,
                    '--trials', '2'], **env)
    assert res.returncode == 0, res.stderr
    assert 'check passed' in res.stdout
    sub = (tmp_path / 'submitted').read_text()
    assert '--array=0-7' in sub and '--trials 2' in sub


# ------------------------------------------------------- kills and locks
@pytest.mark.timeout(900)
def test_sigterm_to_a_worker_ends_its_training_and_requeues_the_trial(
        tmp_path):
    storage = f'sqlite:///{tmp_path}/study.db'
    w = _worker(tmp_path, storage, 'term', 1, 'w', '--heartbeat', '1',
                '--cfg-options', 'train_dataloader.dataset.delay=0.03')
    trial0 = tmp_path / 'sweeps' / 'term' / 'trial_0'
    last = trial0 / 'last_checkpoint'
    _wait_for('trial 0 never saved epoch 1',
              lambda: last.is_file() and
              last.read_text().strip().endswith('epoch_1.pth'), 600,
              w, tmp_path / 'w.log')
    assert _trial_processes(str(trial0))
    os.kill(w.pid, signal.SIGTERM)  # the worker only, not its group
    assert w.wait(timeout=120) == 128 + signal.SIGTERM
    # the worker waited for its supervisor, which waited for the training
    assert not _trial_processes(str(trial0))
    study = optuna.load_study(study_name='term', storage=storage)
    trials = study.get_trials()
    assert trials[0].state.name == 'FAIL'
    assert trials[0].user_attrs['fail_reason'] == \
        'worker stopped by SIGTERM'
    assert trials[1].state.name == 'WAITING'  # resumes when run again
    assert trials[1].user_attrs['retry_of'] == 0
    assert trials[1].user_attrs['work_dir'] == str(trial0)
    # the lock went with the training: a retry can take it at once
    from mmext.workflow.sweep.worker import lock_work_dir
    os.close(lock_work_dir(str(trial0), 1, wait=0))


def test_work_dir_lock_names_its_holder(tmp_path):
    from mmext.workflow.sweep.worker import WorkDirBusy, lock_work_dir
    holder = subprocess.Popen(
        [sys.executable, '-c',
         'import sys, time\n'
         'from mmext.workflow.sweep.worker import lock_work_dir\n'
         f'lock_work_dir({str(tmp_path)!r}, 7)\n'
         'print("locked", flush=True)\n'
         'time.sleep(60)\n'],
        cwd=ROOT, env=tool_env(), stdout=subprocess.PIPE, text=True)
    _STARTED.append(holder)
    assert holder.stdout.readline().strip() == 'locked'
    t0 = time.time()
    with pytest.raises(WorkDirBusy, match=r'is locked by a training that '
                       rf'still runs \(trial 7, worker host \S+ pid '
                       rf'{holder.pid}, since '):
        lock_work_dir(str(tmp_path), 8, wait=0.5)
    assert time.time() - t0 >= 0.5
    holder.kill()
    holder.wait()
    os.close(lock_work_dir(str(tmp_path), 8, wait=5))  # free again


def test_storage_calls_retry_with_backoff_and_leave_a_note(
        tmp_path, monkeypatch):
    from optuna.exceptions import StorageInternalError

    from mmext.engine.hooks.optuna_pruning_hook import OptunaPruningHook
    from mmext.workflow.sweep import retry_storage
    calls = []

    def flaky():
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise StorageInternalError('server closed the connection')
        return 'ok'

    logged = []
    assert retry_storage(flaky, timeout=30, log=logged.append) == 'ok'
    assert len(calls) == 3 and len(logged) == 2
    assert calls[1] - calls[0] >= 0.5 and calls[2] - calls[1] >= 1.0
    with pytest.raises(ValueError):  # not a storage error: no retry
        retry_storage(lambda: int('x'), timeout=30)

    # the pruning hook: a storage that stays away leaves the worker a note
    monkeypatch.setenv('MMEXT_SWEEP_STORAGE_RETRY_S', '1')

    class Runner:
        work_dir = str(tmp_path)

        class logger:
            warning = staticmethod(logged.append)

    def down():
        raise StorageInternalError('could not connect to server')

    with pytest.raises(StorageInternalError):
        OptunaPruningHook('toy/mse')._storage(Runner, 'reporting', down)
    note = (tmp_path / 'sweep_storage_error.txt').read_text()
    assert note == ('reporting: StorageInternalError: could not connect '
                    'to server\n')
