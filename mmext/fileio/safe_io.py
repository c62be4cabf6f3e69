# Copyright (c) mmext contributors. All rights reserved.
"""The one place that decides what a data file may contain.

Datasets are downloaded from third-party mirrors and shared between labs, so
a data file is never allowed to be code. Every reader here rebuilds only

* containers: ``dict``, ``list``, ``tuple``, ``set``, ``frozenset``,
  ``collections.OrderedDict``;
* numbers, strings, bytes, ``None``, booleans;
* numpy arrays, scalars and dtypes.

Anything else a pickle names (``os.system``, ``builtins.exec``, a class of
some package) is refused *before* it is called, with one line naming the
file, the offending global and how to convert a legitimate file. A file that
is simply not of the expected format (random bytes, text, truncated, a
``.npy`` renamed to ``.pkl``) gets a different one-line error,
:class:`DataFormatError`, so "unsafe" is never said of a broken file.

Readers:

* :func:`load_pickle` - restricted unpickler (MotionBERT / MotionAGFormer
  pickles and clips, mmaction2 skeleton pkl, mmpose camera files);
* :func:`load_npz` - ``allow_pickle=False``; with ``allow_object=True`` the
  object arrays of the file (MPI-INF-3DHP, BEAT2 metadata) go through the
  same restricted unpickler;
* :func:`load_npy`, :func:`load_json`, :func:`load_yaml` (``SafeLoader``);
* :func:`load_data` - by file extension.

:func:`read_config_dict` reads a dumped mmengine config (``config.py``,
JSON or YAML) as data - an AST read of the literals, never by executing the
file - for report tools that tabulate other people's work dirs.
"""
import _compat_pickle
import ast
import io
import json
import os.path as osp
import pickle
import zipfile
from typing import Any, Dict, Optional

import numpy as np

__all__ = [
    'UnsafeFileError', 'DataFormatError', 'RestrictedUnpickler', 'load_pickle',
    'load_npz', 'load_npy', 'load_json', 'load_yaml', 'load_data',
    'read_config_dict', 'check_finite', 'CONVERT_HINT'
]

CONVERT_HINT = (
    'if the file is legitimate, re-save it (in a session you trust) with '
    'only dicts/lists of numpy arrays, numbers and strings, e.g. '
    "pickle.dump(to_plain(data), f) or np.savez(path, **arrays)")


class UnsafeFileError(pickle.UnpicklingError):
    """A data file names a Python object outside the allow-list.

    Attributes:
        path (str): The file.
        global_name (str): The refused ``module.name``.
    """

    def __init__(self, msg: str, path: str = '', global_name: str = ''):
        super().__init__(msg)
        self.path = path
        self.global_name = global_name


class DataFormatError(ValueError):
    """A file is not of the expected format (not a pickle, truncated ...)."""


def _allowed_globals() -> set:
    allowed = {
        ('collections', 'OrderedDict'),
        ('builtins', 'set'),
        ('builtins', 'frozenset'),
        ('builtins', 'bytearray'),
        ('builtins', 'complex'),
        ('builtins', 'slice'),
        # protocol <= 2 pickles ``bytes`` as _codecs.encode(str, 'latin1')
        ('_codecs', 'encode'),
        ('numpy', 'ndarray'),
        ('numpy', 'dtype'),
    }
    for core in ('numpy.core', 'numpy._core'):
        allowed |= {(f'{core}.multiarray', '_reconstruct'),
                    (f'{core}.multiarray', 'scalar'),
                    (f'{core}.numeric', '_frombuffer')}
    return allowed


_ALLOWED = _allowed_globals()


def _is_allowed(module: str, name: str) -> bool:
    return (module, name) in _ALLOWED or (module == 'numpy.dtypes'
                                          and name.endswith('DType'))


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only rebuilds containers, numbers, strings and
    numpy arrays / scalars / dtypes; every other global raises
    :class:`UnsafeFileError` before it can be called.

    Args:
        file: Binary file object.
        path (str): Shown in the error. Defaults to ``'<stream>'``.
    """

    def __init__(self, file, path: str = '<stream>', **kwargs):
        super().__init__(file, **kwargs)
        self._path = path

    def find_class(self, module: str, name: str):
        # Python 2 names (protocol <= 2 writes them), as pickle maps them
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        if _is_allowed(module, name):
            return super().find_class(module, name)
        raise UnsafeFileError(
            f'refusing to load {self._path}: it references {module}.{name}, '
            'which is not data (a data file may hold only containers, '
            'numbers, strings and numpy arrays; loading it could run code); '
            f'{CONVERT_HINT}', self._path, f'{module}.{name}')

    def persistent_load(self, pid):  # torch-style persistent ids
        raise UnsafeFileError(
            f'refusing to load {self._path}: it uses persistent ids (a torch '
            'checkpoint or another framework\'s object pickle, not a data '
            'file); load checkpoints with mmext.engine.safe_load', self._path,
            'persistent_load')


_MAGIC = {
    b'PK\x03\x04': 'a zip archive (an .npz file or a torch checkpoint)',
    b'\x93NUMPY': 'a .npy array file',
    b'\x89HDF': 'an HDF5 file',
}


def _sniff(head: bytes) -> Optional[str]:
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            return what
    if not head:
        return 'an empty file'
    return None


def _check_file(path: str, what: str) -> str:
    path = osp.expanduser(str(path))
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} {path}: file not found')
    return path


def load_pickle(path: str, what: str = 'pickle') -> Any:
    """Load a data pickle with :class:`RestrictedUnpickler`.

    Args:
        path (str): The ``.pkl`` file.
        what (str): What the file is, for error messages (e.g.
            ``'h36m pickle'``).

    Raises:
        FileNotFoundError: no such file.
        UnsafeFileError: the pickle names a global outside the allow-list.
        DataFormatError: not a pickle, or truncated.
    """
    path = _check_file(path, what)
    with open(path, 'rb') as f:
        head = f.read(8)
        other = _sniff(head)
        if other is not None:
            raise DataFormatError(f'{what} {path}: expected a pickle, got '
                                  f'{other}')
        f.seek(0)
        try:
            return RestrictedUnpickler(f, path=path).load()
        except UnsafeFileError:
            raise
        except EOFError:
            raise DataFormatError(f'{what} {path}: truncated pickle (the '
                                  'file ends early; re-copy or re-create '
                                  'it)') from None
        except (pickle.UnpicklingError, ValueError, TypeError, KeyError,
                IndexError, AttributeError, ImportError, OverflowError,
                MemoryError, UnicodeDecodeError) as err:
            raise DataFormatError(
                f'{what} {path}: not a readable pickle of the expected '
                f'format ({type(err).__name__}: {str(err).splitlines()[0]})'
            ) from None


def _loads_restricted(data: bytes, path: str) -> Any:
    return RestrictedUnpickler(io.BytesIO(data), path=path).load()


class SafeNpz(dict):
    """The arrays of an ``.npz`` file, loaded eagerly; ``files`` and the
    context-manager protocol as :class:`numpy.lib.npyio.NpzFile`."""

    @property
    def files(self):
        return list(self.keys())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self):
        pass


def _read_npy_member(fp,
                     path: str,
                     member: str,
                     allow_object: bool,
                     file: str = ''):
    fmt = np.lib.format
    version = fmt.read_magic(fp)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(fp)
    elif version == (2, 0):
        shape, fortran, dtype = fmt.read_array_header_2_0(fp)
    else:
        shape, fortran, dtype = fmt._read_array_header(fp, version)
    if dtype.hasobject:
        if not allow_object:
            raise DataFormatError(
                f'{path}: array {member!r} holds Python objects (dtype '
                f'{dtype}); this format expects plain numeric arrays')
        # numpy writes object arrays as a pickle of the whole array
        arr = RestrictedUnpickler(
            fp, path=f'{file or path} (array {member!r})').load()
        return np.asarray(arr)
    count = int(np.prod(shape)) if shape else 1
    data = fp.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise DataFormatError(f'{path}: array {member!r} is truncated')
    arr = np.frombuffer(data, dtype=dtype, count=count).copy()
    if fortran:
        return arr.reshape(shape[::-1]).transpose()
    return arr.reshape(shape)


def load_npz(path: str,
             what: str = 'npz',
             allow_object: bool = False) -> SafeNpz:
    """Load every array of an ``.npz`` file without unpickling code.

    Args:
        path (str): The ``.npz`` file.
        what (str): What the file is, for error messages.
        allow_object (bool): Whether object arrays (pickled dicts/lists, as
            MPI-INF-3DHP's ``data`` and BEAT2's metadata use) are read,
            through :class:`RestrictedUnpickler`. Defaults to False.

    Returns:
        SafeNpz: ``name -> array`` (with ``.files``), usable in ``with``.

    Raises:
        FileNotFoundError, UnsafeFileError, DataFormatError.
    """
    path = _check_file(path, what)
    out = SafeNpz()
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                name = info.filename
                if not name.endswith('.npy'):
                    continue
                with z.open(info) as fp:
                    out[name[:-4]] = _read_npy_member(fp, f'{what} {path}',
                                                      name[:-4], allow_object,
                                                      path)
    except (UnsafeFileError, DataFormatError):
        raise
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as err:
        with open(path, 'rb') as f:
            other = _sniff(f.read(8))
        got = f'got {other}' if other else (
            f'{type(err).__name__}: {str(err).splitlines()[0]}')
        raise DataFormatError(f'{what} {path}: not a readable .npz archive '
                              f'(truncated or wrong format; {got})') from None
    return out


def load_npy(path: str, what: str = 'npy', allow_object: bool = False):
    """Load one ``.npy`` array (object arrays only with ``allow_object``,
    through the restricted unpickler)."""
    path = _check_file(path, what)
    with open(path, 'rb') as fp:
        try:
            return _read_npy_member(fp, f'{what} {path}', 'array',
                                    allow_object, path)
        except (UnsafeFileError, DataFormatError):
            raise
        except (ValueError, EOFError) as err:
            raise DataFormatError(f'{what} {path}: not a readable .npy array '
                                  f'({str(err).splitlines()[0]})') from None


def load_json(path: str, what: str = 'json') -> Any:
    """``json.load`` with a one-line error naming the file and position."""
    path = _check_file(path, what)
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataFormatError(
            f'{what} {path}: not valid JSON ({err})') from None


def load_yaml(path: str, what: str = 'yaml') -> Any:
    """``yaml.safe_load``: no ``!!python/...`` tags, so no code runs."""
    import yaml
    path = _check_file(path, what)
    try:
        with open(path, encoding='utf-8') as f:
            return yaml.safe_load(f)
    except yaml.constructor.ConstructorError as err:
        raise UnsafeFileError(
            f'refusing to load {path}: it uses the YAML tag '
            f'{getattr(err, "problem", err)}; only plain YAML data is allowed '
            f'({CONVERT_HINT})', path, 'yaml-tag') from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        first = str(err).splitlines()[0]
        raise DataFormatError(
            f'{what} {path}: not valid YAML ({first})') from None


def load_data(path: str, what: Optional[str] = None, **kwargs) -> Any:
    """Load a data file by its extension (``.pkl``/``.pickle``, ``.npz``,
    ``.npy``, ``.json``, ``.yaml``/``.yml``)."""
    ext = osp.splitext(str(path))[1].lower()
    readers = {
        '.pkl': load_pickle,
        '.pickle': load_pickle,
        '.npz': load_npz,
        '.npy': load_npy,
        '.json': load_json,
        '.yaml': load_yaml,
        '.yml': load_yaml
    }
    if ext not in readers:
        raise DataFormatError(
            f'{what or "data file"} {path}: unknown extension {ext!r} '
            f'(expected one of {sorted(readers)})')
    return readers[ext](path, what or ext[1:], **kwargs)


# --------------------------------------------------------------- configs
class _LiteralReader(ast.NodeVisitor):
    """Evaluates the literal top-level assignments of a dumped config."""

    def __init__(self):
        self.values: Dict[str, Any] = {}

    def value(self, node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == 'dict' and not node.args:
            return {
                kw.arg: self.value(kw.value)
                for kw in node.keywords if kw.arg is not None
            }
        if isinstance(node, ast.Dict):
            return {
                self.value(k): self.value(v)
                for k, v in zip(node.keys, node.values) if k is not None
            }
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.value(e) for e in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Name):
            if node.id in self.values:
                return self.values[node.id]
            return {
                'True': True,
                'False': False,
                'None': None
            }.get(node.id, f'<{node.id}>')
        try:
            return ast.literal_eval(node)
        except (ValueError, SyntaxError, TypeError):
            return f'<{ast.unparse(node)}>'

    def visit_Module(self, node):
        for stmt in node.body:
            if isinstance(stmt, ast.Assign):
                val = self.value(stmt.value)
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        self.values[target.id] = val


def read_config_dict(path: str) -> Dict[str, Any]:
    """A dumped config as a plain dict, read as data (never executed).

    ``.json`` / ``.yaml`` dumps are parsed with the safe loaders; a ``.py``
    dump (mmengine writes the merged config as literal assignments) is read
    through its AST: literals, ``dict(...)`` calls and names assigned
    earlier in the file are evaluated; anything else (a call, an import, an
    expression) is recorded as the string ``'<source>'`` and never run.

    Raises:
        FileNotFoundError, DataFormatError (syntax error, wrong type).
    """
    ext = osp.splitext(path)[1].lower()
    if ext in ('.json', '.yaml', '.yml'):
        data = load_data(path, 'config')
        if not isinstance(data, dict):
            raise DataFormatError(f'config {path}: expected a mapping, got '
                                  f'{type(data).__name__}')
        return data
    path = _check_file(path, 'config')
    try:
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), filename=path)
    except (SyntaxError, UnicodeDecodeError, ValueError) as err:
        raise DataFormatError(f'config {path}: not a readable Python config '
                              f'({type(err).__name__}: {err})') from None
    reader = _LiteralReader()
    reader.visit(tree)
    return reader.values


def check_finite(arr, where: str, name: str) -> np.ndarray:
    """Raise ``ValueError`` naming ``where`` and ``name`` if a float array
    holds NaN or Inf (cheap: one pass, run once at load)."""
    a = np.asarray(arr)
    if a.dtype.kind in 'fc' and a.size and not np.isfinite(a).all():
        bad = ~np.isfinite(a)
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f'{where}: {name} holds {int(bad.sum())} non-finite values '
            f'(NaN/Inf; first at index {first}); expected finite numbers')
    return a
