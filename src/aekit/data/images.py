"""The library's one image layout: channels-first, as in PyTorch.

An image is (channels, height, width) and a batch (n, channels, height, width); a flat row
holds an image's channels * height * width values in channel-major order (all of channel 0,
then channel 1, ...). (height, width) and (n, height, width) are one grey channel. Datasets,
estimators, plots and metrics all read images this way.

PIL, matplotlib and image files give channels-last arrays (height, width, channels): move
them with `channels_first`. Functions that take images refuse a batch that looks
channels-last rather than misread its width as channels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "CHANNEL_COUNTS", "channels_first", "channels_last_message", "looks_channels_last", "one_image_message", "other_shape_message",
]  # fmt: skip

CHANNEL_COUNTS = (1, 2, 3, 4)  # grey, grey + alpha, RGB, RGBA


def looks_channels_last(shape: Sequence[int]) -> bool:
    """Whether one image's shape (a, b, c) reads as (height, width, channels) rather than
    (channels, height, width): c is a channel count (1 to 4) and smaller than a.

    Parameters
    ----------
    shape : sequence of int
        Shape of one image; only 3-axis shapes can look channels-last.

    Returns
    -------
    bool
        True when the last axis looks like channels.
    """
    return len(shape) == 3 and int(shape[2]) in CHANNEL_COUNTS and int(shape[2]) < int(shape[0])


def channels_first(images) -> np.ndarray:
    """Channels-last images (n, height, width, channels), as PIL or matplotlib give them
    stacked, as channels-first (n, channels, height, width), contiguous.

    Parameters
    ----------
    images : array-like of shape (n, height, width, channels)
        The batch; a single image is ``images[None]``.

    Returns
    -------
    ndarray of shape (n, channels, height, width)
        The same values, channels-first and C-contiguous.
    """
    images = np.asarray(images)
    if images.ndim == 3 and not looks_channels_last(images.shape):
        raise ValueError(
            f"images must be channels-last (n, height, width, channels), got shape {images.shape}: a batch of "
            f"{images.shape[0]} grey images (n, height, width), which aekit reads as they are, without channels_first"
        )
    if images.ndim != 4:
        raise ValueError(
            f"images must be channels-last (n, height, width, channels), got shape {images.shape}; "
            "a single image (height, width, channels) is images[None]"
        )
    return np.ascontiguousarray(np.moveaxis(images, -1, 1))


def channels_last_message(name: str, shape: Sequence[int]) -> str:
    """Why a batch `name` of `shape` (n, height, width, channels) is refused, and the fix.

    Parameters
    ----------
    name : str
        The argument's name, as the user passed it.
    shape : sequence of int
        The batch's shape (n, height, width, channels).

    Returns
    -------
    str
        The error message, naming `channels_first` and the shape it would give.
    """
    n, height, width, channels = (int(s) for s in shape)
    return (
        f"{name} has shape {tuple(int(s) for s in shape)}, which looks channels-last (n, height, width, channels); "
        "aekit reads images channels-first (n, channels, height, width). Move the channels first with "
        f"aekit.data.images.channels_first({name}) or np.moveaxis({name}, -1, 1), giving {(n, channels, height, width)}"
    )


def other_shape_message(estimator: str, X_shape: Sequence[int], shape: Sequence[int], fitted: Sequence[int]) -> str:
    """Why images X of `shape` (channels, height, width) are refused by `estimator`, fitted on
    images of shape `fitted`; a 3-D X that is one fitted image is told to add its batch axis.

    Parameters
    ----------
    estimator : str
        The estimator's class name.
    X_shape : sequence of int
        The shape of X as given.
    shape : sequence of int
        X's images as read, (channels, height, width).
    fitted : sequence of int
        The images the estimator was fitted on, (channels, height, width).

    Returns
    -------
    str
        The error message.
    """
    shape, fitted = (tuple(int(d) for d in dims) for dims in (shape, fitted))
    return one_image_message(estimator, X_shape, fitted) or (
        f"X has images of shape {shape}, but {estimator} was fitted on images of shape {fitted} (channels, height, width)"
    )


def one_image_message(estimator: str, X_shape: Sequence[int], fitted: Sequence[int]) -> str | None:
    """Why X of `X_shape` is refused when it is one image of the `fitted` shape (channels,
    height, width) without its batch axis: a colour image (C, H, W), or (H, W, C) as PIL gives
    it, reads as C (or H) grey images, a grey one (H, W) as H rows; None when X is no such image.

    Parameters
    ----------
    estimator : str
        The estimator's class name.
    X_shape : sequence of int
        The shape of X as given.
    fitted : sequence of int
        The images the estimator was fitted on, (channels, height, width).

    Returns
    -------
    str or None
        The error message, asking for X[None].
    """
    X_shape, fitted = (tuple(int(d) for d in dims) for dims in (X_shape, fitted))
    fix = ": to give it one image, pass X[None], a batch of one"
    if len(X_shape) == 3 and X_shape == fitted:
        reads = f"a batch of {X_shape[0]} grey images (n, height, width)"
    elif len(X_shape) == 3 and fitted[0] > 1 and (X_shape[2], *X_shape[:2]) == fitted:
        reads = f"a batch of {X_shape[0]} grey images (n, height, width)"
        fix = ("; it looks like one channels-last image (height, width, channels), as PIL gives it: pass "
               "aekit.data.images.channels_first(X[None]), a batch of one")
    elif len(X_shape) == 2 and fitted[0] == 1 and fitted[1] > 1 and X_shape == fitted[1:]:
        reads = f"{X_shape[0]} rows of {X_shape[1]} features"
    else:
        return None
    return (
        f"X has shape {X_shape}, which reads as {reads}, but {estimator} was fitted on images of shape {fitted} "
        f"(channels, height, width){fix}"
    )
