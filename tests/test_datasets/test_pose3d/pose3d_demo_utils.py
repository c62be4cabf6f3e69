# Copyright (c) mmext contributors. All rights reserved.
"""Load ``tools/misc/generate_h36m_demo.py`` (a script) as a module."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def load_generator():
    path = ROOT / 'tools' / 'misc' / 'generate_h36m_demo.py'
    spec = importlib.util.spec_from_file_location('generate_h36m_demo', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
