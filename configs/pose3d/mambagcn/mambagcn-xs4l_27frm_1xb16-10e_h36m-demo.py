# Demo (README main job): MambaGCN (MambaGCN stream + graph stream) at the
# same size and on the same SYNTHETIC data as the MotionAGFormer demo. The
# temporal SSM is a small Mamba2 (SSD): on a CPU its chunked scan is matrix
# products, several times faster than Mamba's selective scan (see
# docs/benchmarks.md); the full-size configs use Mamba.
_base_ = ['../motionagformer/motionagformer-xs4l_27frm_1xb16-10e_h36m-demo.py']
model = dict(
    backbone=dict(
        branches='mamba_gcn',
        ssm_cfg=dict(
            type='mamba2',
            d_state=16,
            expand=1,
            headdim=16,
            chunk_size=32,
            directions=('forward', 'backward'))))
