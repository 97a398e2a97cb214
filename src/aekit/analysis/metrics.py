"""Scores for what the autoencoders produce: imputation error on the entries that were
missing, retrieval precision and clustering of codes, and image quality (SSIM and PSNR, from
scikit-image)."""

from __future__ import annotations

import warnings

import numpy as np

from aekit.data.masks import boolean_mask
from aekit.data.images import channels_last_message, looks_channels_last

__all__ = [
    "cluster_codes",
    "clustering_scores",
    "knn_accuracy",
    "knn_r2",
    "masked_rmse",
    "psnr",
    "retrieval_precision",
    "ssim",
]


def masked_rmse(X_true: np.ndarray, X_pred: np.ndarray, mask: np.ndarray, scale: np.ndarray | None = None) -> float:
    """Root mean squared error over the entries where `mask` (n, d) is True, each column
    divided by `scale` (d,) first (e.g. the column std, for RMSE on standardised data).

    Parameters
    ----------
    X_true : array-like of shape (n, d)
        True values.
    X_pred : array-like of shape (n, d)
        Predicted values.
    mask : array-like of bool, shape (n, d)
        The entries scored (True or 1); at least one must be True.
    scale : array-like of shape (d,) or None, default=None
        Per-column divisors of the errors; None leaves them as they are.

    Returns
    -------
    rmse : float
    """
    err = np.asarray(X_pred, dtype=np.float64) - np.asarray(X_true, dtype=np.float64)
    if scale is not None:
        err = err / np.asarray(scale, dtype=np.float64)
    mask = boolean_mask(mask)
    if not mask.any():
        raise ValueError("mask selects no entry")
    return float(np.sqrt(np.mean(np.square(err[mask]))))


def _image_pairs(images_true: np.ndarray, images_pred: np.ndarray, data_range: float) -> tuple[np.ndarray, np.ndarray]:
    """Both image batches as float64, refusing different shapes, channels-last batches and
    reference images whose values span more than `data_range`."""
    x = np.asarray(images_true, dtype=np.float64)
    y = np.asarray(images_pred, dtype=np.float64)
    if x.shape != y.shape or x.ndim not in (3, 4) or x.shape[0] == 0:
        raise ValueError(
            "images must be two non-empty arrays of the same shape (n, height, width) or (n, channels, height, "
            f"width), got {x.shape} and {y.shape}"
        )
    if x.ndim == 4 and looks_channels_last(x.shape[1:]):
        raise ValueError(channels_last_message("images_true", x.shape))
    low, high = float(np.nanmin(x)), float(np.nanmax(x))
    if high - low > data_range * (1 + 1e-9):
        eight_bit = " (8-bit images: data_range=255, or divide them by 255)" if 1 < high <= 255 else ""
        raise ValueError(
            f"images_true span {low:.4g}..{high:.4g}, more than data_range={data_range!r}: pass as data_range the span "
            f"their pixels can take{eight_bit}"
        )
    return x, y


def ssim(images_true: np.ndarray, images_pred: np.ndarray, data_range: float = 1.0, sigma: float = 1.5) -> np.ndarray:
    """Mean structural similarity of each image pair (Wang et al. 2004), by scikit-image's
    `structural_similarity` with a Gaussian window of std `sigma` and the paper's constants.

    Images are (n, height, width) or (n, channels, height, width) (channels averaged); the
    window is cropped to the image on images smaller than it. Returns (n,) in [-1, 1].

    Parameters
    ----------
    images_true : ndarray
        Reference images, (n, height, width) or (n, channels, height, width).
    images_pred : ndarray
        Images to compare, of the same shape.
    data_range : float, default=1.0
        The images' value range (maximum minus minimum possible value); reference images
        spanning more are refused.
    sigma : float, default=1.5
        Standard deviation of the Gaussian window.

    Returns
    -------
    ssim : ndarray of shape (n,)
    """
    from skimage.metrics import structural_similarity

    x, y = _image_pairs(images_true, images_pred, data_range)
    channel_axis = 0 if x.ndim == 4 else None
    side = min(x.shape[-2:])
    win_size = min(2 * int(3.5 * sigma + 0.5) + 1, side if side % 2 else side - 1)
    if win_size < 3:
        raise ValueError(f"SSIM needs images of at least 3x3 pixels, got {x.shape[-2:]}")
    options = dict(
        data_range=data_range, gaussian_weights=True, sigma=sigma, use_sample_covariance=False, win_size=win_size
    )
    return np.array([structural_similarity(a, b, channel_axis=channel_axis, **options) for a, b in zip(x, y)])


def psnr(images_true: np.ndarray, images_pred: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    """Peak signal-to-noise ratio of each image pair in dB, by scikit-image's
    `peak_signal_noise_ratio`: images (n, height, width) or (n, channels, height, width);
    returns (n,), inf for identical images.

    Parameters
    ----------
    images_true : ndarray
        Reference images, (n, height, width) or (n, channels, height, width).
    images_pred : ndarray
        Images to compare, of the same shape.
    data_range : float, default=1.0
        The images' value range (maximum minus minimum possible value); reference images
        spanning more are refused.

    Returns
    -------
    psnr : ndarray of shape (n,)
    """
    from skimage.metrics import peak_signal_noise_ratio

    x, y = _image_pairs(images_true, images_pred, data_range)
    with np.errstate(divide="ignore"):
        return np.array([peak_signal_noise_ratio(a, b, data_range=data_range) for a, b in zip(x, y)])


RETRIEVAL_METRICS = ("cosine", "euclidean", "hamming")
RETRIEVAL_CHUNK = 2**22  # distance-matrix entries computed at once


def _ranking_distances(Q: np.ndarray, D: np.ndarray, metric: str) -> np.ndarray:
    """(m, N) numbers whose order along each row is the order of the distances from Q's rows to D's."""
    if metric == "cosine":
        return -(Q @ D.T)  # rows of Q and D are unit vectors here
    return np.einsum("ij,ij->i", D, D)[None, :] - 2.0 * (Q @ D.T)  # |q - d|^2 - |q|^2


def _expected_hits(dist: np.ndarray, c_q: np.ndarray, c_d: np.ndarray, ks: list[int]) -> dict[int, float]:
    """For each k, the expected number of items of the query's class among its k nearest, summed
    over the queries: rows of `dist` (m, N), classes c_q (m,) of the queries and c_d (N,) of the
    items. The items nearer than the k-th distance count once each, and the places left among the
    k go to the items at that distance, each as likely as the others."""
    k_max = max(ks)
    cand = np.argpartition(dist, k_max - 1, axis=1)[:, :k_max]  # (m, k_max): the k_max nearest, unordered
    near, hit = np.take_along_axis(dist, cand, axis=1), c_d[cand] == c_q[:, None]
    out = {}
    for k in ks:
        kth = np.partition(near, k - 1, axis=1)[:, k - 1 : k]  # (m, 1)
        nearer, tied = near < kth, near == kth
        n_tied, hit_tied = tied.sum(axis=1), (tied & hit).sum(axis=1)
        edge = np.flatnonzero(near.max(axis=1) == kth[:, 0])  # the items at the k-th distance may go on past cand
        if edge.size:
            everywhere = dist[edge] == kth[edge]
            n_tied[edge] = everywhere.sum(axis=1)
            hit_tied[edge] = (everywhere & (c_d[None, :] == c_q[edge, None])).sum(axis=1)
        out[k] = float(((nearer & hit).sum(axis=1) + (k - nearer.sum(axis=1)) * hit_tied / n_tied).sum())
    return out


def retrieval_precision(
    codes_query, labels_query, codes_db=None, labels_db=None, k=(1, 10, 100), *, metric: str = "cosine"
) -> float | dict[int, float]:
    """Retrieval precision as in Hinton & Salakhutdinov (2006, Fig. 4): for each query, the share
    of its k nearest database items that carry the query's label, averaged over the queries.

    codes_query (m, d) with labels_query (m,); codes_db (N, d) with labels_db (N,). The search
    is exact (brute force in float64, in chunks). `metric` 'cosine' ranks by the angle between
    codes (as in the paper), 'euclidean' by distance, 'hamming' by the number of differing bits
    of 0/1 codes (semantic hashing; on 0/1 codes it is the squared euclidean distance). When codes_db is None or is the very same
    array object as codes_query, the database is the query set and each query's own entry is
    left out; otherwise nothing is left out, so a query that is also in the database finds
    itself first (an equal copy of codes_query as codes_db warns so). Items tied at the k-th
    distance (common among bit codes) share the places left among the k: each counts as
    retrieved with the same chance, so the precision does not depend on the order of the database.
    Returns a float for an int `k`, else {k: precision} for each k.

    Parameters
    ----------
    codes_query : array-like of shape (m, d)
        Codes of the queries.
    labels_query : array-like of shape (m,)
        Their labels.
    codes_db : array-like of shape (N, d) or None, default=None
        Codes of the database; None is the query set (each query's own entry left out).
    labels_db : array-like of shape (N,) or None, default=None
        Labels of the database (with codes_db).
    k : int or sequence of int, default=(1, 10, 100)
        Numbers of nearest items scored.
    metric : {'cosine', 'euclidean', 'hamming'}, default='cosine'
        How the items are ranked.

    Returns
    -------
    precision : float or dict of int to float
    """
    if metric not in RETRIEVAL_METRICS:
        raise ValueError(f"metric must be one of {RETRIEVAL_METRICS}, got {metric!r}")
    exclude_self = codes_db is None or codes_db is codes_query
    missing = "labels_query" if labels_query is None else "labels_db" if labels_db is None and not exclude_self else None
    if missing is not None:
        raise ValueError(f"{missing} is None: the precision counts the retrieved items of each query's label, so every "
                         "query and database item needs one (a folder of unlabelled documents has target None)")
    Q = _dense_codes(codes_query)
    y_q = np.asarray(labels_query)
    D = Q if exclude_self else _dense_codes(codes_db)
    if not exclude_self and np.array_equal(Q, D):
        warnings.warn(
            "codes_db equals codes_query but is another array, so each query is in the database and finds "
            "itself first (P@1 = 1); pass codes_db=None (or the very same array) to leave each query out",
            stacklevel=2,
        )
    y_d = y_q if labels_db is None and exclude_self else np.asarray(labels_db)
    if Q.ndim != 2 or D.ndim != 2 or Q.shape[1] != D.shape[1]:
        raise ValueError(f"codes must be 2-D with the same number of columns, got {Q.shape} and {D.shape}")
    if y_q.shape != (Q.shape[0],) or y_d.shape != (D.shape[0],):
        raise ValueError(
            f"labels must have one entry per code row: {y_q.shape} for {Q.shape[0]} queries, "
            f"{y_d.shape} for {D.shape[0]} database items"
        )
    if metric == "hamming" and not (np.isin(Q, (0.0, 1.0)).all() and np.isin(D, (0.0, 1.0)).all()):
        raise ValueError("metric='hamming' needs codes of 0s and 1s (e.g. AutoEncoder(binary_code=True).transform(X))")
    ks = [k] if isinstance(k, (int, np.integer)) else list(k)
    available = D.shape[0] - int(exclude_self)
    if not ks or any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 1 <= i <= available for i in ks):
        raise ValueError(f"every k must be an integer in [1, {available}] (the database size), got {k!r}")
    if metric == "cosine":
        tiny = np.finfo(np.float64).tiny
        Q = Q / np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), tiny)
        D = Q if exclude_self else D / np.maximum(np.linalg.norm(D, axis=1, keepdims=True), tiny)
    if not (np.isfinite(Q).all() and np.isfinite(D).all()):
        raise ValueError("codes must be finite: a NaN or infinite code has no distance to rank by")
    import pandas as pd

    classes = pd.factorize(np.concatenate([y_q.astype(object), y_d.astype(object)]))[0]  # a missing label is -1
    c_q, c_d = np.where(classes[: len(y_q)] < 0, -2, classes[: len(y_q)]), classes[len(y_q) :]  # and matches none
    hits = dict.fromkeys(ks, 0.0)  # expected items of the query's class among the k nearest, summed over queries
    rows = max(1, RETRIEVAL_CHUNK // D.shape[0])
    for start in range(0, Q.shape[0], rows):
        dist = _ranking_distances(Q[start : start + rows], D, metric)  # (chunk, N)
        if exclude_self:
            own = np.arange(start, start + dist.shape[0])
            dist[own - start, own] = np.inf
        for i, expected in _expected_hits(dist, c_q[start : start + rows], c_d, list(hits)).items():
            hits[i] += expected
    result = {int(i): float(hits[i] / (i * Q.shape[0])) for i in ks}
    return result[int(k)] if isinstance(k, (int, np.integer)) else result


def _expected_neighbour_sums(Q: np.ndarray, D: np.ndarray, values, k: int) -> np.ndarray:
    """Sums of `values` (N, c), dense or sparse, over the k euclidean nearest rows of D (N, d) to each row of Q
    (m, d): (m, c). Rows of D tied at the k-th distance share the places left among the k, each
    weighted by its chance of taking one, so the sums do not depend on the order of D's rows."""
    out, rows = [], max(1, RETRIEVAL_CHUNK // D.shape[0])
    for start in range(0, Q.shape[0], rows):
        dist = _ranking_distances(Q[start : start + rows], D, "euclidean")  # (chunk, N)
        kth = np.partition(dist, k - 1, axis=1)[:, k - 1 : k]  # (chunk, 1)
        nearer, tied = dist < kth, dist == kth
        share = (k - nearer.sum(axis=1)) / tied.sum(axis=1)  # (chunk,)
        out.append(nearer @ values + (tied @ values) * share[:, None])
    return np.concatenate(out)


def _neighbour_inputs(codes_train, labels_train, codes_test, labels_test, k) -> tuple:
    """Codes as float64 arrays and labels as arrays, checked for `knn_accuracy` and `knn_r2`."""
    D, Q = _dense_codes(codes_train), _dense_codes(codes_test)
    y_d, y_q = np.asarray(labels_train), np.asarray(labels_test)
    if Q.ndim != 2 or D.ndim != 2 or Q.shape[1] != D.shape[1]:
        raise ValueError(f"codes must be 2-D with the same number of columns, got {D.shape} and {Q.shape}")
    if y_d.shape != (D.shape[0],) or y_q.shape != (Q.shape[0],) or not len(y_q):
        raise ValueError(f"labels must have one entry per code row: {y_d.shape} for {D.shape[0]} training rows, "
                         f"{y_q.shape} for {Q.shape[0]} test rows (at least one)")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= D.shape[0]:
        raise ValueError(f"k must be an integer in [1, {D.shape[0]}] (the training rows), got {k!r}")
    if not (np.isfinite(Q).all() and np.isfinite(D).all()):
        raise ValueError("codes must be finite: a NaN or infinite code has no distance to rank by")
    return D, y_d, Q, y_q


def knn_accuracy(codes_train, labels_train, codes_test, labels_test, k: int = 5) -> float:
    """Accuracy of a k-nearest-neighbour majority vote (euclidean distance) predicting the test
    labels from the training codes. Training rows tied at the k-th distance (common among bit
    codes) share the places left among the k, each voting with its chance of taking one, so the
    accuracy does not depend on the order of the rows (scikit-learn's KNeighborsClassifier takes
    the tied rows that come first); an even vote goes to the class that sorts first, as there.
    Without such ties it is KNeighborsClassifier(k)'s score.

    Parameters
    ----------
    codes_train : array-like of shape (N, d)
        Codes of the rows whose labels vote.
    labels_train : array-like of shape (N,)
        Their labels.
    codes_test : array-like of shape (m, d)
        Codes of the rows predicted.
    labels_test : array-like of shape (m,)
        Their true labels.
    k : int, default=5
        Neighbours that vote.

    Returns
    -------
    accuracy : float
        The share of test rows whose vote gives their label.
    """
    D, y_d, Q, y_q = _neighbour_inputs(codes_train, labels_train, codes_test, labels_test, k)
    from scipy import sparse

    classes, c_d = np.unique(y_d, return_inverse=True)
    one_hot = sparse.csr_array((np.ones(len(c_d)), (np.arange(len(c_d)), c_d)), shape=(len(c_d), len(classes)))
    votes = _expected_neighbour_sums(Q, D, one_hot, k)  # (m, classes)
    return float(np.mean(classes[votes.argmax(axis=1)] == y_q))


def knn_r2(codes_train, targets_train, codes_test, targets_test, k: int = 5) -> float:
    """R^2 of a k-nearest-neighbour mean (euclidean distance) predicting a continuous test target
    from the training codes; training rows tied at the k-th distance share the places left among
    the k as in `knn_accuracy`. Without such ties it is KNeighborsRegressor(k)'s score.

    Parameters
    ----------
    codes_train : array-like of shape (N, d)
        Codes of the rows whose targets are averaged.
    targets_train : array-like of shape (N,)
        Their targets.
    codes_test : array-like of shape (m, d)
        Codes of the rows predicted.
    targets_test : array-like of shape (m,)
        Their true targets.
    k : int, default=5
        Neighbours averaged.

    Returns
    -------
    r2 : float
        scikit-learn's `r2_score` of the predictions.
    """
    from sklearn.metrics import r2_score

    D, y_d, Q, y_q = _neighbour_inputs(codes_train, targets_train, codes_test, targets_test, k)
    mean = _expected_neighbour_sums(Q, D, y_d.astype(np.float64)[:, None], k)[:, 0] / k
    return float(r2_score(y_q, mean))


def _dense_codes(codes) -> np.ndarray:
    """Codes as a float64 array; sparse codes (a TopK model's `transform` with sparse output) densified."""
    return np.asarray(codes.toarray() if hasattr(codes, "toarray") else codes, dtype=np.float64)


def clustering_scores(labels_true, labels_pred) -> dict[str, float]:
    """Agreement of a clustering with the true classes: normalised mutual information ('nmi')
    and adjusted Rand index ('ari'), both from scikit-learn; 1 is perfect, about 0 is chance.

    Parameters
    ----------
    labels_true : array-like of shape (n,)
        The true classes.
    labels_pred : array-like of shape (n,)
        The cluster of each sample.

    Returns
    -------
    scores : dict
        {'nmi': float, 'ari': float}.
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {
        "nmi": float(normalized_mutual_info_score(labels_true, labels_pred)),
        "ari": float(adjusted_rand_score(labels_true, labels_pred)),
    }


def cluster_codes(codes, labels, n_clusters: int | None = None, *, method: str = "kmeans", random_state=0) -> dict[str, float]:
    """Cluster codes (n, d) with scikit-learn's KMeans (n_init=10) or GaussianMixture (full
    covariance) and score the clusters against `labels` (n,) with `clustering_scores`.
    `n_clusters` defaults to the number of distinct labels.

    Parameters
    ----------
    codes : array-like or sparse matrix of shape (n, d)
        The codes (a sparse matrix, tf-idf rows say, as its dense values).
    labels : array-like of shape (n,)
        The true classes.
    n_clusters : int or None, default=None
        Number of clusters; None is the number of distinct labels.
    method : {'kmeans', 'gmm'}, default='kmeans'
        KMeans or a Gaussian mixture.
    random_state : int, RandomState or None, default=0
        Seeds the clustering.

    Returns
    -------
    scores : dict
        {'nmi': float, 'ari': float}, as `clustering_scores` gives them.
    """
    from sklearn.cluster import KMeans
    from sklearn.mixture import GaussianMixture

    labels = np.asarray(labels)
    n_clusters = len(np.unique(labels)) if n_clusters is None else n_clusters
    if method == "kmeans":
        model = KMeans(n_clusters, n_init=10, random_state=random_state)
    elif method == "gmm":
        model = GaussianMixture(n_clusters, covariance_type="full", random_state=random_state)
    else:
        raise ValueError(f"method must be 'kmeans' or 'gmm', got {method!r}")
    return clustering_scores(labels, model.fit_predict(_dense_codes(codes)))
