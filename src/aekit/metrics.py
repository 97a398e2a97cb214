"""Scores for what the autoencoders produce: imputation error on the entries that were
missing, and structural similarity (SSIM) of images."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter


def masked_rmse(X_true: np.ndarray, X_pred: np.ndarray, mask: np.ndarray, scale: np.ndarray | None = None) -> float:
    """Root mean squared error over the entries where `mask` (n, d) is True, each column
    divided by `scale` (d,) first (e.g. the column std, for RMSE on standardised data)."""
    err = np.asarray(X_pred, dtype=np.float64) - np.asarray(X_true, dtype=np.float64)
    if scale is not None:
        err = err / np.asarray(scale, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        raise ValueError("mask selects no entry")
    return float(np.sqrt(np.mean(np.square(err[mask]))))


def ssim(images_true: np.ndarray, images_pred: np.ndarray, data_range: float = 1.0, sigma: float = 1.5) -> np.ndarray:
    """Mean structural similarity of each image pair (Wang et al. 2004), with a Gaussian
    window of std `sigma` and the paper's constants K1=0.01, K2=0.03.

    Images are (n, height, width); returns (n,) in [-1, 1], 1 for identical images.
    """
    x = np.asarray(images_true, dtype=np.float64)
    y = np.asarray(images_pred, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 3:
        raise ValueError(f"images must be two arrays of the same shape (n, height, width), got {x.shape} and {y.shape}")
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    blur = lambda a: gaussian_filter(a, sigma=(0, sigma, sigma), truncate=3.5)  # noqa: E731
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return ssim_map.mean(axis=(1, 2))
