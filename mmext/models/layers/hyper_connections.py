# Copyright (c) mmext contributors. All rights reserved.
"""Manifold-constrained hyper-connections (mHC).

mHC: Manifold-Constrained Hyper-Connections (Xie et al., DeepSeek-AI, 2025,
arXiv:2512.24880) widens the residual stream into ``n`` parallel streams
``x_l in R^{n x C}`` and replaces ``x + F(x)`` by::

    x_{l+1} = H_res x_l + H_post^T F(H_pre x_l)

with, from the RMS-normalised flattened streams ``x' = RMSNorm(vec(x_l))``,
a static (bias) plus an input-dependent part scaled by a learnable gate
``alpha`` (initialised to 0.01)::

    H_pre  = sigmoid(alpha_pre  * (x' phi_pre)  + b_pre)      (1 x n)
    H_post = 2 sigmoid(alpha_post * (x' phi_post) + b_post)   (1 x n)
    H_res  = SinkhornKnopp(alpha_res * mat(x' phi_res) + b_res)  (n x n)

Sinkhorn-Knopp starts from ``exp(.)`` and alternately normalises columns and
rows (20 iterations), projecting onto (approximately) doubly stochastic
matrices, so stacked ``H_res`` neither amplify nor attenuate the streams.

Initialisation of the static parts (our choice, for a residual-like start):
``b_pre = logit(1/n)`` (the block reads the streams' mean),
``b_post = 0`` (``H_post = 1``), ``b_res`` 0 on the diagonal and -4 off it
(``H_res`` close to the identity); ``phi`` ~ N(0, 0.02).
"""
import math

import torch
from torch import Tensor, nn

from mmext.registry import MODELS

__all__ = [
    'sinkhorn_knopp', 'ManifoldHyperConnection', 'expand_streams',
    'reduce_streams'
]


def sinkhorn_knopp(logits: Tensor, num_iters: int = 20,
                   eps: float = 1e-12) -> Tensor:
    """Project ``exp(logits)`` onto doubly stochastic matrices.

    ``M_0 = exp(logits)``; each iteration normalises the columns, then the
    rows (``M_t = T_r(T_c(M_{t-1}))``), so rows sum to 1 exactly and columns
    approximately (exactly in the limit).

    Args:
        logits (Tensor): ``(..., n, n)``.
        num_iters (int): Iterations. Defaults to 20.
        eps (float): Guard against division by zero. Defaults to 1e-12.

    Returns:
        Tensor: ``(..., n, n)`` non-negative.
    """
    # a common shift per matrix cancels in the normalisation; it only keeps
    # exp() finite
    m = torch.exp(logits - logits.amax(dim=(-2, -1), keepdim=True))
    for _ in range(num_iters):
        m = m / (m.sum(dim=-2, keepdim=True) + eps)
        m = m / (m.sum(dim=-1, keepdim=True) + eps)
    return m


def expand_streams(x: Tensor, n: int) -> Tensor:
    """``(..., C) -> (..., n, C)``: every stream starts as a copy of x."""
    return x.unsqueeze(-2).expand(*x.shape[:-1], n, x.shape[-1]).contiguous()


def reduce_streams(x: Tensor) -> Tensor:
    """``(..., n, C) -> (..., C)``: the mean of the streams."""
    return x.mean(dim=-2)


@MODELS.register_module()
class ManifoldHyperConnection(nn.Module):
    """One mHC connection around a block ``F``.

    Args:
        dims (int): Stream width ``C``.
        num_streams (int): ``n``. Defaults to 4.
        alpha_init (float): Initial gates ``alpha``. Defaults to 0.01.
        sinkhorn_iters (int): Sinkhorn-Knopp iterations. Defaults to 20.
        res_offdiag_init (float): Initial off-diagonal ``b_res``.
            Defaults to -4.
    """

    def __init__(self,
                 dims: int,
                 num_streams: int = 4,
                 alpha_init: float = 0.01,
                 sinkhorn_iters: int = 20,
                 res_offdiag_init: float = -4.0) -> None:
        super().__init__()
        if num_streams < 1:
            raise ValueError(f'num_streams must be >= 1, got {num_streams}')
        n = num_streams
        self.dims = dims
        self.num_streams = n
        self.sinkhorn_iters = sinkhorn_iters
        self.norm = nn.RMSNorm(n * dims, eps=1e-6)
        self.phi = nn.Linear(n * dims, 2 * n + n * n, bias=False)
        nn.init.normal_(self.phi.weight, std=0.02)
        self.alpha_pre = nn.Parameter(torch.tensor(float(alpha_init)))
        self.alpha_post = nn.Parameter(torch.tensor(float(alpha_init)))
        self.alpha_res = nn.Parameter(torch.tensor(float(alpha_init)))
        pre = 20.0 if n == 1 else -math.log(n - 1)  # sigmoid(.) = 1/n
        self.b_pre = nn.Parameter(torch.full((n, ), pre))
        self.b_post = nn.Parameter(torch.zeros(n))
        self.b_res = nn.Parameter(
            torch.full((n, n), float(res_offdiag_init)).fill_diagonal_(0.))

    def mappings(self, streams: Tensor):
        """``H_pre (..., n)``, ``H_post (..., n)``, ``H_res (..., n, n)``."""
        n = self.num_streams
        xn = self.norm(streams.flatten(-2))
        dyn = self.phi(xn)
        d_pre, d_post, d_res = dyn.split([n, n, n * n], dim=-1)
        h_pre = torch.sigmoid(self.alpha_pre * d_pre + self.b_pre)
        h_post = 2.0 * torch.sigmoid(self.alpha_post * d_post + self.b_post)
        res_logits = self.alpha_res * d_res.unflatten(-1, (n, n)) + self.b_res
        h_res = sinkhorn_knopp(res_logits, self.sinkhorn_iters)
        return h_pre, h_post, h_res

    def forward(self, streams: Tensor, block) -> Tensor:
        """Apply ``block`` through the hyper-connection.

        Args:
            streams (Tensor): ``(..., n, C)``.
            block (callable): ``(..., C) -> (..., C)``.

        Returns:
            Tensor: ``(..., n, C)``.
        """
        if streams.shape[-2:] != (self.num_streams, self.dims):
            raise ValueError(
                f'ManifoldHyperConnection: streams must end in '
                f'({self.num_streams}, {self.dims}), got '
                f'{tuple(streams.shape)}')
        h_pre, h_post, h_res = self.mappings(streams)
        inp = torch.einsum('...n,...nc->...c', h_pre, streams)
        out = block(inp)
        mixed = torch.einsum('...ij,...jc->...ic', h_res, streams)
        return mixed + h_post.unsqueeze(-1) * out.unsqueeze(-2)
