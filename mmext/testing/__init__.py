# Copyright (c) mmext contributors. All rights reserved.
"""Tiny registered components for tests of the training machinery (resume,
distributed runs, checkpoint hooks). Not used by any research config."""
from .toy import (StallAfterEpochHook, ToyMSEMetric, ToyRegressionDataset,
                  ToyRegressor)

__all__ = [
    'ToyRegressor', 'ToyRegressionDataset', 'ToyMSEMetric',
    'StallAfterEpochHook'
]
