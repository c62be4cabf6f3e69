# Copyright (c) mmext contributors. All rights reserved.
"""Safe readers for data files (see :mod:`mmext.fileio.safe_io`)."""
from .safe_io import (CONVERT_HINT, DataFormatError, RestrictedUnpickler,
                      UnsafeFileError, check_finite, load_data, load_json,
                      load_npy, load_npz, load_pickle, load_yaml,
                      read_config_dict)

__all__ = [
    'UnsafeFileError', 'DataFormatError', 'RestrictedUnpickler',
    'load_pickle', 'load_npz', 'load_npy', 'load_json', 'load_yaml',
    'load_data', 'read_config_dict', 'check_finite', 'CONVERT_HINT'
]
