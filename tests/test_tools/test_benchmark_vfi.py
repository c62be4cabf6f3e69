# Copyright (c) mmext contributors. All rights reserved.
"""benchmark_vfi.py --interleaved: one process times every model and size
alternately and prints medians, ratios to the reference and the growth;
--emavfi builds the reference from a checkout on PYTHONPATH (a stand-in
package with EMA-VFI's entry points here: tests never run their code)."""
from conftest import run_tool

FAKE_CONFIG = '''
def init_model_config(F=32, W=7, depth=(2, 2, 2, 4, 4)):
    return dict(F=F), dict(F=F)
'''
FAKE_MODEL = '''
import torch


class feature_extractor(torch.nn.Module):
    def __init__(self, F):
        super().__init__()
        self.conv = torch.nn.Conv2d(6, 3, 3, padding=1)


class flow_estimation(torch.nn.Module):
    def __init__(self, backbone, F):
        super().__init__()
        self.backbone = backbone

    def forward(self, x, timestep=0.5):
        # the official forward calls .cuda(): bypassed on the CPU
        t = torch.full((1, ), timestep).cuda()
        pred = self.backbone.conv(x) * t
        return None, None, None, pred
'''


def test_interleaved_with_a_reference(tmp_path):
    (tmp_path / 'config.py').write_text(FAKE_CONFIG)
    (tmp_path / 'model').mkdir()
    (tmp_path / 'model' / '__init__.py').write_text(FAKE_MODEL)
    res = run_tool(['benchmarks/benchmark_vfi.py', '--interleaved',
                    '--emavfi', tmp_path, '--modes', 'gated_attn_only',
                    '--sizes', '64', '32', '--repeat', '2', '--threads',
                    '1', '--out', tmp_path / 'r.md'])
    assert res.returncode == 0, res.stderr
    text = (tmp_path / 'r.md').read_text()
    assert '| EMA-VFI-small | 32x32 |' in text
    assert '| gated_attn_only | 64x64 |' in text
    assert 'Growth 32x32 -> 64x64 (4x the pixels)' in text
    # the reference's own ratio is 1
    row = [ln for ln in text.splitlines()
           if ln.startswith('| EMA-VFI-small | 32x32')][0]
    assert row.split('|')[5].strip() == '1.00'
    res = run_tool(['benchmarks/benchmark_vfi.py', '--interleaved',
                    '--emavfi', tmp_path / 'nope', '--sizes', '32'])
    assert res.returncode != 0 and 'no config.py there' in res.stderr
