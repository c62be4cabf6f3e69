# Copyright (c) mmext contributors. All rights reserved.
"""``tools/sweep.py --summary``: best trials, importances, plots and the
best trial as a complete config file."""
import json
import os
import os.path as osp
from typing import List

__all__ = ['summarize', 'trial_rows', 'save_plots', 'write_best_config']


def trial_rows(study) -> List[dict]:
    """One dict per trial: number, state, value, params, work dir and the
    time split behind the sweep overhead."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        attrs = t.user_attrs
        rows.append(
            dict(number=t.number, state=t.state.name, value=t.value,
                 params=t.params, work_dir=attrs.get('work_dir'),
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
        fig.set_size_inches(7, 4.5)
        fig.tight_layout()
        for ext in exts:
            path = osp.join(out_dir, f'{name}.{ext}')
            fig.savefig(path, dpi=120)
            written.append(path)
        plt.close(fig)
    return written


def write_best_config(study, out_path: str) -> str:
    """The best trial's config (its ``trial_config.py`` without the
    pruning hook), with a header naming the trial and its value."""
    from mmengine.config import Config

    from mmext.workflow.sweep import build_trial_config
    best = study.best_trial
    src = osp.join(best.user_attrs['work_dir'], 'trial_config.py')
    if not osp.isfile(src):
        raise FileNotFoundError(f'best trial {best.number}: {src} is '
                                'missing')
    cfg = build_trial_config(Config.fromfile(src), {}, metric='',
                             pruning=False)
    text = cfg.pretty_text
    header = (f'# Best trial {best.number} of study {study.study_name!r}: '
              f'objective {best.value!r}\n# params: {best.params!r}\n'
              f'# from {src}\n')
    os.makedirs(osp.dirname(osp.abspath(out_path)), exist_ok=True)
    with open(out_path, 'w') as f:
        f.write(header + text)
    return out_path


def summarize(study_name: str, storage, sweep_dir: str, top: int,
              metric: str) -> int:
    import optuna
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        print(f'error: no study named {study_name!r} in this storage')
        return 2
    rows = trial_rows(study)
    finished = [r for r in rows if r['state'] == 'COMPLETE']
    reverse = study.direction.name == 'MAXIMIZE'
    finished.sort(key=lambda r: r['value'], reverse=reverse)
    counts = {}
    for r in rows:
        counts[r['state']] = counts.get(r['state'], 0) + 1
    print(f'study {study_name!r}: {len(rows)} trials ' +
          ', '.join(f'{k.lower()} {v}' for k, v in sorted(counts.items())))
    print(f'\nbest {min(top, len(finished))} trials ({metric}, '
          f'{study.direction.name.lower()}):')
    for r in finished[:top]:
        print(f'  #{r["number"]:<4d} {r["value"]:.6g}  {r["params"]}  '
              f'{r["work_dir"]}')
    os.makedirs(sweep_dir, exist_ok=True)
    out = dict(study=study_name, direction=study.direction.name.lower(),
               metric=metric, trials=rows)
    if len(finished) >= 2:
        try:
            imp = optuna.importance.get_param_importances(study)
            out['importances'] = imp
            print('\nparameter importances (Optuna\'s default evaluator):')
            for k, v in imp.items():
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
                                                 'best_config.py'))
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
