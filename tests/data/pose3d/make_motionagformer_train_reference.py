# Copyright (c) mmext contributors. All rights reserved.
"""Write ``motionagformer_train_reference.pt``: outputs and gradients of one
train-mode forward/backward of small MotionAGFormer variants, in float64.

Generated ONCE with the code *before* the memory work (main at commit
464e5b0, the plain ``nn.Sequential`` forward); the test
``test_memory_paths.py`` checks that today's code - default path and
``with_cp`` - reproduces it in float64 to 1e-9 of the largest value, with
dropout, attention dropout and drop path on (same seed)::

    git worktree add --detach /tmp/mmext_old 464e5b0
    PYTHONPATH=/tmp/mmext_old python \
        tests/data/pose3d/make_motionagformer_train_reference.py OUT.pt

Why float64 and this initialisation: the fixture must record the model's
behaviour, not one CPU's rounding. In float32 two hosts' kernels (AVX2 vs
AVX-512, MKL vs the default ATen kernels) differ by up to ~5e-6 of the
largest gradient, which is the size of a real defect. In float64 they agree
to ~1e-15, so a 1e-9 tolerance holds on any CPU and still catches a change
of a LayerNorm's eps (see the test). Weights and inputs are drawn with
:func:`torch.rand` in float64 (integer arithmetic, bit-identical on every
CPU kernel) by parameter name, so the fixture does not depend on the
model's own initialisation order or on the normal-sampler's kernels; the
random draws of dropout and drop path are Bernoulli masks, identical on
every CPU. The weights come from the seed (storing them would double the
file).
"""
import math
import sys

import torch

#: name -> (arch, backbone kwargs). XS/S/B/L keep their presets' heads,
#: MLP ratio and neighbour_num and shrink layers, width and frames to fit a
#: CPU test; the drop settings exercise every random draw of the model.
DROP = dict(drop_rate=0.1, attn_drop_rate=0.1, drop_path_rate=0.2)
SSM = dict(type='mamba', d_state=4, expand=2)
CASES = {
    'xs': (dict(num_layers=2, embed_dims=8, num_frames=9, num_heads=2,
                mlp_ratio=4., neighbour_num=2), dict(**DROP)),
    's': (dict(num_layers=3, embed_dims=8, num_frames=11, num_heads=2,
               mlp_ratio=4., neighbour_num=2), dict(**DROP)),
    'b': (dict(num_layers=2, embed_dims=16, num_frames=13, num_heads=4,
               mlp_ratio=4., neighbour_num=2), dict(**DROP)),
    'b_droppath_only': (dict(num_layers=2, embed_dims=8, num_frames=13,
                             num_heads=4, mlp_ratio=4., neighbour_num=2),
                        dict(drop_path_rate=0.2)),
    'l': (dict(num_layers=3, embed_dims=12, num_frames=13, num_heads=4,
               mlp_ratio=4., neighbour_num=2), dict(**DROP)),
    'mamba_gcn': (dict(num_layers=2, embed_dims=8, num_frames=9,
                       num_heads=2, mlp_ratio=4., neighbour_num=2),
                  dict(branches='mamba_gcn', ssm_cfg=SSM, **DROP)),
    'full': (dict(num_layers=2, embed_dims=8, num_frames=9, num_heads=2,
                  mlp_ratio=4., neighbour_num=2),
             dict(branches='full', ssm_cfg=SSM, **DROP)),
}
BATCH = 2


def _uniform(shape, gen: torch.Generator) -> torch.Tensor:
    """Uniform in [-1, 1), float64, the same bits on every CPU."""
    return torch.rand(shape, generator=gen, dtype=torch.float64) * 2. - 1.


def init_weights(model: torch.nn.Module,
                 seed: int,
                 recompute_adjacency: bool = False) -> None:
    """Convert ``model`` to float64 and redraw every floating parameter and
    buffer by name (state-dict order) from ``seed``.

    ``recompute_adjacency`` (used for the old code, which normalised its
    fixed graphs in float32 at construction): recompute each non-persistent
    ``norm_adj`` buffer in float64 from its 0/1 pattern,
    ``A[u, v] / sqrt(d_u d_v)``, as today's code and upstream do.

    Layer scales and fusion weights are drawn large (up to 0.8) so that every
    block shows in the output (the model's own init makes them 1e-5 / 0);
    matrices get variance 1/fan_in, norm scales 1 +- 0.2, biases +-0.2,
    BatchNorm running statistics mean +-0.1 and variance in [0.5, 1.5).
    """
    model.double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict(keep_vars=True).items():
            if not t.is_floating_point():
                continue
            u = _uniform(t.shape, gen)
            if name.endswith('running_var'):
                new = 1. + 0.5 * u
            elif name.endswith('running_mean'):
                new = 0.1 * u
            elif 'layer_scale' in name or 'fusion' in name:
                new = 0.8 * u
            elif t.ndim >= 2:
                new = u * math.sqrt(3. / t[0].numel())
            elif name.endswith('weight'):
                new = 1. + 0.2 * u
            else:
                new = 0.2 * u
            t.copy_(new)
        if recompute_adjacency:
            for m in model.modules():
                adj = getattr(m, 'norm_adj', None)
                if isinstance(adj, torch.Tensor):
                    a = (adj != 0).double()
                    d = a.sum(-1).pow(-0.5)
                    m.norm_adj = d[:, None] * a * d[None, :]


def make_input(arch: dict, seed: int) -> torch.Tensor:
    """The (BATCH, T, 17, 3) float64 input of a case."""
    gen = torch.Generator().manual_seed(seed)
    return _uniform((BATCH, arch['num_frames'], 17, 3), gen)


def run_case(model, x: torch.Tensor, seed: int):
    """One train-mode forward/backward; returns the output and the grads.

    The output is weighted by a fixed float64 tensor before ``backward`` so
    that every output element's gradient path counts.
    """
    model.train()
    model.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    y = model(x)
    weight = _uniform(y.shape, torch.Generator().manual_seed(seed + 1))
    (y * weight).sum().backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    return y.detach().clone(), grads


def flat_buffers(model) -> torch.Tensor:
    """BatchNorm running statistics and counters, flattened (float64)."""
    return torch.cat([
        v.double().flatten() for k, v in model.state_dict().items()
        if 'running' in k or 'num_batches' in k
    ])


def main(out: str) -> None:
    from mmengine.registry import DefaultScope

    from mmext.models.pose3d.backbones import MotionAGFormer
    ref = {}
    with DefaultScope.overwrite_default_scope('mmpose'):
        for i, (name, (arch, kwargs)) in enumerate(CASES.items()):
            model = MotionAGFormer(arch=dict(arch), **kwargs)
            init_weights(model, 100 + i, recompute_adjacency=True)
            x = make_input(arch, 500 + i)
            y, grads = run_case(model, x, seed=1000 + i)
            # flat, to keep the file small: one tensor per kind
            ref[name] = dict(
                arch=arch, kwargs=kwargs, init_seed=100 + i,
                input_seed=500 + i, state_names=list(model.state_dict()),
                seed=1000 + i, y=y, grad_names=list(grads),
                grads=torch.cat([g.flatten() for g in grads.values()]),
                buffers=flat_buffers(model))
            print(f'{name}: |y| max {y.abs().max():.3f}, '
                  f'{sum(g.numel() for g in grads.values())} grads')
    torch.save(ref, out)


if __name__ == '__main__':
    main(sys.argv[1])
