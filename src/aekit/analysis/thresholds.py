"""From a detector's training anomaly scores to outlier probabilities and a threshold chosen
without labels.

The training scores are kept as `N_QUANTILES` evenly spaced quantiles. The share of training
scores above a score s (its tail probability) is read off their empirical CDF below the 95th
percentile and, beyond it, from an exponential tail whose scale is the mean excess of the top
5 % over that percentile, so scores beyond every training score still get distinct, shrinking
tail probabilities.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["auto_threshold", "outlier_probability", "score_quantiles", "tail_probability"]

N_QUANTILES = 1001
TAIL_SHARE = 0.05  # the top share of training scores the exponential tail is fitted to
AUTO_FENCE = 3.0  # interquartile ranges above the upper quartile: Tukey's "far out" fence
MIN_SPREAD = 1e-12


def score_quantiles(scores: np.ndarray) -> np.ndarray:
    """Quantiles of the training anomaly scores (n_samples,) at N_QUANTILES even levels in [0, 1].

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        The training anomaly scores (higher = more abnormal).

    Returns
    -------
    quantiles : ndarray of shape (N_QUANTILES,)
    """
    return np.quantile(np.asarray(scores, dtype=np.float64), np.linspace(0.0, 1.0, N_QUANTILES))


def _tail(quantiles: np.ndarray) -> tuple[float, float]:
    """Start u (the 95th percentile) and scale (mean excess above u) of the exponential tail."""
    levels = np.linspace(0.0, 1.0, len(quantiles))
    start = float(np.interp(1.0 - TAIL_SHARE, levels, quantiles))
    top = quantiles[levels >= 1.0 - TAIL_SHARE]
    spread = max(float(quantiles[-1] - quantiles[0]), 1.0)
    return start, max(float(top.mean()) - start, MIN_SPREAD * spread)


def tail_probability(scores: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """Share of training scores above each anomaly score (n,): empirical below the 95th
    training percentile, an exponential tail beyond it; 1 below every training score.

    Parameters
    ----------
    scores : array-like of shape (n,)
        Anomaly scores.
    quantiles : ndarray of shape (N_QUANTILES,)
        The training scores' quantiles, as `score_quantiles` returns them.

    Returns
    -------
    tail : ndarray of shape (n,)
    """
    scores = np.asarray(scores, dtype=np.float64)
    levels = np.linspace(0.0, 1.0, len(quantiles))
    start, scale = _tail(quantiles)
    below = 1.0 - np.interp(scores, quantiles, levels, left=0.0)
    with np.errstate(over="ignore"):
        beyond = TAIL_SHARE * np.exp(-(scores - start) / scale)
    return np.where(scores > start, beyond, np.maximum(below, TAIL_SHARE))


def outlier_probability(scores: np.ndarray, quantiles: np.ndarray, threshold: float) -> np.ndarray:
    """Probability of being an outlier (n,): (1 - t)^m, with t the tail probability of the score
    and m set so that a score equal to `threshold` gets 0.5. (1 - t)^m is the chance that the
    score exceeds m training scores drawn at random; it rises with the score, from 0 below every
    training score to 1 far beyond them.

    Parameters
    ----------
    scores : array-like of shape (n,)
        Anomaly scores.
    quantiles : ndarray of shape (N_QUANTILES,)
        The training scores' quantiles, as `score_quantiles` returns them.
    threshold : float
        The anomaly score that gets probability 0.5.

    Returns
    -------
    proba : ndarray of shape (n,)
    """
    t_threshold = float(np.clip(tail_probability(np.array([threshold]), quantiles)[0], 1e-12, 1 - 1e-12))
    power = math.log(0.5) / math.log1p(-t_threshold)
    return np.power(1.0 - tail_probability(scores, quantiles), power)


def auto_threshold(scores: np.ndarray) -> float:
    """A threshold from the training anomaly scores alone: Tukey's far-out fence, the upper
    quartile plus AUTO_FENCE interquartile ranges.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        The training anomaly scores (higher = more abnormal).

    Returns
    -------
    threshold : float
    """
    low, high = np.percentile(np.asarray(scores, dtype=np.float64), [25, 75])
    return float(high + AUTO_FENCE * max(high - low, MIN_SPREAD * max(abs(high), 1.0)))
