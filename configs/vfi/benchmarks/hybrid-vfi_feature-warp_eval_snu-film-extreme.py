# SNU-FILM extreme: the easy config's convention on test-extreme.txt.
_base_ = ['./hybrid-vfi_feature-warp_eval_snu-film-easy.py']
test_dataloader = dict(dataset=dict(ann_file='test-extreme.txt'))
