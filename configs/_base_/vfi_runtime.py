# Runtime of the frame-interpolation line (mmext's registries).
_base_ = ['./default_runtime.py']
default_scope = 'mmext'
custom_imports = dict(
    imports=['mmext.models.vfi', 'mmext.datasets.vfi',
             'mmext.evaluation.vfi', 'mmext.engine'],
    allow_failed_imports=False)

# Re-running the same command resumes from the latest checkpoint in the work
# dir; a fresh work dir starts from `load_from` (phases 2 and 3).
runner_type = 'mmext.AutoResumeRunner'
resume = 'auto'

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    # latest (every epoch, the last 2 kept) + best PSNR; each holds the
    # optimizer, scheduler and message-hub (train) state
    checkpoint=dict(
        type='mmext.SafeCheckpointHook', interval=1, max_keep_ckpts=2,
        save_best='vfi/PSNR', rule='greater'))
