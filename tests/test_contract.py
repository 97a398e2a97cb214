"""One contract for every registered estimator: scikit-learn's `check_estimator`, a save/load
round trip, clone, a Pipeline, refusals of empty, NaN and wrong-width input, and hostile input
(property-based: every estimator either works or refuses with a ValueError/TypeError naming the
argument, never a raw traceback or a NaN result; the inputs and the verdict come from
tests/harness/input_checks.py, shared with `benchmarks/reliability.py`).

Registering an estimator (subclassing `AekitEstimator`) enrols it: `small(cls)` builds a fast
instance of any registered class from its parameter names, and
`test_every_registered_estimator_is_enrolled` fails when one cannot be built. `VARIANTS` adds
configurations worth checking beyond each class's defaults.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from sklearn.base import clone, is_classifier, is_outlier_detector
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import aekit
from aekit import AutoEncoder, AutoEncoderImputer, AutoEncoderOutlierDetector, ConvAutoEncoder, VariationalAutoEncoder
from aekit.saving.persistence import ESTIMATORS
from tests.harness.input_checks import hostile_inputs, outcome, own_parameters, tiny_estimators

FAST = {"hidden_dims": (16,), "max_epochs": 5, "n_members": 1, "pretrain_epochs": 3, "latent_dim": 3, "batch_size": 32}
CONV_FAST = {"latent_dim": 3, "channels": (4,), "max_epochs": 3}
IMPUTER_FAST = {"hidden_dims": (32,), "latent_dim": 16, "max_epochs": 5, "n_members": 1}
CLASSIFIER_FAST = {"latent_dim": 4, "max_epochs": 20}  # check_classifiers_train asks for 83 % training accuracy


def small(cls: type):
    """A fast instance of a registered estimator class, from the parameters it has."""
    if cls is AutoEncoderOutlierDetector:
        return cls(AutoEncoder(hidden_dims=(16,), max_epochs=5))
    names = cls().get_params(deep=False)
    fast = {**FAST, **(CONV_FAST if "channels" in names else {}), **(IMPUTER_FAST if cls is AutoEncoderImputer else {})}
    fast.update(CLASSIFIER_FAST if is_classifier(cls()) else {})
    return cls(**{k: v for k, v in fast.items() if k in own_parameters(cls)})


REGISTERED = sorted(ESTIMATORS.values(), key=lambda cls: cls.__name__)
VARIANTS = [
    AutoEncoder(tied_weights=True, corruption="mask", corrupt_on="code", **{k: FAST[k] for k in ("hidden_dims", "max_epochs")}),
    AutoEncoder(sparsity_kind="batch_topk", k=2, latent_dim=4, **{k: FAST[k] for k in ("hidden_dims", "max_epochs")}),
    ConvAutoEncoder(upsampling="unpool", bottleneck="conv", batch_norm=True, corruption="block", **CONV_FAST),
    VariationalAutoEncoder(backbone="conv", **CONV_FAST),
    VariationalAutoEncoder(prior="student_t", learn_prior_df=True, free_bits=0.1, hidden_dims=(16,), max_epochs=3),
    AutoEncoderImputer(model="vae", blend=None, **IMPUTER_FAST),  # the default's trees partner: small(AutoEncoderImputer)
    AutoEncoderImputer(model_missingness=True, blend=None, **IMPUTER_FAST),
]


def test_every_registered_estimator_is_enrolled():
    public = {name for name in aekit.__all__ if isinstance(getattr(aekit, name), type) and hasattr(getattr(aekit, name), "_fitted_state")}
    assert public <= set(ESTIMATORS), f"public estimators missing from the registry: {public - set(ESTIMATORS)}"
    for cls in REGISTERED:
        est = small(cls)
        assert type(est) is cls and est.get_params(deep=False)


FLAT_ROW_CHECKS = (
    "check_dict_unchanged check_dont_overwrite_parameters check_dtype_object check_estimators_dtypes "
    "check_estimators_fit_returns_self check_estimators_nan_inf check_estimators_overwrite_params check_estimators_pickle "
    "check_f_contiguous_array_estimator check_fit2d_1sample check_fit2d_predict1d check_fit_check_is_fitted "
    "check_fit_idempotent check_fit_score_takes_y check_methods_sample_order_invariance check_methods_subset_invariance "
    "check_n_features_in check_pipeline_consistency check_readonly_memmap_input check_transformer_data_not_an_array "
    "check_transformer_general check_transformer_preserve_dtypes"
).split()
SPARSE_CHECKS = ["check_estimator_sparse_array", "check_estimator_sparse_matrix", "check_estimator_sparse_tag"]


def takes_images(est) -> bool:
    """Whether `est` reads X as images (a conv estimator, or a VAE with the conv backbone)."""
    return isinstance(est, ConvAutoEncoder) or getattr(est, "backbone", None) == "conv"


def known_sklearn_quirks(est) -> dict[str, str]:
    """Checks that test an assumption of scikit-learn's rather than our contract."""
    if takes_images(est):
        reason = ("the check fits flat rows of 2-10 features, which are no image: conv estimators refuse them asking "
                  "for input_shape (issue 34); fitting, pickling and refitting images are tested below and in test_conv.py")
        sparse = SPARSE_CHECKS if isinstance(est, VariationalAutoEncoder) else []  # its MLP backbone takes sparse X
        return {name: reason for name in [*FLAT_ROW_CHECKS, *sparse]}
    if isinstance(est, AutoEncoderOutlierDetector):
        reason = ("the check takes any estimator with predict_proba for a classifier and reads its classifier tags; "
                  "the detector's (n, 2) probabilities on sparse X are tested in test_sparse_input.py")
        return {"check_estimator_sparse_array": reason, "check_estimator_sparse_matrix": reason}
    return {}


@pytest.mark.slow
@parametrize_with_checks([small(cls) for cls in REGISTERED] + VARIANTS, expected_failed_checks=known_sklearn_quirks)
def test_sklearn_check(estimator, check):
    check(estimator)


def data_for(est, n: int = 60):
    """(X, y) the estimator can fit: images for convolutional models, labels for classifiers."""
    rng = np.random.default_rng(0)
    if isinstance(est, ConvAutoEncoder):
        X = rng.random((n, 1, 8, 8))
    else:
        X = rng.normal(size=(n, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(n, 6))
        if "loss" in est.get_params() and est.get_params()["loss"] == "bce":
            X = 1 / (1 + np.exp(-X))
    y = (X.reshape(n, -1)[:, 0] > np.median(X.reshape(n, -1)[:, 0])).astype(int)
    return X, y


def outputs(est, X) -> dict[str, np.ndarray]:
    """Everything a fitted estimator answers for X, by method name."""
    methods = ["transform", "reconstruct", "score_samples", "predict", "predict_proba", "decision_function"]
    if isinstance(est, AutoEncoderImputer):
        X = X.copy()
        X[::3, 1] = np.nan
    return {m: np.asarray(getattr(est, m)(X)) for m in methods if hasattr(est, m)}


@pytest.mark.parametrize("cls", REGISTERED, ids=lambda cls: cls.__name__)
def test_save_load_round_trip_answers_the_same(cls, tmp_path):
    est = small(cls).set_params(random_state=0)
    X, y = data_for(est)
    est.fit(X, y) if is_classifier(est) else est.fit(X)
    loaded = cls.load(est.save(tmp_path / "model"))
    assert type(loaded) is cls and repr(loaded.get_params()) == repr(est.get_params())
    for written in (tmp_path / "model").rglob("*.json"):  # strict JSON: no NaN or Infinity (the imputer's missing_values)
        json.loads(written.read_text(), parse_constant=lambda name: pytest.fail(f"{written} holds {name}"))
    before, after = outputs(est, X), outputs(loaded, X)
    assert before.keys() == after.keys() and before
    for name in before:
        np.testing.assert_allclose(after[name], before[name], rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("cls", REGISTERED, ids=lambda cls: cls.__name__)
def test_clone_gives_an_unfitted_copy_with_the_same_parameters(cls):
    est = small(cls)
    X, y = data_for(est)
    est.fit(X, y) if is_classifier(est) else est.fit(X)
    copy = clone(est)
    assert not hasattr(copy, "module_") and not hasattr(copy, "n_features_in_")
    assert set(copy.get_params(deep=False)) == set(est.get_params(deep=False))


@pytest.mark.parametrize("cls", [c for c in REGISTERED if not issubclass(c, ConvAutoEncoder)], ids=lambda cls: cls.__name__)
def test_runs_behind_a_scaler_in_a_pipeline(cls):
    est = small(cls).set_params(random_state=0)
    X, y = data_for(est)
    pipe = make_pipeline(StandardScaler(), est)
    pipe.fit(X, y) if is_classifier(est) else pipe.fit(X)
    if is_classifier(est):
        assert pipe.predict(X).shape == (len(X),)
    elif is_outlier_detector(est):
        assert set(np.unique(pipe.predict(X))) <= {-1, 1}
    else:
        assert np.isfinite(pipe.transform(X)).all()


@pytest.mark.parametrize("cls", REGISTERED, ids=lambda cls: cls.__name__)
def test_empty_nan_and_wrong_width_input_are_refused_naming_X(cls):
    est = small(cls)
    X, y = data_for(est)
    flat = X.reshape(len(X), -1)
    fit = (lambda A: est.fit(A, y[: len(A)])) if is_classifier(est) else est.fit
    with pytest.raises(ValueError, match=r"\bX\b"):
        fit(flat[:0])
    if not isinstance(est, AutoEncoderImputer):
        with_nan = flat.copy()
        with_nan[0, 0] = np.nan
        with pytest.raises(ValueError, match=r"\bX\b.*(NaN|nan)|(NaN|nan).*\bX\b"):
            fit(with_nan)
    fit(X)
    ask = next(getattr(est, m) for m in ("transform", "predict", "score_samples") if hasattr(est, m))
    with pytest.raises(ValueError, match=r"\bX\b"):
        ask(flat[:, :-1])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(tiny_estimators()))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hostile_inputs())
@example(case=("one row of denormals", [[-2.225073858507203e-309, -2.225073858507203e-309]]))
def test_hostile_input_works_or_is_refused_naming_the_argument(name, case):
    _, X = case
    assert outcome(tiny_estimators()[name](), X) in ("worked", "refused")


def test_hostile_input_suite_covers_every_registered_estimator():
    assert sorted(tiny_estimators()) == sorted(cls.__name__ for cls in REGISTERED)
