# Copyright (c) mmext contributors. All rights reserved.
"""An experiment report (Markdown + self-contained HTML) from work dirs.

Every sentence that states a number reads it from a config, a log, a test
result, a ``complexity.json`` or a per-sample file; a value that does not
exist is written ``missing``.
"""
import base64
import datetime
import html
import os
import os.path as osp
from glob import glob
from typing import List, Optional

from . import figures
from .results import (Experiment, _header_value, config_diff, epochs_trained,
                      get_key, per_group_table, runs, stat, timing)
from .significance import compare, describe
from .tables import MISSING, Table, families, group_table, results_table

__all__ = ['build_report', 'setup_rows', 'sweep_section',
           'find_sweep_summary']


def _fmt(value, digits: int = 3) -> str:
    if value is None or value == '':
        return MISSING
    if isinstance(value, float):
        return f'{value:.{digits}g}'
    return str(value)


def _software(work_dir: str) -> str:
    """Versions from the training log header."""
    for run in runs(work_dir):
        log = osp.join(run, f'{osp.basename(run)}.log')
        if not osp.isfile(log):
            continue
        parts = []
        for key in ('Python', 'PyTorch', 'TorchVision', 'MMEngine',
                    'OpenCV'):
            v = _header_value(log, key)
            if v:
                parts.append(f'{key} {v.split()[0]}')
        if parts:
            return ', '.join(parts)
    return MISSING


def setup_rows(e: Experiment) -> List[tuple]:
    """(item, value) pairs of the experimental setup of one experiment."""
    cfg = e.config()
    if cfg is None:
        return [('config', MISSING)]
    cfg = cfg.to_dict()
    ds = get_key(cfg, 'train_dataloader.dataset') or {}
    while isinstance(ds, dict) and 'dataset' in ds:
        ds = ds['dataset']
    opt = get_key(cfg, 'optim_wrapper.optimizer') or {}
    sched = get_key(cfg, 'param_scheduler') or []
    sched = sched if isinstance(sched, list) else [sched]
    sched_txt = ', '.join(
        f'{s.get("type")}(' + ', '.join(
            f'{k}={v}' for k, v in s.items() if k != 'type') + ')'
        for s in sched) or MISSING
    t = [timing(wd) for wd in e.work_dirs]
    world = t[0]['world_size']
    batch = get_key(cfg, 'train_dataloader.batch_size')
    gpu_h = stat([x['gpu_hours'] for x in t])
    frames = ds.get('seq_len') if isinstance(ds, dict) else None
    return [
        ('config', e.config_name() or MISSING),
        ('training data', MISSING if not isinstance(ds, dict) else
         f'{ds.get("type", MISSING)}' + (f' at {ds["data_root"]}'
                                         if ds.get('data_root') else '')),
        ('frames per clip', _fmt(frames)),
        ('optimizer', f'{opt.get("type", MISSING)}, lr '
         f'{_fmt(opt.get("lr"))}, weight decay '
         f'{_fmt(opt.get("weight_decay"))}'),
        ('schedule', sched_txt),
        ('batch', f'{_fmt(batch)} per process x {_fmt(world)} '
         'process(es)'),
        ('epochs (config / trained)',
         f'{_fmt(get_key(cfg, "train_cfg.max_epochs"))} / ' +
         ', '.join(_fmt(epochs_trained(wd)) for wd in e.work_dirs)),
        ('seeds', ', '.join(osp.basename(w) for w in e.work_dirs)
         if e.seed_dirs else '1 run'),
        ('hardware', f'{_fmt(t[0]["device"])}, {_fmt(world)} process(es)'),
        ('GPU-hours (process-hours)', MISSING if gpu_h['mean'] is None else
         f'{gpu_h["mean"]:.4f} per run (sum {sum(gpu_h["values"]):.4f})'),
        ('software', _software(e.first)),
    ]


def _per_sample(e: Experiment) -> Optional[str]:
    hits = sorted(glob(osp.join(e.first, 'per_sample*.json')))
    return hits[0] if hits else None


def _per_sample_pairs(a: Experiment, b: Experiment):
    """Per-sample files of two experiments, paired: by seed folder name
    when both have several seeds with files (each seed a unit of the test),
    else their first work dirs' files; None if a side has none."""
    def by_seed(e):
        out = {}
        for wd in e.work_dirs:
            hits = sorted(glob(osp.join(wd, 'per_sample*.json')))
            if hits:
                out[osp.basename(wd)] = hits[0]
        return out

    sa, sb = by_seed(a), by_seed(b)
    common = sorted(set(sa) & set(sb))
    if a.seed_dirs and b.seed_dirs and len(common) >= 2:
        return [sa[k] for k in common], [sb[k] for k in common]
    fa, fb = _per_sample(a), _per_sample(b)
    return (fa, fb) if fa and fb else None


def find_sweep_summary(exps: List[Experiment]) -> Optional[str]:
    """The ``summary.json`` of the sweep (``tools/sweep.py --summary``)
    whose trial dirs these experiments are, if they all share one."""
    parents = {osp.dirname(osp.abspath(e.path)) for e in exps}
    if len(parents) != 1:
        return None
    path = osp.join(parents.pop(), 'summary.json')
    return path if osp.isfile(path) else None


def sweep_section(doc, path: str) -> dict:
    """The report's sweep section from a sweep's ``summary.json``: trials
    by state, retries, pruned steps, the best trial's parameters and the
    parameter importances with the number of trials they rest on."""
    import json
    with open(path) as f:
        s = json.load(f)
    trials = s.get('trials', [])
    counts = s.get('counts') or {}
    states = counts.get('states') or {}
    doc.h(2, 'Sweep')
    doc.p(f'Study {s.get("study")!r} ({s.get("direction")} '
          f'{s.get("metric")}), read from {path}: {len(trials)} trials, ' +
          (', '.join(f'{k.lower()} {v}' for k, v in sorted(states.items()))
           or MISSING) + f'; {_fmt(counts.get("retries"))} retries of '
          'trials whose worker died or whose storage went away; pruned at '
          f'steps {counts.get("pruned_steps") or "none"}.')
    done = [t for t in trials if t.get('state') == 'COMPLETE']
    if done:
        best = (min if s.get('direction') == 'minimize' else max)(
            done, key=lambda t: t['value'])
        doc.p(f'Best trial {best["number"]}: {s.get("metric")} '
              f'{_fmt(best["value"], 4)} at step {_fmt(best["best_step"])}.')
        t = Table(['parameter', 'value'], [None, None], [0, 0])
        for k, v in best['params'].items():
            t.add([k, repr(v)])
        doc.table(t)
    failed = [t for t in trials if t.get('state') == 'FAIL' and
              not t.get('skipped')]
    for t in failed:
        doc.p(f'Trial {t["number"]} failed: {t.get("fail_reason")}.')
    imp = s.get('importances')
    if imp:
        n = s.get('importance_trials')
        t = Table(['parameter', 'importance'], [None, None], [0, 0])
        for k, v in imp.items():
            t.add([k, f'{v:.3f}'])
        evaluator = s.get('importance_evaluator', MISSING)
        few = n is not None and n < 10
        doc.p(f'Parameter importances ({evaluator}, Optuna\'s default) '
              f'from {_fmt(n)} completed trials' +
              (': too few trials to rank parameters with confidence.'
               if few else '.'))
        doc.table(t)
    else:
        doc.p('Parameter importances: missing (fewer than 2 completed '
              'trials, or not computed).')
    return s


class _Doc:
    """Blocks rendered to Markdown and HTML."""

    def __init__(self):
        self.blocks = []

    def h(self, level, text):
        self.blocks.append(('h', level, text))

    def p(self, text):
        self.blocks.append(('p', text))

    def table(self, table: Table):
        self.blocks.append(('table', table))

    def kv(self, rows):
        t = Table(['item', 'value'], [None, None], [0, 0])
        for r in rows:
            t.add(list(r))
        self.blocks.append(('table', t))

    def img(self, path, caption):
        self.blocks.append(('img', path, caption))

    def markdown(self, out_dir: str) -> str:
        out = []
        for b in self.blocks:
            if b[0] == 'h':
                out.append('#' * b[1] + ' ' + b[2])
            elif b[0] == 'p':
                out.append(b[1])
            elif b[0] == 'table':
                out.append(b[1].markdown())
            else:
                rel = osp.relpath(b[1], out_dir)
                out.append(f'![{b[2]}]({rel})')
        return '\n\n'.join(out) + '\n'

    def html(self, title: str) -> str:
        body = []
        for b in self.blocks:
            if b[0] == 'h':
                body.append(f'<h{b[1]}>{html.escape(b[2])}</h{b[1]}>')
            elif b[0] == 'p':
                body.append(f'<p>{html.escape(b[1])}</p>')
            elif b[0] == 'table':
                body.append(_html_table(b[1]))
            else:
                with open(b[1], 'rb') as f:
                    data = base64.b64encode(f.read()).decode()
                body.append(
                    f'<figure><img src="data:image/png;base64,{data}" '
                    f'alt="{html.escape(b[2])}"><figcaption>'
                    f'{html.escape(b[2])}</figcaption></figure>')
        style = ('body{font-family:sans-serif;max-width:1100px;margin:auto;'
                 'padding:1em}table{border-collapse:collapse;margin:1em 0}'
                 'td,th{border:1px solid #ccc;padding:3px 8px;'
                 'text-align:right}td:first-child,th:first-child{text-align:'
                 'left}img{max-width:100%}')
        return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
                f'<title>{html.escape(title)}</title><style>{style}</style>'
                f'</head><body>\n' + '\n'.join(body) + '\n</body></html>\n')


def _html_table(t: Table) -> str:
    best = [t._best(c) for c in range(len(t.header))]
    rows = ['<tr>' + ''.join(f'<th>{html.escape(h)}</th>'
                             for h in t.header) + '</tr>']
    for row in t.rows:
        cells = []
        for c, cell in enumerate(row):
            text = html.escape(t._text(cell, c, '±'))
            if best[c] is not None and isinstance(cell, dict) and \
                    cell.get('mean') == best[c]:
                text = f'<b>{text}</b>'
            cells.append(f'<td>{text}</td>')
        rows.append('<tr>' + ''.join(cells) + '</tr>')
    cap = f'<caption>{html.escape(t.caption)}</caption>' if t.caption \
        else ''
    return f'<table>{cap}' + ''.join(rows) + '</table>'


def build_report(exps: List[Experiment], out_dir: str, metric: str = 'MPJPE',
                 rule: str = 'less', config_roots=('configs', ),
                 baseline: Optional[str] = None,
                 group_title: str = '3D pose errors',
                 title: str = 'Experiment report') -> dict:
    """Write ``report.md``, ``report.html`` and the figures to
    ``out_dir``; returns the paths and the numbers used."""
    os.makedirs(out_dir, exist_ok=True)
    fig_dir = osp.join(out_dir, 'figures')
    doc = _Doc()
    doc.h(1, title)
    doc.p(f'Generated {datetime.datetime.now():%Y-%m-%d %H:%M} from '
          f'{len(exps)} experiment(s): ' +
          ', '.join(f'{e.name} ({e.path})' for e in exps) +
          '. Every number below is read from these work dirs.')

    doc.h(2, 'Experimental setup')
    for e in exps:
        doc.h(3, e.name)
        doc.kv(setup_rows(e))

    fam = families(exps, list(config_roots), baseline)
    tested = [bool(e.metric('test', metric, rule)['n']) for e in exps]
    has_test = any(tested)
    columns = [('test', metric)] if has_test else []
    columns += [('best', metric), ('last', metric), ('params', metric),
                ('flops', metric), ('samples_per_s', metric),
                ('epochs', metric), ('gpu_hours', metric)]
    # ablation deltas on the test metric when every run was tested, else
    # on the best validation value
    delta = None
    if any(v for v in fam.values()):
        delta = ('test', metric) if all(tested) else ('best', metric)
    table = results_table(exps, columns, rule, fam, delta,
                          caption=f'{metric} ({rule} is better); mean ± std '
                          'over seeds where there are several')
    doc.h(2, 'Results')
    doc.table(table)
    table.write(osp.join(out_dir, 'results'))
    doc.p('The same table as LaTeX (booktabs), CSV and JSON: '
          'results.tex, results.csv, results.json.')

    per_run = {e.name: [per_group_table(wd, group_title)
                        for wd in e.work_dirs] for e in exps}
    if any(t for ts in per_run.values() for t in ts):
        gt = group_table(exps, per_run, [metric],
                         caption=f'{metric} per action (test)')
        doc.h(3, f'{metric} per action')
        doc.table(gt)
        gt.write(osp.join(out_dir, 'per_action'))

    ablations = [(e, fam[e.name]) for e in exps if fam[e.name]]
    significance = {}
    if ablations:
        doc.h(2, 'Ablations')
        by_name = {e.name: e for e in exps}
        for e, base in ablations:
            b = by_name[base]
            doc.h(3, f'{e.name} vs {base}')
            j = 1 + columns.index(delta)
            row = next(r for r in table.rows
                       if r[0].strip().lstrip('+ ').strip() == e.name)
            d_abs, d_pct = row[-2], row[-1]
            doc.p(f'{table.header[j]}: difference to {base} '
                  f'{_fmt_delta(d_abs, d_pct)}.')
            pair = _per_sample_pairs(b, e)
            if pair:
                try:
                    res = compare(pair[0], pair[1], metric)
                    significance[e.name] = res
                    doc.p(f'Paired test on the same test samples '
                          f'({e.name} - {base}): {describe(res)}.')
                except (KeyError, ValueError) as err:
                    doc.p(f'Significance: missing ({err}).')
            else:
                doc.p('Significance: missing (no per-sample file in both '
                      'work dirs; write them with tools/test.py CONFIG CKPT '
                      '--per-sample WORK_DIR/per_sample.json).')
            diff = config_diff(b.config(), e.config())
            if diff:
                t = Table(['config key', base, e.name], [None] * 3,
                          [0] * 3)
                for key, va, vb in diff:
                    t.add([key, repr(va), repr(vb)])
                doc.table(t)
            else:
                doc.p('Config diff: none found (or a config is missing).')

    sweep = find_sweep_summary(exps)
    if sweep:
        sweep_section(doc, sweep)

    doc.h(2, 'Figures')
    made = []
    curves = figures.plot_curves(exps, metric,
                                 osp.join(fig_dir, 'val_curves'), 'val',
                                 rule, 0.0, ('png', 'pdf'))
    if len(curves) > 1:
        made.append((curves['files'][0], f'validation {metric} per epoch '
                     '(mean over seeds; * = best)'))
    loss = figures.plot_curves(exps, 'loss', osp.join(fig_dir, 'train_loss'),
                               'train', 'less', 0.6, ('png', 'pdf'))
    if len(loss) > 1:
        made.append((loss['files'][0], 'training loss (EMA 0.6; faint: raw)'))
    col = 'test' if has_test else 'best'
    stats = [e.metric(col, metric, rule) for e in exps]
    bars = figures.plot_bars([e.name for e in exps], stats,
                             f'{col} {metric}', osp.join(fig_dir, 'bars'),
                             ('png', 'pdf'))
    made.append((bars['files'][0], f'{col} {metric}, mean ± std over seeds'))
    costs = [e.metric('params', metric)['mean'] for e in exps]
    if sum(c is not None for c in costs) >= 2:
        par = figures.plot_pareto(
            [e.name for e in exps],
            [None if c is None else c / 1e6 for c in costs],
            [s['mean'] for s in stats], 'parameters (M)', f'{col} {metric}',
            osp.join(fig_dir, 'pareto_params'), rule, ('png', 'pdf'))
        made.append((par['files'][0], f'{col} {metric} against parameters'))
    for path, caption in made:
        doc.img(path, caption)
    doc.p('PDF versions of every figure are in figures/.')

    md = osp.join(out_dir, 'report.md')
    with open(md, 'w') as f:
        f.write(doc.markdown(out_dir))
    page = osp.join(out_dir, 'report.html')
    with open(page, 'w') as f:
        f.write(doc.html(title))
    return dict(markdown=md, html=page, table=table,
                significance=significance, families=fam, sweep=sweep)


def _fmt_delta(d_abs, d_pct) -> str:
    if not isinstance(d_abs, dict) or d_abs.get('mean') is None:
        return MISSING
    pct = MISSING if not isinstance(d_pct, dict) else \
        f'{d_pct["mean"]:+.1f}%'
    return f'{d_abs["mean"]:+.2f} ({pct})'
