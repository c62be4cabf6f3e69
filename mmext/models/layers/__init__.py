# Copyright (c) mmext contributors. All rights reserved.
from .adaptive_fusion import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .drop_path import *  # noqa: F401,F403
from .graph import *  # noqa: F401,F403
from .mlp import *  # noqa: F401,F403
from .tcn import *  # noqa: F401,F403
from .ssm import *  # noqa
from .checkpoint import *  # noqa: F401,F403
