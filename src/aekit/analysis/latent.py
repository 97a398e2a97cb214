"""The latent space as a tool: densities fitted to codes to generate from, paths between two
inputs, and decoded walks over a 2-D code grid.

Everything here takes any fitted estimator with `transform` (inputs to codes) and
`inverse_transform` (codes to inputs): every aekit autoencoder, and scikit-learn's PCA as the
linear baseline.

The other uses of codes need no code of their own: scikit-learn works on them directly.

    from sklearn.cluster import KMeans
    from aekit.analysis.metrics import clustering_scores, retrieval_precision
    Z = ae.transform(X)                                       # (n_samples, latent_dim)
    clustering_scores(y, KMeans(10, n_init=10).fit_predict(Z))  # {'nmi': ..., 'ari': ...}
    retrieval_precision(ae.transform(X_query), y_query, Z, y, k=[1, 10, 100])
    make_pipeline(AutoEncoder(latent_dim=32), SVC()).fit(X, y)  # codes as features

(`sklearn.mixture.GaussianMixture` clusters the same way; `aekit.analysis.metrics.cluster_codes` does
either in one call.)
"""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.exceptions import NotFittedError
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from aekit.nn.code_projection import project_codes

__all__ = ["DENSITIES", "INTERPOLATIONS", "LatentSampler", "interpolate", "latent_grid", "slerp"]

DENSITIES = ("gaussian", "gmm", "kde")
INTERPOLATIONS = ("linear", "slerp", "pixel")
MIN_CODE_SCALE = 1e-12


class LatentSampler(BaseEstimator):
    """Generate new inputs by fitting a density to an autoencoder's codes and decoding draws.

    `fit(X)` encodes X, standardises each code dimension and fits the density there;
    `sample(n)` draws n codes from it and decodes them with the autoencoder's
    `inverse_transform`. The autoencoder must already be fitted; it is used, not refitted, so
    `sklearn.base.clone` of a sampler holds the same fitted autoencoder (as for a prefit
    estimator) and a search such as ``GridSearchCV(sampler, {'density': ['gaussian', 'gmm']})``
    compares densities by `score`, the mean log-density of held-out codes. Its parameters are
    not searched through the sampler: fit one autoencoder per setting and search over
    ``{'autoencoder': [FrozenEstimator(ae_a), FrozenEstimator(ae_b)]}``
    (`sklearn.frozen.FrozenEstimator`, as a search clones the values it tries), all of one code
    size, as log-densities of codes of other sizes do not compare.

    Parameters
    ----------
    autoencoder : fitted estimator with `transform` and `inverse_transform`
        E.g. a fitted `aekit.AutoEncoder`, or `sklearn.decomposition.PCA`.
    density : {'gaussian', 'gmm', 'kde'}, default='gaussian'
        One full-covariance Gaussian, a Gaussian mixture (`sklearn.mixture.GaussianMixture`),
        or a Gaussian kernel density (`sklearn.neighbors.KernelDensity`).
    n_components : int, default=10
        Mixture components for density='gmm'; at most one per distinct code.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        Covariance form of the mixture components for density='gmm'.
    bandwidth : float or {'scott', 'silverman'}, default='scott'
        Kernel width for density='kde', in units of each code dimension's standard deviation.
    random_state : int, RandomState or None, default=None
        Seeds the mixture's initialisation, and the draws of `sample` and `sample_codes` when
        they are given no `random_state`.

    Attributes
    ----------
    density_ : GaussianMixture or KernelDensity
        The density fitted to the standardised codes.
    code_mean_, code_scale_ : ndarray of shape (latent_dim,)
        Mean and standard deviation of the training codes (the standardisation).
    latent_dim_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from aekit import AutoEncoder
    >>> from aekit.analysis.latent import LatentSampler
    >>> X = load_digits().data / 16
    >>> ae = AutoEncoder(latent_dim=4, max_epochs=5, random_state=0).fit(X)
    >>> LatentSampler(ae, density="gmm", n_components=10, random_state=0).fit(X).sample(3, random_state=0).shape
    (3, 64)
    """

    _parameter_constraints: dict = {
        "autoencoder": [HasMethods(["transform", "inverse_transform"])],
        "density": [StrOptions(set(DENSITIES))],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions({"full", "tied", "diag", "spherical"})],
        "bandwidth": [Interval(Real, 0, None, closed="neither"), StrOptions({"scott", "silverman"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self, autoencoder, *, density="gaussian", n_components=10, covariance_type="full", bandwidth="scott", random_state=None
    ):
        self.autoencoder = autoencoder
        self.density = density
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.bandwidth = bandwidth
        self.random_state = random_state

    def __sklearn_clone__(self):
        params = self.get_params(deep=False)
        autoencoder = params.pop("autoencoder")
        return type(self)(autoencoder, **{name: clone(value, safe=False) for name, value in params.items()})

    def set_params(self, **params):
        """Set the sampler's parameters; those of its autoencoder (``autoencoder__*``) are
        refused, as the sampler uses the autoencoder as fitted.

        Parameters
        ----------
        **params : dict
            Parameter names and values, as `get_params` names them.

        Returns
        -------
        self : object
        """
        nested = sorted(name for name in params if name.startswith("autoencoder__"))
        if nested:
            raise ValueError(
                f"LatentSampler uses its autoencoder as fitted and never refits it, so {', '.join(nested)} cannot "
                "be set through the sampler: fit one autoencoder per setting and search over "
                "{'autoencoder': [FrozenEstimator(ae_a), FrozenEstimator(ae_b), ...]} (sklearn.frozen)"
            )
        return super().set_params(**params)

    def _standardize(self, Z) -> np.ndarray:
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[1] != self.latent_dim_:
            raise ValueError(f"codes must have shape (n, {self.latent_dim_}), got {Z.shape}")
        return (Z - self.code_mean_) / self.code_scale_

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Encode X (n_samples, n_features) and fit the density to its codes. Returns self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows the autoencoder's `transform` takes (at least 2).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted sampler.
        """
        try:
            if hasattr(self.autoencoder, "fit"):  # an estimator; any other object with the two methods is used as it is
                check_is_fitted(self.autoencoder)
        except NotFittedError:
            raise NotFittedError(
                f"LatentSampler uses its autoencoder as fitted and never fits it, but this {type(self.autoencoder).__name__} "
                "is not fitted: fit it first. A search over autoencoders clones each value it tries, unfitting it; "
                "give them as sklearn.frozen.FrozenEstimator(ae), which a clone keeps fitted"
            ) from None
        Z = np.asarray(self.autoencoder.transform(X), dtype=np.float64)  # (n_samples, latent_dim)
        if Z.ndim != 2 or Z.shape[0] < 2:
            raise ValueError(f"fitting a density needs at least 2 codes, got codes of shape {Z.shape}")
        self.latent_dim_ = Z.shape[1]
        self.code_mean_ = Z.mean(axis=0)
        scale = Z.std(axis=0)
        self.code_scale_ = np.where(scale > MIN_CODE_SCALE, scale, 1.0)
        S = (Z - self.code_mean_) / self.code_scale_
        if self.density == "kde":
            self.density_ = KernelDensity(kernel="gaussian", bandwidth=self.bandwidth).fit(S)
        else:
            k = 1 if self.density == "gaussian" else min(self.n_components, len(np.unique(S, axis=0)))
            covariance = "full" if self.density == "gaussian" else self.covariance_type
            self.density_ = GaussianMixture(k, covariance_type=covariance, random_state=self.random_state).fit(S)
        return self

    def sample_codes(self, n: int, random_state=None) -> np.ndarray:
        """n codes drawn from the fitted density, in random order: (n, latent_dim), float64. For an
        aekit model whose code activation limits its codes (TopK, binary codes, ReLU, sigmoid,
        tanh), the draws are put onto those codes (`aekit.nn.code_projection.project_codes`: k
        non-zeros, 0/1, ...), so the decoder reads codes like the ones it was trained on.

        Parameters
        ----------
        n : int
            Number of draws.
        random_state : int, RandomState or None, default=None
            Seeds the draws; None uses the sampler's `random_state`.

        Returns
        -------
        Z : ndarray of shape (n, latent_dim)
        """
        check_is_fitted(self)
        if not isinstance(n, Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        rng = check_random_state(self.random_state if random_state is None else random_state)
        if self.density == "kde":
            S = self.density_.sample(int(n), random_state=rng)
        else:
            mixture = copy.copy(self.density_)
            mixture.random_state = rng
            S = mixture.sample(int(n))[0][rng.permutation(int(n))]  # sample() groups draws by component
        Z = S * self.code_scale_ + self.code_mean_
        module = getattr(self.autoencoder, "module_", None)
        return Z if module is None else project_codes(module, Z)

    def sample(self, n: int, random_state=None, *, return_codes: bool = False):
        """n decoded draws: (n, n_features); with `return_codes`, also their codes (n, latent_dim).

        Parameters
        ----------
        n : int
            Number of draws.
        random_state : int, RandomState or None, default=None
            Seeds the draws; None uses the sampler's `random_state`.
        return_codes : bool, default=False
            Also return the drawn codes.

        Returns
        -------
        X : ndarray of shape (n, n_features)
            The decoded draws.
        Z : ndarray of shape (n, latent_dim)
            Their codes, only with `return_codes`.
        """
        Z = self.sample_codes(n, random_state)
        X = self.autoencoder.inverse_transform(Z)
        return (X, Z) if return_codes else X

    def score_codes(self, Z) -> np.ndarray:
        """Log-density of codes Z (n, latent_dim) under the fitted density: (n,).

        Parameters
        ----------
        Z : array-like of shape (n, latent_dim)
            Codes.

        Returns
        -------
        log_density : ndarray of shape (n,)
            In the codes' own units (the standardisation accounted for).
        """
        check_is_fitted(self)
        return self.density_.score_samples(self._standardize(Z)) - np.log(self.code_scale_).sum()

    def score_samples(self, X) -> np.ndarray:
        """Log-density of the codes of X (n_samples, n_features): (n_samples,).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows the autoencoder's `transform` takes.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.score_codes(self.autoencoder.transform(X))

    def score(self, X, y=None) -> float:
        """Mean log-density of the codes of X (n_samples, n_features) under the fitted density,
        the score a scikit-learn search maximises.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows the autoencoder's `transform` takes.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))


def slerp(z_a, z_b, t, center=None) -> np.ndarray:
    """Spherical interpolation of codes about `center` (default the origin).

    z_a, z_b (n, latent_dim) and t (steps,) in [0, 1] give (n, steps, latent_dim). The direction
    moves along the great circle from z_a's to z_b's at constant angular speed and the length
    (distance from `center`) changes linearly, so when both ends have the same length every
    point on the path has it too. Rows whose ends are parallel, opposite or at the center have
    no unique great circle and are interpolated linearly.

    Parameters
    ----------
    z_a : array-like of shape (n, latent_dim) or (latent_dim,)
        Start codes.
    z_b : array-like of the same shape
        End codes.
    t : array-like of shape (steps,)
        Positions along the path, in [0, 1].
    center : array-like of shape (latent_dim,) or None, default=None
        The point the path turns about; None is the origin.

    Returns
    -------
    path : ndarray of shape (n, steps, latent_dim)
        n is 1 for 1-D ends.
    """
    z_a, z_b = np.atleast_2d(np.asarray(z_a, dtype=np.float64)), np.atleast_2d(np.asarray(z_b, dtype=np.float64))
    t = np.asarray(t, dtype=np.float64).reshape(1, -1, 1)  # (1, steps, 1)
    c = np.zeros(z_a.shape[1]) if center is None else np.asarray(center, dtype=np.float64)
    if c.shape != (z_a.shape[1],) or not np.isfinite(c).all():
        raise ValueError(f"center must be one finite code of shape ({z_a.shape[1]},), the codes' length; got "
                         f"{'shape ' + str(c.shape) if c.shape != (z_a.shape[1],) else c.tolist()}")
    a, b = z_a - c, z_b - c
    r_a, r_b = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)  # (n,)
    tiny = np.finfo(np.float64).eps
    u_a, u_b = a / np.maximum(r_a, tiny)[:, None], b / np.maximum(r_b, tiny)[:, None]
    omega = np.arccos(np.clip((u_a * u_b).sum(axis=1), -1.0, 1.0))[:, None, None]  # (n, 1, 1)
    sin_omega = np.sin(omega)
    ok = (sin_omega > 1e-7) & (np.minimum(r_a, r_b) > tiny)[:, None, None]
    safe = np.where(ok, sin_omega, 1.0)
    direction = (np.sin((1 - t) * omega) * u_a[:, None] + np.sin(t * omega) * u_b[:, None]) / safe
    radius = (1 - t) * r_a[:, None, None] + t * r_b[:, None, None]
    spherical = c + radius * direction
    linear = (1 - t) * z_a[:, None] + t * z_b[:, None]
    return np.where(ok, spherical, linear)


def _encode(autoencoder, X: np.ndarray) -> np.ndarray:
    """Codes of rows X (n, n_features) as float64, given as a DataFrame with the names of the columns
    the autoencoder was fitted on (if it was fitted on a DataFrame), as scikit-learn expects."""
    names = getattr(autoencoder, "feature_names_in_", None)
    if names is not None and len(names) == X.shape[1]:
        import pandas as pd

        X = pd.DataFrame(X, columns=names)
    return np.asarray(autoencoder.transform(X), dtype=np.float64)


def _in_fitted_order(autoencoder, x, name: str):
    """x as given, once a DataFrame's columns (a Series' index, one row's) are checked to be those the
    autoencoder was fitted on, in its order: `interpolate` reads x as plain numbers in that order."""
    fitted = getattr(autoencoder, "feature_names_in_", None)
    labels = getattr(x, "columns", None) if np.ndim(x) == 2 else getattr(x, "index", None)
    if fitted is None or labels is None or not hasattr(x, "to_numpy"):
        return x
    labels = np.asarray(labels, dtype=object)
    if labels.shape == fitted.shape and (labels == fitted).all():
        return x
    where = (f"column {int(np.flatnonzero(labels != fitted)[0])} differs" if labels.shape == fitted.shape
             else f"it has {len(labels)} columns, the model {len(fitted)}")
    raise ValueError(f"{name}'s columns are not those {type(autoencoder).__name__} was fitted on, in its order ({where}): "
                     f"pass {name}[model.feature_names_in_]")


def _as_rows(autoencoder, x):
    """x as the flat input(s) `interpolate` reads: an image of the shape the autoencoder was fitted
    on (`input_shape_` or `image_shape_`, channels-first, a grey one with its channel or without)
    as one row (n_features,), a batch of them (n, ...) as rows (n, n_features); anything else as given."""
    shape = getattr(autoencoder, "input_shape_", None) or getattr(autoencoder, "image_shape_", None)
    if shape is None or issparse(x) or np.ndim(x) < 2:
        return x
    shape, x = tuple(int(s) for s in shape), np.asarray(x)
    shapes = (shape, shape[1:]) if shape[0] == 1 else (shape,)
    if x.shape in shapes:
        return x.reshape(-1)
    return x.reshape(len(x), -1) if x.shape[1:] in shapes else x


def interpolate(
    autoencoder, x_a, x_b, steps: int = 10, method: str = "linear", *, center=None, return_codes: bool = False
):
    """Decoded path from x_a to x_b in `steps` evenly spaced points.

    'linear' and 'slerp' (see `slerp`, about `center`) move in code space and decode each
    point, so the ends are the reconstructions of x_a and x_b; 'pixel' blends the inputs
    themselves, the baseline a latent path should beat. x_a and x_b are one input
    (n_features,), giving (steps, n_features), or n inputs (n, n_features), giving
    (n, steps, n_features); for a model fitted on images, one image or n images of its shape
    (channels-first) are taken as one input or n, the path flat rows as `inverse_transform` gives them. With `return_codes`, also the path's codes, (..., steps, latent_dim)
    (for 'pixel', the codes of the blended inputs).

    Parameters
    ----------
    autoencoder : fitted estimator with `transform` and `inverse_transform`
        The model whose code space the path runs through.
    x_a : array-like or sparse matrix of shape (n_features,) or (n, n_features), or images
        Start inputs; a DataFrame's columns (a Series' index) must be the model's
        `feature_names_in_`, in its order.
    x_b : array-like of the same shape
        End inputs.
    steps : int, default=10
        Points on the path, ends included (at least 2).
    method : {'linear', 'slerp', 'pixel'}, default='linear'
        How the path is drawn.
    center : array-like of shape (latent_dim,) or None, default=None
        The point a 'slerp' path turns about; None is the origin. Refused with the other methods.
    return_codes : bool, default=False
        Also return the path's codes.

    Returns
    -------
    path : ndarray
        (steps, n_features) or (n, steps, n_features).
    codes : ndarray
        (..., steps, latent_dim), only with `return_codes`.
    """
    if method not in INTERPOLATIONS:
        raise ValueError(f"method must be one of {INTERPOLATIONS}, got {method!r}")
    if not isinstance(steps, Integral) or isinstance(steps, bool) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
    if center is not None and method != "slerp":
        raise ValueError(f"center is the point a method='slerp' path turns about; method={method!r} has none: "
                         "leave center out, or pass method='slerp'")
    x_a, x_b = (_in_fitted_order(autoencoder, x, name) for x, name in ((x_a, "x_a"), (x_b, "x_b")))
    x_a, x_b = (x.toarray() if issparse(x) else _as_rows(autoencoder, x) for x in (x_a, x_b))  # rows of word counts, say
    single = np.ndim(x_a) == 1
    A, B = np.atleast_2d(np.asarray(x_a, dtype=np.float64)), np.atleast_2d(np.asarray(x_b, dtype=np.float64))
    n_in = getattr(autoencoder, "n_features_in_", None)
    if A.ndim > 2 or (A.ndim == 2 and n_in is not None and A.shape[1] != n_in and A.size == n_in):  # one (H, W) image
        raise ValueError(
            f"x_a has shape {A.shape}: interpolate takes flat inputs, one (n_features,) or rows (n, n_features); "
            "flatten an image with x.reshape(-1) and a batch of images with X.reshape(len(X), -1)"
        )
    if A.shape != B.shape or A.ndim != 2:
        raise ValueError(f"x_a and x_b must have the same shape, (n_features,) or (n, n_features); got {A.shape} and {B.shape}")
    t = np.linspace(0.0, 1.0, steps)
    n, d = A.shape
    if method == "pixel":
        path = (1 - t)[None, :, None] * A[:, None] + t[None, :, None] * B[:, None]  # (n, steps, d)
        Z = _encode(autoencoder, path.reshape(n * steps, d)).reshape(n, steps, -1) if return_codes else None
    else:
        z_a, z_b = _encode(autoencoder, A), _encode(autoencoder, B)
        if method == "slerp":
            Z = slerp(z_a, z_b, t, center)
        else:
            Z = (1 - t)[None, :, None] * z_a[:, None] + t[None, :, None] * z_b[:, None]
        Z[:, 0], Z[:, -1] = z_a, z_b
        path = np.asarray(autoencoder.inverse_transform(Z.reshape(n * steps, -1))).reshape(n, steps, -1)
    if single:
        path = path[0]
        Z = None if Z is None else Z[0]
    return (path, Z) if return_codes else path


def latent_grid(
    autoencoder, n: int = 15, *, X=None, bounds=None, quantiles: tuple[float, float] = (0.05, 0.95), return_codes: bool = False
):
    """Decode an n x n grid of 2-D codes: (n, n, n_features), laid out like a scatter plot
    (columns: code 0 increasing to the right; rows: code 1 increasing upwards).

    The grid spans `bounds` [[lo0, hi0], [lo1, hi1]] when given, else the `quantiles` of the
    codes of X in each dimension, or without X those of a model's prior (`prior_quantile`, a
    VAE's). With `return_codes`, also the codes (n, n, 2).

    Parameters
    ----------
    autoencoder : fitted estimator with a 2-D code
        Has `inverse_transform`, and `transform` (with X) or `prior_quantile` (without).
    n : int, default=15
        Grid points per side (at least 2).
    X : array-like of shape (n_samples, n_features) or None, default=None
        Rows whose codes' quantiles the grid spans.
    bounds : array-like of shape (2, 2) or None, default=None
        [[lo0, hi0], [lo1, hi1]], finite, lo < hi; overrides X and `quantiles`.
    quantiles : (float, float), default=(0.05, 0.95)
        Low and high quantile spanned, 0 <= low < high <= 1.
    return_codes : bool, default=False
        Also return the grid's codes.

    Returns
    -------
    grid : ndarray of shape (n, n, n_features)
        The decoded grid.
    codes : ndarray of shape (n, n, 2)
        Its codes, only with `return_codes`.
    """
    if not isinstance(n, Integral) or isinstance(n, bool) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    given = bounds is not None
    if not given:
        q = np.asarray(quantiles, dtype=np.float64)
        if q.shape != (2,) or not 0 <= q[0] < q[1] <= 1:
            raise ValueError(f"quantiles must be (low, high) with 0 <= low < high <= 1, got {quantiles!r}")
        lo_q, hi_q = q
        if X is not None:
            Z, source = np.quantile(autoencoder.transform(X), [lo_q, hi_q], axis=0), "the codes of X"
        elif hasattr(autoencoder, "prior_quantile"):
            Z, source = np.asarray(autoencoder.prior_quantile([lo_q, hi_q])), "the model's prior"
        else:
            raise ValueError("latent_grid needs X (the grid spans quantiles of its codes) or explicit bounds, unless the "
                             "model has a prior (prior_quantile) whose quantiles it spans")
        if Z.ndim != 2 or Z.shape[1] != 2:
            raise ValueError(f"latent_grid needs 2-D codes, but {source} {'have' if X is not None else 'has'} "
                             f"{Z.shape[1:]} dimensions")
        if not np.isfinite(Z).all():  # a prior's quantile 0 or 1
            raise ValueError(f"latent_grid spans quantiles={tuple(quantiles)!r} of {source}, which are not finite there "
                             f"({Z.T.tolist()}): pass quantiles inside (0, 1), e.g. (0.05, 0.95), or bounds")
        bounds = Z.T  # (2, 2): one (lo, hi) row per dimension
    bounds = np.asarray(bounds, dtype=np.float64)
    if bounds.shape != (2, 2):
        raise ValueError(
            f"bounds must be [[lo0, hi0], [lo1, hi1]] (shape (2, 2), one row per code dimension), got shape {bounds.shape}"
        )
    if not np.isfinite(bounds).all():
        raise ValueError(f"bounds must be finite, got {bounds.tolist()}")
    if given and not (bounds[:, 0] < bounds[:, 1]).all():
        raise ValueError(
            f"bounds must run from low to high in each code dimension, [[lo0, hi0], [lo1, hi1]] with lo < hi, "
            f"got {bounds.tolist()}"
        )
    dims = getattr(autoencoder, "_n_features_out", None)  # the code size of an aekit model, of PCA
    if given and dims is not None and dims != 2:
        raise ValueError(f"latent_grid needs 2-D codes, but {type(autoencoder).__name__}'s codes have {dims} "
                         f"dimension{'s' if dims != 1 else ''}")
    x = np.linspace(bounds[0, 0], bounds[0, 1], n)
    y = np.linspace(bounds[1, 1], bounds[1, 0], n)
    codes = np.stack(np.meshgrid(x, y), axis=-1)  # (n, n, 2); codes[i, j] = (x[j], y[i])
    grid = np.asarray(autoencoder.inverse_transform(codes.reshape(-1, 2))).reshape(n, n, -1)
    return (grid, codes) if return_codes else grid
