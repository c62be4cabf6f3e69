# Runtime shared by every mmext experiment. Research-line base configs set
# their own `default_scope` ('mmpose' for 3D pose, 'mmaction' for action
# recognition, 'mmext' for components with no downstream home).
default_scope = 'mmext'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Crash-safe CheckpointHook (same arguments as mmengine's). Leaf configs
    # set `save_best` (a metric key) and `rule` ('less' | 'greater').
    checkpoint=dict(
        type='mmext.SafeCheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        save_best='auto',
        rule=None),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # A NaN/Inf loss in the first 20 iterations, or 5 in a row later,
    # stops the run with the iteration, the samples and whether the inputs
    # were non-finite (GAN runs keep GANGuardHook's skip policy instead).
    nonfinite=dict(type='mmext.NonFiniteLossHook', warmup_iters=20,
                   max_consecutive=5),
)
# Re-seeds every epoch from (seed, epoch, rank) so that a resumed run draws
# the same random numbers as an uninterrupted one.
custom_hooks = [dict(type='mmext.EpochSeedHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches nccl to gloo when no CUDA device is present.
    dist_cfg=dict(backend='nccl'),
)

# Curves and scalars: LocalVisBackend (json + images under
# work_dir/<timestamp>/vis_data) and TensorBoard event files. W&B / MLflow:
# add configs/_base_/loggers/wandb.py or mlflow.py to a config's _base_.
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
# No fixed `name`: the Runner names the visualizer after the experiment, so
# two runs in one process (a notebook, a sweep, a test session) each write
# to their own work dir. With a fixed name mmengine hands the second run the
# first run's visualizer, and its scalars land in the first run's vis_data.
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False

# `deterministic=True` calls torch.use_deterministic_algorithms (slower).
randomness = dict(seed=0, deterministic=False, diff_rank_seed=False)
