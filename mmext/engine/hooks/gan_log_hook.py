# Copyright (c) mmext contributors. All rights reserved.
"""The GAN log lines of docs/gesture/training.md ("Log format"), through
mmengine's logger and visualizer."""
from collections import deque

from mmext.engine.gan_state import get_gan_state
from mmext.registry import HOOKS
from .gan_balance_hook import scalar_output
from .stateful import StatefulHook

__all__ = ['GANLogHook']


@HOOKS.register_module()
class GANLogHook(StatefulHook):
    """Per-epoch banner and per-batch lines (docs/gesture/training.md).

    * Before every epoch: ``[GAN] ===== epoch E | weights k=v ... | AMP
      on/off | G freq g D freq d =====``.
    * Every ``interval`` batches: ``[GAN] epoch E batch b/n | D x G y |
      recent D x G y | G freq g D freq d | weights ... | AMP on/off``.
    * Every iteration, each of these values (losses, recent means, step
      frequencies, loss weights, AMP flag, lr multipliers, D skipped) is
      written as a scalar ``gan/<name>`` to the runner's visualizer, i.e.
      to every configured vis backend (JSON, TensorBoard, ...).

    Balance actions are logged by :class:`GANBalanceHook` itself.

    Args:
        d_loss_key (str): Defaults to ``'loss_d'``.
        g_loss_key (str): Defaults to ``'loss_g'``.
        interval (int): Batches between lines. Defaults to 10.
        window (int): Iterations in the "recent" means. Defaults to 10.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self,
                 d_loss_key: str = 'loss_d',
                 g_loss_key: str = 'loss_g',
                 interval: int = 10,
                 window: int = 10) -> None:
        if interval < 1 or window < 1:
            raise ValueError('GANLogHook: interval and window must be >= 1, '
                             f'got {interval}, {window}')
        self.d_loss_key = d_loss_key
        self.g_loss_key = g_loss_key
        self.interval = interval
        self.window = window
        self.recent_d = deque(maxlen=window)
        self.recent_g = deque(maxlen=window)

    @staticmethod
    def _weights(state) -> str:
        return ' '.join(f'{k}={v:.4f}'
                        for k, v in sorted(state.loss_weights.items()))

    def before_train_epoch(self, runner) -> None:
        s = get_gan_state(runner)
        runner.logger.info(
            f'[GAN] ===== epoch {runner.epoch} | weights {self._weights(s)} '
            f'| AMP {"on" if s.amp else "off"} | G freq {s.g_steps} D freq '
            f'{s.d_steps} =====')

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        s = get_gan_state(runner)
        loss_d = scalar_output(outputs, self.d_loss_key, 'GANLogHook')
        loss_g = scalar_output(outputs, self.g_loss_key, 'GANLogHook')
        self.recent_d.append(loss_d)
        self.recent_g.append(loss_g)
        rd = sum(self.recent_d) / len(self.recent_d)
        rg = sum(self.recent_g) / len(self.recent_g)
        scalars = {
            'gan/loss_d': loss_d,
            'gan/loss_g': loss_g,
            'gan/recent_d': rd,
            'gan/recent_g': rg,
            'gan/g_freq': s.g_steps,
            'gan/d_freq': s.d_steps,
            'gan/amp': int(s.amp),
            'gan/skip_next_d': int(s.skip_d),
        }
        scalars.update({f'gan/w_{k}': v for k, v in s.loss_weights.items()})
        scalars.update({f'gan/lr_mult_{k}': v for k, v in s.lr_mult.items()})
        if 'd_skipped' in outputs:
            scalars['gan/d_skipped'] = float(outputs['d_skipped'])
        runner.visualizer.add_scalars(scalars, step=runner.iter + 1)
        if self.every_n_inner_iters(batch_idx, self.interval):
            n = len(runner.train_dataloader)
            runner.logger.info(
                f'[GAN] epoch {runner.epoch} batch {batch_idx + 1}/{n} | '
                f'D {loss_d:.4f} G {loss_g:.4f} | recent D {rd:.4f} G '
                f'{rg:.4f} | G freq {s.g_steps} D freq {s.d_steps} | '
                f'weights {self._weights(s)} | AMP '
                f'{"on" if s.amp else "off"}')

    def state_dict(self, runner) -> dict:
        return dict(recent_d=list(self.recent_d), recent_g=list(self.recent_g))

    def load_state_dict(self, runner, state: dict) -> None:
        self.recent_d = deque(state['recent_d'], maxlen=self.window)
        self.recent_g = deque(state['recent_g'], maxlen=self.window)
