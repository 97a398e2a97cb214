"""One image layout, channels-first, from an image folder through ConvAutoEncoder to a plot;
channels-last arrays refused with the fix, or moved through the documented route."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aekit import ConvAutoEncoder, VariationalAutoEncoder
from aekit.data.datasets import load_image_folder, load_npy
from aekit.data.images import channels_first, looks_channels_last
from aekit.app.plot import plot_image_grid, plot_image_rows, plot_reconstructions

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SIZE = 16
BLUE = 0.2


def write_rgb_folder(folder: Path, n: int, seed: int = 0) -> np.ndarray:
    """PNGs whose channels differ: red a left-to-right gradient, green top-to-bottom, blue
    constant, each with a dark square (red and green off) at a random place. Returns the
    written pixels channels-last (n, H, W, 3) as uint8."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.0, 1.0, SIZE)
    pixels = np.empty((n, SIZE, SIZE, 3))
    pixels[..., 0] = ramp[None, None, :]
    pixels[..., 1] = ramp[None, :, None]
    pixels[..., 2] = BLUE
    for i in range(n):
        r, c = rng.integers(0, SIZE - 4, 2)
        pixels[i, r : r + 4, c : c + 4, :2] = 0.0
    pixels = np.round(pixels * 255).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(pixels):
        Image.fromarray(image, "RGB").save(folder / f"{i:03d}.png")
    return pixels


def test_rows_reshaped_by_image_shape_are_the_images_channels_first(tmp_path):
    write_rgb_folder(tmp_path, 3)
    data = load_image_folder(tmp_path, mode="RGB")
    assert data.image_shape == (3, SIZE, SIZE) and data.X.shape == (3, 3 * SIZE * SIZE)
    for row, file in zip(data.X, sorted(tmp_path.glob("*.png"))):
        expected = np.asarray(Image.open(file)).transpose(2, 0, 1) / 255.0
        np.testing.assert_allclose(row.reshape(data.image_shape), expected, atol=1e-6)
    first = data.X[0].reshape(data.image_shape)
    assert first[0, 0, -1] == pytest.approx(1.0) and first[1, 0, -1] == pytest.approx(0.0)
    grey = load_image_folder(tmp_path, mode="L")
    assert grey.image_shape == (SIZE, SIZE) and grey.X.shape == (3, SIZE * SIZE)


@pytest.fixture(scope="module")
def rgb_fit(tmp_path_factory):
    """An RGB folder loaded as a Dataset and a ConvAutoEncoder fitted on its images."""
    folder = tmp_path_factory.mktemp("rgb")
    write_rgb_folder(folder, 96)
    data = load_image_folder(folder, mode="RGB")
    images = data.X.reshape(-1, *data.image_shape)
    model = ConvAutoEncoder(
        latent_dim=8, channels=(8, 16), max_epochs=60, learning_rate=5e-3, batch_size=16, random_state=0
    ).fit(images)
    return data, images, model


def test_an_rgb_folder_reconstructs_in_its_own_colours(rgb_fit):
    data, images, model = rgb_fit
    assert model.input_shape_ == (3, SIZE, SIZE)
    recon = model.reconstruct(images)
    assert recon.shape == images.shape
    ramp = np.linspace(0.0, 1.0, SIZE)
    red_across = recon[:, 0].mean(axis=(0, 1))
    green_down = recon[:, 1].mean(axis=(0, 2))
    assert np.corrcoef(red_across, ramp)[0, 1] > 0.95 and red_across[-1] - red_across[0] > 0.5
    assert np.corrcoef(green_down, ramp)[0, 1] > 0.95 and green_down[-1] - green_down[0] > 0.5
    assert abs(np.corrcoef(recon[:, 0].mean(axis=(0, 2)), ramp)[0, 1]) < 0.5
    assert recon[:, 2].mean() == pytest.approx(BLUE, abs=0.05) and recon[:, 2].std() < 0.05
    per_channel = ((recon - images) ** 2).mean(axis=(0, 2, 3))
    swapped = ((recon[:, [1, 0, 2]] - images) ** 2).mean(axis=(0, 2, 3))
    assert (per_channel < 0.01).all() and (per_channel[:2] < swapped[:2] / 4).all()
    rows = model.reconstruct(data.X)
    assert rows.shape == data.X.shape
    np.testing.assert_allclose(rows.reshape(recon.shape), recon, atol=1e-5)


def test_plots_draw_the_red_channel_as_red(rgb_fit):
    data, images, model = rgb_fit
    recon = model.reconstruct(images[:2])
    fig = plot_image_rows({"input": images[:2], "reconstruction": recon}, n=2, value_range=(0.0, 1.0))
    drawn = fig.axes[0].images[0].get_array()  # (rows, cols, 3): the RGB mosaic imshow shows
    assert drawn.ndim == 3 and drawn.shape[2] == 3
    cell = np.asarray(drawn[:SIZE, :SIZE])
    np.testing.assert_allclose(cell, np.moveaxis(images[0], 0, -1), atol=1e-6)
    top_row = cell[0]
    assert top_row[-1, 0] > 0.95 and top_row[0, 0] < 0.05
    assert np.all(np.diff(cell[:, 0, 1]) > 0) and np.allclose(cell[..., 2], BLUE, atol=0.01)
    fig.canvas.draw()
    rendered = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    reddish = (rendered[..., 0] > 200) & (rendered[..., 1] < 60) & (rendered[..., 2] < 90)
    greenish = (rendered[..., 1] > 200) & (rendered[..., 0] < 60) & (rendered[..., 2] < 90)
    assert reddish.sum() > 20 and greenish.sum() > 20
    recon_cell = plot_reconstructions(images[:3], model.reconstruct(images[:3]), n=3).axes[3].images[0].get_array()
    assert recon_cell.shape == (SIZE, SIZE, 3) and recon_cell[SIZE // 2, -1, 0] > 0.8
    grid = plot_image_grid(data.X[None, :2], data.image_shape, value_range=(0.0, 1.0)).axes[0].images[0].get_array()
    np.testing.assert_allclose(np.asarray(grid[:SIZE, :SIZE]), np.moveaxis(images[0], 0, -1), atol=1e-6)


def test_channels_last_images_are_refused_with_the_fix(rgb_fit):
    data, images, model = rgb_fit
    last = np.ascontiguousarray(np.moveaxis(images, 1, -1))  # (n, H, W, 3), as PIL gives them
    fresh = ConvAutoEncoder(latent_dim=4, channels=(4,), max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match=r"X has shape \(96, 16, 16, 3\), which looks channels-last") as err:
        fresh.fit(last)
    assert "np.moveaxis(X, -1, 1)" in str(err.value) and "(96, 3, 16, 16)" in str(err.value)
    assert "pass input_shape=(16, 16, 3)" in str(err.value)
    for method in (model.transform, model.reconstruct, model.score_samples):
        with pytest.raises(ValueError, match="looks channels-last.*channels_first"):
            method(last[:4])
    with pytest.raises(ValueError, match="looks channels-last"):
        ConvAutoEncoder(latent_dim=4, channels=(4,), input_shape=(3, SIZE, SIZE), max_epochs=1).fit(last)
    np.testing.assert_array_equal(channels_first(last), images)
    assert model.transform(channels_first(last[:4])).shape == (4, 8)
    with pytest.raises(ValueError, match="looks channels-last"):
        plot_image_rows({"input": last[:2]})
    with pytest.raises(ValueError, match=r"image_shape \(16, 16, 3\) looks channels-last.*image_shape=\(3, 16, 16\)"):
        plot_reconstructions(data.X[:2], data.X[:2], image_shape=(SIZE, SIZE, 3))


def test_channels_last_targets_are_refused():
    rng = np.random.default_rng(0)
    gray, colour = rng.random((8, 1, 12, 12)), rng.random((8, 3, 12, 12))
    model = ConvAutoEncoder(latent_dim=4, channels=(4,), max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match=r"Y has shape \(8, 12, 12, 3\), which looks channels-last"):
        model.fit(gray, np.moveaxis(colour, 1, -1))
    assert model.fit(gray, colour).reconstruct(gray).shape == (8, 3, 12, 12)


def test_declared_input_shape_keeps_unusual_channel_counts():
    X = np.random.default_rng(0).random((6, 8, 8, 3))
    model = ConvAutoEncoder(latent_dim=4, channels=(4,), input_shape=(8, 8, 3), max_epochs=1, random_state=0).fit(X)
    assert model.input_shape_ == (8, 8, 3) and model.reconstruct(X).shape == X.shape
    assert looks_channels_last((8, 8, 3)) and not looks_channels_last((3, 8, 8)) and not looks_channels_last((3, 5, 3))


def test_a_channels_last_input_shape_for_flat_rows_is_warned_about_naming_the_channels_first_one():
    # input_shape=(8, 8, 3), as Keras spells an RGB image, silently read each row as 8 channels of 8x3 pixels
    rows = np.random.default_rng(0).random((6, 192))
    with pytest.warns(UserWarning, match=r"input_shape=\(8, 8, 3\) reads each row as 8 channels of 8x3 pixels.*pass "
                                         r"input_shape=\(3, 8, 8\) and the rows channels-first"):
        VariationalAutoEncoder(backbone="conv", latent_dim=2, channels=(4,), input_shape=(8, 8, 3), max_epochs=1).fit(rows)


def test_grey_and_alpha_images_stacked_channels_last_are_refused_not_read_as_many_channels(tmp_path):
    """PIL's 'LA' images stacked (n, H, W, 2) trained as H-channel images 2 pixels wide; they are
    now refused with the fix, as RGB and RGBA stacks are, and train as 2 channels once moved."""
    from aekit import VariationalAutoEncoder

    stack = np.stack([np.asarray(Image.new("LA", (7, 9), (30 * i, 255))) for i in range(6)])  # (6, 9, 7, 2)
    fix = r"X has shape \(6, 9, 7, 2\), which looks channels-last.*giving \(6, 2, 9, 7\)"
    for model in (ConvAutoEncoder(latent_dim=2, channels=(4,), max_epochs=1, random_state=0),
                  VariationalAutoEncoder(backbone="conv", latent_dim=2, channels=(4,), max_epochs=1, random_state=0)):
        with pytest.raises(ValueError, match=fix):
            model.fit(stack / 255)
        assert model.fit(channels_first(stack) / 255).input_shape_ == (2, 9, 7)
    np.save(tmp_path / "la.npy", stack)
    with pytest.raises(ValueError, match=r"look channels-last.*channels_last=True.*\(6, 2, 9, 7\)"):
        load_npy(tmp_path / "la.npy")
    assert load_npy(tmp_path / "la.npy", channels_last=True).image_shape == (2, 9, 7)


def test_npy_images_are_channels_first_and_channels_last_needs_saying_so(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (4, 5, 6, 3), dtype=np.uint8)  # (n, H, W, C)
    np.save(tmp_path / "last.npy", images)
    with pytest.raises(ValueError, match=r"last\.npy.*look channels-last.*channels_last=True.*\(4, 3, 5, 6\)"):
        load_npy(tmp_path / "last.npy")
    data = load_npy(tmp_path / "last.npy", channels_last=True)
    assert data.image_shape == (3, 5, 6)
    np.testing.assert_allclose(data.X.reshape(-1, *data.image_shape), images.transpose(0, 3, 1, 2) / 255.0)
    kept = load_npy(tmp_path / "last.npy", channels_last=False)
    assert kept.image_shape == (5, 6, 3)
    np.save(tmp_path / "first.npy", images.transpose(0, 3, 1, 2))
    first = load_npy(tmp_path / "first.npy")
    assert first.image_shape == (3, 5, 6)
    np.testing.assert_allclose(first.X, data.X)
    np.save(tmp_path / "grey.npy", images[..., 0])
    assert load_npy(tmp_path / "grey.npy").image_shape == (5, 6)
    with pytest.raises(ValueError, match="channels_last=True reads"):
        load_npy(tmp_path / "grey.npy", channels_last=True)


def test_image_metrics_refuse_channels_last_batches():
    from aekit.analysis.metrics import psnr, ssim

    rng = np.random.default_rng(0)
    a, b = rng.random((2, 3, 12, 12)), rng.random((2, 3, 12, 12))
    for metric in (ssim, psnr):
        assert metric(a, b).shape == (2,)
        with pytest.raises(ValueError, match=r"images_true has shape \(2, 12, 12, 3\), which looks channels-last"):
            metric(np.moveaxis(a, 1, -1), np.moveaxis(b, 1, -1))


def _near(pixels: np.ndarray, colour: tuple[int, int, int], tolerance: int = 40) -> int:
    return int((np.abs(pixels[..., :3].astype(int) - colour) <= tolerance).all(axis=-1).sum())


@pytest.mark.slow
def test_the_command_line_trains_and_reports_an_rgb_folder_channels_first(tmp_path, capsys):
    from aekit.cli import main

    write_rgb_folder(tmp_path / "pics", 40)
    run = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "pics"), "--model", "conv", "--epochs", "2", "--out", str(run), "--quiet"]
    options = ["--set", "data.image_mode=RGB", "--set", "model.input_shape=[3,16,16]", "--set", "model.channels=[4]"]
    assert main([*args, *options]) == 0
    assert json.loads((run / "data.json").read_text())["image_shape"] == [3, SIZE, SIZE]
    assert main(["report", str(run)]) == 0
    figure = np.asarray(Image.open(run / "figures" / "reconstructions.png").convert("RGB"))
    assert _near(figure, (255, 0, 51)) > 20 and _near(figure, (0, 255, 51)) > 20  # red top right, green bottom left


def test_the_command_line_reads_channels_last_npy_only_when_told(tmp_path, capsys):
    from aekit.cli import main

    images = np.random.default_rng(0).random((30, 6, 6, 3)).astype(np.float32)
    np.save(tmp_path / "last.npy", images)
    args = ["train", "--data", str(tmp_path / "last.npy"), "--epochs", "1", "--quiet", "--set", "model.hidden_dims=[8]"]
    assert main([*args, "--out", str(tmp_path / "refused")]) != 0
    assert "channels_last=True" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "run"), "--set", "data.channels_last=true"]) == 0
    assert json.loads((tmp_path / "run" / "data.json").read_text())["image_shape"] == [3, 6, 6]


@pytest.mark.parametrize("layout", [(1, 6, 5), (6, 5), (3, 6, 5)], ids=["one-channel", "grey", "colour"])
def test_a_plain_autoencoder_reconstructs_images_in_their_layout_as_the_vae_does(layout):
    """AutoEncoder took images as flat rows and answered reconstruct with rows (n, C*H*W) where
    VariationalAutoEncoder (either backbone) and ConvAutoEncoder answered with images; all
    now answer in X's layout, the same values."""
    from aekit import AutoEncoder, VariationalAutoEncoder

    X = np.random.default_rng(0).random((10, *layout)).astype(np.float32)
    for model in (AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0),
                  VariationalAutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0)):
        images = model.fit(X).reconstruct(X)
        assert images.shape == X.shape, type(model).__name__
        np.testing.assert_array_equal(images.reshape(10, -1), model.reconstruct(X.reshape(10, -1)))


@pytest.mark.parametrize("shape, aspect", [((8, 24), (0.2, 0.5)), ((24, 8), (1.3, 2.5)), ((8, 8), (0.7, 1.0))])
def test_an_image_grid_of_wide_or_tall_images_is_drawn_at_their_aspect(tmp_path, shape, aspect):
    """The grid's figure was sized for square images, so a latent grid of wide images (the
    report's, 15 x 15) filled half its height and tall ones a third of its width, the rest blank;
    its height over width now follows the images'."""
    grid = np.random.default_rng(0).random((5, 5, shape[0] * shape[1]))
    plot_image_grid(grid, shape, title="grid", path=tmp_path / "grid.png")
    with Image.open(tmp_path / "grid.png") as png:
        width, height = png.size
    assert aspect[0] < height / width < aspect[1]


def test_channels_first_of_a_grey_batch_says_it_is_read_as_it_is_rather_than_asking_for_a_batch_axis():
    """channels_first of a grey stack (n, H, W), as PIL's 'L' images stack, answered 'a single
    image (height, width, channels) is images[None]', which turns 5 grey images into one image
    of W channels; it now says a grey batch is read as it is. A single channels-last image still
    gets the images[None] hint."""
    grey = np.random.default_rng(0).random((5, 6, 8))
    with pytest.raises(ValueError, match=r"\(5, 6, 8\): a batch of 5 grey images.*reads as they are") as refused:
        channels_first(grey)
    assert "images[None]" not in str(refused.value)
    with pytest.raises(ValueError, match=r"\(6, 8, 3\); a single image .* is images\[None\]"):
        channels_first(np.moveaxis(np.stack([grey[0]] * 3), 0, -1))


def test_image_rows_refuse_an_image_shape_that_does_not_hold_the_flat_rows():
    # flat rows of 24 values with image_shape (5, 5) stopped with numpy's "cannot reshape array of size 72 into shape
    # (3,5,5)", naming neither the argument nor the row
    rows = np.zeros((3, 24))
    with pytest.raises(ValueError, match=r"image_shape \(5, 5\) does not hold the 24 values of a row of rows\['clean'\]"):
        plot_image_rows({"clean": rows}, image_shape=(5, 5))
    assert plot_image_rows({"clean": rows}, image_shape=(4, 6)).axes[0].images[0].get_array().shape == (4, 3 * 6 + 2)  # 3 images 6 wide, 1 pixel apart
