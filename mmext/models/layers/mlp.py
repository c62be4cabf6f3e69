# Copyright (c) mmext contributors. All rights reserved.
"""Channel MLP (the transformer feed-forward network)."""
from typing import Optional, Type

from torch import Tensor, nn

__all__ = ['Mlp']


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
