# The demo model with the motion path (docs/vfi/models.md, "Motion path"):
# the local correlation of the backbone's two maps (radius 3 at 1/4
# resolution, +-12 px) joins the flow head, the attention gets a relative
# position bias (on the interleaved grid it also tells the same frame from
# the other), and one coarse-to-fine step (IFBlock-style) refines the flow
# at 1/2 resolution. Everything else as the demo config, for a side-by-side
# comparison on the same SYNTHETIC data and schedule.
_base_ = ['./hybrid-vfi-tiny_1xb8-60e_vimeo90k-demo.py']
model = dict(corr_radius=3, refine_scales=(2, ),
             backbone=dict(rel_pos_bias=True))
