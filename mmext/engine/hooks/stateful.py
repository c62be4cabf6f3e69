# Copyright (c) mmext contributors. All rights reserved.
"""Checkpointing of hook state."""
from mmengine.hooks import Hook

__all__ = ['StatefulHook']


class StatefulHook(Hook):
    """A hook whose :meth:`state_dict` travels in the checkpoint.

    The state is stored under ``checkpoint['hook_states'][key]`` (``key``
    defaults to the class name) by ``before_save_checkpoint`` and restored
    by ``after_load_checkpoint``, which the runner calls on resume before
    ``before_train``. A checkpoint without the entry (e.g. from a run
    without this hook) leaves the hook's state as it is.
    """

    state_key = None

    def _key(self) -> str:
        return self.state_key or type(self).__name__

    def state_dict(self, runner) -> dict:
        """The hook's state (plain Python values)."""
        raise NotImplementedError

    def load_state_dict(self, runner, state: dict) -> None:
        """Restore :meth:`state_dict`'s output."""
        raise NotImplementedError

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('hook_states', {})[self._key()] = \
            self.state_dict(runner)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('hook_states', {}).get(self._key())
        if state is not None:
            self.load_state_dict(runner, state)
