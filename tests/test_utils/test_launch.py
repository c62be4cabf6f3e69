# Copyright (c) mmext contributors. All rights reserved.
"""CleanExit tears the process group down on success and on error, and
never replaces the error."""
import pytest
import torch
import torch.distributed as dist

from mmext.utils import CleanExit, destroy_dist


def _init(tmp_path):
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store',
                            rank=0, world_size=1)


def test_clean_exit_destroys_group_after_success(tmp_path):
    _init(tmp_path)
    with CleanExit():
        t = torch.ones(3)
        dist.all_reduce(t)
    assert not dist.is_initialized()
    assert torch.equal(t, torch.ones(3))
    destroy_dist()  # a no-op without a group


def test_clean_exit_reraises_the_original_error(tmp_path):
    _init(tmp_path)
    with pytest.raises(ValueError, match='boom in epoch 3'):
        with CleanExit():
            raise ValueError('boom in epoch 3')
    assert not dist.is_initialized()


def test_clean_exit_without_group_is_transparent():
    assert not dist.is_initialized()
    with CleanExit() as guard:
        assert guard.track('runner') == 'runner'
    with pytest.raises(KeyError):
        with CleanExit():
            raise KeyError('x')
