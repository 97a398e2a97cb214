"""The variational autoencoder: ELBO and IWAE, priors, likelihoods, sampling, persistence."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from aekit import VariationalAutoEncoder
from aekit.nn.likelihoods import Gaussian, StudentT
from aekit.nn.priors import NormalPrior, StudentTPrior, gaussian_log_prob

FAST = {"hidden_dims": (16,), "max_epochs": 3}


@pytest.fixture(scope="module")
def binary_digits(digits):
    X_train, X_test, y_train, _ = digits
    return (X_train > 0.5).astype(np.float64), (X_test > 0.5).astype(np.float64), y_train


@pytest.fixture(scope="module")
def vae(binary_digits):
    X_train, _, _ = binary_digits
    return VariationalAutoEncoder(latent_dim=8, hidden_dims=(64,), max_epochs=40, random_state=0).fit(X_train)


def test_elbo_improves_with_training(binary_digits, vae):
    X_train, X_test, _ = binary_digits
    short = VariationalAutoEncoder(latent_dim=8, hidden_dims=(64,), max_epochs=2, random_state=0).fit(X_train)
    assert vae.score(X_test) > short.score(X_test) + 2.0  # nats
    assert vae.history_["loss"][-1] < vae.history_["loss"][0]


def test_elbo_below_iwae_below_zero(binary_digits, vae):
    """score_samples' 10 posterior draws were shared by every sample, so their error did not average
    out over a data set: its mean ELBO was off by about half a nat (and could sit above log_likelihood)."""
    _, X_test, _ = binary_digits
    elbo = vae.score_samples(X_test)
    many_draws = copy.copy(vae)
    many_draws.n_score_draws = 300
    assert abs(elbo.mean() - many_draws.score_samples(X_test).mean()) < 0.1  # nats
    iwae = vae.log_likelihood(X_test, n_importance=200)
    assert elbo.mean() < iwae.mean() < 0
    assert iwae.mean() - vae.log_likelihood(X_test, n_importance=1).mean() > 0.1  # more draws, tighter bound


def test_the_elbo_of_float32_and_float64_rows_is_the_same(binary_digits, vae):
    """float64 rows drew other posterior draws than float32 rows (the draws followed the input's dtype):
    the same test digits scored about a nat apart."""
    _, X_test, _ = binary_digits
    np.testing.assert_allclose(vae.score_samples(X_test), vae.score_samples(X_test.astype(np.float32)), rtol=1e-4, atol=1e-3)


def test_likelihood_is_a_true_log_density(vae, binary_digits):
    _, X_test, _ = binary_digits
    x = torch.tensor(X_test[:5], dtype=torch.float32)
    with torch.no_grad():
        z = vae.module_.encode(x)
        p = vae.module_.decode(z)
        expected = (x * torch.log(p) + (1 - x) * torch.log1p(-p)).sum(dim=1)
        torch.testing.assert_close(vae.module_.log_px_given_z(z, x), expected, rtol=1e-4, atol=1e-3)


def test_analytic_and_monte_carlo_kl_agree():
    torch.manual_seed(0)
    mu, log_var = torch.randn(4, 3), torch.randn(4, 3) * 0.5
    z = mu + torch.exp(0.5 * log_var) * torch.randn(200_000, 4, 3)
    monte_carlo = (gaussian_log_prob(z, mu, log_var) - NormalPrior().log_prob(z)).mean(dim=0)
    torch.testing.assert_close(monte_carlo, NormalPrior().kl(mu, log_var), atol=0.02, rtol=0.02)


def test_student_t_prior_approaches_normal_for_large_df():
    z = torch.linspace(-3, 3, 13)
    torch.testing.assert_close(StudentTPrior(df=1e5).log_prob(z), NormalPrior().log_prob(z), atol=1e-3, rtol=1e-3)
    gap_small = (StudentTPrior(df=2.0).log_prob(z) - NormalPrior().log_prob(z)).abs().max()
    assert gap_small > 0.5
    samples = StudentTPrior(df=3.0).sample(100_000, 1, torch.Generator().manual_seed(0))
    assert abs(samples.var().item() - 3.0) < 0.5  # variance of t_3 is df / (df - 2) = 3
    np.testing.assert_array_equal(
        StudentTPrior(df=3.0).sample(4, 2, torch.Generator().manual_seed(1)),
        StudentTPrior(df=3.0).sample(4, 2, torch.Generator().manual_seed(1)),
    )


def test_student_t_likelihood_matches_torch_distribution():
    lik = StudentT(3)
    pre, x = torch.randn(5, 3), torch.randn(5, 3)
    dist = torch.distributions.StudentT(lik.df(), pre, torch.ones(3))
    torch.testing.assert_close(lik.elementwise(pre, x), -dist.log_prob(x))


def test_gaussian_variance_modes():
    pre, x = torch.randn(5, 6), torch.randn(5, 3)
    sample_var = Gaussian(3, variance="sample")
    assert sample_var.outputs_per_feature == 2
    expected = -torch.distributions.Normal(pre[:, :3], torch.exp(0.5 * pre[:, 3:])).log_prob(x)
    torch.testing.assert_close(sample_var.elementwise(pre, x), expected)
    fixed = Gaussian(3, variance="fixed")
    torch.testing.assert_close(fixed.elementwise(pre[:, :3], x), -torch.distributions.Normal(pre[:, :3], 1.0).log_prob(x))
    assert not list(fixed.parameters())


@pytest.mark.parametrize(
    "params",
    [
        {"likelihood": "gaussian", "gaussian_variance": "feature"},
        {"likelihood": "gaussian", "gaussian_variance": "sample"},
        {"likelihood": "gaussian", "gaussian_variance": "fixed"},
        {"likelihood": "student_t"},
        {"prior": "student_t", "learn_prior_df": True},
        {"binarize": "dynamic"},
        {"kl_warmup_epochs": 5, "free_bits": 0.2},
    ],
)
def test_variants_train(digits, params):
    X_train, X_test, _, _ = digits
    vae = VariationalAutoEncoder(latent_dim=4, hidden_dims=(32,), max_epochs=15, random_state=0, **params).fit(X_train)
    assert vae.history_["loss"][-1] < vae.history_["loss"][0]
    assert np.isfinite(vae.score_samples(X_test)).all()
    assert vae.sample(5, random_state=0).shape == (5, 64)


def test_kl_warmup_schedule():
    from aekit.training.callbacks import Callback

    class KLWeights(Callback):
        seen: list = []

        def on_epoch_end(self, est, epoch, logs):
            self.seen.append(self.state.module.kl_weight)

    X = np.random.default_rng(0).random((40, 3))
    recorder = KLWeights()
    vae = VariationalAutoEncoder(latent_dim=2, kl_warmup_epochs=4, max_epochs=6, random_state=0).fit(X, callbacks=[recorder])
    assert recorder.seen == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    assert vae.module_.kl_weight == 1.0


def test_posterior_collapse_is_visible_in_active_units(binary_digits, vae):
    X_train, _, _ = binary_digits
    assert vae.active_units_ >= 4
    collapsed = VariationalAutoEncoder(latent_dim=8, hidden_dims=(64,), beta=50.0, max_epochs=20, random_state=0).fit(X_train)
    assert collapsed.active_units_ < vae.active_units_


def test_active_units_after_partial_fit_count_every_piece_since_the_network_was_built():
    """active_units_ after partial_fit read the last piece only: a piece of identical rows, on
    which no posterior mean varies, reported every unit collapsed. Now a unit is active when it
    varied on any piece since the build, as for AutoEncoder's dead_units_; a new fit starts anew."""
    varied = 3 * np.random.default_rng(0).random((40, 5))
    same = np.repeat(varied[:1], 40, axis=0)
    vae = VariationalAutoEncoder(latent_dim=3, hidden_dims=(8,), max_epochs=1, random_state=0).partial_fit(varied)
    assert vae.active_units_ == 3
    vae.partial_fit(same)
    assert vae.active_units_ == 3
    assert len(vae.collapsed_units_) == 0
    vae.fit(same)
    assert vae.active_units_ == 0
    np.testing.assert_array_equal(vae.collapsed_units_, [0, 1, 2])


def test_posterior_draws_of_rows_in_a_npy_file_are_those_of_the_rows_in_memory(binary_digits, vae, tmp_path):
    # reconstruct("rows.npy", n_samples=3) failed in torch: "can't convert np.ndarray of type numpy.object_"
    _, X_test, _ = binary_digits
    np.save(tmp_path / "rows.npy", X_test[:5])
    draws = vae.reconstruct(str(tmp_path / "rows.npy"), n_samples=3, random_state=0)
    np.testing.assert_array_equal(draws, vae.reconstruct(X_test[:5], n_samples=3, random_state=0))


def test_sample_and_reconstruct_shapes_and_ranges(binary_digits, vae):
    _, X_test, _ = binary_digits
    samples = vae.sample(7, random_state=0)
    assert samples.shape == (7, 64) and ((samples >= 0) & (samples <= 1)).all()
    np.testing.assert_array_equal(samples, vae.sample(7, random_state=0))
    draws = vae.reconstruct(X_test[:5], n_samples=3, random_state=0)
    assert draws.shape == (3, 5, 64) and not np.allclose(draws[0], draws[1])
    assert vae.reconstruct(X_test[:5]).shape == (5, 64)
    assert vae.transform(X_test).shape == (len(X_test), 8)
    with pytest.raises(ValueError, match="n_samples"):
        vae.sample(0)
    with pytest.raises(ValueError, match="n_importance must be a positive integer, got 0"):
        vae.log_likelihood(X_test, n_importance=0)
    for batch_size in (0, -3, 2.5):  # failed in range() or np.concatenate, or ran for n_importance=True
        with pytest.raises(ValueError, match=f"batch_size must be a positive integer, got {batch_size}"):
            vae.log_likelihood(X_test, batch_size=batch_size)
    with pytest.raises(ValueError, match="n_importance must be a positive integer, got True"):
        vae.log_likelihood(X_test, n_importance=True)


def test_a_seeded_vae_samples_reproducibly_without_a_random_state(binary_digits):
    # sample() and reconstruct(n_samples=...) drew from NumPy's global state: two VAEs fitted alike
    # with random_state=0 gave different samples; the estimator's random_state seeds them, as in scikit-learn
    X_train, X_test, _ = binary_digits
    a, b = (VariationalAutoEncoder(latent_dim=2, random_state=0, **FAST).fit(X_train[:200]) for _ in range(2))
    np.testing.assert_array_equal(a.sample(5), b.sample(5))
    np.testing.assert_array_equal(a.sample(5), a.sample(5, random_state=0))
    assert not np.allclose(a.sample(5), a.sample(5, random_state=1))
    np.testing.assert_array_equal(a.reconstruct(X_test[:3], n_samples=2), b.reconstruct(X_test[:3], n_samples=2))


@pytest.mark.parametrize("n", [True, 0, -2, 2.0, "3"])
def test_sample_and_posterior_draws_refuse_a_count_that_is_not_a_positive_integer(vae, binary_digits, n):
    # sample(True) and reconstruct(X, n_samples=True) drew one sample as if asked for 1
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        vae.sample(n)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        vae.reconstruct(binary_digits[1][:2], n_samples=n)


def test_save_load_round_trip(tmp_path, binary_digits):
    X_train, X_test, _ = binary_digits
    vae = VariationalAutoEncoder(latent_dim=3, hidden_dims=(16,), prior="student_t", learn_prior_df=True, max_epochs=5, random_state=0)
    vae.fit(X_train)
    loaded = VariationalAutoEncoder.load(vae.save(tmp_path / "vae"))
    np.testing.assert_array_equal(loaded.transform(X_test), vae.transform(X_test))
    np.testing.assert_array_equal(loaded.score_samples(X_test), vae.score_samples(X_test))
    assert loaded.active_units_ == vae.active_units_
    np.testing.assert_array_equal(loaded.collapsed_units_, vae.collapsed_units_)
    assert math.isclose(loaded.module_.prior.df().item(), vae.module_.prior.df().item())


def test_a_learned_student_t_prior_exposes_its_degrees_of_freedom(tmp_path, binary_digits):
    X_train, _, _ = binary_digits
    vae = VariationalAutoEncoder(latent_dim=3, prior="student_t", learn_prior_df=True, **FAST, random_state=0).fit(X_train)
    assert vae.prior_df_ == pytest.approx(vae.module_.prior.df().item()) and vae.prior_df_ != 3.0
    assert VariationalAutoEncoder.load(vae.save(tmp_path / "vae")).prior_df_ == vae.prior_df_
    assert VariationalAutoEncoder(prior="student_t", prior_df=5.0, **FAST).fit(X_train).prior_df_ == pytest.approx(5.0)
    assert not hasattr(vae.set_params(prior="normal", learn_prior_df=False).fit(X_train), "prior_df_")


def test_a_bernoulli_likelihood_on_data_that_are_not_binary_warns(digits, binary_digits):
    X_train = digits[0]
    with pytest.warns(UserWarning, match=r"likelihood='bernoulli' on data that are not binary \(values in \[0, 1\].*binarize='dynamic'"):
        VariationalAutoEncoder(likelihood="bernoulli", **FAST).fit(X_train)
    VariationalAutoEncoder(likelihood="bernoulli", binarize="dynamic", **FAST).fit(X_train)
    VariationalAutoEncoder(likelihood="bernoulli", **FAST).fit(binary_digits[0])
    VariationalAutoEncoder(likelihood="gaussian", **FAST).fit(X_train)


def test_auto_likelihood_on_grey_data_is_bernoulli_without_the_warning(digits):
    """Decided for issue 34: 'auto' is the estimator's choice, not a request, so on grey pixels in
    [0, 1] it is Bernoulli (the cross-entropy of the tutorials) without the warning an explicit
    likelihood='bernoulli' gets; the docstring says its nats are then no log-likelihood. Data
    outside [0, 1] get a Gaussian."""
    from aekit.nn.likelihoods import BCE

    X_train = digits[0]
    assert isinstance(VariationalAutoEncoder(**FAST).fit(X_train).module_.likelihood, BCE)  # warnings are errors here
    assert isinstance(VariationalAutoEncoder(**FAST).fit(X_train * 2).module_.likelihood, Gaussian)


def test_bad_input(digits):
    X_train = digits[0]
    # each refusal named both likelihood='bernoulli' and binarize='dynamic', whichever was set
    with pytest.raises(ValueError, match=r"^likelihood='bernoulli' needs X in \[0, 1\]"):
        VariationalAutoEncoder(likelihood="bernoulli", **FAST).fit(X_train * 2)
    with pytest.raises(ValueError, match=r"^binarize='dynamic' needs X in \[0, 1\]"):
        VariationalAutoEncoder(binarize="dynamic", **FAST).fit(X_train * 2)
    with pytest.raises(ValueError, match="binarize='dynamic' needs likelihood='bernoulli'"):
        VariationalAutoEncoder(likelihood="gaussian", binarize="dynamic", **FAST).fit(X_train)


def test_a_conv_vae_answers_reconstruct_in_images_and_decodes_codes_to_rows_as_documented():
    """docs/guide/images.md: `reconstruct` answers in X's layout; `sample` and `inverse_transform`
    give rows (n, C*H*W) that `.reshape(-1, *input_shape_)` makes images, in that order."""
    X = np.random.default_rng(0).random((12, 2, 5, 7)).astype(np.float32)
    vae = VariationalAutoEncoder(latent_dim=2, backbone="conv", channels=(4,), max_epochs=1, random_state=0).fit(X)
    images = vae.reconstruct(X)
    rows = vae.inverse_transform(vae.transform(X))
    assert images.shape == X.shape and rows.shape == (12, 70) and vae.sample(3, random_state=0).shape == (3, 70)
    np.testing.assert_allclose(rows.reshape(-1, *vae.input_shape_), images, rtol=1e-5, atol=1e-6)
