"""Figures (`aekit.app.plot`), the HTML report (`aekit.app.report`) and the `aekit demo` command (its built-in
config trained and reported like any run)."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
import yaml
from tests.conftest import ReportPage
from matplotlib.figure import Figure

from aekit import AutoEncoder
from aekit.cli import main
from aekit.app.plot import plot_error_comparison, plot_history, plot_latent, plot_reconstructions
from aekit.app.report import Section, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    assert path.is_file(), f"{path} was not written"
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000, f"{path} is not a real PNG"


class _PageParser(HTMLParser):
    """Collects <img> attributes, tag names and the visible text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs))

    def handle_data(self, data):
        self.text.append(data)


def parse_page(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def assert_images_resolve(report: Path) -> list[str]:
    """Every <img> has alt text and a relative src naming a file beside the report."""
    page = parse_page(report)
    sources = []
    for img in page.images:
        src, alt = img.get("src"), img.get("alt")
        assert src and alt, f"img without src or alt: {img}"
        assert "://" not in src and not src.startswith("/"), f"non-relative src {src!r}"
        assert (report.parent / unquote(src)).is_file(), f"{src!r} does not exist beside the report"
        sources.append(unquote(src))
    return sources


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ---- plots -----------------------------------------------------------------------------------


def test_plot_history_draws_train_and_validation_and_saves_png(tmp_path):
    history = {"loss": [1.0, 0.6, 0.5, 0.45], "val_loss": [1.1, 0.7, 0.65, 0.66], "best_epoch": 2}
    fig = plot_history(history, path=tmp_path / "loss.png")
    assert isinstance(fig, Figure)
    assert_png(tmp_path / "loss.png")
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:2] == ["train", "validation"]
    assert "best epoch (3)" in labels
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), history["val_loss"])
    assert ax.get_yscale() == "linear"


def test_plot_history_refuses_uneven_histories_and_says_which_losses_it_could_not_draw():
    # a val_loss of 2 epochs beside a loss of 4 was drawn as a shorter line, and a history of NaN losses (a diverged
    # fit) as an empty panel, without a word
    with pytest.raises(ValueError, match=r"history\['val_loss'\] must hold one loss per epoch of history\['loss'\] \(4\) or none, got 2"):
        plot_history({"loss": [4.0, 3.0, 2.0, 1.0], "val_loss": [4.0, 3.0]})
    ax = plot_history({"loss": [np.nan, np.nan], "val_loss": [np.nan, np.inf]}).axes[0]
    assert " ".join(ax.get_title().split()).endswith("2 of 2 training losses and 2 of 2 validation losses are NaN or infinite and not drawn")
    assert [t.get_text() for t in ax.texts] == ["no finite loss to draw"]
    ax = plot_history({"loss": [2.0, np.nan, 1.0], "val_loss": [2.0, 1.5, 1.2]}).axes[0]
    assert ax.get_title() == "Training history\n1 of 3 training losses are NaN or infinite and not drawn" and not ax.texts


def test_plot_history_uses_log_scale_for_wide_ranges_and_handles_no_validation():
    fig = plot_history({"loss": [100.0, 10.0, 1.0, 0.5], "val_loss": [], "best_epoch": None})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.get_lines()] == ["train"]
    assert plot_history({"loss": [100.0, 1.0]}, log_y=False).axes[0].get_yscale() == "linear"
    with pytest.raises(ValueError, match="non-empty"):
        plot_history({"loss": []})


def test_plot_reconstructions_images_put_inputs_above_reconstructions(tmp_path, rng):
    X = rng.uniform(size=(12, 64))
    X_hat = np.clip(X + rng.normal(scale=0.1, size=X.shape), 0, 1)
    fig = plot_reconstructions(X, X_hat, image_shape=(8, 8), n=5, path=tmp_path / "rec.png")
    assert isinstance(fig, Figure)
    assert_png(tmp_path / "rec.png")
    assert len(fig.axes) == 10
    top = [ax for ax in fig.axes if ax.get_subplotspec().rowspan.start == 0]
    bottom = [ax for ax in fig.axes if ax.get_subplotspec().rowspan.start == 1]
    assert len(top) == len(bottom) == 5
    np.testing.assert_allclose(top[2].get_images()[0].get_array(), X[2].reshape(8, 8))
    np.testing.assert_allclose(bottom[2].get_images()[0].get_array(), X_hat[2].reshape(8, 8))
    assert top[0].get_ylabel() == "input" and bottom[0].get_ylabel() == "reconstruction"


def test_plot_reconstructions_takes_images_beside_a_conv_models_flat_reconstructions(rng):
    # plot_reconstructions(X, est.inverse_transform(est.transform(X))) for images X (n, 1, 8, 12) and a
    # ConvAutoEncoder (whose inverse_transform returns rows) stopped with "X and X_hat must have the same shape"
    X = rng.uniform(size=(3, 1, 8, 12))
    X_hat = np.clip(X + 0.1, 0, 1).reshape(3, -1)
    fig = plot_reconstructions(X, X_hat)
    top = [ax for ax in fig.axes if ax.get_subplotspec().rowspan.start == 0]
    bottom = [ax for ax in fig.axes if ax.get_subplotspec().rowspan.start == 1]
    np.testing.assert_allclose(top[1].get_images()[0].get_array(), X[1, 0])
    np.testing.assert_allclose(bottom[1].get_images()[0].get_array(), X_hat[1].reshape(8, 12))


def test_grey_images_are_drawn_as_stored_zero_black():
    from aekit.app.plot import plot_image_grid

    X = np.linspace(0, 1, 16).reshape(1, 16)
    for fig in (plot_reconstructions(X, X, (4, 4)), plot_image_grid(X[None], (4, 4))):
        image = fig.axes[0].images[0]
        np.testing.assert_allclose(image.cmap(image.norm([0.0, 1.0]))[:, :3], [[0, 0, 0], [1, 1, 1]])


@pytest.mark.parametrize("image_shape", [(4, 4), (3, 4, 4)], ids=["grey", "colour"])
def test_white_images_stay_apart_from_the_gaps_between_them(image_shape):
    # the gaps of an image mosaic were drawn white, so two white images (or white edges) merged into one
    from aekit.app.plot import plot_image_grid

    grid = np.ones((2, 2, int(np.prod(image_shape))))
    grid[0, 0] = 0.0
    fig = plot_image_grid(grid, image_shape, value_range=(0.0, 1.0))
    fig.canvas.draw()
    rendered = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    bright = rendered.min(axis=2) >= 250
    tinted = rendered.max(axis=2) - rendered.min(axis=2) > 40  # a colour no grey level or white is near
    assert bright.sum() > 0 and tinted.sum() > 0
    image = fig.axes[0].images[0]
    cell = np.ma.getdata(image.get_array())[4, 5]  # the gap's pixel below the white image at (0, 1)
    colour = image.cmap.get_bad()[:3] if len(image_shape) == 2 else cell
    assert np.ptp(colour) > 0.2 and min(colour) < 0.9


def test_long_titles_over_few_panels_are_wrapped_inside_the_figure(tmp_path, rng):
    # a report's reconstructions of 2 held-out rows, or its 2-bar error chart, had their titles cut at both edges
    from aekit.app.plot import plot_samples

    title = "Held-out rows (top) and AutoEncoder reconstructions from 2-d codes (bottom)"
    X = rng.uniform(size=(2, 64))
    figures = [
        plot_reconstructions(X, X, (8, 8), title=title, path=tmp_path / "rec.png"),
        plot_reconstructions(X[:, :4], X[:, :4], title=title),
        plot_samples(X, (8, 8), title=title + "\nsecond line"),
        plot_error_comparison({"AutoEncoder (2-d)": 0.4, "PCA (2-d)": 0.5}, title=title),
    ]
    for fig in figures:
        renderer = fig.canvas.get_renderer()
        fig.draw_without_rendering()
        titles = [*fig.texts, *(ax.title for ax in fig.axes if ax.title.get_text())]
        assert " ".join(" ".join(t.get_text().split()) for t in titles) in (title, title + " second line")
        for text in titles:
            box = text.get_window_extent(renderer)
            assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height, text.get_text()
    math = "$" + " + ".join(rf"\alpha_{{{i}}}" for i in range(30)) + "$"
    assert plot_reconstructions(X, X, (8, 8), title=math).texts[0].get_text() == math  # never broken inside $...$
    height = figures[0].get_size_inches()[1]
    assert height > plot_reconstructions(X, X, (8, 8), title="short").get_size_inches()[1]  # room for the lines added
    assert_png(tmp_path / "rec.png")


def test_plot_reconstructions_profiles_for_tabular_data_and_caps_n(tmp_path, rng):
    X = rng.normal(size=(3, 6))
    fig = plot_reconstructions(X, X * 0.9, n=10, path=tmp_path / "profiles.png")
    assert_png(tmp_path / "profiles.png")
    assert len(fig.axes) == 6
    bars = fig.axes[0].patches
    np.testing.assert_allclose([bar.get_height() for bar in bars], X[0])
    assert not fig.axes[0].get_images()


def test_table_figures_name_their_features(rng):
    # a table's profiles and heat maps (the report's reconstructions, samples, interpolations) labelled
    # their features 0, 1, 2, ... only, whatever the columns were called
    from aekit.app.plot import plot_interpolations, plot_samples

    X, names = rng.normal(size=(3, 4)), ["age", "income", "colour=blue", "colour=red"]
    fig = plot_reconstructions(X, X * 0.9, feature_names=names)
    bottom = [ax for ax in fig.axes if ax.get_subplotspec().rowspan.start == 1]
    assert all([t.get_text() for t in ax.get_xticklabels()] == names for ax in bottom)
    for fig in (plot_samples(X, feature_names=names), plot_interpolations({"a": X, "b": X}, feature_names=names)):
        assert [t.get_text() for t in fig.axes[-2].get_xticklabels()] == names  # the last row, then the colorbar
    unnamed = plot_samples(X)
    assert unnamed.axes[-2].get_xlabel() == "feature"
    with pytest.raises(ValueError, match="feature_names has 3 names for 4 features"):
        plot_reconstructions(X, X, feature_names=names[:3])


def test_plot_reconstructions_rejects_mismatched_input():
    X = np.zeros((4, 64))
    with pytest.raises(ValueError, match=r"X_hat must have X's shape, or be X's images as flat rows, got X \(4, 64\)"):
        plot_reconstructions(X, np.zeros((4, 63)))
    with pytest.raises(ValueError, match="X_hat must have X's shape"):
        plot_reconstructions(X.reshape(4, 8, 8), np.zeros((4, 63)))
    with pytest.raises(ValueError, match="image_shape"):
        plot_reconstructions(X, X, image_shape=(7, 7))


def test_latent_scatters_say_how_many_codes_they_leave_out_as_not_finite(rng):
    # codes of a diverged model (NaN) were dropped without a word: an empty or thinned scatter under "Latent codes"
    from aekit.app.plot import plot_latent_comparison

    Z = rng.normal(size=(10, 2))
    Z[[2, 5]] = np.nan
    assert plot_latent(Z).axes[0].get_title() == "Latent codes\n2 of 10 codes are not finite and not drawn"
    assert plot_latent(np.full((4, 1), np.inf)).axes[0].get_title().endswith("\n4 of 4 codes are not finite and not drawn")
    fig = plot_latent_comparison({"AutoEncoder": Z, "PCA": rng.normal(size=(10, 3))})
    assert [ax.get_title() for ax in fig.axes] == [
        "AutoEncoder\n2 of 10 codes are not finite and not drawn", "PCA (first 2 of 3 dimensions)"]
    assert plot_latent(rng.normal(size=(10, 2))).axes[0].get_title() == "Latent codes"


def test_plot_latent_colours_categories_with_legend(tmp_path, rng):
    Z = rng.normal(size=(60, 2))
    labels = np.repeat([0, 1, 2], 20)
    fig = plot_latent(Z, labels, title="codes", label_name="digit", path=tmp_path / "latent.png")
    assert isinstance(fig, Figure)
    assert_png(tmp_path / "latent.png")
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend is not None and legend.get_title().get_text() == "digit"
    assert [t.get_text() for t in legend.get_texts()] == ["0", "1", "2"]
    assert len(ax.collections) == 3
    np.testing.assert_allclose(ax.collections[1].get_offsets(), Z[20:40])
    assert ax.get_title() == "codes"


def test_plot_latent_uses_first_two_columns_and_says_so(rng):
    Z = rng.normal(size=(30, 5))
    fig = plot_latent(Z, title="codes")
    ax = fig.axes[0]
    assert "first 2 of 5" in ax.get_title()
    np.testing.assert_allclose(ax.collections[0].get_offsets(), Z[:, :2])


def test_plot_latent_continuous_labels_get_a_colorbar(rng):
    Z = rng.normal(size=(50, 2))
    fig = plot_latent(Z, labels=rng.uniform(size=50), label_name="age")
    assert len(fig.axes) == 2
    assert fig.axes[1].get_ylabel() == "age"
    assert fig.axes[0].get_legend() is None


@pytest.mark.parametrize("labels", [np.arange(50.0), np.repeat([0.0, 1.0], 25)], ids=["continuous", "classes"])
def test_plot_latent_draws_rows_without_a_label_in_grey(rng, labels):
    # codes of rows whose target was missing (NaN) were drawn transparent on a colour scale, or left out under a
    # legend entry 'nan': the report's map silently lost them
    from aekit.app.plot import plot_latent_comparison

    Z, labels = rng.normal(size=(50, 2)), labels.copy()
    labels[::5] = np.nan
    for fig in (plot_latent(Z, labels), plot_latent_comparison({"a": Z, "b": Z}, labels)):
        ax = fig.axes[0]
        shown = np.concatenate([c.get_offsets() for c in ax.collections if c.get_facecolors()[:, 3].min() > 0])
        assert sorted(map(tuple, shown)) == sorted(map(tuple, Z))
        grey = next(c for c in ax.collections if c.get_label() == "no label")
        np.testing.assert_allclose(grey.get_offsets(), Z[::5])
        entries = [t.get_text() for a in fig.axes if a.get_legend() for t in a.get_legend().get_texts()]
        assert "no label" in entries and "nan" not in entries


def test_a_few_far_scores_leave_the_histogram_of_the_rest_readable(rng):
    # the detection report's histogram of scores where two rows scored 5e5 and 2e7 put the other 298 rows, and the
    # threshold among them, in its first bin: one bar and a line at the axis' edge
    from aekit.app.plot import plot_score_histogram

    scores = np.abs(rng.normal(size=300)) * 3
    scores[:2] = [5e5, 2e7]
    ax = plot_score_histogram(scores, 6.0).axes[0]
    heights = np.array([bar.get_height() for bar in ax.patches])
    lefts = np.array([bar.get_x() for bar in ax.patches])
    assert ax.get_xscale() == "symlog" and "symmetric log scale" in ax.get_xlabel()
    assert heights.sum() == 300 and (heights[lefts < 6.0] > 0).sum() >= 3  # every score kept; the bulk in several bins
    assert heights[-1] == 1  # the largest score in the last bin
    assert plot_score_histogram(scores[2:], 6.0).axes[0].get_xscale() == "linear"


def test_one_far_low_score_leaves_the_histogram_of_the_rest_readable_and_is_counted(rng):
    # one score of -1e6 among 300 in [0, 10] put every other score and the threshold in the last bin
    from aekit.app.plot import plot_score_histogram

    scores = np.abs(rng.normal(size=300)) * 3
    scores[0] = -1e6
    ax = plot_score_histogram(scores, 6.0).axes[0]
    heights = np.array([bar.get_height() for bar in ax.patches])
    lefts = np.array([bar.get_x() for bar in ax.patches])
    assert heights.sum() == 300 and (heights[lefts < 6.0] > 0).sum() >= 5  # every score counted; the bulk in many bins
    assert -1.0 < lefts.min() < 0.0 and heights[0] >= 1  # the far score in the first bin, just below the bulk
    assert "the first bin also counts the 1 score below" in ax.get_xlabel() and "(lowest -1e+06)" in ax.get_xlabel()
    assert ax.get_xscale() == "linear"
    # of 100 scores, the one far score was the bottom (top) 1 % itself: all the others were drawn in one bin
    for far in (-1e9, 1e9):
        ax = plot_score_histogram(np.r_[far, scores[1:100]], 6.0).axes[0]
        heights = np.array([bar.get_height() for bar in ax.patches])
        assert heights.sum() == 100 and (heights > 0).sum() >= 4


@pytest.mark.parametrize("threshold", [np.nan, None, "auto", np.array([1.0, 2.0])], ids=["nan", "none", "text", "array"])
def test_the_score_histogram_refuses_a_threshold_that_is_not_one_finite_number(threshold):
    # a NaN threshold drew no line and a legend "threshold nan: 0.0% beyond"; None, a text or an array stopped with
    # "unsupported format string passed to NoneType.__format__" or "Unknown format code 'g'"
    from aekit.app.plot import plot_score_histogram

    with pytest.raises(ValueError, match=r"threshold must be a finite number \(the score above which a row is flagged\), got"):
        plot_score_histogram(np.arange(10.0), threshold)
    legend = plot_score_histogram(np.arange(10.0), np.float32(6.5)).axes[0].get_legend().get_texts()[0].get_text()
    assert legend == "threshold 6.5: 30.0% beyond"


def test_plot_reconstructions_titles_each_input_with_its_label(rng):
    X = rng.random((4, 16))
    fig = plot_reconstructions(X, X, (4, 4), labels=["cat", "dog", "cat", "eel"], n=3)
    assert [ax.get_title() for ax in fig.axes[:3]] == ["cat", "dog", "cat"] and not fig.axes[3].get_title()
    with pytest.raises(ValueError, match=r"labels must have one entry per row of X \(4\), got 3"):
        plot_reconstructions(X, X, (4, 4), labels=["cat", "dog", "cat"])


def test_many_text_categories_are_named_at_their_codes_or_said_to_be_colours_only(rng):
    # 30 text classes were drawn in 30 colours with neither a legend nor their names: no way to tell which was which
    from aekit.app.plot import plot_latent_comparison

    Z = rng.normal(size=(120, 2))
    thirty = [f"c{i % 30}" for i in range(120)]
    ax = plot_latent(Z, thirty).axes[0]
    assert sorted(t.get_text() for t in ax.texts) == sorted(set(thirty)) and ax.get_legend() is None
    sixty = [f"c{i % 60}" for i in range(120)]
    for ax in (plot_latent(Z, sixty).axes[0], plot_latent_comparison({"AE": Z}, sixty).axes[0]):
        assert not ax.texts and ax.get_title().endswith("\n60 categories, too many to name: told apart by colour only")


def test_plot_latent_rejects_labels_of_wrong_length(rng):
    with pytest.raises(ValueError, match="one entry per row"):
        plot_latent(rng.normal(size=(10, 2)), labels=np.arange(9))


def test_plot_error_comparison_bars_match_errors(tmp_path):
    errors = {"AutoEncoder": 0.0123, "PCA": 0.0456}
    fig = plot_error_comparison(errors, ylabel="MSE", path=tmp_path / "errors.png")
    assert isinstance(fig, Figure)
    assert_png(tmp_path / "errors.png")
    ax = fig.axes[0]
    np.testing.assert_allclose([bar.get_height() for bar in ax.patches], list(errors.values()))
    assert [t.get_text() for t in ax.get_xticklabels()] == list(errors)
    assert ax.get_ylabel() == "MSE"
    assert {t.get_text() for t in ax.texts} >= {"0.0123", "0.0456"}
    with pytest.raises(ValueError):
        plot_error_comparison({})
    # a diverged model's NaN error was a missing bar with an empty label, an infinite one failed in matplotlib
    ax = plot_error_comparison({"AutoEncoder": np.nan, "VAE": np.inf, "PCA": 0.5}).axes[0]
    assert [bar.get_height() for bar in ax.patches] == [0.0, 0.0, 0.5]
    assert [t.get_text() for t in ax.texts] == ["nan: not drawn", "inf: not drawn", "0.5"]


def test_plot_module_leaves_pyplot_and_backend_alone(tmp_path):
    """Drawing and saving every figure never imports pyplot, so no global figures or backend switch."""
    code = f"""
import sys, numpy as np
import aekit.app.plot as p
p.plot_history({{"loss": [1.0, 0.5], "val_loss": [1.0, 0.6], "best_epoch": 1}}, path={str(tmp_path / "a.png")!r})
p.plot_reconstructions(np.zeros((2, 4)), np.ones((2, 4)), image_shape=(2, 2))
p.plot_latent(np.zeros((3, 2)), [0, 1, 1])
p.plot_error_comparison({{"a": 1.0}})
assert "matplotlib.pyplot" not in sys.modules, "aekit.app.plot imported pyplot"
"""
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert_png(tmp_path / "a.png")


# ---- report ----------------------------------------------------------------------------------


def test_write_report_escapes_text_and_links_existing_images(tmp_path):
    plot_error_comparison({"AE": 1.0, "PCA": 2.0}, path=tmp_path / "errors.png")
    sections = [
        Section(
            "Errors & <b>such</b>",
            text="first <i>paragraph</i>\n\nsecond",
            table=[["model", "mse"], ["<AE>", 0.123456789], ["PCA", 2]],
            images=["errors.png"],
        ),
        {"heading": "Config", "table": {"loss": "bce", "note": "<img src=x onerror=alert(1)>"}},
    ]
    path = write_report(tmp_path, "Report <script>alert('x')</script>", sections)
    assert path == tmp_path / "report.html"
    page = path.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>" not in page and "<i>" not in page and "&lt;AE&gt;" in page
    assert "<img src=x" not in page
    assert "0.1235" in page

    parsed = parse_page(path)
    assert "script" not in parsed.tags and "link" not in parsed.tags
    assert assert_images_resolve(path) == ["errors.png"]
    text = "".join(parsed.text)
    assert "Report <script>alert('x')</script>" in text
    assert "Errors & <b>such</b>" in text
    assert parsed.tags.count("p") == 2
    assert parsed.tags.count("table") == 2


def test_write_report_refuses_missing_or_outside_images(tmp_path):
    out = tmp_path / "report"
    with pytest.raises(FileNotFoundError, match="missing.png"):
        write_report(out, "t", [Section("s", images=["missing.png"])])
    (tmp_path / "outside.png").write_bytes(PNG_MAGIC)
    for outside in ("../outside.png", tmp_path / "outside.png"):
        with pytest.raises(ValueError, match="inside the report folder"):
            write_report(out, "t", [Section("s", images=[outside])])
    assert not (out / "report.html").exists()


# ---- command line ----------------------------------------------------------------------------

DEMO_FIGURES = [
    "errors.png",
    "loss.png",
    "reconstructions.png",
    "reconstructions_pca.png",
    "latent.png",
    "latent_grid.png",
    "samples.png",
    "interpolation.png",
]
TABLE_HEADER = ["model", "code size", "MSE per entry", "squared error per sample", "5-NN accuracy", "fit seconds"]


def held_out_pca_mse(seed: int, n_components: int) -> float:
    """The demo's PCA baseline computed independently: held-out MSE on digits/16."""
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split

    data = load_digits()
    X_train, X_test = train_test_split(data.data / 16.0, test_size=0.25, stratify=data.target, random_state=seed)
    pca = PCA(n_components).fit(X_train)
    return float(np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2))


def summary_rows(report: Path) -> list[list[str]]:
    """The report's numbers table, checked for its header and self-consistent cells."""
    header, *rows = ReportPage(report).tables[0]
    assert header == TABLE_HEADER
    for model, _, mse, sse, knn, seconds in rows:
        assert model in ("AutoEncoder", "PCA") and 0 < float(mse) < 0.2 and 0 <= float(knn) <= 1
        assert float(sse) == pytest.approx(64 * float(mse), rel=2e-3) and float(seconds) > 0
    return rows


@pytest.mark.slow
def test_demo_reports_the_autoencoder_beside_pca(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--epochs", "3", "--seed", "1"]) == 0
    stdout = capsys.readouterr().out

    rows = summary_rows(out / "report.html")
    assert [row[:2] for row in rows] == [["AutoEncoder", "2"], ["PCA", "2"], ["AutoEncoder", "8"], ["PCA", "8"]]
    assert float(rows[1][2]) == pytest.approx(held_out_pca_mse(seed=1, n_components=2), rel=1e-3)
    assert float(rows[3][2]) == pytest.approx(held_out_pca_mse(seed=1, n_components=8), rel=1e-3)
    assert [line.split() for line in stdout.splitlines() if line.startswith(("  AutoEncoder", "  PCA"))] == rows
    page = ReportPage(out / "report.html")
    relation = "below" if float(rows[0][2]) < float(rows[1][2]) else "not below"
    assert f"mean squared error per entry, {rows[0][2]}, is {relation} PCA's {rows[1][2]}" in page.text
    assert ("trained for 3 epochs on 1212 of the 1347 training rows of 'digits' (the other 135 rows measured its validation "
            "loss), then measured on 450 held-out rows") in page.text
    assert f"report written to {out / 'report.html'}" in stdout
    assert f"latent-space explorer written to {out / 'explorer.html'}" in stdout and (out / "explorer.html").is_file()

    for name in DEMO_FIGURES:
        assert_png(out / "figures" / name)
    assert [alt for _, alt in page.images] == [
        "Held-out reconstruction error per entry",
        "Training and validation loss",
        "AutoEncoder, 2-d code",
        "PCA, 2 components",
        "AutoEncoder codes beside PCA projections",
        "Decoded code grid",
        "Decoded samples",
        "Interpolations",
    ]
    assert all(src.startswith("data:image/png;base64,") for src, _ in page.images)

    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["model"]["hidden_dims"] == [256, 64] and config["model"]["loss"] == "bce"
    assert (config["data"]["source"], config["data"]["test_fraction"], config["seed"]) == ("digits", 0.25, 1)
    model = AutoEncoder.load(out / "model")
    assert model.code_dim_ == 2 and model.n_epochs_ == 3 and model.batch_size == 64
    assert AutoEncoder.load(out / "compare-8d" / "model").code_dim_ == 8


@pytest.mark.slow
def test_demo_replaces_its_run_and_beats_pca_when_trained_longer(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--epochs", "2", "--latent-dim", "3", "--compare-dim", "0"]) == 0
    assert [row[:2] for row in summary_rows(out / "report.html")] == [["AutoEncoder", "3"], ["PCA", "3"]]
    assert not (out / "compare-8d").exists()

    assert main(["demo", "--out", str(out), "--epochs", "30", "--compare-dim", "0"]) == 0
    capsys.readouterr()
    (ae, _, ae_mse, _, ae_knn, _), (pca, _, pca_mse, _, pca_knn, _) = summary_rows(out / "report.html")
    assert float(ae_mse) < float(pca_mse) and float(ae_knn) > float(pca_knn)
    assert f"{ae_mse}, is below PCA's {pca_mse}" in ReportPage(out / "report.html").text
    assert AutoEncoder.load(out / "model").n_epochs_ == 30
    assert len((out / "metrics.csv").read_text().splitlines()) == 31
    assert len(list(out.glob("events.out.tfevents.*"))) == 1


def test_demo_help_shows_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    assert "examples:" in help_text and "aekit demo --out" in help_text
    for option in ("--out", "--epochs", "--latent-dim", "--compare-dim", "--seed"):
        assert option in help_text
    assert "aekit report runs/demo --compare runs/demo/compare-8d" in help_text and "max_epochs: 150" in help_text


def test_demo_rejects_bad_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--epochs", "0"])
    assert exit_info.value.code == 2
    assert "--epochs" in capsys.readouterr().err


def test_no_command_prints_help_and_version_still_works(capsys):
    assert main([]) == 0
    assert "demo" in capsys.readouterr().out
    from aekit import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == __version__
