"""Luma and chroma of colour images, for colorization that predicts colour only.

Luma is scikit-image's `rgb2gray` (Rec. 709 weights, `LUMA_WEIGHTS`) or, for gray made the way
Pillow's convert('L') and OpenCV make it, Rec. 601's (`LUMA_STANDARDS`); the two chroma channels
are the blue and red differences from it (B - Y, R - Y, as in YCbCr before scaling). Colour
rebuilt from a luma and a chroma has exactly that luma: where the chroma would leave [0, 1],
it is shortened towards gray (per pixel) rather than clipped per channel, which would change
the luma.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LUMA_STANDARDS", "LUMA_WEIGHTS", "colour_from_chroma", "luma", "matching_luma", "to_chroma"]

LUMA_WEIGHTS = (0.2125, 0.7154, 0.0721)  # R, G, B, as skimage.color.rgb2gray
LUMA_STANDARDS = {"rec709": LUMA_WEIGHTS, "rec601": (0.299, 0.587, 0.114)}  # rec601: PIL's convert('L'), OpenCV
RECOGNISED_GAP = 0.01  # mean absolute difference within which gray is taken for a standard's luma (8-bit rounding: 0.002)


def matching_luma(gray: np.ndarray, colour: np.ndarray) -> str:
    """The lightness standard the gray images (n, 1, H, W) were made with from `colour` (n, 3, H,
    W): 'rec601' when its luma is within RECOGNISED_GAP of the gray in mean absolute difference
    and nearer than half 'rec709''s, else 'rec709' (also for gray made otherwise).

    Parameters
    ----------
    gray : ndarray of shape (n, 1, H, W)
        Gray images in [0, 1].
    colour : ndarray of shape (n, 3, H, W)
        The colour images they are the gray of.
    """
    gaps = {name: float(np.mean(np.abs(luma(colour, weights) - gray))) for name, weights in LUMA_STANDARDS.items()}
    return "rec601" if gaps["rec601"] < min(RECOGNISED_GAP, gaps["rec709"] / 2) else "rec709"


def luma(colour: np.ndarray, weights=LUMA_WEIGHTS) -> np.ndarray:
    """Luma of colour images (n, 3, H, W): (n, 1, H, W).

    Parameters
    ----------
    colour : ndarray of shape (n, 3, H, W)
        RGB images in [0, 1].
    weights : tuple of 3 float, default=LUMA_WEIGHTS
        The R, G, B weights (a value of LUMA_STANDARDS).
    """
    r, g, b = weights
    return (r * colour[:, 0] + g * colour[:, 1] + b * colour[:, 2])[:, None]


def to_chroma(colour: np.ndarray, weights=LUMA_WEIGHTS) -> np.ndarray:
    """Chroma (B - Y, R - Y) of colour images (n, 3, H, W): (n, 2, H, W).

    Parameters
    ----------
    colour : ndarray of shape (n, 3, H, W)
        RGB images in [0, 1].
    weights : tuple of 3 float, default=LUMA_WEIGHTS
        The R, G, B weights of the luma Y.
    """
    y = luma(colour, weights)[:, 0]
    return np.stack([colour[:, 2] - y, colour[:, 0] - y], axis=1)


def colour_from_chroma(lightness: np.ndarray, chroma: np.ndarray, weights=LUMA_WEIGHTS) -> np.ndarray:
    """Colour images (n, 3, H, W) of luma `lightness` (n, 1, H, W) and chroma (n, 2, H, W),
    the chroma shortened per pixel as much as needed to keep every channel in [0, 1].

    Parameters
    ----------
    lightness : ndarray of shape (n, 1, H, W)
        The luma every output pixel keeps.
    chroma : ndarray of shape (n, 2, H, W)
        The colour difference channels (B - Y, R - Y), as `to_chroma` gives them.
    weights : tuple of 3 float, default=LUMA_WEIGHTS
        The R, G, B weights of the luma (those the chroma was taken with).
    """
    r, g, b = weights
    y = lightness[:, 0]
    u, v = chroma[:, 0], chroma[:, 1]
    offsets = np.stack([v, -(r * v + b * u) / g, u], axis=1)  # (n, 3, H, W), luma-weighted sum 0
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(offsets > 0, (1 - y[:, None]) / offsets, np.where(offsets < 0, -y[:, None] / offsets, np.inf))
    scale = np.clip(room.min(axis=1, keepdims=True), 0, 1)
    colour = np.clip(y[:, None] + scale * offsets, 0, 1)  # rounding only: the scale keeps them in range
    return colour.astype(np.result_type(lightness, chroma), copy=False)
