# Copyright (c) mmext contributors. All rights reserved.
"""Print the fully merged config (``_base_`` inheritance resolved).

    python tools/misc/print_config.py CONFIG [--cfg-options k=v ...]
        [--save-path merged.py]
"""
import argparse
import sys

from mmengine.config import DictAction

import mmext  # noqa: F401
from mmext.utils import ConfigError, load_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings before printing')
    parser.add_argument('--save-path', help='save the merged config here')
    parser.add_argument(
        '--no-check',
        action='store_true',
        help='print without checking component names and data roots')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.no_check:
            from mmengine.config import Config
            cfg = Config.fromfile(args.config)
            if args.cfg_options:
                cfg.merge_from_dict(args.cfg_options)
        else:
            cfg = load_config(
                args.config, args.cfg_options, check_data=False)
    except (ConfigError, FileNotFoundError) as err:
        sys.exit(f'error: {err}')
    print(cfg.pretty_text)
    if args.save_path is not None:
        cfg.dump(args.save_path)
        print(f'saved the merged config to {args.save_path}')


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
