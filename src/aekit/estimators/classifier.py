"""`AutoEncoderClassifier`: learn features from every input, labelled or not, with an
autoencoder, then fine-tune its encoder with a softmax head on the labelled ones."""

from __future__ import annotations

import copy
import warnings
from numbers import Integral, Real
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from torch import nn
from torch.nn import functional as F

from aekit.training._devices import resolve_device
from aekit.nn.corruptions import CORRUPTIONS
from aekit.estimators.autoencoder import AutoEncoder
from aekit.data._sources import DataSource
from aekit.data._sparse_input import vstack_rows
from aekit.training._batching import row_blocks
from aekit.estimators.base import (
    INFERENCE_BATCH,
    SPARSE_FORMAT,
    TRAINING_CONSTRAINTS,
    AekitEstimator,
    check_magnitude,
    check_numeric_frame,
    positive_ints,
    validate_X,
)
from aekit.nn.likelihoods import LIKELIHOODS
from aekit.nn.models import AutoEncoderModule, EncodeOf
from aekit.nn import ACTIVATIONS, MLPEncoder

__all__ = ["AutoEncoderClassifier"]


class ClassifierOutput(NamedTuple):
    """What a training forward pass of `EncoderClassifierModule` returns."""

    loss: torch.Tensor  # scalar: mean cross-entropy
    logits: torch.Tensor  # (batch, n_classes)


class EncoderClassifierModule(nn.Module):
    """x -> encoder -> code -> linear head -> class logits, trained with cross-entropy.

    `forward(x, y)` takes class indices y (batch,) and returns a `ClassifierOutput`;
    `sample_losses(x, y)` gives the per-sample cross-entropy, so `aekit.training.train` fits
    it as it fits an autoencoder.
    """

    def __init__(self, encoder: nn.Module, latent_dim: int, n_classes: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(latent_dim, n_classes)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)  # (batch, latent_dim)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))  # (batch, n_classes)

    def log_proba(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.logits(x), dim=1)  # (batch, n_classes)

    def sample_losses(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of each sample: (batch,)."""
        return F.cross_entropy(self.logits(x), y, reduction="none")

    def forward(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> ClassifierOutput:
        logits = self.logits(x)
        return ClassifierOutput(F.cross_entropy(logits, y), logits)


def encoder_of(autoencoder) -> nn.Module:
    """A float32 copy of a fitted autoencoder's encoder, as a module mapping x to the code."""
    module = autoencoder.module_
    if isinstance(module, AutoEncoderModule):
        return copy.deepcopy(module.encoder).float()
    return EncodeOf(copy.deepcopy(module).float())


LABEL_DTYPE_KINDS = {bool: "bO", str: "UO", Real: "iufO"}  # what a dtype of each kind of saved label may be


def classes_to_json(classes: np.ndarray) -> dict:
    """`classes_` (n_classes,) as JSON: {'labels': [...], 'dtype': its NumPy dtype string}."""
    return {"labels": classes.tolist(), "dtype": classes.dtype.str}


def classes_from_json(saved: object) -> np.ndarray:
    """Saved class labels back to `classes_`: {'labels': [...], 'dtype': ...} as `classes_to_json`
    writes them (the dtype fitted with, e.g. int8 or object), or a plain list of strings,
    numbers or booleans (folders saved before the dtype was kept)."""
    values = saved["labels"] if isinstance(saved, dict) and set(saved) == {"labels", "dtype"} else saved
    if not isinstance(values, list) or len(values) < 2:
        raise ValueError("classes_ must list at least two labels")
    kinds = {bool if isinstance(v, bool) else str if isinstance(v, str) else Real if isinstance(v, Real) else None for v in values}
    if None in kinds or len(kinds) != 1:
        raise ValueError("classes_ must be all strings, all numbers or all booleans")
    if values is saved:
        return np.asarray(values)
    dtype = saved["dtype"]
    try:
        if not isinstance(dtype, str):
            raise TypeError("a dtype must be given as a string")
        dtype = np.dtype(dtype)
        labels = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as err:
        raise ValueError(f"classes_ cannot be held as dtype {saved['dtype']!r}: {err}") from err
    if dtype.kind not in LABEL_DTYPE_KINDS[kinds.pop()] or labels.tolist() != values:
        raise ValueError(f"classes_ {values} cannot be held as dtype {saved['dtype']!r}")
    return labels


def _check_labels_present(y) -> None:
    """Refuse labels y (n_samples,) with missing entries (None, NaN, pandas' NA), naming how many
    and the first one's row: scikit-learn's refusals ('boolean value of NA is ambiguous', "'<' not
    supported between 'NoneType' and 'str'") named neither."""
    import pandas as pd

    labels = np.asarray(y, dtype=object)
    if labels.ndim == 0 or labels.size == 0:
        return
    missing = np.asarray(pd.isna(labels), dtype=bool).reshape(len(labels), -1).any(axis=1)
    if missing.any():
        raise ValueError(f"y has missing labels (None, NaN or NA) in {int(missing.sum())} rows, first in row "
                         f"{int(np.flatnonzero(missing)[0])}: drop those rows from X and y, or pass their X as "
                         "fit(X_unlabeled=...), whose rows pretrain the autoencoder")


@torch.no_grad()
def fit_head_by_logistic_regression(module: EncoderClassifierModule, X, y: torch.Tensor) -> None:
    """Set the head of `module` to scikit-learn's multinomial logistic regression (L2, C=1) of
    class indices y (n,) on the codes of X (n, n_features; a tensor, or a scipy.sparse matrix
    densified block by block): the start for fine-tuning. Classes y lacks (a first
    `partial_fit` piece without some of its `classes`) keep the head's initial weights."""
    device = next(module.parameters()).device
    dtype = module.head.weight.dtype
    codes = torch.cat([module.encode(torch.as_tensor(b, device=device, dtype=dtype)) for _, b in row_blocks(X, INFERENCE_BATCH)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        logistic = LogisticRegression(max_iter=1000).fit(codes.double().cpu().numpy(), y.cpu().numpy())
    weight, bias = logistic.coef_, logistic.intercept_
    if weight.shape[0] == 1:  # two classes: one logit difference, split evenly between the two outputs
        weight, bias = np.concatenate([-weight, weight]) / 2, np.concatenate([-bias, bias]) / 2
    head, rows = module.head, torch.as_tensor(logistic.classes_, dtype=torch.long)
    head.weight[rows] = torch.as_tensor(weight, dtype=head.weight.dtype, device=device)
    head.bias[rows] = torch.as_tensor(bias, dtype=head.bias.dtype, device=device)


class AutoEncoderClassifier(ClassifierMixin, AekitEstimator):
    """Semi-supervised classifier: autoencoder pretraining on all inputs, then fine-tuning of
    the encoder and a softmax head on the labelled ones.

    `fit(X, y, X_unlabeled=X_big)` trains an `AutoEncoder` on X and X_unlabeled together for
    `pretrain_epochs` and copies its encoder; a linear softmax layer on the code starts as the
    logistic regression of y on the codes (fine-tuning starts from the linear probe), then
    encoder and head are trained on (X, y) with cross-entropy for `max_epochs`.
    `pretrain_epochs=0` trains the same network from random weights on the labels alone (the
    baseline pretraining should beat).
    `fit(X, y, pretrained=ae)` starts from the encoder of an already fitted autoencoder
    instead (transfer learning; `latent_dim`, `hidden_dims` and `activation` then come from it).

    Parameters
    ----------
    latent_dim : int, default=32
        Size of the code the head reads.
    hidden_dims : sequence of int, default=(256, 128)
        Widths of the encoder's hidden layers (the pretraining decoder mirrors them).
    activation : {'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}, default='relu'
    loss : {'mse', 'bce', 'l1', 'gaussian', ...}, default='mse'
        Reconstruction loss of the pretraining ('bce' suits inputs in [0, 1]); another than the
        default is refused where nothing is pretrained (pretrain_epochs=0, `pretrained`).
    corruption : {None, 'gaussian', 'mask', 'salt_pepper', 'block'}, default=None
        Input noise during pretraining (a denoising autoencoder); refused, as `loss`, where
        nothing is pretrained.
    corruption_level : float, default=0.2
    pretrain_epochs : int, default=100
        Epochs of autoencoder pretraining; 0 skips it.
    optimizer, learning_rate, weight_decay, momentum, batch_size, grad_clip, precision, compile, lr_schedule, warm_start, distributed
        Optimisation settings, shared by both phases (see `AutoEncoder`).
    max_epochs : int, default=100
        Epochs of fine-tuning on the labelled rows.
    max_time : float or None, default=None
        Budget in seconds for each phase.
    validation_fraction : float, default=0.0
        Share of the rows held out in each phase to report a validation loss (and for early
        stopping); with few labels every one is usually better spent on training.
    early_stopping : int or None, default=None
        Patience in epochs on the validation loss, in each phase.
    device : str, default='auto'
    n_threads : int, 'auto' or None, default='auto'
        Torch threads for pretraining, fine-tuning and prediction, as for `AutoEncoder`.
    random_state : int, RandomState or None, default=None
        Seeds both phases.
    verbose : bool, default=False

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    module_ : EncoderClassifierModule
        The fine-tuned encoder and head (eval mode, float32).
    autoencoder_ : AutoEncoder or None
        The pretrained autoencoder (its encoder as before fine-tuning), None without pretraining.
    history_ : dict
        Fine-tuning loss per epoch, as `AutoEncoder.history_`.
    n_epochs_ : int
        Fine-tuning epochs run.
    n_threads_ : int
        Torch threads fine-tuning used.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.

    `save(path)` writes the fine-tuned network (and the pretrained autoencoder's own folder)
    without pickle; `AutoEncoderClassifier.load(path)` reads it back.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from aekit.estimators.classifier import AutoEncoderClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> clf = AutoEncoderClassifier(latent_dim=16, pretrain_epochs=5, max_epochs=20, random_state=0)
    >>> clf.fit(X[:100], y[:100], X_unlabeled=X[100:]).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        **TRAINING_CONSTRAINTS,
        "hidden_dims": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "loss": [StrOptions(set(LIKELIHOODS))],
        "corruption": [StrOptions(set(CORRUPTIONS)), None],
        "corruption_level": [Interval(Real, 0, None, closed="left")],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left")],
    }

    _fitted_state = {"classes_": classes_from_json, "code_dim_": int}
    _fitted_writers = {"classes_": classes_to_json}
    _nested = ("autoencoder_",)
    _sparse_input = True

    def __init__(
        self,
        latent_dim=32,
        *,
        hidden_dims=(256, 128),
        activation="relu",
        loss="mse",
        corruption=None,
        corruption_level=0.2,
        pretrain_epochs=100,
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        momentum=0.9,
        batch_size=256,
        max_epochs=100,
        max_time=None,
        validation_fraction=0.0,
        early_stopping=None,
        grad_clip=None,
        precision="32",
        compile=False,
        lr_schedule=None,
        warm_start=False,
        distributed=False,
        device="auto",
        n_threads="auto",
        random_state=None,
        verbose=False,
    ):
        self.latent_dim = latent_dim
        self.hidden_dims = hidden_dims
        self.activation = activation
        self.loss = loss
        self.corruption = corruption
        self.corruption_level = corruption_level
        self.pretrain_epochs = pretrain_epochs
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.max_time = max_time
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.grad_clip = grad_clip
        self.precision = precision
        self.compile = compile
        self.lr_schedule = lr_schedule
        self.warm_start = warm_start
        self.distributed = distributed
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    def _seed(self) -> int:
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1, size=2)[1])

    def _pretrain(self, X: np.ndarray, X_unlabeled) -> AutoEncoder:
        if X_unlabeled is not None:
            X_unlabeled = self._validate_X(X_unlabeled, reset=False)
            if isinstance(X_unlabeled, DataSource):  # a .npy or Parquet file: its rows read whole, to go with X's
                X_unlabeled = X_unlabeled.read(0, X_unlabeled.n_rows, dtype=X.dtype)
        X_all = X if X_unlabeled is None else vstack_rows(X, X_unlabeled)
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1, size=2)[0])
        shared = {k: v for k, v in self.get_params(deep=False).items() if k in AutoEncoder().get_params()}
        return AutoEncoder(
            **{**shared, "max_epochs": self.pretrain_epochs, "random_state": seed, "warm_start": False, "init": "random"}
        ).fit(X_all)  # the PCA start is not measured for pretraining yet: the random start the figures were made with

    def _pretrained(self, X: np.ndarray, X_unlabeled, pretrained):
        """The autoencoder whose encoder fine-tuning starts from (None: random weights)."""
        pretraining = [f"{k}={getattr(self, k)!r}" for k in ("loss", "corruption") if getattr(self, k) != self._default(k)]
        if pretraining and (pretrained is not None or self.pretrain_epochs == 0):
            why = "fit(pretrained=...) gives an autoencoder already trained" if pretrained is not None else "pretrain_epochs=0 skips it"
            raise ValueError(f"{' and '.join(pretraining)} set{'s' if len(pretraining) == 1 else ''} how the autoencoder is "
                             f"pretrained, but {why}: leave {'it at its default' if len(pretraining) == 1 else 'them at their defaults'}")
        if pretrained is not None:
            if X_unlabeled is not None:
                raise ValueError("pass X_unlabeled (to pretrain here) or pretrained (already pretrained), not both")
            check_is_fitted(pretrained)
            if not hasattr(pretrained, "module_"):
                raise ValueError(f"pretrained must be a fitted aekit autoencoder, whose network (module_) holds the encoder "
                                 f"fine-tuning starts from; the fitted {type(pretrained).__name__} given has none")
            if pretrained.n_features_in_ != X.shape[1]:
                raise ValueError(
                    f"X has {X.shape[1]} features, but the pretrained autoencoder was fitted on {pretrained.n_features_in_}"
                )
            names, fitted = getattr(self, "feature_names_in_", None), getattr(pretrained, "feature_names_in_", None)
            if names is not None and fitted is not None and not np.array_equal(names, fitted):
                first = int(np.flatnonzero(names != fitted)[0])
                raise ValueError(
                    f"X's columns are not the pretrained autoencoder's, in its order: column {first} is {names[first]!r} in X "
                    f"and {fitted[first]!r} in its feature_names_in_; pass X[pretrained.feature_names_in_]"
                )
            return pretrained
        return self._pretrain(X, X_unlabeled) if self.pretrain_epochs > 0 else None

    def _training_data(self, X, y, reset: bool, X_unlabeled=None, pretrained=None, classes=None):
        """(X, class indices of y); in a new fit, also `classes_` (all of `classes` when given,
        as partial_fit's first call may), the pretrained `autoencoder_` and `code_dim_`."""
        check_numeric_frame(X, type(self).__name__, reset)
        _check_labels_present(y)
        X, y = validate_X(self, X, y=y, reset=reset, dtype=[np.float64, np.float32], accept_sparse=SPARSE_FORMAT)
        check_magnitude(X)
        check_classification_targets(y)
        if not reset:
            given = [name for name, value in (("X_unlabeled", X_unlabeled), ("pretrained", pretrained)) if value is not None]
            if given:
                raise ValueError(f"{' and '.join(given)} set{'s' if len(given) == 1 else ''} how a new fit is pretrained, but "
                                 "warm_start=True continues fine-tuning the fitted network, which it would not change: set "
                                 f"warm_start=False to fit anew, or leave {' and '.join(given)} out")
            unknown = np.setdiff1d(y, self.classes_)
            if unknown.size:
                raise ValueError(f"y has labels {unknown.tolist()} that the fitted classes_ {self.classes_.tolist()} lack")
            return X, np.searchsorted(self.classes_, y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if classes is not None:
            self.classes_ = np.unique(classes)
            unknown = np.setdiff1d(y, self.classes_)
            if unknown.size:
                raise ValueError(f"y has labels {unknown.tolist()} that are not in classes {self.classes_.tolist()}")
            y_index = np.searchsorted(self.classes_, y)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 classes in y, got one class: {self.classes_[0]!r}")
        self.autoencoder_ = self._pretrained(X, X_unlabeled, pretrained)
        self.code_dim_ = int(self.autoencoder_.code_dim_) if self.autoencoder_ is not None else int(self.latent_dim)
        return X, y_index

    def _check_loaded(self, path: Path) -> None:
        if self.autoencoder_ is None and self.pretrain_epochs > 0:  # folders saved before config.json listed its folders
            raise FileNotFoundError(f"{str(path / 'autoencoder')!r} is missing: an {type(self).__name__} with "
                                    f"pretrain_epochs={self.pretrain_epochs} keeps its pretrained autoencoder there")

    def _new_module(self) -> EncoderClassifierModule:
        if self.autoencoder_ is not None:
            encoder = encoder_of(self.autoencoder_)
        else:
            encoder = MLPEncoder(self.n_features_in_, self.latent_dim, positive_ints(self.hidden_dims, "hidden_dims"), self.activation)
        return EncoderClassifierModule(encoder, self.code_dim_, len(self.classes_))

    def _before_training(self, module, X_train, Y_train, X_val=None) -> None:
        fit_head_by_logistic_regression(module, X_train, Y_train)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, X_unlabeled=None, pretrained=None, callbacks=(), checkpoint=None):
        """Pretrain on X (n_samples, n_features) and X_unlabeled (n_unlabeled, n_features)
        (ignored when pretrain_epochs=0), or start from `pretrained` (a fitted aekit
        autoencoder), then fine-tune on the labels y (n_samples,). With `warm_start=True` a
        second fit continues fine-tuning the fitted network. Returns self.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The labelled rows.
        y : array-like of shape (n_samples,)
            Their class labels (at least 2 classes).
        X_unlabeled : array-like, sparse matrix, str, Path or None, default=None
            More rows (n_unlabeled, n_features), without labels, that pretraining learns from
            along with X (a `.npy` or Parquet path is read whole); not allowed with `pretrained`.
        pretrained : fitted aekit autoencoder or None, default=None
            An autoencoder fitted on rows of X's features whose encoder fine-tuning starts from,
            in place of pretraining here.
        callbacks : sequence of objects, default=()
            Fine-tuning callbacks, as `AutoEncoder.fit` takes them.
        checkpoint : Checkpointer or None, default=None
            Saves the fine-tuning state after every epoch and restores it when resuming, as for
            `AutoEncoder.fit`.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        return self._fit_module(X, y, callbacks=callbacks, checkpoint=checkpoint, X_unlabeled=X_unlabeled, pretrained=pretrained)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log-probabilities of the classes (in `classes_` order): (n_samples, n_classes).

        Parameters
        ----------
        X : array-like, sparse matrix, str or Path
            Rows (n_samples, n_features); also a `.npy` or Parquet path or a memory-mapped
            `.npy` (read in chunks).

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Natural logarithms of the class probabilities.
        """
        check_is_fitted(self)
        return self._batched("log_proba", self._validate_X(X, reset=False))

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of the classes (in `classes_` order): (n_samples, n_classes).

        Parameters
        ----------
        X : array-like, sparse matrix, str or Path
            Rows (n_samples, n_features); also a `.npy` or Parquet path or a memory-mapped
            `.npy` (read in chunks).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Each row sums to 1.
        """
        return np.exp(self.predict_log_proba(X))

    def decision_function(self, X) -> np.ndarray:
        """Class logits (n_samples, n_classes); for two classes, the logit difference (n_samples,).

        Parameters
        ----------
        X : array-like, sparse matrix, str or Path
            Rows (n_samples, n_features); also a `.npy` or Parquet path or a memory-mapped
            `.npy` (read in chunks).

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            The logits; with two classes, the second class's logit minus the first's.
        """
        check_is_fitted(self)
        logits = self._batched("logits", self._validate_X(X, reset=False))
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row: (n_samples,).

        Parameters
        ----------
        X : array-like, sparse matrix, str or Path
            Rows (n_samples, n_features); also a `.npy` or Parquet path or a memory-mapped
            `.npy` (read in chunks).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from `classes_`.
        """
        check_is_fitted(self)
        logits = self._batched("logits", self._validate_X(X, reset=False))
        return self.classes_[np.argmax(logits, axis=1)]
