"""The public API: sorted `__all__` whose names all exist."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("name", ["aekit", "aekit.nn", "aekit.estimators"])
def test_all_is_sorted_and_importable(name):
    module = importlib.import_module(name)
    assert module.__all__ == sorted(module.__all__)
    for attr in module.__all__:
        assert hasattr(module, attr), attr
