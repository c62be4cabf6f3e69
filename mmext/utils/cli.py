# Copyright (c) mmext contributors. All rights reserved.
"""The one error path of every tool in ``tools/``.

Each tool ends with::

    if __name__ == '__main__':
        from mmext.utils import cli_main
        cli_main(main)

:func:`cli_main` runs ``main(argv)`` and turns any exception into **one
line** on stderr, ``error: <what is wrong>``, and exit status 1 (2 for
argparse's usage errors, as before). Errors mmext raises on purpose (a
config key, a file, an argument: :class:`ConfigError`, ``FileNotFoundError``,
``ValueError``, ``KeyError``, unsafe or unreadable files, a checkpoint that
does not fit, a non-finite loss, a locked work dir, a full disk) print their
message; anything else prints its type and first line and says that
``--debug`` shows the traceback. ``--debug`` anywhere on the command line
(or ``MMEXT_DEBUG=1``) lets the exception propagate with its traceback.
"""
import inspect
import os
import pickle
import sys
from typing import Callable, List, Optional

__all__ = ['cli_main', 'format_error', 'EXPECTED_ERRORS']

# Exceptions whose message is written for the user: printed as they are.
EXPECTED_ERRORS = (ValueError, KeyError, LookupError, FileNotFoundError,
                   NotADirectoryError, IsADirectoryError, PermissionError,
                   pickle.UnpicklingError, EOFError, ImportError)


def _expected_types():
    from mmext.engine.errors import MMExtRuntimeError
    return EXPECTED_ERRORS + (MMExtRuntimeError, )


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).strip().splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        return ''
    return lines[0] + (' (more with --debug)' if len(lines) > 1 else '')


def format_error(err: BaseException) -> str:
    """The one line a tool prints for ``err`` (without a traceback)."""
    if isinstance(err, KeyError) and len(err.args) == 1:
        msg = str(err.args[0])  # str(KeyError) adds quotes
    else:
        msg = str(err)
    if isinstance(err, OSError) and err.filename and \
            str(err.filename) not in msg:
        msg = f'{err.filename}: {err.strerror or msg}'
    elif isinstance(err, OSError) and err.strerror and not err.filename \
            and 'cannot write' not in msg:
        msg = err.strerror if not msg else msg
    line = _first_line(msg)
    try:
        expected = _expected_types()
    except Exception:  # a broken install must not hide the original error
        expected = EXPECTED_ERRORS
    if isinstance(err, expected) or (isinstance(err, OSError)
                                     and err.errno is not None):
        if not line:
            line = type(err).__name__
        return f'error: {line}'
    return (f'error: {type(err).__name__}: {line or "(no message)"} '
            '(unexpected; re-run with --debug for the traceback)')


def cli_main(main: Callable, argv: Optional[List[str]] = None) -> None:
    """Run a tool's ``main`` with the shared error path and exit.

    Args:
        main: The tool's ``main(argv=None)`` (or ``main()``, which then
            reads ``sys.argv``).
        argv (list[str], optional): Defaults to ``sys.argv[1:]``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = '--debug' in argv or os.environ.get('MMEXT_DEBUG',
                                                '') not in ('', '0')
    argv = [a for a in argv if a != '--debug']
    try:
        if inspect.signature(main).parameters:
            result = main(argv)
        else:
            sys.argv = sys.argv[:1] + argv
            result = main()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        if debug:
            raise
        sys.exit('error: interrupted')
    except Exception as err:
        if debug:
            raise
        sys.exit(format_error(err))
    sys.exit(
        result
        if isinstance(result, int) and not isinstance(result, bool) else 0)
