# Copyright (c) mmext contributors. All rights reserved.
from .allocator import keep_freed_memory
from .cli import cli_main, format_error
from .config_check import ConfigError, check_config, load_config
from .external import import_from_checkout
from .launch import CleanExit, destroy_dist, release_dataloaders, setup_run
from .setup_env import collect_env

__all__ = [
    'ConfigError', 'check_config', 'load_config', 'collect_env', 'setup_run',
    'CleanExit', 'destroy_dist', 'release_dataloaders', 'keep_freed_memory',
    'cli_main', 'format_error', 'import_from_checkout'
]
