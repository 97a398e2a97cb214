"""The latent space as a tool (`aekit.analysis.latent`), the retrieval and clustering scores
(`aekit.analysis.metrics`) and the latent plots (`aekit.app.plot`), on the digits."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from aekit import AutoEncoder, ConvAutoEncoder, SparseAutoEncoder, VariationalAutoEncoder
from aekit.analysis.latent import DENSITIES, LatentSampler, interpolate, latent_grid, slerp
from aekit.analysis.metrics import cluster_codes, clustering_scores, knn_accuracy, retrieval_precision
from aekit.app.plot import plot_interpolations, plot_latent_comparison, plot_latent_grid, plot_samples
from aekit.app.run_report import evaluate

pytestmark = pytest.mark.usefixtures("one_torch_thread")

DIGIT_SHAPE = (8, 8)


@pytest.fixture(scope="module")
def ae(digits):
    X_train = digits[0]
    return AutoEncoder(latent_dim=4, hidden_dims=(64,), loss="bce", max_epochs=40, batch_size=64, random_state=0).fit(X_train)


@pytest.fixture(scope="module")
def ae2d(digits):
    X_train = digits[0]
    return AutoEncoder(latent_dim=2, hidden_dims=(64,), loss="bce", max_epochs=20, batch_size=64, random_state=0).fit(X_train)


# ---- sampling ----------------------------------------------------------------------------------


@pytest.mark.parametrize("density", DENSITIES)
def test_sampler_shapes_finite_and_reproducible(ae, digits, density):
    X_train = digits[0]
    sampler = LatentSampler(ae, density=density, n_components=5, random_state=0).fit(X_train)
    X_new, Z = sampler.sample(16, random_state=1, return_codes=True)
    assert X_new.shape == (16, X_train.shape[1]) and Z.shape == (16, 4)
    assert np.isfinite(X_new).all() and np.isfinite(Z).all()
    assert ((X_new >= 0) & (X_new <= 1)).all()  # sigmoid output
    np.testing.assert_array_equal(sampler.sample(16, random_state=1), X_new)
    assert not np.allclose(sampler.sample(16, random_state=2), X_new)
    assert sampler.score_samples(X_train[:5]).shape == (5,)


def test_a_seeded_sampler_draws_the_same_rows_without_a_random_state(ae, digits):
    # LatentSampler(random_state=0).sample(n) drew from NumPy's global state: each call gave other rows
    sampler = LatentSampler(ae, density="gmm", n_components=3, random_state=0).fit(digits[0])
    np.testing.assert_array_equal(sampler.sample(4), sampler.sample(4))
    np.testing.assert_array_equal(sampler.sample(4), sampler.sample(4, random_state=0))


def test_a_grid_search_over_densities_keeps_the_fitted_autoencoder_and_scores_held_out_codes(ae, digits):
    """GridSearchCV(LatentSampler(fitted_ae), {'density': [...]}) failed with NotFittedError, as
    clone copied an unfitted autoencoder, and the sampler had no score: clones now share the
    fitted autoencoder and score is the mean log-density of the held-out rows' codes."""
    X = digits[0][:120]
    search = GridSearchCV(LatentSampler(ae, n_components=3, random_state=0), {"density": ["gaussian", "gmm"]},
                          cv=KFold(2)).fit(X)
    assert search.best_estimator_.autoencoder is ae and clone(search.estimator).autoencoder is ae
    for i, density in enumerate(["gaussian", "gmm"]):
        fold = LatentSampler(ae, density=density, n_components=3, random_state=0).fit(X[60:])
        assert search.cv_results_["split0_test_score"][i] == pytest.approx(fold.score_samples(X[:60]).mean())
    with pytest.raises(ValueError, match="autoencoder__latent_dim cannot be set through the sampler"):
        LatentSampler(ae).set_params(autoencoder__latent_dim=8)
    assert ae.latent_dim == 4
    with pytest.raises(NotFittedError, match=r"this AutoEncoder is not fitted.*sklearn\.frozen\.FrozenEstimator\(ae\)"):
        GridSearchCV(LatentSampler(ae), {"autoencoder": [ae]}, cv=KFold(2), error_score="raise").fit(X)
    frozen = GridSearchCV(LatentSampler(ae), {"autoencoder": [FrozenEstimator(ae)]}, cv=KFold(2)).fit(X)
    assert frozen.cv_results_["split0_test_score"][0] == pytest.approx(search.cv_results_["split0_test_score"][0])
    plain = type("Codes", (), {"transform": lambda self, X: X[:, :2], "inverse_transform": lambda self, Z: Z})()
    assert LatentSampler(plain).fit(X).sample(3).shape == (3, 2)  # no fit method: nothing to check, used as it is


def test_gmm_samples_are_likelier_than_random_codes(ae, digits):
    X_train = digits[0]
    sampler = LatentSampler(ae, density="gmm", n_components=10, random_state=0).fit(X_train)
    Z_sampled = sampler.sample_codes(500, random_state=0)
    codes = ae.transform(X_train)
    Z_random = np.random.default_rng(0).uniform(codes.min(axis=0), codes.max(axis=0), size=(500, 4))
    sampled, random = sampler.score_codes(Z_sampled), sampler.score_codes(Z_random)
    assert np.median(sampled) > np.median(random) + 1.0
    assert np.mean(sampled > np.median(random)) > 0.8


def test_gmm_draws_come_from_every_component_in_random_order(ae, digits):
    sampler = LatentSampler(ae, density="gmm", n_components=3, random_state=0).fit(digits[0])
    Z = sampler.sample_codes(300, random_state=0)
    components = sampler.density_.predict((Z - sampler.code_mean_) / sampler.code_scale_)
    assert set(components) == {0, 1, 2}
    assert np.any(np.diff(components) < 0)  # not grouped by component


def test_sampler_works_with_pca_and_a_vae_and_refuses_bad_input(digits):
    X_train = digits[0]
    vae = VariationalAutoEncoder(latent_dim=3, hidden_dims=(32,), max_epochs=3, random_state=0).fit(X_train)
    for model in (PCA(5).fit(X_train), vae):
        sampler = LatentSampler(model, density="gaussian").fit(X_train)
        assert sampler.sample(3, random_state=0).shape == (3, X_train.shape[1])
    with pytest.raises(ValueError, match="positive integer"):
        sampler.sample(0)
    with pytest.raises(ValueError, match="density"):
        LatentSampler(vae, density="flow").fit(X_train)


def test_sampled_codes_of_a_topk_or_binary_model_are_codes_the_model_gives(digits):
    """A Gaussian fitted to k-sparse or 0/1 codes draws dense, continuous codes, which the decoder
    never saw: the draws are put onto the model's code set (k non-zeros, 0/1, ReLU's >= 0)."""
    X = digits[0][:200]
    topk = SparseAutoEncoder(latent_dim=12, sparsity_kind="topk", k=3, max_epochs=2, random_state=0).fit(X)
    drawn, Z = LatentSampler(topk, random_state=0).fit(X).sample(40, return_codes=True)
    assert set((Z != 0).sum(axis=1)) == {3} and Z.shape == (40, 12)
    np.testing.assert_allclose(drawn, topk.inverse_transform(Z), rtol=1e-5, atol=1e-6)  # decoded from those codes
    binary = AutoEncoder(latent_dim=6, binary_code=True, max_epochs=2, random_state=0).fit(X)
    assert set(np.unique(LatentSampler(binary, random_state=0).fit(X).sample_codes(40))) <= {0.0, 1.0}
    alike = X[:1] + 0.01 * np.random.default_rng(0).random((200, X.shape[1]))  # rows too alike for two codes
    with pytest.warns(UserWarning, match="every training row has the same code after 2 epochs"):  # was silent
        one_code = AutoEncoder(latent_dim=6, binary_code=True, max_epochs=2, random_state=0).fit(alike)
    assert len(np.unique(one_code.transform(alike), axis=0)) == 1
    assert set(np.unique(LatentSampler(one_code, random_state=0).fit(alike).sample_codes(40))) <= {0.0, 1.0}
    relu = AutoEncoder(latent_dim=4, latent_activation="relu", max_epochs=2, random_state=0).fit(X)
    assert LatentSampler(relu, random_state=0).fit(X).sample_codes(200).min() >= 0


# ---- interpolation ------------------------------------------------------------------------------


def test_slerp_keeps_norms():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 6)), rng.normal(size=(5, 6))
    b_same = b / np.linalg.norm(b, axis=1, keepdims=True) * np.linalg.norm(a, axis=1, keepdims=True)
    t = np.linspace(0, 1, 9)
    path = slerp(a, b_same, t)  # (5, 9, 6)
    np.testing.assert_allclose(np.linalg.norm(path, axis=2), np.repeat(np.linalg.norm(a, axis=1)[:, None], 9, axis=1))
    general = slerp(a, b, t)
    expected = (1 - t) * np.linalg.norm(a, axis=1)[:, None] + t * np.linalg.norm(b, axis=1)[:, None]
    np.testing.assert_allclose(np.linalg.norm(general, axis=2), expected)
    center = rng.normal(size=6)
    around = slerp(center + a, center + b_same, t, center=center)
    np.testing.assert_allclose(np.linalg.norm(around - center, axis=2), np.linalg.norm(path, axis=2))
    np.testing.assert_allclose(slerp(a, 3 * a, t)[:, 4], 2 * a)  # parallel ends: linear
    # a center of another length failed with numpy's 'operands could not be broadcast together', and a NaN one
    # gave the straight path without a word
    for wrong, shown in ((center[:3], r"shape \(3,\)"), (np.full(6, np.nan), r"\[nan, ")):
        with pytest.raises(ValueError, match=r"center must be one finite code of shape \(6,\), the codes' length; got " + shown):
            slerp(a, b, t, center=wrong)


@pytest.mark.parametrize("method", ["linear", "slerp"])
def test_latent_interpolation_ends_are_the_reconstructions(ae, digits, method):
    X_test = digits[1]
    path, Z = interpolate(ae, X_test[0], X_test[1], steps=7, method=method, return_codes=True)
    assert path.shape == (7, X_test.shape[1]) and Z.shape == (7, 4)
    np.testing.assert_allclose(path[0], ae.reconstruct(X_test[:1])[0], atol=1e-12)
    np.testing.assert_allclose(path[-1], ae.reconstruct(X_test[1:2])[0], atol=1e-12)
    np.testing.assert_allclose(Z[[0, -1]], ae.transform(X_test[:2]), atol=1e-12)
    if method == "slerp":
        norms = np.linalg.norm(Z, axis=1)
        np.testing.assert_allclose(norms, np.linspace(norms[0], norms[-1], 7))


def test_pixel_interpolation_blends_inputs_and_batches(ae, digits):
    X_test = digits[1]
    path = interpolate(ae, X_test[0], X_test[1], steps=5, method="pixel")
    np.testing.assert_array_equal(path[0], X_test[0])
    np.testing.assert_allclose(path[-1], X_test[1])
    np.testing.assert_allclose(path[2], (X_test[0] + X_test[1]) / 2)
    batch = interpolate(ae, X_test[:3], X_test[3:6], steps=4, method="linear")
    assert batch.shape == (3, 4, X_test.shape[1])
    with pytest.raises(ValueError, match="method"):
        interpolate(ae, X_test[0], X_test[1], method="cubic")
    for method in ("linear", "pixel"):  # center was ignored: a straight path, as if it had not been given
        with pytest.raises(ValueError, match=f"center is the point a method='slerp' path turns about; method='{method}'"):
            interpolate(ae, X_test[0], X_test[1], method=method, center=np.ones(4))


def test_interpolation_between_sparse_rows_equals_the_dense_one(ae, digits):
    # rows of a scipy.sparse matrix (documents' word counts) failed with numpy's 'setting an array
    # element with a sequence'
    import scipy.sparse as sp

    X = digits[1][:4]
    S = sp.csr_matrix(X)
    for method in ("linear", "pixel"):
        np.testing.assert_array_equal(interpolate(ae, S[:2], S[2:4], steps=3, method=method),
                                      interpolate(ae, X[:2], X[2:4], steps=3, method=method))


@pytest.mark.parametrize("shape", [(1, 8, 8), (2, 1, 8, 8), (8, 8)], ids=["image", "images", "grey image"])
def test_interpolating_images_asks_for_flat_rows(ae, digits, shape):
    """Images (channels, height, width) or (n, channels, height, width) of the same shape were
    refused as 'must have the same shape', and one grey image (height, width) as 'X has 8
    features, but AutoEncoder is expecting 64'; the message now says to flatten them."""
    images = digits[1][: 2 * int(np.prod(shape)) // 64].reshape(2, *shape)
    with pytest.raises(ValueError, match=rf"x_a has shape \({shape[0]}, .*flat.*reshape"):
        interpolate(ae, images[0], images[1])


def test_a_model_fitted_on_images_interpolates_between_images_as_between_their_rows(digits):
    # ConvAutoEncoder took X[0] in transform and reconstruct, but interpolate refused it: "x_a has shape (1, 8, 8)"
    images = digits[1][:40].reshape(-1, 1, 8, 8)
    conv = ConvAutoEncoder(latent_dim=2, channels=(4,), max_epochs=1, random_state=0).fit(images)
    rows = images.reshape(40, -1)
    one = interpolate(conv, rows[0], rows[1], steps=3)
    for a, b in ((images[0], images[1]), (images[0, 0], images[1, 0])):  # (1, 8, 8) and a grey (8, 8)
        np.testing.assert_array_equal(interpolate(conv, a, b, steps=3), one)
    np.testing.assert_allclose(one[0], conv.reconstruct(images[:1]).reshape(-1), atol=1e-6)
    np.testing.assert_array_equal(interpolate(conv, images[:2], images[2:4], steps=3, method="pixel"),
                                  interpolate(conv, rows[:2], rows[2:4], steps=3, method="pixel"))


@pytest.mark.parametrize("method", ["linear", "slerp", "pixel"])
def test_interpolating_rows_of_a_dataframe_the_model_was_fitted_on_is_quiet(method):
    # interpolate(ae, df.iloc[0], df.iloc[1]) warned "X does not have valid feature names, but AutoEncoder was
    # fitted with feature names": it handed the rows to transform as a bare array
    import pandas as pd

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 4)), columns=["age", "income", "height", "weight"])
    ae = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=2, random_state=0).fit(frame)
    path, codes = interpolate(ae, frame.iloc[0], frame.iloc[1], steps=4, method=method, return_codes=True)
    assert path.shape == (4, 4) and codes.shape == (4, 2)
    np.testing.assert_allclose(codes[[0, -1]], ae.transform(frame.iloc[:2]), atol=1e-6)
    if method != "pixel":
        np.testing.assert_allclose(path[[0, -1]], ae.inverse_transform(ae.transform(frame.iloc[:2])), atol=1e-6)
    # rows whose columns were in another order were read as if in the model's (a silently wrong path)
    shuffled = frame[["income", "age", "height", "weight"]]
    for a, b in ((shuffled.iloc[0], shuffled.iloc[1]), (shuffled.iloc[:2], shuffled.iloc[2:4])):
        with pytest.raises(ValueError, match=r"^x_a's columns are not those AutoEncoder was fitted on.*column 0 differs"):
            interpolate(ae, a, b, steps=4, method=method)


def test_latent_grid_spans_code_quantiles_like_a_scatter_plot(ae2d, digits):
    X_train = digits[0]
    grid, codes = latent_grid(ae2d, n=5, X=X_train, return_codes=True)
    assert grid.shape == (5, 5, X_train.shape[1]) and codes.shape == (5, 5, 2)
    lo, hi = np.quantile(ae2d.transform(X_train), [0.05, 0.95], axis=0)
    np.testing.assert_allclose(codes[0, 0], [lo[0], hi[1]])  # top left: low code 0, high code 1
    np.testing.assert_allclose(codes[-1, -1], [hi[0], lo[1]])
    np.testing.assert_allclose(grid[1, 3], ae2d.inverse_transform(codes[1, 3][None])[0])
    fixed = latent_grid(ae2d, n=3, bounds=[[-1, 1], [0, 2]], return_codes=True)[1]
    np.testing.assert_allclose(fixed[1, 1], [0, 1])
    with pytest.raises(ValueError, match="X .* or explicit bounds"):
        latent_grid(ae2d, n=3)
    with pytest.raises(ValueError, match=r"bounds must be \[\[lo0, hi0\], \[lo1, hi1\]\] \(shape \(2, 2\).*got shape \(2,\)"):
        latent_grid(ae2d, n=3, bounds=(-2, 2))


@pytest.mark.parametrize("quantiles", [0.9, (0.1, 0.5, 0.9), (0.9, 0.1)])
def test_latent_grid_refuses_quantiles_that_are_not_low_and_high(ae2d, digits, quantiles):
    # quantiles=0.9 failed with "cannot unpack non-iterable float object", and three values with "too many values to unpack"
    with pytest.raises(ValueError, match=r"quantiles must be \(low, high\) with 0 <= low < high <= 1, got "):
        latent_grid(ae2d, n=3, X=digits[0], quantiles=quantiles)


@pytest.mark.parametrize("bounds", [[[1, -1], [0, 2]], [[-1, 1], [2, 2]]], ids=["reversed", "empty"])
def test_latent_grid_refuses_bounds_that_do_not_run_low_to_high(ae2d, bounds):
    # bounds [[1, -1], [0, 2]] gave a grid whose code 0 fell to the right, mislabelled as a scatter plot's
    # layout, and [[-1, 1], [2, 2]] rows of one code repeated
    with pytest.raises(ValueError, match=r"bounds must run from low to high .* lo < hi, got \[\[" + str(float(bounds[0][0]))):
        latent_grid(ae2d, n=3, bounds=bounds)


def test_latent_grid_with_bounds_refuses_a_model_whose_codes_are_not_2d(ae, digits):
    # with bounds, a 3-d PCA failed inside its inverse_transform with "matmul: Input operand 1 has a mismatch in its
    # core dimension 0", and a 1-d one alike
    for model, dims in ((ae, ae.code_dim_), (PCA(3).fit(digits[0]), 3), (PCA(1).fit(digits[0]), 1)):
        with pytest.raises(ValueError, match=rf"^latent_grid needs 2-D codes, but \w+'s codes have {dims} dimension"):
            latent_grid(model, n=3, bounds=[[0, 1], [0, 1]])


@pytest.mark.parametrize("prior", ["normal", "student_t"])
def test_latent_grid_of_a_vae_spans_its_priors_quantiles_without_data(digits, prior):
    from scipy import stats

    X_train = digits[0]
    vae = VariationalAutoEncoder(latent_dim=2, likelihood="gaussian", prior=prior, learn_prior_df=prior == "student_t", hidden_dims=(16,),
                                 max_epochs=2, random_state=0).fit(X_train)
    ppf = partial(stats.t.ppf, df=vae.prior_df_) if prior == "student_t" else stats.norm.ppf
    grid, codes = latent_grid(vae, n=3, return_codes=True)
    assert grid.shape == (3, 3, X_train.shape[1])
    np.testing.assert_allclose(codes[0, 0], [ppf(0.05), ppf(0.95)])  # top left: low code 0, high code 1
    np.testing.assert_allclose(codes[-1, -1], [ppf(0.95), ppf(0.05)])
    np.testing.assert_allclose(latent_grid(vae, n=3, quantiles=(0.25, 0.75), return_codes=True)[1][0, 0], [ppf(0.25), ppf(0.75)])
    with pytest.raises(ValueError, match=r"quantiles=\(0, 1\) of the model's prior, which are not finite there"):
        latent_grid(vae, n=3, quantiles=(0, 1))  # was refused as 'bounds must be finite', bounds it was not given
    for q in (1.5, [-0.1, 0.5], float("nan")):  # were NaN quantiles, silently
        with pytest.raises(ValueError, match=r"q must be a probability in \[0, 1\] or a 1-D array of them, got "):
            vae.prior_quantile(q)
    with pytest.raises(ValueError, match=r"2-D codes, but the model's prior has \(3,\)"):
        latent_grid(vae.set_params(latent_dim=3).fit(X_train))


def test_a_grid_over_a_symmetric_range_labels_its_middle_0():
    # a VAE's grid over its prior's quantiles, -1.6 ... 1.6, labelled its middle row and column -2.2e-16 and -4.4e-16
    from scipy import stats

    lo, hi = stats.norm.ppf([0.05, 0.95])
    codes = np.stack(np.meshgrid(np.linspace(lo, hi, 15), np.linspace(hi, lo, 15)), axis=-1)
    assert np.abs(codes[7, 7]).max() > 0  # the rounding the labels hide
    fig = plot_latent_grid(np.zeros((15, 15, 4)), (2, 2), codes)
    columns, rows = ([t.get_text() for t in ticks] for ticks in (fig.axes[0].get_xticklabels(), fig.axes[0].get_yticklabels()))
    assert columns[7] == rows[7] == "0" and columns[:2] == ["-1.6", "-1.4"] and rows[-1] == "-1.6"
    # a report's grid over codes from 1.7 to 2.6 labelled its columns 1.7, 1.8, 1.8, 1.9, 1.9, 2, 2.1, 2.1, ...
    narrow = np.stack(np.meshgrid(np.linspace(1.7, 2.6, 15), np.linspace(3.5, 2.4, 15)), axis=-1)
    ticks = plot_latent_grid(np.zeros((15, 15, 4)), (2, 2), narrow).axes[0]
    columns, rows = ([t.get_text() for t in labels] for labels in (ticks.get_xticklabels(), ticks.get_yticklabels()))
    assert len(set(columns)) == len(set(rows)) == 15 and columns[:3] == ["1.7", "1.76", "1.83"] and rows[0] == "3.5"


def test_a_grid_with_its_codes_names_the_code_each_axis_runs_along(tmp_path):
    # the columns and rows were labelled by values only, so the figure did not say which code ran across and which down
    codes = np.stack(np.meshgrid(np.linspace(-1, 1, 3), np.linspace(2, 0, 3)), axis=-1)
    fig = plot_latent_grid(np.zeros((3, 3, 6)), (2, 3), codes, path=tmp_path / "grid.png")
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.xaxis.get_label_position(), ax.get_ylabel()) == ("code 0", "top", "code 1")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["-1", "0", "1"] and (tmp_path / "grid.png").is_file()
    assert plot_latent_grid(np.zeros((3, 3, 6)), (2, 3)).axes[0].get_xlabel() == ""


# ---- retrieval and clustering -------------------------------------------------------------------


def test_retrieval_precision_hand_made_example():
    db = np.array([[0.0], [1.0], [2.0], [10.0], [11.0]])
    db_labels = np.array(["a", "a", "b", "b", "b"])
    queries, query_labels = np.array([[0.4], [10.6]]), np.array(["a", "a"])
    # query 0 ranks a a b b b, query 1 ranks b b b a a
    result = retrieval_precision(queries, query_labels, db, db_labels, k=[1, 2, 3, 5], metric="euclidean")
    assert result == {1: 0.5, 2: 0.5, 3: pytest.approx(1 / 3), 5: pytest.approx(0.4)}
    assert retrieval_precision(queries, query_labels, db, db_labels, k=1, metric="euclidean") == 0.5


def test_retrieval_precision_leaves_out_only_the_query_itself_when_query_is_db():
    """An equal copy of the queries as the database scored each query as its own nearest item (P@1 = 1.0) without
    a word, as only the very same array leaves the queries out; it now warns, saying how to leave them out."""
    codes = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    labels = np.array([0, 0, 1, 1])
    assert retrieval_precision(codes, labels, k=[1, 3]) == {1: 1.0, 3: pytest.approx(1 / 3)}
    assert retrieval_precision(codes, labels, codes, labels, k=[1, 3]) == {1: 1.0, 3: pytest.approx(1 / 3)}
    with pytest.warns(UserWarning, match=r"codes_db equals codes_query but is another array.*codes_db=None"):
        assert retrieval_precision(codes, labels, codes.copy(), labels, k=[1, 2, 4]) == {1: 1.0, 2: 1.0, 4: 0.5}
    # cosine ignores length: the two items tie, and share the one place
    assert retrieval_precision(np.array([[2.0, 0.0]]), [1], np.array([[1.0, 0.0], [5.0, 0.0]]), [0, 1], k=1) == 0.5
    with pytest.raises(ValueError, match="k must be"):
        retrieval_precision(codes, labels, k=4)
    # an unlabelled folder's target (None) was refused as 'labels must have one entry per code row: () for 4 queries'
    with pytest.raises(ValueError, match="labels_query is None: the precision counts the retrieved items"):
        retrieval_precision(codes, None, k=1)
    with pytest.raises(ValueError, match="labels_db is None"):
        retrieval_precision(codes, labels, codes[:2], None, k=1)


def test_retrieval_precision_of_bit_codes_shares_tied_places_whatever_the_database_order():
    # ties went to the database item that came first, so the same bit codes scored by the order of the database:
    # 20 Newsgroups' training documents come in group order, and 8-bit codes of 10 classes scored P@1 from 0.23
    # (sorted by label, descending) to 0.33 as they came
    db, labels = np.array([[0, 1], [1, 0], [1, 1], [0, 1]], dtype=float), np.array(["b", "a", "a", "a"])
    # from [0, 0]: three items at distance 1 (b, a, a), one at 2 (a)
    result = retrieval_precision(np.zeros((1, 2)), ["a"], db, labels, k=[1, 2, 3, 4], metric="hamming")
    assert result == pytest.approx({1: 2 / 3, 2: 2 / 3, 3: 2 / 3, 4: 3 / 4})
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 400)
    bits = ((rng.random((400, 6)) < 0.2) ^ (np.arange(6) < y[:, None])).astype(float)  # 5 classes, 6 bits: many ties
    queries, db, y_db = bits[:50], bits[50:], y[50:]
    scores = [retrieval_precision(queries, y[:50], db[order], y_db[order], k=[1, 10], metric="hamming")
              for order in (np.arange(len(db)), np.argsort(y_db, kind="stable"), np.argsort(-y_db, kind="stable"))]
    assert scores[1] == pytest.approx(scores[0], abs=1e-12) and scores[2] == pytest.approx(scores[0], abs=1e-12)


def test_the_evaluation_s_5nn_accuracy_of_bit_codes_does_not_depend_on_the_order_of_the_training_rows(digits):
    """aekit evaluate's 5-NN accuracy took the training codes tied at the 5th distance that came first (scikit-learn
    breaks ties by index), so 8-bit codes of 10 classes scored 0.357 as they came, 0.327 sorted by label (folder data
    come sorted) and 0.33 reversed; tied codes now share the places left, each voting with its chance of taking one."""
    # from the origin: two 'a' and one 'b' at distance 1, then six items tied at 2 (four 'b', two 'a') for the last two
    # places: expected votes a 2 + 2 * 2/6, b 1 + 2 * 4/6; scikit-learn took whichever came first
    near, tied = np.eye(3)[[0, 1, 0]] * [[1], [1], [-1]], 2 * np.vstack([np.eye(3), -np.eye(3)])
    codes, labels = np.vstack([near, tied]), np.array(["a", "a", "b", "b", "b", "b", "b", "a", "a"])
    for order in (np.arange(9), np.r_[0:3, 7, 8, 3:7]):
        assert knn_accuracy(codes[order], labels[order], np.zeros((1, 3)), ["a"], k=5) == 1.0
    assert KNeighborsClassifier(5).fit(codes, labels).score(np.zeros((1, 3)), ["a"]) == 0.0
    X_train, X_test, y_train, y_test = (part[:300] for part in digits)
    est = AutoEncoder(latent_dim=8, hidden_dims=(32,), binary_code=True, learning_rate=1e-2, max_epochs=10, random_state=0)
    est.fit(X_train)
    orders = (np.arange(300), np.argsort(y_train, kind="stable"), np.arange(300)[::-1])
    accuracies = [evaluate(est, X_train[o], X_test, y_train[o], y_test).scores[0].knn_accuracy for o in orders]
    assert accuracies[0] > 0.3 and accuracies[1] == accuracies[0] and accuracies[2] == accuracies[0]


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_retrieval_precision_matches_a_plain_loop(metric):
    rng = np.random.default_rng(1)
    Q, D = rng.normal(size=(40, 3)), rng.normal(size=(300, 3))
    yq, yd = rng.integers(0, 3, 40), rng.integers(0, 3, 300)
    if metric == "cosine":
        dist = -(Q / np.linalg.norm(Q, axis=1, keepdims=True)) @ (D / np.linalg.norm(D, axis=1, keepdims=True)).T
    else:
        dist = ((Q[:, None] - D[None]) ** 2).sum(axis=2)
    order = np.argsort(dist, axis=1, kind="stable")
    expected = {k: float(np.mean([(yd[order[i, :k]] == yq[i]).mean() for i in range(40)])) for k in (1, 7, 50)}
    got = retrieval_precision(Q, yq, D, yd, k=(1, 7, 50), metric=metric)
    assert got == pytest.approx(expected, abs=1e-12)


def test_retrieval_precision_takes_sparse_codes_as_their_dense_values():
    # scipy sparse codes (tf-idf rows, a sparse TopK code kept as CSR) crashed inside numpy
    from scipy import sparse

    rng = np.random.default_rng(2)
    Q, D = rng.normal(size=(20, 6)) * (rng.random((20, 6)) < 0.4), rng.normal(size=(80, 6)) * (rng.random((80, 6)) < 0.4)
    yq, yd = rng.integers(0, 2, 20), rng.integers(0, 2, 80)
    for metric in ("cosine", "euclidean"):
        dense = retrieval_precision(Q, yq, D, yd, k=(1, 5), metric=metric)
        assert retrieval_precision(sparse.csr_matrix(Q), yq, sparse.csr_matrix(D), yd, k=(1, 5), metric=metric) == dense
    assert retrieval_precision(sparse.csr_matrix(D), yd, k=3) == retrieval_precision(D, yd, k=3)
    # cluster_codes of the same sparse rows failed with "setting an array element with a sequence"
    assert cluster_codes(sparse.csr_matrix(D), yd) == cluster_codes(D, yd)


def test_clustering_scores_and_kmeans_on_codes(ae, digits):
    assert clustering_scores([0, 0, 1, 1], [5, 5, 3, 3]) == {"nmi": 1.0, "ari": 1.0}
    X_test, y_test = digits[1], digits[3]
    scores = cluster_codes(ae.transform(X_test), y_test)
    assert set(scores) == {"nmi", "ari"} and scores["nmi"] > 0.4


def test_codes_as_features_in_a_pipeline(digits):
    X_train, X_test, y_train, y_test = digits
    for head in (SVC(), KNeighborsClassifier(5)):
        pipe = make_pipeline(AutoEncoder(latent_dim=16, hidden_dims=(64,), max_epochs=30, batch_size=64, random_state=0), head)
        assert pipe.fit(X_train, y_train).score(X_test, y_test) > 0.85


# ---- plots -------------------------------------------------------------------------------------


def test_latent_plots_return_figures_and_save_pngs(ae, ae2d, digits, tmp_path):
    X_train, X_test, _, y_test = digits
    grid, codes = latent_grid(ae2d, n=6, X=X_train, return_codes=True)
    figures = {
        "compare.png": plot_latent_comparison(
            {"AutoEncoder": ae2d.transform(X_test), "PCA": PCA(2).fit(X_train).transform(X_test)}, y_test,
            path=tmp_path / "compare.png",
        ),
        "grid.png": plot_latent_grid(grid, DIGIT_SHAPE, codes, path=tmp_path / "grid.png"),
        "paths.png": plot_interpolations(
            {m: interpolate(ae, X_test[0], X_test[1], steps=6, method=m) for m in ("linear", "slerp", "pixel")},
            DIGIT_SHAPE, path=tmp_path / "paths.png",
        ),
        "samples.png": plot_samples(
            LatentSampler(ae, density="gmm", n_components=5, random_state=0).fit(X_train).sample(13, random_state=0),
            DIGIT_SHAPE, n_cols=5, path=tmp_path / "samples.png",
        ),
    }
    for name, fig in figures.items():
        assert isinstance(fig, Figure)
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
    assert len(figures["compare.png"].axes) == 2
    assert [t.get_text() for t in figures["paths.png"].axes[0].get_yticklabels()] == ["linear", "slerp", "pixel"]
    one_d = plot_latent_comparison({"1-D": np.arange(6.0)[:, None], "3-D": np.ones((6, 3))}, [0, 1] * 3)
    assert "jitter" in one_d.axes[0].get_title() and "first 2 of 3" in one_d.axes[1].get_title()
    with pytest.raises(ValueError, match="same n_samples"):
        plot_latent_comparison({"a": np.zeros((3, 2)), "b": np.zeros((4, 2))})


def drawn(fig: Figure) -> np.ndarray:
    """The picture a one-axes image figure shows (its imshow data)."""
    return np.ma.getdata(fig.axes[0].images[0].get_array())


@pytest.mark.parametrize("shape", [(5, 6, 7), (5, 1, 6, 7), (5, 3, 6, 7)], ids=["grey", "grey-1-channel", "colour"])
def test_plot_samples_takes_images_as_plot_reconstructions_does(shape):
    # plot_samples refused (n, H, W) and (n, C, H, W) images: "X must be a non-empty (n_samples, n_features) array"
    images = np.random.default_rng(0).random(shape)
    images[0, ..., :3, :] = 0.0  # top rows black (a colour image's every channel)
    fig = plot_samples(images, n_cols=3)
    flat = plot_samples(images.reshape(len(images), -1), shape[1:], n_cols=3)
    np.testing.assert_array_equal(drawn(fig), drawn(flat))
    first = drawn(fig)[:6, :7]
    assert first.shape == ((6, 7, 3) if shape[1] == 3 else (6, 7)) and (first[:3] == 0).all() and (first[3:] > 0).any()
    with pytest.raises(ValueError, match="looks channels-last"):
        plot_samples(np.zeros((2, 6, 7, 3)))


def test_plot_interpolations_takes_the_array_interpolate_returns(ae, digits):
    # plot_interpolations(interpolate(...)) failed with numpy's "truth value of an array ... is ambiguous"
    X_test = digits[1]
    one = interpolate(ae, X_test[0], X_test[1], steps=5)
    fig = plot_interpolations(one, DIGIT_SHAPE)
    np.testing.assert_array_equal(drawn(fig), drawn(plot_interpolations({"": one}, DIGIT_SHAPE)))
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [""]
    batch = interpolate(ae, X_test[:3], X_test[3:6], steps=5)
    fig = plot_interpolations(batch, DIGIT_SHAPE)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["0", "1", "2"]
    np.testing.assert_array_equal(drawn(fig), drawn(plot_interpolations({str(i): p for i, p in enumerate(batch)}, DIGIT_SHAPE)))
    with pytest.raises(ValueError, match=r"one path \(steps, n_features\) or n paths"):
        plot_interpolations(np.zeros(5), DIGIT_SHAPE)
