# Copyright (c) mmext contributors. All rights reserved.
"""Epoch-driven data curriculum (crop size, motion magnitude, ...); the
loss-weight curriculum of the GAN line is
:class:`~mmext.engine.hooks.LossWeightCurriculumHook`."""
from typing import Dict, List

from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmext.registry import HOOKS


@HOOKS.register_module()
class DataCurriculumHook(Hook):
    """Before every training epoch, call the training dataset's
    ``set_curriculum(epoch, **stage)`` with the last stage whose ``epoch``
    has been reached.

    The stage is a pure function of the epoch, so a resumed run continues
    the same curriculum. Dataloader workers hold copies of the dataset:
    with ``num_workers > 0`` the dataloader must not use persistent
    workers (checked before training).

    Args:
        stages (list[dict]): Each ``dict(epoch=E, **kwargs)``, sorted by
            ``E``, the first at epoch 0; ``kwargs`` go to
            ``set_curriculum`` (e.g. ``crop_size``, ``max_span``).
    """

    priority = 'NORMAL'

    def __init__(self, stages: List[Dict]) -> None:
        if not stages or stages[0].get('epoch') != 0:
            raise ValueError('DataCurriculumHook: stages must start with '
                             'a stage at epoch 0')
        epochs = [s['epoch'] for s in stages]
        if epochs != sorted(set(epochs)):
            raise ValueError(f'DataCurriculumHook: stage epochs must '
                             f'increase, got {epochs}')
        self.stages = [dict(s) for s in stages]

    def stage_at(self, epoch: int) -> Dict:
        """The stage arguments (without ``epoch``) active at ``epoch``."""
        stage = [s for s in self.stages if s['epoch'] <= epoch][-1]
        return {k: v for k, v in stage.items() if k != 'epoch'}

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        if not hasattr(loader.dataset, 'set_curriculum'):
            raise TypeError(
                f'DataCurriculumHook: the training dataset '
                f'{type(loader.dataset).__name__} has no set_curriculum()')
        if loader.num_workers > 0 and loader.persistent_workers:
            raise ValueError(
                'DataCurriculumHook: set train_dataloader.persistent_workers'
                '=False (persistent workers keep the old curriculum)')

    def before_train_epoch(self, runner) -> None:
        stage = self.stage_at(runner.epoch)
        runner.train_dataloader.dataset.set_curriculum(runner.epoch, **stage)
        print_log(f'DataCurriculumHook: epoch {runner.epoch}: {stage}',
                  logger='current')
