"""Bad input and bad parameters give a ValueError that names the problem."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from aekit import AutoEncoder, AutoEncoderImputer, DenoisingAutoEncoder, VariationalAutoEncoder

FAST = {"hidden_dims": (8,), "max_epochs": 1, "random_state": 0}


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).random((40, 6))


@pytest.fixture(scope="module")
def fitted(X):
    return AutoEncoder(latent_dim=2, **FAST).fit(X)


@pytest.mark.parametrize(
    "make_bad, message",
    [
        (lambda X: np.where(np.eye(*X.shape, dtype=bool), np.nan, X), "NaN"),
        (lambda X: np.where(np.eye(*X.shape, dtype=bool), np.inf, X), "infinity"),
        (lambda X: X[:0], "0 sample"),
        (lambda X: X[:, :0], "0 feature"),
        (lambda X: X[:, 0], "Expected 2D array"),
        (lambda X: np.array([["a", "b"], ["c", "d"]], dtype=object),  # was 'X: could not convert string to float: 'a''
         r"^X is an array holding text \('a' in row 0, column 0\), which AutoEncoder cannot read as numbers: .*DetectionEncoding"),
    ],
    ids=["nan", "inf", "empty", "no-features", "1d", "strings"],
)
def test_bad_X_in_fit(X, make_bad, message):
    with pytest.raises(ValueError, match=message) as err:
        AutoEncoder(**FAST).fit(make_bad(X))
    assert re.search(r"\bX\b", str(err.value)), "the message names the argument"


def test_an_array_holding_text_is_refused_by_the_detector_asking_for_a_dataframe():
    # a Pipeline of AutoEncoderImputer and the detector without pandas output handed it the table as an object
    # array, refused with 'X: could not convert string to float: 'F'', nothing on the DataFrame the detector encodes
    from aekit import AutoEncoderOutlierDetector

    rows = np.array([[1.0, "F"], [2.0, "M"]], dtype=object)
    with pytest.raises(ValueError, match=r"^X is an array holding text \('F' in row 0, column 1\), which "
                                         r"AutoEncoderOutlierDetector cannot read as numbers: pass the rows as a DataFrame"):
        AutoEncoderOutlierDetector().fit(rows)


def test_values_too_large_for_float32_are_refused(X):
    with pytest.raises(ValueError, match="Scale X first"):
        AutoEncoder(**FAST).fit(X * 1e20)
    AutoEncoder(**FAST).fit(X * 1e6)


def test_non_numeric_dataframe_names_columns(X):
    import pandas as pd
    frame = pd.DataFrame(X, columns=list("abcdef")).assign(city=["x"] * len(X))
    with pytest.raises(ValueError, match=r"text or category columns \['city'\]"):
        AutoEncoder(**FAST).fit(frame)


def test_a_pyarrow_table_with_text_is_refused_as_a_dataframe_is(X):
    """A pyarrow Table with a text column got scikit-learn's "could not convert string to float: 'x'"
    where the same pandas DataFrame got aekit's refusal naming the column; both now get the latter,
    and a numeric table is still taken with its column names."""
    import pandas as pd
    import pyarrow as pa

    frame = pd.DataFrame(X, columns=list("abcdef"))
    with pytest.raises(ValueError, match=r"X has text or category columns \['city'\], which AutoEncoder cannot use as they are"):
        AutoEncoder(**FAST).fit(pa.Table.from_pandas(frame.assign(city=["x"] * len(X))))
    fitted = AutoEncoder(latent_dim=2, **FAST).fit(pa.Table.from_pandas(frame))
    assert list(fitted.feature_names_in_) == list("abcdef")

def test_lists_are_accepted(X):
    assert AutoEncoder(latent_dim=2, **FAST).fit(X.tolist()).transform(X[:2].tolist()).shape == (2, 2)


def test_wrong_feature_count_at_transform_time(fitted, X):
    for method in (fitted.transform, fitted.score_samples, fitted.reconstruct):
        with pytest.raises(ValueError, match="X has 5 features, but AutoEncoder is expecting 6"):
            method(X[:, :5])


def test_inverse_transform_checks_code_width(fitted):
    with pytest.raises(ValueError, match="codes with 2 columns"):
        fitted.inverse_transform(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="NaN"):
        fitted.inverse_transform(np.full((3, 2), np.nan))


def test_unfitted_use_is_refused(X):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AutoEncoder().transform(X)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"latent_dim": 0}, "latent_dim"),
        ({"loss": "hinge"}, "loss"),
        ({"activation": "swish"}, "activation"),
        ({"corruption": "fog"}, "corruption"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"hidden_dims": (8, -1)}, "hidden_dims"),
        ({"hidden_dims": "wide"}, "hidden_dims"),
        ({"regularizers": {"nonsense": 1.0}}, "unknown regularizer 'nonsense'"),
        ({"device": "tpu"}, "device"),
        ({"device": "cuda"}, "CUDA is not available"),
    ],
)
def test_bad_parameters(X, params, message):
    if params.get("device") == "cuda":
        import torch

        if torch.cuda.is_available():
            pytest.skip("a GPU is present here")
    with pytest.raises((ValueError, InvalidParameterError), match=message):
        AutoEncoder(**{**FAST, **params}).fit(X)


def test_data_dependent_parameter_checks(X):
    with pytest.raises(ValueError, match=r"loss='bce' needs X in \[0, 1\]"):
        AutoEncoder(loss="bce", **FAST).fit(X * 3)
    with pytest.raises(ValueError, match=r"loss='bernoulli' needs X in \[0, 1\]"):  # 'bce' by its other name trained on
        AutoEncoder(loss="bernoulli", **FAST).fit(X * 3)  # any values and scored rows above 0 (probabilities above 1)
    assert AutoEncoder(loss="bernoulli", **FAST).fit(X.clip(0, 1)).loss_ == "bce"
    with pytest.raises(ValueError, match="latent_activation='sigmoid'"):
        AutoEncoder(sparsity=0.1, sparsity_kind="kl", **FAST).fit(X)
    with pytest.raises(ValueError, match="early_stopping needs a validation split"):
        AutoEncoder(early_stopping=3, validation_fraction=0.0, **FAST).fit(X)
    for rows, fraction in [(4, 0.1), (3, 0.9)]:  # the split rounds to no validation row, or to no training row
        # it said "set validation_fraction > 0", which it was
        with pytest.raises(ValueError, match=rf"this fit of {rows} rows has none: set validation_fraction so that"):
            AutoEncoder(early_stopping=3, validation_fraction=fraction, **FAST).fit(X[:rows])
    with pytest.raises(ValueError, match=r"loss='bce'.*'sigmoid'.*output_activation='linear'"):
        AutoEncoder(loss="bce", output_activation="linear", **FAST).fit(X)


def test_output_activation_auto(X):
    assert AutoEncoder(**FAST).fit(X).output_activation_ == "sigmoid"
    assert AutoEncoder(**FAST).fit(X * 5 - 1).output_activation_ == "linear"


@pytest.mark.parametrize("make", [lambda: AutoEncoder(max_epochs=1), lambda: VariationalAutoEncoder(max_epochs=1),
                                  lambda: DenoisingAutoEncoder(max_epochs=1)])
def test_nan_and_infinity_are_refused_naming_the_first_row_and_column(make):
    # scikit-learn's message named neither and advised HistGradientBoosting; the detector alone said where
    import pandas as pd

    X = np.random.default_rng(0).normal(size=(40, 4))
    gaps, infinite = X.copy(), X.copy()
    gaps[[7, 9], [2, 0]] = np.nan
    infinite[11, 3] = -np.inf
    with pytest.raises(ValueError, match=r"^X has missing values \(NaN\) in 2 entries, first in row 7, column 2; .* AutoEncoderImputer"):
        make().fit(gaps)
    with pytest.raises(ValueError, match=r"^X has infinite values \(infinity\) in 1 entry, first in row 11, column 3; .*finite values only"):
        make().fit(infinite)
    frame = pd.DataFrame(gaps, columns=list("abcd"), index=[f"p{i}" for i in range(40)])
    with pytest.raises(ValueError, match=r"first in row 7 \(index 'p7'\), column 2 \('c'\);"):  # was 'column 2' alone
        make().fit(frame)
    fitted = make().fit(X)
    with pytest.raises(ValueError, match=r"first in row 1, column 0"):
        fitted.transform(gaps[8:])  # rows of the array passed: gaps' row 9 is its row 1
    with pytest.raises(ValueError, match=r"^X has infinite values \(infinity\) in 1 entry, first in row 11, column 3"):
        AutoEncoderImputer(max_epochs=1).fit(infinite)
    # a column with no value in any row was met with "fill them first ... or drop those rows", which drops every row
    with pytest.raises(ValueError, match=r"column 'e' has no value in any row, so filling or dropping rows cannot help: "
                                         r"drop it first, X.drop\(columns=\['e'\]\)$"):
        make().fit(pd.DataFrame(X, columns=list("abcd")).assign(e=np.nan))
    with pytest.raises(ValueError, match=r"column 1 has no value in any row.*np.delete\(X, \[1\], axis=1\)$"):
        make().fit(np.column_stack([X[:, 0], np.full(40, np.nan)]))


def test_estimators_of_rows_refuse_image_arrays_saying_how_to_flatten_them():
    # scikit-learn's "Found array with dim 4, while dim <= 2 is required" said nothing of images or rows
    from aekit import AutoEncoderClassifier

    images = np.random.default_rng(0).random((20, 1, 4, 4))
    with pytest.raises(ValueError, match=r"^X has shape \(20, 1, 4, 4\): AutoEncoderImputer takes rows .* X\.reshape\(len\(X\), -1\), giving \(20, 16\)"):
        AutoEncoderImputer(max_epochs=1).fit(images)
    with pytest.raises(ValueError, match=r"^X has shape \(20, 1, 4, 4\): AutoEncoderClassifier takes rows"):
        AutoEncoderClassifier(max_epochs=1).fit(images, np.arange(20) % 2)


@pytest.mark.parametrize("dtype, what", [("datetime64[D]", "dates or times"), ("datetime64[ns]", "dates or times"),
                                         ("timedelta64[s]", "durations")])
def test_date_and_duration_arrays_are_refused_not_read_as_counts(dtype, what):
    # a datetime64[D] array trained as days since 1970 and a timedelta64[s] one as seconds, without a word
    from aekit import AutoEncoderClassifier, AutoEncoderOutlierDetector

    X = np.arange(40).astype(dtype).reshape(20, 2)
    for estimator in (AutoEncoder(**FAST), VariationalAutoEncoder(**FAST), AutoEncoderOutlierDetector(AutoEncoder(**FAST)),
                      AutoEncoderImputer(max_epochs=1)):
        with pytest.raises(ValueError, match=rf"^X holds {what} \({re.escape(dtype)}\), which {type(estimator).__name__} would"):
            estimator.fit(X)
    with pytest.raises(ValueError, match=rf"^X holds {what}"):
        AutoEncoderClassifier(**FAST).fit(X, np.arange(20) % 2)


def test_date_and_duration_columns_are_named_as_such_not_as_text(X):
    # they were refused as "text or category columns" with advice to one-hot encode them by DetectionEncoding,
    # which refuses dates too
    import pandas as pd

    frame = pd.DataFrame(X[:, :2], columns=["a", "b"]).assign(
        day=pd.date_range("2024-01-01", periods=len(X)), at=pd.date_range("2024-01-01", periods=len(X), tz="UTC"),
        took=pd.to_timedelta(np.arange(len(X)), "s"), city="x")
    frame["stamp"] = frame["day"].astype("timestamp[s][pyarrow]")
    with pytest.raises(ValueError, match=r"^X has date, time or duration columns \['day', 'at', 'took', 'stamp'\], "
                                         r"which AutoEncoder cannot use as they are: turn them into numbers"):
        AutoEncoder(**FAST).fit(frame)


def test_a_missing_value_is_located_by_its_index_label_as_the_user_wrote_it():
    # an integer index showed as "(index np.int64(103))", numpy's repr of the label
    import pandas as pd

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)), index=np.arange(100, 120))
    frame.iloc[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"first in row 3 \(index 103\), column 1;"):
        AutoEncoder(**FAST).fit(frame.astype("Float64"))


def test_the_classifier_refuses_missing_labels_naming_y_and_the_first_row():
    # pandas' NA in a string or Int64 y was refused as "X: boolean value of NA is ambiguous", None in an
    # object y as "'<' not supported between instances of 'NoneType' and 'str'"
    import pandas as pd
    from aekit import AutoEncoderClassifier

    X = np.random.default_rng(0).normal(size=(30, 3))
    labels = np.where(X[:, 0] > 0, "pos", "neg").astype(object)
    labels[[4, 9]] = None
    for y in (labels, pd.Series(labels, dtype="string"), pd.Series(labels, dtype="string[pyarrow]"),
              pd.Series(np.where(labels == "pos", 1, np.where(labels == "neg", 0, None)), dtype="Int64")):
        with pytest.raises(ValueError, match=r"^y has missing labels \(None, NaN or NA\) in 2 rows, first in row 4: "
                                             r"drop those rows .*fit\(X_unlabeled="):
            AutoEncoderClassifier(**FAST).fit(X, y)


def test_a_frame_of_numbers_in_object_columns_is_read_as_those_numbers(X):
    # an object-dtype frame (as pd.concat or .astype(object) give) was refused as "text or category columns",
    # though the same numbers as an object array were taken
    import pandas as pd

    frame = pd.DataFrame(X, columns=list("abcdef"))
    objects = frame.astype(object).assign(f=[True, False] * (len(X) // 2))
    plain = frame.assign(f=np.tile([1.0, 0.0], len(X) // 2))
    np.testing.assert_array_equal(AutoEncoder(latent_dim=2, **FAST).fit(objects).transform(objects),
                                  AutoEncoder(latent_dim=2, **FAST).fit(plain).transform(plain))
    with pytest.raises(ValueError, match=r"text or category columns \['a'\]"):
        AutoEncoder(**FAST).fit(objects.assign(a=["x"] + list(X[1:, 0])))


def test_a_date_label_of_an_object_index_is_not_shown_as_nanoseconds():
    # showing numpy index labels as Python values turned a numpy datetime64 label into 1577836800000000000
    import pandas as pd

    days = np.arange("2020-01-01", "2020-01-21", dtype="datetime64[D]").astype("datetime64[ns]")
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)), index=pd.Index(list(days), dtype=object))
    frame.iloc[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"first in row 3 \(index np\.datetime64\('2020-01-04T00:00:00\.000000000'\)\), column 1"):
        AutoEncoder(**FAST).fit(frame)


@pytest.mark.parametrize("make, images", [(lambda: AutoEncoder(max_epochs=1, random_state=0), False),
                                          (lambda: VariationalAutoEncoder(backbone="conv", max_epochs=1, random_state=0), True)],
                         ids=["AutoEncoder", "conv VAE"])
def test_targets_of_x_shape_given_to_a_model_that_reconstructs_x_are_not_ignored_silently(make, images):
    # fit(noisy, clean) trained on noisy alone without a word: the clean targets were dropped as if labels
    rng = np.random.default_rng(0)
    clean = rng.random((60, 1, 8, 8)).astype(np.float32)
    noisy = np.clip(clean + 0.1 * rng.normal(size=clean.shape), 0, 1).astype(np.float32)
    if not images:
        clean, noisy = clean.reshape(60, -1), noisy.reshape(60, -1)
    with pytest.warns(UserWarning, match=r"y has X's shape .* ignores y .* ConvAutoEncoder\(\)\.fit\(X, Y\).*corruption='gaussian'"):
        make().fit(noisy, clean)
    make().fit(noisy, np.arange(60) % 3)  # labels stay accepted and ignored, without a warning
