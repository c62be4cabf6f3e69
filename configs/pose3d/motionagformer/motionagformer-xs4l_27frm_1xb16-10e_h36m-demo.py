# Demo (README main job): a MotionAGFormer at XS width (dim 64, 27 frames) with
# 4 of XS's 12 layers, trained on SYNTHETIC Human3.6M-format data written by
#   python tools/misc/generate_pose3d_demo.py --out-dir data/h36m_demo \
#       --train-subjects S1 S5 S6 S7 S8 --test-subjects S9
# so that it trains on a 2-core CPU in a few minutes. Layer scale starts at
# 0.1 instead of 1e-5 and the lr is 3e-3 so that 250 steps are enough to
# learn. The numbers say nothing about real Human3.6M.
_base_ = ['./motionagformer-xs_27frm_1xb16-60e_h36m.py']

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            num_layers=4,
            embed_dims=64,
            num_frames=27,
            num_heads=8,
            mlp_ratio=4.,
            neighbour_num=2),
        layer_scale_init_value=0.1))

demo_root = 'data/h36m_demo/motion3d/'
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=demo_root))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=demo_root))
test_dataloader = val_dataloader
# the synthetic data has none of the broken S9 videos of the real data
val_evaluator = dict(skip_list=[])
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=3e-3))
train_cfg = dict(max_epochs=10)
default_hooks = dict(logger=dict(interval=5))
