"""The training loop: determinism, history, early stopping, divergence, optimizers, progress."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aekit import AutoEncoder, TrainConfig, TrainingDivergedError, train
from aekit.nn.likelihoods import MSE
from aekit.nn.models import AutoEncoderModule
from aekit.nn import MLPDecoder, MLPEncoder
from aekit.training.loop import evaluate_loss


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return rng.random((200, 3)) @ rng.random((3, 10))  # rank-3 data in 10 dims


def small_module(n_features=10, latent_dim=3):
    return AutoEncoderModule(
        MLPEncoder(n_features, latent_dim, (16,)), MLPDecoder(latent_dim, n_features, (16,)), MSE("linear")
    )


def test_same_seed_same_model_other_seed_other_model(X):
    def codes(seed):
        est = AutoEncoder(latent_dim=2, hidden_dims=(16,), corruption="mask", max_epochs=5, init="random", random_state=seed)
        return est.fit(X).transform(X)  # a random start: a PCA start that training does not beat is the same for every seed

    np.testing.assert_array_equal(codes(0), codes(0))
    assert not np.allclose(codes(0), codes(1))


def test_global_torch_rng_is_left_alone(X):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    AutoEncoder(max_epochs=2, random_state=0).fit(X)
    assert torch.equal(torch.rand(3), expected)


def test_history_records_each_epoch(X):
    ae = AutoEncoder(latent_dim=3, max_epochs=7, random_state=0).fit(X)
    assert len(ae.history_["loss"]) == len(ae.history_["val_loss"]) == len(ae.history_["epoch_seconds"]) == 7
    assert ae.n_epochs_ == 7
    assert ae.history_["loss"][-1] < ae.history_["loss"][0]
    assert all(t > 0 for t in ae.history_["epoch_seconds"])
    no_val = AutoEncoder(latent_dim=3, max_epochs=2, validation_fraction=0.0, random_state=0).fit(X)
    assert no_val.history_["val_loss"] == []


def test_single_sample_fit_skips_validation():
    ae = AutoEncoder(max_epochs=2, random_state=0).fit(np.ones((1, 4)))
    assert ae.history_["val_loss"] == [] and ae.transform(np.ones((1, 4))).shape == (1, 2)


def test_early_stopping_stops_and_restores_best_weights(X):
    X_t = torch.tensor(X, dtype=torch.float32)
    module = small_module()
    config = TrainConfig(learning_rate=0.05, max_epochs=500, batch_size=32, early_stopping=3)
    history = train(module, X_t[:150], config, torch.Generator().manual_seed(0), X_val=X_t[150:])
    assert len(history.loss) < 500
    assert len(history.loss) == history.best_epoch + 1 + 3
    assert evaluate_loss(module, X_t[150:]) == pytest.approx(min(history.val_loss), rel=1e-6)


def test_divergence_stops_with_a_message(X):
    with pytest.raises(TrainingDivergedError, match="smaller learning_rate"):
        AutoEncoder(optimizer="sgd", learning_rate=1e6, output_activation="linear", max_epochs=20, random_state=0).fit(X * 1e3)


def test_divergence_on_a_raw_table_names_the_column_scales():
    """A table whose columns span five orders of magnitude diverges from its PCA start; the error
    says why and how to scale, before the learning-rate advice."""
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(400, 3)) @ rng.normal(size=(3, 8)) + 0.1 * rng.normal(size=(400, 8))
    raw = (raw * np.array([1, 10, 100, 1000, 1e4, 1, 1, 5e4])).astype(np.float32)
    pattern = r"columns differ in scale \(standard deviations from [\d.e+]+ to [\d.e+]+\): standardise them first.*StandardScaler"
    with pytest.raises(TrainingDivergedError, match=pattern):
        AutoEncoder(latent_dim=3, max_epochs=3, random_state=0).fit(raw)


def test_a_fit_that_ends_worse_than_the_untrained_model_warns_naming_the_learning_rate():
    # a sigmoid output's bounded loss never reaches the divergence limit: at learning_rate=1e6 the fit
    # ended silently at 0.236 per pixel, 1.34 times the untrained model's 0.176
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning

    from aekit import ConvAutoEncoder

    images = (load_digits().data[:600] / 16).reshape(-1, 1, 8, 8).astype(np.float32)
    with pytest.warns(ConvergenceWarning, match=r"ended worse than it started.*learning_rate \(now 1000000.0\)"):
        ConvAutoEncoder(learning_rate=1e6, channels=(4,), latent_dim=4, max_epochs=3, random_state=0).fit(images)
    ConvAutoEncoder(channels=(4,), latent_dim=4, max_epochs=3, random_state=0).fit(images)  # a normal fit: no warning


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_learning_rate_10_stops_at_the_explosion_not_at_nan(X, optimizer):
    """At lr=10 the loss explodes to ~1e13-1e24 while staying finite; training stops there."""
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+: the loss became .* \(it was .* before training\)\. Try a smaller learning_rate"):
        AutoEncoder(optimizer=optimizer, learning_rate=10.0, max_epochs=20, random_state=0).fit(Xs)


@pytest.mark.parametrize("more", ["warm_start", "partial_fit"])
def test_a_warm_fit_that_diverges_leaves_the_fitted_model_as_it_was(X, more):
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    ae = AutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=3, warm_start=True, random_state=0).fit(Xs)
    codes, history = ae.transform(Xs), ae.history_
    ae.set_params(learning_rate=1e3, max_epochs=20)
    with pytest.raises(TrainingDivergedError, match="left as it was after epoch 3"):
        ae.fit(Xs) if more == "warm_start" else ae.partial_fit(Xs)
    np.testing.assert_array_equal(ae.transform(Xs), codes)
    assert ae.history_ == history and ae.n_epochs_ == 3
    ae.set_params(learning_rate=1e-3, max_epochs=2).fit(Xs)  # the optimizer's moments were put back too
    assert len(ae.history_["loss"]) == 5 and np.isfinite(ae.transform(Xs)).all()
    assert ae.history_["loss"][-1] < 2 * history["loss"][-1]


def test_diverged_partial_fits_between_good_ones_change_nothing(X):
    # partial_fit copies the weights and optimizer state into the same buffers at every call, and a
    # diverged call loads them back: the model must continue exactly as a twin that never diverged
    Xs = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    pieces = np.array_split(Xs, 4)
    ae, twin = (AutoEncoder(latent_dim=2, hidden_dims=(16,), random_state=0) for _ in range(2))
    for i, piece in enumerate(pieces):
        ae.partial_fit(piece)
        twin.partial_fit(piece)
        if i in (1, 2):
            with pytest.raises(TrainingDivergedError, match="left as it was"):
                ae.set_params(learning_rate=1e4).partial_fit(piece)
            ae.set_params(learning_rate=twin.learning_rate)
    np.testing.assert_array_equal(ae.transform(Xs), twin.transform(Xs))
    assert ae.history_["loss"] == twin.history_["loss"]


@pytest.mark.parametrize("more", ["warm_start", "partial_fit"])
def test_an_interrupted_warm_fit_leaves_the_model_as_it_was(X, more):
    # Ctrl-C put history_ and n_epochs_ back, but the weights of the interrupted epochs stayed: the
    # codes changed, and the next fit's epoch count jumped (6 instead of 4)
    class Interrupt:
        def on_epoch_end(self, est, epoch, logs):
            raise KeyboardInterrupt

    Xs = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    ae = AutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=3, warm_start=True, init="random", random_state=0).fit(Xs)
    twin = AutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=3, warm_start=True, init="random", random_state=0).fit(Xs)
    codes = ae.transform(Xs)
    with pytest.raises(KeyboardInterrupt):
        ae.fit(Xs, callbacks=[Interrupt()]) if more == "warm_start" else ae.partial_fit(Xs, callbacks=[Interrupt()])
    np.testing.assert_array_equal(ae.transform(Xs), codes)
    assert ae.n_epochs_ == 3
    ae.partial_fit(Xs)
    twin.partial_fit(Xs)
    assert ae.n_epochs_ == 4 and ae.history_["loss"] == twin.history_["loss"]  # the optimizer and generator put back too
    np.testing.assert_array_equal(ae.transform(Xs), twin.transform(Xs))


def test_a_later_piece_of_a_larger_scale_is_not_taken_for_divergence(X):
    # the reference stayed the first piece's loss: a piece 300 times larger raised "training diverged
    # in epoch 2: the loss became 2714 (the untrained model's was 0.03)", though a new fit trains on it
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    ae = AutoEncoder(latent_dim=2, hidden_dims=(16,), random_state=0).partial_fit(Xs)
    ae.partial_fit(300 * Xs).partial_fit(300 * Xs)
    assert ae.n_epochs_ == 3 and ae.history_["loss"][2] <= ae.history_["loss"][1]
    warm = AutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=2, warm_start=True, random_state=0).fit(Xs)
    assert warm.fit(300 * Xs).n_epochs_ == 4
    with pytest.raises(TrainingDivergedError, match=r"it was .* before training"):
        ae.set_params(learning_rate=1e3).partial_fit(300 * Xs)


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop"])
def test_every_optimizer_reduces_the_loss(X, optimizer):
    lr = {"sgd": 0.05, "rmsprop": 1e-3}.get(optimizer, 1e-2)
    ae = AutoEncoder(latent_dim=3, optimizer=optimizer, learning_rate=lr, weight_decay=1e-4, max_epochs=30,
                     init="random", random_state=0).fit(X)  # a PCA start would leave nothing to reduce
    assert ae.history_["loss"][-1] < 0.5 * ae.history_["loss"][0]


@pytest.mark.parametrize("loss", ["mse", "l1", "gaussian", "bce"])
def test_every_loss_trains(loss):
    X = np.random.default_rng(0).random((100, 8))
    ae = AutoEncoder(latent_dim=3, loss=loss, max_epochs=20, random_state=0).fit(X)
    assert np.isfinite(ae.score_samples(X)).all()
    assert ae.history_["loss"][-1] < ae.history_["loss"][0]


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid"])
@pytest.mark.parametrize("latent_activation", [None, "linear", "sigmoid", "tanh", "relu"])
def test_activations(X, activation, latent_activation):
    ae = AutoEncoder(activation=activation, latent_activation=latent_activation, hidden_dims=(8,), max_epochs=2, random_state=0).fit(X)
    Z = ae.transform(X)
    if latent_activation == "sigmoid":
        assert ((Z > 0) & (Z < 1)).all()
    if latent_activation in ("relu",):
        assert (Z >= 0).all()
    if latent_activation == "tanh":
        assert (np.abs(Z) < 1).all()


def test_unit_norm_constraint_holds_after_fit(X):
    ae = AutoEncoder(hidden_dims=(8,), unit_norm=True, max_epochs=3, random_state=0).fit(X)
    for linear in ae.module_.encoder.linears:
        np.testing.assert_allclose(linear.weight.norm(dim=1).detach().numpy(), 1.0, rtol=1e-5)


def test_code_corruption_and_grad_clip_train(X):
    ae = AutoEncoder(corruption="gaussian", corrupt_on="code", corruption_level=0.1, grad_clip=1.0, max_epochs=10, random_state=0).fit(X)
    assert ae.history_["loss"][-1] < ae.history_["loss"][0]


def test_verbose_shows_a_progress_bar(X, capsys):
    AutoEncoder(max_epochs=2, verbose=True, random_state=0).fit(X)
    assert "fit" in capsys.readouterr().err


def test_float32_and_float64_outputs(X):
    ae = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    assert ae.transform(X.astype(np.float32)).dtype == np.float32
    assert ae.transform(X).dtype == np.float64
    np.testing.assert_allclose(ae.transform(X.astype(np.float32)), ae.transform(X), rtol=1e-4, atol=1e-5)
    assert next(ae.module_.parameters()).dtype == torch.float32  # float64 inference did not change the model


def test_transform_inverse_transform_and_reconstruct_agree(X):
    ae = AutoEncoder(max_epochs=3, random_state=0).fit(X)
    np.testing.assert_allclose(ae.inverse_transform(ae.transform(X)), ae.reconstruct(X), rtol=1e-10)
    assert ae.inverse_transform(ae.transform(X)).shape == X.shape


def test_max_time_stops_after_the_epoch_that_crosses_it(X):
    ae = AutoEncoder(max_epochs=10_000, max_time=1e-9, random_state=0).fit(X)
    assert ae.n_epochs_ == 1


def test_cosine_schedule_anneals_the_learning_rate(X):
    from aekit.training.callbacks import FINAL_LR_FRACTION, scheduled_lr

    config = TrainConfig(learning_rate=0.01, max_epochs=10, lr_schedule="cosine")
    assert scheduled_lr(config, 0, 0.0) == pytest.approx(0.01)
    assert scheduled_lr(config, 5, 0.0) == pytest.approx(0.01 * (1 + FINAL_LR_FRACTION) / 2)
    timed = TrainConfig(learning_rate=0.01, max_epochs=1000, max_time=10.0, lr_schedule="cosine")
    assert scheduled_lr(timed, 1, 10.0) == pytest.approx(0.01 * FINAL_LR_FRACTION)
    assert scheduled_lr(TrainConfig(learning_rate=0.01), 5, 99.0) == 0.01

    class RecordRates:
        rates: list = []

        def on_epoch_end(self, est, epoch, logs):
            self.rates.append(logs["lr"])

    recorder = RecordRates()
    ae = AutoEncoder(latent_dim=3, max_epochs=6, learning_rate=0.01, lr_schedule="cosine", random_state=0)
    ae.fit(X, callbacks=[recorder])
    assert recorder.rates[0] == pytest.approx(0.01)
    assert all(a > b for a, b in zip(recorder.rates, recorder.rates[1:]))
    with pytest.raises(ValueError, match="lr_schedule"):
        AutoEncoder(lr_schedule="step").fit(X)


def test_a_refit_that_fails_leaves_the_fitted_model_usable():
    # fit on 8 columns, then a refit on 5 that diverged left n_features_in_=5 beside the 8-column network:
    # transform of either width then failed ('mat1 and mat2 shapes cannot be multiplied')
    from aekit.training.callbacks import TrainingDivergedError

    X = np.random.default_rng(0).normal(size=(120, 8))
    ae = AutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=3, random_state=0).fit(X)
    codes, history = ae.transform(X), dict(ae.history_)
    with pytest.raises(TrainingDivergedError):
        ae.set_params(learning_rate=1e3, optimizer="sgd").fit(X[:, :5] * 1e3)
    assert ae.n_features_in_ == 8 and ae.history_ == history
    np.testing.assert_array_equal(ae.set_params(learning_rate="auto", optimizer="adam").transform(X), codes)
    with pytest.raises(ValueError):
        ae.fit(np.full((120, 5), np.nan))
    np.testing.assert_array_equal(ae.transform(X), codes)
