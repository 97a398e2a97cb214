"""Evaluating a trained run against PCA, and its one-page HTML report: the one application path
behind `aekit evaluate`, `aekit report` and `aekit demo`.

`evaluate` measures a fitted estimator on held-out rows beside PCA with the same number of
components: reconstruction error (mean per entry, and summed per sample as in Hinton &
Salakhutdinov 2006), the accuracy of a k-nearest-neighbour classifier on the codes when there
are labels, and fit time. `write_run_report` draws the figures of a run folder and writes
`report.html` with every figure embedded, so the page is one self-contained file; runs of the
same data passed as `compare` join its table and error chart (the demo's 8-d model).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from aekit.app.runs import Model, Run, Split, open_model

__all__ = ["Evaluation", "ModelScores", "RunReport", "evaluate", "metrics_table", "write_run_explorer", "write_run_report"]

KNN_NEIGHBORS = 5
N_SHOWN = 10
N_SAMPLES = 32
MIXTURE_COMPONENTS = 10
INTERPOLATION_PAIRS = ((0, 7), (1, 4))  # positions among the shown rows; on digits, 0 -> 7 and 1 -> 4
N_STEPS = 10
GRID_SIZE = 15
N_UNITS_SHOWN, N_TOP = 16, 9  # sparse codes: units shown and their top-activating held-out images


@dataclass
class ModelScores:
    """Held-out numbers for one model."""

    model: str
    code_size: int
    mse: float  # mean squared error per entry
    sse_per_sample: float  # squared error summed over features, averaged over samples
    knn_accuracy: float | None  # None without labels
    fit_seconds: float  # training time (the sum of the epochs' times) or PCA's fit

    @property
    def label(self) -> str:
        return f"{self.model} ({self.code_size}-d)"


@dataclass
class Evaluation:
    n_train: int
    n_test: int
    scores: list[ModelScores]  # the model, then PCA
    mean_score: float  # the estimator's mean score_samples (negative loss; ELBO in nats for a VAE)

    def as_dict(self) -> dict:
        return asdict(self)


class RunReport(NamedTuple):
    path: Path
    scores: list[ModelScores]  # the run's model and PCA, then each compared run's pair


def _knn(Z_train, y_train, Z_test, y_test) -> float | None:
    from sklearn.neighbors import KNeighborsClassifier

    if y_train is None or y_test is None or len(np.unique(y_train)) < 2 or len(y_train) < KNN_NEIGHBORS:
        return None
    return float(KNeighborsClassifier(KNN_NEIGHBORS).fit(Z_train, y_train).score(Z_test, y_test))


def _scores(name: str, dims: int, X: np.ndarray, X_hat: np.ndarray, knn: float | None, seconds: float) -> ModelScores:
    squared = (np.asarray(X_hat, dtype=np.float64) - X) ** 2
    return ModelScores(name, dims, float(squared.mean()), float(squared.sum(axis=1).mean()), knn, seconds)


def _pca(X_train: np.ndarray, dims: int):
    """PCA with `dims` components (fewer when X_train has fewer rows or columns), fitted on X_train."""
    from sklearn.decomposition import PCA

    return PCA(n_components=min(dims, *X_train.shape), random_state=0).fit(X_train)


def evaluate(est, X_train: np.ndarray, X_test: np.ndarray, y_train=None, y_test=None) -> Evaluation:
    """Score a fitted estimator and PCA (fitted on X_train, same code size) on X_test; X_train
    (n_train, n_features) and X_test (n_test, n_features) in the model's input space (after
    the run's scaling), labels (n,) or None."""
    dims = int(est.code_dim_)
    Z_train, Z_test = est.transform(X_train), est.transform(X_test)
    knn = _knn(Z_train, y_train, Z_test, y_test)
    trained = float(sum(est.history_.get("epoch_seconds", ())))
    model = _scores(type(est).__name__, dims, X_test, _in_input_units(est, X_test, est.inverse_transform(Z_test)), knn, trained)
    start = time.perf_counter()
    pca = _pca(X_train, dims)
    seconds = time.perf_counter() - start
    P_train, P_test = pca.transform(X_train), pca.transform(X_test)
    knn = _knn(P_train, y_train, P_test, y_test)
    baseline = _scores("PCA", pca.n_components_, X_test, pca.inverse_transform(P_test), knn, seconds)
    mean_score = float(np.mean(est.score_samples(X_test)))
    return Evaluation(len(X_train), len(X_test), [model, baseline], mean_score)


def _in_input_units(est, X: np.ndarray, X_hat: np.ndarray) -> np.ndarray:
    """Reconstructions (n, d) of rows X in X's units: a multinomial model gives word proportions,
    which times each document's length are its expected counts (what PCA's reconstruction is)."""
    if getattr(est, "loss", None) == "multinomial":
        return X_hat * np.asarray(X, dtype=np.float64).sum(axis=1, keepdims=True)
    return X_hat


def metrics_table(scores: list[ModelScores]) -> list[list]:
    """Scores as table rows, header first."""
    knn = f"{KNN_NEIGHBORS}-NN accuracy"
    rows = [["model", "code size", "MSE per entry", "squared error per sample", knn, "fit seconds"]]
    for s in scores:
        accuracy = "-" if s.knn_accuracy is None else s.knn_accuracy
        rows.append([s.model, s.code_size, s.mse, s.sse_per_sample, accuracy, s.fit_seconds])
    return rows


# ---- the report -------------------------------------------------------------------------------


def _shown_rows(split: Split) -> np.ndarray:
    """Indices of up to N_SHOWN held-out rows: one per class first when there are labels."""
    n = len(split.X_test)
    if split.y_test is None:
        return np.arange(min(N_SHOWN, n))
    first = [int(np.flatnonzero(split.y_test == c)[0]) for c in np.unique(split.y_test)][:N_SHOWN]
    taken = set(first)
    rest = [i for i in range(min(n, 2 * N_SHOWN)) if i not in taken][: max(0, N_SHOWN - len(first))]
    return np.asarray(first + rest)


def _label_names(split: Split, y: np.ndarray | None):
    if y is None or split.class_names is None or y.dtype.kind not in "iu":
        return y
    return np.asarray(
        [split.class_names[int(i)] if 0 <= int(i) < len(split.class_names) else str(i) for i in y], dtype=object
    )


def _compared_scores(run: Run, config, split: Split, other_dir: str | Path) -> list[ModelScores]:
    """The model and PCA scores on `split` of another run of the same data and seed."""
    from aekit.app.config import fingerprint

    other = Run(other_dir)
    mine, theirs = fingerprint(config), fingerprint(other.read_config())
    if (mine["data"], mine["seed"]) != (theirs["data"], theirs["seed"]):
        raise ValueError(f"{str(other.path)!r} was trained on other rows than {str(run.path)!r}: compare one split")
    model = open_model(other.path)
    X_train, X_test = model.scaling.transform(split.X_train), model.scaling.transform(split.X_test)
    return evaluate(model.estimator, X_train, X_test, split.y_train, split.y_test).scores


def write_run_explorer(
    model: Model, X, y, feature_names, where: str, path: Path | None = None, image_shape=None, **options
) -> Path:
    """Write the latent-space explorer page (`aekit.app.explore.write_explorer`) of an opened
    model for rows X (n, n_features) in the model's units with labels y: images (of
    `image_shape`, default the training rows') and class names as its reader read them, a
    table's values shown in its own units. Default path: explorer.html in the model's folder."""
    from aekit.app.explore import EXPLORER_FILE, write_explorer

    est, reader, scaling = model.estimator, model.reader, model.scaling
    return write_explorer(
        est, X, y, path=path or model.path / EXPLORER_FILE, image_shape=image_shape or reader.image_shape,
        feature_names=feature_names, class_names=reader.class_names,
        display_scaling=None if scaling.kind == "none" else (scaling.offset, scaling.scale),
        title=f"{type(est).__name__} on {where}: latent space", **options,
    )  # fmt: skip


def _sparse_code_sections(est, X_test: np.ndarray, image_shape, value_range, folder: Path, fig) -> list:
    """A 'Sparse code' section for an estimator with a sparse code (it has `dead_units_`): its
    activity, and for images the held-out images that activate N_UNITS_SHOWN of its units most."""
    if not hasattr(est, "dead_units_"):
        return []
    from aekit.app import plot
    from aekit.analysis.features import sparse_code_summary, top_activating, unit_frequencies
    from aekit.app.report import Section

    Z = est.transform(X_test)
    text = sparse_code_summary(est, Z)
    images = []
    live = np.flatnonzero(unit_frequencies(Z) > 0)[:N_UNITS_SHOWN]
    n = min(N_TOP, len(X_test))
    if image_shape is not None and len(live):
        rows = top_activating(Z, n, live)
        plot.plot_image_grid(
            X_test[rows], image_shape, row_labels=[f"unit {u}" for u in live], value_range=value_range,
            title=f"The {n} held-out images that activate each unit most", path=folder / fig("top_activating.png"),
        )  # fmt: skip
        images.append((fig("top_activating.png"), "Top-activating held-out images per code unit"))
        text += f" Each row of the figure shows, for one of the first {len(live)} units active on held-out rows, the {n} images with its largest values."
    return [Section("Sparse code", text=text, images=images)]


def write_run_report(run_dir: str | Path, compare: Sequence[str | Path] = ()) -> RunReport:
    """Draw a run's figures into RUN/figures and write RUN/report.html (figures embedded); the
    runs in `compare`, trained on the same data and seed, add their rows to the table and the
    error chart."""
    from aekit.app import plot
    from aekit.app.explore import EXPLORER_FILE
    from aekit.analysis.latent import LatentSampler, interpolate, latent_grid
    from aekit.app.report import Section, write_report

    run = Run(run_dir)
    config = run.read_config()
    model = open_model(run.path)
    est, split, scaling = model.estimator, model.split, model.scaling
    X_train, X_test = scaling.transform(split.X_train), scaling.transform(split.X_test)
    evaluation = evaluate(est, X_train, X_test, split.y_train, split.y_test)
    bars: dict[str, ModelScores] = {}  # chart label: the model's and PCA's scores, then each compared run's
    compared = [(Path(c), _compared_scores(run, config, split, c)) for c in compare]
    for where, pair in [(run.path, evaluation.scores), *compared]:
        for s in pair:
            bars[s.label if s.label not in bars else f"{s.label}\n{where.name}"] = s
    scores = list(bars.values())
    model_scores, pca_scores = evaluation.scores
    figures = run.path / Run.FIGURES
    figures.mkdir(exist_ok=True)
    image_shape = split.image_shape
    name, dims, seed = type(est).__name__, int(est.code_dim_), config.seed
    value_range = (float(np.nanmin(X_train)), float(np.nanmax(X_train)))

    def fig(file: str) -> str:
        return f"{Run.FIGURES}/{file}"

    plot.plot_history(est.history_, title=f"{name} training loss", path=run.path / fig("loss.png"))
    plot.plot_error_comparison(
        {label: s.mse for label, s in bars.items()},
        ylabel="mean squared error per entry",
        title=f"Held-out reconstruction error on {len(X_test)} rows (lower is better)",
        colors=["C7" if s.model == "PCA" else "C0" for s in scores],
        path=run.path / fig("errors.png"),
    )
    shown_ids = _shown_rows(split)
    shown = X_test[shown_ids]
    pca = _pca(X_train, dims)
    pca_name = f"PCA, {pca.n_components_} components"
    for file, X_hat, what in (
        ("reconstructions.png", _in_input_units(est, shown, est.reconstruct(shown)), f"{name} reconstructions from {dims}-d codes"),
        ("reconstructions_pca.png", pca.inverse_transform(pca.transform(shown)), f"{pca_name} reconstructions"),
    ):
        title = f"Held-out rows (top) and {what} (bottom)"
        plot.plot_reconstructions(shown, X_hat, image_shape, title=title, path=run.path / fig(file))
    plot.plot_latent_comparison(
        {f"{name}, {dims}-d code": est.transform(X_test), pca_name: pca.transform(X_test)},
        _label_names(split, split.y_test),
        title="Held-out rows placed by their codes",
        label_name=config.data.target or "label",
        path=run.path / fig("latent.png"),
    )
    latent_images = [(fig("latent.png"), f"{name} codes beside PCA projections")]
    write_run_explorer(model, X_test, split.y_test, split.feature_names, "held-out rows")
    if dims == 2 and image_shape is not None:
        grid, codes = latent_grid(est, n=GRID_SIZE, X=X_train, return_codes=True)
        title = "Decoded grid over the 2-D codes"
        plot.plot_latent_grid(grid, image_shape, codes, title=title, path=run.path / fig("latent_grid.png"))
        latent_images.append((fig("latent_grid.png"), "Decoded code grid"))

    k = min(MIXTURE_COMPONENTS, len(X_train))
    sampler = LatentSampler(est, density="gmm", n_components=k, random_state=seed).fit(X_train)
    plot.plot_samples(
        sampler.sample(N_SAMPLES, random_state=seed),
        image_shape,
        title=f"Decoded draws from a {k}-component Gaussian mixture fitted to the training codes",
        value_range=value_range,
        path=run.path / fig("samples.png"),
    )
    sample_images = [(fig("samples.png"), "Decoded samples")]
    sample_text = (
        f"A {k}-component Gaussian mixture is fitted to the codes of the training rows and {N_SAMPLES} draws from "
        "it are decoded: what the decoder makes of codes like the ones it was trained on."
    )
    if callable(getattr(est, "sample", None)):
        plot.plot_samples(
            est.sample(N_SAMPLES, random_state=seed),
            image_shape,
            title=f"{name}: decoded draws from the prior",
            value_range=value_range,
            path=run.path / fig("prior_samples.png"),
        )
        sample_images.append((fig("prior_samples.png"), "Samples from the prior"))
        sample_text += " The second figure decodes draws from the model's own prior (est.sample)."

    center = est.transform(X_train).mean(axis=0)
    paths = {}
    for i, (a, b) in enumerate(INTERPOLATION_PAIRS, start=1):
        x_a, x_b = X_test[shown_ids[a % len(shown_ids)]], X_test[shown_ids[b % len(shown_ids)]]
        paths[f"{i}: codes, linear"] = interpolate(est, x_a, x_b, N_STEPS, "linear")
        paths[f"{i}: codes, slerp"] = interpolate(est, x_a, x_b, N_STEPS, "slerp", center=center)
        paths[f"{i}: inputs"] = interpolate(est, x_a, x_b, N_STEPS, "pixel")
    plot.plot_interpolations(
        paths,
        image_shape,
        title="From one held-out row to another",
        value_range=value_range,
        path=run.path / fig("interpolation.png"),
    )

    history = est.history_
    best = history.get("best_epoch")
    best_text = f" The monitored loss was lowest in epoch {best + 1}." if isinstance(best, int) else ""
    scaled = "" if scaling.kind == "none" else f" (after {scaling.kind} scaling)"
    relation = "below" if model_scores.mse < pca_scores.mse else "not below"
    summary = (
        f"This run's {name} has a {dims}-d code and was trained for {est.n_epochs_} epochs on {evaluation.n_train} "
        f"rows of {config.data.source!r}, then measured on {evaluation.n_test} held-out rows{scaled}. PCA with "
        f"{pca_scores.code_size} components, fitted on the same training rows, is the linear baseline: the model's "
        f"mean squared error per entry, {model_scores.mse:.4g}, is {relation} PCA's {pca_scores.mse:.4g}. "
        f"The estimator's mean held-out score (score_samples, higher is better) is {evaluation.mean_score:.4g}."
    )
    if compare:
        summary += "\n\nThe table and chart add, each beside its own PCA, the runs of the same data and split in " + (
            ", ".join(repr(str(c)) for c in compare) + "."
        )
    if model_scores.knn_accuracy is not None:
        summary += (
            f"\n\n{KNN_NEIGHBORS}-NN accuracy: the share of held-out rows a {KNN_NEIGHBORS}-nearest-neighbour "
            "classifier, fitted on the training codes, labels correctly from their codes: how well the codes keep "
            "the classes apart. Fit seconds: the model's training time, summed over its epochs, and PCA's fit."
        )
    sparse_sections = _sparse_code_sections(est, X_test, image_shape, value_range, run.path, fig)
    sections = [
        Section(
            "Summary",
            text=summary,
            table=metrics_table(scores),
            images=[(fig("errors.png"), "Held-out reconstruction error per entry")],
        ),
        Section(
            "Training",
            text=f"Loss per epoch (from metrics.csv).{best_text}",
            images=[(fig("loss.png"), "Training and validation loss")],
        ),
        Section(
            "Reconstructions",
            text="Held-out rows (one per class when there are labels) above their reconstructions.",
            images=[
                (fig("reconstructions.png"), f"{name}, {dims}-d code"),
                (fig("reconstructions_pca.png"), pca_name),
            ],
        ),
        Section(
            "Latent space",
            text=(
                "Codes of the held-out rows beside their PCA projections, coloured by label when the data have labels "
                "(training never sees them)."
                + (
                    " The grid decodes evenly spaced codes between the 5% and 95% quantiles of the training codes."
                    if len(latent_images) > 1
                    else ""
                )
            ),
            images=latent_images,
            links=[(EXPLORER_FILE, f"Explore the latent space ({EXPLORER_FILE}): hover a point to see its input, "
                    "click anywhere to decode that place, drag to decode a path")],
        ),
        Section("Samples", text=sample_text, images=sample_images),
        Section(
            "Interpolations",
            text=(
                f"For {len(INTERPOLATION_PAIRS)} pairs of the rows above: the path straight through code space, "
                "along the arc about the mean training code (slerp), and by blending the inputs themselves, the "
                "baseline; the code paths start and end at the two reconstructions."
            ),
            images=[(fig("interpolation.png"), "Interpolations")],
        ),
        *sparse_sections,
        Section(
            "Configuration",
            text=f"The resolved config of this run ({Run.CONFIG}); the fitted model is in {Run.MODEL}/:",
            code=run.file(Run.CONFIG).read_text(encoding="utf-8"),
        ),
    ]
    path = write_report(run.path, f"aekit run: {name} on {config.data.source}", sections, embed_images=True)
    return RunReport(path, scores)
