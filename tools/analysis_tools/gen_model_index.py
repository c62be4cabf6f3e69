# Copyright (c) mmext contributors. All rights reserved.
"""OpenMMLab model-zoo metadata from work dirs.

    python tools/analysis_tools/gen_model_index.py WORK_DIR [WORK_DIR ...]
        --out-dir DIR [--config-root configs] [--collection NAME]
        [--weights-prefix https://.../checkpoints]

Writes ``DIR/<collection>/metafile.yml`` (one ``Models`` entry per work
dir: config, test metrics, parameters and FLOPs from ``complexity.json``,
epochs, total batch, resources, weights) and ``DIR/model-index.yml``.
The collection defaults to the config's folder name.
"""
import argparse
import sys

from mmext.workflow.modelzoo import write_model_index
from mmext.workflow.results import discover


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('work_dirs', nargs='+')
    p.add_argument('--out-dir', required=True)
    p.add_argument('--config-root', nargs='+', default=['configs'])
    p.add_argument('--collection')
    p.add_argument('--weights-prefix',
                   help='URL prefix of the published checkpoints (default: '
                   'the local best checkpoint path)')
    args = p.parse_args(argv)
    try:
        exps = discover(args.work_dirs)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    written = write_model_index(exps, args.out_dir, args.config_root,
                                args.collection, args.weights_prefix)
    for path in written.values():
        print(f'written: {path}')
    return 0


if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
