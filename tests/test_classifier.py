"""`AutoEncoderClassifier`: pretraining on unlabelled inputs, fine-tuning on few labels (digits)."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from aekit import AutoEncoder, ConvAutoEncoder, VariationalAutoEncoder
from aekit.estimators.classifier import AutoEncoderClassifier, EncoderClassifierModule, classes_from_json, fit_head_by_logistic_regression
from aekit.nn import MLPEncoder

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = {"latent_dim": 8, "hidden_dims": (32,), "pretrain_epochs": 10, "max_epochs": 10, "batch_size": 64}


def few_labels(y: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of n random labelled rows and of the rest."""
    labelled = np.random.default_rng(seed).choice(len(y), n, replace=False)
    return labelled, np.setdiff1d(np.arange(len(y)), labelled)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_pretraining_beats_training_from_scratch_with_50_labels(digits, seed):
    X_train, X_test, y_train, y_test = digits
    lab, unl = few_labels(y_train, 50, seed)
    settings = {"pretrain_epochs": 100, "batch_size": 64, "random_state": seed}
    pretrained = AutoEncoderClassifier(**settings).fit(X_train[lab], y_train[lab], X_unlabeled=X_train[unl])
    scratch = AutoEncoderClassifier(**{**settings, "pretrain_epochs": 0}).fit(X_train[lab], y_train[lab])
    assert scratch.autoencoder_ is None and pretrained.autoencoder_.n_features_in_ == X_train.shape[1]
    assert pretrained.score(X_test, y_test) > scratch.score(X_test, y_test) + 0.03


def test_predictions_probabilities_and_string_classes(digits):
    X_train, X_test, y_train, _ = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    clf = AutoEncoderClassifier(**SMALL, random_state=0).fit(X_train[:200], names[y_train[:200]], X_unlabeled=X_train[200:])
    assert list(clf.classes_) == sorted(names)
    proba = clf.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X_test), clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X_test)), proba)
    assert clf.history_["loss"] and clf.n_epochs_ == SMALL["max_epochs"]
    again = AutoEncoderClassifier(**SMALL, random_state=0).fit(X_train[:200], names[y_train[:200]], X_unlabeled=X_train[200:])
    np.testing.assert_array_equal(again.predict_proba(X_test), proba)


def test_transfer_from_a_fitted_autoencoder_leaves_it_unchanged(digits):
    X_train, X_test, y_train, y_test = digits
    ae = AutoEncoder(latent_dim=12, hidden_dims=(64,), max_epochs=20, random_state=0).fit(X_train)
    codes = ae.transform(X_test)
    clf = AutoEncoderClassifier(max_epochs=30, random_state=0).fit(X_train[:300], y_train[:300], pretrained=ae)
    assert clf.autoencoder_ is ae and clf.module_.head.in_features == 12
    np.testing.assert_array_equal(ae.transform(X_test), codes)
    assert clf.score(X_test, y_test) > 0.8
    vae = VariationalAutoEncoder(latent_dim=6, hidden_dims=(64,), max_epochs=10, random_state=0).fit(X_train)
    from_vae = AutoEncoderClassifier(max_epochs=30, random_state=0).fit(X_train[:300], y_train[:300], pretrained=vae)
    assert from_vae.module_.head.in_features == 6 and from_vae.score(X_test, y_test) > 0.5
    with pytest.raises(ValueError, match="not both"):
        AutoEncoderClassifier().fit(X_train[:50], y_train[:50], X_unlabeled=X_train[50:], pretrained=ae)
    with pytest.raises(ValueError, match="features"):
        AutoEncoderClassifier().fit(X_train[:50, :10], y_train[:50], pretrained=ae)


def test_transfer_refuses_columns_that_are_not_the_pretrained_autoencoders(digits):
    """A DataFrame with the pretrained autoencoder's columns in another order was fine-tuned on
    silently (its encoder read every column as another), where the autoencoder's transform refuses it."""
    import pandas as pd

    X_train, _, y_train, _ = digits
    frame = pd.DataFrame(X_train[:60], columns=[f"p{i}" for i in range(X_train.shape[1])])
    ae = AutoEncoder(latent_dim=4, hidden_dims=(16,), max_epochs=1, random_state=0).fit(frame)
    with pytest.raises(ValueError, match=r"column 0 is 'p63' in X and 'p0' in its feature_names_in_"):
        AutoEncoderClassifier(max_epochs=1).fit(frame[frame.columns[::-1]], y_train[:60], pretrained=ae)
    clf = AutoEncoderClassifier(max_epochs=1, random_state=0).fit(frame, y_train[:60], pretrained=ae)
    assert list(clf.feature_names_in_) == list(frame.columns)


def test_transfer_from_a_fitted_model_without_a_network_says_so_not_that_it_is_unfitted(digits):
    # a fitted PCA (or AutoEncoderOutlierDetector) was refused with "This PCA instance is not fitted yet"
    from sklearn.decomposition import PCA

    X_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match=r"^pretrained must be a fitted aekit autoencoder, .*the fitted PCA given has none"):
        AutoEncoderClassifier(max_epochs=1).fit(X_train[:40], y_train[:40], pretrained=PCA(4).fit(X_train[:40]))
    with pytest.raises(NotFittedError, match="This AutoEncoder instance is not fitted yet"):
        AutoEncoderClassifier(max_epochs=1).fit(X_train[:40], y_train[:40], pretrained=AutoEncoder())


def test_unlabelled_rows_from_a_npy_path_pretrain_as_the_same_rows_in_memory(digits, tmp_path):
    # fit(X, y, X_unlabeled="rows.npy"), a path as documented, failed inside numpy: "all the input arrays must
    # have same number of dimensions"
    X_train, X_test, y_train, _ = digits
    np.save(tmp_path / "rows.npy", X_train[60:200])
    tiny = {"latent_dim": 4, "hidden_dims": (16,), "pretrain_epochs": 2, "max_epochs": 1, "random_state": 0}
    from_path = AutoEncoderClassifier(**tiny).fit(X_train[:60], y_train[:60], X_unlabeled=str(tmp_path / "rows.npy"))
    in_memory = AutoEncoderClassifier(**tiny).fit(X_train[:60], y_train[:60], X_unlabeled=X_train[60:200])
    np.testing.assert_array_equal(from_path.predict_proba(X_test), in_memory.predict_proba(X_test))


def test_a_warm_started_fit_refuses_a_new_start_it_would_ignore(digits):
    # with warm_start=True a second fit(X, y, pretrained=ae) kept fine-tuning the old network, ae silently unused
    X_train, _, y_train, _ = digits
    tiny = {"latent_dim": 4, "hidden_dims": (16,), "pretrain_epochs": 1, "max_epochs": 1, "random_state": 0}
    clf = AutoEncoderClassifier(**tiny, warm_start=True).fit(X_train[:60], y_train[:60])
    ae = AutoEncoder(latent_dim=4, hidden_dims=(16,), max_epochs=1, random_state=0).fit(X_train[:60])
    for given in ({"pretrained": ae}, {"X_unlabeled": X_train[60:90]}):
        with pytest.raises(ValueError, match=rf"^{next(iter(given))} sets how a new fit is pretrained, but warm_start=True"):
            clf.fit(X_train[:60], y_train[:60], **given)
    assert clf.fit(X_train[:60], y_train[:60]).n_epochs_ == 2


def test_refuses_one_class_and_mismatched_unlabelled_rows(digits):
    X_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match="one class"):
        AutoEncoderClassifier(**SMALL).fit(X_train[:20], np.zeros(20, dtype=int))
    with pytest.raises(ValueError, match="features"):
        AutoEncoderClassifier(**SMALL).fit(X_train[:50], y_train[:50], X_unlabeled=X_train[50:, :10])


def test_refusals_of_y_name_y_not_x(digits):
    # scikit-learn's refusals of y were prefixed 'X: ' ("X: y should be a 1d array")
    X_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match=r"^y should be a 1d array"):
        AutoEncoderClassifier(**SMALL).fit(X_train[:40], np.stack([y_train[:40], y_train[:40]], axis=1))
    with pytest.raises(ValueError, match=r"^y has missing labels \(None, NaN or NA\) in 1 rows, first in row 3"):
        AutoEncoderClassifier(**SMALL).fit(X_train[:40], np.where(np.arange(40) == 3, np.nan, y_train[:40]))
    with pytest.raises(ValueError, match=r"^X: .*inconsistent numbers of samples"):
        AutoEncoderClassifier(**SMALL).fit(X_train[:40], y_train[:30])


def test_refuses_values_whose_squares_overflow_float32(digits):
    X_train, _, y_train, _ = digits
    X_train, y_train = X_train[:60], y_train[:60]
    huge = X_train.copy()
    huge[3, 5] = 1e20
    with pytest.raises(ValueError, match="X has values as large as 1e"):
        AutoEncoderClassifier(**SMALL).fit(huge, y_train)
    with pytest.raises(ValueError, match="X has values as large as 1e"):
        AutoEncoderClassifier(**SMALL).fit(X_train, y_train, X_unlabeled=huge)


def test_head_starts_as_the_logistic_regression_on_the_codes(digits):
    X_train, _, y_train, _ = digits
    torch.manual_seed(0)
    module = EncoderClassifierModule(MLPEncoder(64, 6, (32,)), 6, 10)
    X = torch.tensor(X_train[:300], dtype=torch.float32)
    fit_head_by_logistic_regression(module, X, torch.as_tensor(y_train[:300]))
    with torch.no_grad():
        codes = module.encode(X).double().numpy()
        ours = module.logits(X).argmax(dim=1).numpy()
    reference = LogisticRegression(max_iter=1000).fit(codes, y_train[:300]).predict(codes)
    assert np.mean(ours == reference) > 0.99
    binary, y_binary = EncoderClassifierModule(MLPEncoder(64, 6, (32,)), 6, 2), (y_train[:300] > 4).astype(int)
    fit_head_by_logistic_regression(binary, X, torch.as_tensor(y_binary))
    with torch.no_grad():
        codes = binary.encode(X).double().numpy()
        logits = binary.logits(X).double().numpy()
    reference = LogisticRegression(max_iter=1000).fit(codes, y_binary)
    np.testing.assert_allclose(logits[:, 1] - logits[:, 0], reference.decision_function(codes), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("how", ["pretrained here", "from scratch", "from a VAE", "from a conv AE"])
def test_save_and_load_give_the_same_predictions(digits, tmp_path, how):
    X_train, X_test, y_train, _ = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    y = names[y_train[:150]]
    y = {"from scratch": y.astype(object), "from a VAE": y_train[:150].astype(np.int8)}.get(how, y)
    clf = AutoEncoderClassifier(**SMALL, random_state=0)
    if how == "pretrained here":
        clf.fit(X_train[:150], y, X_unlabeled=X_train[150:400])
    elif how == "from scratch":
        clf.set_params(pretrain_epochs=0).fit(X_train[:150], y)
    elif how == "from a VAE":
        clf.fit(X_train[:150], y, pretrained=VariationalAutoEncoder(latent_dim=4, max_epochs=3, random_state=0).fit(X_train))
    else:
        conv = ConvAutoEncoder(input_shape=(8, 8), latent_dim=6, max_epochs=2, random_state=0).fit(X_train)
        clf.fit(X_train[:150], y, pretrained=conv)
    clf.save(tmp_path / "clf")
    assert (tmp_path / "clf" / "autoencoder").is_dir() == (how != "from scratch")
    back = AutoEncoderClassifier.load(tmp_path / "clf")
    np.testing.assert_allclose(back.predict_proba(X_test), clf.predict_proba(X_test), rtol=1e-5, atol=1e-7)
    assert list(back.predict(X_test)) == list(clf.predict(X_test))
    # int8 labels came back int64 and object labels '<U5', in classes_ and in predict
    assert back.classes_.dtype == clf.classes_.dtype == y.dtype and back.predict(X_test).dtype == y.dtype
    assert back.get_params() == clf.get_params() and back.n_epochs_ == clf.n_epochs_
    assert (back.autoencoder_ is None) == (how == "from scratch")


def test_load_refuses_a_classifier_whose_autoencoder_folder_is_corrupt_or_gone(digits, tmp_path):
    X_train, _, y_train, _ = digits
    clf = AutoEncoderClassifier(**SMALL, random_state=0).fit(X_train[:100], y_train[:100], X_unlabeled=X_train[100:300])
    clf.save(tmp_path / "clf")
    with pytest.raises(ValueError, match="holds an AutoEncoder, not an AutoEncoderClassifier"):
        AutoEncoderClassifier.load(tmp_path / "clf" / "autoencoder")
    weights = tmp_path / "clf" / "autoencoder" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(ValueError, match="checksum"):
        AutoEncoderClassifier.load(tmp_path / "clf")
    # a deleted autoencoder folder loaded without a word, as a classifier that was never pretrained (autoencoder_ None)
    shutil.rmtree(tmp_path / "clf" / "autoencoder")
    missing = re.escape(f"'{tmp_path / 'clf' / 'autoencoder'}' is missing")
    with pytest.raises(FileNotFoundError, match=missing + r": the AutoEncoderClassifier saved in .* keeps its autoencoder there"):
        AutoEncoderClassifier.load(tmp_path / "clf")
    config = json.loads((tmp_path / "clf" / "config.json").read_text())
    del config["folders"]  # as folders saved before config.json listed them
    (tmp_path / "clf" / "config.json").write_text(json.dumps(config))
    with pytest.raises(FileNotFoundError, match=missing + ": an AutoEncoderClassifier with pretrain_epochs=10 keeps"):
        AutoEncoderClassifier.load(tmp_path / "clf")


def test_classes_from_json_refuses_mixed_or_odd_labels():
    assert classes_from_json(["a", "b"]).tolist() == ["a", "b"]
    assert classes_from_json([0, 1.5]).tolist() == [0.0, 1.5]
    assert classes_from_json({"labels": [-3, 7], "dtype": "|i1"}).dtype == np.int8
    for bad in (["a", 1], [True, 2], [None, "a"], ["only"], "ab", {"labels": [0, 300], "dtype": "|i1"},
                {"labels": ["zero", "one"], "dtype": "<U1"}, {"labels": [0, 1], "dtype": "|b1"}, {"labels": [0, 1], "dtype": None},
                {"labels": [0, 1], "dtype": "no such dtype"}):
        with pytest.raises(ValueError, match="classes_"):
            classes_from_json(bad)
