"""scipy.sparse input: estimators keep X sparse and densify one batch (or one bounded block) at a
time, so a fit on CSR counts equals the fit on their dense form, and a matrix whose dense form
exceeds the process's address-space limit still fits and transforms."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp

from aekit import AutoEncoder, AutoEncoderClassifier, AutoEncoderOutlierDetector, ConvAutoEncoder, VariationalAutoEncoder

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_counts(n_docs: int, n_words: int, seed: int = 0) -> sp.csr_matrix:
    """Word counts of n_docs documents over n_words words, about 5 % of entries non-zero."""
    return sp.random(
        n_docs, n_words, density=0.05, format="csr", random_state=seed,
        data_rvs=lambda k: np.random.default_rng(seed).integers(1, 6, k),
    ).astype(np.float64)  # fmt: skip


ESTIMATORS = {
    "autoencoder": lambda: AutoEncoder(latent_dim=3, hidden_dims=(16,), max_epochs=3, random_state=0),
    "multinomial": lambda: AutoEncoder(latent_dim=3, hidden_dims=(16,), loss="multinomial", max_epochs=3, random_state=0),
    "vae": lambda: VariationalAutoEncoder(latent_dim=3, hidden_dims=(16,), max_epochs=3, random_state=0),
}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "csr_array"])
def test_a_sparse_fit_equals_the_dense_fit(name, fmt):
    X = random_counts(300, 120)
    X_sparse = sp.csr_array(X) if fmt == "csr_array" else X.asformat(fmt)
    sparse = ESTIMATORS[name]().fit(X_sparse)
    dense = ESTIMATORS[name]().fit(X.toarray())
    np.testing.assert_allclose(sparse.history_["loss"], dense.history_["loss"], rtol=1e-6)
    np.testing.assert_allclose(sparse.history_["val_loss"], dense.history_["val_loss"], rtol=1e-6)
    np.testing.assert_allclose(sparse.transform(X_sparse), dense.transform(X.toarray()), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(sparse.score_samples(X_sparse), dense.score_samples(X.toarray()), rtol=1e-6)
    np.testing.assert_allclose(sparse.reconstruct(X_sparse), dense.reconstruct(X.toarray()), rtol=1e-6, atol=1e-9)
    assert sparse.transform(X_sparse.astype(np.float32)).dtype == np.float32


def test_the_vae_estimates_log_likelihoods_and_draws_reconstructions_from_sparse_rows():
    X = random_counts(200, 40)
    sparse = ESTIMATORS["vae"]().fit(X)
    dense = ESTIMATORS["vae"]().fit(X.toarray())
    np.testing.assert_allclose(sparse.log_likelihood(X[:20], n_importance=20), dense.log_likelihood(X[:20].toarray(), n_importance=20), rtol=1e-5)
    assert sparse.reconstruct(X[:10], n_samples=3).shape == (3, 10, 40)


@pytest.mark.slow
def test_the_outlier_detector_takes_sparse_counts_and_refuses_standardizing_them():
    X = random_counts(300, 60)
    sparse = AutoEncoderOutlierDetector(random_state=0).fit(X)
    dense = AutoEncoderOutlierDetector(random_state=0).fit(X.toarray())
    np.testing.assert_allclose(sparse.score_samples(X.tocoo()), dense.score_samples(X.toarray()), rtol=1e-6)
    np.testing.assert_array_equal(sparse.predict(X), dense.predict(X.toarray()))
    proba = sparse.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    np.testing.assert_allclose(proba, dense.predict_proba(X.toarray()), rtol=1e-6)
    why = sparse.explain(X[:5], top=2)
    assert list(why.columns[:2]) == ["feature_1", "observed_1"] and len(why) == 5
    with pytest.raises(ValueError, match="X is sparse, but standardize=True"):
        AutoEncoderOutlierDetector(standardize=True).fit(X)


def test_the_classifier_fits_sparse_counts_as_it_fits_them_dense():
    y = np.arange(240) % 3
    marks = sp.csr_matrix((np.full(240, 4.0), (np.arange(240), y * 7)), shape=(240, 120))
    X = (random_counts(240, 120) + marks).tocsr()  # one word marks each class
    params = {"latent_dim": 4, "hidden_dims": (16,), "max_epochs": 30, "pretrain_epochs": 4, "random_state": 0}
    sparse = AutoEncoderClassifier(**params).fit(X, y, X_unlabeled=X[:60].tocoo())
    dense = AutoEncoderClassifier(**params).fit(X.toarray(), y, X_unlabeled=X[:60].toarray())
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X.toarray()), rtol=1e-5, atol=1e-6)
    assert (sparse.predict(X) == y).mean() > 0.9


def test_sparse_input_is_refused_where_rows_are_images_and_checked_for_non_finite_values():
    X = random_counts(20, 64)
    with pytest.raises(TypeError, match="Sparse data was passed for X"):
        ConvAutoEncoder(max_epochs=1).fit(X)
    X.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        AutoEncoder(max_epochs=1).fit(X)


MEMORY_CHILD = textwrap.dedent(
    """
    import resource, sys
    import numpy as np, scipy.sparse as sp, torch
    torch.set_num_threads(1)
    from aekit import AutoEncoder

    n, d, per_row = 4_000, 30_000, 15
    cols = np.random.default_rng(0).integers(0, d, size=(n, per_row)).astype(np.int32)
    X = sp.csr_matrix((np.ones(n * per_row, np.float32), cols.ravel(), np.arange(0, n * per_row + 1, per_row)), shape=(n, d))
    size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize"))
    limit = size + 300 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        np.ones((n, d), dtype=np.float32)
        print("densified")
    except MemoryError:
        pass
    est = AutoEncoder(latent_dim=4, hidden_dims=(8,), loss="multinomial", batch_size=64, max_epochs=1, random_state=0).fit(X)
    print(est.transform(X).shape, est.score_samples(X).shape, np.isfinite(est.history_["val_loss"]).all())
    """
)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux's RLIMIT_AS and /proc")
def test_a_sparse_matrix_too_big_to_densify_fits_and_transforms_under_an_address_space_limit():
    """4,000 x 30,000 counts (480 MB dense in float32) fit for an epoch, transform and score
    while the process may grow by only 300 MB of address space (too little to densify them;
    memory follows the batch: 64 rows here, as a 256-row multinomial batch's tensors and their
    gradients alone take some 500 MB at 30,000 words)."""
    result = subprocess.run([sys.executable, "-c", MEMORY_CHILD], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split("\n")[0] == "(4000, 4) (4000,) True"
