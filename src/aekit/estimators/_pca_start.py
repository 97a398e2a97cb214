"""`init`: how an autoencoder that can start as the PCA of its training rows resolves 'auto',
starts, and lets that start compete for the best weights (the MLP and the conv family).

The start is fitted on the training split only, so that the validation rows judge it as fairly
as the trained weights that compete with it. When it wins (early stopping restores it, nothing
trained on top of it), it is refitted on all the rows given to `fit`, training and validation
split together, as a model chosen on held-out rows is refitted on all of them: a PCA of 90 % of
the rows is a noisier estimate than PCA of them all (on 2,000 photo patches, code size 32,
held-out MSE 0.005557 against 0.005531), and the choice no longer needs the held-out rows.
"""

from __future__ import annotations

import dataclasses

import torch

from aekit.training._batching import MAX_STREAM_VALIDATION_ROWS, first_rows
from aekit.training.budget import AUTO, BASE_LEARNING_RATE

__all__ = ["INITS", "PCAStart", "REAL_VALUED_LOSSES", "check_init"]

INITS = ("auto", "pca", "random")
REAL_VALUED_LOSSES = ("mse", "l1", "gaussian", "student_t")


def check_init(value) -> str:
    if value not in ("pca", "random"):
        raise ValueError("must be 'pca' or 'random'")
    return value


START_VALUES = 2**25  # a PCA start reads at most this many values of a split (wide images: fewer rows)
START_MIN_ROWS = 1024


def _start_rows(X, device) -> torch.Tensor:
    """The first rows of X (n, d) a PCA start is fitted to: at most MAX_STREAM_VALIDATION_ROWS,
    and for wide rows (large images) about START_VALUES values, so the start's float64 copy
    stays within a few hundred MB; a PCA of a few thousand rows estimates the leading
    directions well."""
    n = min(MAX_STREAM_VALIDATION_ROWS, max(START_MIN_ROWS, START_VALUES // max(1, X.shape[1])))
    return first_rows(X, device, n)


class PCAStart:
    """Mixin for estimators with an `init` parameter: they give `_pca_start_problem(output_activation)`
    (why the model cannot start as PCA, or None; the mixin checks the loss itself) and
    `_start_as_pca(module, rows, val_rows=None, chosen=None)`, which may use the validation rows
    (or None) to choose among starts and returns
    its choice as a dict for `history_['settings']`, or refits the `chosen` one; this resolves
    `init_`, starts the module, records the choice, makes a PCA start compete, and refits a
    winning start on all rows."""

    def _loss(self) -> str:
        """The loss this model trains with: `loss_` once fitted ('auto' resolved), else `loss`."""
        return getattr(self, "loss_", self.loss)

    def _loss_problem(self) -> str | None:
        """Why this model's loss rules out a PCA start (only a real-valued loss has PCA's optimum), or None."""
        if self._loss() in REAL_VALUED_LOSSES:
            return None
        chose = " (loss='auto' chose it for data in [0, 1]: set loss='mse')" if self.loss == AUTO else ""
        return f"loss={self._loss()!r} is not a real-valued reconstruction loss {REAL_VALUED_LOSSES}{chose}"

    def _resolve_init(self, output_activation: str) -> str:
        """'pca' or 'random': what `init` means for this model and data (see `init`)."""
        problem = self._loss_problem() or self._pca_start_problem(output_activation)
        if self.init == "pca" and problem is not None:
            raise ValueError(f"init='pca' needs a model that can start as PCA, but {problem}; use init='random' or 'auto'")
        return "pca" if self.init in ("pca", "auto") and problem is None else "random"

    def _before_training(self, module, X_train, Y_train, X_val=None) -> None:
        self._start_settings = {}
        if self.init_ == "pca":
            rows = _start_rows(X_train, next(module.parameters()).device)
            self._start_settings = self._start_as_pca(module, rows, X_val) or {}

    def _after_training(self, module, history, X_train, X_val) -> None:
        """Refit a PCA start that early stopping restored (no epoch beat it on the validation
        rows) on the training and validation rows together."""
        if self.init_ != "pca" or X_val is None or history.best_epoch is not None or not history.loss:
            return
        device = next(module.parameters()).device
        rows = torch.cat([_start_rows(X, device) for X in (X_train, X_val)])
        self._start_as_pca(module, rows, chosen=self._start_settings)
        history.settings["start_refitted_rows"] = int(rows.shape[0])

    def _fit_settings(self) -> dict:
        return {"init": self.init_, **getattr(self, "_start_settings", {})}

    def _train_config(self):
        """A PCA start competes for the best weights (a random one is not a model to keep); only
        a PCA start's learning_rate='auto' follows the batch (`aekit.training.budget`), a random
        start's is 1e-3."""
        config = dataclasses.replace(super()._train_config(), start_competes=self.init_ == "pca")
        if config.learning_rate == AUTO and self.init_ != "pca":
            config = dataclasses.replace(config, learning_rate=BASE_LEARNING_RATE)
        return config
