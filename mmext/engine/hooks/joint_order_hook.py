# Copyright (c) mmext contributors. All rights reserved.
"""Refuse pose checkpoints whose joint order differs from the data's."""
from typing import Optional, Set

from mmengine.hooks import Hook

from mmext.registry import HOOKS

JOINT_ORDERS = ('h36m', '3dhp')


def _dataset_orders(cfg) -> Set[str]:
    """Joint orders of the configured dataloaders' datasets."""
    orders = set()
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key) if cfg is not None else None
        dataset = loader.get('dataset') if loader else None
        if dataset:
            orders.add(dataset.get('joint_order', 'h36m'))
    return orders


@HOOKS.register_module()
class JointOrderCheckHook(Hook):
    """Record the joint order in checkpoints; refuse mismatching ones.

    A 17-joint lifting model is tied to the joint order it was trained on:
    the same weights fed MPI-INF-3DHP-order inputs (head_top first, pelvis
    at 14) instead of Human3.6M-order ones (pelvis first) predict nonsense
    without any error. This hook writes the data's order into every saved
    checkpoint (``meta['joint_order']``, as
    ``tools/model_converters/motionagformer_official_to_mmext.py`` does for
    converted upstream weights) and raises when a loaded or resumed
    checkpoint declares a different order. Checkpoints without the key
    (older ones) are accepted.

    Args:
        joint_order (str, optional): ``'h36m'`` or ``'3dhp'``. Defaults to
            the ``joint_order`` of the config's dataloader datasets
            (``'h36m'`` when they do not set one).
    """

    priority = 'VERY_HIGH'

    def __init__(self, joint_order: Optional[str] = None) -> None:
        if joint_order is not None and joint_order not in JOINT_ORDERS:
            raise ValueError(f'JointOrderCheckHook: joint_order='
                             f'{joint_order!r} is not one of {JOINT_ORDERS}')
        self.joint_order = joint_order

    def _order(self, runner) -> str:
        if self.joint_order is not None:
            return self.joint_order
        orders = _dataset_orders(getattr(runner, 'cfg', None))
        if len(orders) > 1:
            raise ValueError(
                'JointOrderCheckHook: the dataloaders use different joint '
                f'orders {sorted(orders)}; set dataset.joint_order the same '
                'everywhere')
        return orders.pop() if orders else 'h36m'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Raise if the checkpoint was made for another joint order."""
        meta = checkpoint.get('meta') or {}
        found = meta.get('joint_order') if isinstance(meta, dict) else None
        expected = self._order(runner)
        if found is not None and found != expected:
            raise ValueError(
                f'the checkpoint was trained on joint order {found!r} '
                f"(meta['joint_order']) but this config's data uses "
                f'{expected!r}; its predictions would be silently wrong. '
                f'Use a config whose dataset has joint_order={found!r} '
                "(for official 3DHP weights: configs/pose3d/motionagformer/"
                "*_mpi-inf-3dhp-order.py)")

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Write the data's joint order into ``checkpoint['meta']``."""
        checkpoint.setdefault('meta', {})['joint_order'] = self._order(runner)
