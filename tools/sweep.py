# Copyright (c) mmext contributors. All rights reserved.
"""Hyper-parameter sweeps with Optuna; every trial is a real training run.

    python tools/sweep.py CONFIG --space SPACE.py --study NAME [--trials N]
        [--storage URL] [--sampler tpe|random|grid] [--seed S]
        [--worker-id ID] [--max-failures N] [--retry-failed] [--check] ...
    python tools/sweep.py CONFIG --study NAME [--storage URL] --summary

See ``python tools/sweep.py -h`` and docs/tools/sweep.md; the code is
:mod:`mmext.workflow.sweep`.
"""


from mmext.workflow.sweep.cli import main

if __name__ == '__main__':
    from mmext.utils import cli_main
    cli_main(main)
