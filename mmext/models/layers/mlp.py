# Copyright (c) mmext contributors. All rights reserved.
"""Channel MLP (the transformer feed-forward network)."""
from typing import Optional, Type

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['Mlp', 'layer_norm_mlp']


class Mlp(nn.Module):
    """Two-layer channel MLP: ``fc1 -> act -> drop -> fc2 -> drop``.

    Parameter names (``fc1``, ``fc2``) match the ``MLP`` of
    TaatiTeam/MotionAGFormer (``model/modules/mlp.py``) so that its
    checkpoints load unchanged.

    Args:
        in_features (int): Input channels.
        hidden_features (int, optional): Hidden channels. Defaults to
            ``in_features``.
        out_features (int, optional): Output channels. Defaults to
            ``in_features``.
        act_layer (type[nn.Module]): Activation class. Defaults to
            ``nn.GELU``.
        drop (float): Dropout after the activation and after ``fc2``.
            Defaults to 0.
    """

    def __init__(self,
                 in_features: int,
                 hidden_features: Optional[int] = None,
                 out_features: Optional[int] = None,
                 act_layer: Type[nn.Module] = nn.GELU,
                 drop: float = 0.) -> None:
        super().__init__()
        hidden_features = hidden_features or in_features
        out_features = out_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: Tensor) -> Tensor:
        """``(..., in_features) -> (..., out_features)``."""
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


def _autocast_dtype(x: Tensor) -> Optional[torch.dtype]:
    device = x.device.type
    if torch.is_autocast_enabled(device):
        return torch.get_autocast_dtype(device)
    return None


def _ln_mlp_forward(x, ln_w, ln_b, eps, w1, b1, w2, b2, dtype):
    """LayerNorm (fp32, as autocast runs it) -> fc1 -> GELU -> fc2."""
    if dtype is not None:
        x = x.float()
    xn, mean, rstd = torch.ops.aten.native_layer_norm(
        x, [x.shape[-1]], ln_w, ln_b, eps)
    if dtype is not None:
        xn, w1, b1, w2, b2 = (t.to(dtype) for t in (xn, w1, b1, w2, b2))
    h = F.linear(xn, w1, b1)
    return xn, mean, rstd, h, w1, w2


class _LayerNormMlp(torch.autograd.Function):
    """``fc2(gelu(fc1(layer_norm(x))))`` keeping only ``x`` and ``fc1``'s
    output for backward; the LayerNorm output and the GELU output (5 of
    the 11 channel-sized tensors autograd would keep) are recomputed in
    backward from them - two elementwise passes, no matmul."""

    @staticmethod
    def forward(ctx, x, ln_w, ln_b, eps, w1, b1, w2, b2):
        dtype = _autocast_dtype(x)
        with torch.autocast(x.device.type, enabled=False):
            xn, mean, rstd, h, w1c, w2c = _ln_mlp_forward(
                x, ln_w, ln_b, eps, w1, b1, w2, b2, dtype)
            y = F.linear(F.gelu(h), w2c, b2.to(w2c.dtype))
        ctx.save_for_backward(x, mean, rstd, h, ln_w, ln_b, w1, w2)
        ctx.bias_dtypes = (b1.dtype, b2.dtype)
        ctx.eps = eps
        ctx.dtype = dtype
        return y

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_y):
        x, mean, rstd, h, ln_w, ln_b, w1, w2 = ctx.saved_tensors
        b1_dtype, b2_dtype = ctx.bias_dtypes
        dtype = ctx.dtype
        with torch.autocast(x.device.type, enabled=False):
            xf = x.float() if dtype is not None else x
            xn = torch.ops.aten.native_layer_norm(
                xf, [x.shape[-1]], ln_w, ln_b, ctx.eps)[0]
            w1c, w2c = w1, w2
            if dtype is not None:
                xn, w1c, w2c = xn.to(dtype), w1.to(dtype), w2.to(dtype)
                grad_y = grad_y.to(dtype)
            act = F.gelu(h)
            hid = h.shape[-1]
            gy2 = grad_y.reshape(-1, grad_y.shape[-1])
            grad_w2 = gy2.t().mm(act.reshape(-1, hid))
            grad_b2 = gy2.sum(0)
            grad_h = torch.ops.aten.gelu_backward(gy2.mm(w2c),
                                                  h.reshape(-1, hid))
            del act
            grad_w1 = grad_h.t().mm(xn.reshape(-1, xn.shape[-1]))
            grad_b1 = grad_h.sum(0)
            grad_xn = grad_h.mm(w1c).reshape(x.shape).to(xf.dtype)
            del grad_h
            grad_x, grad_ln_w, grad_ln_b = \
                torch.ops.aten.native_layer_norm_backward(
                    grad_xn, xf, [x.shape[-1]], mean, rstd, ln_w, ln_b,
                    [True, True, True])
        return (grad_x.to(x.dtype), grad_ln_w, grad_ln_b, None,
                grad_w1.to(w1.dtype), grad_b1.to(b1_dtype),
                grad_w2.to(w2.dtype), grad_b2.to(b2_dtype))


def layer_norm_mlp(x: Tensor, norm: nn.LayerNorm, mlp: Mlp) -> Tensor:
    """``mlp(norm(x))`` with less activation memory where possible.

    When the MLP is ``Linear -> GELU -> Linear`` with biases, no dropout
    acts (``drop == 0`` or eval mode), and ``norm`` is an affine
    LayerNorm over the last axis, the LayerNorm and GELU outputs are not
    kept for backward but recomputed from ``x`` and ``fc1``'s output
    (:class:`_LayerNormMlp`); outputs and gradients are those of
    ``mlp(norm(x))`` up to float rounding of the matmuls. Otherwise this is
    exactly ``mlp(norm(x))``.

    Args:
        x (Tensor): ``(..., C)``.
        norm (nn.LayerNorm): LayerNorm over ``C``.
        mlp (Mlp): The MLP.

    Returns:
        Tensor: ``(..., out_features)``.
    """
    fusable = (
        torch.is_grad_enabled() and type(mlp.act) is nn.GELU
        and mlp.act.approximate == 'none'
        and (mlp.drop.p == 0. or not mlp.training)
        and mlp.fc1.bias is not None and mlp.fc2.bias is not None
        and isinstance(norm, nn.LayerNorm) and norm.elementwise_affine
        and tuple(norm.normalized_shape) == (x.shape[-1], )
        and getattr(norm, 'bias', None) is not None)
    if not fusable:
        return mlp(norm(x))
    return _LayerNormMlp.apply(x, norm.weight, norm.bias, norm.eps,
                               mlp.fc1.weight, mlp.fc1.bias,
                               mlp.fc2.weight, mlp.fc2.bias)
