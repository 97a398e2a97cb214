"""From a detector's training anomaly scores to outlier probabilities and a threshold chosen
without labels (`auto_threshold`: Rosner's generalized extreme studentized deviate test).

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
AUTO_ALPHA = 0.05  # significance level of the generalized ESD test behind contamination='auto'
AUTO_MAX_SHARE = 0.5  # the test looks at most at this share of the training scores as outliers
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


def auto_threshold(scores: np.ndarray, level: float = AUTO_ALPHA) -> float:
    """A threshold from the training anomaly scores (n,) alone, by the one-sided generalized
    extreme studentized deviate test (Rosner 1983) at `level`: the i-th highest score
    is set aside while its distance from the mean of the scores not yet set aside, in their
    standard deviations, exceeds the test's critical value; the k scores up to the last i
    where it does are the outliers (k <= AUTO_MAX_SHARE * n). Returns a value just below the
    lowest of them, or the highest score when there is none (nothing in training is flagged).

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        The training anomaly scores (higher = more abnormal).
    level : float in (0, 1), default=AUTO_ALPHA
        Significance level of the test (contamination='auto' uses the default).

    Returns
    -------
    threshold : float
    """
    from scipy.stats import t as student

    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    top = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    n = len(top)
    tested = min(int(AUTO_MAX_SHARE * n), n - 3)
    if tested < 1:
        return float(top[0])
    removed = np.arange(tested)
    left = n - removed
    total, total_sq = np.cumsum(top[::-1])[::-1], np.cumsum(np.square(top[::-1]))[::-1]
    mean = total[:tested] / left
    spread = np.sqrt(np.maximum(total_sq[:tested] / left - np.square(mean), 0.0))
    floor = MIN_SPREAD * max(float(top[0] - top[-1]), abs(float(top[0])), 1.0)
    deviate = (top[:tested] - mean) / np.maximum(spread, floor)
    quantile = student.ppf(1.0 - level / left, left - 2)
    critical = (left - 1) * quantile / np.sqrt((left - 2 + np.square(quantile)) * left)
    beyond = np.flatnonzero(deviate > critical)
    if len(beyond) == 0:
        return float(top[0])
    lowest = float(top[beyond[-1]])
    below = top[top < lowest]
    return float((lowest + below[0]) / 2) if len(below) else float(np.nextafter(lowest, -np.inf))
