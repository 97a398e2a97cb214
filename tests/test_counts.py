"""Count data: the multinomial and Poisson likelihoods against hand computations, the encoder's
input transforms, semantic hashing's 0/1 codes with Hamming retrieval, all on generated word
counts with a known topic structure."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.decomposition import TruncatedSVD

from aekit import AutoEncoder, DenoisingAutoEncoder, VariationalAutoEncoder
from aekit.nn.count_inputs import InputTransform
from aekit.nn.likelihoods import Multinomial, Poisson
from aekit.analysis.metrics import retrieval_precision

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def topic_corpus(n_docs: int = 600, n_words: int = 200, n_topics: int = 4, seed: int = 0):
    """(CSR counts (n_docs, n_words), topic labels): each topic favours its own block of words,
    and documents have 20 to 80 words."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_topics, n_docs)
    block = n_words // n_topics
    counts = np.zeros((n_docs, n_words))
    for i, topic in enumerate(labels):
        p = np.full(n_words, 0.2 / n_words)
        p[topic * block : (topic + 1) * block] += 0.8 / block
        counts[i] = rng.multinomial(rng.integers(20, 81), p / p.sum())
    return sp.csr_matrix(counts), labels


def test_the_multinomial_loss_is_the_documents_negative_log_likelihood_by_hand():
    pre = torch.tensor([[0.0, math.log(2.0), math.log(5.0)], [1.0, 1.0, 1.0]])
    x = torch.tensor([[3.0, 0.0, 1.0], [0.0, 2.0, 0.0]])
    terms = Multinomial().elementwise(pre, x)
    # document 1: p = (1, 2, 5) / 8; -[3 log(1/8) + 1 log(5/8)]; document 2: p = 1/3 each; -2 log(1/3)
    np.testing.assert_allclose(terms.sum(dim=1), [-(3 * math.log(1 / 8) + math.log(5 / 8)), 2 * math.log(3)], rtol=1e-6)
    np.testing.assert_allclose(terms[0, 1], 0.0)
    np.testing.assert_allclose(Multinomial().mean(pre)[0], [1 / 8, 2 / 8, 5 / 8], rtol=1e-6)


def test_the_poisson_loss_is_the_negative_log_pmf_by_hand():
    pre = torch.log(torch.tensor([[2.0, 0.5]]))
    x = torch.tensor([[3.0, 0.0]])
    expected = [-(3 * math.log(2.0) - 2.0 - math.log(6.0)), 0.5]  # -log(e^-r r^x / x!)
    np.testing.assert_allclose(Poisson().elementwise(pre, x)[0], expected, rtol=1e-6)
    np.testing.assert_allclose(Poisson().mean(pre), [[2.0, 0.5]], rtol=1e-6)


def test_input_transforms():
    x = torch.tensor([[1.0, 3.0], [0.0, 0.0]])
    np.testing.assert_allclose(InputTransform("proportions")(x), [[0.25, 0.75], [0.0, 0.0]])
    np.testing.assert_allclose(InputTransform("log1p")(x), np.log1p(x.numpy()))
    with pytest.raises(ValueError, match="input_transform must be one of"):
        InputTransform("sqrt")



@pytest.mark.parametrize("input_transform", ["log1p", "proportions"])
@pytest.mark.parametrize("loss", ["multinomial", "poisson"])
def test_gaussian_noise_on_counts_trains_without_diverging(loss, input_transform):
    # Gaussian noise takes zero counts below -1, where log(1 + x) is NaN: the preset diverged in its first epoch
    X, _ = topic_corpus(200)
    est = DenoisingAutoEncoder(latent_dim=2, hidden_dims=(16,), loss=loss, input_transform=input_transform,
                               corruption_level=1.0, max_epochs=2, random_state=0).fit(X)
    assert np.isfinite(est.history_["loss"]).all()
    x = torch.tensor([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(InputTransform(input_transform)(x), InputTransform(input_transform)(x.clamp_min(0)))

@pytest.mark.slow
@pytest.mark.parametrize("loss", ["multinomial", "poisson"])
def test_a_count_autoencoder_separates_topics_in_2d_where_lsa_mixes_them(loss):
    X, y = topic_corpus()
    X_te, y_te = topic_corpus(200, seed=1)
    ae = AutoEncoder(latent_dim=2, hidden_dims=(32,), loss=loss, batch_size=32, max_epochs=20, random_state=0).fit(X)
    codes = ae.transform(X_te)
    assert codes.shape == (200, 2) and np.isfinite(codes).all()
    ae_precision = retrieval_precision(codes, y_te, ae.transform(X), y, k=10)
    svd = TruncatedSVD(2, random_state=0).fit(X.log1p())
    lsa_precision = retrieval_precision(svd.transform(X_te.log1p()), y_te, svd.transform(X.log1p()), y, k=10)
    assert ae_precision > 0.95 and ae_precision > lsa_precision + 0.1, (ae_precision, lsa_precision)
    recon = ae.reconstruct(X_te[:5])
    if loss == "multinomial":
        np.testing.assert_allclose(recon.sum(axis=1), 1.0, rtol=1e-5)  # word proportions
    assert (recon >= 0).all()
    # score_samples is minus the per-word mean of the likelihood's terms
    with torch.inference_mode():
        x = torch.tensor(X_te[:5].toarray(), dtype=torch.float32)
        terms = ae.module_.likelihood.elementwise(ae.module_.decoder(ae.module_.encoder(x)), x)
    np.testing.assert_allclose(ae.score_samples(X_te[:5]), -terms.mean(dim=1).numpy(), rtol=1e-5)


@pytest.mark.parametrize("likelihood", ["multinomial", "poisson"])
def test_a_vae_on_word_counts_separates_topics_samples_counts_and_refuses_negatives(likelihood, tmp_path):
    """The VAE had no count likelihood: on documents it modelled raw counts as Gaussian and
    sampled negative counts. With likelihood='multinomial' (the neural variational document
    model's softmax) or 'poisson' it separates held-out topics as the count autoencoder does,
    samples word proportions (or non-negative rates), and reads sparse rows as dense ones."""
    X, y = topic_corpus(400, n_words=80)
    X_te, y_te = topic_corpus(200, n_words=80, seed=1)
    fit = dict(latent_dim=2, hidden_dims=(32,), likelihood=likelihood, batch_size=32, max_epochs=15, random_state=0)
    vae = VariationalAutoEncoder(**fit).fit(X)
    precision = retrieval_precision(vae.transform(X_te), y_te, vae.transform(X), y, k=10)
    assert precision > 0.9, precision
    drawn = vae.sample(20, random_state=0)
    assert (drawn >= 0).all()
    if likelihood == "multinomial":
        np.testing.assert_allclose(drawn.sum(axis=1), 1.0, rtol=1e-5)  # word proportions
    assert np.isfinite(vae.score_samples(X_te)).all()
    np.testing.assert_allclose(VariationalAutoEncoder(**fit).fit(X.toarray()).transform(X_te), vae.transform(X_te), atol=1e-5)
    vae.save(tmp_path / "vae")
    np.testing.assert_array_equal(VariationalAutoEncoder.load(tmp_path / "vae").transform(X_te), vae.transform(X_te))
    with pytest.raises(ValueError, match=f"likelihood='{likelihood}' needs non-negative counts in X"):
        VariationalAutoEncoder(likelihood=likelihood, max_epochs=1).fit(-X.toarray())
    with pytest.raises(ValueError, match=f"likelihood='{likelihood}' models rows of counts .* backbone='mlp'"):
        VariationalAutoEncoder(likelihood=likelihood, backbone="conv", max_epochs=1).fit(X[:, :64].toarray().reshape(-1, 8, 8))


def test_count_losses_refuse_negative_values_and_a_code_activation_beside_binary_codes():
    X, _ = topic_corpus(50)
    with pytest.raises(ValueError, match="loss='multinomial' needs non-negative counts in X"):
        AutoEncoder(loss="multinomial", max_epochs=1).fit(-X.toarray())
    with pytest.raises(ValueError, match="binary_code=True .* leave latent_activation=None"):
        AutoEncoder(binary_code=True, latent_activation="tanh", max_epochs=1).fit(X)
    with pytest.raises(ValueError, match="binary_code=True replaces the code.s activation; .* sparsity_kind=.topk."):
        AutoEncoder(binary_code=True, sparsity_kind="topk", max_epochs=1).fit(X)


@pytest.mark.slow
def test_semantic_hashing_gives_bits_that_retrieve_by_hamming_distance(tmp_path):
    X, y = topic_corpus()
    X_te, y_te = topic_corpus(200, seed=1)
    est = AutoEncoder(latent_dim=8, hidden_dims=(64,), loss="multinomial", binary_code=True, batch_size=32, max_epochs=20, random_state=0)
    bits = est.fit(X).transform(X_te)
    assert set(np.unique(bits)) <= {0.0, 1.0} and bits.shape == (200, 8)
    precision = retrieval_precision(bits, y_te, est.transform(X), y, k=10, metric="hamming")
    assert precision > 0.8, precision
    again = AutoEncoder(**est.get_params()).fit(X).transform(X_te)
    np.testing.assert_array_equal(bits, again)  # the training noise is seeded
    est.save(tmp_path / "bits")
    np.testing.assert_array_equal(AutoEncoder.load(tmp_path / "bits").transform(X_te), bits)
    with pytest.raises(ValueError, match="metric='hamming' needs codes of 0s and 1s"):
        retrieval_precision(bits + 0.5, y_te, k=5, metric="hamming")
