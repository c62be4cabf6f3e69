# Variant of motionagformer-b_81frm_1xb16-90e_mpi-inf-3dhp.py with the H36M
# optimizer: AdamW, weight decay 0.01 (upstream train.py:266-268, the H36M
# script). Not upstream's 3DHP recipe, which is Adam with amsgrad and no
# weight decay (train_3dhp.py:199-203, the parent config). Same lr 5e-4,
# x0.99 per epoch, batch 16, 90 epochs.
_base_ = ['./motionagformer-b_81frm_1xb16-90e_mpi-inf-3dhp.py']

optim_wrapper = dict(
    optimizer=dict(
        _delete_=True, type='AdamW', lr=5e-4, weight_decay=0.01))
