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

Initialisation of the static parts (``init='hc'``, the default). The
streams start as copies of the input, and with copies, a doubly stochastic
``H_res`` (its rows sum to 1) and the same write weight for every stream,
every stream receives the same update, so the streams stay copies for ever:
the connection is then a plain residual (a uniform read ``b_pre = logit(1/n)``
and ``H_post = 1``, this module's former initialisation, kept as
``init='uniform'``, left the four streams identical to about 1e-3). Two
asymmetries break this:

* **read** (the HC reference initialisation): connection ``k`` reads stream
  ``k mod n``. Hyper-Connections (Zhu et al., ICLR 2025, arXiv:2409.19606,
  Appendix J, Algorithm 2) set ``init_alpha0[layer_id % rate] = 1`` and
  zeros elsewhere; lucidrains/hyper-connections
  (``manifold_constrained_hyper_connections.py``, ``init_residual_index =
  layer_index % num_residual_streams``) does the same for mHC. Under the
  sigmoid of ``H_pre`` we use logits ``+read_logit`` there and
  ``-read_logit`` elsewhere (``read_logit=4``: 0.982 / 0.018).
* **write** (our choice; the papers fix none): connection ``k`` writes
  ``write_init`` (1.5) times its output into stream ``k mod n`` and
  ``(n - write_init) / (n - 1)`` times into the others, so the write
  weights average to 1 and the streams' mean starts as ``x + F(x)``, the
  plain residual's first step, while the streams differ by
  ``(write_init - (n - write_init) / (n - 1)) F`` after the first block.

``b_res`` is 0 on the diagonal and ``res_offdiag_init`` (-4) off it
(``H_res`` near the identity, as the reference's ``eye``); ``phi`` ~
N(0, 0.02); the gates ``alpha`` start at ``alpha_init``.
"""
import math

import torch
from torch import Tensor, nn

from mmext.registry import MODELS

__all__ = [
    'sinkhorn_knopp', 'ManifoldHyperConnection', 'expand_streams',
    'reduce_streams'
]

INITS = ('hc', 'uniform')


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


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


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
        layer_index (int): Index ``k`` of this connection in the network
            (each block has two: mixer ``2 i``, MLP ``2 i + 1``); with
            ``init='hc'`` it reads and writes stream ``k mod n`` most.
            Defaults to 0.
        init (str): ``'hc'`` (the asymmetric read / write of the module
            docstring) or ``'uniform'`` (``H_pre = 1/n``, ``H_post = 1``:
            identical streams, a plain residual at init). Defaults to 'hc'.
        read_logit (float): ``init='hc'``: ``b_pre`` is ``+read_logit`` at
            stream ``k mod n`` and ``-read_logit`` elsewhere. Defaults to 4.
        write_init (float): ``init='hc'``: ``H_post`` of stream
            ``k mod n`` at init, in (0, 2); the others get
            ``(n - write_init) / (n - 1)``. Defaults to 1.5.
    """

    def __init__(self,
                 dims: int,
                 num_streams: int = 4,
                 alpha_init: float = 0.01,
                 sinkhorn_iters: int = 20,
                 res_offdiag_init: float = -4.0,
                 layer_index: int = 0,
                 init: str = 'hc',
                 read_logit: float = 4.0,
                 write_init: float = 1.5) -> None:
        super().__init__()
        if num_streams < 1:
            raise ValueError(f'num_streams must be >= 1, got {num_streams}')
        if init not in INITS:
            raise ValueError(f'ManifoldHyperConnection: init must be one of '
                             f'{INITS}, got {init!r}')
        if not 0 < write_init < 2:
            raise ValueError(f'ManifoldHyperConnection: write_init must be '
                             f'in (0, 2) (H_post = 2 sigmoid(.)), got '
                             f'{write_init}')
        n = num_streams
        self.dims = dims
        self.num_streams = n
        self.sinkhorn_iters = sinkhorn_iters
        self.layer_index = layer_index
        self.init = init
        self.norm = nn.RMSNorm(n * dims, eps=1e-6)
        self.phi = nn.Linear(n * dims, 2 * n + n * n, bias=False)
        nn.init.normal_(self.phi.weight, std=0.02)
        self.alpha_pre = nn.Parameter(torch.tensor(float(alpha_init)))
        self.alpha_post = nn.Parameter(torch.tensor(float(alpha_init)))
        self.alpha_res = nn.Parameter(torch.tensor(float(alpha_init)))
        if n == 1:
            b_pre, b_post = torch.full((1, ), 20.0), torch.zeros(1)
        elif init == 'uniform':
            b_pre = torch.full((n, ), -math.log(n - 1))  # sigmoid = 1/n
            b_post = torch.zeros(n)  # H_post = 1
        else:
            k = layer_index % n
            b_pre = torch.full((n, ), -float(read_logit))
            b_pre[k] = float(read_logit)
            # in (0, 2) for any n >= 2 and write_init in (0, 2)
            other = (n - write_init) / (n - 1)
            b_post = torch.full((n, ), _logit(other / 2))
            b_post[k] = _logit(write_init / 2)
        self.b_pre = nn.Parameter(b_pre)
        self.b_post = nn.Parameter(b_post)
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
