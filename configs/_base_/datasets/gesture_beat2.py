# BEAT2 (SMPL-X) converted to mmext's clip format by
#   python tools/dataset_converters/beat2.py BEAT2_SPEAKER_DIR data/beat2 \
#       --smplx-model SMPLX_NEUTRAL_2020.npz --fps 30 \
#       --split-csv BEAT2/train_test_split.csv
# Joint positions by joint-only SMPL-X kinematics (55 joints, 30 fingers);
# 64-frame windows (4 seed frames) at 30 fps (BEAT2's rate), stride 20.
_base_ = ['./gesture_beat.py']
data_root = 'data/beat2/'
fps = 30
window = 64
train_dataloader = dict(
    dataset=dict(data_root=data_root, window=window, stride=20))
val_dataloader = dict(
    dataset=dict(data_root=data_root, window=window, stride=window))
test_dataloader = val_dataloader
# FGD: configs/gesture/motion-ae_1xb64-50e_beat2.py
# BC on EMAGE's 13 upper-body SMPL-X joints (spine, neck, head, collars,
# shoulders, elbows, wrists; PantoMatrix/PantoMatrix emage_evaltools).
val_evaluator = dict(
    skeleton='smplx',
    fps=fps,
    bc_joints=[
        'spine1', 'spine2', 'spine3', 'neck', 'head', 'left_collar',
        'right_collar', 'left_shoulder', 'right_shoulder', 'left_elbow',
        'right_elbow', 'left_wrist', 'right_wrist'
    ])
test_evaluator = val_evaluator
