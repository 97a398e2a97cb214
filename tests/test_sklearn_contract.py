"""Every public estimator against scikit-learn's own checks, and in sklearn's tools."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aekit import AutoEncoder, ContractiveAutoEncoder, DenoisingAutoEncoder, LinearAutoEncoder, SparseAutoEncoder

PRESETS = [AutoEncoder, ContractiveAutoEncoder, DenoisingAutoEncoder, LinearAutoEncoder, SparseAutoEncoder]


@pytest.mark.parametrize("cls", PRESETS)
def test_preset_signature_lists_every_parameter(cls):
    assert set(cls().get_params()) == set(AutoEncoder().get_params())
    assert clone(cls(latent_dim=3)).get_params() == cls(latent_dim=3).get_params()


def test_presets_change_only_their_defaults():
    assert DenoisingAutoEncoder().corruption == "gaussian"
    assert SparseAutoEncoder().sparsity_kind == "topk"
    assert ContractiveAutoEncoder().contractive > 0
    lin = LinearAutoEncoder()
    assert (lin.hidden_dims, lin.tied_weights, lin.output_activation) == ((), True, "linear")
    assert DenoisingAutoEncoder(corruption="mask").corruption == "mask"
    with pytest.raises(TypeError):
        DenoisingAutoEncoder(not_a_parameter=1)


def test_pipeline_and_grid_search(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = make_pipeline(
        AutoEncoder(latent_dim=16, random_state=0), StandardScaler(), LogisticRegression(max_iter=2000)
    )
    assert pipe.fit(X_train, y_train).score(X_test, y_test) > 0.85
    search = GridSearchCV(AutoEncoder(hidden_dims=(32,), max_epochs=20, random_state=0), {"latent_dim": [2, 12]}, cv=2)
    search.fit(X_train)
    assert search.best_params_ == {"latent_dim": 12}  # more code dims reconstruct better: higher score


def test_dataframe_input_feature_names(digits):
    import pandas as pd
    X_train, X_test, _, _ = digits
    columns = [f"px{i}" for i in range(X_train.shape[1])]
    ae = AutoEncoder(latent_dim=3, max_epochs=2, random_state=0).fit(pd.DataFrame(X_train, columns=columns))
    assert list(ae.feature_names_in_) == columns
    assert list(ae.get_feature_names_out()) == ["ae0", "ae1", "ae2"]
    out = ae.set_output(transform="pandas").transform(pd.DataFrame(X_test, columns=columns))
    assert list(out.columns) == ["ae0", "ae1", "ae2"] and out.shape == (len(X_test), 3)


def test_in_pipeline_after_scaler_matches_pca_interface(digits):
    X_train, X_test, _, _ = digits
    for step in (PCA(4), AutoEncoder(latent_dim=4, max_epochs=2, random_state=0)):
        pipe = make_pipeline(StandardScaler(), step).fit(X_train)
        assert pipe.transform(X_test).shape == (len(X_test), 4)
        assert pipe.inverse_transform(pipe.transform(X_test)).shape == X_test.shape
        assert np.isfinite(pipe.inverse_transform(pipe.transform(X_test))).all()
