# Copyright (c) mmext contributors. All rights reserved.
"""Frame-interpolation losses: Laplacian-pyramid L1, ternary census and VGG
perceptual (each returns its weighted term)."""
import os.path as osp
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmext.registry import MODELS

__all__ = ['LaplacianPyramidLoss', 'CensusLoss', 'VGGPerceptualLoss']


def _binomial_kernel(channels: int) -> Tensor:
    k = torch.tensor([1., 4., 6., 4., 1.])
    k2 = torch.outer(k, k) / 256.
    return k2.expand(channels, 1, 5, 5).contiguous()


@MODELS.register_module()
class LaplacianPyramidLoss(nn.Module):
    """Sum over levels of the L1 distance of Laplacian pyramids.

    Each level: blur with the 5x5 binomial kernel (reflect padding),
    subsample by 2, upsample by zero insertion and the same kernel x4, and
    keep the difference (the loss of RIFE / EMA-VFI).

    Args:
        max_levels (int): Pyramid levels. Defaults to 5.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, max_levels: int = 5, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.max_levels = max_levels
        self.loss_weight = loss_weight
        self.register_buffer('kernel', _binomial_kernel(3), persistent=False)

    def _blur(self, x: Tensor, kernel: Tensor) -> Tensor:
        return F.conv2d(F.pad(x, (2, 2, 2, 2), mode='reflect'), kernel,
                        groups=x.shape[1])

    def pyramid(self, x: Tensor):
        """The ``max_levels`` band-pass images of ``x``."""
        kernel = self.kernel.to(x.dtype)
        if kernel.shape[0] != x.shape[1]:
            kernel = _binomial_kernel(x.shape[1]).to(x)
        out, cur = [], x
        for _ in range(self.max_levels):
            down = self._blur(cur, kernel)[..., ::2, ::2]
            up = torch.zeros_like(cur)
            up[..., ::2, ::2] = down
            out.append(cur - self._blur(up, 4 * kernel))
            cur = down
        return out

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        if min(pred.shape[-2:]) < 3 * 2**(self.max_levels - 1):
            raise ValueError(
                f'LaplacianPyramidLoss: {tuple(pred.shape[-2:])} images are '
                f'too small for {self.max_levels} levels (need at least '
                f'{3 * 2**(self.max_levels - 1)} pixels a side)')
        loss = sum(
            F.l1_loss(a, b)
            for a, b in zip(self.pyramid(pred), self.pyramid(target)))
        return self.loss_weight * loss


@MODELS.register_module()
class CensusLoss(nn.Module):
    """Soft ternary census loss (Meister et al., UnFlow, AAAI 2018), as used
    by RIFE / EMA-VFI.

    Grey values ``g`` (ITU-R 601 weights); for every pixel and each of the
    ``P x P`` neighbours ``d = g(n) - g(p)`` is soft-signed as
    ``d / sqrt(0.81 + d^2)``; two images are compared by
    ``mean_n(e^2 / (0.1 + e^2))`` of the differences ``e`` and the map is
    averaged with a 1-pixel border masked out.

    Args:
        patch_size (int): Odd neighbourhood edge P. Defaults to 7.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, patch_size: int = 7, loss_weight: float = 1.0) -> None:
        super().__init__()
        if patch_size % 2 != 1:
            raise ValueError(f'CensusLoss: patch_size must be odd, got '
                             f'{patch_size}')
        self.patch_size = patch_size
        self.loss_weight = loss_weight
        eye = torch.eye(patch_size * patch_size)
        self.register_buffer(
            'weight', eye.view(-1, 1, patch_size, patch_size),
            persistent=False)

    def transform(self, img: Tensor) -> Tensor:
        r, g, b = img[:, 0:1], img[:, 1:2], img[:, 2:3]
        gray = 0.2989 * r + 0.5870 * g + 0.1140 * b
        patches = F.conv2d(gray, self.weight.to(gray.dtype),
                           padding=self.patch_size // 2)
        d = patches - gray
        return d / torch.sqrt(0.81 + d * d)

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        e2 = (self.transform(pred) - self.transform(target))**2
        dist = (e2 / (0.1 + e2)).mean(1, keepdim=True)
        mask = torch.zeros_like(dist)
        mask[..., 1:-1, 1:-1] = 1.0
        return self.loss_weight * (dist * mask).mean()


#: torchvision's VGG19 ``features`` layout ('M' = 2x2 max-pool).
VGG19_CFG = (64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512,
             512, 512, 'M', 512, 512, 512, 512, 'M')


def vgg19_features(last: int) -> nn.Sequential:
    """torchvision's ``vgg19().features[:last + 1]`` (same indices and
    parameter names), without building the classifier."""
    layers, cin = [], 3
    for v in VGG19_CFG:
        if v == 'M':
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
            cin = v
    return nn.Sequential(*layers[:last + 1])


VGG19_LAYERS = {'relu1_2': 3, 'relu2_2': 8, 'relu3_4': 17, 'relu4_4': 26,
                'relu5_4': 35}


@MODELS.register_module()
class VGGPerceptualLoss(nn.Module):
    """L1 distance of VGG19 features (ImageNet-normalised inputs).

    The VGG19 weights come only from a local file (torchvision's
    ``vgg19-dcbb9e9d.pth`` layout: keys ``features.N.weight``; a bare
    ``features`` state dict also loads). Nothing is downloaded.

    Args:
        pretrained (str, optional): Path of the weights. Required unless
            ``loss_weight == 0`` or ``random_init=True``.
        layers (Sequence[str]): Feature layers, keys of ``VGG19_LAYERS``.
            Defaults to ('relu1_2', 'relu2_2', 'relu3_4', 'relu4_4').
        layer_weights (Sequence[float], optional): Per layer. Defaults to 1.
        loss_weight (float): Defaults to 1.0.
        random_init (bool): Random weights (tests only). Defaults to False.
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 layers: Sequence[str] = ('relu1_2', 'relu2_2', 'relu3_4',
                                          'relu4_4'),
                 layer_weights: Optional[Sequence[float]] = None,
                 loss_weight: float = 1.0,
                 random_init: bool = False) -> None:
        super().__init__()
        bad = [n for n in layers if n not in VGG19_LAYERS]
        if bad or not layers:
            raise ValueError(f'VGGPerceptualLoss: layers must be a non-empty '
                             f'subset of {tuple(VGG19_LAYERS)}, got {layers}')
        self.loss_weight = loss_weight
        self.ids = [VGG19_LAYERS[n] for n in layers]
        self.layer_weights = list(layer_weights or [1.0] * len(layers))
        if len(self.layer_weights) != len(layers):
            raise ValueError('VGGPerceptualLoss: layer_weights and layers '
                             'differ in length')
        self.pretrained = pretrained
        self.random_init = random_init
        features = vgg19_features(max(self.ids))
        self.features = features.eval().requires_grad_(False)
        self.register_buffer(
            'mean', torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1),
            persistent=False)
        self.register_buffer(
            'std', torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1),
            persistent=False)

        # weights come from `pretrained` in init_weights() (the Runner calls
        # it before training) or from a checkpoint that holds them
        self.weights_ready = random_init or loss_weight == 0
        self._register_load_state_dict_pre_hook(self._mark_loaded)

    def _mark_loaded(self, state_dict, prefix, *args) -> None:
        if f'{prefix}features.0.weight' in state_dict:
            self.weights_ready = True

    def init_weights(self) -> None:
        """Load the VGG19 ImageNet weights from ``pretrained``."""
        if self.weights_ready:
            return
        path = self.pretrained
        if not path or not osp.isfile(path):
            raise FileNotFoundError(
                f'VGGPerceptualLoss: VGG19 ImageNet weights not found at '
                f'pretrained={path!r}. Download torchvision\'s '
                f'vgg19-dcbb9e9d.pth yourself and set the VGG loss\'s '
                f'`pretrained` (vgg19_weights in the phase-3 config) to its '
                f'path, or set the VGG loss_weight to 0.')
        state = torch.load(path, map_location='cpu', weights_only=True)
        state = state.get('state_dict', state)
        feats = {k[len('features.'):]: v
                 for k, v in state.items() if k.startswith('features.')}
        feats = feats or state
        missing, _ = self.features.load_state_dict(feats, strict=False)
        if missing:
            raise KeyError(f'VGGPerceptualLoss: {path} lacks VGG19 feature '
                           f'weights {missing[:4]}')
        self.weights_ready = True

    def train(self, mode: bool = True):
        super().train(mode)
        self.features.eval()  # fixed feature extractor
        return self

    def _feats(self, x: Tensor):
        x = (x - self.mean) / self.std
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.ids:
                out.append(x)
        return out

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        if self.loss_weight == 0:
            return pred.sum() * 0
        if not self.weights_ready:
            self.init_weights()  # raises the clear error without a file
        with torch.no_grad():
            ft = self._feats(target)
        fp = self._feats(pred)
        loss = sum(w * F.l1_loss(a, b)
                   for w, a, b in zip(self.layer_weights, fp, ft))
        return self.loss_weight * loss
