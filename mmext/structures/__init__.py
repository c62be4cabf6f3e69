# Copyright (c) mmext contributors. All rights reserved.
"""The vocabulary of the data: skeletons, keypoint conventions, label trees.

Each fact has one owner here, and everything else (datasets, models,
metrics, inference, visualisation, tools) imports it from here. Modules are
plain Python data with no torch or toolbox import, so any layer may use them.

* :mod:`~mmext.structures.h36m`: the Human3.6M 17-joint skeleton, cameras
  and actions, and MPI-INF-3DHP's joint order and image sizes.
* :mod:`~mmext.structures.coco`: COCO-17 and its mapping to Human3.6M.
* :mod:`~mmext.structures.action_hierarchy`: fine -> coarse action labels.
* :mod:`~mmext.structures.skeleton`: the gesture ``Skeleton`` and the BEAT /
  SMPL-X joint tables.
"""
from .skeleton import Skeleton

__all__ = ['Skeleton']
