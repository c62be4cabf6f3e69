# MotionAGFormer-B on MPI-INF-3DHP with the joints in 3DHP's own order
# (head_top, neck, ..., pelvis = 14, spine, head), the order upstream's
# train_3dhp.py trains on. Use this config to evaluate (or fine-tune) the
# official MotionAGFormer MPI-INF-3DHP weights, converted with
#   python tools/model_converters/motionagformer_official_to_mmext.py \
#       SRC.pth.tr DST.pth --joint-order 3dhp
#   bash tools/dist_test.sh THIS_CONFIG DST.pth 1
# Root index 14 in the codecs (mmpose's MotionBERTLabel zeroes joint 0 when
# rootrel=True, so the decoder subtracts the root instead) and in
# PCK3DMetric; the keypoint meta (flip pairs) is permuted to 3DHP order by
# MPIINF3DHPDataset. The spatial graph stays upstream's fixed H36M adjacency,
# as in the official model trained on this order.
_base_ = ['./motionagformer-b_81frm_1xb16-90e_mpi-inf-3dhp.py']

train_codec = dict(
    type='MotionBERTLabel', num_keypoints=17, concat_vis=True, mode='train',
    root_index=14)
val_codec = dict(
    type='MotionBERTLabel', num_keypoints=17, concat_vis=True,
    rootrel=False, root_index=14)
meta_keys = ('id', 'category_id', 'target_img_path', 'flip_indices',
             'factor', 'camera_param', 'action', 'video', 'valid',
             'frame_ids')
train_pipeline = [
    dict(type='GenerateTarget', encoder=train_codec),
    dict(
        type='RandomFlipAroundRoot',
        keypoints_flip_cfg=dict(center_mode='static', center_x=0.),
        target_flip_cfg=dict(center_mode='static', center_x=0.),
        flip_label=True),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=val_codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]

model = dict(head=dict(decoder=val_codec))
train_dataloader = dict(
    dataset=dict(joint_order='3dhp', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(joint_order='3dhp', pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(joint_order='3dhp')
test_evaluator = val_evaluator
