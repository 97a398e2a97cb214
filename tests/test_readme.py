"""The README's examples run as written, on small stand-in data."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def documentation_pages() -> list[Path]:
    """The README and the user guide's Markdown pages (docs/**/*.md): the prose a user reads."""
    return [README, *sorted((ROOT / "docs").rglob("*.md"))]


def documentation_text() -> str:
    return "\n".join(page.read_text() for page in documentation_pages() if "_build" not in page.parts)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def readme_block(containing: str) -> str:
    """The one python code block of the README or the user guide that contains `containing`."""
    found = re.findall(r"```python\n(.*?)```", documentation_text(), re.S)
    blocks = [b for b in dict.fromkeys(found) if containing in b]  # a block shown twice, word for word, is one
    assert len(blocks) == 1, f"expected one python block with {containing!r} in the README and docs, found {len(blocks)}"
    return blocks[0]


def run_expressions(code: str, namespace: dict) -> list:
    """Run `code` in `namespace` and return the value of each of its top-level expression
    statements, in order (the README's one-liners that are not assigned to a name)."""
    values = []
    for node in ast.parse(code).body:
        if isinstance(node, ast.Expr):
            values.append(eval(compile(ast.Expression(node.value), "README.md", "eval"), namespace))  # noqa: S307
        else:
            exec(compile(ast.Module([node], type_ignores=[]), "README.md", "exec"), namespace)  # noqa: S102
    return values


@pytest.mark.slow
def test_missing_values_and_outliers_example_runs(monkeypatch):
    import aekit

    # the imputer is checked only to keep the observed entries, fill the rest and draw 5 imputations: a short budget,
    # one member and no trees partner (the blend is tested in test_imputer and test_blend_saving)
    short = {"max_epochs": 20, "n_members": 1, "blend": None}
    monkeypatch.setattr(aekit, "AutoEncoderImputer", functools.partial(aekit.AutoEncoderImputer, **short))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(240, 6))
    X_with_nans = np.where(rng.random(X.shape) < 0.15, np.nan, X)
    X_new = np.vstack([X[:5], 5 * rng.normal(size=(5, 6))])
    namespace = {"X": X, "X_with_nans": X_with_nans, "X_new": X_new}
    exec(readme_block("sample_imputations("), namespace)  # noqa: S102 - the project's own README
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
    from aekit.training import budget

    # shapes and a saved model that loads alike need no full budget (>= 4,000 steps): 'auto' epochs come to 3 here
    monkeypatch.setattr(budget, "MIN_STEPS", 1)
    monkeypatch.setattr(budget, "MIN_EPOCHS", 3)
    exec(readme_block("ae.save("), namespace)  # noqa: S102 - the project's own README
    Z, X_hat = namespace["Z"], namespace["X_hat"]
    assert Z.shape == (len(X) - 1500, 2) and X_hat.shape == (len(X) - 1500, X.shape[1])
    assert np.array_equal(namespace["ae2"].transform(X[1500:]), Z)
    assert (tmp_path / "runs" / "ae").is_dir() and namespace["ae"].n_epochs_ == 3


def test_the_docs_front_page_example_runs_and_beats_pca():
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA

    X = load_digits().data / 16
    namespace = {"X_train": X[:1500], "X_test": X[1500:]}
    exec(readme_block("# the budget follows the data"), namespace)  # noqa: S102 - the project's own docs
    Z, X_hat = namespace["Z"], namespace["X_hat"]
    assert Z.shape == (len(X) - 1500, 2)
    pca = PCA(2).fit(X[:1500])
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X[1500:])) - X[1500:]) ** 2)
    assert np.mean((X_hat - X[1500:]) ** 2) < pca_mse


@pytest.mark.slow
def test_vae_example_runs(monkeypatch):
    from sklearn.datasets import load_digits

    import aekit

    # shapes and a negative log-likelihood need no 100 epochs, nor 1,000 importance draws for 300 rows
    monkeypatch.setattr(aekit, "VariationalAutoEncoder", functools.partial(aekit.VariationalAutoEncoder, max_epochs=10))
    X = (load_digits().data[:100] / 16).astype(np.float32)
    namespace = {"X": X}
    exec(readme_block("VariationalAutoEncoder("), namespace)  # noqa: S102 - the project's own README
    vae = namespace["vae"]
    assert vae.n_epochs_ == 10
    assert vae.sample(4).shape == (4, X.shape[1]) and vae.reconstruct(X[:3], n_samples=5).shape == (5, 3, X.shape[1])
    assert (vae.log_likelihood(X[:20], n_importance=50) < 0).all()


@pytest.mark.slow
def test_scale_example_runs(tmp_path, monkeypatch):
    from sklearn.datasets import load_digits

    from aekit.training import budget

    X = (load_digits().data[:600] / 16).astype(np.float32)
    monkeypatch.chdir(tmp_path)
    np.save("big.npy", X)
    # streamed codes equal to in-memory ones need no full budget (>= 4,000 steps per fit): 'auto' epochs come to 3
    monkeypatch.setattr(budget, "MIN_STEPS", 1)
    monkeypatch.setattr(budget, "MIN_EPOCHS", 3)
    namespace = {"X": X, "np": np}
    exec(readme_block('fit("big.npy")'), namespace)  # noqa: S102 - the project's own README
    assert namespace["codes"].shape == (len(X), 32) and namespace["ae"].n_epochs_ == 3
    assert np.allclose(namespace["codes"], namespace["ae"].transform(X), atol=1e-5)


def test_module_composition_example_runs():
    import torch

    namespace = {"x": torch.rand(8, 784)}
    exec(readme_block("AutoEncoderModule("), namespace)  # noqa: S102 - the project's own README
    assert namespace["out"].code.shape == (8, 32)
    assert all(p.grad is not None for p in namespace["module"].encoder.parameters())


@pytest.mark.slow
def test_convolutional_example_runs():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:16, :16]
    centres = rng.integers(4, 12, size=(48, 2))
    X = np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 8.0).astype(np.float32)  # (48, 16, 16)
    mask = np.zeros((16, 16), dtype=bool)
    mask[4:12, 4:12] = True
    X_masked = np.where(mask, 0.0, X).astype(np.float32)
    Y_color = np.stack([X, 1 - X, X**2], axis=1)
    namespace = {"X": X, "X_masked": X_masked, "mask": mask, "X_gray": X[:, None], "Y_color": Y_color}
    exec(readme_block("ContextEncoder("), namespace)  # noqa: S102 - the project's own README
    filled = namespace["filled"]
    assert filled.shape[-2:] == (16, 16)
    assert np.array_equal(filled.reshape(X.shape)[:, ~mask], X_masked[:, ~mask])
    assert namespace["col"].reconstruct(X[:2, None]).shape == (2, 3, 16, 16)
    colour = namespace["colour"]  # the colorization keeps the gray input as the colour's luma
    np.testing.assert_allclose(0.2125 * colour[:, 0] + 0.7154 * colour[:, 1] + 0.0721 * colour[:, 2], X, atol=1e-5)


@pytest.mark.slow
def test_latent_space_example_runs(monkeypatch):
    from sklearn.datasets import load_digits
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC

    import aekit
    from aekit import AutoEncoder, VariationalAutoEncoder

    digits = load_digits()
    X, y = (digits.data[:400] / 16).astype(np.float32), digits.target[:400]
    ae = AutoEncoder(latent_dim=8, max_epochs=40, random_state=0).fit(X)
    ae2d = AutoEncoder(latent_dim=2, max_epochs=5, random_state=0).fit(X)
    vae2d = VariationalAutoEncoder(latent_dim=2, likelihood="gaussian", max_epochs=5, random_state=0).fit(X)
    Z = ae.transform(X)
    namespace = {"ae": ae, "ae2d": ae2d, "vae2d": vae2d, "X": X, "y": y, "x_a": X[0], "x_b": X[1], "Z_query": Z[:50], "y_query": y[:50],
                 "Z_db": Z[50:], "y_db": y[50:], "X_big": (digits.data[400:] / 16).astype(np.float32),
                 "Z_train": Z[50:], "y_train": y[50:], "Z_test": Z[:50], "y_test": y[:50],
                 "make_pipeline": make_pipeline, "SVC": SVC}  # fmt: skip
    # the block's own AutoEncoder and AutoEncoderClassifier are only checked to predict: two epochs each
    monkeypatch.setattr(aekit, "AutoEncoder", functools.partial(AutoEncoder, max_epochs=2, random_state=0))
    monkeypatch.setattr(aekit, "AutoEncoderClassifier", functools.partial(aekit.AutoEncoderClassifier, pretrain_epochs=2, max_epochs=2, random_state=0))
    samples, path, grid, vae_grid, precision, knn, clusters, pipe, clf = run_expressions(readme_block("LatentSampler("), namespace)
    assert samples.shape == (64, X.shape[1]) and grid.shape == vae_grid.shape == (15, 15, X.shape[1])
    assert path.shape[0] == 10 and path.shape[-1] == X.shape[1]
    assert sorted(precision) == [1, 10, 100] and all(0 <= v <= 1 for v in precision.values())
    assert precision[1] > 0.5 and knn > 0.5 and clusters["nmi"] > 0.3  # digits codes carry their class
    assert pipe.predict(X[:5]).shape == (5,) and clf.predict(X[:5]).shape == (5,)


def test_callbacks_warm_start_and_partial_fit_example_runs(tmp_path, monkeypatch):
    from sklearn.datasets import load_digits

    X = load_digits().data / 16
    monkeypatch.chdir(tmp_path)
    namespace = {"X": X, "chunks": np.array_split(X, 4)}
    exec(readme_block("LogToMyTracker"), namespace)  # noqa: S102 - the project's own README
    ae, tracker, stream = namespace["ae"], namespace["tracker"], namespace["stream"]
    first = len(tracker.rows)
    assert 1 <= first <= 50 and first < ae.n_epochs_ <= first + 50  # early stopping may end the second fit sooner
    assert len(ae.history_["loss"]) == ae.n_epochs_
    assert [r[1] for r in tracker.rows] == ae.history_["loss"][:first]
    assert (tmp_path / "metrics.csv").read_text().count("\n") == first + 1
    assert stream.n_epochs_ == 4 and stream.transform(X[:2]).shape == (2, 8)


def test_tables_with_names_types_and_text_columns_example_runs(tmp_path, monkeypatch):
    import pandas as pd
    rng = np.random.default_rng(0)
    z = rng.normal(size=120)
    frame = pd.DataFrame({"age": np.round(45 + 10 * z), "income": 30 + 5 * z + rng.normal(size=120),
                          "region": np.where(z > 0, "north", "south")})
    frame.iloc[:4, :2] = [[20, 80], [90, 5], [25, 90], [88, 2]]
    text = frame.astype(object)
    text.iloc[10:40:3, 0], text.iloc[11:40:4, 1], text.iloc[12:30:5, 2] = "?", "n/a", ""
    text.to_csv(tmp_path / "survey.csv", sep=";", index=False)
    monkeypatch.chdir(tmp_path)
    import aekit

    short = {"max_epochs": 40, "n_members": 1}
    monkeypatch.setattr(aekit, "AutoEncoderImputer", functools.partial(aekit.AutoEncoderImputer, **short))
    small = aekit.AutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=150)
    monkeypatch.setattr(aekit, "AutoEncoderOutlierDetector", functools.partial(aekit.AutoEncoderOutlierDetector, small))
    namespace: dict = {}
    dtypes, flags = run_expressions(readme_block('read_csv_frame("survey.csv")'), namespace)
    assert dtypes.astype(str).tolist() == ["float64", "float64", "str"] and not namespace["filled"].isna().any().any()
    assert (namespace["filled"]["age"] == namespace["filled"]["age"].round()).all()
    assert (flags[:4] == -1).sum() >= 3 and (flags == -1).mean() < 0.1


def test_sparse_features_example_runs(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    acts = (rng.normal(size=(600, 6)) @ rng.normal(size=(6, 24))).astype(np.float32)
    monkeypatch.chdir(tmp_path)
    np.save("activations.npy", acts)
    namespace: dict = {}
    run_expressions(readme_block("top_activating("), namespace)
    Z, rows, sae = namespace["Z"], namespace["rows"], namespace["sae"]
    active = (np.abs(Z) > 1e-6).sum(axis=1)  # TopK keeps 16 entries per row; one may be 0 by chance
    assert Z.shape == (600, 256) and (active <= 16).all() and (active == 16).mean() > 0.95
    assert rows.shape == (3, 9)
    assert (np.diff(Z[rows[0], 3]) <= 0).all() and Z[rows[0][0], 3] == Z[:, 3].max()
    assert len(sae.history_["l0"]) == 20 and sae.dead_units_.dtype == np.int64


def test_documents_example_runs(monkeypatch):
    """The 20 Newsgroups example on a stand-in corpus (four topics of generated words) with
    two-epoch fits: sparse counts in, codes and 0/1 bits out, precisions in [0, 1]."""
    import functools

    import aekit
    import aekit.data.datasets
    from aekit.data.text import TextDataset

    def stand_in(subset, **options):
        rng = np.random.default_rng(0 if subset == "train" else 1)
        labels = rng.integers(0, 4, 300)
        texts = [" ".join(f"w{t}x{rng.integers(0, 30)}" for _ in range(40)) for t in labels]
        return TextDataset(texts, labels, ("a", "b", "c", "d"))

    monkeypatch.setattr(aekit.data.datasets, "load_20newsgroups", stand_in)
    monkeypatch.setattr(aekit, "AutoEncoder", functools.partial(aekit.AutoEncoder, max_epochs=2, random_state=0))
    namespace: dict = {}
    precisions, hashed = run_expressions(readme_block('binary_code=True'), namespace)
    assert set(precisions) == {1, 15, 127} and all(0 <= p <= 1 for p in precisions.values())
    assert set(np.unique(namespace["B_te"])) <= {0.0, 1.0} and namespace["B_te"].shape == (300, 32)
    assert set(hashed) == {1, 15}
