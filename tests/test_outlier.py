"""AutoEncoderOutlierDetector: scikit-learn's OutlierMixin convention, detection of planted
outliers, the contamination threshold and refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aekit import AutoEncoder, AutoEncoderOutlierDetector, ContextEncoder, ConvAutoEncoder, VariationalAutoEncoder

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SMALL = {"latent_dim": 2, "hidden_dims": (32,), "batch_size": 32, "max_epochs": 20}


def planted(n_inliers: int = 500, n_outliers: int = 25, d: int = 8, seed: int = 0):
    """Inliers near a 2-D linear subspace (the same for every seed), outliers off it at a
    similar norm: (X, is_outlier)."""
    basis = np.linalg.qr(np.random.default_rng(0).normal(size=(d, 2)))[0].T  # (2, d)
    rng = np.random.default_rng(seed)
    inliers = rng.normal(size=(n_inliers, 2)) @ basis + 0.05 * rng.normal(size=(n_inliers, d))
    outliers = rng.normal(size=(n_outliers, d))
    outliers -= (outliers @ basis.T) @ basis
    outliers *= np.sqrt(2) / np.linalg.norm(outliers, axis=1, keepdims=True)
    X = np.vstack([inliers, outliers])
    return X, np.r_[np.zeros(n_inliers, bool), np.ones(n_outliers, bool)]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def detector():
    X, is_outlier = planted()
    det = AutoEncoderOutlierDetector(AutoEncoder(**SMALL), contamination=0.05, random_state=0).fit(X)
    return det, X, is_outlier


def test_flags_planted_outliers(detector):
    det, X, is_outlier = detector
    assert roc_auc_score(is_outlier, -det.score_samples(X)) > 0.95
    X_new, is_new_outlier = planted(n_inliers=200, n_outliers=20, seed=1)
    assert roc_auc_score(is_new_outlier, -det.score_samples(X_new)) > 0.95
    assert (det.predict(X_new[is_new_outlier]) == -1).mean() > 0.8


def test_threshold_matches_the_contamination_quantile(detector):
    det, X, _ = detector
    errors = -det.score_samples(X)
    assert det.threshold_ == pytest.approx(np.quantile(errors, 1 - det.contamination))
    assert det.offset_ == pytest.approx(-det.threshold_)
    assert (det.predict(X) == -1).mean() == pytest.approx(det.contamination, abs=1 / len(X))
    assert np.array_equal(det.predict(X) == -1, errors > det.threshold_)


def test_outlier_mixin_convention(detector):
    det, X, _ = detector
    assert set(np.unique(det.predict(X))) <= {-1, 1}
    np.testing.assert_allclose(det.decision_function(X), det.score_samples(X) - det.offset_)
    assert np.array_equal(det.fit_predict(X), det.predict(X))


@pytest.mark.parametrize("contamination", [0.01, 0.2, 0.5])
def test_contamination_sets_the_share_flagged(contamination):
    X, _ = planted(n_inliers=200, n_outliers=0)
    det = AutoEncoderOutlierDetector(AutoEncoder(hidden_dims=(8,), max_epochs=3), contamination=contamination, random_state=0)
    assert (det.fit_predict(X) == -1).mean() == pytest.approx(contamination, abs=0.01)


@pytest.mark.slow
def test_standardized_errors_and_default_autoencoder():
    X, is_outlier = planted()
    det = AutoEncoderOutlierDetector(AutoEncoder(**SMALL), standardize=True, random_state=0).fit(X)
    assert det.feature_error_.shape == (X.shape[1],) and (det.feature_error_ > 0).all()
    assert roc_auc_score(is_outlier, -det.score_samples(X)) > 0.95
    default = AutoEncoderOutlierDetector(random_state=0).fit(X)
    assert isinstance(default.autoencoder_, AutoEncoder) and default.autoencoder is None
    assert roc_auc_score(is_outlier, -default.score_samples(X)) > 0.9


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_default_autoencoder_trains_longer_on_small_data(seed):
    X, is_outlier = planted(150, 8, seed=seed)
    det = AutoEncoderOutlierDetector(random_state=seed).fit(X)
    assert len(det.autoencoder_.history_["loss"]) == 1000  # 158 rows make one batch: 1000 steps
    assert roc_auc_score(is_outlier, -det.score_samples(X)) > 0.97
    fifty = AutoEncoder(latent_dim=4, hidden_dims=(64,), max_epochs=50, loss_trim=0.2, batch_size=256, init="random",
                        early_stopping=None)  # the detector's former default: 50 epochs of one batch
    fifty = AutoEncoderOutlierDetector(fifty, random_state=seed)
    assert roc_auc_score(is_outlier, -fifty.fit(X).score_samples(X)) < 0.95


@pytest.mark.slow
def test_default_autoencoder_keeps_50_epochs_on_larger_data():
    X, _ = planted(5000, 120)
    det = AutoEncoderOutlierDetector(random_state=0).fit(X)
    assert len(det.autoencoder_.history_["loss"]) == 50


def test_mostly_repeated_rows_fall_back_to_the_plain_code_covariance():
    rng = np.random.default_rng(0)
    X = np.vstack([np.tile(rng.normal(size=(1, 6)), (300, 1)), rng.normal(size=(100, 6))])
    det = AutoEncoderOutlierDetector(AutoEncoder(**SMALL), random_state=0).fit(X)  # MCD alone raises here
    scores = det.score_samples(X)
    assert np.isfinite(scores).all() and np.isfinite(det.latent_precision_).all()
    assert scores[:300].min() > np.median(scores[300:])


def unusual_codes(n_inliers: int = 600, n_outliers: int = 30, d: int = 8, seed: int = 0):
    """Inliers and outliers on the same 2-D subspace: inlier codes strongly correlated, the
    outliers' anti-correlated, so reconstruction alone has little to go on: (X, is_outlier)."""
    basis = np.linalg.qr(np.random.default_rng(0).normal(size=(d, 2)))[0].T
    rng = np.random.default_rng(seed)
    t = rng.normal(size=n_inliers)
    inlier_codes = np.c_[t, t + 0.1 * rng.normal(size=n_inliers)]
    s = rng.normal(scale=0.3, size=n_outliers) + rng.choice([-1.0, 1.0], n_outliers)
    outlier_codes = np.c_[s, -s]
    X = np.vstack([inlier_codes, outlier_codes]) @ basis + 0.02 * rng.normal(size=(n_inliers + n_outliers, d))
    return X, np.r_[np.zeros(n_inliers, bool), np.ones(n_outliers, bool)]


@pytest.mark.slow
def test_latent_distance_flags_unusual_codes_on_the_data_subspace():
    X, is_outlier = unusual_codes()
    auc = {}
    for criterion in ("reconstruction", "latent", "combined"):
        det = AutoEncoderOutlierDetector(AutoEncoder(**SMALL), criterion=criterion, random_state=0).fit(X)
        auc[criterion] = roc_auc_score(is_outlier, -det.score_samples(X))
    assert auc["latent"] > 0.9 and auc["combined"] > 0.9, auc
    assert set(det.part_center_) == {"reconstruction", "latent"} and det.latent_precision_.shape == (2, 2)


def test_latent_criteria_need_transform():
    from sklearn.neighbors import KernelDensity

    X = planted(n_inliers=20, n_outliers=2)[0]
    with pytest.raises(ValueError, match="criterion='latent' needs an autoencoder with `transform`"):
        AutoEncoderOutlierDetector(KernelDensity(), criterion="latent").fit(X)
    det = AutoEncoderOutlierDetector(KernelDensity(), criterion="reconstruction").fit(X)
    assert det.score_samples(X).shape == (X.shape[0],)


def test_negative_elbo_with_a_vae():
    X, is_outlier = planted()
    X[is_outlier] *= 2
    det = AutoEncoderOutlierDetector(VariationalAutoEncoder(**SMALL), random_state=0).fit(X)
    assert roc_auc_score(is_outlier, -det.score_samples(X)) > 0.9


def test_random_state_overrides_the_inner_one_and_keeps_it_unfitted():
    X, _ = planted(n_inliers=100, n_outliers=5)
    inner = AutoEncoder(hidden_dims=(8,), max_epochs=3, random_state=5)
    det = AutoEncoderOutlierDetector(inner, random_state=0).fit(X)
    assert det.autoencoder_.random_state == 0 and not hasattr(inner, "module_")
    again = AutoEncoderOutlierDetector(inner, random_state=0).fit(X)
    assert np.array_equal(det.score_samples(X), again.score_samples(X))


def test_a_seeded_autoencoder_alone_makes_the_scores_reproducible():
    # with the detector's random_state left None, the codes' robust covariance drew its own seed:
    # two fits of the same seeded autoencoder gave scores up to 0.33 apart
    X = np.random.default_rng(0).normal(size=(200, 8)).astype(np.float32)
    inner = AutoEncoder(latent_dim=3, max_epochs=2, random_state=0)
    first, second = (AutoEncoderOutlierDetector(inner, criterion="latent").fit(X).score_samples(X) for _ in range(2))
    np.testing.assert_array_equal(first, second)


def test_a_warm_started_autoencoder_continues_training_across_detector_fits():
    # the detector cloned its autoencoder on every fit: warm_start=True was silently ignored,
    # each fit retrained from scratch (2 epochs again, the same scores)
    X, _ = planted(n_inliers=100, n_outliers=5)
    inner = AutoEncoder(hidden_dims=(8,), max_epochs=2, init="random", warm_start=True, random_state=0)
    det = AutoEncoderOutlierDetector(inner, random_state=0).fit(X)
    first = det.score_samples(X)
    det.fit(X)
    assert det.autoencoder_.n_epochs_ == 4 and not np.allclose(det.score_samples(X), first)
    assert not hasattr(inner, "module_")
    cold = AutoEncoderOutlierDetector(inner.set_params(warm_start=False), random_state=0).fit(X)
    assert cold.fit(X).autoencoder_.n_epochs_ == 2
    det.set_params(autoencoder__warm_start=True, autoencoder__latent_dim=3)
    with pytest.raises(ValueError, match=r"warm_start=True.*latent_dim=3"):
        det.fit(X)


def test_in_a_pipeline_with_a_scaler():
    X, is_outlier = planted()
    X = X * np.arange(1, 9) * 100 + 50
    pipe = make_pipeline(StandardScaler(), AutoEncoderOutlierDetector(AutoEncoder(**SMALL), contamination=0.05, random_state=0))
    pipe.fit(X)
    assert roc_auc_score(is_outlier, -pipe.score_samples(X)) > 0.95
    assert set(np.unique(pipe.predict(X))) == {-1, 1}


@pytest.mark.parametrize(
    "params, X, message",
    [
        ({"contamination": 0.7}, None, "contamination"),
        ({}, np.array([[0.0, np.nan], [1.0, 2.0]]), "NaN"),
        ({}, np.array([[0.0, np.inf], [1.0, 2.0]]), "infinity"),
        ({"standardize": True, "autoencoder": StandardScaler()}, None, "fit.*score_samples"),
        ({"autoencoder": AutoEncoder}, None, r"autoencoder must be an estimator such as AutoEncoder\(\), got the class"),
    ],
    ids=["contamination above 0.5", "NaN", "inf", "no score_samples", "a class, not an estimator"],
)
def test_bad_input_is_refused(params, X, message):
    X = planted(n_inliers=20, n_outliers=2)[0] if X is None else X
    with pytest.raises(ValueError, match=message):
        AutoEncoderOutlierDetector(**params).fit(X)


def test_transform_checks_the_feature_count(detector):
    det, X, _ = detector
    with pytest.raises(ValueError, match="X has 3 features, but AutoEncoderOutlierDetector is expecting 8"):
        det.predict(X[:, :3])


@pytest.mark.skipif(not (SHARED_DATA / "anomaly").is_dir(), reason=f"benchmark data not found at {SHARED_DATA}")
def test_real_anomaly_set_breastw():
    data = np.load(SHARED_DATA / "anomaly" / "4_breastw.npz")
    X, y = data["X"].astype(np.float64), data["y"]
    X_tr, X_te, _, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    pipe = make_pipeline(StandardScaler(), AutoEncoderOutlierDetector(random_state=0)).fit(X_tr)
    assert roc_auc_score(y_te, -pipe.score_samples(X_te)) > 0.9


@pytest.mark.parametrize("standardize, criterion", [(False, "combined"), (True, "combined"), (False, "reconstruction"), (True, "latent")])
def test_save_load_round_trip(tmp_path, standardize, criterion):
    X, _ = planted(n_inliers=200, n_outliers=10)
    det = AutoEncoderOutlierDetector(
        AutoEncoder(**{**SMALL, "random_state": 5}).set_output(transform="pandas"), standardize=standardize, criterion=criterion,
        contamination=0.05, random_state=0,
    ).fit(X)
    loaded = AutoEncoderOutlierDetector.load(det.save(tmp_path / "detector"))
    assert loaded.threshold_ == det.threshold_ and loaded.get_params()["contamination"] == 0.05
    assert repr(loaded.get_params()) == repr(det.get_params())  # the inner random_state stayed 5, not the detector's 0
    assert np.allclose(loaded.score_samples(X), det.score_samples(X))
    assert np.array_equal(loaded.predict(X), det.predict(X))
    assert not hasattr(loaded.autoencoder, "module_")  # the parameter stays an unfitted estimator
    assert isinstance(loaded.autoencoder.set_params(max_epochs=1).fit(X).transform(X), pd.DataFrame)  # and keeps its set_output


@pytest.mark.parametrize("table", [False, True], ids=["array", "dataframe"])
def test_a_detector_wrapping_a_pca_saves_and_loads_without_pickle(tmp_path, table):
    # any model with fit and score_samples is accepted, but save refused the fitted PCA: "has no `save`"
    from sklearn.decomposition import PCA

    X, _ = planted(n_inliers=200, n_outliers=10)
    if table:
        X = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])]).assign(site=np.resize(["n", "s", "e"], len(X)))
    det = AutoEncoderOutlierDetector(PCA(n_components=3), contamination=0.05, random_state=0).fit(X)
    path = det.save(tmp_path / "detector")
    assert not list(path.rglob("*.pkl")) and (path / "autoencoder" / "arrays.safetensors").is_file()
    loaded = AutoEncoderOutlierDetector.load(path)
    np.testing.assert_array_equal(loaded.score_samples(X), det.score_samples(X))
    assert repr(loaded.get_params()) == repr(det.get_params()) and isinstance(loaded.autoencoder_, PCA)


@pytest.mark.parametrize("table", [False, True], ids=["float32-array", "dataframe"])
def test_a_loaded_standardizing_detector_scores_exactly_as_the_saved_one(tmp_path, table):
    # feature_error_ was float32 in memory and float64 once loaded: scores differed in the 8th digit
    import pandas as pd

    X, _ = planted(n_inliers=200, n_outliers=10)
    X = X.astype(np.float32)
    if table:
        X = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])]).assign(site=np.resize(["n", "s", "e"], len(X)))
    det = AutoEncoderOutlierDetector(AutoEncoder(**SMALL), standardize=True, contamination=0.05, random_state=0).fit(X)
    loaded = AutoEncoderOutlierDetector.load(det.save(tmp_path / "detector"))
    np.testing.assert_array_equal(loaded.score_samples(X), det.score_samples(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), det.predict_proba(X))


@pytest.mark.parametrize("how", ["interrupted", "refused"])
def test_a_refit_that_fails_leaves_the_detector_as_it_was(tmp_path, how):
    # the table encoding was refitted to the new frame beside the old autoencoder: scoring the old frame
    # failed, and the saved folder would not load ("the saved autoencoder takes 4 features, the ... 5")
    import pandas as pd

    class Interrupt:
        def on_epoch_end(self, est, epoch, logs):
            raise KeyboardInterrupt

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(10, 2, 120), "b": rng.normal(size=120), "site": rng.choice(["n", "s"], 120)})
    other = frame.assign(site=frame["site"].where(frame.index > 0, "w"))  # a category the first frame lacks
    det = AutoEncoderOutlierDetector(AutoEncoder(**SMALL, warm_start=how == "refused"), random_state=0).fit(frame)
    scores = det.score_samples(frame)
    with pytest.raises(KeyboardInterrupt if how == "interrupted" else ValueError):
        det.fit(other, callbacks=[Interrupt()]) if how == "interrupted" else det.fit(other)
    np.testing.assert_array_equal(det.score_samples(frame), scores)
    loaded = AutoEncoderOutlierDetector.load(det.save(tmp_path / "detector"))
    np.testing.assert_array_equal(loaded.score_samples(frame), scores)


def test_an_interrupted_fit_resumes_from_its_checkpoint_to_the_uninterrupted_detector(tmp_path):
    # fit took no checkpoint (TypeError), so an interrupted detector fit started over
    from sklearn.decomposition import PCA

    from aekit.training.checkpoint import Checkpointer

    class Interrupt:
        def on_epoch_end(self, est, epoch, logs):
            if epoch == 3:
                raise KeyboardInterrupt

    X, _ = planted(120, 6)
    make = lambda: AutoEncoderOutlierDetector(AutoEncoder(**{**SMALL, "max_epochs": 6}), random_state=0)  # noqa: E731
    whole = make().fit(X)
    path = tmp_path / "checkpoint.safetensors"
    det = make()
    with pytest.raises(KeyboardInterrupt):
        det.fit(X, callbacks=[Interrupt()], checkpoint=Checkpointer(path, resume=True))
    det.fit(X, checkpoint=Checkpointer(path, resume=True))
    assert det.autoencoder_.n_epochs_ == 6
    np.testing.assert_array_equal(det.score_samples(X), whole.score_samples(X))
    assert det.threshold_ == whole.threshold_
    with pytest.raises(TypeError, match="checkpoint: the autoencoder PCA takes no training checkpoint in fit"):
        AutoEncoderOutlierDetector(PCA(2)).fit(X, checkpoint=Checkpointer(tmp_path / "pca.safetensors"))


@pytest.mark.parametrize("change", ["renamed", "added"])
def test_a_warm_refit_refuses_a_frame_whose_categories_changed(change):
    # a category in place of another trained silently on the old one's column; an added one was refused
    # as "X has 5 features, but AutoEncoder is expecting 4 features" for a frame of the same 3 columns
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(10, 2, 120), "b": rng.normal(size=120), "site": rng.choice(["n", "s"], 120)})
    other = frame.assign(site=frame["site"].replace({"s": "w"}) if change == "renamed" else frame["site"].where(frame.index > 0, "w"))
    det = AutoEncoderOutlierDetector(AutoEncoder(**SMALL, early_stopping=None, warm_start=True), random_state=0).fit(frame)
    gone = "'site=s'" if change == "renamed" else ""
    with pytest.raises(ValueError, match=rf"X's columns encode to other features than the autoencoder was fitted on "
                                         rf"\(new: \['site=w'\], gone: \[{gone}\]\), and warm_start=True continues"):
        det.fit(other)
    assert det.fit(frame).autoencoder_.n_epochs_ == 2 * SMALL["max_epochs"]


def test_a_refit_with_other_settings_keeps_no_state_of_the_earlier_fit(tmp_path):
    # feature_error_ of a standardize=True fit and the latent part's location and precision stayed after a
    # refit that used neither, and were saved with it
    import json

    X, _ = planted(n_inliers=200, n_outliers=10)
    det = AutoEncoderOutlierDetector(AutoEncoder(**SMALL), standardize=True, random_state=0).fit(X)
    det.set_params(standardize=False, criterion="reconstruction").fit(X)
    assert not any(hasattr(det, name) for name in ("feature_error_", "latent_location_", "latent_precision_"))
    fitted = json.loads((det.save(tmp_path / "detector") / "config.json").read_text())["fitted"]
    assert not {"feature_error_", "latent_location_", "latent_precision_"} & set(fitted)


def test_save_over_an_old_detector_replaces_it_whole(tmp_path, detector):
    det, X, _ = detector
    other = AutoEncoderOutlierDetector(AutoEncoder(**{**SMALL, "latent_dim": 3}), contamination=0.2, random_state=1).fit(X)
    path = other.save(tmp_path / "detector")
    det.save(path)
    loaded = AutoEncoderOutlierDetector.load(path)
    assert loaded.threshold_ == det.threshold_ and loaded.autoencoder_.latent_dim == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["detector"]


def test_broken_detector_folders_are_refused(tmp_path, detector):
    import json
    import shutil

    det = detector[0]
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(FileExistsError, match="is not a folder"):
        det.save(tmp_path / "file")
    path = det.save(tmp_path / "detector")
    config = json.loads((path / "config.json").read_text())
    config["fitted"]["offset_"] = "nan"
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="fitted.offset_ .*must be a finite number"):
        AutoEncoderOutlierDetector.load(path)
    path = det.save(tmp_path / "detector")
    config = json.loads((path / "config.json").read_text())
    config["fitted"]["latent_precision_"] = [[1.0]]
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="latent_precision_ a finite k x k matrix"):
        AutoEncoderOutlierDetector.load(path)
    path = det.save(tmp_path / "detector")
    shutil.rmtree(path / "autoencoder")
    with pytest.raises(FileNotFoundError, match="autoencoder' is missing: the AutoEncoderOutlierDetector saved in"):
        AutoEncoderOutlierDetector.load(path)
    with pytest.raises(FileNotFoundError, match="config.json"):
        AutoEncoderOutlierDetector.load(tmp_path)


def test_a_detector_saved_by_the_previous_format_still_loads(tmp_path, detector):
    import json

    det, X, _ = detector
    path = det.save(tmp_path / "detector")
    config = json.loads((path / "config.json").read_text())
    config["format_version"] = 1
    (path / "config.json").unlink()
    (path / "detector.json").write_text(json.dumps(config))
    loaded = AutoEncoderOutlierDetector.load(path)
    assert loaded.offset_ == det.offset_ and loaded.part_scale_ == det.part_scale_
    np.testing.assert_allclose(loaded.score_samples(X[:20]), det.score_samples(X[:20]), rtol=1e-6)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_trimmed_loss_keeps_outliers_in_the_training_data_from_being_learned(seed):
    rng = np.random.default_rng(seed)
    inliers = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 10)) + 0.05 * rng.normal(size=(600, 10))
    outliers = 0.3 * rng.normal(size=(90, 10)) + 2.0 * rng.normal(size=(1, 10))
    X, y = np.vstack([inliers, outliers]), np.r_[np.zeros(600), np.ones(90)]
    auc = {}
    for trim in (0.0, 0.2):
        # a random start, large batches and no early stopping: the setting where an untrimmed loss learns the outliers
        model = AutoEncoder(latent_dim=2, hidden_dims=(32,), max_epochs=60, loss_trim=trim, init="random",
                            batch_size=256, early_stopping=None)
        det = AutoEncoderOutlierDetector(model, criterion="reconstruction", random_state=0).fit(X)
        auc[trim] = roc_auc_score(y, -det.score_samples(X))
    assert auc[0.2] > 0.98 and auc[0.2] > auc[0.0] + 0.05


@pytest.mark.parametrize("shape", [(0, 3), (3, 0)])
def test_empty_X_is_refused_naming_X(shape):
    with pytest.raises(ValueError, match=r"^X: "):
        AutoEncoderOutlierDetector(AutoEncoder(**SMALL)).fit(np.zeros(shape))


@pytest.mark.parametrize("X", [np.zeros((1, 2)), np.zeros((2, 1)), np.ones((5, 3))])
def test_tiny_or_constant_data_fits_without_warnings(X):
    det = AutoEncoderOutlierDetector(AutoEncoder(**SMALL), random_state=0).fit(X)  # warnings are errors in the tests
    assert np.isfinite(det.score_samples(X)).all() and np.isfinite(det.threshold_)


def test_a_bernoulli_autoencoder_is_scored_by_squared_error_and_the_choice_is_saved(digits, tmp_path):
    import json

    from aekit.analysis.explanations import explain

    X_train, X_test, y_train, y_test = digits
    zeros = X_train[y_train == 0]
    det = AutoEncoderOutlierDetector(AutoEncoder(latent_dim=8, max_epochs=30, random_state=0), criterion="reconstruction").fit(zeros)
    assert det.autoencoder_.loss_ == "bce" and det.reconstruction_score_ == "squared_error"
    squared = np.square(X_test - det.autoencoder_.reconstruct(X_test)).mean(axis=1)
    np.testing.assert_allclose(det.score_samples(X_test), -squared, rtol=1e-6)
    own_loss = det.autoencoder_.score_samples(X_test)
    auc_squared, auc_loss = roc_auc_score(y_test == 0, -squared), roc_auc_score(y_test == 0, own_loss)
    assert auc_squared > 0.95 and auc_squared >= auc_loss - 0.01
    parts = explain(det, X_test[:5], method="error")
    np.testing.assert_allclose(parts.sum(axis=1) + parts.attrs["offset"], -det.score_samples(X_test[:5]), rtol=1e-5, atol=1e-8)
    loaded = AutoEncoderOutlierDetector.load(det.save(tmp_path / "det"))
    assert loaded.reconstruction_score_ == "squared_error"
    np.testing.assert_allclose(loaded.score_samples(X_test), det.score_samples(X_test), rtol=1e-6)
    config_path = tmp_path / "det" / "config.json"
    config = json.loads(config_path.read_text())
    del config["fitted"]["reconstruction_score_"]  # a detector saved before the field existed scored the loss
    config_path.write_text(json.dumps(config))
    np.testing.assert_allclose(AutoEncoderOutlierDetector.load(tmp_path / "det").score_samples(X_test), own_loss, rtol=1e-6)


def test_a_squared_error_autoencoder_keeps_its_own_loss_as_the_score():
    X = np.random.default_rng(0).normal(size=(200, 6))
    det = AutoEncoderOutlierDetector(AutoEncoder(latent_dim=2, max_epochs=5, random_state=0), criterion="reconstruction").fit(X)
    assert det.reconstruction_score_ == "loss" and det.autoencoder_.loss_ == "mse"
    np.testing.assert_allclose(det.score_samples(X), det.autoencoder_.score_samples(X), rtol=1e-6)


def test_images_are_refused_asking_for_rows_and_the_conv_input_shape():
    """Images (n, C, H, W) were refused by scikit-learn's 'Found array with dim 4' with no way
    forward; the message now says to pass rows and how a conv autoencoder gets the shape."""
    images = np.random.default_rng(0).random((30, 3, 8, 8)).astype(np.float32)
    with pytest.raises(ValueError, match=r"X has shape \(30, 3, 8, 8\).*X\.reshape\(len\(X\), -1\).*input_shape=\(3, 8, 8\)"):
        AutoEncoderOutlierDetector(random_state=0).fit(images)
    conv = ConvAutoEncoder(input_shape=(3, 8, 8), channels=(4,), latent_dim=2, max_epochs=1, random_state=0)
    detector = AutoEncoderOutlierDetector(autoencoder=conv, random_state=0).fit(images.reshape(30, -1))
    assert detector.score_samples(images.reshape(30, -1)).shape == (30,)
    # a convolutional VAE was told to use ConvAutoEncoder(input_shape=...), another model than the user's
    vae = VariationalAutoEncoder(backbone="conv", channels=(4,), latent_dim=2, max_epochs=1)
    with pytest.raises(ValueError, match=r"give your VariationalAutoEncoder their shape, "
                                         r"VariationalAutoEncoder\(backbone='conv', input_shape=\(3, 8, 8\)\)$"):
        AutoEncoderOutlierDetector(vae).fit(images)
    with pytest.raises(ValueError, match=r"give your ContextEncoder their shape, ContextEncoder\(input_shape=\(3, 8, 8\)\)$"):
        AutoEncoderOutlierDetector(ContextEncoder()).fit(images)


@pytest.mark.parametrize("criterion", ["reconstruction", "combined"])
def test_a_repeated_row_at_the_threshold_stays_an_inlier_when_scored_alone(criterion):
    rng = np.random.default_rng(0)
    for seed in range(4):
        X = np.vstack([np.tile([[1.0, 2.0, -0.5]], (46, 1)), rng.normal(size=(4, 3))])
        det = AutoEncoderOutlierDetector(AutoEncoder(latent_dim=2, max_epochs=3), criterion=criterion,
                                         random_state=seed).fit(X)
        assert (det.predict(X) == -1).sum() == 4
        assert det.predict(X[:1])[0] == 1, f"seed {seed}: a row repeated 46 times is flagged when scored alone"
        assert det.predict(X[:5]).tolist()[0] == 1


def test_missing_values_are_refused_naming_the_row_and_column(detector):
    import pandas as pd
    import scipy.sparse as sp

    det, X, _ = detector
    rows = X[:4].copy()
    rows[2, 5] = np.nan
    with pytest.raises(ValueError, match=r"X has missing values \(NaN\) in 1 entry, first in row 2, column 5"):
        det.predict(rows)
    rows[2, 5] = np.inf
    with pytest.raises(ValueError, match="infinite values .* row 2, column 5"):
        det.decision_function(sp.csr_matrix(rows))
    with pytest.raises(ValueError, match="row 2, column 5"):
        AutoEncoderOutlierDetector(AutoEncoder(max_epochs=1)).fit(rows)
    frame = pd.DataFrame({"a": [0.0, 1.0, 2.0] * 10, "b": [1.0, 0.0, 3.0] * 10}, index=[f"r{i}" for i in range(30)])
    fitted = AutoEncoderOutlierDetector(AutoEncoder(max_epochs=1), random_state=0).fit(frame)
    frame.loc["r7", "b"] = np.nan
    with pytest.raises(ValueError, match=r"columns \['b'\] have missing values, first in row 7 \(index 'r7'\)"):
        fitted.score_samples(frame)


def test_codes_that_coincide_in_fit_do_not_turn_float_rounding_into_outliers():
    # training rows that are all alike give codes with no spread; the codes' precision then grew to
    # about 1e13 along those directions, and identical rows scored up to 2.3e13 by their rounding
    from aekit.estimators.outlier import _code_distribution

    rng = np.random.default_rng(0)
    codes = np.full((50, 4), 0.8) + rng.normal(size=(50, 4)) * 1e-8 * np.array([1, 1, 1, 0])
    location, precision = _code_distribution(codes, 0)
    rounded = (codes[:5] + 1e-7).astype(np.float32).astype(np.float64)  # a float32 model's codes of the same rows
    distances = np.einsum("ij,jk,ik->i", rounded - location, precision, rounded - location)
    assert distances.max() < 1.0, distances
    spread = rng.normal(size=(200, 3)) @ np.diag([3.0, 1.0, 0.2])  # codes with spread: the precision is theirs
    _, usual = _code_distribution(spread, 0)
    assert np.allclose(np.linalg.inv(usual).diagonal() ** 0.5, [3.0, 1.0, 0.2], rtol=0.25)


def test_a_detector_fitted_on_one_row_scores_with_finite_numbers():
    # one training row standardises to codes that are all zero: the precision floor, taken relative
    # to their mean square, fell to ~1e-314 and its inverse overflowed
    one = np.array([[2.0, 2.0]], dtype=np.float32)
    detector = AutoEncoderOutlierDetector(AutoEncoder(latent_dim=1, max_epochs=1), random_state=0).fit(one)
    assert np.isfinite(detector.score_samples(np.array([[2.0, 2.0], [5.0, -3.0]]))).all()
    assert np.isfinite(detector.latent_precision_).all()


@pytest.mark.parametrize("criterion", ["combined", "reconstruction", "latent"])
def test_repeated_rows_score_alike_and_identical_training_rows_are_inliers(criterion):
    # a row's float rounding depends on its place in the batch (rows past the last multiple of 4 took
    # another kernel): a detector fitted on 50 identical rows flagged 2 of them in predict(X), and every
    # one scored alone
    rng = np.random.default_rng(0)
    row = rng.normal(size=(1, 5))
    X = np.tile(row, (50, 1))
    model = AutoEncoder(latent_dim=4, hidden_dims=(64,), init="random", max_epochs=20)
    det = AutoEncoderOutlierDetector(model, criterion=criterion, random_state=0).fit(X)
    assert (det.predict(X) == 1).all()
    assert [det.predict(X[i : i + 1])[0] for i in range(3)] == [1, 1, 1]
    assert det.predict(row + [[0.0, 0.0, 0.5, 0.0, 0.0]])[0] == -1
    repeated = np.vstack([np.tile(rng.normal(size=(1, 5)), (7, 1)), rng.normal(size=(5, 5))])
    scores = det.score_samples(repeated)
    assert np.unique(scores[:7]).size == 1 and np.unique(scores).size == 6


def test_a_warm_refit_on_new_rows_keeps_the_units_the_network_learned():
    # a warm refit re-standardised the frame by the new rows' means and spreads and continued training the
    # old network on them: a row at the first fit's mean of 'a' reached it as -5 instead of 0
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(10, 2, 120), "b": rng.normal(size=120), "site": rng.choice(["n", "s"], 120)})
    later = frame.assign(a=frame["a"] + 10, site=np.where(np.arange(120) % 4 == 0, "n", "s"))
    det = AutoEncoderOutlierDetector(AutoEncoder(**SMALL, early_stopping=None, warm_start=True), random_state=0).fit(frame)
    encoded = det.table_.transform(frame)
    det.fit(later)
    assert det.autoencoder_.n_epochs_ == 2 * SMALL["max_epochs"]
    np.testing.assert_array_equal(det.table_.transform(frame), encoded)
    np.testing.assert_allclose(det.table_.transform(later)[:, 0], encoded[:, 0] + 10 / frame["a"].std(ddof=0), rtol=1e-5)
    cold = AutoEncoderOutlierDetector(AutoEncoder(**SMALL), random_state=0).fit(frame).fit(later)
    assert abs(cold.table_.transform(later)[:, 0].mean()) < 1e-5  # a new network learns the new rows' units


@pytest.mark.parametrize("criterion", ["combined", "latent"])
def test_a_row_like_the_identical_training_rows_is_an_inlier_in_any_batch(criterion):
    # the cut lay on the training rows' one score, and the same row scored among other rows took another
    # kernel's float rounding, below it: flagged in 63 of 77 places of batches of 2 to 12 rows (latent)
    rng = np.random.default_rng(0)
    row = rng.normal(size=(1, 5))
    others = row + rng.normal(size=(300, 5))
    model = AutoEncoder(latent_dim=4, hidden_dims=(64,), init="random", max_epochs=20)
    det = AutoEncoderOutlierDetector(model, criterion=criterion, random_state=0).fit(np.tile(row, (50, 1)))
    for k in [*range(1, 13), 20, 33, 100, 300]:
        for place in sorted({0, k // 2, k}):
            assert det.predict(np.insert(others[:k], place, row[0], axis=0))[place] == 1, (k, place)
    assert (det.predict(others) == -1).mean() > 0.9


def test_the_combined_criterion_finds_outliers_in_data_of_a_tiny_scale():
    # the reconstruction part's spread was floored at 1e-12 (of max(median, 1)); on values near 1e-6
    # its errors spread over ~1.6e-15, so the floor shrank that part 600-fold and the latent part, blind to these
    # outliers, ranked them (ROC AUC 0.24, none of 15 flagged)
    X, is_outlier = planted(n_inliers=300, n_outliers=15)
    for scale in (1.0, 1e-6):
        det = AutoEncoderOutlierDetector(AutoEncoder(**SMALL), contamination=0.05, random_state=0).fit(X * scale)
        assert roc_auc_score(is_outlier, -det.score_samples(X * scale)) > 0.95, scale
        assert (det.predict(X * scale)[is_outlier] == -1).mean() > 0.8, scale


@pytest.mark.parametrize("field", ["feature_mean_", "feature_spread_"])
def test_a_saved_detectors_per_feature_arrays_of_the_wrong_length_are_refused(tmp_path, field):
    # an edited config.json with feature_mean_ [1.0] for 5 features loaded; explain() then failed from inside
    # NumPy (IndexError: index 1 is out of bounds for axis 0 with size 1), naming neither the file nor the field
    import json

    X = np.random.default_rng(0).random((60, 5))
    folder = AutoEncoderOutlierDetector(AutoEncoder(latent_dim=2, max_epochs=1, random_state=0)).fit(X).save(tmp_path / "d")
    config = json.loads((folder / "config.json").read_text())
    config["fitted"][field] = [1.0]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=rf"fitted\.{field} must list 5 numbers, one per feature"):
        AutoEncoderOutlierDetector.load(folder)
