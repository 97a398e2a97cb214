"""`aekit demo`: an AutoEncoder and PCA on scikit-learn's digits, figures and an HTML report."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DemoResult", "ModelResult", "run_demo"]

DEMO_EPOCHS = 150
DEMO_BATCH_SIZE = 64
DEMO_HIDDEN_DIMS = (256, 64)
DEMO_TEST_FRACTION = 0.25
DIGIT_SHAPE = (8, 8)
N_DIGIT_FEATURES = 64
KNN_NEIGHBORS = 5
DEMO_TORCH_THREADS = 1
DEMO_MIXTURE_COMPONENTS = 10
DEMO_INTERPOLATION_DIGITS = (0, 7)


@dataclass
class ModelResult:
    """Held-out numbers for one fitted model."""

    name: str
    dims: int
    mse: float
    knn_accuracy: float
    fit_seconds: float

    @property
    def label(self) -> str:
        return f"{self.name} ({self.dims}-d)"


@dataclass
class DemoResult:
    """What `run_demo` produced: per-model numbers, the report and the model folder."""

    results: list[ModelResult]
    report: Path
    model_dir: Path
    n_train: int
    n_test: int


@contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """Run torch ops on `n` intra-op threads, restoring the previous count afterwards.

    The demo's network is small enough that one thread trains it as fast as several, and
    stays fast when other processes compete for the cores.
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _fit_pair(latent_dim: int, X_train, X_test, y_train, y_test, epochs: int, seed: int, verbose: bool):
    """Fit an AutoEncoder and a PCA with `latent_dim` components; return both and their results."""
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsClassifier

    from aekit import AutoEncoder

    def knn_accuracy(Z_train: np.ndarray, Z_test: np.ndarray) -> float:
        return float(KNeighborsClassifier(KNN_NEIGHBORS).fit(Z_train, y_train).score(Z_test, y_test))

    if verbose:
        print(f"training AutoEncoder with a {latent_dim}-d code for {epochs} epochs", flush=True)
    ae = AutoEncoder(
        latent_dim=latent_dim,
        hidden_dims=DEMO_HIDDEN_DIMS,
        loss="bce",
        batch_size=DEMO_BATCH_SIZE,
        max_epochs=epochs,
        random_state=seed,
        verbose=verbose,
    )
    start = time.perf_counter()
    ae.fit(X_train)
    ae_seconds = time.perf_counter() - start
    ae_mse = float(np.mean((ae.reconstruct(X_test) - X_test) ** 2))
    ae_knn = knn_accuracy(ae.transform(X_train), ae.transform(X_test))
    ae_result = ModelResult("AutoEncoder", latent_dim, ae_mse, ae_knn, ae_seconds)

    start = time.perf_counter()
    pca = PCA(n_components=latent_dim, random_state=seed).fit(X_train)
    pca_seconds = time.perf_counter() - start
    pca_mse = float(np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2))
    pca_knn = knn_accuracy(pca.transform(X_train), pca.transform(X_test))
    pca_result = ModelResult("PCA", latent_dim, pca_mse, pca_knn, pca_seconds)
    return ae, pca, ae_result, pca_result


def _write_figures(out: Path, ae, pca, X_test: np.ndarray, y_test: np.ndarray, results: list[ModelResult]) -> None:
    """Save the demo's PNGs into `out`; the names match DEMO_EPILOG and the report."""
    from aekit import plot

    latent_dim = ae.latent_dim
    one_per_digit = np.array([np.flatnonzero(y_test == digit)[0] for digit in np.unique(y_test)])
    shown = X_test[one_per_digit]
    plot.plot_history(ae.history_, title=f"AutoEncoder training loss (BCE, {latent_dim}-d code)", path=out / "loss.png")
    plot.plot_reconstructions(
        shown,
        ae.reconstruct(shown),
        image_shape=DIGIT_SHAPE,
        title=f"Held-out digits (top) and AutoEncoder reconstructions from {latent_dim}-d codes (bottom)",
        path=out / "reconstructions.png",
    )
    plot.plot_reconstructions(
        shown,
        pca.inverse_transform(pca.transform(shown)),
        image_shape=DIGIT_SHAPE,
        title=f"Held-out digits (top) and PCA reconstructions from {latent_dim} components (bottom)",
        path=out / "reconstructions_pca.png",
    )
    plot.plot_latent_comparison(
        {f"AutoEncoder, {latent_dim}-d code": ae.transform(X_test), f"PCA, {latent_dim} components": pca.transform(X_test)},
        y_test,
        title="Held-out digits placed by their codes",
        label_name="digit",
        path=out / "latent.png",
    )
    palette = {"AutoEncoder": "C0", "PCA": "C7"}
    plot.plot_error_comparison(
        {r.label: r.mse for r in results},
        ylabel="mean squared error per pixel",
        title=f"Held-out reconstruction error on {len(X_test)} digits (lower is better)",
        colors=[palette[r.name] for r in results],
        path=out / "errors.png",
    )


def _write_latent_figures(out: Path, ae, X_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, seed: int) -> None:
    """Save the latent-space PNGs into `out`: decoded samples, interpolations and, for 2-D
    codes, the decoded code grid."""
    from aekit import plot
    from aekit.latent import LatentSampler, interpolate, latent_grid

    sampler = LatentSampler(ae, density="gmm", n_components=DEMO_MIXTURE_COMPONENTS, random_state=seed).fit(X_train)
    plot.plot_samples(
        sampler.sample(32, random_state=seed),
        DIGIT_SHAPE,
        title=f"Decoded draws from a {DEMO_MIXTURE_COMPONENTS}-component Gaussian mixture fitted to the training codes",
        path=out / "samples.png",
    )
    x_a, x_b = (X_test[np.flatnonzero(y_test == digit)[0]] for digit in DEMO_INTERPOLATION_DIGITS)
    center = ae.transform(X_train).mean(axis=0)
    paths = {
        "codes, linear": interpolate(ae, x_a, x_b, steps=10, method="linear"),
        "codes, slerp": interpolate(ae, x_a, x_b, steps=10, method="slerp", center=center),
        "pixels": interpolate(ae, x_a, x_b, steps=10, method="pixel"),
    }
    plot.plot_interpolations(paths, DIGIT_SHAPE, title="From one held-out digit to another", path=out / "interpolation.png")
    if ae.latent_dim == 2:
        grid, codes = latent_grid(ae, n=15, X=X_train, return_codes=True)
        plot.plot_latent_grid(grid, DIGIT_SHAPE, codes, title="Decoded grid over the 2-D codes", path=out / "latent_grid.png")


def _report_sections(ae, results: list[ModelResult], options: dict, n_train: int, n_test: int, model_dir: Path):
    """The report's sections, in reading order."""
    from aekit.report import Section

    latent_dim = ae.latent_dim
    history = ae.history_
    best = history["best_epoch"]
    val_note = ""
    if history["val_loss"] and best is not None:
        val_note = (
            f" The validation loss (on {ae.validation_fraction:.0%} of the training rows) was lowest in epoch "
            f"{best + 1}, at {history['val_loss'][best]:.4g}."
        )
    layers = " -> ".join(map(str, (N_DIGIT_FEATURES, *DEMO_HIDDEN_DIMS, latent_dim)))
    summary = (
        f"An AutoEncoder ({layers} and mirrored back, sigmoid output, binary cross-entropy loss) was trained "
        f"for {ae.n_epochs_} epochs on {n_train} of scikit-learn's {n_train + n_test} 8x8 handwritten digits, "
        f"with pixels scaled to [0, 1]. {n_test} digits were held out (stratified by digit, seed "
        f"{options['seed']}) and the errors and accuracies below are measured on them. PCA with the same "
        "number of components is the linear baseline."
        "\n\n"
        f"MSE is the mean squared reconstruction error per pixel. {KNN_NEIGHBORS}-NN accuracy is the share of "
        f"held-out digits a {KNN_NEIGHBORS}-nearest-neighbour classifier, fitted on the training codes, names "
        "correctly from their codes: how well the codes keep the digits apart."
    )
    header = ["model", "code size", "held-out MSE", f"{KNN_NEIGHBORS}-NN accuracy", "fit seconds"]
    return [
        Section(
            "Summary",
            text=summary,
            table=[header] + [[r.name, r.dims, r.mse, r.knn_accuracy, r.fit_seconds] for r in results],
            images=[("errors.png", "Held-out reconstruction MSE per pixel")],
        ),
        Section(
            "Training",
            text=f"Training and validation loss per epoch.{val_note}",
            images=[("loss.png", "Loss per epoch")],
        ),
        Section(
            "Reconstructions",
            text="One held-out example of each digit above its reconstruction; darker is higher intensity.",
            images=[
                ("reconstructions.png", f"AutoEncoder, {latent_dim}-d code"),
                ("reconstructions_pca.png", f"PCA, {latent_dim} components"),
            ],
        ),
        Section(
            "Codes",
            text=(
                "Held-out digits placed by their codes and coloured by the true digit, which training never "
                "sees; each digit is written at the median of its codes."
            ),
            images=[("latent.png", "AutoEncoder codes beside PCA projections")],
        ),
        Section(
            "Latent space",
            text=(
                f"Generation: a {DEMO_MIXTURE_COMPONENTS}-component Gaussian mixture fitted to the training "
                "codes, and its draws decoded. Interpolation: the path between two held-out digits, "
                "straight through code space, along the arc about the mean code (slerp), and by blending "
                "the pixels, the baseline; the code paths start and end at the two reconstructions."
                + (
                    " The grid decodes evenly spaced codes between the 5% and 95% quantiles of the "
                    "training codes; its axes are labelled with the code values."
                    if latent_dim == 2
                    else ""
                )
            ),
            images=[("samples.png", "Decoded samples"), ("interpolation.png", "Interpolations")]
            + ([("latent_grid.png", "Decoded code grid")] if latent_dim == 2 else []),
        ),
        Section(
            "Configuration",
            text=(
                f"The fitted model is in the folder '{model_dir.name}' beside this page; load it with "
                f"aekit.AutoEncoder.load('{model_dir.name}'). Demo options:"
            ),
            table={**options, "test_fraction": DEMO_TEST_FRACTION},
        ),
        Section("AutoEncoder parameters", table=ae.get_params(deep=False)),
    ]


def run_demo(
    out: str | Path,
    *,
    epochs: int = DEMO_EPOCHS,
    latent_dim: int = 2,
    seed: int = 0,
    compare_dim: int = 8,
    verbose: bool = True,
) -> DemoResult:
    """Fit the digits demo and write its figures, model folder and report into `out`."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from aekit.report import write_report

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    digits = load_digits()
    X, y = digits.data / 16.0, digits.target
    split = train_test_split(X, y, test_size=DEMO_TEST_FRACTION, stratify=y, random_state=seed)
    X_train, X_test, y_train, y_test = split
    with _torch_threads(DEMO_TORCH_THREADS):
        ae, pca, ae_result, pca_result = _fit_pair(latent_dim, *split, epochs, seed, verbose)
        results = [ae_result, pca_result]
        if compare_dim and compare_dim != latent_dim:
            results += _fit_pair(compare_dim, *split, epochs, seed, verbose)[2:]
        model_dir = Path(ae.save(out / "model"))
        _write_figures(out, ae, pca, X_test, y_test, results)
        _write_latent_figures(out, ae, X_train, X_test, y_test, seed)
    options = {"epochs": epochs, "latent_dim": latent_dim, "compare_dim": compare_dim, "seed": seed}
    sections = _report_sections(ae, results, options, len(X_train), len(X_test), model_dir)
    report = write_report(out, f"aekit demo: AutoEncoder vs PCA on digits ({latent_dim}-d codes)", sections)
    return DemoResult(results, report, model_dir, len(X_train), len(X_test))
