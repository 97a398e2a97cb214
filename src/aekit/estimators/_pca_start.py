"""`init`: how an autoencoder that can start as the PCA of its training rows resolves 'auto',
starts, and lets that start compete for the best weights (the MLP and the conv family)."""

from __future__ import annotations

import dataclasses

from aekit.training._batching import MAX_STREAM_VALIDATION_ROWS, first_rows

__all__ = ["INITS", "PCAStart", "REAL_VALUED_LOSSES", "check_init"]

INITS = ("auto", "pca", "random")
REAL_VALUED_LOSSES = ("mse", "l1", "gaussian", "student_t")


def check_init(value) -> str:
    if value not in ("pca", "random"):
        raise ValueError("must be 'pca' or 'random'")
    return value


class PCAStart:
    """Mixin for estimators with an `init` parameter: they give `_pca_start_problem(output_activation)`
    (why the model cannot start as PCA, or None) and `_start_as_pca(module, rows)`; this resolves
    `init_`, starts the module, records the choice and makes a PCA start compete."""

    def _resolve_init(self, output_activation: str) -> str:
        """'pca' or 'random': what `init` means for this model and data (see `init`)."""
        problem = self._pca_start_problem(output_activation)
        if self.init == "pca" and problem is not None:
            raise ValueError(f"init='pca' needs a model that can start as PCA, but {problem}; use init='random' or 'auto'")
        return "pca" if self.init in ("pca", "auto") and problem is None else "random"

    def _before_training(self, module, X_train, Y_train) -> None:
        if self.init_ == "pca":
            self._start_as_pca(module, first_rows(X_train, next(module.parameters()).device, MAX_STREAM_VALIDATION_ROWS))

    def _fit_settings(self) -> dict:
        return {"init": self.init_}

    def _train_config(self):
        """A PCA start competes for the best weights (a random one is not a model to keep)."""
        return dataclasses.replace(super()._train_config(), start_competes=self.init_ == "pca")
