# Copyright (c) mmext contributors. All rights reserved.
"""Optuna storages for sweeps (SQLite, journal file, PostgreSQL) and the
retry-with-backoff used for every storage call a worker or a trial makes."""
import os.path as osp
import re
from typing import Optional

from .space import SweepError

__all__ = [
    'redact', 'open_storage', 'retry_storage', 'is_storage_error',
    'StorageUnavailable'
]


class StorageUnavailable(SweepError):
    """The storage did not answer (a retry may succeed)."""


def redact(url: str) -> str:
    """The URL with its password hidden."""
    return re.sub(r'(://[^:/@]+:)[^@]*@', r'\1***@', url)


def _journal_path(url: str) -> Optional[str]:
    if url.startswith('journal:'):
        path = url[len('journal:'):]
        return path[2:] if path.startswith('//') else path
    if '://' not in url and url.endswith(('.log', '.journal', '.jsonl')):
        return url
    return None


def _pg_driver(url: str) -> str:
    """SQLAlchemy 2.1 maps ``postgresql://`` to psycopg 3; use psycopg2
    (the pinned driver) when psycopg 3 is not installed."""
    if not url.startswith('postgresql://'):
        return url
    import importlib.util
    if importlib.util.find_spec('psycopg') is None and \
            importlib.util.find_spec('psycopg2') is not None:
        return 'postgresql+psycopg2://' + url[len('postgresql://'):]
    return url


def open_storage(url: str):
    """An Optuna storage for ``url``.

    * ``sqlite:///path.db`` (the default, one machine);
    * ``journal:///path/file.log`` or a path ending in ``.log`` /
      ``.journal``: Optuna's journal file on a shared filesystem;
    * ``postgresql://user[:password]@host:port/db`` (many machines).

    Raises:
        SweepError: one line saying why the storage cannot be opened.
    """
    import optuna
    path = _journal_path(url)
    shown = redact(url)
    try:
        if path is not None:
            from optuna.storages.journal import (JournalFileBackend,
                                                 JournalStorage)
            folder = osp.dirname(osp.abspath(path))
            if not osp.isdir(folder):
                raise SweepError(f'journal storage {path}: folder {folder} '
                                 'does not exist')
            return JournalStorage(JournalFileBackend(path))
        if url.startswith('sqlite:'):
            folder = osp.dirname(osp.abspath(url.split(':///', 1)[-1]))
            if not osp.isdir(folder):
                raise SweepError(f'storage {url}: folder {folder} does not '
                                 'exist')
            kwargs = dict(connect_args=dict(timeout=120))
        elif url.startswith(('postgresql', 'mysql')):
            kwargs = dict(pool_pre_ping=True)
            if url.startswith('postgresql'):
                kwargs['connect_args'] = dict(connect_timeout=20)
                url = _pg_driver(url)
        else:
            raise SweepError(
                f'storage {redact(url)!r} is not understood; use '
                'sqlite:///FILE.db, journal:///FILE.log or '
                'postgresql://USER@HOST:PORT/DB')
        return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
    except SweepError:
        raise
    except ImportError as err:
        raise SweepError(f'storage {shown}: a database driver is '
                         f'missing ({err}); for PostgreSQL install '
                         'psycopg2-binary') from err
    except Exception as err:  # sqlalchemy / driver errors
        reason = str(getattr(err, 'orig', None) or err).strip()
        reason = reason.splitlines()[0] if reason else type(err).__name__
        raise StorageUnavailable(f'cannot open storage {shown}: '
                                 f'{reason}') from None


def is_storage_error(err: BaseException) -> bool:
    """Whether ``err`` says the storage could not be reached or answered
    badly (a database restart, a network cut, a journal file on a shared
    filesystem that hiccuped), as opposed to a programming error."""
    from optuna.exceptions import StorageInternalError
    if isinstance(err, (StorageUnavailable, StorageInternalError,
                        ConnectionError, TimeoutError, OSError)):
        return True
    try:
        from sqlalchemy.exc import DBAPIError, OperationalError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(err, (OperationalError, DBAPIError))


def retry_storage(fn, *args, timeout: Optional[float] = None,
                  log=None, what: str = 'storage call', **kwargs):
    """``fn(*args, **kwargs)``, retried with exponential backoff (0.5 s,
    1 s, 2 s ... at most 8 s apart) while it fails with a storage error, for
    up to ``timeout`` seconds (default: ``$MMEXT_SWEEP_STORAGE_RETRY_S`` or
    120). Other errors, and the last storage error, are raised."""
    import os
    import time
    if timeout is None:
        timeout = float(os.environ.get('MMEXT_SWEEP_STORAGE_RETRY_S', 120))
    deadline = time.monotonic() + timeout
    delay = 0.5
    while True:
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            if not is_storage_error(err) or time.monotonic() + delay > \
                    deadline:
                raise
            if log is not None:
                log(f'[sweep] {what} failed ({type(err).__name__}: '
                    f'{str(err).splitlines()[0] if str(err) else ""}); '
                    f'retrying in {delay:.1f} s')
            time.sleep(delay)
            delay = min(2 * delay, 8.0)
