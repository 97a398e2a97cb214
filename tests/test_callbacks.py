"""The training loop's extension points as a user meets them: their own callbacks, the built-in
loggers, warm starts, partial_fit, and a resumed fit that keeps its time budget's clock."""

from __future__ import annotations

import csv
import re
import warnings

import numpy as np
import pytest

from aekit import (AutoEncoder, AutoEncoderClassifier, AutoEncoderImputer, AutoEncoderOutlierDetector, SparseAutoEncoder,
                   VariationalAutoEncoder)
from aekit.training.callbacks import CSVLogger, TensorBoardLogger, kept_weights
from aekit.training.checkpoint import Checkpointer, read_checkpoint

SMALL = dict(latent_dim=2, hidden_dims=(16,), batch_size=32, random_state=0)


def low_rank(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)) @ rng.normal(size=(2, 8)) + 0.05 * rng.normal(size=(n, 8))


class Recorder:
    """A plain object (no base class) with the three hooks the README documents."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.stop_after = stop_after
        self.calls: list = []
        self.logs: list[dict] = []

    def on_fit_start(self, est):
        self.calls.append(("start", est))

    def on_epoch_end(self, est, epoch, logs):
        self.calls.append(("epoch", epoch))
        self.logs.append(dict(logs))
        return self.stop_after is not None and epoch + 1 >= self.stop_after

    def on_fit_end(self, est):
        self.calls.append(("end", est))


def test_a_users_callback_sees_every_epoch_with_its_losses_and_can_stop_training():
    X = low_rank()
    recorder = Recorder(stop_after=3)
    ae = AutoEncoder(max_epochs=20, validation_fraction=0.2, **SMALL).fit(X, callbacks=[recorder])
    assert recorder.calls[0] == ("start", ae) and recorder.calls[-1] == ("end", ae)
    assert [c for c in recorder.calls if c[0] == "epoch"] == [("epoch", 0), ("epoch", 1), ("epoch", 2)]
    assert ae.n_epochs_ == 3
    assert [log["loss"] for log in recorder.logs] == ae.history_["loss"]
    assert [log["val_loss"] for log in recorder.logs] == ae.history_["val_loss"]
    assert all(log["lr"] == ae.history_["settings"]["learning_rate"] and log["epoch_seconds"] > 0 for log in recorder.logs)


def test_callbacks_reach_every_estimator_that_trains_a_module():
    X = low_rank(120)
    y = (X[:, 0] > 0).astype(int)
    Xm = X.copy()
    Xm[np.random.default_rng(1).random(X.shape) < 0.1] = np.nan
    fits = [
        lambda cb: VariationalAutoEncoder(max_epochs=4, **SMALL).fit(X, callbacks=[cb]),
        lambda cb: AutoEncoderImputer(max_epochs=4, n_members=1, random_state=0).fit(Xm, callbacks=[cb]),
        lambda cb: AutoEncoderClassifier(latent_dim=2, hidden_dims=(8,), pretrain_epochs=2, max_epochs=4, random_state=0).fit(X, y, callbacks=[cb]),
        lambda cb: AutoEncoderOutlierDetector(AutoEncoder(max_epochs=4, **SMALL)).fit(X, callbacks=[cb]).autoencoder_,
    ]  # the detector's fit took no callbacks: TypeError "got an unexpected keyword argument 'callbacks'"
    for fit in fits:
        recorder = Recorder(stop_after=2)
        est = fit(recorder)
        assert est.n_epochs_ == 2 and len(recorder.logs) == 2, type(est).__name__


def test_csv_and_tensorboard_loggers_write_what_the_history_holds(tmp_path):
    X = low_rank()
    ae = AutoEncoder(max_epochs=4, validation_fraction=0.2, **SMALL)
    ae.fit(X, callbacks=[CSVLogger(tmp_path / "metrics.csv"), TensorBoardLogger(tmp_path / "tb")])
    with open(tmp_path / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    np.testing.assert_allclose([float(r["loss"]) for r in rows], ae.history_["loss"])
    np.testing.assert_allclose([float(r["val_loss"]) for r in rows], ae.history_["val_loss"])
    events = list((tmp_path / "tb").glob("events.out.tfevents.*"))
    assert len(events) == 1 and b"loss/train" in events[0].read_bytes()


def test_warm_start_continues_from_the_fitted_weights_and_optimizer():
    X = low_rank()
    ae = AutoEncoder(max_epochs=8, learning_rate=0.01, warm_start=True, validation_fraction=0.0, init="random", **SMALL).fit(X)
    first = list(ae.history_["loss"])
    module = ae.module_
    ae.fit(X)
    assert ae.module_ is module and ae.n_epochs_ == 16
    second = ae.history_["loss"][8:]
    assert second[0] < 0.05 * first[0]  # an untrained model's first epoch is far higher
    assert second[0] < 1.5 * first[-1]  # the first fit's last loss, or a step further
    cold = AutoEncoder(max_epochs=8, learning_rate=0.01, validation_fraction=0.0, init="random", **SMALL).fit(X)
    cold.fit(X)
    assert cold.n_epochs_ == 8 and cold.history_["loss"][0] == pytest.approx(first[0])


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_a_warm_start_trains_with_the_optimizer_settings_set_since(optimizer):
    # the second fit kept the first fit's optimizer: set_params(learning_rate=..., optimizer=...)
    # was ignored while history_['settings'] reported the new learning rate
    X = low_rank()
    ae = AutoEncoder(max_epochs=3, learning_rate=0.01, warm_start=True, validation_fraction=0.0, init="random", **SMALL).fit(X)
    before = ae.transform(X)
    ae.set_params(optimizer=optimizer, learning_rate=1e-9).fit(X)
    np.testing.assert_allclose(ae.transform(X), before, atol=1e-5)
    assert ae.n_epochs_ == 6 and ae.history_["settings"]["learning_rate"] == 1e-9
    ae.set_params(learning_rate=0.01).fit(X)
    assert np.abs(ae.transform(X) - before).max() > 1e-3


def test_validation_losses_stay_aligned_with_epochs_across_fits_and_pieces(tmp_path):
    # the partial_fit epoch (no validation) took the next fit's first val_loss; the last epoch had none
    X = low_rank()
    ae = AutoEncoder(max_epochs=3, warm_start=True, **SMALL).fit(X)
    ae.partial_fit(X)
    recorder = Recorder()
    ae.set_params(max_epochs=2).fit(X, callbacks=[CSVLogger(tmp_path / "metrics.csv"), recorder])
    val = ae.history_["val_loss"]
    assert len(val) == len(ae.history_["loss"]) == 6 and np.isnan(val[3]) and int(np.isnan(val).sum()) == 1
    assert val[4:] == [logs["val_loss"] for logs in recorder.logs]
    with open(tmp_path / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["val_loss"] for r in rows] == [repr(v) for v in val[:3]] + [""] + [repr(v) for v in val[4:]]
    assert AutoEncoder.load(ae.save(tmp_path / "model")).history_["val_loss"][4:] == val[4:]


def test_warm_start_refuses_data_of_another_width():
    ae = AutoEncoder(max_epochs=2, warm_start=True, **SMALL).fit(low_rank())
    with pytest.raises(ValueError, match="8 features"):
        ae.fit(np.zeros((10, 5)))


@pytest.mark.parametrize(
    "model, change, named",
    [
        ("ae", {"latent_dim": 3}, "latent_dim=3 (fitted with 2)"),
        ("ae", {"hidden_dims": (4,)}, "hidden_dims=(4,) (fitted with (8,))"),
        ("ae", {"loss": "mse"}, "loss='mse' (fitted with 'auto')"),  # the fit had resolved 'auto' to 'bce'
        ("vae", {"prior": "student_t"}, "prior='student_t' (fitted with 'normal')"),
    ],
)
def test_warm_start_refuses_parameters_that_build_another_network(model, change, named):
    # set_params(latent_dim=3) then a warm fit kept the 2-d network and said nothing; a VAE's new prior
    # crashed with AttributeError: 'NormalPrior' object has no attribute 'df'
    X = np.random.default_rng(0).random((60, 8)).astype(np.float32)
    cls = AutoEncoder if model == "ae" else VariationalAutoEncoder
    est = cls(latent_dim=2, hidden_dims=(8,), max_epochs=1, warm_start=True, random_state=0).fit(X)
    est.set_params(learning_rate=0.01, max_epochs=2).fit(X)  # a training setting may change
    with pytest.raises(ValueError, match=rf"warm_start=True continues .*{re.escape(named)}.*warm_start=False"):
        est.set_params(**change).fit(X)
    assert est.set_params(warm_start=False).fit(X).n_epochs_ == 2


@pytest.mark.parametrize("cls, built, change, named", [
    (SparseAutoEncoder, {"sparsity_kind": "topk", "k": 3}, {"k": 5}, "k=5 (fitted with 3)"),
    (AutoEncoder, {}, {"corruption": "mask", "corruption_level": 0.5}, "corruption_level=0.5 (fitted with 0.2)"),
    (AutoEncoder, {}, {"loss_trim": 0.2}, "loss_trim=0.2 (fitted with 0.0)"),
    (VariationalAutoEncoder, {}, {"beta": 4.0}, "beta=4.0 (fitted with 1.0)"),
], ids=["topk-k", "corruption", "loss_trim", "vae-beta"])
def test_warm_start_refuses_settings_the_fitted_network_keeps(cls, built, change, named):
    # the warm fit was accepted and trained the fitted network with its old k, corruption, loss_trim or beta
    X = np.random.default_rng(0).random((60, 8)).astype(np.float32)
    est = cls(latent_dim=6, hidden_dims=(8,), max_epochs=1, warm_start=True, random_state=0, **built).fit(X)
    with pytest.raises(ValueError, match=rf"warm_start=True continues .*{re.escape(named)}.*warm_start=False"):
        est.set_params(**change).fit(X)
    assert est.set_params(warm_start=False).fit(X).n_epochs_ == 1


def test_partial_fit_learns_data_that_arrives_in_pieces():
    X = low_rank(600)
    ae = AutoEncoder(init="random", **SMALL)  # from an untrained start, to see the pieces learned
    ae.partial_fit(X[:100])
    assert ae.n_epochs_ == 1 and ae.transform(X[:3]).shape == (3, 2)
    untrained_error = np.mean((ae.reconstruct(X) - X) ** 2)
    for _ in range(8):
        for piece in np.array_split(X, 3):
            ae.partial_fit(piece)
    assert ae.n_epochs_ == 25
    assert np.mean((ae.reconstruct(X) - X) ** 2) < 0.3 * untrained_error
    with pytest.raises(ValueError, match="8 features"):
        ae.partial_fit(np.zeros((4, 3)))


@pytest.mark.parametrize("more", ["partial_fit", "warm_start"])
@pytest.mark.parametrize("loss, first, later, named", [
    ("auto", (0, 1), (-2, 3), r"\[-2, 3\], but the fitted model \(output_activation_='sigmoid'\) reconstructs \[0, 1\]"),
    ("poisson", (0, 5), (-1, 5), r"\[-1, 5\], .*'exp'\) reconstructs non-negative counts"),
])
def test_later_pieces_out_of_the_fitted_outputs_range_are_refused(more, loss, first, later, named):
    # a first piece in [0, 1] chose a Bernoulli loss; a standardised later piece trained on it silently,
    # its loss falling below zero (score -0.63) with no model of either piece
    rng = np.random.default_rng(0)
    X = np.round(rng.uniform(*first, size=(60, 8)))
    X[0, 0], X[1, 1] = first
    ae = AutoEncoder(loss=loss, max_epochs=1, warm_start=True, **SMALL)
    ae.partial_fit(X) if more == "partial_fit" else ae.fit(X)
    weights = ae.reconstruct(X)
    bad = X.copy()
    bad[0, 0], bad[1, 1] = later
    with pytest.raises(ValueError, match=named + ".*scale these rows as the first ones were"):
        ae.partial_fit(bad) if more == "partial_fit" else ae.fit(bad)
    np.testing.assert_array_equal(ae.reconstruct(X), weights)
    ae.partial_fit(X) if more == "partial_fit" else ae.fit(X)
    assert ae.n_epochs_ == 2


def test_partial_fit_on_the_imputer_and_the_classifier():
    X = low_rank(200)
    Xm = X.copy()
    Xm[np.random.default_rng(2).random(X.shape) < 0.2] = np.nan
    imp = AutoEncoderImputer(n_members=1, random_state=0)
    for piece in np.array_split(Xm, 4):
        imp.partial_fit(piece)
    assert imp.n_epochs_ == 4 and not np.isnan(imp.transform(Xm)).any()
    y = np.where(X[:, 0] > 0, "a", "b")
    clf = AutoEncoderClassifier(latent_dim=2, hidden_dims=(8,), pretrain_epochs=0, random_state=0)
    clf.partial_fit(X[:100], y[:100]).partial_fit(X[100:], y[100:])
    assert list(clf.classes_) == ["a", "b"] and clf.n_epochs_ == 2
    with pytest.raises(ValueError, match=r"labels \['c'\]"):
        clf.partial_fit(X[:3], np.array(["a", "b", "c"]))


@pytest.mark.parametrize("pretrain_epochs", [0, 2])
def test_a_classifiers_first_piece_may_lack_some_of_its_classes(pretrain_epochs):
    # the head's logistic-regression start had rows for the first piece's classes only:
    # RuntimeError "The size of tensor a (4) must match the size of tensor b (2)" from torch
    X = low_rank(200)
    y = np.digitize(X[:, 0], np.quantile(X[:, 0], [0.25, 0.5, 0.75]))
    first = y < 2
    clf = AutoEncoderClassifier(latent_dim=2, hidden_dims=(8,), pretrain_epochs=pretrain_epochs, random_state=0)
    clf.partial_fit(X[first], y[first], classes=[0, 1, 2, 3]).partial_fit(X[~first], y[~first])
    proba = clf.predict_proba(X)
    assert list(clf.classes_) == [0, 1, 2, 3] and proba.shape == (200, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)


def test_a_resumed_fit_keeps_the_clock_of_its_time_budget(tmp_path):
    X = low_rank(2000)
    path = tmp_path / "checkpoint.safetensors"

    def make(max_time=None):
        return AutoEncoder(max_epochs=500, max_time=max_time, **SMALL)

    make().fit(X, checkpoint=Checkpointer(path, fingerprint={"run": 1}), callbacks=[Recorder(stop_after=3)])
    info, _ = read_checkpoint(path)
    assert info["epoch"] == 3 and info["elapsed"] > 0
    resumed = make(max_time=info["elapsed"]).fit(X, checkpoint=Checkpointer(path, fingerprint={"run": 1}, resume=True))
    assert resumed.n_epochs_ == 4  # the budget was spent before the interruption: one more epoch crosses it


class Interrupt(Recorder):
    """A Recorder that raises KeyboardInterrupt after epoch `at` (0-based, over every fit), once it is checkpointed."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def on_epoch_end(self, est, epoch, logs):
        super().on_epoch_end(est, epoch, logs)
        if epoch == self.at:
            raise KeyboardInterrupt


def test_a_resumed_warm_start_follows_the_cosine_of_an_uninterrupted_one(tmp_path):
    # the resumed part restarted the cosine at the full learning rate and ran max_epochs more epochs (15, not 12)
    X = low_rank(200)
    path = tmp_path / "checkpoint.safetensors"

    def first_fit():
        return AutoEncoder(max_epochs=6, learning_rate=0.01, lr_schedule="cosine", warm_start=True, init="random", **SMALL).fit(X)

    whole = Recorder()
    uninterrupted = first_fit().fit(X, callbacks=[whole])
    interrupted, resumed = Interrupt(at=8), Recorder()
    ae = first_fit()
    with pytest.raises(KeyboardInterrupt):
        ae.fit(X, callbacks=[interrupted], checkpoint=Checkpointer(path, resume=True))
    ae.fit(X, callbacks=[resumed], checkpoint=Checkpointer(path, resume=True))
    assert [logs["lr"] for logs in interrupted.logs + resumed.logs] == [logs["lr"] for logs in whole.logs]
    assert ae.n_epochs_ == uninterrupted.n_epochs_ == 12
    np.testing.assert_array_equal(ae.transform(X), uninterrupted.transform(X))


@pytest.mark.parametrize("reload", [False, True])
def test_a_warm_start_whose_start_stays_best_names_the_epoch_of_those_weights(tmp_path, reload):
    # best_epoch stayed the first fit's best (epoch 7, validation 0.165) while the weights kept were its last epoch's (0.192)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 8)) + 0.3 * rng.normal(size=(200, 8))
    ae = AutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=8, learning_rate=0.1, early_stopping=None, batch_size=32,
                     warm_start=True, random_state=0).fit(X)
    first = ae.history_
    assert first["best_epoch"] != 7  # the first fit ends on weights that are not its best
    if reload:
        ae = AutoEncoder.load(ae.save(tmp_path / "model"))
    codes = ae.transform(X)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "AutoEncoder: a loaded, unpickled", UserWarning)  # Adam's state starts anew
        ae.set_params(early_stopping=2, learning_rate=0.3).fit(X)  # a step too large: no epoch beats the start
    history = ae.history_
    np.testing.assert_array_equal(ae.transform(X), codes)
    assert history["best_epoch"] == 7 and history["val_loss"][7] == first["val_loss"][7]
    assert history["settings"]["start_val_loss"] == pytest.approx(first["val_loss"][7], rel=1e-6)
    assert kept_weights(history) == f"epoch 8 (validation {first['val_loss'][7]:.4g})"


def test_the_progress_bar_says_which_epoch_early_stopping_kept(capsys):
    # verbose=True ended the bar at, say, 29/200 without a word that the weights are epoch 24's
    X = np.random.default_rng(0).normal(size=(60, 20))
    ae = AutoEncoder(latent_dim=8, hidden_dims=(256,), max_epochs=200, early_stopping=5, init="random", verbose=True,
                     random_state=0).fit(X)
    best = ae.history_["best_epoch"]
    assert best is not None and best < ae.n_epochs_ - 1
    assert f"kept=epoch {best + 1} (validation {ae.history_['val_loss'][best]:.4g})" in capsys.readouterr().err


def test_a_checkpoint_holds_strict_json_for_a_non_finite_value_and_resumes_with_it(tmp_path):
    # a non-finite value (here in the fingerprint, as an infinite best loss would be) was written as 'Infinity', which
    # strict JSON readers refuse
    import json

    from safetensors import safe_open

    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    path, fingerprint = tmp_path / "checkpoint.safetensors", {"max_time": float("inf"), "tol": float("nan")}
    AutoEncoder(max_epochs=1, **SMALL).fit(low_rank(40), checkpoint=Checkpointer(path, fingerprint=fingerprint))
    with safe_open(path, "pt") as f:
        state = json.loads(f.metadata()["state"], parse_constant=refuse)
    assert state["epoch"] == 1 and state["fingerprint"]["max_time"] == {"non_finite": "inf"}
    info, _ = read_checkpoint(path)
    assert info["fingerprint"]["max_time"] == float("inf") and np.isnan(info["fingerprint"]["tol"])
    resumed = AutoEncoder(max_epochs=2, **SMALL).fit(low_rank(40), checkpoint=Checkpointer(path, fingerprint=fingerprint,
                                                                                           resume=True))
    assert resumed.n_epochs_ == 2
