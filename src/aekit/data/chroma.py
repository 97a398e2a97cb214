"""Luma and chroma of colour images, for colorization that predicts colour only.

Luma is scikit-image's `rgb2gray` (Rec. 709 weights, `LUMA_WEIGHTS`); the two chroma channels
are the blue and red differences from it (B - Y, R - Y, as in YCbCr before scaling). Colour
rebuilt from a luma and a chroma has exactly that luma: where the chroma would leave [0, 1],
it is shortened towards gray (per pixel) rather than clipped per channel, which would change
the luma.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LUMA_WEIGHTS", "colour_from_chroma", "luma", "to_chroma"]

LUMA_WEIGHTS = (0.2125, 0.7154, 0.0721)  # R, G, B, as skimage.color.rgb2gray


def luma(colour: np.ndarray) -> np.ndarray:
    """Luma of colour images (n, 3, H, W): (n, 1, H, W).

    Parameters
    ----------
    colour : ndarray of shape (n, 3, H, W)
        RGB images in [0, 1].
    """
    r, g, b = LUMA_WEIGHTS
    return (r * colour[:, 0] + g * colour[:, 1] + b * colour[:, 2])[:, None]


def to_chroma(colour: np.ndarray) -> np.ndarray:
    """Chroma (B - Y, R - Y) of colour images (n, 3, H, W): (n, 2, H, W).

    Parameters
    ----------
    colour : ndarray of shape (n, 3, H, W)
        RGB images in [0, 1].
    """
    y = luma(colour)[:, 0]
    return np.stack([colour[:, 2] - y, colour[:, 0] - y], axis=1)


def colour_from_chroma(lightness: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """Colour images (n, 3, H, W) of luma `lightness` (n, 1, H, W) and chroma (n, 2, H, W),
    the chroma shortened per pixel as much as needed to keep every channel in [0, 1].

    Parameters
    ----------
    lightness : ndarray of shape (n, 1, H, W)
        The luma every output pixel keeps.
    chroma : ndarray of shape (n, 2, H, W)
        The colour difference channels (B - Y, R - Y), as `to_chroma` gives them.
    """
    r, g, b = LUMA_WEIGHTS
    y = lightness[:, 0]
    u, v = chroma[:, 0], chroma[:, 1]
    offsets = np.stack([v, -(r * v + b * u) / g, u], axis=1)  # (n, 3, H, W), luma-weighted sum 0
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(offsets > 0, (1 - y[:, None]) / offsets, np.where(offsets < 0, -y[:, None] / offsets, np.inf))
    scale = np.clip(room.min(axis=1, keepdims=True), 0, 1)
    colour = np.clip(y[:, None] + scale * offsets, 0, 1)  # rounding only: the scale keeps them in range
    return colour.astype(np.result_type(lightness, chroma), copy=False)
