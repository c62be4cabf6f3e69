# TEST ONLY: the tiny top-down model of tiny_topdown_coco.py with the 16
# MPII keypoints: the video tools must refuse it (not COCO-17).
_base_ = ['./tiny_topdown_coco.py']
model = dict(head=dict(out_channels=16))
train_dataloader = dict(dataset=dict(type='MpiiDataset'))
test_dataloader = train_dataloader
