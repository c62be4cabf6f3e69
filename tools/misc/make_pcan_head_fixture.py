# Copyright (c) mmext contributors. All rights reserved.
"""Generate ``tests/data/action/pcan_head_official.npz`` from the OFFICIAL
PCAN head (github.com/kunli-cs/PCAN), to check mmext's ``PCANHead``.

The official code is not copied into mmext: this script reads the user's
checkout of the official ``rgbpose_head.py``, writes it to a temporary
directory with two import-level edits, imports it and runs it:

* ``from .base import BaseHead`` -> mmaction2's installed ``BaseHead``
  (the same class; the file is outside its package here);
* its ``@MODELS.register_module()`` is dropped, because mmaction2 already
  registers an ``RGBPoseHead`` under that name.

Tensors' and modules' ``.cuda()`` become no-ops while it runs (the official
head moves a few constants to the GPU); the head's arithmetic is untouched.

It runs in float64 (``torch.set_default_dtype(torch.float64)``), so that the
fixture holds on any CPU: float32 kernels of different CPUs differ by ~1e-6,
the size of a real defect, float64 kernels by ~1e-15. The official head pins
a few casts to float32 (``.float()`` on 0/1 masks and one-hot matrices,
``self.stateSpace.to(torch.float32)`` in its tree loss); while it runs,
``Tensor.float()`` and ``Tensor.to(torch.float32)`` cast to the default
dtype instead. Those tensors hold 0/1 values and small integers, exact in
both, so only the precision of the arithmetic is pinned, not its form.
The head is built with ``num_classes=52`` (its MA-52 hierarchy is hard-coded)
and small feature / prototype widths (its prototype modules are replaced by
instances of its own classes with small channel counts), so that the
fixture stays a few kilobytes. Weights, inputs and labels are fixed by the
seed; labels are chosen so that every stream sees all four cases of PCAN's
prototype update (fine and coarse right / fine right, coarse wrong / fine
wrong, coarse right / both wrong).

Usage (the fixture in the repository was made from commit 873788a)::

    git clone https://github.com/kunli-cs/PCAN /tmp/PCAN
    python tools/misc/make_pcan_head_fixture.py \\
        --head-file \\
        /tmp/PCAN/mmaction2/mmaction/models/heads/rgbpose_head.py \\
        --out tests/data/action/pcan_head_official.npz
"""
import argparse
import importlib.util
import os.path as osp
import sys
import tempfile
import types

import numpy as np
import torch
import torch.nn as nn

import mmext  # noqa: F401  (mmaction2 packaging workarounds first)

C_RGB, C_POSE = 6, 4  # feature channels
D_FINE, D_COARSE = 5, 4  # prototype widths
BATCH, CLIPS, EVAL_SAMPLES = 6, 2, 2
SHAPE_RGB = (C_RGB, 2, 2, 2)  # C, T, H, W
SHAPE_POSE = (C_POSE, 4, 2, 2)
BOOST_FINE = (3, 9, 14)  # classes of groups 0, 1, 2 favoured by the biases
EDITS = [('from .base import BaseHead',
          'from mmaction.models.heads.base import BaseHead'),
         ('@MODELS.register_module()\nclass RGBPoseHead',
          'class RGBPoseHead')]


def body(x):
    """MA-52 fine -> body-part group (as the official scripts map it)."""
    for g, hi in enumerate((4, 10, 23, 31, 37, 47)):
        if x <= hi:
            return g
    return 6


def load_official(head_file, workdir):
    src = open(head_file, encoding='utf-8').read()
    for old, new in EDITS:
        if src.count(old) != 1:
            sys.exit(f'error: {head_file} does not contain {old!r} exactly '
                     'once; is it PCAN\'s mmaction/models/heads/'
                     'rgbpose_head.py?')
        src = src.replace(old, new)
    try:
        import sklearn.metrics.pairwise  # noqa: F401  (imported, unused)
    except ImportError:
        stub = types.ModuleType('sklearn.metrics.pairwise')
        stub.cosine_similarity = None
        for name in ('sklearn', 'sklearn.metrics'):
            sys.modules.setdefault(name, types.ModuleType(name))
        sys.modules['sklearn.metrics.pairwise'] = stub
    path = osp.join(workdir, 'pcan_official_head.py')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(src)
    spec = importlib.util.spec_from_file_location('pcan_official_head', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build_head(mod):
    torch.manual_seed(0)
    head = mod.RGBPoseHead(
        num_classes=52, in_channels=[C_RGB, C_POSE], dropout=0.0,
        average_clips='prob')
    head.fr_rgb = mod.ST_RenovateNet_Fine(
        C_RGB, h_channel=D_FINE, n_class=52, version='V0', use_p_map=True)
    head.fr_pose = mod.ST_RenovateNet_Fine(
        C_POSE, h_channel=D_FINE, n_class=52, version='V0', use_p_map=True)
    head.fr_coarse_rgb = mod.ST_RenovateNet(
        C_RGB, 8, n_class=7, h_channel=D_COARSE, version='V0',
        use_p_map=True)
    head.fr_coarse_pose = mod.ST_RenovateNet(
        C_POSE, 32, n_class=7, h_channel=D_COARSE, version='V0',
        use_p_map=True)
    with torch.no_grad():
        for fc in (head.fc_rgb, head.fc_pose, head.fc_rgb_coarse,
                   head.fc_pose_coarse):
            fc.weight.normal_(0, 0.4)
            fc.bias.normal_(0, 0.1)
        for fc in (head.fc_rgb, head.fc_pose):
            fc.bias[list(BOOST_FINE)] += 2.0
        for fc in (head.fc_rgb_coarse, head.fc_pose_coarse):
            fc.bias[[0, 1, 2]] += 1.0
        # weights and memories exactly representable in float16, so that
        # the fixture can store them in half precision without loss
        for p in head.parameters():
            p.copy_(p.half().float())
        for s in ('rgb', 'pose'):
            for net in (getattr(head, f'fr_{s}').spatio_cl_net,
                        getattr(head, f'fr_coarse_{s}').spatio_cl_net):
                net.avg_f.data = net.avg_f.data.half().float()
    return head


def weights(head):
    out = {}
    for s in ('rgb', 'pose'):
        for name, mod in ((f'fc_{s}', getattr(head, f'fc_{s}')),
                          (f'fc_{s}_coarse', getattr(head,
                                                     f'fc_{s}_coarse')),
                          (f'fr_{s}.cl_fc',
                           getattr(head, f'fr_{s}').spatio_cl_net.cl_fc),
                          (f'fr_coarse_{s}.cl_fc',
                           getattr(head,
                                   f'fr_coarse_{s}').spatio_cl_net.cl_fc)):
            out[f'w/{name}.weight'] = mod.weight.detach().numpy().copy()
            out[f'w/{name}.bias'] = mod.bias.detach().numpy().copy()
        out.update(memories(head, 'w/'))
    return out


def memories(head, prefix):
    out = {}
    for s in ('rgb', 'pose'):
        out[f'{prefix}fr_{s}.avg_f'] = getattr(
            head, f'fr_{s}').spatio_cl_net.avg_f.detach().numpy().copy()
        out[f'{prefix}fr_coarse_{s}.avg_f'] = torch.as_tensor(getattr(
            head, f'fr_coarse_{s}').spatio_cl_net.avg_f).detach().numpy(
            ).copy()
    return out


def predictions(head, rgb, pose):
    with torch.no_grad():
        out = {}
        for s, x in (('rgb', rgb), ('pose', pose)):
            a = x.mean(dim=(2, 3, 4))
            out[s] = (getattr(head, f'fc_{s}')(a).argmax(-1),
                      getattr(head, f'fc_{s}_coarse')(a).argmax(-1))
    return out


def pick_batch(head, gen):
    """Random inputs and labels covering the four cases in both streams."""
    for _ in range(20000):
        rgb = torch.randn((BATCH, ) + SHAPE_RGB, generator=gen).half().float()
        pose = torch.randn((BATCH, ) + SHAPE_POSE,
                           generator=gen).half().float()
        pred = predictions(head, rgb, pose)
        choice = torch.randint(0, 3, (BATCH, ), generator=gen)
        rand = torch.randint(0, 52, (BATCH, ), generator=gen)
        y = torch.where(choice == 0, pred['rgb'][0],
                        torch.where(choice == 1, pred['pose'][0], rand))
        yc = torch.tensor([body(int(v)) for v in y])
        ok = True
        for s in ('rgb', 'pose'):
            pf, pc = pred[s]
            f_ok, c_ok = pf == y, pc == yc
            cases = {(bool(a), bool(b)) for a, b in zip(f_ok, c_ok)}
            ok &= len(cases) == 4
        if ok:
            return rgb, pose, y, yc
    sys.exit('error: no batch covering all cases found')


def train_step(head, rgb, pose, y, yc):
    rgb = rgb.clone().requires_grad_(True)
    pose = pose.clone().requires_grad_(True)
    head.train()
    scores = head((rgb, pose, rgb, pose, y, yc))
    samples = [
        types.SimpleNamespace(gt_labels=types.SimpleNamespace(item=v))
        for v in y.view(-1, 1)
    ]
    losses = head.loss_by_feat(scores, samples)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    out = {f'loss/{k}': np.float64(v.item()) for k, v in losses.items()
           if 'loss' in k}
    out['loss/total'] = np.float64(total.item())
    out['grad/rgb'] = rgb.grad.numpy().copy()
    out['grad/pose'] = pose.grad.numpy().copy()
    for s in ('rgb', 'pose'):
        net = getattr(head, f'fr_{s}').spatio_cl_net
        out[f'div/{s}'] = np.float64(
            net.diversity_loss(net.avg_f.permute(1, 0)).item())
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--head-file', required=True,
                        help="official PCAN mmaction2/mmaction/models/heads/"
                        "rgbpose_head.py")
    parser.add_argument('--out', required=True, help='output .npz')
    args = parser.parse_args()
    if not osp.isfile(args.head_file):
        sys.exit(f'error: --head-file {args.head_file} not found')

    torch.Tensor.cuda = lambda self, *a, **k: self
    nn.Module.cuda = lambda self, *a, **k: self
    torch.set_default_dtype(torch.float64)
    to = torch.Tensor.to

    def to_default_not_float32(self, *args, **kwargs):
        args = tuple(torch.get_default_dtype() if a is torch.float32 else a
                     for a in args)
        if kwargs.get('dtype') is torch.float32:
            kwargs['dtype'] = torch.get_default_dtype()
        return to(self, *args, **kwargs)

    torch.Tensor.to = to_default_not_float32
    torch.Tensor.float = lambda self, *a, **k: to(
        self, torch.get_default_dtype())
    with tempfile.TemporaryDirectory() as workdir:
        mod = load_official(args.head_file, workdir)
        head = build_head(mod)
        data = weights(head)
        gen = torch.Generator().manual_seed(1)
        for step in (1, 2):
            rgb, pose, y, yc = pick_batch(head, gen)
            data.update({f'step{step}/in/rgb': rgb.numpy(),
                         f'step{step}/in/pose': pose.numpy(),
                         f'step{step}/in/label': y.numpy()})
            res = train_step(head, rgb, pose, y, yc)
            res.update(memories(head, 'mem/'))
            data.update({f'step{step}/{k}': v for k, v in res.items()})
        # inference on EVAL_SAMPLES samples x CLIPS clips
        head.eval()
        rgb = torch.randn((EVAL_SAMPLES * CLIPS, ) + SHAPE_RGB,
                          generator=gen).half().float()
        pose = torch.randn((EVAL_SAMPLES * CLIPS, ) + SHAPE_POSE,
                           generator=gen).half().float()
        with torch.no_grad():
            scores = head((rgb, pose))
            data.update({'eval/in/rgb': rgb.numpy(),
                         'eval/in/pose': pose.numpy()})
            dummy = [None] * EVAL_SAMPLES
            for k in ('rgb', 'pose', 'rgb_coarse', 'pose_coarse'):
                data[f'eval/logits/{k}'] = scores[k].numpy().copy()
                probs, _ = head.predict_by_scores(scores[k], dummy)
                data[f'eval/probs/{k}'] = probs.numpy().copy()
    # inputs and initial weights are float16-exact: store them as float16;
    # results as float64
    for k, v in data.items():
        assert v.dtype != np.float32, f'{k} was computed in float32'
    data = {
        k: (v.astype(np.float16) if k.startswith('w/') or '/in/' in k
            and v.dtype.kind == 'f' else v)
        for k, v in data.items()
    }
    np.savez_compressed(args.out, **data)
    print(f'wrote {args.out}: {len(data)} arrays, '
          f'{osp.getsize(args.out)} bytes')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
