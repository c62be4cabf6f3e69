# Copyright (c) mmext contributors. All rights reserved.
"""Generate tests/data/motionagformer_official/ from the OFFICIAL model code.

The committed fixtures were made ONCE with this script from
TaatiTeam/MotionAGFormer (commit 4756fd1, ``model/MotionAGFormer.py``) --
not from mmext. Each variant is a tiny official ``MotionAGFormer`` with
random weights (fixed seed), saved in the official checkpoint layout
``{'model': {'module.' + key: tensor}}`` (what upstream's DataParallel
``torch.save`` writes), together with fixed inputs and the official model's
outputs. ``tests/test_models/test_pose3d/test_official_fixtures.py`` loads
the checkpoints through mmext's converter and must reproduce the outputs to
1e-9 of the largest value, in float64.

Float64: the official model runs with ``torch.set_default_dtype(float64)``,
so its parameters, buffers and intermediate tensors are float64. Its graph
module casts the 0/1 similarity adjacency with ``.float()``
(``model/modules/graph.py:106``); while it runs, ``Tensor.float`` returns
the default dtype instead (the 0/1 values are exact in both; the official
arithmetic is untouched, only its precision is pinned). Float64 makes the
fixture hold on any CPU: kernels of different CPUs agree to ~1e-15 there,
where float32 kernels differ by ~1e-6, the size of a real defect.

Usage (in a scratch directory OUTSIDE this repository; needs torch and
timm, the official code's only imports for the model)::

    git clone https://github.com/TaatiTeam/MotionAGFormer /tmp/mag
    git -C /tmp/mag checkout 4756fd1
    python tools/misc/generate_motionagformer_official_fixtures.py \
        --official-repo /tmp/mag --out-dir tests/data/motionagformer_official

Randomisation: upstream initialises layer scales to 1e-5, the fusion to
zero and BatchNorm statistics to 0 / 1, which would make most of the block
invisible in the output. Every parameter and BatchNorm statistic is
therefore redrawn from a fixed generator (see :func:`randomize`; uniform
draws in float64, bit-identical on every CPU) before the outputs are
taken, in eval mode (running statistics) and in train mode (batch
statistics; no dropout or drop-path is configured).
"""
import argparse
import copy
import json
import math
import os
import os.path as osp

import torch

#: Small official configurations (upstream constructor keyword arguments).
#: ``num_heads`` and ``neighbour_num`` hold no parameters: the test passes
#: them to mmext explicitly (as a user does from upstream's config).
COMMON = dict(
    n_layers=2, dim_in=3, dim_feat=8, dim_rep=16, dim_out=3, mlp_ratio=2,
    num_heads=2, neighbour_num=2, n_frames=9)
VARIANTS = {
    'baseline': dict(),
    'hierarchical': dict(hierarchical=True),
    'tcn': dict(use_tcn=True),
    'graph_only': dict(graph_only=True),
    'graph_only_tcn': dict(graph_only=True, use_tcn=True),
    'fixed_graph_mean_fusion': dict(
        use_temporal_similarity=False, temporal_connection_len=2,
        use_adaptive_fusion=False, qkv_bias=True),
}
SEED = 20240101
BATCH = 2


def _uniform(shape, gen: torch.Generator) -> torch.Tensor:
    """Uniform in [-1, 1), float64, the same bits on every CPU."""
    return torch.rand(shape, generator=gen, dtype=torch.float64) * 2. - 1.


def randomize(model: torch.nn.Module, gen: torch.Generator) -> None:
    """Redraw every parameter and BatchNorm statistic from ``gen``."""
    with torch.no_grad():
        for name, t in list(model.named_parameters()) + list(
                model.named_buffers()):
            if not t.is_floating_point():
                continue
            u = _uniform(t.shape, gen)
            if name.endswith('running_var'):
                new = 1. + 0.5 * u
            elif name.endswith('running_mean'):
                new = 0.1 * u
            elif name == 'pos_embed':
                new = 0.35 * u
            elif t.ndim >= 2:  # variance 1 / fan_in
                new = u * math.sqrt(3. / t[0].numel())
            elif name.endswith('weight'):  # LayerNorm / BatchNorm scale
                new = 1. + 0.35 * u
            else:  # biases, layer scales
                new = 0.35 * u
            t.copy_(new)


class _FloatFollowsDefaultDtype:
    """While active, ``Tensor.float()`` casts to the default dtype."""

    def __enter__(self):
        self._float = torch.Tensor.float
        torch.Tensor.float = lambda t, *a, **k: t.to(torch.get_default_dtype())
        return self

    def __exit__(self, *exc):
        torch.Tensor.float = self._float


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--official-repo', required=True,
                        help='checkout of TaatiTeam/MotionAGFormer')
    parser.add_argument('--out-dir', required=True)
    args = parser.parse_args(argv)
    from mmext.utils import import_from_checkout
    MotionAGFormer = import_from_checkout(  # the official code
        args.official_repo, 'model.MotionAGFormer',
        '--official-repo').MotionAGFormer

    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    x = _uniform((BATCH, COMMON['n_frames'], 17, 3), gen)
    x[..., 2] = (x[..., 2] + 1.) / 2.  # confidence in [0, 1)
    io = dict(inputs=x)
    kwargs_all = {}
    for name, flags in VARIANTS.items():
        kwargs = dict(COMMON, **flags)
        kwargs_all[name] = kwargs
        model = MotionAGFormer(**kwargs)
        randomize(model, gen)
        with torch.no_grad(), _FloatFollowsDefaultDtype():
            train_model = copy.deepcopy(model).train()
            out_train = train_model(x)
            model.eval()
            out = model(x)
        assert out.dtype == out_train.dtype == torch.float64
        io[name] = dict(output=out, output_train=out_train)
        ckpt = dict(model={
            f'module.{k}': v.clone()
            for k, v in model.state_dict().items()
        })
        # The legacy (non-zip) format: the same dict, a third of the size.
        torch.save(ckpt, osp.join(args.out_dir, f'{name}.pth.tr'),
                   _use_new_zipfile_serialization=False)
        print(f'{name}: {sum(p.numel() for p in model.parameters())} '
              f'parameters, |output| max {out.abs().max():.3f}')
    torch.save(io, osp.join(args.out_dir, 'io.pth.tr'),
               _use_new_zipfile_serialization=False)
    with open(osp.join(args.out_dir, 'kwargs.json'), 'w') as f:
        json.dump(dict(seed=SEED, batch=BATCH, variants=kwargs_all), f,
                  indent=1, sort_keys=True)
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
