# Copyright (c) mmext contributors. All rights reserved.
"""import_from_checkout: the one place that imports a user's checkout."""
import sys

import pytest

from mmext.utils import import_from_checkout


def test_imports_a_module_with_absolute_imports_of_its_own(tmp_path):
    pkg = tmp_path / 'repo' / 'extpkg_for_test'
    (pkg / 'modules').mkdir(parents=True)
    (pkg / '__init__.py').write_text('')
    (pkg / 'modules' / '__init__.py').write_text('')
    (pkg / 'modules' / 'layer.py').write_text('VALUE = 41\n')
    (pkg / 'model.py').write_text(
        'from extpkg_for_test.modules.layer import VALUE\n'
        'ANSWER = VALUE + 1\n')
    try:
        mod = import_from_checkout(str(tmp_path / 'repo'),
                                   'extpkg_for_test.model', '--official X')
        assert mod.ANSWER == 42
    finally:
        sys.path.remove(str(tmp_path / 'repo'))
        for name in [m for m in sys.modules if m.startswith('extpkg_for')]:
            del sys.modules[name]


def test_errors_name_the_argument(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r'--official /nope: /nope is not a directory'):
        import_from_checkout('/nope', 'model.MotionAGFormer',
                             '--official /nope')
    try:
        with pytest.raises(ImportError, match=r'--official D: cannot import '
                           r'model_not_here_x from .*right checkout'):
            import_from_checkout(str(tmp_path), 'model_not_here_x',
                                 '--official D')
    finally:
        sys.path.remove(str(tmp_path))
