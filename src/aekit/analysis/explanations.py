"""Why a row is an outlier: its anomaly score split over its features.

The reconstruction part of `AutoEncoderOutlierDetector`'s score is a mean over features, so it
splits exactly. The latent part (squared Mahalanobis distance of the code from the training
codes' centre) is attributed to input features by integrated gradients along the straight path
from a baseline row, the decoded centre of the training codes, to the row: 32 Gauss-Legendre
nodes, with the small quadrature error spread over the features in proportion to their
absolute attribution so that each row's attributions add up exactly to its distance minus the
baseline's. A row's contributions therefore sum to its anomaly score (`-score_samples`) minus
one constant shared by all rows (`attrs['offset']` of the returned frame). That is
method='error'; method='gradient' attributes the whole score by integrated gradients from the
same baseline (the zero row when the detector has no latent part).

The default, method='conditional', shares the same per-row total as 'error' among features in
proportion to how far each is from what the autoencoder expects of it given the rest of the
row (the row reconstructed with that feature set to its training mean). A plain
reconstruction partly copies an abnormal value through, and spreads its error over the
features it is correlated with; the conditional expectation does neither, and in
benchmarks/explanations.py it named a shifted feature first more often than 'error' did. A
categorical column (a one-hot group) is as far from its expectation as its category is less
expected than the most expected one: a row holding the category the model expects most gives
the column no share, however unsure the model is between categories; so does a column of
two values (a lone one-hot column, its other categories dropped, or a True/False column) at
the value the model expects. A feature the training rows never varied (a constant column) that departs from its value, or one
that lies further from its training mean than BEYOND_RANGE times its training range (a nearly
constant column, such as one that was 5.0 in every training row but one at 5.001, now at 5.5),
takes the row's whole total (shared among such features): the model has no scale for the
departure, which its score reads as far larger than its size in the feature's units. Such
features are also set to their training mean when the others' expected values are computed,
so these stay in the range the model learned instead of following its extrapolation. The
encoding keeps a nearly constant column's own small spread (a minimum spread relative to the
column's magnitude would also flatten ordinary columns such as coordinates or timestamps), so
the score itself stays as large as the departure is in training spreads.

`explain(model, X)` takes the detector or a Pipeline ending in one: the Pipeline's steps give
the feature names, one-hot encoded columns are summed into their source column, and the
expected values are mapped back through the steps' `inverse_transform` where they have one.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from aekit.data.columns import is_true_false

__all__ = ["explain"]

IG_NODES = 32
IG_ELEMENTS = 2**18  # path points x features per gradient batch
CONSTANT_TOLERANCE = 1e-6  # relative departure from a constant feature's training value that is not float rounding
BEYOND_RANGE = 10.0  # distance from the training mean, in training ranges, past which a feature has no scale in the model
DROPPED_SHARE = 1e-4  # share of training rows holding none of a one-hot block's categories past which one was dropped


def _check_split(detector) -> None:
    from aekit.nn.models import AutoEncoderModule

    module = getattr(detector.autoencoder_, "module_", None)
    if not detector._scores_squared_error() and getattr(type(module), "sample_losses", None) is not AutoEncoderModule.sample_losses:
        raise ValueError(
            f"explain splits the reconstruction loss over features for autoencoders whose score is a mean of "
            f"per-feature losses; {type(detector.autoencoder_).__name__}'s is not (use standardize=True, which scores "
            "squared errors, or criterion='latent')"
        )


def reconstruction_terms(detector, X: np.ndarray) -> np.ndarray:
    """Per-feature terms (n, d) of the detector's reconstruction part; each row sums to it."""
    autoencoder, n_features = detector.autoencoder_, X.shape[1]
    if detector._scores_squared_error():
        return np.square(X - autoencoder.reconstruct(X)) / detector.error_scale() / n_features

    def per_feature(m):
        return lambda b: m.likelihood.elementwise(m.decoder(m.encoder(b)), b) / n_features

    return autoencoder._batched(per_feature, X)


def latent_baseline(detector) -> np.ndarray:
    """The baseline row (1, d): the decoded robust centre of the training codes."""
    return np.asarray(detector.autoencoder_.inverse_transform(detector.latent_location_[None]), dtype=np.float64)


def _part_function(detector, module, part: str):
    """The detector's anomaly part as a differentiable function of rows (b, d) -> (b,)."""
    if part == "latent":
        location = torch.as_tensor(detector.latent_location_, dtype=torch.float64)
        precision = torch.as_tensor(detector.latent_precision_, dtype=torch.float64)

        def distance(x):
            centred = module.encode(x) - location
            return torch.einsum("ij,jk,ik->i", centred, precision, centred)

        return distance
    if detector._scores_squared_error():
        error = torch.as_tensor(detector.error_scale(), dtype=torch.float64)
        return lambda x: ((x - module.reconstruct(x)).square() / error).mean(dim=1)
    return module.sample_losses


def integrated_gradients(fn, X: np.ndarray, baseline: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Integrated gradients (n, d) of `fn` (rows -> values) from `baseline` (1, d) to each row of
    X, by IG_NODES-point Gauss-Legendre quadrature; the quadrature error is spread over each
    row's features in proportion to their absolute attribution so that rows sum to `target` (n,)."""
    nodes, weights = np.polynomial.legendre.leggauss(IG_NODES)
    alphas = torch.as_tensor((nodes + 1) / 2, dtype=torch.float64)[:, None, None]  # (m, 1, 1)
    weights = torch.as_tensor(weights / 2, dtype=torch.float64)[:, None, None]
    start = torch.as_tensor(baseline, dtype=torch.float64)  # (1, d)
    n, d = X.shape
    rows = max(1, IG_ELEMENTS // (IG_NODES * d))
    attributions = np.empty((n, d))
    with torch.enable_grad():
        for first in range(0, n, rows):
            step = torch.as_tensor(X[first : first + rows], dtype=torch.float64) - start  # (b, d)
            path = (start + alphas * step).requires_grad_(True)  # (m, b, d)
            (gradient,) = torch.autograd.grad(fn(path.reshape(-1, d)).sum(), path)
            attributions[first : first + rows] = (step * (weights * gradient).sum(dim=0)).numpy()
    residual = target - attributions.sum(axis=1)
    size = np.abs(attributions)
    total = size.sum(axis=1, keepdims=True)
    share = np.divide(size, total, out=np.full_like(size, 1.0 / d), where=total > 0)
    return attributions + residual[:, None] * share


def conditional_reconstruction(detector, X: np.ndarray, sources: list[str] | None = None) -> np.ndarray:
    """What the autoencoder expects each feature to be given the others (n, d): column j is the
    reconstruction of the row with feature j (with every column of its source, for one-hot
    groups) set to its training mean, so the value itself cannot leak into its expectation."""
    center = getattr(detector, "feature_mean_", None)
    if center is None:
        raise ValueError(
            "method='conditional' needs feature_mean_, which detectors saved by an older aekit lack: fit again, "
            "or pass method='error'"
        )
    sources = sources if sources is not None else list(range(X.shape[1]))
    out = np.empty(X.shape, dtype=np.float64)
    for source in dict.fromkeys(sources):
        columns = [i for i, s in enumerate(sources) if s == source]
        masked = X.copy()
        masked[:, columns] = center[columns]
        out[:, columns] = detector.autoencoder_.reconstruct(masked)[:, columns]
    return out


def departed_features(detector, X: np.ndarray) -> np.ndarray:
    """Bool (n, d): the entries of X in a feature that had no spread in training and depart from
    its training value by more than float rounding, or that lie further than BEYOND_RANGE
    training ranges from its training mean (all False for a detector saved without
    `feature_spread_`)."""
    spread, center = getattr(detector, "feature_spread_", None), getattr(detector, "feature_mean_", None)
    if spread is None or center is None:
        return np.zeros(X.shape, dtype=bool)
    departure = np.abs(X - center)
    constant = (spread == 0) & (departure > CONSTANT_TOLERANCE * np.maximum(np.abs(center), 1.0))
    return constant | ((spread > 0) & (departure > BEYOND_RANGE * spread))


def feature_contributions(
    detector, X: np.ndarray, method: str, sources: list[str] | None = None, two_valued: list[int] | None = None
) -> tuple[np.ndarray, float, np.ndarray]:
    """Contributions (n, d) of each feature to the anomaly score, the offset shared by all rows
    (contributions.sum(axis=1) + offset == -detector.score_samples(X)) and the values (n, d)
    reported as expected: `conditional_reconstruction` for 'conditional' (features of one
    source in `sources` masked together; the columns `two_valued` hold one of two values, as a
    lone one-hot or a True/False column), the reconstruction for 'error' and 'gradient'."""
    if method == "conditional":
        departed = departed_features(detector, X)
        steady = np.where(departed, detector.feature_mean_, X).astype(X.dtype, copy=False) if departed.any() else X
        expected = conditional_reconstruction(detector, steady, sources)
        offset = _error_offset(detector, X.dtype)
        total = -detector._scores(X) - offset
        surprise = np.square(X - expected) - _unavoidable(detector, X, expected, sources, two_valued or [])
        surprise = np.where(departed.any(axis=1, keepdims=True), np.where(departed, surprise, 0.0), surprise)
        size = surprise.sum(axis=1, keepdims=True)
        share = np.divide(surprise, size, out=np.full_like(surprise, 1.0 / X.shape[1]), where=size > 0)
        return total[:, None] * share, offset, expected
    contributions, offset = _integrated(detector, X, method)
    return contributions, offset, np.asarray(detector.autoencoder_.reconstruct(X), dtype=np.float64)


def _unavoidable(detector, X: np.ndarray, expected: np.ndarray, sources: list[str] | None,
                 two_valued: list[int]) -> np.ndarray:
    """The squared distance (n, d) from `expected` of the row that holds, in each one-hot group
    (a source of several columns), the category expected most (the group's largest expected
    entry at the row's largest value, the rest at its smallest); for a column of `two_valued`
    (a lone one-hot or a True/False column) the nearer to its expectation of the two values it
    took in training; 0 for another lone column and for a
    row that shows no category (all its group's values equal, as a dropped first category). Taken off a
    group's surprise, it leaves a category that is the one expected no share of the score, the
    model's doubt between categories being no reason: a category less expected than the first by
    p (a share of the rows) keeps 2p, times the group's scale."""
    out = np.zeros(X.shape, dtype=np.float64)
    bounds = category_bounds(detector, X)
    for source in dict.fromkeys(sources or []):
        columns = [i for i, s in enumerate(sources) if s == source]
        if len(columns) == 1 and columns[0] in two_valued:
            at = columns[0]
            low, high = bounds[0][:, at], bounds[1][:, at]
            out[:, at] = np.square(np.where(expected[:, at] > (low + high) / 2, high, low) - expected[:, at])
            continue
        if len(columns) < 2:
            continue
        values, guess = X[:, columns], expected[:, columns]
        first = np.arange(len(columns)) == np.argmax(guess, axis=1)[:, None]
        high, low = values.max(axis=1, keepdims=True), values.min(axis=1, keepdims=True)
        out[:, columns] = np.where(high > low, np.square(np.where(first, high, low) - guess), 0.0)  # no category seen: none
    return out


def _integrated(detector, X: np.ndarray, method: str) -> tuple[np.ndarray, float]:
    """Contributions (n, d) and offset of methods 'error' and 'gradient'."""
    _check_split(detector)
    parts = detector._parts_used()
    baseline = latent_baseline(detector) if "latent" in parts else np.zeros((1, X.shape[1]))
    if method == "gradient" or "latent" in parts:
        module = detector.autoencoder_._inference_module(torch.float64)
    if method == "gradient":
        functions = {p: _part_function(detector, module, p) for p in parts}
        base = float(-detector._scores(baseline.astype(X.dtype))[0])

        def anomaly(x):
            return -detector._combine({p: f(x) for p, f in functions.items()})

        return integrated_gradients(anomaly, X, baseline, -detector._scores(X) - base), base
    contributions = np.zeros(X.shape, dtype=np.float64)
    for part in parts:
        scale = detector.part_scale_[part] if len(parts) > 1 else 1.0
        if part == "reconstruction":
            terms = reconstruction_terms(detector, X)
        else:
            target = detector._part("latent", X) - float(detector._part("latent", baseline.astype(X.dtype))[0])
            terms = integrated_gradients(_part_function(detector, module, "latent"), X, baseline, target)
        contributions += terms / scale
    return contributions, _error_offset(detector, X.dtype)


def _error_offset(detector, dtype) -> float:
    """The constant that method 'error' leaves out of every row: each part's value at the
    baseline (0 for the reconstruction part) less its centre, over its scale."""
    parts, offset = detector._parts_used(), 0.0
    for part in parts:
        center, scale = (detector.part_center_[part], detector.part_scale_[part]) if len(parts) > 1 else (0.0, 1.0)
        base = float(detector._part("latent", latent_baseline(detector).astype(dtype))[0]) if part == "latent" else 0.0
        offset += (base - center) / scale
    return offset


def _pandas():
    try:
        import pandas
    except ImportError as err:
        raise ImportError("explanations are DataFrames and need pandas: pip install 'aekit[data]'") from err
    return pandas


def _level(encoded: str, source: str) -> str:
    """A one-hot column's category: what follows the source column's name and a separator
    ('region=north', 'region_north', 'cat__region_north'), else the whole name."""
    for separator in ("=", "_"):
        at = encoded.find(source + separator)
        if at >= 0:
            return encoded[at + len(source) + 1 :]
    return encoded


def _lone_category(name: str, source: str) -> bool:
    """True for a source's only column named like one of its categories ('region_north' of
    'region'): a one-hot group whose other categories were dropped."""
    return _level(name, source) != name


def category_bounds(detector, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two values ((n, d) each) a one-hot column took in training, without and with its
    category: its training range apart, the row's own value the lower one when below the
    training mean; 0 and 1 for a detector saved without `feature_mean_` or `feature_spread_`."""
    spread, center = getattr(detector, "feature_spread_", None), getattr(detector, "feature_mean_", None)
    if spread is None or center is None:
        return np.zeros(X.shape), np.ones(X.shape)
    low = np.where(X < center, X, X - spread)
    return low, low + spread


def grouped_values(values: np.ndarray, names: list[str], sources: list[str],
                   bounds: tuple[np.ndarray, np.ndarray] | None = None, center: np.ndarray | None = None):
    """Per-source values (n, n_sources): a lone column as it is, a one-hot block (or a lone
    column named like a category, 'region_north' of 'region') as its category with the
    largest share, each column's value placed between the two of `bounds` ((n, d) each, as
    `category_bounds` gives; 0 and 1 when None), or as 'not north' ('none of north, south')
    where what its columns leave of a share of 1 is larger: a category dropped from the group,
    which training rows held when their mean shares (from `center`, (d,)) add up to less than 1.
    A block whose training shares are unknown (no `center`) is read as one of its categories."""
    low, high = bounds if bounds is not None else (np.zeros(values.shape), np.ones(values.shape))
    columns = {}
    for source in dict.fromkeys(sources):
        members = [i for i, s in enumerate(sources) if s == source]
        if len(members) == 1 and not _lone_category(names[members[0]], source):
            columns[source] = values[:, members[0]]
            continue
        levels = [_level(names[i], source) for i in members]
        lows, span = low[:, members], high[:, members] - low[:, members]
        shares = _shares(values[:, members], lows, span)
        rest = 1.0 - shares.sum(axis=1)
        if len(members) > 1:
            dropped = np.zeros(len(values)) if center is None else 1.0 - _shares(center[members], lows, span).sum(axis=1)
            rest = np.where(dropped > DROPPED_SHARE, rest, -np.inf)
        none = ("not " if len(levels) == 1 else "none of ") + ", ".join(levels)
        named = np.array([*levels, none], dtype=object)
        columns[source] = named[np.argmax(np.column_stack([shares, rest]), axis=1)]
    return _pandas().DataFrame(columns)


def _shares(values: np.ndarray, low: np.ndarray, span: np.ndarray) -> np.ndarray:
    """One-hot entries (n, k) as shares of their category: 0 at `low`, 1 at `low + span` (0 where span is 0)."""
    return np.divide(values - low, span, out=np.zeros(span.shape), where=span > 0)


def summed(contributions: np.ndarray, sources: list[str]):
    """Contributions (n, d) with the columns of one source added up: (n, n_sources)."""
    unique = list(dict.fromkeys(sources))
    index = np.array([unique.index(s) for s in sources])
    out = np.zeros((contributions.shape[0], len(unique)))
    np.add.at(out.T, index, contributions.T)
    return _pandas().DataFrame(out, columns=unique)


def top_reasons(contributions, observed, expected, top: int):
    """The `top` largest contributions of each row, as columns feature_i, observed_i,
    expected_i and share_i (the contribution over the row's positive contributions; for a row
    whose contributions are none positive, as a row scored below the offset, its size over their
    sizes, so a one-feature row's share is 1). Reasons come in the order of their shares, so a
    feature with no share comes after those with one in a row with none positive too."""
    values = contributions.to_numpy()
    positive = np.clip(values, 0.0, None).sum(axis=1)
    sizes = np.where((positive > 0)[:, None], values, np.abs(values))
    order = np.argsort(-sizes, axis=1, kind="stable")[:, :top]
    positive = np.where(positive > 0, positive, np.abs(values).sum(axis=1))
    rows = np.arange(len(values))
    names = np.asarray(contributions.columns, dtype=object)
    out = {}
    for rank in range(order.shape[1]):
        pick = order[:, rank]
        out[f"feature_{rank + 1}"] = names[pick]
        out[f"observed_{rank + 1}"] = observed.to_numpy(dtype=object)[rows, pick]
        out[f"expected_{rank + 1}"] = expected.to_numpy(dtype=object)[rows, pick]
        out[f"share_{rank + 1}"] = np.divide(sizes[rows, pick], positive, out=np.zeros(len(values)), where=positive > 0)
    return _pandas().DataFrame(out, index=contributions.index)


def reasons(detector, X: np.ndarray, names: list[str], sources: list[str], method: str, top: int | None,
            index=None, observed=None, inverse=None):
    """The one assembly of an explanation (detector, Pipeline and `aekit detect`): contributions
    of X's (n, d) columns summed per source (n, n_sources), or with `top=k` the k largest per row.
    Observed and expected values are grouped per source through `names` unless `observed` (the
    input frame) and `inverse` (expectation (n, d) -> rows in its columns, or None) give them."""
    contributions, offset, expected = feature_contributions(detector, X, method, sources, _two_valued(names, sources, observed))
    table = summed(contributions, sources)
    if observed is not None:  # in the input's column order, not the encoding's (numeric columns first)
        position = {str(c): i for i, c in enumerate(observed.columns)}
        table = table[sorted(table.columns, key=lambda c: position.get(c, len(position)))]
    table.attrs["offset"] = offset
    if index is not None:
        table.index = index
    if top is None:
        return table
    back = None if inverse is None else inverse(expected)
    bounds = category_bounds(detector, X)
    center = getattr(detector, "feature_mean_", None)
    expected = grouped_values(expected, names, sources, bounds, center) if back is None else _as_observed(back, observed)
    observed = grouped_values(X, names, sources, bounds, center) if observed is None else observed
    columns = list(table.columns)
    return top_reasons(table, observed[columns].set_axis(table.index), expected[columns].set_axis(table.index), top)


def _two_valued(names: list[str], sources: list[str], observed=None) -> list[int]:
    """The columns that hold one of two values: a source's only column named like one of its
    categories (`_lone_category`) or one of True/False in `observed` (the input frame)."""
    frame, widths = {} if observed is None else {str(c): observed[c] for c in observed.columns}, Counter(sources)
    return [i for i, (name, source) in enumerate(zip(names, sources)) if widths[source] == 1
            and (_lone_category(name, source) or (source in frame and is_true_false(frame[source])))]


def _as_observed(expected, observed):
    """Expected values (n, n_columns) in the input's units as a frame of `observed`'s columns, a
    column of True/False expected as the one of them its expectation is nearer (True from 0.5
    up): a bool column is encoded as 0 and 1, whose expectation is a share no row can hold."""
    frame = _pandas().DataFrame(expected, columns=observed.columns)
    for column in observed.columns:
        if is_true_false(observed[column]) and not is_true_false(frame[column]):
            frame[column] = (frame[column].to_numpy(dtype=np.float64) >= 0.5).astype(object)
    return frame


METHODS = ("conditional", "error", "gradient")
DEFAULT_METHOD = "conditional"


def check_method(method) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return method


def check_top(top) -> int | None:
    if top is None:
        return None
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer or None, got {top!r}")
    return int(top)


def source_names(names: list[str], groups) -> list[str]:
    """The source column of each encoded column: `groups` maps a source name to its encoded
    columns (names or indices); columns in no group are their own source."""
    sources = list(names)
    if groups is None:
        return sources
    if not isinstance(groups, dict):
        raise ValueError(f"groups must map a source column name to a list of its encoded columns, got {type(groups).__name__}")
    for source, members in groups.items():
        for member in members:
            index = member if isinstance(member, (int, np.integer)) else (names.index(member) if member in names else None)
            if index is None or not 0 <= index < len(names):
                raise ValueError(f"groups[{source!r}] names {member!r}, which is not one of the detector's input columns")
            sources[index] = str(source)
    return sources


# ---- through a Pipeline --------------------------------------------------------------------


def _encoded_sources(step, inputs: list[str]) -> list[str] | None:
    """The source column of each output column of a fitted transformer, from its input columns'
    sources: one-hot encoders expand, column transformers route, same-width steps keep them;
    None when unknown."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    if isinstance(step, Pipeline):
        for _, inner in step.steps:
            inputs = _encoded_sources(inner, inputs) if inputs is not None else None
        return inputs
    if isinstance(step, ColumnTransformer):
        out: list[str | None] = [None] * sum(s.stop - s.start for s in step.output_indices_.values())
        for name, inner, _ in step.transformers_:
            piece = step.output_indices_[name]
            if inner == "drop" or piece.stop == piece.start:
                continue
            chosen = [inputs[i] for i in step._transformer_to_input_indices[name]]
            mapped = chosen if inner == "passthrough" else _encoded_sources(inner, chosen)
            if mapped is None or len(mapped) != piece.stop - piece.start:
                return None
            out[piece] = mapped
        return out
    if hasattr(step, "get_feature_sources_out"):
        return [str(source) for source in step.get_feature_sources_out(inputs)]
    if isinstance(step, OneHotEncoder):
        if getattr(step, "_infrequent_enabled", False):
            return None
        drops = step.drop_idx_ if step.drop_idx_ is not None else [None] * len(step.categories_)
        return [s for s, cats, drop in zip(inputs, step.categories_, drops) for _ in range(len(cats) - (drop is not None))]
    width = len(step.get_feature_names_out()) if hasattr(step, "get_feature_names_out") else None
    return inputs if width == len(inputs) else None


def _inverse(step, Xt: np.ndarray, width: int) -> np.ndarray | None:
    """Xt mapped back through a fitted transformer to its `width` input columns (object array),
    or None when some part has no inverse."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    if isinstance(step, Pipeline):
        for _, inner in reversed(step.steps):
            Xt = _inverse(inner, Xt, getattr(inner, "n_features_in_", width))
            if Xt is None:
                return None
        return np.asarray(Xt, dtype=object)
    if isinstance(step, ColumnTransformer):
        out = np.empty((Xt.shape[0], width), dtype=object)
        for name, inner, _ in step.transformers_:
            columns, piece = step._transformer_to_input_indices[name], step.output_indices_[name]
            if inner == "drop" or len(columns) == 0:
                continue
            back = Xt[:, piece] if inner == "passthrough" else _inverse(inner, Xt[:, piece], len(columns))
            if back is None:
                return None
            out[:, columns] = back
        return out
    if isinstance(step, OneHotEncoder) and step.drop_idx_ is not None and not getattr(step, "_infrequent_enabled", False):
        return _one_hot_categories(step, Xt)
    if not hasattr(step, "inverse_transform"):
        return None
    return np.asarray(step.inverse_transform(Xt), dtype=object)


def _one_hot_categories(encoder, Xt: np.ndarray) -> np.ndarray:
    """Expected one-hot entries Xt (n, n_encoded) of a fitted OneHotEncoder that drops a category
    as each column's category (n, n_columns, object): the largest of its group's entries and of
    its dropped category's, one less their sum. Its own inverse_transform names the dropped
    category only for entries that are all exactly 0, so an expectation of 0.01 for 'red' beside
    a dropped 'green' read as 'red'."""
    Xt = np.asarray(Xt, dtype=np.float64)
    out = np.empty((Xt.shape[0], len(encoder.categories_)), dtype=object)
    start = 0
    for i, (categories, drop) in enumerate(zip(encoder.categories_, encoder.drop_idx_)):
        width = len(categories) - (drop is not None)
        block = Xt[:, start : start + width]
        start += width
        if drop is not None:
            block = np.insert(block, int(drop), 1.0 - block.sum(axis=1), axis=1)
        out[:, i] = np.asarray(categories, dtype=object)[np.argmax(block, axis=1)]
    return out


def _explain_pipeline(pipeline, X, top: int | None, method: str):
    pd = _pandas()
    preprocess, detector = pipeline[:-1], pipeline[-1]
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X), columns=[f"x{i}" for i in range(np.shape(X)[1])])
    inputs = [str(c) for c in frame.columns]
    Xt = preprocess.transform(X)
    if getattr(detector, "table_", None) is not None:  # fitted on the steps' DataFrame: explained in its columns
        Xt = Xt if hasattr(Xt, "columns") else pd.DataFrame(np.asarray(Xt), columns=detector.feature_names_in_)
        return detector.explain(Xt.set_axis(frame.index, axis=0), top=top, method=method)
    Xt = np.asarray(Xt.to_numpy() if hasattr(Xt, "to_numpy") else Xt)
    encoded = [str(n) for n in preprocess.get_feature_names_out()] if hasattr(preprocess, "get_feature_names_out") else None
    sources = _encoded_sources(preprocess, inputs)
    if sources is None:
        return detector.explain(Xt, top=top, feature_names=encoded, method=method)
    Xt, observed = detector._checked_X(Xt, reset=False), frame.rename(columns=str)
    return reasons(detector, Xt, encoded or sources, sources, method, top, frame.index, observed,
                   lambda expected: _inverse(preprocess, expected, len(inputs)))


def explain(model, X, *, top: int | None = None, method: str = DEFAULT_METHOD):
    """Per-feature contributions to the anomaly score of each row of X, from a fitted
    `AutoEncoderOutlierDetector` or a Pipeline ending in one (then in X's own columns, one-hot
    encoded columns summed into their source, observed and expected values in X's units; for a
    Pipeline with pandas output, whose detector was fitted on a DataFrame, in the columns of
    the DataFrame the detector reads).

    Returns (n_samples, n_features) contributions whose rows plus `attrs['offset']` equal
    `-score_samples(X)`; with `top=k`, the k largest per row as feature_i, observed_i,
    expected_i and share_i columns. `method` as the module describes.

    Parameters
    ----------
    model : AutoEncoderOutlierDetector or Pipeline
        A fitted detector, or a fitted Pipeline whose last step is one.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Rows as the model takes them.
    top : int or None, default=None
        With `top=k`, the k largest contributions per row instead of all of them.
    method : {'conditional', 'error', 'gradient'}, default='conditional'
        How contributions are computed (see the module's docstring).

    Returns
    -------
    contributions : DataFrame
        (n_samples, n_features), or the `top` columns described above.
    """
    from sklearn.pipeline import Pipeline

    top, method = check_top(top), check_method(method)
    if isinstance(model, Pipeline):
        if not hasattr(model[-1], "explain"):
            raise ValueError(
                f"explain needs a Pipeline ending in an outlier detector with explain; it ends in {type(model[-1]).__name__}"
            )
        return _explain_pipeline(model, X, top, method)
    if not hasattr(model, "explain"):
        raise ValueError(f"explain needs an AutoEncoderOutlierDetector or a Pipeline ending in one, got {type(model).__name__}")
    return model.explain(X, top=top, method=method)
