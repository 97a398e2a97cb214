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


def test_readme_quickstart_runs(tmp_path):
    from sklearn.datasets import load_digits

    from aekit import AutoEncoder

    X = load_digits().data / 16
    X_train, X_test = X[:1500], X[1500:]
    ae = AutoEncoder(latent_dim=2, hidden_dims=(256, 64), loss="bce", max_epochs=3, random_state=0).fit(X_train)
    Z = ae.transform(X_test)
    X_hat = ae.inverse_transform(Z)
    scores = ae.score_samples(X_test)
    assert Z.shape == (len(X_test), 2) and X_hat.shape == X_test.shape and scores.shape == (len(X_test),)
    ae.save(tmp_path / "ae")
    ae2 = AutoEncoder.load(tmp_path / "ae")
    assert (ae2.transform(X_test) == Z).all()
