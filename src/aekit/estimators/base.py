"""`BaseAutoEncoder`: what every aekit estimator shares (fit template, batched inference,
feature names, persistence, presets), so a new estimator defines only its parameters and how
to build its torch module."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import re
from functools import partial
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from aekit._blockwise import apply_in_batches
from aekit._devices import resolve_device
from aekit._precision import PRECISIONS
from aekit._sources import DataSource, open_source
from aekit.persistence import fitted_to_json, load_weights, params_to_json, read_estimator, register_estimator, restore_fitted, save_model
from aekit.training import LR_SCHEDULES, OPTIMIZERS, Checkpoint, History, TrainConfig, train

__all__ = ["BaseAutoEncoder"]

INFERENCE_BATCH = 4096
MAX_STREAM_VALIDATION_ROWS = 65536  # held-out rows read into memory when X streams from disk
MAX_ABS_INPUT = 1e15  # beyond this, float32 squared errors summed over a batch overflow

TRAINING_CONSTRAINTS: dict = {
    "latent_dim": [Interval(Integral, 1, None, closed="left")],
    "optimizer": [StrOptions(set(OPTIMIZERS))],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "momentum": [Interval(Real, 0, 1, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "max_time": [Interval(Real, 0, None, closed="neither"), None],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "early_stopping": [Interval(Integral, 1, None, closed="left"), None],
    "grad_clip": [Interval(Real, 0, None, closed="neither"), None],
    "precision": [StrOptions(set(PRECISIONS))],
    "lr_schedule": [StrOptions(set(LR_SCHEDULES)), None],
    "device": [str, torch.device],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def check_magnitude(X: np.ndarray, name: str = "X") -> None:
    """Refuse values beyond MAX_ABS_INPUT, whose float32 squared errors overflow."""
    largest = max(abs(float(X.min())), abs(float(X.max()))) if X.size else 0.0
    if largest > MAX_ABS_INPUT:
        raise ValueError(
            f"{name} has values as large as {largest:.3g}; models compute in float32, where squared errors "
            f"of such values overflow. Scale {name} first (e.g. StandardScaler); the limit is {MAX_ABS_INPUT:g}"
        )


def check_numeric_frame(X, name: str = "X") -> None:
    """Refuse a DataFrame with non-numeric columns, naming them (numpy input passes through)."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    bad = [str(c) for c, dt in zip(X.columns, dtypes) if not (is_numeric_dtype(dt) or is_bool_dtype(dt))]
    if bad:
        raise ValueError(
            f"{name} has non-numeric columns {bad}; encode them as numbers first "
            "(for example with sklearn's OneHotEncoder in a ColumnTransformer)"
        )


def train_config_of(estimator) -> TrainConfig:
    """The `TrainConfig` of an estimator: its parameters that share a field's name (the rest
    keep TrainConfig's defaults)."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in estimator.get_params(deep=False).items() if k in names})
    config.verbose = bool(config.verbose)
    return config


def positive_ints(value, name: str) -> tuple[int, ...]:
    """`value` as a tuple of positive ints, or a ValueError naming `name`."""
    try:
        dims = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of positive integers, got {value!r}") from None
    if not all(isinstance(d, Integral) and not isinstance(d, bool) and d > 0 for d in dims):
        raise ValueError(f"{name} must be a sequence of positive integers, got {value!r}")
    return tuple(int(d) for d in dims)


def _preset_init(parent_init, defaults: dict, cls_name: str):
    """An `__init__` with `parent_init`'s parameters and `defaults` as new defaults."""
    parent = inspect.signature(parent_init)
    unknown = set(defaults) - set(parent.parameters)
    if unknown:
        raise TypeError(f"{cls_name}._preset_defaults has unknown parameters {sorted(unknown)}")
    signature = parent.replace(
        parameters=[p.replace(default=defaults.get(p.name, p.default)) for p in parent.parameters.values()]
    )

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    __init__.__doc__ = f"Same parameters as the parent estimator; changed defaults: {defaults}."
    return __init__


def validate_X(estimator, X, **kwargs):
    """scikit-learn's `validate_data(estimator, X, **kwargs)` whose refusals name X: a
    ValueError or TypeError that does not already say X gets an 'X: ' prefix."""
    try:
        return validate_data(estimator, X, **kwargs)
    except (ValueError, TypeError) as err:
        if re.search(r"\bX\b", str(err)):
            raise
        raise type(err)(f"X: {err}") from err


class BaseAutoEncoder(TransformerMixin, BaseEstimator):
    """Shared machinery. Subclasses store their parameters in `__init__` (which must include
    those of `TRAINING_CONSTRAINTS`) and implement `_build_module(n_features, output_activation)`;
    they may override `_check_data_against_params`, `_epoch_start_hook` and `_after_fit`.

    A subclass that only sets `_preset_defaults = {name: value}` is a preset: it gets its
    parent's full signature with those defaults, so `get_params`, `clone` and `help()` see
    every parameter.
    """

    _parameter_constraints: dict = dict(TRAINING_CONSTRAINTS)
    _saved_attributes: dict = {}  # extra fitted attribute -> converter of its JSON value, set on load before _build_module

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register_estimator(cls)
        defaults = cls.__dict__.get("_preset_defaults")
        if defaults is not None:
            cls.__init__ = _preset_init(cls.__mro__[1].__init__, defaults, cls.__name__)

    # ---- hooks for subclasses ------------------------------------------------------------

    def _build_module(self, n_features: int, output_activation: str) -> torch.nn.Module:
        raise NotImplementedError

    def _check_data_against_params(self, X: np.ndarray) -> str:
        """Checks that need the data; returns the output activation ('sigmoid' or 'linear')."""
        return "sigmoid" if X.min() >= 0 and X.max() <= 1 else "linear"

    def _epoch_start_hook(self, module: torch.nn.Module):
        """An optional `f(epoch)` run before each epoch (e.g. a KL warm-up schedule)."""
        return None

    def _after_fit(self, module: torch.nn.Module, X_train: torch.Tensor) -> None:
        """Set extra fitted attributes from the trained module and its training rows."""

    def _validate_targets(self, y, X: np.ndarray) -> np.ndarray | None:
        """Reconstruction targets from fit's `y`, (n_samples, n_outputs), or None to reconstruct X.

        The default ignores y (labels in a Pipeline); image-to-image estimators (e.g. gray to
        colour) return their validated targets, and `_build_module` then gets `n_outputs`."""
        return None

    # ---- fitting -------------------------------------------------------------------------

    def _seed(self) -> int:
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    def _train_config(self) -> TrainConfig:
        return train_config_of(self)

    def _validate_X(self, X, reset: bool) -> np.ndarray | DataSource:
        """X as a finite 2-D float array, or a `DataSource` when X is a `.npy`/Parquet path or
        a memory-mapped `.npy` (streamed; each chunk is checked as it is read). Every refusal is
        a ValueError or TypeError naming X."""
        source = open_source(X)
        if source is not None:
            return self._validate_source(source, reset)
        check_numeric_frame(X)
        X = validate_X(self, X, reset=reset, dtype=[np.float64, np.float32])
        check_magnitude(X)
        return X

    def _validate_source(self, source: DataSource, reset: bool) -> DataSource:
        if reset:
            self.n_features_in_ = source.n_features
            if source.feature_names is not None:
                self.feature_names_in_ = source.feature_names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        elif source.n_features != self.n_features_in_:
            raise ValueError(
                f"X has {source.n_features} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        elif source.feature_names is not None and hasattr(self, "feature_names_in_"):
            if list(source.feature_names) != list(self.feature_names_in_):
                raise ValueError(
                    f"X: {source.describe()} has column names {list(source.feature_names)}, but "
                    f"{type(self).__name__} was fitted with {list(self.feature_names_in_)}"
                )
        return source

    def _split(self, X: np.ndarray | DataSource, Y: np.ndarray | None, seed: int, device: torch.device):
        """(X_train, X_val, Y_train, Y_val): tensors on `device` (X_train stays a `DataSource`
        when streamed, with its last rows, at most `MAX_STREAM_VALIDATION_ROWS`, held out)."""
        n = X.shape[0]
        n_val = int(round(self.validation_fraction * n))
        if isinstance(X, DataSource):
            n_val = min(n_val, MAX_STREAM_VALIDATION_ROWS)
            if not 0 < n_val < n:
                return X, None, None, None
            return X.head(n - n_val), torch.from_numpy(X.read(n - n_val, n)).to(device), None, None
        X_all = torch.tensor(np.ascontiguousarray(X), dtype=torch.float32, device=device)
        Y_all = None if Y is None else torch.tensor(np.ascontiguousarray(Y), dtype=torch.float32, device=device)
        if not 0 < n_val < n:
            return X_all, None, Y_all, None
        order = torch.as_tensor(np.random.RandomState(seed).permutation(n), device=device)
        train, val = order[n_val:], order[:n_val]
        if Y_all is None:
            return X_all[train], X_all[val], None, None
        return X_all[train], X_all[val], Y_all[train], Y_all[val]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, checkpoint: Checkpoint | None = None):
        """Train on X of shape (n_samples, n_features); y is ignored unless the estimator maps
        inputs to different targets (see `_validate_targets`). Returns self.

        `checkpoint` (see `aekit.checkpoint.Checkpointer`) saves the training state after every
        epoch and, when resuming, restores it first, so an interrupted fit continues exactly.
        """
        X = self._validate_X(X, reset=True)
        Y = self._validate_targets(y, X)
        device = resolve_device(self.device)
        output_activation = self._check_data_against_params(X if Y is None else Y)
        seed = self._seed()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self._build_module(X.shape[1], output_activation).to(device)
        X_train, X_val, Y_train, Y_val = self._split(X, Y, seed, device)
        generator = torch.Generator(device=device).manual_seed(seed)
        history: History = train(
            module,
            X_train,
            self._train_config(),
            generator,
            X_val=X_val,
            Y=Y_train,
            Y_val=Y_val,
            on_epoch_start=self._epoch_start_hook(module),
            checkpoint=checkpoint,
        )
        self.module_ = module
        self.history_ = history.as_dict()
        self.n_epochs_ = len(history.loss)
        self.output_activation_ = output_activation
        if isinstance(X_train, DataSource):
            X_train = torch.from_numpy(X_train.read(0, min(X_train.n_rows, MAX_STREAM_VALIDATION_ROWS))).to(device)
        self._after_fit(module, X_train)
        return self

    # ---- inference -----------------------------------------------------------------------

    def _inference_module(self, dtype: torch.dtype) -> torch.nn.Module:
        """The fitted module, or a float64 copy of it for float64 input (not cached on self)."""
        return self.module_ if dtype == torch.float32 else copy.deepcopy(self.module_).to(dtype)

    def _batched(self, method: str, A: np.ndarray | DataSource, **kwargs) -> np.ndarray:
        """Apply `module_.<method>` to A in batches under inference mode, keeping A's float dtype
        (float32 for a streamed `DataSource`, read one chunk at a time)."""
        streamed = isinstance(A, DataSource)
        dtype = torch.float64 if not streamed and A.dtype == np.float64 else torch.float32
        module = self._inference_module(dtype)
        device = next(self.module_.parameters()).device
        fn = getattr(module, method)
        blocks = ((start, A.read(start, stop)) for start, stop in A.chunks(16 * INFERENCE_BATCH)) if streamed else [(0, A)]
        with torch.inference_mode():
            return apply_in_batches(
                partial(fn, **kwargs), blocks, A.shape[0], INFERENCE_BATCH,
                dtype=dtype, device=device, out_dtype=np.float32 if streamed else A.dtype,
            )  # fmt: skip

    def transform(self, X):
        """Codes of X: (n_samples, latent_dim)."""
        check_is_fitted(self)
        return self._batched("encode", self._validate_X(X, reset=False))

    def inverse_transform(self, X):
        """Decode codes X of shape (n_samples, latent_dim) back to (n_samples, n_features)."""
        check_is_fitted(self)
        Z = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if Z.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {Z.shape[1]} columns, but {type(self).__name__}.inverse_transform expects "
                f"codes with {self._n_features_out} columns, as transform returns them"
            )
        return self._batched("decode", Z)

    def reconstruct(self, X):
        """Decoded codes of X, i.e. inverse_transform(transform(X)): (n_samples, n_features)."""
        check_is_fitted(self)
        return self._batched("reconstruct", self._validate_X(X, reset=False))

    def score_samples(self, X):
        """Per-sample score, higher is better (the negative of the module's `sample_losses`):
        (n_samples,). Outliers score low."""
        check_is_fitted(self)
        return -self._batched("sample_losses", self._validate_X(X, reset=False))

    def score(self, X, y=None):
        """Mean of `score_samples(X)`, so model selection (GridSearchCV) prefers lower error."""
        return float(np.mean(self.score_samples(X)))

    def get_feature_names_out(self, input_features=None):
        """Names of the code columns: ae0, ae1, ..."""
        check_is_fitted(self, "n_features_in_")
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object)
            expected = getattr(self, "feature_names_in_", None)
            if len(input_features) != self.n_features_in_ or (
                expected is not None and not np.array_equal(input_features, expected)
            ):
                raise ValueError("input_features is not equal to feature_names_in_")
        return np.asarray([f"ae{i}" for i in range(self._n_features_out)], dtype=object)

    @property
    def code_dim_(self) -> int:
        """Width of the codes `transform` returns (latent_dim, or latent_dim * h * w for a
        convolutional bottleneck): the one place every caller reads the code size from."""
        check_is_fitted(self, "module_")
        return int(self.latent_dim)

    @property
    def _n_features_out(self) -> int:
        return self.code_dim_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ---- persistence ---------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to folder `path` (config.json + model.safetensors)."""
        check_is_fitted(self)
        params = params_to_json(self.get_params(deep=False))
        fitted = fitted_to_json(self, {"n_features_in_": int(self.n_features_in_), "output_activation_": self.output_activation_})
        return save_model(path, type(self).__name__, params, fitted, self.module_.state_dict())

    def to_onnx(self, path: str | Path) -> dict[str, Path]:
        """Export the encoder and decoder to `path`/encoder.onnx and decoder.onnx (see
        `aekit.export.to_onnx`); returns {'encoder': path, 'decoder': path}."""
        from aekit.export import to_onnx

        return to_onnx(self, path)

    @classmethod
    def load(cls, path: str | Path, device: str | None = None):
        """Load a model saved by `save`; reads JSON and safetensors only, never pickle.

        `device` overrides the saved device (default: the saved one, 'auto' resolved here).
        """
        est, fitted, state = read_estimator(cls, path, device)
        n_features = fitted.get("n_features_in_")
        if not isinstance(n_features, int) or n_features < 1:
            raise ValueError(f"{str(path)!r}: fitted.n_features_in_ must be a positive integer")
        output_activation = fitted.get("output_activation_")
        if output_activation not in ("linear", "sigmoid"):
            raise ValueError(f"{str(path)!r}: fitted.output_activation_ must be 'linear' or 'sigmoid'")
        restore_fitted(est, fitted, path)
        module = est._build_module(n_features, output_activation)
        est.module_ = load_weights(module, state, path, resolve_device(est.device))
        est.n_features_in_ = n_features
        est.output_activation_ = output_activation
        return est
