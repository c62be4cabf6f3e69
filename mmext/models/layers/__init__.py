# Copyright (c) mmext contributors. All rights reserved.
from .activation_checkpoint import *  # noqa: F401,F403
from .adaptive_fusion import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .cross_attention import *  # noqa: F401,F403
from .drop_path import *  # noqa: F401,F403
from .gated_window_attention import *  # noqa: F401,F403
from .graph import *  # noqa: F401,F403
from .graph_attention import *  # noqa: F401,F403
from .hyper_connections import *  # noqa: F401,F403
from .mlp import *  # noqa: F401,F403
from .ssm import *  # noqa
from .tcn import *  # noqa: F401,F403
from .warp import *  # noqa: F401,F403
