# Phase 1: the hybrid Mamba2 + gated-window-attention backbone on Vimeo-90K.
_base_ = [
    '../_base_/vfi_runtime.py', '../_base_/models/vfi_hybrid.py',
    '../_base_/datasets/vfi_vimeo90k.py',
    '../_base_/schedules/vfi_adamw-2e-4_warmup-cosine_300e.py'
]
