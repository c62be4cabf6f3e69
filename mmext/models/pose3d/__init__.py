# Copyright (c) mmext contributors. All rights reserved.
from .backbones import *  # noqa: F401,F403
