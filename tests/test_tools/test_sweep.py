# Copyright (c) mmext contributors. All rights reserved.
"""tools/sweep.py end to end on the toy regression config: real training
runs as trials, a real pruner, journal-file and PostgreSQL studies shared by
worker processes, and a worker killed with SIGKILL in the middle of a
trial."""
import importlib.util
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import optuna
import pytest
from conftest import ROOT, free_port, tool_env

from mmext.testing.procs import last_checkpoint_is, wait_until

CONFIG = ROOT / 'tests/data/configs/toy_sweep.py'
SPACE = ROOT / 'tests/data/sweeps/toy_space.py'
WIDE_SPACE = ROOT / 'tests/data/sweeps/toy_space_wide.py'
LR = 'optim_wrapper.optimizer.lr'

spec = importlib.util.spec_from_file_location('sweep_tool',
                                              ROOT / 'tools/sweep.py')
sweep_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sweep_tool)


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
        tmp_path, capsys):
    root = tmp_path / 'sweeps'
    args = [
        str(CONFIG), '--space', str(WIDE_SPACE), '--study', 'e2e',
        '--trials', '4', '--work-root', str(root), '--sampler', 'random',
        '--seed', '0', '--pruner', 'median', '--n-startup-trials', '1',
        '--launcher', 'none',
        '--enqueue', f'{LR}=0.03', 'model.hidden=16',
        '--enqueue', f'{LR}=5.0', 'model.hidden=16',
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

    capsys.readouterr()
    assert sweep_tool.main([str(CONFIG), '--study', 'e2e', '--work-root',
                            str(root), '--summary']) == 0
    out = capsys.readouterr().out
    best = study.best_trial
    assert f'#{best.number:<4d} {best.value:.6g}' in out
    for name in ('history', 'parallel_coordinate', 'importances'):
        assert (root / 'e2e' / f'{name}.png').stat().st_size > 1000
    best_cfg = root / 'e2e' / 'best_config.py'
    text = best_cfg.read_text()
    assert 'OptunaPruningHook' not in text
    assert f'Best trial {best.number} ' in text

    # the best config is complete: it trains on its own
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(str(best_cfg))
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


@pytest.mark.timeout(3000)
def test_postgresql_study_shared_by_two_workers(tmp_path, postgres_url):
    # create the study first so that the two workers only load it
    sweep_tool.open_storage(postgres_url)
    workers = [_worker(tmp_path, postgres_url, 'pg', 2, f'p{i}')
               for i in (1, 2)]
    for i, w in enumerate(workers, 1):
        _wait(w, tmp_path, f'p{i}')
    study = optuna.load_study(study_name='pg',
                              storage=sweep_tool.open_storage(postgres_url))
    _no_duplicates(study, 2)
    assert all(t.state.name == 'COMPLETE' for t in study.get_trials())


@pytest.mark.parametrize('space,config', [
    ('pose3d_lr-bs-wd_grid.py',
     'pose3d/mambagcn/mambagcn-b_243frm_1xb16-60e_h36m.py'),
    ('pose3d_architecture.py',
     'pose3d/motionagformer/motionagformer-b_243frm_1xb16-60e_h36m.py'),
    ('pose3d_demo.py', 'pose3d/motionagformer/'
     'motionagformer-xs4l_27frm_1xb16-10e_h36m-demo.py'),
])
def test_shipped_spaces_fit_the_pose_configs(space, config):
    from mmext.utils import load_config
    from mmext.workflow.sweep import check_space, grid_space, load_space
    cfg = load_config(str(ROOT / 'configs' / config), check_data=False)
    checked = check_space(load_space(str(ROOT / 'configs/sweeps' / space)),
                          cfg, space)
    if space != 'pose3d_demo.py':
        sizes = [len(v) for v in grid_space(checked).values()]
        assert int(np.prod(sizes)) == {'pose3d_lr-bs-wd_grid.py': 36,
                                       'pose3d_architecture.py': 12}[space]
