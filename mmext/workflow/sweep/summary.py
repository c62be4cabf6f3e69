# Copyright (c) mmext contributors. All rights reserved.
"""``tools/sweep.py --summary``: best trials, importances, plots and the
best trial as a complete config file."""
import json
import os
import os.path as osp
from typing import List, Optional

__all__ = [
    'summarize', 'trial_rows', 'save_plots', 'write_best_config',
    'resolve_work_dir', 'short_names', 'parallel_labels', 'state_counts',
    'importances'
]


def resolve_work_dir(work_dir, sweep_dir: str):
    """A trial's work dir as an absolute path: recorded absolute (this
    version), else relative to the current directory if it exists there,
    else ``<sweep dir>/<its name>`` (studies whose workers recorded paths
    relative to their own working directory)."""
    if not work_dir:
        return None
    if osp.isabs(work_dir):
        return work_dir
    if osp.isdir(work_dir):
        return osp.abspath(work_dir)
    return osp.join(osp.abspath(sweep_dir), osp.basename(work_dir))


def parallel_labels(ax, params) -> None:
    """Distinct axis labels on Optuna's parallel-coordinate plot: Optuna
    cuts every label to 17 characters, which makes
    ``optim_wrapper.optimizer.lr`` and ``...weight_decay`` the same. Its
    axes are the objective, then the parameters sorted by name."""
    params = sorted(params)
    ticks = ax.get_xticklabels()
    if len(ticks) == len(params) + 1:
        labels = short_names(params)
        ax.set_xticks(ax.get_xticks())
        ax.set_xticklabels([ticks[0].get_text()] +
                           [labels[p] for p in params], rotation=330)


def short_names(keys) -> dict:
    """Distinct short labels for dotted config keys: the last component,
    with as many components before it as it takes to tell them apart
    (``optim_wrapper.optimizer.lr`` -> ``lr``)."""
    keys = list(keys)
    depth = {k: 1 for k in keys}
    while True:
        label = {k: '.'.join(k.split('.')[-depth[k]:]) for k in keys}
        clash = [k for k in keys
                 if list(label.values()).count(label[k]) > 1 and
                 depth[k] < len(k.split('.'))]
        if not clash:
            return label
        for k in clash:
            depth[k] += 1


def trial_rows(study) -> List[dict]:
    """One dict per trial: number, state, value, params, work dir and the
    time split behind the sweep overhead."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        attrs = t.user_attrs
        rows.append(
            dict(number=t.number, state=t.state.name, value=t.value,
                 params=t.params, work_dir=attrs.get('work_dir'),
                 worker=attrs.get('worker'),
                 skipped=bool(attrs.get('skipped')),
                 best_step=attrs.get('best_step'),
                 pruned_at_step=attrs.get('pruned_at_step'),
                 trial_seconds=attrs.get('trial_seconds'),
                 train_seconds=attrs.get('train_seconds'),
                 retry_of=attrs.get('retry_of'),
                 fail_reason=attrs.get('fail_reason'),
                 intermediate=dict(t.intermediate_values)))
    return rows


def save_plots(study, out_dir: str, exts=('png', 'pdf')) -> List[str]:
    """Optuna's history, parallel-coordinate and importance plots through
    its matplotlib backend; returns the files written (a plot Optuna
    cannot draw, e.g. importances of a one-parameter study, is skipped
    with a note)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as ovm
    written = []
    params = sorted({p for t in study.get_trials(deepcopy=False)
                     if t.state.name == 'COMPLETE' for p in t.params})
    labels = short_names(params)
    for name, fn in (('history', ovm.plot_optimization_history),
                     ('parallel_coordinate', ovm.plot_parallel_coordinate),
                     ('importances', ovm.plot_param_importances),
                     ('intermediate', ovm.plot_intermediate_values)):
        try:
            ax = fn(study)
        except (ValueError, RuntimeError, ZeroDivisionError) as err:
            print(f'  {name} plot not drawn: {err}')
            continue
        fig = ax.figure if hasattr(ax, 'figure') else ax.flat[0].figure
        if name == 'parallel_coordinate':
            parallel_labels(ax, params)
        elif name == 'importances':
            ax.set_yticklabels([labels.get(t.get_text().split(' (')[0]
                                           .strip(), t.get_text())
                                for t in ax.get_yticklabels()])
        fig.set_size_inches(7, 4.5)
        fig.tight_layout()
        for ext in exts:
            path = osp.join(out_dir, f'{name}.{ext}')
            fig.savefig(path, dpi=120)
            written.append(path)
        plt.close(fig)
    return written


def write_best_config(study, out_path: str, sweep_dir: str,
                      max_epochs: Optional[int] = None) -> str:
    """The best trial's config (its ``trial_config.py`` without the
    pruning hook), with a header naming the trial and its value.

    A sweep usually trains each trial for a few epochs
    (``--cfg-options train_cfg.max_epochs=N``); ``max_epochs`` (the base
    config's, or ``--best-epochs``) restores the full schedule, and the
    header names the schedule entries whose ``end`` / ``T_max`` was tied to
    the sweep's epochs."""
    from mmengine.config import Config

    from .trial_config import build_trial_config
    best = study.best_trial
    src = osp.join(resolve_work_dir(best.user_attrs['work_dir'], sweep_dir),
                   'trial_config.py')
    if not osp.isfile(src):
        raise FileNotFoundError(f'best trial {best.number}: {src} is '
                                'missing')
    cfg = build_trial_config(Config.fromfile(src), {}, metric='',
                             pruning=False)
    notes = []
    trial_epochs = cfg.get('train_cfg', {}).get('max_epochs')
    if max_epochs and trial_epochs and max_epochs != trial_epochs:
        cfg.train_cfg.max_epochs = int(max_epochs)
        notes.append(f'# train_cfg.max_epochs: {trial_epochs} in the sweep, '
                     f'{max_epochs} here')
        sched = cfg.get('param_scheduler') or []
        for i, item in enumerate(sched if isinstance(sched, list) else
                                 [sched]):
            for key in ('end', 'T_max'):
                if item.get(key) == trial_epochs:
                    notes.append(f'# check param_scheduler[{i}].{key} = '
                                 f'{trial_epochs}: it equals the sweep\'s '
                                 'epochs')
    text = cfg.pretty_text
    header = (f'# Best trial {best.number} of study {study.study_name!r}: '
              f'objective {best.value!r}\n# params: {best.params!r}\n'
              f'# from {src}\n' + ''.join(n + '\n' for n in notes))
    os.makedirs(osp.dirname(osp.abspath(out_path)), exist_ok=True)
    with open(out_path, 'w') as f:
        f.write(header + text)
    return out_path


def state_counts(rows: List[dict]) -> dict:
    """Trials by state (a skipped duplicate / surplus trial, which never
    trained, is counted as ``SKIPPED``), retries and pruned steps."""
    counts = {}
    for r in rows:
        state = 'SKIPPED' if r['skipped'] or (
            r['fail_reason'] or '').startswith('surplus') else r['state']
        counts[state] = counts.get(state, 0) + 1
    pruned = sorted(r['pruned_at_step'] for r in rows
                    if r['state'] == 'PRUNED' and
                    r['pruned_at_step'] is not None)
    return dict(states=counts,
                retries=sum(r['retry_of'] is not None for r in rows),
                pruned_steps=pruned)


def importances(study) -> dict:
    """Optuna's parameter importances with the evaluator Optuna 5.0 uses
    by default (``PedAnovaImportanceEvaluator``) and the number of
    completed trials they rest on."""
    import optuna
    from optuna.importance import PedAnovaImportanceEvaluator
    n = sum(t.state.name == 'COMPLETE'
            for t in study.get_trials(deepcopy=False))
    imp = optuna.importance.get_param_importances(
        study, evaluator=PedAnovaImportanceEvaluator())
    return dict(values=dict(imp), evaluator='PED-ANOVA', n_trials=n)


def summarize(study_name: str, storage, sweep_dir: str, top: int,
              metric: str, max_epochs: Optional[int] = None) -> int:
    import optuna
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        print(f'error: no study named {study_name!r} in this storage')
        return 2
    rows = trial_rows(study)
    for r in rows:
        r['work_dir'] = resolve_work_dir(r['work_dir'], sweep_dir)
    finished = [r for r in rows if r['state'] == 'COMPLETE']
    reverse = study.direction.name == 'MAXIMIZE'
    finished.sort(key=lambda r: r['value'], reverse=reverse)
    counts = state_counts(rows)
    print(f'study {study_name!r}: {len(rows)} trials ' +
          ', '.join(f'{k.lower()} {v}'
                    for k, v in sorted(counts['states'].items())) +
          f'; {counts["retries"]} retries; pruned at steps '
          f'{counts["pruned_steps"] or "none"}')
    for r in rows:
        if r['state'] == 'FAIL' and not r['skipped']:
            print(f'  trial {r["number"]} FAIL: {r["fail_reason"]}')
    print(f'\nbest {min(top, len(finished))} trials ({metric}, '
          f'{study.direction.name.lower()}):')
    for r in finished[:top]:
        print(f'  #{r["number"]:<4d} {r["value"]:.6g}  {r["params"]}  '
              f'{r["work_dir"]}')
    os.makedirs(sweep_dir, exist_ok=True)
    out = dict(study=study_name, direction=study.direction.name.lower(),
               metric=metric, trials=rows, counts=counts)
    if len(finished) >= 2:
        try:
            imp = importances(study)
            out['importances'] = imp['values']
            out['importance_evaluator'] = imp['evaluator']
            out['importance_trials'] = imp['n_trials']
            print(f'\nparameter importances ({imp["evaluator"]}, Optuna '
                  f'5.0\'s default, from {imp["n_trials"]} completed '
                  'trials):')
            for k, v in imp['values'].items():
                print(f'  {k:40s} {v:.3f}')
        except (ValueError, RuntimeError) as err:
            print(f'\nparameter importances not computed: {err}')
    else:
        print('\nparameter importances need at least 2 completed trials')
    plots = save_plots(study, sweep_dir)
    if plots:
        print('\nplots: ' + ', '.join(plots))
    if finished:
        path = write_best_config(study, osp.join(sweep_dir,
                                                 'best_config.py'),
                                 sweep_dir, max_epochs)
        print(f'best config: {path}  (train it with tools/dist_train.sh)')
    # overhead: time a trial spends outside its train loop
    split = [(r['trial_seconds'], r['train_seconds']) for r in rows
             if r['trial_seconds'] and r['train_seconds']]
    if split:
        total = sum(a for a, _ in split)
        train = sum(b for _, b in split)
        out['overhead_share'] = (total - train) / total
        print(f'sweep overhead: {100 * (total - train) / total:.1f}% of '
              f'trial time outside the train loop ({len(split)} trials, '
              f'{total:.0f} s in all)')
    with open(osp.join(sweep_dir, 'summary.json'), 'w') as f:
        json.dump(out, f, indent=1, default=str)
    print(f'summary: {osp.join(sweep_dir, "summary.json")}')
    return 0
