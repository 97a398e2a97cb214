"""Bad input and bad parameters give a ValueError that names the problem."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from aekit import AutoEncoder

FAST = {"hidden_dims": (8,), "max_epochs": 1, "random_state": 0}


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).random((40, 6))


@pytest.fixture(scope="module")
def fitted(X):
    return AutoEncoder(latent_dim=2, **FAST).fit(X)


@pytest.mark.parametrize(
    "make_bad, message",
    [
        (lambda X: np.where(np.eye(*X.shape, dtype=bool), np.nan, X), "NaN"),
        (lambda X: np.where(np.eye(*X.shape, dtype=bool), np.inf, X), "infinity"),
        (lambda X: X[:0], "0 sample"),
        (lambda X: X[:, :0], "0 feature"),
        (lambda X: X[:, 0], "Expected 2D array"),
        (lambda X: np.array([["a", "b"], ["c", "d"]], dtype=object), "could not convert string to float"),
    ],
    ids=["nan", "inf", "empty", "no-features", "1d", "strings"],
)
def test_bad_X_in_fit(X, make_bad, message):
    with pytest.raises(ValueError, match=message) as err:
        AutoEncoder(**FAST).fit(make_bad(X))
    assert re.search(r"\bX\b", str(err.value)), "the message names the argument"


def test_values_too_large_for_float32_are_refused(X):
    with pytest.raises(ValueError, match="Scale X first"):
        AutoEncoder(**FAST).fit(X * 1e20)
    AutoEncoder(**FAST).fit(X * 1e6)


def test_non_numeric_dataframe_names_columns(X):
    import pandas as pd
    frame = pd.DataFrame(X, columns=list("abcdef")).assign(city=["x"] * len(X))
    with pytest.raises(ValueError, match=r"text or category columns \['city'\]"):
        AutoEncoder(**FAST).fit(frame)


def test_lists_are_accepted(X):
    assert AutoEncoder(latent_dim=2, **FAST).fit(X.tolist()).transform(X[:2].tolist()).shape == (2, 2)


def test_wrong_feature_count_at_transform_time(fitted, X):
    for method in (fitted.transform, fitted.score_samples, fitted.reconstruct):
        with pytest.raises(ValueError, match="X has 5 features, but AutoEncoder is expecting 6"):
            method(X[:, :5])


def test_inverse_transform_checks_code_width(fitted):
    with pytest.raises(ValueError, match="codes with 2 columns"):
        fitted.inverse_transform(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="NaN"):
        fitted.inverse_transform(np.full((3, 2), np.nan))


def test_unfitted_use_is_refused(X):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AutoEncoder().transform(X)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"latent_dim": 0}, "latent_dim"),
        ({"loss": "hinge"}, "loss"),
        ({"activation": "swish"}, "activation"),
        ({"corruption": "fog"}, "corruption"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"hidden_dims": (8, -1)}, "hidden_dims"),
        ({"hidden_dims": "wide"}, "hidden_dims"),
        ({"regularizers": {"nonsense": 1.0}}, "unknown regularizer 'nonsense'"),
        ({"device": "tpu"}, "device"),
        ({"device": "cuda"}, "CUDA is not available"),
    ],
)
def test_bad_parameters(X, params, message):
    if params.get("device") == "cuda":
        import torch

        if torch.cuda.is_available():
            pytest.skip("a GPU is present here")
    with pytest.raises((ValueError, InvalidParameterError), match=message):
        AutoEncoder(**{**FAST, **params}).fit(X)


def test_data_dependent_parameter_checks(X):
    with pytest.raises(ValueError, match=r"loss='bce' needs X in \[0, 1\]"):
        AutoEncoder(loss="bce", **FAST).fit(X * 3)
    with pytest.raises(ValueError, match="latent_activation='sigmoid'"):
        AutoEncoder(sparsity=0.1, sparsity_kind="kl", **FAST).fit(X)
    with pytest.raises(ValueError, match="early_stopping needs a validation split"):
        AutoEncoder(early_stopping=3, validation_fraction=0.0, **FAST).fit(X)
    with pytest.raises(ValueError, match=r"loss='bce'.*'sigmoid'.*output_activation='linear'"):
        AutoEncoder(loss="bce", output_activation="linear", **FAST).fit(X)


def test_output_activation_auto(X):
    assert AutoEncoder(**FAST).fit(X).output_activation_ == "sigmoid"
    assert AutoEncoder(**FAST).fit(X * 5 - 1).output_activation_ == "linear"
