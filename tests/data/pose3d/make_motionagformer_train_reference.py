# Copyright (c) mmext contributors. All rights reserved.
"""Write ``motionagformer_train_reference.pt``: outputs and gradients of one
train-mode forward/backward of small MotionAGFormer variants.

Generated ONCE with the code *before* the memory work (main at commit
464e5b0, the plain ``nn.Sequential`` forward); the test
``test_memory_paths.py`` checks that today's code - default path and
``with_cp`` - reproduces it to 1e-6 relative in fp32, with dropout,
attention dropout and drop path on (same seed)::

    PYTHONPATH=/path/to/old/checkout python \
        tests/data/pose3d/make_motionagformer_train_reference.py OUT.pt

The weights come from the seed (storing them would double the file); a
per-parameter checksum is stored so that a change of initialisation order
fails loudly instead of hiding behind the fixture.
"""
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


def run_case(model, x: torch.Tensor, seed: int):
    """One train-mode forward/backward; returns output, grads, buffers."""
    model.train()
    model.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    y = model(x)
    g = torch.Generator().manual_seed(seed + 1)
    (y * torch.randn(y.shape, generator=g)).sum().backward()
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
            torch.manual_seed(100 + i)
            model = MotionAGFormer(arch=dict(arch), **kwargs)
            with torch.no_grad():  # non-trivial layer scale / fusion
                for n, p in model.named_parameters():
                    if 'layer_scale' in n or 'fusion' in n:
                        p.normal_(0., 0.5)
            names = list(model.state_dict())
            checksum = torch.stack(
                [v.double().sum() for v in model.state_dict().values()])
            x = torch.randn(BATCH, arch['num_frames'], 17, 3)
            y, grads = run_case(model, x, seed=1000 + i)
            # flat, to keep the file small: one tensor per kind
            ref[name] = dict(
                arch=arch, kwargs=kwargs, init_seed=100 + i,
                state_names=names, checksum=checksum, x=x,
                seed=1000 + i, y=y, grad_names=list(grads),
                grads=torch.cat([g.flatten() for g in grads.values()]),
                buffers=flat_buffers(model))
    torch.save(ref, out)


if __name__ == '__main__':
    main(sys.argv[1])
