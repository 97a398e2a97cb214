"""Shared fixtures: sklearn's digits scaled to [0, 1] with a fixed held-out split."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


@pytest.fixture(scope="session")
def digits():
    """(X_train, X_test, y_train, y_test) of sklearn's 8x8 digits, pixels in [0, 1]."""
    data = load_digits()
    X = (data.data / 16.0).astype(np.float64)
    return train_test_split(X, data.target, test_size=0.25, random_state=0, stratify=data.target)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run torch on one intra-op thread for a test module (module scope, so module-scoped fitted
    fixtures train under it too): the tiny test models train fastest so, and stay fast when
    other processes compete for the cores."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
