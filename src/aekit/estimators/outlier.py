"""`AutoEncoderOutlierDetector`: outliers are the samples an autoencoder trained on (mostly
normal) data reconstructs worst, in scikit-learn's `OutlierMixin` convention."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from aekit.estimators.autoencoder import AutoEncoder

MIN_FEATURE_ERROR = 1e-12


class AutoEncoderOutlierDetector(OutlierMixin, BaseEstimator):
    """Outlier detection by reconstruction error (or negative ELBO for a variational
    autoencoder), wrapping any aekit autoencoder.

    `fit` trains a clone of `autoencoder` on X and sets `offset_` so that a share
    `contamination` of the training samples score below it. `score_samples` is higher for
    normal samples (the negative reconstruction loss, the ELBO for a VAE, or the negative
    mean of standardised squared errors), `decision_function = score_samples - offset_`,
    and `predict` gives -1 for outliers (decision < 0) and +1 for inliers.

    Parameters
    ----------
    autoencoder : aekit estimator or None, default=None
        The model to fit (any estimator with `fit` and `score_samples`, plus `reconstruct`
        for standardize=True), e.g. `AutoEncoder(latent_dim=4)`,
        `DenoisingAutoEncoder()` or `VariationalAutoEncoder()`. None uses
        `AutoEncoder(latent_dim=4, hidden_dims=(64,), max_epochs=50)`. Scale tabular data
        first (a `StandardScaler` in a Pipeline).
    contamination : float in (0, 0.5], default=0.1
        Expected share of outliers in the training data; sets `offset_` and `threshold_`.
    standardize : bool, default=False
        False uses the autoencoder's own `score_samples` (negative per-sample loss, or the
        ELBO); True divides each feature's squared reconstruction error by its mean over the
        training data, so features the model reconstructs poorly everywhere do not dominate.
    random_state : int, RandomState or None, default=None
        When set, overrides the autoencoder's `random_state`.

    Attributes
    ----------
    autoencoder_ : estimator
        The fitted clone.
    offset_ : float
        The `contamination` quantile of the training scores.
    threshold_ : float
        The same cut as an anomaly score (higher = more abnormal): -offset_, i.e. samples
        whose reconstruction error exceeds it are outliers.
    feature_error_ : ndarray of shape (n_features,)
        Mean squared training error per feature (standardize=True only).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from aekit import AutoEncoder, AutoEncoderOutlierDetector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 1)) @ np.ones((1, 5)) + 0.05 * rng.normal(size=(300, 5))
    >>> det = AutoEncoderOutlierDetector(AutoEncoder(latent_dim=1, max_epochs=20), contamination=0.05, random_state=0).fit(X)
    >>> det.predict([[3.0, -3.0, 3.0, -3.0, 3.0]])
    array([-1])
    """

    _parameter_constraints: dict = {
        "autoencoder": [HasMethods(["fit", "score_samples"]), None],
        "contamination": [Interval(Real, 0, 0.5, closed="right")],
        "standardize": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, autoencoder=None, *, contamination=0.1, standardize=False, random_state=None):
        self.autoencoder = autoencoder
        self.contamination = contamination
        self.standardize = standardize
        self.random_state = random_state

    def _make_autoencoder(self):
        if self.autoencoder is None:
            model = AutoEncoder(latent_dim=4, hidden_dims=(64,), max_epochs=50)
        else:
            model = clone(self.autoencoder)
        if self.random_state is not None and "random_state" in model.get_params():
            model.set_params(random_state=self.random_state)
        if self.standardize and not hasattr(model, "reconstruct"):
            raise ValueError(f"standardize=True needs an autoencoder with `reconstruct`; {type(model).__name__} has none")
        return model

    def _squared_errors(self, X: np.ndarray) -> np.ndarray:
        return np.square(X - self.autoencoder_.reconstruct(X))  # (n, n_features)

    def _scores(self, X: np.ndarray) -> np.ndarray:
        if self.standardize:
            return -(self._squared_errors(X) / self.feature_error_).mean(axis=1)
        return np.asarray(self.autoencoder_.score_samples(X))

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Train the autoencoder on X (n_samples, n_features) and set the threshold from
        the training scores; y is ignored. Returns self."""
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self.autoencoder_ = self._make_autoencoder().fit(X)
        if self.standardize:
            self.feature_error_ = np.maximum(self._squared_errors(X).mean(axis=0), MIN_FEATURE_ERROR)
        self.offset_ = float(np.percentile(self._scores(X), 100.0 * self.contamination))
        self.threshold_ = -self.offset_
        return self

    def score_samples(self, X):
        """Normality of each sample (n_samples,); lower is more abnormal."""
        check_is_fitted(self)
        return self._scores(validate_data(self, X, reset=False, dtype=[np.float64, np.float32]))

    def decision_function(self, X):
        """score_samples(X) - offset_: negative for outliers, (n_samples,)."""
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """+1 for inliers, -1 for outliers: (n_samples,) of int."""
        return np.where(self.decision_function(X) < 0, -1, 1)
