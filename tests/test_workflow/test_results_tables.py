# Copyright (c) mmext contributors. All rights reserved.
"""Tables, figures, model-zoo metadata and the report, checked against
numbers computed by hand from the logs of real tiny runs: a baseline
trained under two seeds by tools/train_seeds.py and an ablation (child
config) trained and tested in-process."""
import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT, run_tool

from mmext.workflow import figures
from mmext.workflow.modelzoo import write_model_index
from mmext.workflow.report import build_report
from mmext.workflow.results import Experiment, discover
from mmext.workflow.tables import families, parse_columns, results_table

BASE = ROOT / 'tests/data/configs/toy_sweep.py'
ABL = ROOT / 'tests/data/configs/toy_sweep_hidden32.py'
KEY = 'toy/mse'
ROOTS = [str(ROOT / 'tests/data/configs')]


def _scalars(work_dir: Path):
    """(val curve, train loss by iteration) read straight from the log."""
    val, loss = {}, {}
    for f in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            if KEY in rec:
                val[rec['step']] = rec[KEY]
            elif 'loss' in rec:
                loss[rec['step']] = rec['loss']
    return val, loss


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('runs')
    # the baseline under two seeds, through the multi-seed tool
    proc = run_tool(['train_seeds.py', BASE, '--seeds', '0', '1',
                     '--launcher', 'none', '--work-dir', tmp / 'toy_sweep'],
                    timeout=1800)  # generous: seconds when idle
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '[seeds] all seeds trained' in proc.stdout
    # the ablation: trained and tested in this process
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(str(ABL))
    cfg.work_dir = str(tmp / 'hidden32')
    cfg.experiment_name = 'tables_hidden32'
    runner = Runner.from_cfg(cfg)
    runner.train()
    test = runner.test()
    # parameters by mmengine's complexity counter, as get_flops.py writes
    import torch
    from mmengine.analysis import get_model_complexity_info
    for wd, model in ((tmp / 'hidden32', runner.model),):
        info = get_model_complexity_info(model.net, inputs=(torch.zeros(
            1, 8), ), show_table=False, show_arch=False)
        (wd / 'complexity.json').write_text(json.dumps(
            dict(params=info['params'])))
    return tmp, test


def test_multi_seed_runs_differ_and_skip_when_done(runs):
    tmp, _ = runs
    s0, _ = _scalars(tmp / 'toy_sweep' / 'seed_0')
    s1, _ = _scalars(tmp / 'toy_sweep' / 'seed_1')
    assert sorted(s0) == sorted(s1) == [1, 2, 3]
    assert s0 != s1  # the seed reached the run
    log = (tmp / 'toy_sweep/seed_1').glob('*/*.log')
    assert 'seed: 1' in next(iter(log)).read_text()


def test_results_table_by_hand(runs):
    tmp, test = runs
    exps = discover([str(tmp / 'toy_sweep'), str(tmp / 'hidden32')])
    assert [len(e.work_dirs) for e in exps] == [2, 1]
    fam = families(exps, ROOTS)
    assert fam == {'toy_sweep': None, 'hidden32': 'toy_sweep'}
    cols = parse_columns(['best', 'last', 'test', 'params', 'epochs'], KEY)
    table = results_table(exps, cols, 'less', fam, ('best', KEY))

    curves = [_scalars(tmp / 'toy_sweep' / f'seed_{k}')[0] for k in (0, 1)]
    best = [min(c.values()) for c in curves]
    last = [c[3] for c in curves]
    abl = _scalars(tmp / 'hidden32')[0]
    base_row, abl_row = table.rows
    assert table.header == [
        'experiment', f'best val {KEY}', f'last val {KEY}', f'test {KEY}',
        'params (M)', 'epochs', 'seeds', f'Δ best val {KEY}', 'Δ %'
    ]
    assert base_row[0] == 'toy_sweep' and abl_row[0] == '  + hidden32'
    assert base_row[1]['mean'] == pytest.approx(np.mean(best))
    assert base_row[1]['std'] == pytest.approx(np.std(best, ddof=1))
    assert base_row[1]['n'] == 2
    assert base_row[2]['mean'] == pytest.approx(np.mean(last))
    assert base_row[3]['mean'] is None  # the baseline was never tested
    assert abl_row[3]['mean'] == pytest.approx(test[KEY])
    assert abl_row[1]['mean'] == pytest.approx(min(abl.values()))
    assert abl_row[1]['std'] is None  # one run: no std
    hidden, dim = 32, 8
    params = dim * hidden + hidden + hidden + 1
    assert abl_row[4]['mean'] == pytest.approx(params / 1e6)
    assert base_row[4]['mean'] is None  # no complexity.json
    assert base_row[5]['mean'] == 3 and base_row[6] == '2'
    delta = min(abl.values()) - np.mean(best)
    assert abl_row[7]['mean'] == pytest.approx(delta)
    assert abl_row[8]['mean'] == pytest.approx(100 * delta / np.mean(best))

    md = table.markdown().splitlines()
    cell = f'{np.mean(best):.2f} ± {np.std(best, ddof=1):.2f}'
    assert cell in md[2]
    assert '| missing |' in md[2]  # test of the baseline
    # bold: the best of each ranked column with two values (best, last)
    assert table.markdown().count('**') == 4
    row = 2 + int(np.argmin([np.mean(best), min(abl.values())]))
    assert f'**{table._text(table.rows[row - 2][1], 1, "±")}**' in md[row]

    rows = list(csv.reader(io.StringIO(table.csv())))
    assert rows[0][:4] == ['experiment', f'best val {KEY}',
                           f'best val {KEY} std', f'best val {KEY} n']
    assert float(rows[1][1]) == pytest.approx(np.mean(best))
    assert rows[1][7] == ''  # missing test value: empty field
    data = json.loads(table.json())
    assert data['rows'][1][f'test {KEY}']['mean'] == pytest.approx(
        test[KEY])
    assert data['rows'][0][f'test {KEY}']['mean'] is None


def test_latex_structure(runs, tmp_path):
    tmp, _ = runs
    exps = discover([str(tmp / 'toy_sweep'), str(tmp / 'hidden32')])
    cols = parse_columns(['best', 'last'], KEY)
    table = results_table(exps, cols, 'less', families(exps, ROOTS),
                          ('best', KEY), caption='toy_mse & co')
    tex = table.latex(label='tab:toy')
    lines = tex.splitlines()
    spec = re.search(r'\\begin\{tabular\}\{(\w+)\}', tex).group(1)
    assert spec == 'l' + 'r' * (len(table.header) - 1)
    for env in ('table', 'tabular'):
        assert tex.count(rf'\begin{{{env}}}') == \
            tex.count(rf'\end{{{env}}}') == 1
    assert lines.index(r'\toprule') < lines.index(r'\midrule') < \
        lines.index(r'\bottomrule')
    body = [x for x in lines if x.endswith(r'\\')]
    ncol = len(table.header)
    assert all(x.count(' & ') == ncol - 1 for x in body)
    assert r'\caption{toy\_mse \& co}' in tex
    assert r'$\Delta$ best val toy/mse & $\Delta$ \% \\' in tex
    assert 'Δ' not in tex and '±' not in tex  # pdflatex-safe
    assert r'$\pm$' in body[1]
    # one bold cell per ranked column (best and last val)
    assert tex.count(r'\textbf{') == 2
    if shutil.which('pdflatex'):
        doc = tmp_path / 't.tex'
        doc.write_text('\\documentclass{article}\\usepackage{booktabs}'
                       '\\begin{document}' + tex + '\\end{document}')
        subprocess.run(['pdflatex', '-interaction=nonstopmode', doc.name],
                       cwd=tmp_path, check=True, capture_output=True,
                       timeout=120)
        assert (tmp_path / 't.pdf').is_file()


def test_figures_from_logs(runs, tmp_path):
    tmp, _ = runs
    exps = discover([str(tmp / 'toy_sweep'), str(tmp / 'hidden32')])
    got = figures.plot_curves(exps, KEY, str(tmp_path / 'val'), 'val',
                              'less', 0.5, ('png', 'pdf', 'svg'))
    curves = [_scalars(tmp / 'toy_sweep' / f'seed_{k}')[0] for k in (0, 1)]
    mean = [np.mean([c[s] for c in curves]) for s in (1, 2, 3)]
    assert got['toy_sweep']['values'] == pytest.approx(mean)
    b = int(np.argmin(mean))
    assert got['toy_sweep']['best'] == (b + 1, pytest.approx(mean[b]))
    # bias-corrected EMA, by hand
    ema = [mean[0], (0.5 * 0.5 * mean[0] + 0.5 * mean[1]) / 0.75]
    assert got['toy_sweep']['smoothed'][:2] == pytest.approx(ema)
    for ext in ('png', 'pdf', 'svg'):
        assert (tmp_path / f'val.{ext}').stat().st_size > 1000
    loss = figures.plot_curves(exps, 'loss', str(tmp_path / 'loss'),
                               'train')
    assert loss['hidden32']['values'] == pytest.approx(
        [v for _, v in sorted(_scalars(tmp / 'hidden32')[1].items())])

    stats = [e.metric('best', KEY) for e in exps]
    bars = figures.plot_bars([e.name for e in exps], stats, KEY,
                             str(tmp_path / 'bars'), ('png', ))
    best = [min(c.values()) for c in curves]
    assert bars['means'][0] == pytest.approx(np.mean(best))
    assert bars['stds'][0] == pytest.approx(np.std(best, ddof=1))
    assert bars['stds'][1] == 0.0  # one run: no error bar
    # Pareto front by hand: (1, 5) and (2, 3) dominate (3, 4)
    assert figures.pareto_front([(1, 5), (2, 3), (3, 4)]) == [0, 1]
    assert figures.pareto_front([(1, 5), (2, 3), (3, 4)],
                                'greater') == [0]


def test_model_index_and_report(runs, tmp_path):
    tmp, test = runs
    exps = [Experiment(str(tmp / 'toy_sweep')),
            Experiment(str(tmp / 'hidden32'))]
    written = write_model_index(exps, str(tmp_path / 'zoo'), ROOTS)
    meta = yaml.safe_load(Path(written['configs']).read_text())
    entry = {m['Name']: m for m in meta['Models']}['toy_sweep_hidden32']
    assert entry['Config'].endswith('tests/data/configs/'
                                    'toy_sweep_hidden32.py')
    assert entry['Results'][0]['Metrics']['mse'] == pytest.approx(
        test[KEY], abs=1e-4)
    assert entry['Metadata']['Parameters'] == 8 * 32 + 32 + 32 + 1
    assert entry['Metadata']['Epochs'] == 3
    assert entry['Metadata']['Batch Size'] == 4
    assert Path(entry['Weights']).name.startswith('best_toy_mse_epoch_')
    base = {m['Name']: m for m in meta['Models']}['toy_sweep']
    assert 'Results' not in base and 'Parameters' not in base.get(
        'Metadata', {})  # absent values are left out, not made up
    index = yaml.safe_load(Path(written['model-index']).read_text())
    assert index == {'Import': ['configs/metafile.yml']}

    out = build_report(exps, str(tmp_path / 'report'), KEY, 'less', ROOTS)
    md = Path(out['markdown']).read_text()
    page = Path(out['html']).read_text()
    assert out['table'].markdown() in md
    assert 'toy_sweep_hidden32.py' in md and 'AdamW, lr 0.03' in md
    assert 'Significance: missing' in md  # no per-sample files
    # the baseline was not tested: the delta is on the best val value
    row = out['table'].rows[1]
    assert f'best val {KEY}: difference to toy_sweep ' \
        f'{row[-2]["mean"]:+.2f} ({row[-1]["mean"]:+.1f}%).' in md
    assert "| model.hidden | 16 | 32 |" in md  # the config diff
    assert 'CPU, 1 process(es)' in md
    for bad in ('XX', 'TODO', 'nan', 'None'):
        assert bad not in md, bad
    assert page.count('data:image/png;base64,') >= 3
    assert 'src="http' not in page and '<script' not in page


def _tool(name, *args):
    """Run ``tools/analysis_tools/<name>.py`` as a command."""
    return run_tool([f'analysis_tools/{name}.py', *args])


def test_bad_input_is_one_line(tmp_path):
    for name, extra in (('summarize', []), ('report', ['--out',
                                                       str(tmp_path)]),
                        ('gen_model_index', ['--out-dir', str(tmp_path)])):
        proc = _tool(name, tmp_path / 'nope', *extra)
        assert proc.returncode == 2
        assert proc.stderr == \
            f'error: work dir not found: {tmp_path / "nope"}\n'
    proc = _tool('summarize', tmp_path, '--columns', 'bestt')
    assert proc.returncode == 2
    assert "unknown column 'bestt'; choose from test, best" in proc.stderr
