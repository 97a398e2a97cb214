"""Evaluating a trained run against PCA, and its one-page HTML report: the one application path
behind `aekit evaluate`, `aekit report` and `aekit demo`.

`evaluate` measures a fitted estimator on held-out rows beside PCA with the same number of
components: reconstruction error (mean per entry, and summed per sample as in Hinton &
Salakhutdinov 2006), the accuracy of a k-nearest-neighbour classifier on the codes when there
are class labels (the R^2 of a k-nearest-neighbour regressor for a continuous target), and fit
time. `write_run_report` writes `report.html` from the SECTIONS that apply to the run, every
figure embedded, so the page is one self-contained file; runs of the same data passed as
`compare` join its table and error chart (the demo's 8-d model).
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from aekit.app.report import Section, write_report
from aekit.app.runs import Model, Run, Split, decodes_proportions, expected_counts, open_model

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
    """Held-out numbers for one model.

    Parameters
    ----------
    model : str
        The model's name: the estimator's class name, or 'PCA'.
    code_size : int
        Length of the code (PCA's number of components).
    mse : float
        Mean squared reconstruction error per entry.
    sse_per_sample : float
        Squared error summed over features, averaged over samples.
    knn_accuracy : float or None
        Held-out accuracy of a 5-nearest-neighbour classifier on the codes; None without
        class labels.
    knn_r2 : float or None
        Held-out R^2 of a 5-nearest-neighbour regressor on the codes; None without a
        continuous target.
    fit_seconds : float
        Training time (the sum of the epochs' times), or PCA's fit time.
    """

    model: str
    code_size: int
    mse: float  # mean squared error per entry
    sse_per_sample: float  # squared error summed over features, averaged over samples
    knn_accuracy: float | None  # None without class labels
    knn_r2: float | None  # None without a continuous target
    fit_seconds: float  # training time (the sum of the epochs' times) or PCA's fit

    @property
    def label(self) -> str:
        """The model's name with its code size, e.g. 'AutoEncoder (8-d)'."""
        return f"{self.model} ({self.code_size}-d)"


@dataclass
class Evaluation:
    """What `evaluate` measured: the row counts, the model's and PCA's scores, and the mean score.

    Parameters
    ----------
    n_train : int
        Number of training rows.
    n_test : int
        Number of held-out rows scored.
    scores : list of ModelScores
        The model's scores, then PCA's.
    mean_score : float
        The estimator's mean `score_samples` on the held-out rows (negative loss; the ELBO in
        nats for a VAE).
    """

    n_train: int
    n_test: int
    scores: list[ModelScores]  # the model, then PCA
    mean_score: float  # the estimator's mean score_samples (negative loss; ELBO in nats for a VAE)

    def as_dict(self) -> dict:
        """The evaluation as JSON-ready nested dicts."""
        return asdict(self)


class RunReport(NamedTuple):
    """What `write_run_report` wrote.

    Parameters
    ----------
    path : pathlib.Path
        The report page, RUN/report.html.
    scores : list of ModelScores
        The run's model and PCA, then each compared run's pair.
    """

    path: Path
    scores: list[ModelScores]  # the run's model and PCA, then each compared run's pair


def _labelled(y: np.ndarray) -> np.ndarray:
    """Which rows have a label (n,): a target's missing values (NaN, None; a text target's empty
    cells) are none."""
    from aekit.data.labels import missing_labels

    y = np.asarray(y)
    return np.isfinite(y) if y.dtype.kind == "f" else ~missing_labels(y)


def _is_continuous(y: np.ndarray | None) -> bool:
    """Whether labels y are a continuous target (numbers that are not all whole), not classes."""
    from sklearn.utils.multiclass import type_of_target

    return y is not None and _labelled(y).any() and type_of_target(np.asarray(y)[_labelled(y)]) == "continuous"


def _knn(Z_train, y_train, Z_test, y_test) -> tuple[float | None, float | None]:
    """(accuracy, R^2) of k nearest neighbours predicting held-out labels from codes: a vote's
    accuracy for classes, a mean's R^2 for a continuous target, None for what does not apply;
    rows without a label are left out, and training rows tied at the k-th distance share its
    places, so the figures do not depend on the order of the rows."""
    from aekit.analysis.metrics import knn_accuracy, knn_r2

    if y_train is None or y_test is None:
        return None, None
    train, test = _labelled(y_train), _labelled(y_test)
    Z_train, y_train, Z_test, y_test = Z_train[train], np.asarray(y_train)[train], Z_test[test], np.asarray(y_test)[test]
    if len(np.unique(y_train)) < 2 or len(y_train) < KNN_NEIGHBORS or len(y_test) == 0:
        return None, None
    if _is_continuous(y_train):
        return None, knn_r2(Z_train, y_train, Z_test, y_test, KNN_NEIGHBORS)
    return knn_accuracy(Z_train, y_train, Z_test, y_test, KNN_NEIGHBORS), None


def _scores(name: str, dims: int, X: np.ndarray, X_hat: np.ndarray, knn: tuple, seconds: float) -> ModelScores:
    squared = (np.asarray(X_hat, dtype=np.float64) - X) ** 2
    return ModelScores(name, dims, float(squared.mean()), float(squared.sum(axis=1).mean()), *knn, seconds)


def _pca(X_train: np.ndarray, dims: int):
    """PCA with `dims` components (fewer when X_train has fewer rows or columns), fitted on X_train;
    one row fits its mean (its variance, over n - 1 = 0 rows, is left undefined without a warning)."""
    from sklearn.decomposition import PCA

    with np.errstate(invalid="ignore", divide="ignore"):
        return PCA(n_components=min(dims, *X_train.shape), random_state=0).fit(X_train)


def _of_trained_classes(y_train, y_test, class_names=None):
    """`y_test` (n_test,) with the labels of classes that no training label has made missing,
    with a UserWarning naming them (a k-NN classifier on the training rows never predicts them);
    a continuous target, or no labels, as given."""
    if y_train is None or y_test is None or _is_continuous(y_train):
        return y_test
    train, test = np.asarray(y_train), np.asarray(y_test)
    labelled = _labelled(test)
    unseen = labelled & ~np.isin(test, train[_labelled(train)])
    if not unseen.any():
        return y_test
    names = [class_names[int(c)] if class_names is not None and np.issubdtype(type(c), np.integer) and 0 <= c < len(class_names)
             else str(c) for c in np.unique(test[unseen])]
    warnings.warn(
        f"{int(unseen.sum())} of the {int(labelled.sum())} labelled rows evaluated are of a class that no training row "
        f"has ({', '.join(map(repr, names))}); the {KNN_NEIGHBORS}-NN accuracy leaves them out, as none of their "
        "neighbours among the training rows can be of their class",
        UserWarning, stacklevel=3,
    )
    if test.dtype.kind in "iub":
        return np.where(unseen, np.nan, test.astype(np.float64))
    return np.where(unseen, None, test.astype(object))


def evaluate(est, X_train: np.ndarray, X_test: np.ndarray, y_train=None, y_test=None, class_names=None) -> Evaluation:
    """Score a fitted estimator and PCA (fitted on X_train, same code size) on X_test; X_train
    (n_train, n_features) and X_test (n_test, n_features) in the model's input space (after
    the run's scaling), labels (n,) or None.

    Parameters
    ----------
    est : estimator
        A fitted aekit estimator (with `code_dim_`, `history_`, `transform`,
        `inverse_transform` and `score_samples`).
    X_train : ndarray of shape (n_train, n_features)
        Training rows, which PCA and the k-nearest-neighbour models are fitted on.
    X_test : ndarray of shape (n_test, n_features)
        Held-out rows, which are scored.
    y_train : array-like of shape (n_train,), default=None
        Training labels (classes or a continuous target), for the k-NN score.
    y_test : array-like of shape (n_test,), default=None
        Held-out labels; those of a class no training row has are left out of the k-NN
        accuracy, with a warning.
    class_names : sequence of str, default=None
        The names of the classes integer labels index, for that warning.

    Returns
    -------
    Evaluation
        The row counts, the model's and PCA's scores, and the model's mean score.
    """
    y_test = _of_trained_classes(y_train, y_test, class_names)
    dims = int(est.code_dim_)
    Z_train, Z_test = est.transform(X_train), est.transform(X_test)
    knn = _knn(Z_train, y_train, Z_test, y_test)
    trained = float(sum(est.history_.get("epoch_seconds", ())))
    model = _scores(type(est).__name__, dims, X_test, expected_counts(est, X_test, est.inverse_transform(Z_test)), knn, trained)
    start = time.perf_counter()
    pca = _pca(X_train, dims)
    seconds = time.perf_counter() - start
    P_train, P_test = pca.transform(X_train), pca.transform(X_test)
    knn = _knn(P_train, y_train, P_test, y_test)
    baseline = _scores("PCA", pca.n_components_, X_test, pca.inverse_transform(P_test), knn, seconds)
    mean_score = float(np.mean(est.score_samples(X_test)))
    return Evaluation(len(X_train), len(X_test), [model, baseline], mean_score)


def metrics_table(scores: list[ModelScores]) -> list[list]:
    """Scores as table rows, header first; the k-NN column is R^2 when the target is continuous.

    Parameters
    ----------
    scores : list of ModelScores
        One row each, in order.

    Returns
    -------
    list of list
        The header row, then one row per model ('-' where the k-NN score does not apply).
    """
    r2 = any(s.knn_r2 is not None for s in scores)
    knn = f"{KNN_NEIGHBORS}-NN {'R^2' if r2 else 'accuracy'}"
    rows = [["model", "code size", "MSE per entry", "squared error per sample", knn, "fit seconds"]]
    for s in scores:
        value = s.knn_r2 if r2 else s.knn_accuracy
        rows.append([s.model, s.code_size, s.mse, s.sse_per_sample, "-" if value is None else value, s.fit_seconds])
    return rows


# ---- the report -------------------------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    """'1 component', '8 components'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _shown_rows(split: Split) -> np.ndarray:
    """Indices of up to N_SHOWN held-out rows: one per class first when there are class labels."""
    n = len(split.X_test)
    if split.y_test is None or _is_continuous(split.y_test):
        return np.arange(min(N_SHOWN, n))
    labelled = _labelled(split.y_test)
    first = [int(np.flatnonzero(labelled & (split.y_test == c))[0]) for c in np.unique(split.y_test[labelled])][:N_SHOWN]
    taken = set(first)
    rest = [i for i in range(min(n, 2 * N_SHOWN)) if i not in taken][: max(0, N_SHOWN - len(first))]
    return np.asarray(first + rest)


def _shown_labels(y: np.ndarray) -> list[str]:
    """Labels (n,) as panel titles: numbers to 4 significant digits, a missing one as NO_LABEL."""
    from aekit.data.labels import NO_LABEL

    return [NO_LABEL if not labelled else f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)
            for v, labelled in zip(y, _labelled(y))]


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
        settings = {**{f"data.{k}": v for k, v in mine["data"].items()}, "seed": mine["seed"]}
        others = {**{f"data.{k}": v for k, v in theirs["data"].items()}, "seed": theirs["seed"]}
        differ = "; ".join(f"{k}: {json.dumps(others.get(k))} there, {json.dumps(settings.get(k))} here"
                           for k in dict.fromkeys([*settings, *others]) if settings.get(k) != others.get(k))
        raise ValueError(f"{str(other.path)!r} was trained on other rows than {str(run.path)!r} ({differ}): compare "
                         "runs of one data split")
    model = open_model(other.path)
    X_train, X_test = model.scaling.transform(split.X_train), model.scaling.transform(split.X_test)
    return evaluate(model.estimator, X_train, X_test, split.y_train, split.y_test).scores


def write_run_explorer(
    model: Model, X, y, feature_names, where: str, path: Path | None = None, image_shape=None, class_names=None, **options
) -> Path:
    """Write the latent-space explorer page (`aekit.app.explore.write_explorer`) of an opened
    model for rows X (n, n_features) in the model's units with labels y: images (of
    `image_shape`, default the training rows') and class names as its reader read them, a
    table's values shown in its own units. Default path: explorer.html in the model's folder.

    Parameters
    ----------
    model : Model
        The opened run or model folder (`open_model`).
    X : ndarray of shape (n, n_features)
        The rows, in the model's units (after the run's scaling).
    y : array-like of shape (n,) or None
        Labels colouring the points.
    feature_names : sequence of str or None
        Names of a table's columns.
    where : str
        What the rows are, for the title, e.g. 'held-out rows'.
    path : pathlib.Path, default=None
        Where to write the page; None is explorer.html in the model's folder.
    image_shape : tuple of int, default=None
        Shape of each row as an image; None uses the reader's (the training rows').
    class_names : sequence of str, default=None
        Names of the classes y indexes (a later folder's may name more); None uses the reader's.
    **options
        Further keyword arguments of `aekit.app.explore.explorer_payload` (e.g. `ids`,
        `max_points`).

    Returns
    -------
    pathlib.Path
        The page's path.
    """
    from aekit.app.explore import EXPLORER_FILE, write_explorer

    est, reader, scaling = model.estimator, model.reader, model.scaling
    return write_explorer(
        est, X, y, path=path or model.path / EXPLORER_FILE, image_shape=image_shape or reader.image_shape,
        feature_names=feature_names, class_names=class_names or reader.class_names,
        display_scaling=None if scaling.kind == "none" else (scaling.offset, scaling.scale),
        value_range=model.pixel_range(),
        title=f"{type(est).__name__} on {where}: latent space", **options,
    )  # fmt: skip


class _Report:
    """What the section builders share: a run, its model, its rows in the model's units (after the
    run's scaling), their evaluation, and the chart's bars (with each compared run's)."""

    def __init__(self, run: Run, compare: Sequence[str | Path]) -> None:
        from aekit.app.plot import drawable_image_shape

        self.model = open_model(run.path)
        if self.model.config is None:
            raise ValueError(
                f"{str(run.path)!r} is a model folder, not a run: a report measures a run's held-out rows, so give a "
                f"run folder from 'aekit train'; a model folder is measured on rows you name with "
                f"'aekit evaluate {run.path} --data SOURCE'"
            )
        self.run, self.compare, self.config, self.est = run, compare, self.model.config, self.model.estimator
        self.split = split = self.model.split
        scaling = self.model.scaling
        self.X_train, self.X_test = scaling.transform(split.X_train), scaling.transform(split.X_test)
        self.evaluation = evaluate(self.est, self.X_train, self.X_test, split.y_train, split.y_test, split.class_names)
        compared = [(Path(c), _compared_scores(run, self.config, split, c)) for c in compare]
        self.bars: dict[str, ModelScores] = {}
        for where, pair in [(run.path, self.evaluation.scores), *compared]:
            for s in pair:
                self.bars[s.label if s.label not in self.bars else f"{s.label}\n{where.name}"] = s
        self.name, self.dims = type(self.est).__name__, int(self.est.code_dim_)
        self.image_shape = drawable_image_shape(split.image_shape)  # e.g. 4 channels: drawn as rows
        names = split.feature_names
        self.feature_names = list(names) if names is not None and len(names) == split.X_train.shape[1] else None
        self.value_range = self.model.pixel_range() or (float(np.nanmin(self.X_train)), float(np.nanmax(self.X_train)))
        self.pca = _pca(self.X_train, self.dims)
        self.pca_name = f"PCA, {_count(self.pca.n_components_, 'component')}"
        self.shown_ids = _shown_rows(split)

    def fig(self, file: str) -> str:
        """A figure's address in the page (relative to the run folder); `file` is one of Run.FIGURE_FILES."""
        if file not in Run.FIGURE_FILES:
            raise ValueError(f"figure {file!r} is not in Run.FIGURE_FILES, so a later report would not remove it")
        return f"{Run.FIGURES}/{file}"

    def path(self, file: str) -> Path:
        return self.run.path / self.fig(file)


def _summary(r: _Report) -> Section:
    from aekit.app import plot

    scores = list(r.bars.values())
    plot.plot_error_comparison(
        {label: s.mse for label, s in r.bars.items()},
        ylabel="mean squared error per entry",
        title=f"Held-out reconstruction error on {_count(len(r.X_test), 'row')} (lower is better)",
        colors=["C7" if s.model == "PCA" else "C0" for s in scores],
        path=r.path("errors.png"),
    )
    model, pca = r.evaluation.scores
    scaling = r.model.scaling
    scaled = "" if scaling.kind == "none" else f" ({scaling.units})"
    relation = "below" if model.mse < pca.mse else "not below"
    n_train = r.evaluation.n_train
    fitted = _rows_fitted(r.est.history_, n_train)
    rows = f"{_count(n_train, 'row')} of {r.config.data.source!r}" if fitted == n_train else (
        f"{fitted} of the {n_train} training rows of {r.config.data.source!r} (the other {_count(n_train - fitted, 'row')} "
        "measured its validation loss)")
    text = (
        f"This run's {r.name} has a {r.dims}-d code and was trained for {_count(r.est.n_epochs_, 'epoch')} on "
        f"{rows}, then measured on {_count(r.evaluation.n_test, 'held-out row')}{scaled}. PCA with "
        f"{_count(pca.code_size, 'component')}{_pca_limit(pca.code_size, r.dims, n_train, r.X_test.shape[1])}, fitted on "
        f"{'the same training rows' if fitted == n_train else f'all {n_train} training rows'}, is the linear "
        f"baseline: the model's mean squared error per entry, {model.mse:.4g}, is {relation} PCA's {pca.mse:.4g}. "
        f"The estimator's mean held-out score (score_samples, higher is better) is {r.evaluation.mean_score:.4g}."
    )
    if r.compare:
        text += "\n\nThe table and chart add, each beside its own PCA, the runs of the same data and split in " + (
            ", ".join(repr(str(c)) for c in r.compare) + "."
        )
    fit_seconds = "Fit seconds: the model's training time, summed over its epochs, and PCA's fit."
    if model.knn_accuracy is not None:
        text += (
            f"\n\n{KNN_NEIGHBORS}-NN accuracy: the share of held-out rows a {KNN_NEIGHBORS}-nearest-neighbour "
            "classifier, fitted on the training codes, labels correctly from their codes: how well the codes keep "
            f"the classes apart. {fit_seconds}"
        )
    elif model.knn_r2 is not None:
        text += (
            f"\n\n{KNN_NEIGHBORS}-NN R^2: the coefficient of determination of a {KNN_NEIGHBORS}-nearest-neighbour "
            f"regressor, fitted on the training codes, predicting the held-out rows' {r.config.data.target!r} from "
            f"their codes (1 is exact, 0 no better than the mean): how much of the target the codes keep. {fit_seconds}"
        )
    return Section(
        "Summary", text=text, table=metrics_table(scores), images=[(r.fig("errors.png"), "Held-out reconstruction error per entry")]
    )


def _pca_limit(components: int, dims: int, n_train: int, n_features: int) -> str:
    """' (the most that 64 features allow)' when PCA has fewer components than the code has dimensions."""
    if components >= dims:
        return ""
    limit = min(n_features, n_train)
    counted = _count(n_features, "feature") if n_features <= n_train else _count(n_train, "training row")
    return f" (the most that {counted} allow{'s' if limit == 1 else ''})"


def _rows_fitted(history: dict, n_train: int) -> int:
    """How many of the run's `n_train` training rows the model's weights were fitted on: those
    left after its validation split, or all of them when its PCA start was refitted on them."""
    settings = history.get("settings", {})
    return int(settings.get("start_refitted_rows") or settings.get("n_train") or n_train)


def _training(r: _Report) -> Section:
    from aekit.app import plot

    plot.plot_history(r.est.history_, title=f"{r.name} training loss", path=r.path("loss.png"))
    history = r.est.history_
    best, settings = history.get("best_epoch"), history.get("settings", {})
    text = "Loss per epoch (from metrics.csv)." + _loss_named(r.est) + _objective_note(r.est, history)
    if isinstance(best, int):
        text += f" The monitored loss was lowest in epoch {best + 1}."
    elif "start_val_loss" in settings:
        refitted = settings.get("start_refitted_rows")
        text += (
            f" No epoch's validation loss beat that of the weights training started from ({settings['start_val_loss']:.4g}), "
            "so the model keeps them" + (f", refitted on all {refitted} training rows." if refitted else ".")
        )
    return Section("Training", text=text, images=[(r.fig("loss.png"), "Training and validation loss")])


def _loss_named(est) -> str:
    """' It trained with loss='bce' ('auto' chose it).': the loss (a VAE's likelihood) the fit
    resolved, so the curve's units are named; '' for a model that records none."""
    key = next((k for k in ("loss", "likelihood") if hasattr(est, f"{k}_")), None)
    if key is None:
        return ""
    chose = " ('auto' chose it)" if getattr(est, key, None) == "auto" else ""
    return f" It trained with {key}={getattr(est, f'{key}_')!r}{chose}."


def _objective_note(est, history: dict) -> str:
    """' The training curve is ...' when the loss training minimised is not the validation loss
    (the plain reconstruction loss, or a VAE's negative ELBO, of clean rows): inputs corrupted or
    binarized, regularizer penalties added, a VAE's KL term weighted otherwise than 1; else ''."""
    from aekit.nn.regularizers import Regularizer

    if not any(np.isfinite(history.get("val_loss") or [np.nan])):
        return ""
    module, differs = getattr(est, "module_", None), []
    if getattr(module, "corruption", None) is not None:
        differs.append("is computed on corrupted inputs")
    if getattr(module, "binarize", None):
        differs.append("is computed on binarized inputs")
    penalties = [repr(r.name) for r in getattr(module, "regularizers", ()) if type(r).penalty is not Regularizer.penalty]
    if penalties:
        differs.append(f"adds the weighted {' and '.join(penalties)} penalt{'y' if len(penalties) == 1 else 'ies'}")
    beta, free_bits, warmup = (getattr(est, name, default) for name, default in (("beta", 1), ("free_bits", 0), ("kl_warmup_epochs", 0)))
    if hasattr(module, "kl_weight") and (beta != 1 or free_bits > 0 or warmup > 0):
        differs.append(f"weighs the KL term by beta = {beta:g}" + (" after a warm-up" if warmup else "")
                       + (f" with {free_bits:g} free bits" if free_bits > 0 else ""))
    if not differs:
        return ""
    plain = "negative ELBO" if hasattr(module, "kl_weight") else "reconstruction loss"
    return (f" The training curve is the objective training minimised, which {', '.join(differs)}; the validation curve "
            f"is the plain {plain} of the clean held-out rows, so the two measure different things and the gap between "
            "them is no measure of overfitting.")


def _reconstructions(r: _Report) -> Section:
    from aekit.app import plot

    shown, est = r.X_test[r.shown_ids], r.est
    y = r.split.y_test
    labels = None if y is None else _shown_labels(_label_names(r.split, y[r.shown_ids]))
    for file, X_hat, what in (
        ("reconstructions.png", expected_counts(est, shown, est.reconstruct(shown)), f"{r.name} reconstructions from {r.dims}-d codes"),
        ("reconstructions_pca.png", r.pca.inverse_transform(r.pca.transform(shown)), f"{r.pca_name} reconstructions"),
    ):
        title = f"Held-out rows (top) and {what} (bottom)"
        plot.plot_reconstructions(
            shown, X_hat, r.image_shape, title=title, value_range=r.value_range, feature_names=r.feature_names,
            labels=labels, path=r.path(file),
        )  # fmt: skip
    text = "Held-out rows above their reconstructions"
    if labels is not None:
        text += (", each titled with its label" if _is_continuous(y) else
                 ", the first of each class first, each titled with its class")
    return Section(
        "Reconstructions",
        text=text + ".",
        images=[(r.fig("reconstructions.png"), f"{r.name}, {r.dims}-d code"), (r.fig("reconstructions_pca.png"), r.pca_name)],
    )


def _latent_space(r: _Report) -> Section:
    """The codes beside PCA's projections, a decoded grid when the code is 2-D and the rows are
    images, and a link to the explorer page written beside the report."""
    from aekit.app import plot
    from aekit.app.explore import EXPLORER_FILE
    from aekit.analysis.latent import latent_grid

    plot.plot_latent_comparison(
        {f"{r.name}, {r.dims}-d code": r.est.transform(r.X_test), r.pca_name: r.pca.transform(r.X_test)},
        _label_names(r.split, r.split.y_test),
        title="Held-out rows placed by their codes",
        label_name=r.config.data.target or "label",
        path=r.path("latent.png"),
    )
    images = [(r.fig("latent.png"), f"{r.name} codes beside PCA projections")]
    write_run_explorer(r.model, r.X_test, r.split.y_test, r.split.feature_names, "held-out rows", ids=r.split.test.ids)
    text = (
        "Codes of the held-out rows beside their PCA projections, coloured by label when the data have labels "
        "(training never sees them)."
    )
    if r.dims == 2 and r.image_shape is not None:
        prior = hasattr(r.est, "prior_quantile")
        grid, codes = latent_grid(r.est, n=GRID_SIZE, X=None if prior else r.X_train, return_codes=True)
        title = "Decoded grid over the 2-D codes"
        plot.plot_latent_grid(grid, r.image_shape, codes, title=title, value_range=r.value_range, path=r.path("latent_grid.png"))
        images.append((r.fig("latent_grid.png"), "Decoded code grid"))
        spanned = "the model's prior" if prior else "the training codes"
        text += f" The grid decodes evenly spaced codes between the 5% and 95% quantiles of {spanned}."
    link = (f"Explore the latent space ({EXPLORER_FILE}): hover a point to see its input, click anywhere to decode "
            "that place, drag to decode a path")  # fmt: skip
    return Section("Latent space", text=text, images=images, links=[(EXPLORER_FILE, link)])


def _samples(r: _Report) -> Section:
    """Decoded draws from a mixture fitted to the training codes and, for a generative model,
    from its own prior."""
    from aekit.app import plot
    from aekit.analysis.latent import LatentSampler

    def draw(file: str, X: np.ndarray, title: str, caption: str) -> tuple[str, str]:
        plot.plot_samples(X, r.image_shape, title=title, value_range=r.value_range, feature_names=r.feature_names, path=r.path(file))
        return r.fig(file), caption

    seed, k = r.config.seed, min(MIXTURE_COMPONENTS, len(r.X_train))
    images, text = [], "A density of the training codes needs two training rows, and this run has one."
    if len(r.X_train) > 1:
        sampler = LatentSampler(r.est, density="gmm", n_components=k, random_state=seed).fit(r.X_train)
        title = f"Decoded draws from a Gaussian mixture of {_count(k, 'component')} fitted to the training codes"
        images.append(draw("samples.png", r.model.drawn_counts(sampler.sample(N_SAMPLES, random_state=seed)), title, "Decoded samples"))
        text = (
            f"A Gaussian mixture of {_count(k, 'component')} is fitted to the codes of the training rows and {N_SAMPLES} "
            "draws from it are decoded: what the decoder makes of codes like the ones it was trained on."
        )
    if decodes_proportions(r.est):
        length = float(np.mean(r.split.X_train.sum(axis=1)))
        text += (" A drawn code has no document length, so its decoded word proportions are shown as the expected counts of "
                 f"a document of the training documents' mean length ({length:.4g} words), as 'aekit generate' writes them.")
    if callable(getattr(r.est, "sample", None)):
        title = f"{r.name}: decoded draws from the prior"
        images.append(draw("prior_samples.png", r.model.drawn_counts(r.est.sample(N_SAMPLES, random_state=seed)), title, "Samples from the prior"))
        text += " The second figure decodes draws from the model's own prior (est.sample)."
    return Section("Samples", text=text, images=images)


def _interpolation_pairs(n_shown: int) -> list[tuple[int, int]]:
    """INTERPOLATION_PAIRS as positions among `n_shown` (at least 2) rows, without a row paired with itself
    or a pair repeated in either order."""
    pairs: list[tuple[int, int]] = []
    for a, b in INTERPOLATION_PAIRS:
        a, b = a % n_shown, b % n_shown
        if a != b and {a, b} not in [set(pair) for pair in pairs]:
            pairs.append((a, b))
    return pairs


def _interpolations(r: _Report) -> Section:
    from aekit.app import plot
    from aekit.analysis.latent import interpolate

    if len(set(r.shown_ids)) < 2:
        return Section("Interpolations", text=(
            f"Interpolations run from one held-out row to another, and this run holds out {_count(len(r.X_test), 'row')}; "
            "a larger data.test_fraction, or more rows, holds out enough."))
    center, shown, paths = r.est.transform(r.X_train).mean(axis=0), r.shown_ids, {}
    pairs = _interpolation_pairs(len(shown))
    for i, (a, b) in enumerate(pairs, start=1):
        x_a, x_b = r.X_test[shown[a]], r.X_test[shown[b]]
        blended = interpolate(r.est, x_a, x_b, N_STEPS, "pixel")
        paths[f"{i}: codes, linear"] = expected_counts(r.est, blended, interpolate(r.est, x_a, x_b, N_STEPS, "linear"))
        paths[f"{i}: codes, slerp"] = expected_counts(
            r.est, blended, interpolate(r.est, x_a, x_b, N_STEPS, "slerp", center=center)
        )
        paths[f"{i}: inputs"] = blended
    title = "From one held-out row to another"
    plot.plot_interpolations(
        paths, r.image_shape, title=title, value_range=r.value_range, feature_names=r.feature_names,
        path=r.path("interpolation.png"),
    )  # fmt: skip
    text = (
        f"For {_count(len(pairs), 'pair')} of the rows above: the path straight through code space, "
        "along the arc about the mean training code (slerp), and by blending the inputs themselves, the "
        "baseline; the code paths start and end at the two reconstructions."
    )
    if decodes_proportions(r.est):
        text += " The decoded word proportions are drawn as expected counts, times the blended documents' lengths."
    return Section("Interpolations", text=text, images=[(r.fig("interpolation.png"), "Interpolations")])


def _sparse_code(r: _Report) -> Section | None:
    """For an estimator with a sparse code (it has `dead_units_`): its activity, and for images
    the held-out images that activate N_UNITS_SHOWN of its units most."""
    if not hasattr(r.est, "dead_units_"):
        return None
    from aekit.app import plot
    from aekit.analysis.features import sparse_code_summary, top_activating, unit_frequencies
    from aekit.nn.sparse_codes import ACTIVE_THRESHOLD

    Z = r.est.transform(r.X_test)
    text, images = sparse_code_summary(r.est, Z), []
    live = np.flatnonzero(unit_frequencies(Z) > 0)[:N_UNITS_SHOWN]
    n = min(N_TOP, len(r.X_test))
    if r.image_shape is not None and len(live):
        rows = top_activating(Z, n, live)
        grid = r.X_test[rows].astype(float)
        grid[np.abs(Z[rows, live[:, None]]) <= ACTIVE_THRESHOLD] = np.nan  # drawn blank: the unit is off there
        plot.plot_image_grid(
            grid, r.image_shape, row_labels=[f"unit {u}" for u in live], value_range=r.value_range,
            title=f"Up to {n} held-out images that activate each unit, most active first", path=r.path("top_activating.png"),
        )  # fmt: skip
        images.append((r.fig("top_activating.png"), "Top-activating held-out images per code unit"))
        text += (
            f" Each row of the figure shows, for one of the first {len(live)} units active on held-out rows, the {n} "
            "images with its largest values; a unit active on fewer of them shows only those, the rest of its row blank."
        )
    return Section("Sparse code", text=text, images=images)


def _configuration(r: _Report) -> Section:
    return Section(
        "Configuration",
        text=f"The resolved config of this run ({Run.CONFIG}); the fitted model is in {Run.MODEL}/:",
        code=r.run.file(Run.CONFIG).read_text(encoding="utf-8"),
    )


SECTIONS = (_summary, _training, _reconstructions, _latent_space, _samples, _interpolations, _sparse_code, _configuration)


def _check_compared_once(run_dir: str | Path, compare: Sequence[str | Path]) -> None:
    """Refuse a compared run that is the reported run or is named twice, which would add rows
    the table could not tell apart."""
    seen = {Path(run_dir).resolve(): "the reported run itself"}
    for other in compare:
        where = Path(other).resolve()
        if where in seen:
            raise ValueError(f"--compare {str(other)!r} is {seen[where]}: compare other runs of the same data, each once")
        seen[where] = "named twice"


def write_run_report(run_dir: str | Path, compare: Sequence[str | Path] = ()) -> RunReport:
    """Draw a run's figures into RUN/figures and write RUN/report.html (figures embedded) from the
    SECTIONS that apply to it, removing the Run.FIGURE_FILES an earlier report drew and this one does not;
    the runs in `compare`, trained on the same data and seed, add their rows to the table and the error chart.

    Parameters
    ----------
    run_dir : str or pathlib.Path
        A run folder with a fitted model.
    compare : sequence of str or pathlib.Path, default=()
        Other run folders of the same data and seed; a run of other rows, the reported run
        itself and a run named twice are refused.

    Returns
    -------
    RunReport
        The page's path and every model's scores.
    """
    _check_compared_once(run_dir, compare)
    report = _Report(Run(run_dir), compare)
    figures = report.run.path / Run.FIGURES
    figures.mkdir(exist_ok=True)
    sections = [section for build in SECTIONS if (section := build(report)) is not None]
    title = f"aekit run: {report.name} on {report.config.data.source}"
    page = write_report(report.run.path, title, sections, embed_images=True)
    shown = {Path(name).name for section in sections for name, _ in section.images}
    for file in set(Run.FIGURE_FILES) - shown:  # an earlier report's (another model's, say): not this run's figure
        (figures / file).unlink(missing_ok=True)
    return RunReport(page, list(report.bars.values()))
