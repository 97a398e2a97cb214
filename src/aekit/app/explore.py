"""The latent-space explorer: one self-contained HTML page that maps a fitted autoencoder's codes
and decodes any point of the map in the browser.

The page needs no server and fetches nothing: its data and script are inside it. A 2-d code is
the map's plane itself; a longer code is shown on the plane of its two leading principal
components, and a point (u, v) of the plane decodes from mean + u * pc1 + v * pc2. An MLP
decoder's weights are embedded as little-endian float32 and run in JavaScript (float64
arithmetic); any other decoder is replaced by a precomputed grid of decoded outputs.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
from importlib import resources
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from aekit.app._decoder_layers import DecoderLayers, decoder_layers, run_layers
from aekit.data.labels import NO_LABEL, named_labels
from aekit.saving.persistence import atomic_write_bytes

__all__ = ["EXPLORER_FILE", "explorer_payload", "plane_codes", "write_explorer"]

EXPLORER_FILE = "explorer.html"
MAX_POINTS = 5000
MAX_CLASSES = 30  # more distinct numeric labels than this are coloured on a continuous scale
GRID_BYTES = 4_000_000  # budget of a precomputed decoded grid (float32)
MAX_GRID = 64
MIN_GRID = 8
TABLE_BYTES = 4_000_000  # budget of the hovered rows' values of a table (float32)
MARGIN = 0.08  # share of the codes' span added around the map
STEPS = 10  # decoded outputs in an interpolation strip
LAYER_CHECK_ROWS = 16
LAYER_TOLERANCE = 1e-5


def _b64(array: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()).decode()


def _plane(Z: np.ndarray) -> dict:
    """The map's plane for codes Z (n, k): origin `mean` (k,) and orthonormal `axes` (2, k),
    with each axis's share of the codes' variance. A 2-d code is its own plane."""
    k = Z.shape[1]
    if k == 2:
        return {"kind": "code", "mean": [0.0, 0.0], "axes": [[1.0, 0.0], [0.0, 1.0]], "explained": None}
    if k == 1:
        return {"kind": "line", "mean": [0.0], "axes": [[1.0], [0.0]], "explained": None}
    mean = Z.mean(axis=0)
    _, s, Vt = np.linalg.svd(Z - mean, full_matrices=False)
    if len(Vt) < 2:  # a single row: every plane through its code holds it
        s, Vt = np.zeros(2), np.eye(k)[:2]
    axes = Vt[:2] * np.where(Vt[:2].sum(axis=1, keepdims=True) < 0, -1.0, 1.0)  # a fixed sign per axis
    total = float((s**2).sum())
    explained = [float(v) / total if total > 0 else 0.0 for v in s[:2] ** 2]
    return {"kind": "pca", "mean": mean.tolist(), "axes": axes.tolist(), "explained": explained}


def plane_codes(plane: dict, UV: np.ndarray) -> np.ndarray:
    """Codes (n, k) of plane points UV (n, 2): mean + u * axes[0] + v * axes[1].

    Parameters
    ----------
    plane : dict
        The map's plane, as in the payload of `explorer_payload`: 'mean' (k,) and 'axes' (2, k).
    UV : array-like of shape (n, 2)
        Points of the plane.

    Returns
    -------
    ndarray of shape (n, k)
        Their codes, float64.
    """
    return np.asarray(plane["mean"]) + np.asarray(UV, dtype=np.float64) @ np.asarray(plane["axes"])


def _view(coords: np.ndarray) -> list[float]:
    """[u_lo, u_hi, v_lo, v_hi]: a square around the points with a margin, so both axes have
    one scale (distances on the map are distances in the plane)."""
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    mid = (lo + hi) / 2
    half = float((hi - lo).max()) / 2 * (1 + 2 * MARGIN)
    half = half if half > 1e-9 else 1.0
    return [float(mid[0] - half), float(mid[0] + half), float(mid[1] - half), float(mid[1] + half)]


def _labels(y, class_names) -> dict | None:
    """The points' labels for the page: class names and each point's index into them, or a
    continuous target's values; a missing value (NaN) is the class NO_LABEL, or null."""
    if y is None:
        return None
    y = np.asarray(y)
    if y.dtype.kind in "fiu" and len(np.unique(y)) > MAX_CLASSES:
        values = y.astype(np.float64)
        return {"kind": "continuous", "values": [round(float(v), 6) if np.isfinite(v) else None for v in values]}
    y = named_labels(y)
    classes, index = np.unique(y, return_inverse=True)
    names = [NO_LABEL if y.dtype.kind == "f" and np.isnan(c) else str(c) for c in classes]
    if class_names is not None and y.dtype.kind in "iu":
        names = [str(class_names[int(c)]) if 0 <= int(c) < len(class_names) else str(c) for c in classes]
    return {"kind": "classes", "names": names, "index": index.tolist()}


def _atlas(rows: np.ndarray, shape: tuple[int, int, int], value_range: tuple[float, float]) -> dict:
    """The rows' images tiled into one PNG (a data URI), `cols` tiles across."""
    from PIL import Image

    from aekit.app.plot import image_bytes

    c, h, w = shape
    n = rows.shape[0]
    cols = int(np.ceil(np.sqrt(n)))
    tiles = image_bytes(rows, shape, value_range)
    tiles = tiles[:, :3] if c >= 3 else tiles[:, :1]
    channels = tiles.shape[1]
    sheet = np.zeros((int(np.ceil(n / cols)) * h, cols * w, channels), dtype=np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        sheet[r * h : (r + 1) * h, q * w : (q + 1) * w] = tiles[i].transpose(1, 2, 0)
    image = Image.fromarray(sheet[:, :, 0] if channels == 1 else sheet, "L" if channels == 1 else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # optimize=True saves 3 % for 10 times the time
    return {"atlas": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(), "cols": cols}


def _as_chw(shape) -> tuple[int, int, int] | None:
    if shape is None:
        return None
    shape = tuple(int(s) for s in shape)
    if len(shape) == 2:
        return (1, *shape)
    if len(shape) == 3:
        return shape
    raise ValueError(f"image_shape must be (height, width) or (channels, height, width), got {shape}")


def _decoder(estimator, layers: DecoderLayers | None, view: list[float], plane: dict, grid_size) -> tuple[dict, int]:
    """The page's decoder (the MLP's layers, or a grid of decoded outputs over the view) and
    the width of its outputs."""
    if layers is not None:
        spec = {
            "kind": "mlp",
            "activation": layers.activation,
            "slope": layers.slope,
            "approximate": layers.approximate,
            "output": layers.output,
            "layers": [
                {"in": int(W.shape[1]), "out": int(W.shape[0]), "w": _b64(W, "f4"), "b": _b64(b, "f4")}
                for W, b in zip(layers.weights, layers.biases)
            ],
        }
        return spec, int(layers.weights[-1].shape[0])
    probe = np.asarray(estimator.inverse_transform(plane_codes(plane, np.zeros((1, 2)))))
    d = int(np.prod(probe.shape[1:]))
    if grid_size is None:
        grid_size = int(np.clip(np.sqrt(GRID_BYTES / (4 * d)), MIN_GRID, MAX_GRID))
    u = view[0] + (np.arange(grid_size) + 0.5) * (view[1] - view[0]) / grid_size
    v = view[2] + (np.arange(grid_size) + 0.5) * (view[3] - view[2]) / grid_size
    UV = np.stack(np.meshgrid(u, v), axis=-1).reshape(-1, 2)  # row-major over v, then u
    decoded = np.asarray(estimator.inverse_transform(plane_codes(plane, UV))).reshape(len(UV), -1)
    return {"kind": "grid", "size": grid_size, "bounds": view, "values": _b64(decoded, "f4")}, d


def _checked_layers(estimator, plane: dict, view: list[float]) -> DecoderLayers | None:
    """The MLP decoder's layers when their numpy forward pass matches `inverse_transform` on
    points of the view (a guard against a decoder whose `decode` does more), else None."""
    layers = decoder_layers(estimator)
    if layers is None:
        return None
    rng = np.random.default_rng(0)
    UV = np.column_stack([rng.uniform(view[0], view[1], LAYER_CHECK_ROWS), rng.uniform(view[2], view[3], LAYER_CHECK_ROWS)])
    codes = plane_codes(plane, UV)
    expected = np.asarray(estimator.inverse_transform(codes), dtype=np.float64).reshape(len(UV), -1)
    got = run_layers(layers, codes)
    return layers if got.shape == expected.shape and np.allclose(got, expected, atol=LAYER_TOLERANCE, rtol=0) else None


def _display(display_scaling, d: int, shape) -> dict | None:
    """A table's display units: {'offset': [...], 'scale': [...]} with one value per column."""
    if display_scaling is None or shape is not None:
        return None
    offset, scale = (np.broadcast_to(np.asarray(a, dtype=np.float64), (d,)) for a in display_scaling)
    if not (np.isfinite(offset).all() and np.isfinite(scale).all()):
        raise ValueError("display_scaling must be finite (offset, scale) with one value (or one for all) per column")
    return {"offset": offset.tolist(), "scale": scale.tolist()}


def _rows(X, image_shape, feature_names):
    """(X as given for `transform`, its rows (n, d) in float64, the image shape as (C, H, W) or
    None, the column names): images (n, [C,] H, W) are flattened channel by channel."""
    X_in = X if hasattr(X, "columns") else np.asarray(X)
    if X_in.ndim > 2:
        image_shape = image_shape if image_shape is not None else X_in.shape[1:]
        rows = np.asarray(X_in, dtype=np.float64).reshape(len(X_in), -1)
    else:
        rows = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan", input_name="X")
        if feature_names is None and hasattr(X, "columns"):
            feature_names = [str(c) for c in X.columns]
    d = rows.shape[1]
    shape = _as_chw(image_shape)
    if shape is not None and int(np.prod(shape)) != d:
        raise ValueError(f"image_shape {tuple(image_shape)} holds {int(np.prod(shape))} values, but X rows have {d}")
    names = [str(n) for n in feature_names] if feature_names is not None else [f"x{i}" for i in range(d)]
    if len(names) != d:
        raise ValueError(f"feature_names has {len(names)} names but X has {d} columns")
    return X_in, rows, shape, names


def explorer_payload(
    estimator,
    X,
    y=None,
    *,
    image_shape=None,
    feature_names=None,
    class_names=None,
    max_points: int = MAX_POINTS,
    grid_size: int | None = None,
    title: str | None = None,
    display_scaling=None,
    ids=None,
    value_range=None,
    random_state=0,
) -> dict:
    """What the explorer page (`write_explorer`) embeds, as a JSON-ready dict: the points' plane
    coordinates and labels, the plane, thumbnails (images of `image_shape`) or values (table
    columns named `feature_names`) of up to `max_points` points (a random subset seeded by
    `random_state`), and the decoder: MLP layers, or a `grid_size` x `grid_size` grid of decoded
    outputs (default: the largest up to 64 that fits 4 MB). `display_scaling` (offset, scale),
    one value per column (e.g. a run's scaling), shows a table's values as x * scale + offset
    (bars keep the model's units; `decode` returns them). `ids` (one per row, e.g. file names)
    name the points on hover instead of their positions.

    Parameters
    ----------
    estimator : estimator
        A fitted model with `transform` and `inverse_transform`.
    X : array-like or DataFrame of shape (n_samples, n_features), or images (n, [C,] H, W)
        The rows to map.
    y : array-like of shape (n_samples,), default=None
        Labels colouring the points; numbers with more than 30 distinct values are coloured on
        a continuous scale.
    image_shape : tuple of int, default=None
        (H, W) or (C, H, W), channels-first: show rows as pictures. Taken from X when X has
        more than two axes.
    feature_names : sequence of str, default=None
        Names of a table's columns; None uses a DataFrame's columns, else x0, x1, ...
    class_names : sequence of str, default=None
        Names of integer labels, indexed by label.
    max_points : int, default=5000
        Most points on the map (a table's rows are also capped at 4 MB of values); more rows
        are subsampled at random.
    grid_size : int, default=None
        Side of the decoded grid (at least 2) used when the decoder cannot run in the page.
    title : str, default=None
        The page's title; None is '<class name>: latent space'.
    display_scaling : tuple of (array-like, array-like), default=None
        (offset, scale) per column, or one value for all, showing a table's values in its
        own units; ignored for images.
    ids : sequence, default=None
        One identifier per row, shown on hover.
    value_range : tuple of float, default=None
        (low, high) of the pictures' intensity scale, e.g. (0, 1) to draw pixels as stored;
        None is the shown rows' range (for a table decoded as word proportions, the decoded
        outputs' range).
    random_state : int, RandomState instance or None, default=0
        Seeds the subsample of points.

    Returns
    -------
    dict
        The page's data, JSON-ready (arrays base64-encoded little-endian float32).
    """
    if not (callable(getattr(estimator, "transform", None)) and callable(getattr(estimator, "inverse_transform", None))):
        raise TypeError(f"estimator must have transform and inverse_transform, got {type(estimator).__name__}")
    check_is_fitted(estimator)
    if not isinstance(max_points, Integral) or isinstance(max_points, bool) or max_points < 1:
        raise ValueError(f"max_points must be a positive integer, got {max_points!r}")
    if grid_size is not None and (not isinstance(grid_size, Integral) or isinstance(grid_size, bool) or grid_size < 2):
        raise ValueError(f"grid_size must be an integer >= 2 or None, got {grid_size!r}")
    from aekit.app.runs import decodes_proportions

    X_in, rows, shape, names = _rows(X, image_shape, feature_names)
    n_total, d = rows.shape
    for name, given in (("y", y), ("ids", ids)):
        if given is not None and len(given) != n_total:
            raise ValueError(f"{name} has {len(given)} labels but X has {n_total} rows; give one label per row")
    keep = np.arange(n_total)
    table_cap = max(1, TABLE_BYTES // (4 * d)) if shape is None else max_points
    n_keep = min(max_points, table_cap, n_total)
    if n_keep < n_total:
        keep = np.sort(check_random_state(random_state).choice(n_total, n_keep, replace=False))
    X_kept = X_in[keep] if not hasattr(X_in, "iloc") else X_in.iloc[keep]
    rows = rows[keep]
    Z = np.asarray(estimator.transform(X_kept), dtype=np.float64).reshape(len(keep), -1)
    plane = _plane(Z)
    coords = (Z - np.asarray(plane["mean"])) @ np.asarray(plane["axes"]).T  # (n, 2)
    view = _view(coords)
    display = _display(display_scaling, d, shape)
    decoder, n_out = _decoder(estimator, _checked_layers(estimator, plane, view), view, plane, grid_size)
    out_shape = _as_chw(getattr(estimator, "output_shape_", None)) or shape
    if out_shape is not None and int(np.prod(out_shape)) != n_out:
        out_shape = None
    if value_range is None:
        scaled = rows
        if shape is None and decodes_proportions(estimator):  # word counts in, word proportions out: bars of those
            scaled = np.asarray(estimator.inverse_transform(Z), dtype=np.float64)
        value_range = (float(np.nanmin(scaled)), float(np.nanmax(scaled)))
    value_range = tuple(float(v) for v in value_range)
    if shape is not None:
        points = {"kind": "images", "shape": list(shape), **_atlas(rows, shape, value_range)}
    else:
        points = {"kind": "values", "names": names, "values": _b64(rows, "f4")}
    output_names = names if out_shape is None and n_out == d else None
    return {
        "title": title or f"{type(estimator).__name__}: latent space",
        "model": type(estimator).__name__,
        "code_dim": int(Z.shape[1]),
        "n_points": int(len(keep)),
        "n_total": int(n_total),
        "coords": _b64(coords, "f4"),
        "labels": _labels(None if y is None else np.asarray(y)[keep], class_names),
        "ids": None if ids is None else [str(ids[i]) for i in keep],
        "plane": plane,
        "center": [float(c) for c in coords.mean(axis=0)],
        "view": view,
        "points": points,
        "output": {
            "n": int(n_out),
            "shape": None if out_shape is None else list(out_shape),
            "names": output_names or [f"out{i}" for i in range(n_out)],
            "range": list(value_range),
        },
        "decoder": decoder,
        "display": display,
        "steps": STEPS,
    }


def _json_for_html(payload: dict) -> str:
    """JSON that cannot end the <script> element it sits in."""
    return json.dumps(payload, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")


def write_explorer(estimator, X, y=None, *, path: str | os.PathLike = EXPLORER_FILE, **options) -> Path:
    """Write the explorer page for a fitted `estimator` (any with `transform` and
    `inverse_transform`) to `path` and return it: the codes of up to `max_points` rows of X
    (n_samples, n_features) or images (n, [C,] H, W) as a map coloured by the labels y, and the
    decoder, to decode any point clicked or a path dragged.

    `options` are `explorer_payload`'s: `image_shape` ((H, W) or (C, H, W), channels-first)
    shows rows as pictures, else they are tables with `feature_names`; `class_names` names
    integer labels; `max_points` (5000; more rows are dropped at random, seeded by
    `random_state`); `grid_size`, the resolution of the decoded grid used when the decoder
    cannot run in the page (default: the largest up to 64 that fits 4 MB); `display_scaling`
    (offset, scale) to show a table's values in its own units; `value_range` (low, high) of
    the pictures' intensity scale (default: the rows' range); `title`.

    Parameters
    ----------
    estimator : estimator
        A fitted model with `transform` and `inverse_transform`.
    X : array-like or DataFrame of shape (n_samples, n_features), or images (n, [C,] H, W)
        The rows to map.
    y : array-like of shape (n_samples,), default=None
        Labels colouring the points.
    path : str or os.PathLike, default='explorer.html'
        Where to write the page; its folder is created.
    **options
        Keyword arguments of `explorer_payload`, as above.

    Returns
    -------
    pathlib.Path
        The page's path.
    """
    payload = explorer_payload(estimator, X, y, **options)
    static = resources.files("aekit.app") / "static"
    parts = {
        "title": html.escape(payload["title"]),
        "data": _json_for_html(payload),
        "script": (static / "explorer.js").read_text(encoding="utf-8"),
    }
    template = (static / "explorer.html").read_text(encoding="utf-8")
    page = re.sub(r"\{\{(title|data|script)\}\}", lambda m: parts[m.group(1)], template)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
