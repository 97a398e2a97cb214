"""The latent-space explorer page: what it embeds (plane, points, decoder), and in headless
Chromium that its decoder gives what `inverse_transform` gives, that real clicks, drags and
hovers show the decoded outputs, and that the console stays free of errors. The browser tests
skip where no Chromium is installed."""

from __future__ import annotations

import base64
import json
import re
import subprocess

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from aekit import AutoEncoder, ConvAutoEncoder, VariationalAutoEncoder
from aekit.cli import main
from aekit.app.explore import explorer_payload, plane_codes, write_explorer
from tests.conftest import ReportPage
from tests.harness.chromium import Chromium, find_browser

pytestmark = pytest.mark.usefixtures("one_torch_thread")

VIEWPORT = {"width": 1200, "height": 1000, "deviceScaleFactor": 1, "mobile": False}
N_CHECKS = 20


@pytest.fixture(scope="module")
def digits_data():
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.data[:600] / 16.0).astype(np.float32), data.target[:600]


@pytest.fixture(scope="module")
def wine():
    """Standardised wine measurements, their classes and column names."""
    data = load_wine()
    return StandardScaler().fit_transform(data.data), data.target, list(data.feature_names)


FITTED: dict = {}


def fitted(kind: str, digits_data, wine):
    """A small fitted model of each decoder kind the page runs, with the data it maps (fitted
    once per test session)."""
    if kind not in FITTED:
        FITTED[kind] = _fit(kind, digits_data, wine)
    return FITTED[kind]


def _fit(kind: str, digits_data, wine):
    X, y = digits_data
    if kind == "ae":
        est = AutoEncoder(latent_dim=2, hidden_dims=(32,), loss="bce", batch_size=32, max_epochs=15, random_state=0)
    elif kind == "vae":
        est = VariationalAutoEncoder(latent_dim=5, hidden_dims=(32, 16), activation="gelu", max_epochs=4, random_state=0)
    elif kind == "vae-sample-variance":
        est = VariationalAutoEncoder(
            latent_dim=3, hidden_dims=(24,), activation="elu", likelihood="gaussian", gaussian_variance="sample",
            max_epochs=2, random_state=0,
        )  # fmt: skip
    else:  # tied weights, leaky ReLU, linear output, on a standardised table
        X, y, _ = wine
        est = AutoEncoder(
            latent_dim=3, hidden_dims=(8,), activation="leaky_relu", tied_weights=True, max_epochs=20, random_state=0
        )
    return est.fit(X), X, y


def open_page(browser: Chromium, path) -> str:
    session = browser.open(path.resolve().as_uri())
    browser.send("Emulation.setDeviceMetricsOverride", VIEWPORT, session)
    return session


def random_plane_points(browser: Chromium, session: str, n: int = N_CHECKS) -> np.ndarray:
    u0, u1, v0, v1 = browser.value("aekitExplorer.view", session)
    rng = np.random.default_rng(1)
    return np.column_stack([rng.uniform(u0, u1, n), rng.uniform(v0, v1, n)])


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["ae", "vae", "vae-sample-variance", "tied-table"])
def test_the_browser_decodes_as_inverse_transform(browser, tmp_path, kind, digits_data, wine):
    est, X, y = fitted(kind, digits_data, wine)
    shape = (8, 8) if kind != "tied-table" else None
    page = write_explorer(est, X, y, path=tmp_path / "explorer.html", image_shape=shape)
    session = open_page(browser, page)
    assert browser.value("aekitExplorer.decoderKind", session) == "mlp"
    plane = browser.value("aekitExplorer.plane", session)
    UV = random_plane_points(browser, session)
    got = np.asarray(browser.value(f"{UV.tolist()}.map(p => aekitExplorer.decode(p[0], p[1]))", session))
    expected = est.inverse_transform(plane_codes(plane, UV))
    assert got.shape == expected.shape == (N_CHECKS, X.shape[1])
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    assert browser.errors(session) == []


def test_dump_dom_of_the_decode_fragment_holds_the_decoded_values(browser, tmp_path, digits_data, wine):
    est, X, y = fitted("vae", digits_data, wine)
    page = write_explorer(est, X, y, path=tmp_path / "explorer.html", image_shape=(8, 8))
    plane = explorer_payload(est, X, y, image_shape=(8, 8))["plane"]
    u, v = 0.3, -0.2
    dom = subprocess.run(
        [find_browser(), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", f"{page.resolve().as_uri()}#decode={u},{v}"],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    decoded = json.loads(re.search(r'<pre id="aekit-decode">(.*?)</pre>', dom, re.S).group(1))
    np.testing.assert_allclose(decoded, est.inverse_transform(plane_codes(plane, [[u, v]]))[0], atol=1e-4, rtol=0)


def canvas_values(browser: Chromium, session: str, selector: str, value_range) -> np.ndarray:
    """The grey pixels of a drawn decoded picture, mapped back to the data's values."""
    pixels = browser.value(
        f"(c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).filter((_, i) => i % 4 == 0))"
        f"(document.querySelector('{selector}'))",
        session,
    )
    lo, hi = value_range
    return np.asarray(pixels) / 255 * (hi - lo) + lo


def test_clicks_drags_and_hovers_show_decoded_outputs(browser, tmp_path, digits_data, wine):
    est, X, y = fitted("ae", digits_data, wine)
    page = write_explorer(est, X, y, path=tmp_path / "explorer.html", image_shape=(8, 8))
    session = open_page(browser, page)
    value_range = (float(X.min()), float(X.max()))
    pixel = (value_range[1] - value_range[0]) / 255
    u0, u1, v0, v1 = browser.value("aekitExplorer.view", session)
    a = [u0 + 0.3 * (u1 - u0), v0 + 0.3 * (v1 - v0)]
    b = [u0 + 0.75 * (u1 - u0), v0 + 0.6 * (v1 - v0)]

    shown = []
    for target in (a, b):
        where = browser.value(f"aekitExplorer.clientPoint({target[0]}, {target[1]})", session)
        browser.mouse(session, "mousePressed", where)
        browser.mouse(session, "mouseReleased", where)
        mark = browser.value("aekitExplorer.mark()", session)
        assert np.allclose(mark, target, atol=2 * (u1 - u0) / 540)  # within two pixels of the clicked place
        picture = canvas_values(browser, session, "#aekit-picture", value_range)
        expected = np.clip(est.inverse_transform(np.asarray([mark])), *value_range)[0]
        np.testing.assert_allclose(picture, expected, atol=pixel)
        shown.append(picture)
    assert np.abs(shown[0] - shown[1]).max() > 0.1  # the picture changed between the clicks
    assert browser.value("aekitExplorer.timings.map(t => t.what)", session) == ["click", "click"]

    start, end = (browser.value(f"aekitExplorer.clientPoint({p[0]}, {p[1]})", session) for p in (a, b))
    browser.mouse(session, "mousePressed", start)
    for t in np.linspace(0, 1, 6)[1:]:
        browser.mouse(session, "mouseMoved", np.add(start, t * np.subtract(end, start)), pressed=True)
    browser.mouse(session, "mouseReleased", end)
    path = np.asarray(browser.value("aekitExplorer.strip()", session))
    assert path.shape == (10, 2)
    np.testing.assert_allclose(path[0], a, atol=2 * (u1 - u0) / 540)
    np.testing.assert_allclose(path[-1], b, atol=2 * (u1 - u0) / 540)
    np.testing.assert_allclose(path, np.linspace(path[0], path[-1], 10), atol=1e-9)  # linear by default
    assert browser.value("document.querySelectorAll('#aekit-strip canvas').length", session) == 10
    for i in (0, 5, 9):
        strip = canvas_values(browser, session, f"#aekit-strip canvas:nth-child({i + 1})", value_range)
        np.testing.assert_allclose(strip, np.clip(est.inverse_transform(path[i : i + 1]), *value_range)[0], atol=pixel)

    chosen = (
        "(s => { s.value = 'slerp'; s.dispatchEvent(new Event('change')); return s.value; })"
        "(document.getElementById('aekit-method'))"
    )
    assert browser.value(chosen, session) == "slerp"
    arc = np.asarray(browser.value("aekitExplorer.strip()", session))
    center = np.asarray(browser.value("aekitExplorer.center", session))
    radii = np.linalg.norm(arc - center, axis=1)
    np.testing.assert_allclose(arc[[0, -1]], path[[0, -1]], atol=1e-9)
    np.testing.assert_allclose(radii, np.linspace(radii[0], radii[-1], 10), atol=1e-9)  # slerp: radius moves linearly
    assert np.abs(arc - path).max() > 1e-3

    coords = np.frombuffer(base64.b64decode(explorer_payload(est, X, y, image_shape=(8, 8))["coords"]), "<f4").reshape(-1, 2)
    point = browser.value(f"aekitExplorer.clientPoint({coords[7, 0]}, {coords[7, 1]})", session)
    browser.mouse(session, "mouseMoved", point)
    tip = browser.value(
        "(t => [t.style.display, t.querySelectorAll('canvas').length, t.textContent])(document.getElementById('aekit-tip'))",
        session,
    )
    assert tip[0] == "block" and tip[1] == 1 and tip[2].startswith("point ")
    assert browser.errors(session) == []


def test_a_convolutional_decoder_is_a_stated_grid_of_decoded_outputs(browser, tmp_path, digits_data):
    X, y = digits_data
    est = ConvAutoEncoder(latent_dim=3, channels=(4,), max_epochs=1, random_state=0).fit(X.reshape(-1, 8, 8))
    page = write_explorer(est, X.reshape(-1, 8, 8), y, path=tmp_path / "explorer.html", grid_size=12)
    session = open_page(browser, page)
    assert browser.value("[aekitExplorer.decoderKind, aekitExplorer.gridSize]", session) == ["grid", 12]
    about = browser.value("document.getElementById('aekit-about').textContent", session)
    assert "decoded beforehand on a 12 \u00d7 12 grid" in about
    plane = browser.value("aekitExplorer.plane", session)
    u0, u1, v0, v1 = browser.value("aekitExplorer.view", session)
    UV = random_plane_points(browser, session)
    cell = np.floor((UV - [u0, v0]) / [(u1 - u0) / 12, (v1 - v0) / 12])
    centres = [u0, v0] + (cell + 0.5) * [(u1 - u0) / 12, (v1 - v0) / 12]
    got = np.asarray(browser.value(f"{UV.tolist()}.map(p => aekitExplorer.decode(p[0], p[1]))", session))
    np.testing.assert_allclose(got, est.inverse_transform(plane_codes(plane, centres)), atol=1e-4, rtol=0)
    assert browser.errors(session) == []


def test_a_table_shows_labelled_bars_and_hovered_values(browser, tmp_path, digits_data, wine):
    est, X, y = fitted("tied-table", digits_data, wine)
    names = wine[2]
    raw = load_wine().data
    units = (raw.mean(axis=0), raw.std(axis=0))
    page = write_explorer(
        est, X, y, path=tmp_path / "explorer.html", feature_names=names, class_names=["a", "b", "c"], display_scaling=units
    )
    session = open_page(browser, page)
    legend = "Array.from(document.querySelectorAll('#aekit-legend span:not(.swatch)')).map(s => s.textContent)"
    assert browser.value(legend, session) == ["a", "b", "c"]
    u0, u1, v0, v1 = browser.value("aekitExplorer.view", session)
    where = browser.value(f"aekitExplorer.clientPoint({(u0 + u1) / 2}, {(v0 + v1) / 2})", session)
    browser.mouse(session, "mousePressed", where)
    browser.mouse(session, "mouseReleased", where)
    assert browser.value("document.getElementById('aekit-picture').height", session) >= 14 * len(names)
    coords = np.frombuffer(base64.b64decode(explorer_payload(est, X, y)["coords"]), "<f4").reshape(-1, 2)
    browser.mouse(session, "mouseMoved", browser.value(f"aekitExplorer.clientPoint({coords[3, 0]}, {coords[3, 1]})", session))
    cells = "Array.from(document.querySelectorAll('#aekit-tip tr')).map(r => [r.cells[0].textContent, r.cells[1].textContent])"
    rows = browser.value(cells, session)
    assert [r[0] for r in rows] == names
    hovered = int(browser.value("document.querySelector('#aekit-tip div').textContent", session).split()[1].rstrip(":"))
    np.testing.assert_allclose([float(r[1]) for r in rows], raw[hovered], rtol=1e-3)  # in the table's own units
    assert browser.errors(session) == []


def test_longer_codes_are_shown_on_their_principal_plane(digits_data, wine):
    est, X, y = fitted("vae", digits_data, wine)
    payload = explorer_payload(est, X, y, image_shape=(8, 8))
    plane = payload["plane"]
    axes, mean = np.asarray(plane["axes"]), np.asarray(plane["mean"])
    Z = est.transform(X).astype(np.float64)
    np.testing.assert_allclose(axes @ axes.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(mean, Z.mean(axis=0), atol=1e-9)
    top = np.linalg.svd(Z - mean, full_matrices=False)[2][:2]
    np.testing.assert_allclose(np.abs(axes @ top.T), np.eye(2), atol=1e-6)  # the two leading components
    assert plane["kind"] == "pca" and plane["explained"][0] >= plane["explained"][1] > 0
    coords = np.frombuffer(base64.b64decode(payload["coords"]), "<f4").reshape(-1, 2)
    np.testing.assert_allclose(coords, (Z - mean) @ axes.T, atol=1e-5)
    two = explorer_payload(fitted("ae", digits_data, wine)[0], X, y, image_shape=(8, 8))["plane"]
    assert two["kind"] == "code" and two["axes"] == [[1.0, 0.0], [0.0, 1.0]] and two["mean"] == [0.0, 0.0]


def test_points_are_capped_and_labels_follow_them(digits_data, wine):
    est, X, y = fitted("ae", digits_data, wine)
    payload = explorer_payload(est, X, y, image_shape=(8, 8), max_points=100)
    assert (payload["n_points"], payload["n_total"]) == (100, len(X))
    assert len(payload["labels"]["index"]) == 100 and payload["labels"]["names"] == [str(c) for c in range(10)]
    continuous = explorer_payload(est, X, np.linspace(0, 1, len(X)), image_shape=(8, 8))["labels"]
    assert continuous["kind"] == "continuous" and len(continuous["values"]) == len(X)


@pytest.mark.parametrize("kind", ["continuous", "classes"])
def test_rows_without_a_label_keep_the_page_readable(digits_data, wine, tmp_path, kind):
    # a continuous label with a missing value (NaN), e.g. the held-out rows of a run whose target has gaps, was
    # written into the page as NaN, which JSON.parse refuses: the page stayed blank; classes showed a class 'nan'
    est, X, _ = fitted("ae", digits_data, wine)
    y = np.linspace(0, 1, len(X)) if kind == "continuous" else np.arange(len(X)) % 3.0
    y[::7] = np.nan
    page = write_explorer(est, X, y, image_shape=(8, 8), path=tmp_path / "explorer.html").read_text()

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    labels = json.loads(re.search(r'id="aekit-data">(.*?)</script>', page, re.S).group(1), parse_constant=refuse)["labels"]
    if kind == "continuous":
        assert [v is None for v in labels["values"]] == list(np.isnan(y))
        np.testing.assert_allclose([v for v in labels["values"] if v is not None], y[~np.isnan(y)], atol=1e-6)
    else:
        assert labels["names"] == ["0.0", "1.0", "2.0", "no label"]
        assert [labels["names"][i] == "no label" for i in labels["index"]] == list(np.isnan(y))


def test_a_word_count_model_decodes_bars_on_the_scale_of_its_proportions():
    # a multinomial model's page drew its decoded word proportions (at most ~0.3) as bars on the scale of the
    # documents' counts (up to ~10): every decoded bar was a sliver
    rng = np.random.default_rng(0)
    counts = rng.poisson(rng.gamma(1.0, 2.0, size=(80, 12))).astype(np.float64)
    counts[counts.sum(axis=1) == 0, 0] = 1
    est = AutoEncoder(latent_dim=2, hidden_dims=(8,), loss="multinomial", max_epochs=2, random_state=0).fit(counts)
    payload = explorer_payload(est, counts)
    decoded = est.inverse_transform(est.transform(counts))
    np.testing.assert_allclose(payload["output"]["range"], [decoded.min(), decoded.max()], rtol=1e-5)
    assert payload["output"]["range"][1] <= 1 < counts.max()
    mse = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(counts)
    assert explorer_payload(mse, counts)["output"]["range"] == [counts.min(), counts.max()]


def test_bad_arguments_are_refused_by_name(digits_data, wine):
    est, X, y = fitted("ae", digits_data, wine)
    with pytest.raises(ValueError, match=r"image_shape \(7, 7\) holds 49 values, but X rows have 64"):
        explorer_payload(est, X, image_shape=(7, 7))
    with pytest.raises(ValueError, match="y has 3 labels but X has 600 rows"):
        explorer_payload(est, X, y[:3])
    with pytest.raises(ValueError, match="max_points must be a positive integer"):
        explorer_payload(est, X, max_points=0)
    with pytest.raises(ValueError, match="feature_names has 2 names but X has 64 columns"):
        explorer_payload(est, X, feature_names=["a", "b"])
    with pytest.raises(TypeError, match="must have transform and inverse_transform"):
        explorer_payload(object(), X)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        explorer_payload(AutoEncoder(), X)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("explore") / "run"
    args = ["train", "--data", "digits", "--epochs", "2", "--out", str(run), "--quiet", "--set", "model.hidden_dims=[16]"]
    assert main(args) == 0
    return run


def test_aekit_explore_writes_the_page_of_a_run(digits_run, tmp_path, capsys):
    run = digits_run
    assert main(["explore", str(run)]) == 0
    assert f"wrote {run / 'explorer.html'}" in capsys.readouterr().out
    page = (run / "explorer.html").read_text()
    data = json.loads(re.search(r'<script type="application/json" id="aekit-data">(.*?)</script>', page, re.S).group(1))
    assert data["n_points"] == 360 and data["points"]["shape"] == [1, 8, 8] and data["decoder"]["kind"] == "mlp"
    assert "http://" not in page and "https://" not in page and "src=\"" not in page  # nothing fetched

    out = tmp_path / "pages" / "all.html"
    assert main(["explore", str(run), "--data", "digits", "--out", str(out), "--max-points", "300"]) == 0
    assert "300 of 1797 rows" in capsys.readouterr().out and out.is_file()
    assert main(["explore", str(run / "model")]) == 1
    assert "is a model folder, not a run" in capsys.readouterr().err
    folder = tmp_path / "folder.html"  # a saved model folder: the rows' source gives their image shape
    assert main(["explore", str(run / "model"), "--data", "digits", "--out", str(folder), "--max-points", "50"]) == 0
    data = json.loads(re.search(r'id="aekit-data">(.*?)</script>', folder.read_text(), re.S).group(1))
    assert data["points"]["shape"] == [1, 8, 8]
    kept = [int(i) for i in data["ids"]]  # the rows' ids name the points: here their row numbers in digits
    assert len(set(kept)) == 50 and kept == sorted(kept) and 0 <= kept[0] and kept[-1] < 1797
    assert main(["explore", str(tmp_path / "nowhere")]) == 1
    assert "no run folder" in capsys.readouterr().err


def test_aekit_explore_of_a_table_run_shows_its_units(tmp_path, capsys):
    data = load_wine(as_frame=True).frame
    data.to_csv(tmp_path / "wine.csv", index=False)
    run = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "wine.csv"), "--set", "data.target=target", "--epochs", "2", "--out", str(run)]
    args.append("--quiet")
    assert main(args) == 0
    assert main(["explore", str(run), "--data", str(tmp_path / "wine.csv")]) == 0
    page = (run / "explorer.html").read_text()
    data_json = json.loads(re.search(r'id="aekit-data">(.*?)</script>', page, re.S).group(1))
    assert data_json["points"]["kind"] == "values" and data_json["points"]["names"][:2] == ["alcohol", "malic_acid"]
    assert data_json["labels"]["names"] == ["0", "1", "2"] and data_json["n_points"] == len(data)
    offset, scale = np.asarray(data_json["display"]["offset"]), np.asarray(data_json["display"]["scale"])
    shown = np.frombuffer(base64.b64decode(data_json["points"]["values"]), "<f4").reshape(len(data), -1) * scale + offset
    np.testing.assert_allclose(shown, data.drop(columns="target").to_numpy(), rtol=1e-4)


@pytest.mark.slow
def test_the_run_report_writes_and_links_the_explorer(digits_run):
    run = digits_run
    (run / "explorer.html").unlink(missing_ok=True)
    assert main(["report", str(run)]) == 0
    assert (run / "explorer.html").is_file()
    assert 'href="explorer.html"' in (run / "report.html").read_text()
    assert "Explore the latent space" in ReportPage(run / "report.html").text


def test_the_readme_example_writes_a_page(tmp_path, monkeypatch):
    from tests.test_readme import readme_block

    rng = np.random.default_rng(0)
    X = rng.random((120, 784)).astype(np.float32)
    ae = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(X)
    monkeypatch.chdir(tmp_path)
    namespace = {"ae": ae, "X": X, "y": rng.integers(0, 3, 120)}
    exec(readme_block("write_explorer("), namespace)  # noqa: S102 - the project's own README
    data = json.loads(re.search(r'id="aekit-data">(.*?)</script>', (tmp_path / "explorer.html").read_text(), re.S).group(1))
    assert data["points"]["shape"] == [1, 28, 28] and data["labels"]["names"] == ["0", "1", "2"]
