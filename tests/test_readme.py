"""The README's examples run as written, on small stand-in data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def readme_block(containing: str) -> str:
    """The README's one python code block that contains `containing`."""
    blocks = [b for b in re.findall(r"```python\n(.*?)```", README.read_text(), re.S) if containing in b]
    assert len(blocks) == 1, f"expected one README python block with {containing!r}, found {len(blocks)}"
    return blocks[0]


def test_missing_values_and_outliers_example_runs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(240, 6))
    X_with_nans = np.where(rng.random(X.shape) < 0.15, np.nan, X)
    X_new = np.vstack([X[:5], 5 * rng.normal(size=(5, 6))])
    namespace = {"X": X, "X_with_nans": X_with_nans, "X_new": X_new}
    exec(readme_block("AutoEncoderImputer("), namespace)  # noqa: S102 - the project's own README
    filled, draws, det = namespace["X_filled"], namespace["draws"], namespace["det"]
    observed = ~np.isnan(X_with_nans)
    assert np.array_equal(filled[observed], X_with_nans[observed]) and np.isfinite(filled).all()
    assert draws.shape == (5, *X.shape)
    assert (det.predict(X_new)[5:] == -1).all()
    assert det.score_samples(X_new)[5:].max() < det.score_samples(X_new)[:5].min()


def test_quickstart_runs(tmp_path, monkeypatch):
    from sklearn.datasets import load_digits

    X = load_digits().data / 16
    namespace = {"X_train": X[:1500], "X_test": X[1500:]}
    monkeypatch.chdir(tmp_path)
    exec(readme_block("ae.save("), namespace)  # noqa: S102 - the project's own README
    Z, X_hat = namespace["Z"], namespace["X_hat"]
    assert Z.shape == (len(X) - 1500, 2) and X_hat.shape == (len(X) - 1500, X.shape[1])
    assert np.array_equal(namespace["ae2"].transform(X[1500:]), Z)
    assert (tmp_path / "runs" / "ae").is_dir()
