"""What the Dask and Spark helpers share: a fitted model shipped as packed bytes and loaded once
per worker process, and one method applied to one pandas partition, giving a pandas frame.

A partition's output keeps its index and row order; its columns are named after the method:
`score_samples`, `decision_function` and `predict` give one column of that name, `transform`
the estimator's output feature names (the input's columns for the imputer), `reconstruct` the
input's columns, `predict_proba` `predict_proba_0`, `predict_proba_1`, and `explain` its own table.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aekit._wording import with_article
from aekit.saving.checksums import sha256_of

__all__ = ["KEPT_MODELS", "METHODS", "ShippedModel", "apply_to_frame", "check_method", "checked_columns", "loads_in_this_process"]

METHODS = ("decision_function", "explain", "predict", "predict_proba", "reconstruct", "score_samples", "transform")

KEPT_MODELS = 4  # models a worker process keeps unpacked, the least recently used dropped first
_LOADED: OrderedDict[str, object] = OrderedDict()
_LOADS: Counter = Counter()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ShippedModel:
    """A fitted estimator as packed bytes (`aekit.saving.packed`) and their SHA-256, the key
    under which each worker process keeps the one copy it loads.

    Parameters
    ----------
    data : bytes
        The packed model.
    digest : str
        Its SHA-256 in hex.
    """

    data: bytes = field(repr=False)
    digest: str

    @classmethod
    def of(cls, est) -> ShippedModel:
        from aekit.saving.packed import pack_model

        data = pack_model(est)
        return cls(data, sha256_of(data))


def loaded(digest: str, data: bytes):
    """The estimator packed in `data`, unpacked the first time this process sees `digest` and
    kept for every later partition (threads of one worker share it; the KEPT_MODELS most
    recently used models stay)."""
    with _LOCK:
        est = _LOADED.get(digest)
        if est is None:
            if sha256_of(data) != digest:
                raise ValueError("the shipped model's bytes do not match their checksum")
            from aekit.saving.packed import unpack_model

            est = _LOADED[digest] = unpack_model(data, device="cpu")
            _LOADS[digest] += 1
            while len(_LOADED) > KEPT_MODELS:
                _LOADED.popitem(last=False)
        _LOADED.move_to_end(digest)
        return est


def loads_in_this_process(digest: str) -> int:
    """How many times this process has unpacked the model with `digest` (1 once it has run a partition).

    Parameters
    ----------
    digest : str
        The model's SHA-256, as `ShippedModel.digest`.
    """
    return _LOADS[digest]


def check_method(est, method: str) -> str:
    """`method` if it is one the engines run and `est` has, else a ValueError naming the choices.

    Parameters
    ----------
    est : estimator
        The fitted estimator.
    method : str
        The method's name.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if not callable(getattr(est, method, None)):
        raise ValueError(f"method={method!r}: {with_article(type(est).__name__)} has no {method}")
    return method


def checked_columns(columns: list[str], features: list[str] | None, keep: list[str]) -> list[str]:
    """The feature columns (default: every column not in `keep`), after checking that the
    features and `keep` are columns of the data.

    Parameters
    ----------
    columns : list of str
        The data's columns.
    features : list of str or None
        The columns the model reads; None for every column not in `keep`.
    keep : list of str
        Columns copied unchanged beside the outputs.
    """
    features = [c for c in columns if c not in keep] if features is None else list(features)
    for name, wanted in (("features", features), ("keep", keep)):
        missing = [c for c in wanted if c not in columns]
        if missing:
            raise ValueError(f"{name}: {missing} are not columns of the data")
    return features


def _output_columns(est, method: str, width: int, features: list[str]) -> list[str]:
    from sklearn.base import OneToOneFeatureMixin

    if method == "transform" and not isinstance(est, OneToOneFeatureMixin):
        return [str(c) for c in est.get_feature_names_out()]
    if width == len(features) and method in ("transform", "reconstruct"):
        return list(features)
    return [f"{method}_{i}" for i in range(width)]


def apply_to_frame(est, method: str, frame: pd.DataFrame, features: list[str], keep: list[str], kwargs: dict) -> pd.DataFrame:
    """`est.<method>` of `frame[features]` as a frame with `frame`'s index, the `keep` columns first.

    The estimator gets a DataFrame when it was fitted on one (it checks the names), else the
    values as an array.

    Parameters
    ----------
    est : estimator
        The fitted estimator.
    method : str
        The method's name (checked with `check_method`).
    frame : pandas.DataFrame
        One partition.
    features : list of str
        The columns the model reads.
    keep : list of str
        Columns copied unchanged in front of the outputs.
    kwargs : dict
        Passed to the method.
    """
    X = frame[features]
    result = getattr(est, method)(X if hasattr(est, "feature_names_in_") else X.to_numpy(), **kwargs)
    if isinstance(result, pd.DataFrame):
        out = result.set_axis(frame.index, axis=0).infer_objects()
    else:
        result = np.asarray(result)
        if result.ndim == 1:
            out = pd.DataFrame({method: result}, index=frame.index)
        else:
            columns = _output_columns(est, method, result.shape[1], features)
            out = pd.DataFrame(result, index=frame.index, columns=columns).infer_objects()
    if keep:
        out = pd.concat([frame[keep], out], axis=1)
    return out
