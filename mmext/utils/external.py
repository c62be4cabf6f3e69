# Copyright (c) mmext contributors. All rights reserved.
"""Import a module from a user's checkout of another project (an official
implementation that a benchmark or a fixture generator runs beside mmext).

Official repositories import their own modules by absolute name
(``from model.modules.attention import ...``), so their root must be on
``sys.path``; this is the one place in mmext that puts it there, so tools
never edit ``sys.path`` themselves.
"""
import importlib
import os.path as osp
import sys
from types import ModuleType

__all__ = ['import_from_checkout']


def import_from_checkout(checkout: str, module: str, what: str) -> ModuleType:
    """Import ``module`` from the repository checked out at ``checkout``.

    Args:
        checkout (str): Root of the checkout; put first on ``sys.path``
            (for the rest of the process: the module's own lazy imports need
            it).
        module (str): Dotted module name inside the checkout, e.g.
            ``'model.MotionAGFormer'``.
        what (str): How the user named the checkout (e.g. ``'--official
            /tmp/mag'``), for the error message.

    Raises:
        FileNotFoundError: ``checkout`` is not a directory.
        ImportError: the module cannot be imported from it (the message says
            which checkout was expected).
    """
    root = osp.abspath(checkout)
    if not osp.isdir(root):
        raise FileNotFoundError(f'{what}: {checkout} is not a directory')
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f'{what}: cannot import {module} from {root} '
                          f'({err}); is it the right checkout?') from None
