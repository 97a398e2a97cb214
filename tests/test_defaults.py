"""The defaults that follow the data: the budget a fit chooses, the PCA start, and the promise
they make together: a default fit never ends worse than PCA on its validation rows."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from aekit import AutoEncoder, DenoisingAutoEncoder
from aekit.nn import MLPDecoder, MLPEncoder
from aekit.nn.pca_start import ODD_LINEAR_ACTIVATIONS, start_as_pca
from aekit.training import TrainConfig
from aekit.training._batching import split_rows
from aekit.training.budget import auto_batch_size, resolve_budget

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def curved_table(n: int, d: int, seed: int) -> np.ndarray:
    """Rows near a curved 2-d surface in d columns, plus noise, standardised: (n, d)."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(n, 2))
    features = np.c_[t, t**2, np.sin(2 * t)]
    X = features @ rng.normal(size=(features.shape[1], d)) + 0.3 * rng.normal(size=(n, d))
    return (X - X.mean(0)) / X.std(0)


def validation_rows(est, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training and validation rows `est.fit(X)` uses (the split is seeded by random_state)."""
    X_train, X_val, _, _ = split_rows(torch.as_tensor(X, dtype=torch.float32), None, est.validation_fraction,
                                      est._seed(), torch.device("cpu"))  # fmt: skip
    return X_train.double().numpy(), X_val.double().numpy()


@pytest.mark.parametrize("n, d, k, seed", [(60, 5, 2, 0), (150, 9, 2, 1), (300, 12, 3, 2), (120, 30, 8, 3)])
def test_a_default_fit_on_a_tiny_table_never_ends_worse_than_pca_on_its_validation_rows(n, d, k, seed):
    X = curved_table(n, d, seed)
    est = AutoEncoder(latent_dim=k, random_state=seed)
    X_train, X_val = validation_rows(est, X)
    est.fit(X)
    pca = PCA(k).fit(X_train)
    pca_val = np.mean((pca.inverse_transform(pca.transform(X_val)) - X_val) ** 2)
    ae_val = np.mean((est.reconstruct(X_val) - X_val) ** 2)
    assert est.init_ == "pca" and est.history_["settings"]["start_val_loss"] == pytest.approx(pca_val, rel=1e-4)
    assert ae_val <= pca_val * (1 + 1e-4)


def test_a_start_that_no_epoch_beats_is_refitted_as_the_pca_of_all_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 6)) + 0.3 * rng.normal(size=(200, 6))  # PCA is the best code
    est = AutoEncoder(latent_dim=2, learning_rate=1e-2, max_epochs=3, random_state=0).fit(X)
    assert est.history_["best_epoch"] is None and est.history_["settings"]["start_refitted_rows"] == 200
    pca = PCA(2).fit(X)  # all 200 rows: the 20 validation rows too
    np.testing.assert_allclose(est.reconstruct(X), pca.inverse_transform(pca.transform(X)), atol=1e-5)
    trained = AutoEncoder(latent_dim=2, random_state=0).fit(curved_table(300, 12, 2))
    assert trained.history_["best_epoch"] is not None and "start_refitted_rows" not in trained.history_["settings"]


def test_on_a_curved_table_the_default_beats_pca_on_new_rows():
    X = curved_table(1200, 10, 0)
    train, test = X[:900], X[900:]
    pca = PCA(2).fit(train)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(test)) - test) ** 2)
    ae_mse = np.mean((AutoEncoder(latent_dim=2, random_state=0).fit(train).reconstruct(test) - test) ** 2)
    assert ae_mse < 0.9 * pca_mse


@pytest.mark.parametrize("activation", sorted(ODD_LINEAR_ACTIVATIONS))
@pytest.mark.parametrize("hidden", [(), (16,), (32, 12), (20, 20, 10)])
def test_the_pca_start_reconstructs_exactly_as_pca(activation, hidden):
    X = curved_table(200, 10, 1)
    torch.manual_seed(0)
    encoder, decoder = MLPEncoder(10, 4, hidden, activation), MLPDecoder(4, 10, hidden[::-1], activation)
    start_as_pca(encoder, decoder, torch.as_tensor(X, dtype=torch.float32), activation)
    with torch.no_grad():
        codes = encoder(torch.as_tensor(X, dtype=torch.float32))
        reconstruction = decoder(codes).double().numpy()
    pca = PCA(4).fit(X)
    np.testing.assert_allclose(reconstruction, pca.inverse_transform(pca.transform(X)), atol=1e-4)
    np.testing.assert_allclose(np.abs(codes.double().numpy()), np.abs(pca.transform(X)), atol=1e-4)  # up to sign


def test_the_budget_follows_the_rows_and_is_recorded(tmp_path):
    assert [auto_batch_size(n) for n in (50, 300, 1000, 3000, 60000)] == [16, 16, 64, 256, 256]
    small = resolve_budget(TrainConfig(batch_size="auto", max_epochs="auto", early_stopping="auto"), 300, True)
    assert small.batch_size == 16 and small.max_epochs * 19 >= 4000 and small.early_stopping == small.max_epochs // 10
    large = resolve_budget(TrainConfig(batch_size="auto", max_epochs="auto", early_stopping="auto"), 60000, True)
    assert (large.batch_size, large.max_epochs, large.early_stopping) == (256, 100, 10)
    timed = resolve_budget(TrainConfig(max_epochs="auto", early_stopping="auto", lr_schedule="auto", max_time=60), 500, True)
    untimed = resolve_budget(TrainConfig(max_epochs="auto", early_stopping="auto", lr_schedule="auto"), 500, True)
    assert (timed.max_epochs, timed.early_stopping) == (untimed.max_epochs, untimed.early_stopping)  # time caps the steps
    assert (timed.lr_schedule, untimed.lr_schedule) == ("cosine", None)
    assert resolve_budget(TrainConfig(early_stopping="auto"), 500, has_validation=False).early_stopping is None
    assert resolve_budget(TrainConfig(batch_size=48, max_epochs=7), 300, True).batch_size == 48

    X = curved_table(300, 6, 0)
    est = AutoEncoder(random_state=0, max_epochs=3).fit(X)
    settings = est.history_["settings"]
    assert settings["batch_size"] == 16 and settings["max_epochs"] == 3 and settings["n_train"] == 270
    assert settings["early_stopping"] == 10 and settings["init"] == "pca" and settings["lr_schedule"] is None
    loaded = AutoEncoder.load(est.save(tmp_path / "m"))
    assert loaded.history_["settings"] == settings and loaded.init_ == "pca"


def test_a_model_saved_before_the_budget_was_recorded_still_loads(tmp_path):
    est = AutoEncoder(random_state=0, max_epochs=2).fit(curved_table(100, 6, 0))
    path = est.save(tmp_path / "m")
    config = json.loads((path / "config.json").read_text())
    del config["fitted"]["init_"], config["fitted"]["history_"]["settings"]
    (path / "config.json").write_text(json.dumps(config))
    loaded = AutoEncoder.load(path)
    np.testing.assert_allclose(loaded.transform(curved_table(5, 6, 1)), est.transform(curved_table(5, 6, 1)), rtol=1e-6)


CANNOT_START_AS_PCA = [
    {"loss": "bce"}, {"loss": "multinomial"}, {"loss": "poisson"}, {"tied_weights": True}, {"unit_norm": True},
    {"activation": "tanh"}, {"activation": "elu"}, {"hidden_dims": (3,)}, {"sparsity_kind": "topk"},
    {"binary_code": True}, {"latent_activation": "sigmoid"}, {"input_transform": "log1p"}, {"output_activation": "sigmoid"},
]  # fmt: skip


@pytest.mark.parametrize("params", CANNOT_START_AS_PCA, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_init_pca_names_what_stops_a_pca_start_and_auto_falls_back_to_random(params):
    X = np.random.default_rng(0).random((40, 6))  # non-negative and in [0, 1], so every loss takes it
    name = next(iter(params))
    params = {"loss": "mse", **params}  # else loss='auto' takes 'bce' for these [0, 1] rows and stops the start first
    with pytest.raises(ValueError, match=rf"init='pca'.*{name}|{name}.*init='pca'"):
        AutoEncoder(init="pca", latent_dim=2, max_epochs=1, **params).fit(X)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "binary_code=True: every training row has the same code")  # one epoch may leave it so
        est = AutoEncoder(latent_dim=2, max_epochs=1, random_state=0, **params).fit(X)
    assert est.init_ == "random" and est.history_["settings"]["init"] == "random"


def test_data_in_the_unit_interval_start_as_pca_with_a_linear_output():
    X = np.random.default_rng(0).random((80, 6))
    auto = AutoEncoder(max_epochs=1).fit(X)  # 'auto' picks bce, a sigmoid output and ELU for [0, 1] data
    assert (auto.init_, auto.loss_, auto.activation_, auto.output_activation_) == ("random", "bce", "elu", "sigmoid")
    linear = AutoEncoder(max_epochs=1, output_activation="linear").fit(X)
    assert (linear.init_, linear.loss_, linear.activation_) == ("pca", "mse", "relu")
    with pytest.raises(ValueError, match=r"loss='auto' chose it for data in \[0, 1\]: set loss='mse'"):
        AutoEncoder(max_epochs=1, init="pca").fit(X)
    table = AutoEncoder(max_epochs=1).fit(X * 4 - 2)
    assert (table.init_, table.loss_, table.activation_, table.output_activation_) == ("pca", "mse", "relu", "linear")
    counts = np.random.default_rng(1).poisson(2.0, (80, 12)).astype(float)
    words = AutoEncoder(max_epochs=1, loss="multinomial").fit(counts)
    assert (words.activation_, AutoEncoder(max_epochs=1, loss="poisson").fit(counts).activation_) == ("elu", "relu")
    assert AutoEncoder(max_epochs=1, loss="multinomial", activation="relu").fit(counts).activation_ == "relu"


def test_loss_and_activation_chosen_by_auto_survive_a_save_and_an_old_folder_loads(tmp_path):
    X = np.random.default_rng(0).random((80, 6))
    est = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    loaded = AutoEncoder.load(est.save(tmp_path / "m"))
    assert (loaded.loss_, loaded.activation_) == ("bce", "elu")
    np.testing.assert_allclose(loaded.score_samples(X), est.score_samples(X), rtol=1e-6)
    old = AutoEncoder(max_epochs=2, random_state=0, loss="mse", activation="relu").fit(X)
    path = old.save(tmp_path / "old")
    config = json.loads((path / "config.json").read_text())
    del config["fitted"]["loss_"], config["fitted"]["activation_"]
    (path / "config.json").write_text(json.dumps(config))
    np.testing.assert_allclose(AutoEncoder.load(path).transform(X), old.transform(X), rtol=1e-6)


def test_presets_inherit_the_pca_start_where_it_applies():
    X = curved_table(100, 8, 0)
    assert DenoisingAutoEncoder(max_epochs=1).fit(X).init_ == "pca"
    assert AutoEncoder(max_epochs=1, contractive=0.1, loss="l1").fit(X).init_ == "pca"


def test_a_pca_start_of_wide_rows_reads_a_bounded_number_of_values():
    import torch

    from aekit.estimators._pca_start import START_MIN_ROWS, START_VALUES, _start_rows

    wide = torch.zeros((1, 12288)).expand(20000, 12288)  # 20,000 colour images of 64 x 64 (a view: no memory)
    assert _start_rows(wide, torch.device("cpu")).shape == (START_VALUES // 12288, 12288)
    assert _start_rows(torch.zeros((3000, 10)), torch.device("cpu")).shape == (3000, 10)  # tables: every row
    assert _start_rows(torch.zeros((1, 10**6)).expand(5000, 10**6), torch.device("cpu")).shape[0] == START_MIN_ROWS


def test_the_learning_rate_of_a_pca_start_follows_the_batch_and_is_recorded():
    auto = lambda batch: resolve_budget(TrainConfig(learning_rate="auto", batch_size=batch), 5000, True).learning_rate  # noqa: E731
    assert [auto(b) for b in (16, 64, 256, 1024)] == pytest.approx([2.5e-4, 5e-4, 1e-3, 1e-3])
    assert resolve_budget(TrainConfig(learning_rate=0.01, batch_size=16), 300, True).learning_rate == 0.01

    X = curved_table(300, 6, 0)
    default = AutoEncoder(random_state=0, max_epochs=3).fit(X)
    assert default.history_["settings"]["learning_rate"] == pytest.approx(2.5e-4)  # batches of 16 rows
    same = AutoEncoder(random_state=0, max_epochs=3, learning_rate=2.5e-4).fit(X)
    old = AutoEncoder(random_state=0, max_epochs=3, learning_rate=1e-3).fit(X)
    np.testing.assert_allclose(default.reconstruct(X), same.reconstruct(X), atol=1e-6)
    assert np.abs(default.reconstruct(X) - old.reconstruct(X)).max() > 1e-3
    assert AutoEncoder(init="random", random_state=0, max_epochs=2).fit(X).history_["settings"]["learning_rate"] == 1e-3


@pytest.mark.skipif(not (SHARED_DATA / "anomaly").is_dir(), reason=f"benchmark data not found at {SHARED_DATA}")
def test_on_a_tiny_heavy_tailed_table_the_default_is_not_worse_than_pca_on_new_rows():
    """42_WBC's 213 inlier rows, 9 columns of 1-10 scores, standardised (benchmarks/defaults.py's
    split): with 1e-3 for batches of 16 rows the default ended 1.26 times PCA(2)'s held-out MSE."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    data = np.load(SHARED_DATA / "anomaly" / "42_WBC.npz")
    train, test = train_test_split(data["X"][data["y"] == 0].astype(np.float64), test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(train)
    train, test = scaler.transform(train), scaler.transform(test)
    pca = PCA(2).fit(train)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(test)) - test) ** 2)
    ratios = [np.mean((AutoEncoder(latent_dim=2, random_state=s).fit(train).reconstruct(test) - test) ** 2) / pca_mse for s in range(3)]
    assert np.mean(ratios) < 1.0


def test_word_counts_train_through_masked_words_by_default():
    rng = np.random.default_rng(0)
    topics = rng.dirichlet(np.full(40, 0.1), size=3)
    counts = np.stack([rng.multinomial(30, topics[i % 3]) for i in range(120)]).astype(np.float64)
    est = AutoEncoder(latent_dim=2, hidden_dims=(16,), loss="multinomial", max_epochs=2, random_state=0).fit(counts)
    assert est.history_["settings"]["corruption"] == "mask" and est.module_.corruption is not None
    explicit = AutoEncoder(latent_dim=2, hidden_dims=(16,), loss="multinomial", corruption="mask", max_epochs=2, random_state=0).fit(counts)
    np.testing.assert_allclose(est.transform(counts), explicit.transform(counts), atol=1e-6)
    plain = AutoEncoder(latent_dim=2, hidden_dims=(16,), loss="multinomial", corruption=None, max_epochs=2, random_state=0).fit(counts)
    assert plain.history_["settings"]["corruption"] is None and np.abs(plain.transform(counts) - est.transform(counts)).max() > 1e-4
    table = AutoEncoder(latent_dim=2, max_epochs=2, random_state=0).fit(curved_table(100, 6, 0))
    assert table.history_["settings"]["corruption"] is None and table.module_.corruption is None
