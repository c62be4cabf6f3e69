# Copyright (c) mmext contributors. All rights reserved.
"""Errors mmext raises on purpose while running; each message is one line
naming the file, key or value and what was expected
(:func:`mmext.utils.cli_main` prints it without a traceback)."""

__all__ = [
    'MMExtRuntimeError', 'CheckpointFormatError', 'CheckpointMismatchError',
    'NonFiniteError', 'WorkDirLockedError', 'ResumeMismatchError'
]


class MMExtRuntimeError(RuntimeError):
    """Base of the run-time errors whose message is written for the user."""


class CheckpointFormatError(MMExtRuntimeError):
    """A file is not a readable torch checkpoint (truncated, not a zip or a
    pickle, another format renamed ``.pth``)."""


class CheckpointMismatchError(MMExtRuntimeError):
    """A checkpoint's state dict does not fit the model (missing,
    unexpected or shape-mismatched keys)."""


class ResumeMismatchError(MMExtRuntimeError):
    """``resume`` found a checkpoint of a different model."""


class NonFiniteError(MMExtRuntimeError):
    """Training produced a NaN/Inf loss."""


class WorkDirLockedError(MMExtRuntimeError):
    """Another run owns the work dir."""
