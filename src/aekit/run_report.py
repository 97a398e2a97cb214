"""Evaluating a trained run against PCA, and its one-page HTML report.

`evaluate` measures a fitted estimator on held-out rows beside PCA with the same number of
components: reconstruction error (mean per entry, and summed per sample as in Hinton &
Salakhutdinov 2006), and, when there are labels, the accuracy of a k-nearest-neighbour
classifier on the codes. `write_run_report` draws the figures of a run folder and writes
`report.html` with every figure embedded, so the page is one self-contained file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from aekit.runs import Run, Split, prepare_data

__all__ = ["Evaluation", "ModelScores", "evaluate", "metrics_table", "write_run_report"]

KNN_NEIGHBORS = 5
N_SHOWN = 10
N_SAMPLES = 16
N_PAIRS = 3
N_STEPS = 8


@dataclass
class ModelScores:
    """Held-out numbers for one model."""

    model: str
    code_size: int
    mse: float  # mean squared error per entry
    sse_per_sample: float  # squared error summed over features, averaged over samples
    knn_accuracy: float | None  # None without labels


@dataclass
class Evaluation:
    n_train: int
    n_test: int
    scores: list[ModelScores]
    mean_score: float  # the estimator's mean score_samples (negative loss; ELBO in nats for a VAE)

    def as_dict(self) -> dict:
        return asdict(self)


def _knn(Z_train, y_train, Z_test, y_test) -> float | None:
    from sklearn.neighbors import KNeighborsClassifier

    if y_train is None or y_test is None or len(np.unique(y_train)) < 2 or len(y_train) < KNN_NEIGHBORS:
        return None
    return float(KNeighborsClassifier(KNN_NEIGHBORS).fit(Z_train, y_train).score(Z_test, y_test))


def _scores(name: str, dims: int, X: np.ndarray, X_hat: np.ndarray, knn: float | None) -> ModelScores:
    squared = (np.asarray(X_hat, dtype=np.float64) - X) ** 2
    return ModelScores(name, dims, float(squared.mean()), float(squared.sum(axis=1).mean()), knn)


def evaluate(est, X_train: np.ndarray, X_test: np.ndarray, y_train=None, y_test=None) -> Evaluation:
    """Score a fitted estimator and PCA (fitted on X_train, same code size) on X_test; all
    arrays in the model's input space (after the run's scaling)."""
    from sklearn.decomposition import PCA

    dims = int(est.code_dim_)
    Z_train, Z_test = est.transform(X_train), est.transform(X_test)
    model = _scores(
        type(est).__name__, dims, X_test, est.inverse_transform(Z_test), _knn(Z_train, y_train, Z_test, y_test)
    )
    pca = PCA(n_components=min(dims, X_train.shape[1], X_train.shape[0]), random_state=0).fit(X_train)
    P_train, P_test = pca.transform(X_train), pca.transform(X_test)
    baseline = _scores(
        "PCA", pca.n_components_, X_test, pca.inverse_transform(P_test), _knn(P_train, y_train, P_test, y_test)
    )
    mean_score = float(np.mean(est.score_samples(X_test)))
    return Evaluation(len(X_train), len(X_test), [model, baseline], mean_score)


def metrics_table(evaluation: Evaluation) -> list[list]:
    """The evaluation as table rows, header first."""
    header = ["model", "code size", "MSE per entry", "squared error per sample", f"{KNN_NEIGHBORS}-NN accuracy"]
    rows = [
        [s.model, s.code_size, s.mse, s.sse_per_sample, "-" if s.knn_accuracy is None else s.knn_accuracy]
        for s in evaluation.scores
    ]
    return [header, *rows]


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


def _gaussian_draws(Z: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n draws from a Gaussian fitted to the codes Z (n_codes, latent_dim)."""
    rng = np.random.default_rng(seed)
    mean = Z.mean(axis=0)
    cov = np.atleast_2d(np.cov(Z, rowvar=False)) if len(Z) > 1 else np.eye(Z.shape[1])
    return rng.multivariate_normal(mean, cov + 1e-9 * np.eye(Z.shape[1]), size=n, method="eigh")


def _interpolations(est, X_a: np.ndarray, X_b: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """For each pair, a path decoded from linearly interpolated codes and the straight
    path in input space: (2 * n_pairs, N_STEPS, n_features)."""
    t = np.linspace(0, 1, N_STEPS)[:, None]
    Z_a, Z_b = est.transform(X_a), est.transform(X_b)
    rows, labels = [], []
    for i in range(len(X_a)):
        rows.append(est.inverse_transform((1 - t) * Z_a[i] + t * Z_b[i]))
        rows.append((1 - t) * X_a[i] + t * X_b[i])
        labels += [f"pair {i + 1}: codes", f"pair {i + 1}: inputs"]
    return np.stack(rows), labels


def write_run_report(run_dir: str | Path) -> Path:
    """Draw a run's figures into RUN/figures and write RUN/report.html (figures embedded)."""
    from sklearn.decomposition import PCA

    from aekit import plot
    from aekit.report import Section, write_report

    run = Run(run_dir)
    config = run.read_config()
    est = run.load_model()
    split = prepare_data(config)
    scaling = run.scaling()
    X_train, X_test = scaling.transform(split.X_train), scaling.transform(split.X_test)
    evaluation = evaluate(est, X_train, X_test, split.y_train, split.y_test)
    figures = run.path / Run.FIGURES
    figures.mkdir(exist_ok=True)
    image_shape = split.image_shape
    name = type(est).__name__
    dims = int(est.code_dim_)
    scaled = "" if scaling.kind == "none" else f" (after {scaling.kind} scaling)"

    def fig(file: str) -> str:
        return f"{Run.FIGURES}/{file}"

    plot.plot_history(est.history_, title=f"{name} training loss", path=run.path / fig("loss.png"))
    shown = X_test[_shown_rows(split)]
    pca = PCA(n_components=evaluation.scores[1].code_size, random_state=0).fit(X_train)
    plot.plot_reconstructions(
        shown,
        est.reconstruct(shown),
        image_shape,
        title=f"Held-out rows (top) and {name} reconstructions (bottom)",
        path=run.path / fig("reconstructions.png"),
    )
    plot.plot_reconstructions(
        shown,
        pca.inverse_transform(pca.transform(shown)),
        image_shape,
        title="The same rows through PCA",
        path=run.path / fig("reconstructions_pca.png"),
    )
    label_name = config.data.target or "label"
    plot.plot_latent(
        est.transform(X_test),
        _label_names(split, split.y_test),
        title=f"{name} codes of held-out rows",
        label_name=label_name,
        path=run.path / fig("latent.png"),
    )
    value_range = (float(np.nanmin(X_train)), float(np.nanmax(X_train)))
    draws = est.inverse_transform(_gaussian_draws(est.transform(X_train), N_SAMPLES, config.seed).astype(X_train.dtype))
    plot.plot_image_grid(
        draws.reshape(2, N_SAMPLES // 2, -1),
        image_shape,
        title="Decoded draws from a Gaussian fitted to the training codes",
        value_range=value_range,
        path=run.path / fig("samples.png"),
    )
    pairs = np.arange(2 * N_PAIRS) % len(X_test)
    paths, labels = _interpolations(est, X_test[pairs[0::2]], X_test[pairs[1::2]])
    plot.plot_image_grid(
        paths,
        image_shape,
        row_labels=labels,
        title="Interpolations: through the codes, and straight between the inputs",
        value_range=value_range,
        path=run.path / fig("interpolations.png"),
    )
    sample_images = [(fig("samples.png"), "Decoded samples")]
    sample_text = (
        "A Gaussian is fitted to the codes of the training rows and 16 draws from it are decoded: "
        "what the decoder makes of codes like the ones it was trained on."
    )
    if callable(getattr(est, "sample", None)):
        prior = est.sample(N_SAMPLES, random_state=config.seed)
        plot.plot_image_grid(
            np.asarray(prior).reshape(2, N_SAMPLES // 2, -1),
            image_shape,
            title=f"{name}: decoded draws from the prior",
            value_range=value_range,
            path=run.path / fig("prior_samples.png"),
        )
        sample_images.append((fig("prior_samples.png"), "Samples from the prior"))
        sample_text += " The second figure decodes draws from the model's own prior (est.sample)."
    model_scores, pca_scores = evaluation.scores
    history = est.history_
    best = history.get("best_epoch")
    best_text = f" The monitored loss was lowest in epoch {best + 1}." if isinstance(best, int) else ""
    summary = (
        f"A {name} with a {dims}-d code, trained for {est.n_epochs_} epochs on {evaluation.n_train} rows of "
        f"{config.data.source!r} and measured on {evaluation.n_test} held-out rows{scaled}. PCA with "
        f"{pca_scores.code_size} components, fitted on the same training rows, is the linear baseline: the model's "
        f"mean squared error per entry is {model_scores.mse:.4g} against PCA's {pca_scores.mse:.4g}. "
        f"The estimator's mean held-out score (score_samples, higher is better) is {evaluation.mean_score:.4g}."
    )
    if model_scores.knn_accuracy is not None:
        summary += (
            f"\n\n{KNN_NEIGHBORS}-NN accuracy: the share of held-out rows a {KNN_NEIGHBORS}-nearest-neighbour "
            "classifier, fitted on the training codes, labels correctly from their codes."
        )
    sections = [
        Section("Summary", text=summary, table=metrics_table(evaluation)),
        Section(
            "Training",
            text=f"Loss per epoch (from metrics.csv).{best_text}",
            images=[(fig("loss.png"), "Training and validation loss")],
        ),
        Section(
            "Reconstructions",
            text="Held-out rows (one per class when there are labels) above their reconstructions.",
            images=[
                (fig("reconstructions.png"), name),
                (fig("reconstructions_pca.png"), f"PCA, {pca_scores.code_size} components"),
            ],
        ),
        Section(
            "Latent space",
            text="Codes of the held-out rows, coloured by label when the data have labels (training never sees them).",
            images=[(fig("latent.png"), "Codes")],
        ),
        Section("Samples", text=sample_text, images=sample_images),
        Section(
            "Interpolations",
            text=(
                f"For {N_PAIRS} pairs of held-out rows: the decoded path between their codes, then the straight "
                "line between the inputs themselves, which only cross-fades."
            ),
            images=[(fig("interpolations.png"), "Interpolations")],
        ),
        Section(
            "Configuration",
            text=f"The resolved config of this run ({Run.CONFIG}):",
            code=run.file(Run.CONFIG).read_text(encoding="utf-8"),
        ),
    ]
    return write_report(run.path, f"aekit run: {name} on {config.data.source}", sections, embed_images=True)
