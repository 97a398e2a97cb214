"""Figures for inspecting a fitted autoencoder: loss curves, reconstructions, codes, errors.

Every function builds a `matplotlib.figure.Figure` on an Agg canvas directly, never through
`pyplot`, so it works headless, leaves the user's backend and pyplot's figure registry alone,
and the figure is freed once the caller drops it. Pass `path` to also save a PNG.

Images are channels-first as everywhere in aekit (`aekit.data.images`): `image_shape` is
(channels, height, width) with 1 or 3 channels, or (height, width) for grey, and a flat row
holds its channels one after the other.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.ticker import MaxNLocator

from aekit.data.images import channels_last_message, looks_channels_last
from aekit.data.labels import NO_LABEL, named_labels
from aekit.saving.atomic import replaced_atomically

__all__ = [
    "drawable_image_shape",
    "image_bytes",
    "plot_error_comparison",
    "plot_history",
    "plot_image_grid",
    "plot_image_rows",
    "plot_interpolations",
    "plot_latent",
    "plot_latent_comparison",
    "plot_latent_grid",
    "plot_reconstructions",
    "plot_samples",
    "plot_score_histogram",
]

DPI = 120
MAX_CATEGORIES = 20  # categories with a legend
MAX_NAMED_CATEGORIES = 50  # categories written at their median code
BAR_PROFILE_MAX_FEATURES = 40
FAR_TAIL = 100  # scores spanning this many times their bottom 99 % get a symmetric log axis
GAP_COLOURS = ((0.62, 0.76, 0.97), (0.95, 0.45, 0.75), (0.5, 0.85, 0.35))  # between images: no grey level
TITLE_MARGIN = 6  # pixels between a title and the figure's edge


def _new_figure(figsize: tuple[float, float]) -> Figure:
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _wrap_titles(fig: Figure, drawn: bool = False) -> bool:
    """Break the figure's title and each axes' title into lines that fit inside the figure, and
    make the figure taller by the lines added: a title longer than a few panels are wide would
    otherwise be cut at both edges. The titles' places come from a draw of the layout (`drawn`:
    the canvas was just drawn); True when a title changed, so the figure needs drawing again."""
    renderer = fig.canvas.get_renderer()
    if not drawn:
        fig.draw_without_rendering()
    width = fig.bbox.width
    grown = {"figure": 0.0, "axes": 0.0}
    changed = False
    for kind, titles in (("figure", fig.texts), ("axes", [ax.title for ax in fig.axes])):
        for title in titles:
            box, lines = title.get_window_extent(renderer), title.get_text().splitlines()
            if not title.get_visible() or not lines or "$" in title.get_text() or (box.x0 >= 0 and box.x1 <= width):
                continue  # mathtext ($...$) is left whole: a line break inside it would show its source
            center = (box.x0 + box.x1) / 2
            room = 2 * min(center, width - center) - 2 * TITLE_MARGIN
            chars = max(10, int(max(map(len, lines)) * room / box.width))
            title.set_text("\n".join(textwrap.fill(line, chars) for line in lines))
            changed = True
            grown[kind] = max(grown[kind], title.get_window_extent(renderer).height - box.height)
    if grown["figure"] or grown["axes"]:
        size = fig.get_size_inches()
        fig.set_size_inches(size[0], size[1] + (grown["figure"] + grown["axes"]) / fig.dpi)
    return changed


def _finish(fig: Figure, path: str | os.PathLike | None) -> Figure:
    """Wrap the titles of `fig` and write it to `path` as a PNG (atomically); the draw that places the
    titles is the one written, unless a wrapped title needs another."""
    if path is None:
        _wrap_titles(fig)
        return fig
    fig.canvas.draw()
    if _wrap_titles(fig, drawn=True):
        fig.canvas.draw()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_atomically(path) as tmp:
        imsave(tmp, np.asarray(fig.canvas.buffer_rgba()), format="png", dpi=DPI)
    return fig


def drawable_image_shape(image_shape) -> tuple[int, ...] | None:
    """`image_shape` as a tuple when the plots here draw it as pictures, (height, width) or (1 or 3,
    height, width); None when they cannot (another number of channels), so rows are drawn instead.

    Parameters
    ----------
    image_shape : tuple of int or None
        Channels-first shape of a row as an image.

    Returns
    -------
    tuple of int or None
        The shape, or None.
    """
    if image_shape is None:
        return None
    shape = tuple(int(s) for s in image_shape)
    return shape if len(shape) == 2 or (len(shape) == 3 and shape[0] in (1, 3)) else None


def image_bytes(rows: np.ndarray, shape: tuple[int, int, int], value_range: tuple[float, float] | None) -> np.ndarray:
    """Rows (n, C*H*W) as 8-bit images (n, C, H, W): `value_range` (low, high) spread over 0..255, values
    beyond it clipped and NaN 0.

    Parameters
    ----------
    rows : ndarray of shape (n, n_features)
        Channels-first images, flattened.
    shape : tuple of int
        (channels, height, width) of one row.
    value_range : tuple of float or None
        The values drawn black (low) and white (high); None is the rows' finite range.

    Returns
    -------
    ndarray of shape (n, channels, height, width), uint8
        The images.
    """
    if value_range is None:
        finite = rows[np.isfinite(rows)]
        value_range = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    low, high = value_range
    scaled = np.nan_to_num(np.clip((np.asarray(rows) - low) / (high - low if high > low else 1.0), 0, 1)) * 255
    return np.round(scaled).astype(np.uint8).reshape(len(rows), *shape)


def _check_image_shape(image_shape, n_features: int) -> tuple[int, ...]:
    """`image_shape` as (height, width) for grey or (3, height, width) for colour; a (1, height,
    width) is grey. Refuses shapes that do not hold n_features values, and channels-last ones."""
    shape = tuple(int(s) for s in image_shape)
    if len(shape) == 3 and shape[0] == 1:
        shape = shape[1:]
    if len(shape) == 3 and shape[0] != 3 and looks_channels_last(shape):
        raise ValueError(
            f"image_shape {shape} looks channels-last (height, width, channels); aekit images are channels-first: "
            f"pass image_shape={(shape[2], shape[0], shape[1])} with rows in that order, e.g. "
            f"images.transpose(0, 3, 1, 2).reshape(n, -1) for images (n, {shape[0]}, {shape[1]}, {shape[2]})"
        )
    if len(shape) == 3 and shape[0] != 3 and int(np.prod(shape)) == n_features:
        raise ValueError(
            f"image_shape {shape} has {shape[0]} channels: pictures are drawn from 1 (grey) or 3 (colour) channels; "
            "pass image_shape=None to draw the rows as values"
        )
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[0] != 3) or int(np.prod(shape)) != n_features:
        raise ValueError(
            f"image_shape {shape} does not hold {n_features} features as (height, width) or (3, height, width)"
        )
    return shape


def _image_rows(X: np.ndarray, image_shape, name: str = "X") -> tuple[np.ndarray, tuple[int, ...] | None]:
    """Images (n, height, width) or (n, 1 or 3, height, width) as flat rows (n, n_features) with the
    image_shape they imply (unless one is given); rows (n, n_features) pass as they are."""
    if X.ndim == 4 and looks_channels_last(X.shape[1:]):
        raise ValueError(channels_last_message(name, X.shape))
    if X.ndim not in (2, 3, 4) or X.shape[0] == 0:
        raise ValueError(
            f"{name} must be non-empty rows (n_samples, n_features) or images (n_samples, height, width) or "
            f"(n_samples, 1 or 3, height, width), got shape {X.shape}"
        )
    if X.ndim > 2 and image_shape is None:
        image_shape = X.shape[1:]
    return X.reshape(X.shape[0], -1), image_shape


def _check_feature_names(feature_names, n_features: int) -> list[str] | None:
    """`feature_names` as strings, one per feature, or None."""
    if feature_names is None:
        return None
    names = [str(name) for name in feature_names]
    if len(names) != n_features:
        raise ValueError(f"feature_names has {len(names)} names for {n_features} features")
    return names


def _name_features(ax, names: list[str] | None, n_features: int) -> None:
    """Label the feature axis of `ax` by `names` when there are few enough to read, else by index."""
    if names is not None and n_features <= BAR_PROFILE_MAX_FEATURES:
        ax.set_xticks(np.arange(n_features), names, rotation=90)
        ax.set_xlabel("")
    else:
        ax.set_xlabel("feature", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _pixels(row: np.ndarray, image_shape: tuple[int, ...]) -> np.ndarray:
    """A channels-first row as what imshow draws: (height, width), or (height, width, 3)."""
    image = row.reshape(image_shape)
    return image if image.ndim == 2 else np.moveaxis(image, 0, -1)


def _show_image(ax, row: np.ndarray, image_shape: tuple[int, ...], lo: float, hi: float) -> None:
    """One row as a grey image on [lo, hi] (lo black, as stored), or as a colour image clipped to it."""
    if len(image_shape) == 2:
        ax.imshow(_pixels(row, image_shape), cmap="gray", vmin=lo, vmax=hi)
    else:
        ax.imshow(np.clip((_pixels(row, image_shape) - lo) / (hi - lo), 0, 1))
    ax.set_xticks([])
    ax.set_yticks([])


def plot_history(
    history: Mapping[str, object],
    *,
    log_y: bool | None = None,
    title: str = "Training history",
    path: str | os.PathLike | None = None,
) -> Figure:
    """Training and validation loss per epoch, from an estimator's `history_`.

    `history` needs 'loss' (one value per epoch) and may have 'val_loss' (empty when no
    validation split was made) and 'best_epoch' (0-based, marked by a dashed line); a
    'val_loss' of another length than 'loss' is refused. `log_y` None picks a log axis when
    the losses are positive and span more than a factor of 10. Losses that are NaN or
    infinite (a diverged fit, an epoch without validation) are not drawn, and the title says
    how many there are.

    Parameters
    ----------
    history : mapping
        The estimator's `history_`: 'loss', optionally 'val_loss' and 'best_epoch'.
    log_y : bool or None, default=None
        Log scale for the loss axis; None decides as above.
    title : str, default='Training history'
        The axes' title.
    path : str or os.PathLike, default=None
        Also save the figure there as a PNG (its folder is created).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    loss = np.asarray(history.get("loss", ()), dtype=float)
    val_loss = history.get("val_loss")
    val_loss = np.asarray(() if val_loss is None else val_loss, dtype=float)
    if loss.ndim != 1 or loss.size == 0:
        raise ValueError("history['loss'] must be a non-empty sequence of per-epoch losses")
    if val_loss.size and val_loss.shape != loss.shape:
        raise ValueError(
            f"history['val_loss'] must hold one loss per epoch of history['loss'] ({loss.size}) or none, "
            f"got {val_loss.size if val_loss.ndim == 1 else f'shape {val_loss.shape}'}"
        )
    fig = _new_figure((6.4, 4.0))
    ax = fig.add_subplot()
    marker = "o" if loss.size <= 20 else None
    epochs = np.arange(1, loss.size + 1)
    ax.plot(epochs, loss, marker=marker, label="train")
    if val_loss.size:
        ax.plot(np.arange(1, val_loss.size + 1), val_loss, marker=marker, label="validation")
    best = history.get("best_epoch")
    if isinstance(best, (int, np.integer)) and 0 <= best < loss.size:
        ax.axvline(best + 1, color="0.5", linestyle="--", linewidth=1, label=f"best epoch ({best + 1})")
    values = np.concatenate([loss, val_loss])
    finite = values[np.isfinite(values)]
    if log_y is None:
        log_y = bool(finite.size and finite.min() > 0 and finite.max() / finite.min() > 10)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" + (" (log scale)" if log_y else ""))
    bad = [f"{int((~np.isfinite(v)).sum())} of {v.size} {what} losses" for v, what in ((loss, "training"), (val_loss, "validation"))
           if v.size and not np.isfinite(v).all()]
    ax.set_title(title + (f"\n{' and '.join(bad)} are NaN or infinite and not drawn" if bad else ""))
    if not finite.size:
        ax.text(0.5, 0.5, "no finite loss to draw", transform=ax.transAxes, ha="center", va="center", color="C3")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return _finish(fig, path)


def plot_reconstructions(
    X: np.ndarray,
    X_hat: np.ndarray,
    image_shape: tuple[int, ...] | None = None,
    n: int = 10,
    *,
    title: str | None = "Inputs (top) and reconstructions (bottom)",
    value_range: tuple[float, float] | None = None,
    feature_names: Sequence[str] | None = None,
    labels: Sequence | np.ndarray | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """The first `n` rows of X (n_samples, n_features) above their reconstructions X_hat, each
    input titled with its entry of `labels` when given.

    With `image_shape` (height, width) or (3, height, width) (channels-first rows), whose
    product must be n_features, each row is drawn as a grey (or colour) image on the inputs'
    intensity scale (reconstructions beyond it are clipped, so a background at the inputs'
    minimum stays black); otherwise each row is a bar profile (a line past 40 features) on a
    shared scale, with the input outlined behind its reconstruction.
    Images (n_samples, height, width) or (n_samples, 1 or 3, height, width) imply `image_shape`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or images
        The inputs.
    X_hat : array-like of the shape of X
        Their reconstructions; for images X also flat rows (n_samples, n_features), as a
        ConvAutoEncoder's `inverse_transform` returns them.
    image_shape : tuple of int, default=None
        (height, width), or (3, height, width) for channels-first colour rows; (1, height,
        width) is grey. Its product must be n_features.
    n : int, default=10
        Number of rows shown (at most n_samples), at least 1.
    title : str or None, default='Inputs (top) and reconstructions (bottom)'
        The figure's title; None or '' for none.
    value_range : tuple of float, default=None
        (low, high) of the images' intensity scale, e.g. (0, 1) to draw pixels as stored;
        None is the shown inputs' finite range.
    feature_names : sequence of str, default=None
        One name per feature, labelling the profiles' feature axis (up to 40 features).
    labels : array-like of shape (n_samples,), default=None
        One label per row of X (its class, say), written above its input.
    path : str or os.PathLike, default=None
        Also save the figure there as a PNG (its folder is created).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    X, X_hat = np.asarray(X, dtype=float), np.asarray(X_hat, dtype=float)
    if labels is not None and len(labels) != len(X):
        raise ValueError(f"labels must have one entry per row of X ({len(X)}), got {len(labels)}")
    if X.shape != X_hat.shape and (X.ndim < 1 or X_hat.ndim != 2 or X_hat.shape != (len(X), X[:1].size)):
        raise ValueError(
            f"X_hat must have X's shape, or be X's images as flat rows, got X {X.shape} and X_hat {X_hat.shape}"
        )
    X, image_shape = _image_rows(X, image_shape)
    X_hat = X_hat.reshape(X.shape)
    n_features = X.shape[1]
    names = _check_feature_names(feature_names, n_features)
    if image_shape is not None:
        image_shape = _check_image_shape(image_shape, n_features)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    n = min(n, X.shape[0])
    shown = X[:n] if image_shape is not None else np.concatenate([X[:n], X_hat[:n]])
    finite = shown[np.isfinite(shown)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if value_range is not None and image_shape is not None:
        lo, hi = (float(v) for v in value_range)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5

    panel = 1.0 if image_shape is not None else 1.6
    fig = _new_figure((max(3.0, panel * n + 0.8), 2 * panel + (0.5 if title else 0.2)))
    axes = fig.subplots(2, n, squeeze=False, sharex=True, sharey=True)
    positions = np.arange(n_features)
    for j in range(n):
        top, bottom = axes[0, j], axes[1, j]
        if image_shape is not None:
            _show_image(top, X[j], image_shape, lo, hi)
            _show_image(bottom, X_hat[j], image_shape, lo, hi)
        else:
            if n_features <= BAR_PROFILE_MAX_FEATURES:
                top.bar(positions, X[j], width=0.8, color="C0")
                bottom.bar(positions, X_hat[j], width=0.8, color="C1")
                bottom.step(positions, X[j], where="mid", color="C0", linewidth=0.8, alpha=0.7)
            else:
                top.plot(positions, X[j], color="C0", linewidth=1)
                bottom.plot(positions, X[j], color="C0", linewidth=0.8, alpha=0.5)
                bottom.plot(positions, X_hat[j], color="C1", linewidth=1)
            top.set_ylim(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
            top.tick_params(labelsize=7)
            bottom.tick_params(labelsize=7)
            _name_features(bottom, names, n_features)
        if labels is not None:
            top.set_title(str(labels[j]), fontsize=8)
    axes[0, 0].set_ylabel("input")
    axes[1, 0].set_ylabel("reconstruction")
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def _category_colors(k: int) -> list:
    if k <= 10:
        return [colormaps["tab10"](i) for i in range(k)]
    if k <= 20:
        return [colormaps["tab20"](i) for i in range(k)]
    return [colormaps["turbo"](t) for t in np.linspace(0, 1, k)]


def plot_latent(
    Z: np.ndarray,
    labels: Sequence | np.ndarray | None = None,
    title: str = "Latent codes",
    *,
    label_name: str = "label",
    path: str | os.PathLike | None = None,
) -> Figure:
    """Scatter of codes Z (n_samples, latent_dim) in the plane, coloured by `labels`.

    Labels that are not numbers, or have at most 20 distinct values, are categories: one
    colour each, a legend, and the category written at its median code (up to 50 without the
    legend; beyond, the title says they are told apart by colour only). Other numeric labels
    get a continuous colour scale with a colorbar. With more than two columns only the first
    two are drawn, and the title says so; a single column is spread vertically by a fixed
    jitter so overlapping codes stay visible. Codes with NaN or inf are left out and the title counts them.

    Parameters
    ----------
    Z : array-like of shape (n_samples, latent_dim)
        The codes; a 1-D array is one column.
    labels : array-like of shape (n_samples,), default=None
        Colours the points; None draws them in one colour.
    title : str, default='Latent codes'
        The axes' title.
    label_name : str, default='label'
        Title of the legend or colorbar.
    path : str or os.PathLike, default=None
        Also save the figure there as a PNG (its folder is created).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    Z = np.asarray(Z, dtype=float)
    if Z.ndim == 1:
        Z = Z[:, None]
    if Z.ndim != 2 or Z.shape[0] == 0 or Z.shape[1] == 0:
        raise ValueError(f"Z must be a non-empty (n_samples, latent_dim) array, got shape {Z.shape}")
    n, d = Z.shape
    if d == 1:
        xy = np.column_stack([Z[:, 0], np.random.default_rng(0).uniform(-1, 1, n)])
        title = f"{title} (1-D code, vertical jitter)"
        axis_labels = ("code 0", "jitter")
    else:
        xy = Z[:, :2]
        if d > 2:
            title = f"{title} (first 2 of {d} dimensions)"
        axis_labels = ("code 0", "code 1")

    fig = _new_figure((6.4, 5.2))
    ax = fig.add_subplot()
    point_size = float(np.clip(3000 / n, 4, 30))
    if labels is not None:
        labels = named_labels(labels)
        if labels.ndim != 1 or labels.shape[0] != n:
            raise ValueError(f"labels must have one entry per row of Z ({n}), got shape {labels.shape}")
    title += _not_drawn(xy) + _not_named(labels)
    scatter = _scatter_codes(ax, xy, labels, point_size)
    if scatter is not None:
        fig.colorbar(scatter, ax=ax, label=label_name)
    elif labels is not None and np.unique(labels).size <= MAX_CATEGORIES:
        ax.legend(title=label_name, loc="center left", bbox_to_anchor=(1.01, 0.5), markerscale=2, frameon=False)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return _finish(fig, path)


def plot_error_comparison(
    errors: Mapping[str, float],
    ylabel: str = "reconstruction error",
    *,
    title: str = "Held-out reconstruction error (lower is better)",
    colors: Sequence | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Bar chart of one error per model, e.g. {"AutoEncoder": 0.03, "PCA": 0.05}, each bar
    labelled with its value; `colors` gives one colour per bar (default: one per model). An
    error that is NaN or infinite (a diverged model) gets no bar, and its value is written
    where the bar would start.

    Parameters
    ----------
    errors : mapping of str to float
        One error per model, drawn in this order.
    ylabel : str, default='reconstruction error'
        Label of the error axis.
    title : str, default='Held-out reconstruction error (lower is better)'
        The axes' title.
    colors : sequence of matplotlib colours, default=None
        One colour per bar; None cycles the default colours.
    path : str or os.PathLike, default=None
        Also save the figure there as a PNG (its folder is created).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    if not errors:
        raise ValueError("errors must name at least one model")
    names = [str(k) for k in errors]
    values = np.asarray([float(v) for v in errors.values()])
    if colors is None:
        colors = [f"C{i % 10}" for i in range(len(names))]
    elif len(colors) != len(names):
        raise ValueError(f"colors has {len(colors)} entries for {len(names)} bars")
    fig = _new_figure((max(4.0, 1.3 * len(names) + 1.5), 4.0))
    ax = fig.add_subplot()
    finite = np.isfinite(values)
    bars = ax.bar(np.arange(len(names)), np.where(finite, values, 0.0), color=list(colors), width=0.6)
    ax.bar_label(bars, labels=[f"{v:.4g}" if ok else f"{v:g}: not drawn" for v, ok in zip(values, finite)], padding=3)
    ax.set_xticks(np.arange(len(names)), names)
    finite = values[finite]
    if finite.size and finite.max() > 0:
        ax.set_ylim(min(0.0, float(finite.min()) * 1.15), float(finite.max()) * 1.15)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return _finish(fig, path)


def plot_image_rows(
    rows: Mapping[str, np.ndarray],
    n: int = 8,
    *,
    image_shape: tuple[int, ...] | None = None,
    title: str | None = None,
    value_range: tuple[float, float] | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Labelled rows showing the first `n` images of each array: {'noisy': ..., 'denoised':
    ..., 'clean': ...}, masked / inpainted / original, gray / colorized / original.

    Each array holds images (n_samples, height, width) or (n_samples, channels, height, width)
    with 1 or 3 channels (the convolutional estimators' channels-first layout), or rows
    (n_samples, n_features) with `image_shape` (channels, height, width) or (height, width).
    Grey rows are drawn in colour when another row is colour. `value_range` fixes the
    intensity scale (default: the shown images' finite range).

    Parameters
    ----------
    rows : mapping of str to array-like
        Row label to images or flat rows, as above; all of one height and width.
    n : int, default=8
        Number of images per row (at most the shortest array's), at least 1.
    image_shape : tuple of int, default=None
        (channels, height, width) or (height, width) of flat rows; needed only for them.
    title : str, default=None
        The figure's title.
    value_range : tuple of float, default=None
        (low, high) of the intensity scale.
    path : str or os.PathLike, default=None
        Also save the figure there as a PNG (its folder is created).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    if not rows:
        raise ValueError("rows must name at least one array of images")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    images = {}
    for label, array in rows.items():
        array = np.asarray(array, dtype=float)
        if array.ndim == 2:
            if image_shape is None:
                raise ValueError(f"rows[{label!r}] is flat {array.shape}: pass image_shape (channels, height, width)")
            if int(np.prod(image_shape)) != array.shape[1]:
                raise ValueError(f"image_shape {tuple(image_shape)} does not hold the {array.shape[1]} values of a row of rows[{label!r}]")
            array = array.reshape(array.shape[0], *image_shape)
        if array.ndim == 3:
            array = array[:, None]
        if array.ndim == 4 and array.shape[1] not in (1, 3) and looks_channels_last(array.shape[1:]):
            raise ValueError(channels_last_message(f"rows[{label!r}]", array.shape))
        if array.ndim != 4 or array.shape[1] not in (1, 3) or array.shape[0] == 0:
            raise ValueError(
                f"rows[{label!r}] must be non-empty images (n, height, width) or (n, 1 or 3, height, width), "
                f"got shape {array.shape}"
            )
        images[label] = array
    sizes = {a.shape[2:] for a in images.values()}
    if len(sizes) > 1:
        raise ValueError(f"all rows must show images of one height x width, got {sorted(sizes)}")
    n = min(n, *(a.shape[0] for a in images.values()))
    colour = any(a.shape[1] == 3 for a in images.values())
    height, width = sizes.pop()
    shown = [np.repeat(a[:n], 3 if colour else 1, axis=1) if a.shape[1] == 1 else a[:n] for a in images.values()]
    grid = np.stack([a.reshape(n, -1) for a in shown])  # (n_rows, n, channels * height * width)
    shape = (3, height, width) if colour else (height, width)
    return plot_image_grid(grid, shape, row_labels=list(images), title=title, value_range=value_range, path=path)


def _gap_colour(pixels: np.ndarray) -> np.ndarray:
    """The colour (3,) of the gaps between colour images (and of blank cells): of GAP_COLOURS,
    the one furthest from every pixel (m, 3) on [0, 1], so that no image's edge merges with its
    gaps; grey images' gaps take the first, which no grey level comes near."""
    candidates = np.array(GAP_COLOURS)  # (k, 3)
    if not len(pixels):
        return candidates[0]
    pixels = pixels[:: max(1, len(pixels) // 4096)]
    nearest = np.sqrt(((pixels[:, None, :] - candidates[None]) ** 2).sum(axis=2)).min(axis=0)  # (k,)
    return candidates[int(np.argmax(nearest))]


def plot_image_grid(
    grid: np.ndarray,
    image_shape: tuple[int, ...] | None = None,
    *,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    title: str | None = None,
    value_range: tuple[float, float] | None = None,
    feature_names: Sequence[str] | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Rows of examples, e.g. decoded samples or interpolation paths: grid (n_rows, n_cols,
    n_features).

    With `image_shape` ((height, width), or (3, height, width) for channels-first colour
    rows) each cell is an image, the gaps between them (and NaN pixels, as of a blank cell)
    in a colour no pixel comes near (light blue for grey images); without, each grid row is a heatmap of its
    n_cols examples (one line each) over the features, all on one colour scale with a
    colorbar. `value_range` fixes the scale (default: the grid's finite range).

    Parameters
    ----------
    grid : array-like of shape (n_rows, n_cols, n_features)
        The examples; a 2-D array is one row.
    image_shape : tuple of int, default=None
        (height, width), or (3, height, width) for channels-first colour rows; (1, height,
        width) is grey. Its product must be n_features.
    row_labels : sequence of str, default=None
        One label per grid row.
    col_labels : sequence of str, default=None
        One label per grid column.
    title : str, default=None
        The figure's title.
    value_range : tuple of float, default=None
        (low, high) of the colour or intensity scale.
    feature_names : sequence of str, default=None
        One name per feature, labelling the feature axis of rows drawn without `image_shape`
        (up to 40 features).
    path : str or os.PathLike, default=None
        Also save the figure there as a PNG (its folder is created).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    grid = np.asarray(grid, dtype=float)
    if grid.ndim == 2:
        grid = grid[None]
    if grid.ndim != 3 or 0 in grid.shape:
        raise ValueError(f"grid must be a non-empty (n_rows, n_cols, n_features) array, got shape {grid.shape}")
    n_rows, n_cols, n_features = grid.shape
    names = _check_feature_names(feature_names, n_features)
    for labels, count, what in ((row_labels, n_rows, "row_labels"), (col_labels, n_cols, "col_labels")):
        if labels is not None and len(labels) != count:
            raise ValueError(f"{what} has {len(labels)} entries for {count} {what.split('_')[0]}s")
    if value_range is None:
        finite = grid[np.isfinite(grid)]
        value_range = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    lo, hi = value_range
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    if image_shape is not None:
        image_shape = _check_image_shape(image_shape, n_features)
        height, width = image_shape[-2:]
        pad = max(1, round(0.08 * max(height, width)))
        colour = (3,) if len(image_shape) == 3 else ()
        mosaic = np.full((n_rows * (height + pad) - pad, n_cols * (width + pad) - pad, *colour), np.nan)
        for i in range(n_rows):
            for j in range(n_cols):
                top, left = i * (height + pad), j * (width + pad)
                mosaic[top : top + height, left : left + width] = _pixels(grid[i, j], image_shape)
        cell_width, cell_height = (max(0.3, 0.9 * side / max(height, width)) for side in (width, height))
        fig = _new_figure((max(3.0, cell_width * n_cols + 1.4), cell_height * n_rows + (0.6 if title else 0.3)))
        ax = fig.add_subplot()
        if len(image_shape) == 2:
            grey = colormaps["gray"].with_extremes(bad=GAP_COLOURS[0])
            ax.imshow(mosaic, cmap=grey, vmin=lo, vmax=hi, interpolation="nearest")
        else:
            scaled = np.clip((mosaic - lo) / (hi - lo), 0, 1)
            blank = np.isnan(scaled).any(axis=2)
            ax.imshow(np.where(blank[..., None], _gap_colour(scaled[~blank]), scaled), interpolation="nearest")
        x_centers = [j * (width + pad) + (width - 1) / 2 for j in range(n_cols)]
        y_centers = [i * (height + pad) + (height - 1) / 2 for i in range(n_rows)]
        ax.set_xticks(x_centers, [str(c) for c in col_labels] if col_labels is not None else [])
        ax.set_yticks(y_centers, [str(r) for r in row_labels] if row_labels is not None else [])
        ax.tick_params(length=0, labelsize=8)
        ax.xaxis.tick_top()
        for spine in ax.spines.values():
            spine.set_visible(False)
    else:
        fig = _new_figure((7.0, 0.8 + n_rows * (0.3 + 0.12 * n_cols) + (0.4 if title else 0.0)))
        axes = fig.subplots(n_rows, 1, squeeze=False, sharex=True)
        for i in range(n_rows):
            ax = axes[i, 0]
            image = ax.imshow(grid[i], aspect="auto", cmap="viridis", vmin=lo, vmax=hi, interpolation="nearest")
            ax.set_yticks(np.arange(n_cols), [str(c) for c in col_labels] if col_labels is not None else [])
            ax.tick_params(labelsize=7)
            if row_labels is not None:
                ax.set_ylabel(str(row_labels[i]), fontsize=8)
        _name_features(axes[-1, 0], names, n_features)
        fig.colorbar(image, ax=axes[:, 0].tolist(), label="value")
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


# ---- the latent space (see aekit.analysis.latent) -------------------------------------------------------


def _not_drawn(xy: np.ndarray) -> str:
    """For a title: '\n3 of 50 codes are not finite and not drawn' when rows of xy (n, 2) hold NaN or inf, else ''."""
    bad = int((~np.isfinite(xy).all(axis=1)).sum())
    return f"\n{bad} of {len(xy)} codes are not finite and not drawn" if bad else ""


def _missing_labels(labels: np.ndarray) -> np.ndarray:
    """Which of non-float labels (n,) are missing: NO_LABEL among text classes (`named_labels`)."""
    return labels == NO_LABEL if labels.dtype.kind in "OU" else np.zeros(len(labels), dtype=bool)


def _not_named(labels: np.ndarray | None) -> str:
    """For a title: '\n80 categories, too many to name: told apart by colour only' when labels (n,)
    that `_scatter_codes` draws as categories are more than MAX_NAMED_CATEGORIES, else ''."""
    if labels is None or labels.dtype.kind in "iufb":
        return ""
    count = np.unique(labels[~_missing_labels(labels)]).size
    return f"\n{count} categories, too many to name: told apart by colour only" if count > MAX_NAMED_CATEGORIES else ""


def _scatter_codes(ax, xy: np.ndarray, labels: np.ndarray | None, point_size: float):
    """Codes xy (n, 2) on `ax`, one colour per category (each written at its median) or a
    continuous colour scale, rows without a label (NaN) in grey; returns the scatter of the
    continuous case, else None."""
    if labels is None:
        ax.scatter(*xy.T, s=point_size, alpha=0.7, linewidths=0)
        return None
    missing = np.isnan(labels) if labels.dtype.kind == "f" else _missing_labels(labels)
    if missing.any():
        unlabelled = ax.scatter(*xy[missing].T, s=point_size, color="0.6", alpha=0.7, linewidths=0, label=NO_LABEL)
        xy, labels = xy[~missing], labels[~missing]
    categories = np.unique(labels)
    if labels.dtype.kind in "iufb" and categories.size > MAX_CATEGORIES:
        if missing.any():
            ax.legend(handles=[unlabelled], loc="best", markerscale=2, frameon=False)
        return ax.scatter(*xy.T, c=labels.astype(float), cmap="viridis", s=point_size, alpha=0.8, linewidths=0)
    named, size = categories.size <= MAX_NAMED_CATEGORIES, 11 if categories.size <= MAX_CATEGORIES else 7
    for category, color in zip(categories, _category_colors(categories.size)):
        points = xy[labels == category]
        ax.scatter(*points.T, s=point_size, color=color, alpha=0.7, linewidths=0, label=str(category))
        points = points[np.isfinite(points).all(axis=1)]
        if named and points.size:
            box = {"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.75, "edgecolor": color}
            ax.text(*np.median(points, axis=0), str(category), ha="center", va="center", fontsize=size,
                    fontweight="bold", color=color, bbox=box)
    return None


def plot_latent_comparison(
    codes: Mapping[str, np.ndarray],
    labels: Sequence | np.ndarray | None = None,
    *,
    title: str | None = "Codes coloured by label",
    label_name: str = "label",
    path: str | os.PathLike | None = None,
) -> Figure:
    """Side-by-side scatters of several embeddings of the same samples, e.g.
    {"AutoEncoder": Z_ae, "PCA": Z_pca}, each (n_samples, d) drawn by its first two columns (a
    single column against a fixed vertical jitter), coloured by `labels` (n_samples,) as in
    `plot_latent`, with one shared legend or colorbar; each title counts its codes left out as not finite.

    Parameters
    ----------
    codes : mapping of str to array-like
        Embedding name to codes (n_samples, d), d >= 1, all of the same n_samples.
    labels : array-like of shape (n_samples,), default=None
        Colours the points; None draws them in one colour.
    title : str or None, default='Codes coloured by label'
        The figure's title; None for none.
    label_name : str, default='label'
        Title of the legend or colorbar.
    path : str or os.PathLike, default=None
        Also save the figure there as a PNG (its folder is created).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    if not codes:
        raise ValueError("codes must name at least one embedding")
    arrays = {str(name): np.asarray(Z, dtype=float) for name, Z in codes.items()}
    n = next(iter(arrays.values())).shape[0]
    for name, Z in arrays.items():
        if Z.ndim != 2 or Z.shape[1] < 1 or Z.shape[0] != n or n == 0:
            raise ValueError(f"codes[{name!r}] must be (n_samples, d) with the same n_samples, got {Z.shape}")
    if labels is not None:
        labels = named_labels(labels)
        if labels.shape != (n,):
            raise ValueError(f"labels must have one entry per sample ({n}), got shape {labels.shape}")
    fig = _new_figure((4.6 * len(arrays) + 1.2, 4.6 + (0.4 if title else 0.0)))
    axes = fig.subplots(1, len(arrays), squeeze=False)[0]
    point_size = float(np.clip(3000 / n, 4, 30))
    scatter = None
    for ax, (name, Z) in zip(axes, arrays.items()):
        d = Z.shape[1]
        xy = Z[:, :2] if d > 1 else np.column_stack([Z[:, 0], np.random.default_rng(0).uniform(-1, 1, n)])
        scatter = _scatter_codes(ax, xy, labels, point_size)
        ax.set_title({1: f"{name} (1-D, vertical jitter)", 2: name}.get(d, f"{name} (first 2 of {d} dimensions)") + _not_drawn(xy)
                     + _not_named(labels))
        ax.set_xlabel("dimension 0")
        ax.set_ylabel("dimension 1" if d > 1 else "jitter")
        ax.grid(True, alpha=0.3)
    if scatter is not None:
        fig.colorbar(scatter, ax=list(axes), label=label_name)
    elif labels is not None and np.unique(labels).size <= MAX_CATEGORIES:
        axes[-1].legend(title=label_name, loc="center left", bbox_to_anchor=(1.01, 0.5), markerscale=2, frameon=False)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def _axis_values(values: np.ndarray) -> list[str]:
    """Evenly spaced values as tick labels, with 2 significant digits or as few more as keep
    them apart (1.7, 1.76, 1.83 rather than 1.8 twice); one that is 0 but for rounding (a
    linspace from -a to a passes -4.4e-16) reads 0."""
    span = float(np.ptp(values)) if values.size else 0.0
    values = [0.0 if abs(v) <= 1e-9 * span else float(v) for v in values]
    for digits in range(2, 8):
        labels = [f"{v:.{digits}g}" for v in values]
        if len(set(labels)) == len(set(values)):
            return labels
    return labels


def plot_latent_grid(
    grid: np.ndarray,
    image_shape: tuple[int, ...],
    codes: np.ndarray | None = None,
    *,
    title: str | None = "Decoded 2-D code grid",
    value_range: tuple[float, float] | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """The decoded grid of `aekit.analysis.latent.latent_grid`, (n, n, n_features), as images; with its
    codes (n, n, 2), columns are labelled by their value of code 0 and rows by code 1, and the axes say so.

    Parameters
    ----------
    grid : array-like of shape (n_rows, n_cols, n_features)
        The decoded outputs.
    image_shape : tuple of int
        (height, width), or (3, height, width) for channels-first colour rows.
    codes : array-like of shape (n_rows, n_cols, 2), default=None
        The grid's codes, labelling its columns and rows.
    title : str or None, default='Decoded 2-D code grid'
        The figure's title; None for none.
    value_range : tuple of float, default=None
        (low, high) of the colour or intensity scale; None is the grid's finite range.
    path : str or os.PathLike, default=None
        Also save the figure there as a PNG (its folder is created).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    grid = np.asarray(grid, dtype=float)
    if grid.ndim != 3:
        raise ValueError(f"grid must be (n_rows, n_cols, n_features), got shape {grid.shape}")
    row_labels = col_labels = None
    if codes is not None:
        codes = np.asarray(codes, dtype=float)
        if codes.shape != (*grid.shape[:2], 2):
            raise ValueError(f"codes must have shape {(*grid.shape[:2], 2)}, got {codes.shape}")
        col_labels, row_labels = _axis_values(codes[0, :, 0]), _axis_values(codes[:, 0, 1])
    fig = plot_image_grid(grid, image_shape, row_labels=row_labels, col_labels=col_labels, title=title, value_range=value_range)
    if codes is not None:
        ax = fig.axes[0]
        ax.xaxis.set_label_position("top")
        ax.set_xlabel("code 0", fontsize=9)
        ax.set_ylabel("code 1", fontsize=9)
    return _finish(fig, path)


def plot_interpolations(
    paths: Mapping[str, np.ndarray] | np.ndarray,
    image_shape: tuple[int, ...] | None = None,
    *,
    title: str | None = "Interpolations",
    value_range: tuple[float, float] | None = None,
    feature_names: Sequence[str] | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Interpolation strips, one row per method, e.g. {"linear": ..., "slerp": ..., "pixel": ...},
    each (steps, n_features) from `aekit.analysis.latent.interpolate`; columns are labelled by t in [0, 1].
    An array, as `interpolate` returns it, is one path (steps, n_features) or n of them (n, steps,
    n_features), one row each, labelled by their position.

    Parameters
    ----------
    paths : mapping of str to array-like, or array-like
        Row label to a path (steps, n_features), all of one shape; or the paths themselves.
    image_shape : tuple of int, default=None
        (height, width), or (3, height, width) for channels-first colour rows; (1, height,
        width) is grey. Its product must be n_features.
    title : str or None, default='Interpolations'
        The figure's title; None for none.
    value_range : tuple of float, default=None
        (low, high) of the colour or intensity scale; None is the paths' finite range.
    feature_names : sequence of str, default=None
        One name per feature, labelling the feature axis of rows drawn without `image_shape`
        (up to 40 features).
    path : str or os.PathLike, default=None
        Also save the figure there as a PNG (its folder is created).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    if isinstance(paths, Mapping):
        if not paths:
            raise ValueError("paths must name at least one interpolation")
        strips, row_labels = [np.asarray(p, dtype=float) for p in paths.values()], [str(k) for k in paths]
    else:
        batch = np.asarray(paths, dtype=float)
        if batch.ndim not in (2, 3) or 0 in batch.shape:
            raise ValueError(f"paths must be a mapping, or one path (steps, n_features) or n paths (n, steps, n_features); "
                             f"got an array of shape {batch.shape}")
        strips = [batch] if batch.ndim == 2 else list(batch)
        row_labels = None if batch.ndim == 2 else [str(i) for i in range(len(strips))]
    if any(s.shape != strips[0].shape or s.ndim != 2 for s in strips):
        raise ValueError(f"every path must be (steps, n_features) of one shape, got {[s.shape for s in strips]}")
    steps = strips[0].shape[0]
    col_labels = [f"{t:.2g}" for t in np.linspace(0.0, 1.0, steps)]
    return plot_image_grid(
        np.stack(strips), image_shape, row_labels=row_labels, col_labels=col_labels,
        title=title, value_range=value_range, feature_names=feature_names, path=path,
    )


def plot_samples(
    X: np.ndarray,
    image_shape: tuple[int, ...] | None = None,
    *,
    n_cols: int = 8,
    title: str | None = "Samples",
    value_range: tuple[float, float] | None = None,
    feature_names: Sequence[str] | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Rows of X (n_samples, n_features), e.g. decoded samples, as a grid `n_cols` wide (the
    last row left blank where it runs out). Images (n_samples, height, width) or (n_samples, 1
    or 3, height, width) imply `image_shape`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or images
        The rows to draw.
    image_shape : tuple of int, default=None
        (height, width), or (3, height, width) for channels-first colour rows; (1, height,
        width) is grey. Its product must be n_features.
    n_cols : int, default=8
        Width of the grid (at most n_samples), at least 1.
    title : str or None, default='Samples'
        The figure's title; None for none.
    value_range : tuple of float, default=None
        (low, high) of the colour or intensity scale; None is X's finite range.
    feature_names : sequence of str, default=None
        One name per feature, labelling the feature axis of rows drawn without `image_shape`
        (up to 40 features).
    path : str or os.PathLike, default=None
        Also save the figure there as a PNG (its folder is created).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    X, image_shape = _image_rows(np.asarray(X, dtype=float), image_shape)
    if n_cols < 1:
        raise ValueError(f"n_cols must be at least 1, got {n_cols}")
    n_cols = min(n_cols, X.shape[0])
    n_rows = -(-X.shape[0] // n_cols)
    padded = np.full((n_rows * n_cols, X.shape[1]), np.nan)
    padded[: X.shape[0]] = X
    if value_range is None:
        finite = X[np.isfinite(X)]
        value_range = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return plot_image_grid(
        padded.reshape(n_rows, n_cols, -1), image_shape, title=title, value_range=value_range,
        feature_names=feature_names, path=path,
    )


def plot_score_histogram(
    scores: np.ndarray,
    threshold: float,
    *,
    title: str = "Anomaly scores and the threshold",
    path: str | os.PathLike | None = None,
) -> Figure:
    """Histogram of anomaly scores (n,) (higher = more abnormal) on a log count axis, with a
    vertical line at `threshold` and the share of scores beyond it. When a few scores lie far
    beyond the rest (the range over 100 times that of the bottom 99 %), the score axis is
    symmetric-logarithmic, so the bulk and the threshold keep their bins. Scores far below the
    rest (the bottom 1 % further than 100 times the central 98 % spans below it) are counted in
    the first bin, which starts just below the bulk and the threshold, and the axis label says
    how many they are and the lowest.

    Parameters
    ----------
    scores : array-like of shape (n,)
        Finite anomaly scores.
    threshold : float
        The score above which a row is flagged.
    title : str, default='Anomaly scores and the threshold'
        The axes' title.
    path : str or os.PathLike, default=None
        Also save the figure there as a PNG (its folder is created).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.size == 0 or not np.isfinite(scores).all():
        raise ValueError("scores must be a non-empty array of finite numbers")
    number = isinstance(threshold, (int, float, np.integer, np.floating)) and not isinstance(threshold, (bool, np.bool_))
    if not number or not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number (the score above which a row is flagged), got {threshold!r}")
    threshold = float(threshold)
    fig = _new_figure((7.0, 3.6))
    ax = fig.add_subplot()
    n_bins, lo, hi = min(80, max(10, scores.size // 10)), float(scores.min()), float(scores.max())
    low = float(np.quantile(scores, 0.01, method="higher"))  # of 100 scores the second lowest: the lowest may be far
    high = float(np.quantile(scores, 0.99, method="lower"))
    below = ""
    if scores.size > 2 and low - lo > FAR_TAIL * (high - low):  # a few rows far below would squeeze the rest into the last bin
        start = min(low, threshold) - 0.05 * (high - low)
        n_below = int((scores < start).sum())
        below = (f"\nthe first bin also counts the {n_below} {'score' if n_below == 1 else 'scores'} below "
                 f"{start:.4g} (lowest {lo:.4g})")
        scores, lo = np.maximum(scores, start), start
    bulk = high - lo
    far = hi - lo > FAR_TAIL * bulk and hi > lo  # a few rows far out would squeeze the rest into one bin
    if far:
        linear = max(abs(threshold), abs(lo), bulk, np.finfo(float).tiny)
        ax.set_xscale("symlog", linthresh=10 ** np.ceil(np.log10(linear)))  # a decade: no tick crowds 0
        scale = ax.xaxis.get_transform()
        left, right = scale.transform([lo, hi])
        n_bins = max(n_bins, min(160, int(np.ceil(8 * (right - left)))))  # 8 a decade: the bulk gets bins of its own
        edges = scale.inverted().transform(np.linspace(left, right, n_bins + 1))
        n_bins = np.concatenate([[lo], edges[1:-1], [hi]])  # the ends exactly, so no score falls outside
    ax.hist(scores, bins=n_bins, color="C0", alpha=0.8)
    ax.axvline(threshold, color="C3", linewidth=2, label=f"threshold {threshold:.4g}: {np.mean(scores > threshold):.1%} beyond")
    ax.set_yscale("log")
    ax.set_xlabel("anomaly score (higher = more abnormal)" + ("; symmetric log scale" if far else "") + below)
    ax.set_ylabel("rows")
    ax.set_title(title)
    ax.legend(loc="upper right")
    ax.grid(True, alpha=0.3)
    return _finish(fig, path)

