# Copyright (c) mmext contributors. All rights reserved.
"""Result tables from work dirs: Markdown, LaTeX (booktabs), CSV, JSON.

A :class:`Table` holds cells that are either text or a statistic over seeds
(``{'mean', 'std', 'n'}``, see :func:`mmext.workflow.results.stat`); every
number in it was read from a work dir. A value that does not exist is
written ``missing`` (Markdown / LaTeX / HTML), an empty field (CSV) or
``null`` (JSON).
"""
import csv
import io
import json
import os.path as osp
from glob import glob
from typing import Dict, List, Optional, Sequence

from .results import Experiment, config_parent, stat

__all__ = [
    'Table', 'parse_columns', 'results_table', 'families', 'group_table',
    'MISSING', 'find_config'
]

MISSING = 'missing'

#: column kind -> (header, better: 'metric' follows the rule, 'less',
#: 'greater' or None, decimals)
_KINDS = {
    'test': ('test {key}', 'metric', 2),
    'best': ('best val {key}', 'metric', 2),
    'last': ('last val {key}', 'metric', 2),
    'best_epoch': ('best epoch', None, 0),
    'params': ('params (M)', 'less', 2),
    'flops': ('MACs (G)', 'less', 2),
    'samples_per_s': ('train samples/s', 'greater', 1),
    'epochs': ('epochs', None, 0),
    'gpu_hours': ('GPU-hours', None, 3),
    'train_seconds': ('train time (s)', None, 0),
}
_SCALE = dict(params=1e-6, flops=1e-9)


def parse_columns(spec: Sequence[str], metric: str) -> List[tuple]:
    """``['test:MPJPE', 'best', 'params']`` -> ``[(kind, key)]``; a kind
    without ``:KEY`` uses ``metric``."""
    out = []
    for item in spec:
        kind, _, key = item.partition(':')
        if kind not in _KINDS:
            raise ValueError(f'unknown column {item!r}; choose from '
                             f'{", ".join(_KINDS)} (metric columns take '
                             'KIND:METRIC, e.g. test:MPJPE)')
        out.append((kind, key or metric))
    return out


class Table:
    """Header + rows of cells; cells are str or stat dicts.

    Args:
        header (list[str]): column names (the first names the rows).
        better (list): per column ``'less'``, ``'greater'`` or None: the
            best value of such a column is bold in LaTeX and Markdown.
        decimals (list[int]): per column.
    """

    def __init__(self, header: List[str], better: List[Optional[str]],
                 decimals: List[int], caption: str = '') -> None:
        self.header = header
        self.better = better
        self.decimals = decimals
        self.rows: List[list] = []
        self.rules: List[int] = []  # a midrule before these row indices
        self.caption = caption

    def add(self, row: list) -> None:
        self.rows.append(row)

    # -- helpers ------------------------------------------------------------
    def _best(self, col: int) -> Optional[float]:
        rule = self.better[col]
        if rule not in ('less', 'greater'):
            return None
        vals = [c['mean'] for c in (r[col] for r in self.rows)
                if isinstance(c, dict) and c.get('mean') is not None]
        if len(vals) < 2:
            return None
        return min(vals) if rule == 'less' else max(vals)

    def _text(self, cell, col: int, pm: str) -> str:
        if isinstance(cell, dict):
            if cell.get('mean') is None:
                return MISSING
            d = self.decimals[col]
            text = f'{cell["mean"]:.{d}f}'
            if cell.get('std') is not None:
                text += f' {pm} {cell["std"]:.{d}f}'
            return text
        return MISSING if cell is None else str(cell)

    # -- formats ------------------------------------------------------------
    def markdown(self) -> str:
        best = [self._best(c) for c in range(len(self.header))]
        lines = ['| ' + ' | '.join(self.header) + ' |',
                 '|' + '|'.join([':---'] + ['---:'] *
                                (len(self.header) - 1)) + '|']
        for row in self.rows:
            cells = []
            for c, cell in enumerate(row):
                text = self._text(cell, c, '±')
                if best[c] is not None and isinstance(cell, dict) and \
                        cell.get('mean') == best[c]:
                    text = f'**{text}**'
                cells.append(text)
            lines.append('| ' + ' | '.join(cells) + ' |')
        return '\n'.join(lines)

    def latex(self, label: str = '') -> str:
        """A ``table`` with a booktabs ``tabular``; the best value of each
        ranked column is bold; needs ``\\usepackage{booktabs}``."""
        best = [self._best(c) for c in range(len(self.header))]

        def esc(text: str) -> str:
            for a, b in (('\\', r'\textbackslash{}'), ('&', r'\&'),
                         ('%', r'\%'), ('_', r'\_'), ('#', r'\#'),
                         ('$', r'\$'), ('Δ', r'$\Delta$'),
                         ('±', r'$\pm$')):
                text = text.replace(a, b)
            return text

        spec = 'l' + 'r' * (len(self.header) - 1)
        out = [r'\begin{table}[t]', r'\centering']
        if self.caption:
            out.append(r'\caption{' + esc(self.caption) + '}')
        if label:
            out.append(r'\label{' + label + '}')
        out += [r'\begin{tabular}{' + spec + '}', r'\toprule',
                ' & '.join(esc(h) for h in self.header) + r' \\',
                r'\midrule']
        for i, row in enumerate(self.rows):
            if i in self.rules and i > 0:
                out.append(r'\midrule')
            cells = []
            for c, cell in enumerate(row):
                text = self._text(cell, c, r'$\pm$')
                if text == MISSING:
                    text = r'\textit{missing}'
                elif c == 0 or not isinstance(cell, dict):
                    text = esc(text)
                if best[c] is not None and isinstance(cell, dict) and \
                        cell.get('mean') == best[c]:
                    text = r'\textbf{' + text + '}'
                cells.append(text)
            out.append(' & '.join(cells) + r' \\')
        out += [r'\bottomrule', r'\end{tabular}', r'\end{table}']
        return '\n'.join(out)

    def csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator='\n')
        head = []
        for c, h in enumerate(self.header):
            head.append(h)
            if c and any(isinstance(r[c], dict) for r in self.rows):
                head += [f'{h} std', f'{h} n']
        writer.writerow(head)
        for row in self.rows:
            cells = []
            for c, cell in enumerate(row):
                if isinstance(cell, dict):
                    cells += ['' if cell.get(k) is None else cell[k]
                              for k in ('mean', 'std', 'n')]
                else:
                    cells.append('' if cell is None else
                                 str(cell).strip() if c == 0 else cell)
                    if c and any(isinstance(r[c], dict) for r in self.rows):
                        cells += ['', '']
            writer.writerow(cells)
        return buf.getvalue()

    def json(self) -> str:
        rows = []
        for row in self.rows:
            rows.append({
                h: ({k: cell.get(k) for k in ('mean', 'std', 'n', 'values')}
                    if isinstance(cell, dict) else cell)
                for h, cell in zip(self.header, row)
            })
        return json.dumps(dict(caption=self.caption, columns=self.header,
                               rows=rows), indent=1)

    def write(self, stem: str, formats=('md', 'tex', 'csv', 'json')
              ) -> List[str]:
        written = []
        for fmt in formats:
            text = dict(md=self.markdown, tex=self.latex, csv=self.csv,
                        json=self.json)[fmt]()
            path = f'{stem}.{fmt}'
            with open(path, 'w') as f:
                f.write(text if text.endswith('\n') else text + '\n')
            written.append(path)
        return written


# ------------------------------------------------------------ families
def find_config(name: Optional[str], roots: Sequence[str]) -> Optional[str]:
    """The config file called ``name`` under one of ``roots``."""
    if not name:
        return None
    for root in roots:
        hits = sorted(glob(osp.join(root, '**', name), recursive=True))
        if hits:
            return osp.abspath(hits[0])
    return None


def families(exps: List[Experiment],
             roots: Sequence[str],
             baseline: Optional[str] = None) -> Dict[str, Optional[str]]:
    """Experiment name -> the name of its baseline (None for a baseline).

    With ``baseline`` every other experiment is compared to it. Otherwise
    an experiment whose config's first ``_base_`` is the config of another
    experiment belongs to that experiment's family (its ablation).
    """
    if baseline is not None:
        names = [e.name for e in exps]
        if baseline not in names:
            raise ValueError(f'--baseline {baseline!r} is not one of the '
                             f'experiments {names}')
        return {e.name: (None if e.name == baseline else baseline)
                for e in exps}
    by_file = {}
    files = {}
    for e in exps:
        path = find_config(e.config_name(), roots)
        files[e.name] = path
        if path:
            by_file.setdefault(path, e.name)
    out = {}
    for e in exps:
        parent = config_parent(files[e.name]) if files[e.name] else None
        base = by_file.get(parent) if parent else None
        out[e.name] = base if base != e.name else None
    # a parent that is itself an ablation: attach to the root baseline
    for name in out:
        seen = set()
        while out[name] is not None and out[out[name]] is not None and \
                name not in seen:
            seen.add(name)
            out[name] = out[out[name]]
    return out


def _order(exps: List[Experiment], fam: Dict[str, Optional[str]]):
    """Baselines, each followed by its ablations; returns (exp, is_first)
    pairs (is_first marks a new family)."""
    ordered = []
    for e in exps:
        if fam[e.name] is None:
            ordered.append((e, True))
            ordered += [(c, False) for c in exps if fam[c.name] == e.name]
    return ordered


def results_table(exps: List[Experiment],
                  columns: List[tuple],
                  rule: str = 'less',
                  fam: Optional[Dict[str, Optional[str]]] = None,
                  delta_column: Optional[tuple] = None,
                  caption: str = '') -> Table:
    """One row per experiment, grouped by family; ``delta_column``
    (a ``(kind, key)`` of ``columns``) adds the ablation's difference to
    its baseline in absolute units and in %."""
    fam = fam or {e.name: None for e in exps}
    header, better, decimals = ['experiment'], [None], [0]
    for kind, key in columns:
        title, b, d = _KINDS[kind]
        header.append(title.format(key=key))
        better.append(rule if b == 'metric' else b)
        decimals.append(d)
    n_seeds = any(len(e.work_dirs) > 1 for e in exps)
    if n_seeds:
        header.append('seeds')
        better.append(None)
        decimals.append(0)
    if delta_column is not None:
        title = header[1 + columns.index(delta_column)]
        header += [f'Δ {title}', 'Δ %']
        better += [None, None]
        decimals += [2, 1]
    table = Table(header, better, decimals, caption)
    cache = {}
    for i, (e, first) in enumerate(_order(exps, fam)):
        cells = []
        for kind, key in columns:
            s = e.metric(kind, key, rule)
            if kind in _SCALE and s['mean'] is not None:
                f = _SCALE[kind]
                s = stat([v * f for v in s['values']])
            cells.append(s)
        cache[e.name] = cells
        label = e.name if first else f'  + {e.name}'
        row = [label] + cells
        if n_seeds:
            row.append(str(len(e.work_dirs)))
        if delta_column is not None:
            j = columns.index(delta_column)
            base = fam[e.name]
            if base is None:
                row += ['', '']
            else:
                b, v = cache[base][j]['mean'], cells[j]['mean']
                if b is None or v is None:
                    row += [None, None]
                else:
                    row += [stat([v - b]),
                            stat([100. * (v - b) / b]) if b else None]
        if first:
            table.rules.append(i)
        table.add(row)
    return table


def group_table(exps: List[Experiment],
                per_run: Dict[str, List[Optional[dict]]],
                columns: List[str],
                caption: str = '',
                rule: str = 'less') -> Table:
    """A per-group table (e.g. the 15 Human3.6M actions): one row per
    group, one column per (experiment, column), mean ± std over seeds.

    Args:
        per_run: experiment name -> one ``per_group_table`` result per
            seed (None where a seed has no test log).
    """
    groups = []
    for tables in per_run.values():
        for t in tables:
            for g in (t or {}).get('rows', {}):
                if g not in groups:
                    groups.append(g)
    # the average row last
    groups = [g for g in groups if g != 'Average'] + (
        ['Average'] if 'Average' in groups else [])
    header = ['group']
    for e in exps:
        header += [f'{e.name} {c}' for c in columns]
    table = Table(header, [None] + [None] * (len(header) - 1),
                  [0] + [2] * (len(header) - 1), caption)
    for g in groups:
        row = [g]
        for e in exps:
            for c in columns:
                vals = [((t or {}).get('rows', {}).get(g) or {}).get(c)
                        for t in per_run.get(e.name, [])]
                row.append(stat(vals))
        table.add(row)
    return table
