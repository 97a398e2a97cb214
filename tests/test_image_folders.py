"""Image folders end to end on the command line (issue 34, item 1): colour kept when the files
are colour (grey only when every file is grey, or when asked with --image-mode), the reader's
image shape handed to every conv estimator at any aspect ratio, no 1 x n strip for flat rows,
and the same model from `aekit train` as from Python on the reader's arrays."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aekit import ContextEncoder, ConvAutoEncoder, VariationalAutoEncoder
from aekit.app.runs import load_estimator
from aekit.cli import main
from aekit.data.datasets import load_image_folder
from aekit.data.readers import load, reader_for

pytestmark = pytest.mark.usefixtures("one_torch_thread")

COLOURS = [(200, 30, 30), (30, 180, 40), (40, 60, 220), (230, 200, 20)]
TINY = ["--epochs", "2", "--latent-dim", "3", "--batch-size", "16", "--set", "model.channels=[4]", "--quiet"]


def write_folder(folder: Path, n: int = 40, size: tuple[int, int] = (12, 12), grey: bool = False, seed: int = 0) -> None:
    """`n` PNGs of `size` (height, width) in labelled subfolders 'a' and 'b': a square of one of a
    few colours (grey levels when `grey`, saved in mode 'L') on a dark background."""
    rng = np.random.default_rng(seed)
    height, width = size
    for i in range(n):
        image = np.full((height, width, 3), 20, dtype=np.uint8)
        r, c = rng.integers(0, height - 3), rng.integers(0, width - 3)
        image[r : r + 4, c : c + 4] = COLOURS[i % len(COLOURS)]
        path = folder / "ab"[i % 2] / f"{i:03d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).convert("L" if grey else "RGB").save(path)


def train(tmp_path: Path, folder: Path, *extra: str, model: str = "conv", name: str = "run") -> Path:
    run = tmp_path / name
    mlp = model == "vae" and "model.backbone=conv" not in extra
    tiny = [{"model.channels=[4]": "model.hidden_dims=[16]"}.get(o, o) for o in TINY] if mlp else TINY
    assert main(["train", "--data", str(folder), "--model", model, "--out", str(run), *tiny, *extra]) == 0
    return run


# ---- reading: colour kept, grey only when every file is grey ------------------------------------


def test_a_folder_is_read_in_colour_when_any_file_has_colour_and_grey_when_all_are_grey(tmp_path):
    write_folder(tmp_path / "colour", n=4)
    write_folder(tmp_path / "grey", n=4, grey=True)
    colour, grey = load_image_folder(tmp_path / "colour"), load_image_folder(tmp_path / "grey")
    assert colour.image_shape == (3, 12, 12) and colour.X.shape == (4, 3 * 12 * 12)
    assert grey.image_shape == (12, 12) and grey.X.shape == (4, 12 * 12)
    np.testing.assert_array_equal(colour.X, load_image_folder(tmp_path / "colour", mode="RGB").X)
    np.testing.assert_array_equal(grey.X, load_image_folder(tmp_path / "grey", mode="L").X)
    Image.new("RGB", (12, 12), (90, 90, 90)).save(tmp_path / "grey" / "a" / "stored_rgb.png")  # grey pixels, RGB file
    assert load_image_folder(tmp_path / "grey").image_shape == (12, 12)
    Image.new("RGB", (12, 12), (250, 0, 0)).save(tmp_path / "grey" / "a" / "red.png")  # one colour file
    mixed = load_image_folder(tmp_path / "grey")
    assert mixed.image_shape == (3, 12, 12)
    np.testing.assert_array_equal(mixed.X, load_image_folder(tmp_path / "grey", mode="RGB").X)


def test_a_palette_file_with_colour_makes_the_folder_colour(tmp_path):
    Image.new("L", (5, 4), 30).save(tmp_path / "grey.png")
    Image.new("RGB", (5, 4), (0, 0, 200)).convert("P").save(tmp_path / "blue.png")
    data = load_image_folder(tmp_path)
    assert data.image_shape == (3, 4, 5)
    blue = data.X.reshape(-1, 3, 4, 5)[data.ids.index("blue.png")]
    assert blue[2].min() > 0.7 and blue[0].max() == 0  # the palette's blue (web palette: 204)


def test_transparent_images_are_read_with_a_warning_naming_them(tmp_path):
    """Icons with a transparent background read as the colour stored under the transparency
    (black here), which no viewer shows: the user is now told, naming a file; opaque images
    with an alpha channel, and files without one, stay quiet."""
    icon = np.zeros((8, 8, 4), dtype=np.uint8)
    icon[2:6, 2:6] = (250, 200, 0, 255)  # an opaque yellow square on a transparent black background
    Image.fromarray(icon, "RGBA").save(tmp_path / "icon.png")
    Image.new("RGBA", (8, 8), (0, 0, 200, 255)).save(tmp_path / "opaque.png")
    with pytest.warns(UserWarning, match=r"1 of 2 images .* transparent pixels \(e\.g\. 'icon\.png'\).*alpha_composite"):
        data = load_image_folder(tmp_path)
    pixels = data.X.reshape(-1, 3, 8, 8)[data.ids.index("icon.png")]
    assert pixels[:, 0, 0].max() == 0 and pixels[0, 3, 3] > 0.9  # colour channels as stored
    (tmp_path / "icon.png").unlink()
    Image.new("P", (8, 8), 0).save(tmp_path / "palette.png")
    quiet = load_image_folder(tmp_path)  # the opaque RGBA and a palette file without a transparent colour
    assert quiet.X.shape == (2, 3 * 8 * 8)
    write_folder(tmp_path / "folder", n=4, size=(8, 8))
    Image.fromarray(icon, "RGBA").save(tmp_path / "folder" / "a" / "icon.png")
    with pytest.warns(UserWarning, match=r"1 of 5 images .*'a/icon\.png'"):  # aekit train prints it as 'aekit train: warning: ...'
        assert main(["train", "--data", str(tmp_path / "folder"), "--model", "conv", "--out", str(tmp_path / "run"), *TINY]) == 0


def test_opaque_files_that_declare_a_transparent_colour_are_read_without_a_warning(tmp_path):
    """A palette PNG whose transparency table is all opaque (as PNG optimisers write it), a GIF
    with a transparent index no pixel uses and an RGB PNG with an unused colour key were said to
    'have transparent pixels', with Pillow's 'Palette images with Transparency expressed in
    bytes' warning besides; they are opaque and now read quietly, in their colours, while a
    palette entry that is really transparent is still named."""
    red = Image.new("RGB", (8, 6), (200, 10, 10))
    red.convert("P").save(tmp_path / "table.png", transparency=bytes([255] * 256))
    red.convert("P").save(tmp_path / "unused.gif", transparency=255)
    red.save(tmp_path / "key.png", transparency=(0, 0, 0))
    data = load_image_folder(tmp_path)  # filterwarnings=error: any warning fails
    np.testing.assert_allclose(data.X.reshape(3, 3, -1).mean(axis=-1), [[200 / 255, 10 / 255, 10 / 255]] * 3, atol=0.03)
    icon = red.convert("P")
    icon.putpixel((0, 0), 0)
    icon.save(tmp_path / "icon.png", transparency=bytes([0] + [255] * 255))
    with pytest.warns(UserWarning, match=r"1 of 4 images .*'icon\.png'"):
        load_image_folder(tmp_path)


def _colour_png_16(path: Path, pixels: np.ndarray) -> None:
    """Write (H, W, 3) uint16 pixels as a 16-bit RGB PNG, which Pillow cannot write."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\0" + row.astype(">u2").tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", pixels.shape[1], pixels.shape[0], 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_16_bit_colour_files_read_with_8_bits_are_named(tmp_path):
    """Pillow reads a 16-bit colour PNG or TIFF as 8-bit RGB: the lowest 8 bits of every level were
    dropped without a word; a warning now names the files (16-bit grey ones are read whole)."""
    import tifffile

    pixels = (np.arange(4 * 5 * 3).reshape(4, 5, 3) * 1000 + 7).astype(np.uint16)
    _colour_png_16(tmp_path / "deep.png", pixels)
    tifffile.imwrite(tmp_path / "deep.tif", pixels, photometric="rgb")
    Image.fromarray(np.zeros((4, 5), dtype=np.uint16)).save(tmp_path / "grey.png")
    with pytest.warns(UserWarning, match=r"2 of 3 images in .* are 16-bit colour \(e\.g\. 'deep\.png'\), which Pillow reads "
                                         r"with 8 bits per channel: their lowest 8 bits are lost"):
        data = load_image_folder(tmp_path)
    image = data.X[data.ids.index("deep.png")].reshape(3, 4, 5).transpose(1, 2, 0)
    np.testing.assert_allclose(image, (pixels >> 8) / 255, atol=1e-6)

@pytest.mark.parametrize("mode", ["auto", "L", "RGB"])
def test_16_bit_and_float_grey_files_keep_their_levels(tmp_path, mode):
    """A 16-bit PNG (PIL mode 'I;16') spans 0..65535 and a float TIFF ('F') 0..1: both are read
    on [0, 1] like an 8-bit file of the same picture, not clipped to white or black."""
    levels = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    Image.fromarray(np.round(levels * 65535).astype(np.uint16)).save(tmp_path / "deep.png")
    Image.fromarray(levels).save(tmp_path / "float.tif")
    Image.fromarray(np.round(levels * 255).astype(np.uint8)).save(tmp_path / "eight.png")
    data = load_image_folder(tmp_path, mode=mode)
    assert data.image_shape == ((3, 3, 4) if mode == "RGB" else (3, 4))
    images = data.X.reshape(-1, *data.image_shape)
    for name in ("deep.png", "float.tif", "eight.png"):
        image = images[data.ids.index(name)]
        for channel in image.reshape(-1, 3, 4):
            np.testing.assert_allclose(channel, levels, atol=0.5 / 255, err_msg=name)
    resized = load_image_folder(tmp_path, mode=mode, size=(6, 8))
    deep = resized.X[resized.ids.index("deep.png")]
    np.testing.assert_allclose(deep, resized.X[resized.ids.index("eight.png")], atol=2 / 255)


def test_netpbm_files_of_the_classic_face_sets_are_images(tmp_path):
    """The AT&T/ORL faces come as s1/1.pgm, ...: such a folder was refused as having no images,
    and .pgm files beside .png ones were left out without a word. 8-, 12- and 16-bit grey
    (.pgm) and colour (.ppm) files are read on [0, 1]."""
    for person, level in (("s1", 200), ("s2", 50)):
        (tmp_path / person).mkdir()
        Image.new("L", (8, 6), level).save(tmp_path / person / "1.pgm")
    (tmp_path / "s2" / "2.pgm").write_bytes(b"P5\n8 6\n4095\n" + np.full(48, 4095, ">u2").tobytes())  # 12-bit white
    Image.new("L", (8, 6), 10).save(tmp_path / "s1" / "3.png")
    data = load_image_folder(tmp_path)
    assert data.ids == ["s1/1.pgm", "s1/3.png", "s2/1.pgm", "s2/2.pgm"] and data.class_names == ("s1", "s2")
    np.testing.assert_allclose(data.X.mean(axis=1), [200 / 255, 10 / 255, 50 / 255, 1.0], rtol=1e-6)
    Image.new("RGB", (8, 6), (200, 10, 10)).save(tmp_path / "s1" / "4.ppm")
    colour = load_image_folder(tmp_path)
    np.testing.assert_allclose(colour.X.reshape(5, 3, -1)[colour.ids.index("s1/4.ppm")].mean(axis=1), [200 / 255, 10 / 255, 10 / 255])


def test_a_float_file_beyond_0_1_is_refused_naming_it(tmp_path):
    Image.fromarray(np.full((3, 4), 200.0, dtype=np.float32)).save(tmp_path / "hot.tif")
    with pytest.raises(ValueError, match=r"hot\.tif.*\[0, 1\]"):
        load_image_folder(tmp_path)


def test_a_photo_is_read_upright_as_its_exif_orientation_says(tmp_path):
    """Cameras store a portrait photo as a landscape one plus an EXIF orientation; viewers turn it
    upright, and so does the reader."""
    stored = np.zeros((8, 16, 3), dtype=np.uint8)
    stored[:, :8] = 255  # left half white as stored; orientation 6: turn 90 degrees clockwise to view
    image = Image.fromarray(stored)
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(tmp_path / "portrait.jpg", exif=exif, quality=95)
    data = load_image_folder(tmp_path)
    assert data.image_shape == (16, 8)
    upright = data.X.reshape(16, 8)
    assert upright[:7].min() > 0.8 and upright[9:].max() < 0.2  # the white half is on top


@pytest.mark.parametrize("mode", ["L", "I;16"])
def test_a_grey_tiff_is_read_upright_as_its_orientation_says(tmp_path, mode):
    """An uncompressed grey TIFF (8- or 16-bit) stored sideways with orientation 6, as PIL and
    scanners write them, came out scrambled (Pillow memory-maps the file and turns the mapped
    pixels as if they had the upright size): now upright like the JPEG above."""
    stored = np.zeros((6, 10), dtype=np.uint16 if mode == "I;16" else np.uint8)
    stored[:, :4] = np.iinfo(stored.dtype).max  # left part white as stored, the top once turned clockwise
    image = Image.fromarray(stored)
    assert image.mode == mode
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(tmp_path / "scan.tif", exif=exif)
    data = load_image_folder(tmp_path)
    assert data.image_shape == (10, 6)
    np.testing.assert_array_equal(data.X.reshape(10, 6), np.rot90(stored, -1) / np.iinfo(stored.dtype).max)


@pytest.mark.parametrize("damage", ["truncated", "not_an_image"])
def test_an_unreadable_image_file_is_refused_naming_it(tmp_path, capsys, damage):
    write_folder(tmp_path / "pics", n=4)
    good = (tmp_path / "pics" / "a" / "000.png").read_bytes()
    broken = tmp_path / "pics" / "b" / "broken.png"
    broken.write_bytes(good[: len(good) // 2] if damage == "truncated" else b"not a picture\n")
    with pytest.raises(ValueError, match=r"broken\.png.*not a readable image"):
        load_image_folder(tmp_path / "pics")
    assert main(["train", "--data", str(tmp_path / "pics"), "--model", "conv", "--out", str(tmp_path / "run"), *TINY]) == 1
    err = capsys.readouterr().err
    assert "aekit train: error:" in err and "broken.png" in err and "Traceback" not in err and "<_io" not in err


def test_images_of_several_sizes_are_refused_saying_how_to_resize_them(tmp_path, capsys):
    write_folder(tmp_path / "pics", n=4)
    Image.new("RGB", (10, 8), (200, 0, 0)).save(tmp_path / "pics" / "a" / "wide.png")
    with pytest.raises(ValueError, match=r"wide\.png' is \(8, 10\) but .* is \(12, 12\) \(height, width\); pass size=\(height, width\)"):
        load_image_folder(tmp_path / "pics")
    assert main(["train", "--data", str(tmp_path / "pics"), "--model", "conv", "--out", str(tmp_path / "run"), *TINY]) == 1
    assert "--set data.image_size=[height,width]" in capsys.readouterr().err
    train(tmp_path, tmp_path / "pics", "--set", "data.image_size=[12,12]")


@pytest.mark.parametrize("size", [32, (0, 8), (8.5, 8), (8, 8, 3), "8x8", (True, 8)])
def test_a_size_that_is_not_two_positive_integers_is_refused_naming_size(tmp_path, size):
    write_folder(tmp_path / "pics", n=2)
    with pytest.raises(ValueError, match=r"size must be \(height, width\), two positive integers, got"):
        load_image_folder(tmp_path / "pics", size=size)


def test_the_reader_keeps_the_mode_it_chose_for_later_folders(tmp_path):
    write_folder(tmp_path / "colour", n=4)
    write_folder(tmp_path / "grey", n=4, grey=True)
    reader = reader_for(tmp_path / "colour")
    assert reader.image_mode == "auto"
    reader.fit(tmp_path / "colour")
    assert reader.image_mode == "RGB"
    assert reader.read(tmp_path / "grey").image_shape == (3, 12, 12)  # read as the training folder was


# ---- the command line: images at their shape, colour or grey, any aspect ratio -------------------


def test_the_command_line_trains_a_conv_model_on_a_colour_folder_in_colour(tmp_path):
    write_folder(tmp_path / "pics")
    run = train(tmp_path, tmp_path / "pics")
    info = json.loads((run / "data.json").read_text())
    assert info["image_shape"] == [3, 12, 12] and info["image_mode"] == "RGB"
    assert load_estimator(run / "model").input_shape_ == (3, 12, 12)


def test_the_command_line_trains_a_grey_folder_as_one_channel(tmp_path):
    write_folder(tmp_path / "pics", grey=True)
    run = train(tmp_path, tmp_path / "pics")
    assert json.loads((run / "data.json").read_text())["image_mode"] == "L"
    assert load_estimator(run / "model").input_shape_ == (1, 12, 12)


@pytest.mark.parametrize("grey", [False, True], ids=["colour", "grey"])
def test_non_square_images_train_as_images(tmp_path, grey):
    write_folder(tmp_path / "pics", size=(8, 14), grey=grey)
    run = train(tmp_path, tmp_path / "pics")
    est = load_estimator(run / "model")
    assert est.input_shape_ == ((1, 8, 14) if grey else (3, 8, 14))
    assert main(["evaluate", str(run), "--json", str(tmp_path / "eval.json")]) == 0
    assert all(np.isfinite(s["mse"]) for s in json.loads((tmp_path / "eval.json").read_text())["scores"])


@pytest.mark.parametrize("grey", [False, True], ids=["colour", "grey"])
def test_reconstructions_of_an_image_run_in_a_npy_are_images_as_generate_writes_them(tmp_path, grey):
    """`aekit reconstruct` wrote a .npy of an image run as flat rows (n, C*H*W) where `aekit
    generate` wrote images (n, C, H, W): they are now images too, the csv's rows flattened."""
    write_folder(tmp_path / "pics", n=8, size=(6, 10), grey=grey)
    run = train(tmp_path, tmp_path / "pics", model="vae", name="vae")
    assert main(["generate", str(run), str(tmp_path / "samples.npy"), "-n", "3"]) == 0
    assert main(["reconstruct", str(run), str(tmp_path / "pics"), str(tmp_path / "rec.npy")]) == 0
    assert main(["reconstruct", str(run), str(tmp_path / "pics"), str(tmp_path / "rec.csv")]) == 0
    expected = (6, 10) if grey else (3, 6, 10)
    images = np.load(tmp_path / "rec.npy")
    rows = np.loadtxt(tmp_path / "rec.csv", delimiter=",", skiprows=1, usecols=range(1, 1 + int(np.prod(expected))))
    assert np.load(tmp_path / "samples.npy").shape == (3, *expected) and images.shape == (8, *expected)
    np.testing.assert_allclose(images.reshape(8, -1), rows, rtol=1e-6)


@pytest.mark.parametrize("grey", [False, True], ids=["colour", "grey"])
def test_reconstruct_of_an_image_run_into_a_folder_writes_one_png_per_input_file(tmp_path, capsys, grey):
    """`aekit reconstruct` of an image run wrote only arrays and tables (a .png or folder OUTPUT was
    refused); a folder now receives one PNG per input image, named after its file, holding the
    reconstruction the .npy holds as 8-bit pixels. A .png OUTPUT is refused naming the folder to give."""
    write_folder(tmp_path / "pics", n=6, size=(6, 10), grey=grey)
    run = train(tmp_path, tmp_path / "pics")
    assert main(["reconstruct", str(run), str(tmp_path / "pics"), str(tmp_path / "rec.npy")]) == 0
    assert main(["reconstruct", str(run), str(tmp_path / "pics"), str(tmp_path / "out")]) == 0
    assert "wrote 6 reconstructions as" in capsys.readouterr().out
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.png"))
    inputs = sorted(p.relative_to(tmp_path / "pics").as_posix() for p in (tmp_path / "pics").rglob("*.png"))
    assert written == inputs and len(written) == 6
    images = np.load(tmp_path / "rec.npy")
    ids = load(tmp_path / "pics").ids
    for name in written:
        png = np.asarray(Image.open(tmp_path / "out" / name))
        expected = images[ids.index(name)]
        expected = expected if grey else expected.transpose(1, 2, 0)
        assert png.shape == expected.shape
        np.testing.assert_allclose(png, np.round(expected * 255), atol=1)
    assert main(["reconstruct", str(run), str(tmp_path / "pics"), str(tmp_path / "rec.png")]) == 1
    assert f"give a folder, e.g. {str(tmp_path / 'rec')!r}" in capsys.readouterr().err

@pytest.mark.parametrize(
    "model, extra",
    [("contextencoder", ["--set", "model.mask_size=3"]), ("vae", ["--set", "model.backbone=conv"])],
)
def test_every_conv_estimator_gets_the_image_shape(tmp_path, model, extra):
    write_folder(tmp_path / "pics", size=(8, 14))
    est = load_estimator(train(tmp_path, tmp_path / "pics", *extra, model=model) / "model")
    assert est.input_shape_ == (3, 8, 14)


def test_image_mode_forces_grey_or_colour(tmp_path):
    write_folder(tmp_path / "colour")
    write_folder(tmp_path / "grey", grey=True)
    as_grey = train(tmp_path, tmp_path / "colour", "--image-mode", "L", name="as_grey")
    assert load_estimator(as_grey / "model").input_shape_ == (1, 12, 12)
    assert json.loads((as_grey / "data.json").read_text())["image_shape"] == [12, 12]
    as_colour = train(tmp_path, tmp_path / "grey", "--set", "data.image_mode=RGB", name="as_colour")
    assert load_estimator(as_colour / "model").input_shape_ == (3, 12, 12)


def test_image_mode_is_refused_unless_auto_grey_or_colour(tmp_path, capsys):
    write_folder(tmp_path / "pics", n=4)
    with pytest.raises(SystemExit):
        main(["train", "--data", str(tmp_path / "pics"), "--image-mode", "CMYK", "--out", str(tmp_path / "run")])
    assert "--image-mode" in capsys.readouterr().err
    with pytest.raises(ValueError, match="mode must be 'auto', 'L' or 'RGB'"):
        load_image_folder(tmp_path / "pics", mode="CMYK")


def test_help_says_how_image_folders_are_read(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--image-mode {auto,L,RGB}" in text and "grey only when every file is grey" in text


@pytest.mark.parametrize("saved", ["run", "model_folder"])
def test_images_of_another_shape_are_refused_naming_both_shapes(tmp_path, capsys, saved):
    """A folder of 14 x 8 images given to a model of 8 x 14 ones holds as many values per image:
    it was encoded as scrambled 8 x 14 images. It and one of 6 x 6 images are refused, naming
    the shapes, from a run and from a model folder saved in Python; grey images of the right size
    are read as colour by both, as the run's reader reads them."""
    write_folder(tmp_path / "pics", size=(8, 14))
    write_folder(tmp_path / "tall", n=4, size=(14, 8))
    write_folder(tmp_path / "small", n=4, size=(6, 6))
    if saved == "run":
        model = train(tmp_path, tmp_path / "pics")
    else:
        data = load_image_folder(tmp_path / "pics")
        est = ConvAutoEncoder(latent_dim=3, channels=(4,), max_epochs=1, random_state=0)
        model = tmp_path / "saved"
        est.fit(data.X.reshape(-1, *data.image_shape)).save(model)
    assert main(["encode", str(model), str(tmp_path / "pics"), str(tmp_path / "codes.npy")]) == 0
    if saved == "model_folder":  # its PNGs were stretched over the reconstructions' own range, not pixels on [0, 1]
        assert main(["reconstruct", str(model), str(tmp_path / "pics"), str(tmp_path / "out")]) == 0
        expected = est.reconstruct(data.X[:1].reshape(-1, *data.image_shape))[0].transpose(1, 2, 0)
        np.testing.assert_allclose(np.asarray(Image.open(tmp_path / "out" / data.ids[0])), np.round(expected * 255), atol=1)
    write_folder(tmp_path / "grey", n=4, size=(8, 14), grey=True)  # a model folder refused it: 'give 3-channel images'
    assert main(["encode", str(model), str(tmp_path / "grey"), str(tmp_path / "grey_codes.npy")]) == 0
    grey = load_image_folder(tmp_path / "grey", mode="RGB")
    np.testing.assert_allclose(np.load(tmp_path / "grey_codes.npy"), load_estimator(model / "model" if saved == "run" else model)
                               .transform(grey.X.reshape(-1, 3, 8, 14)), atol=1e-6)
    for folder, shape in (("tall", "(3, 14, 8)"), ("small", "(3, 6, 6)")):
        capsys.readouterr()
        assert main(["encode", str(model), str(tmp_path / folder), str(tmp_path / "codes.npy")]) == 1
        err = capsys.readouterr().err
        assert folder in err and shape in err and "(3, 8, 14)" in err, err


def test_colour_images_for_a_grey_run_are_read_grey_with_a_warning(tmp_path):
    """A run trained on grey images read a later folder of colour ones grey without a word; the
    command line and the fitted reader now say so, naming the folder and a file."""
    write_folder(tmp_path / "grey", n=6, grey=True)
    write_folder(tmp_path / "colour", n=4)
    Image.new("RGB", (12, 12), (90, 90, 90)).save(tmp_path / "colour" / "a" / "flat.png")
    run = train(tmp_path, tmp_path / "grey")
    assert main(["encode", str(run), str(tmp_path / "grey"), str(tmp_path / "codes.npy")]) == 0
    with pytest.warns(UserWarning, match=r"4 of 5 images in '.*colour' are colour \(e\.g\. 'a/000\.png'\): they are read grey, "
                                         r"as the run's grey training images were"):
        assert main(["encode", str(run), str(tmp_path / "colour"), str(tmp_path / "codes.npy")]) == 0
    assert np.load(tmp_path / "codes.npy").shape[0] == 5
    reader = reader_for(tmp_path / "grey")
    reader.fit(tmp_path / "grey")
    with pytest.warns(UserWarning, match="4 of 5 images"):
        assert reader.read(tmp_path / "colour").image_shape == reader.image_shape
    # a model folder of the run's model refused them ('give 1-channel images'); it reads them as its run does
    saved = load_estimator(run / "model").save(tmp_path / "saved")
    with pytest.warns(UserWarning, match=r"4 of 5 images in '.*colour' are colour .* as the model's grey training images were"):
        assert main(["encode", str(saved), str(tmp_path / "colour"), str(tmp_path / "saved_codes.npy")]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "saved_codes.npy"), np.load(tmp_path / "codes.npy"), atol=1e-6)

# ---- no 1 x n strip -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [ConvAutoEncoder, ContextEncoder, lambda **kw: VariationalAutoEncoder(backbone="conv", **kw)])
def test_flat_rows_that_are_no_square_image_are_refused_asking_for_input_shape(cls):
    rows = np.random.default_rng(0).random((20, 3 * 12 * 12))  # colour 12 x 12, flattened
    with pytest.raises(ValueError, match=r"flat rows of 432 features.*pass input_shape=\(channels, height, width\)"):
        cls(channels=(4,), max_epochs=1).fit(rows)
    est = cls(channels=(4,), max_epochs=1, input_shape=(3, 12, 12)).fit(rows)
    assert est.input_shape_ == (3, 12, 12)


def test_the_command_line_refuses_rows_without_an_image_shape_naming_model_input_shape(tmp_path, capsys):
    np.save(tmp_path / "rows.npy", np.random.default_rng(0).random((30, 10)).astype(np.float32))
    args = ["train", "--data", str(tmp_path / "rows.npy"), "--model", "conv", "--epochs", "1", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "refused")]) != 0
    assert "--set model.input_shape=[channels,height,width] (product 10)" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "run"), "--set", "model.input_shape=[2,5]", *TINY]) == 0
    assert load_estimator(tmp_path / "run" / "model").input_shape_ == (1, 2, 5)



def test_a_table_is_read_as_images_only_when_its_shape_is_given(tmp_path, capsys):
    # a table of 9 columns trained and was scored as 3 x 3 images without a word
    np.savetxt(tmp_path / "t.csv", np.random.default_rng(0).normal(size=(30, 9)), delimiter=",", comments="",
               header=",".join(f"c{i}" for i in range(9)))
    args = ["train", "--data", str(tmp_path / "t.csv"), "--model", "conv", "--epochs", "1", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "refused")]) == 1
    assert ("t.csv' is a table, whose rows a 'conv' model reads as images only when told their shape: give --set "
            "model.input_shape=[channels,height,width] (product 9, e.g. [1,3,3])") in capsys.readouterr().err
    assert main(["detect", str(tmp_path / "t.csv"), "--model", "conv", "--epochs", "1", "--quiet"]) == 1
    assert "--set input_shape=[channels,height,width], or choose a model for tables" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "run"), "--set", "model.input_shape=[1,3,3]", *TINY]) == 0
    assert load_estimator(tmp_path / "run" / "model").input_shape_ == (1, 3, 3)


# ---- one model whichever way it is trained ---------------------------------------------------------


def test_the_command_line_and_python_give_the_same_model(tmp_path):
    """`aekit train --model conv` on a folder and ConvAutoEncoder.fit on the reader's images,
    same split, seed and parameters: the same weights and held-out error."""
    write_folder(tmp_path / "pics", size=(8, 14))
    run = train(tmp_path, tmp_path / "pics", "--seed", "3")
    from_cli = load_estimator(run / "model")

    reader = reader_for(tmp_path / "pics")
    train_rows, test_rows = reader.split(str(tmp_path / "pics"), test_fraction=0.2, seed=3)
    images = train_rows.X.reshape(-1, *reader.image_shape)
    from_python = ConvAutoEncoder(latent_dim=3, channels=(4,), batch_size=16, max_epochs=2, random_state=3).fit(images)

    assert from_python.input_shape_ == from_cli.input_shape_ == (3, 8, 14)
    cli_weights, python_weights = from_cli.module_.state_dict(), from_python.module_.state_dict()
    assert cli_weights.keys() == python_weights.keys()
    for name in cli_weights:
        np.testing.assert_allclose(cli_weights[name].numpy(), python_weights[name].numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    held_out = test_rows.X.reshape(-1, *reader.image_shape)
    errors = [np.mean((est.reconstruct(held_out) - held_out) ** 2) for est in (from_cli, from_python)]
    assert errors[0] == pytest.approx(errors[1], rel=1e-5)


# ---- the report draws colour ----------------------------------------------------------------------


@pytest.mark.slow
def test_the_report_of_a_colour_folder_draws_colour_reconstructions(tmp_path):
    write_folder(tmp_path / "pics", size=(8, 14))
    run = train(tmp_path, tmp_path / "pics")
    assert main(["report", str(run)]) == 0
    figure = np.asarray(Image.open(run / "figures" / "reconstructions.png").convert("RGB")).astype(int)
    spread = figure.max(axis=-1) - figure.min(axis=-1)  # 0 for grey pixels
    assert (spread > 100).sum() > 50  # the inputs' coloured squares, drawn in colour


# ---- colours drawn as stored ----------------------------------------------------------------------


BROWN = (128, 102, 77)


def drawn_colours(png: Path) -> np.ndarray:
    """The figure's pixels (m, 3) that are neither near white nor near grey (title, frames)."""
    pixels = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3).astype(int)
    return pixels[pixels.max(axis=1) - pixels.min(axis=1) > 20]


def write_brown_folder(folder: Path, n: int = 16) -> None:
    """`n` 8 x 8 PNGs of one brown, each a few percent lighter or darker."""
    folder.mkdir(parents=True)
    for i, factor in enumerate(np.linspace(0.95, 1.05, n)):
        Image.new("RGB", (8, 8), tuple(int(round(c * factor)) for c in BROWN)).save(folder / f"{i:02d}.png")


def test_generated_images_are_drawn_in_their_own_colours(tmp_path):
    """Samples of a model of brown images were drawn on the samples' own range, which stretched
    (0.5, 0.4, 0.3) to bright orange; pixels in [0, 1] are now drawn as stored."""
    write_brown_folder(tmp_path / "brown")
    run = train(tmp_path, tmp_path / "brown")
    assert main(["generate", str(run), str(tmp_path / "samples.png"), "-n", "4"]) == 0
    median = np.median(drawn_colours(tmp_path / "samples.png"), axis=0)
    np.testing.assert_allclose(median, BROWN, atol=20)


@pytest.mark.slow
def test_the_report_draws_images_in_their_own_colours(tmp_path):
    write_brown_folder(tmp_path / "brown")
    run = train(tmp_path, tmp_path / "brown")
    assert main(["report", str(run)]) == 0
    for figure in ("reconstructions.png", "samples.png"):
        median = np.median(drawn_colours(run / "figures" / figure), axis=0)
        np.testing.assert_allclose(median, BROWN, atol=20, err_msg=figure)


def test_the_explorer_shows_images_in_their_own_colours(tmp_path):
    write_brown_folder(tmp_path / "brown")
    run = train(tmp_path, tmp_path / "brown")
    assert main(["explore", str(run)]) == 0
    page = (run / "explorer.html").read_text()
    data = json.loads(re.search(r'id="aekit-data">(.*?)</script>', page, re.S).group(1))
    assert data["output"]["range"] == [0.0, 1.0]  # decoded pictures drawn on it too
    atlas = base64.b64decode(data["points"]["atlas"].split(",", 1)[1])
    (tmp_path / "atlas.png").write_bytes(atlas)
    np.testing.assert_allclose(np.median(drawn_colours(tmp_path / "atlas.png"), axis=0), BROWN, atol=20)


def test_the_export_of_an_image_folder_run_says_its_rows_are_channels_first_pixels_in_0_1(tmp_path, capsys):
    write_folder(tmp_path / "pics", n=8, size=(6, 8))
    run = train(tmp_path, tmp_path / "pics")
    capsys.readouterr()
    assert main(["export", str(run), "--onnx", str(tmp_path / "onnx")]) == 0
    assert "pixels in [0, 1] (8-bit values / 255, 16-bit / 65535) of images (3, 6, 8), channels-first, flattened" in capsys.readouterr().out


def test_the_export_of_a_16_bit_folder_run_says_its_pixels_are_divided_by_65535(tmp_path, capsys):
    """A run on 16-bit grey PNGs was told its encoder takes '8-bit values / 255': the files'
    values divided so ran to 257 and gave other codes than aekit encode, which reads them / 65535."""
    rng = np.random.default_rng(0)
    for i in range(8):
        Image.fromarray(rng.integers(0, 65536, size=(6, 8)).astype(np.uint16)).save(tmp_path / f"{i}.png")
    run = train(tmp_path, tmp_path)
    capsys.readouterr()
    assert main(["export", str(run), "--onnx", str(tmp_path / "onnx")]) == 0
    assert "pixels in [0, 1] (8-bit values / 255, 16-bit / 65535) of grey images (6, 8), flattened" in capsys.readouterr().out


def test_hidden_files_and_folders_a_mac_zip_or_jupyter_leaves_are_not_images_or_classes(tmp_path):
    """An unzipped Mac archive holds __MACOSX/._name.png (not images) and Jupyter leaves
    .ipynb_checkpoints/ copies: they were refused as unreadable or read as one more class."""
    rng = np.random.default_rng(0)
    for label in ("cats", "dogs"):
        (tmp_path / label).mkdir()
        Image.fromarray(rng.integers(0, 255, (6, 6), dtype=np.uint8)).save(tmp_path / label / "1.png")
    (tmp_path / "__MACOSX" / "cats").mkdir(parents=True)
    (tmp_path / "__MACOSX" / "cats" / "._1.png").write_bytes(b"\x00\x05\x16\x07 not an image")
    (tmp_path / "cats" / "._2.png").write_bytes(b"\x00\x05\x16\x07 not an image")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    Image.fromarray(rng.integers(0, 255, (6, 6), dtype=np.uint8)).save(tmp_path / ".ipynb_checkpoints" / "1-checkpoint.png")
    data = load_image_folder(tmp_path)
    assert data.X.shape == (2, 36) and list(data.class_names) == ["cats", "dogs"]
    assert type(reader_for(str(tmp_path))).__name__ == "ImageFolderReader"


def test_a_class_folder_that_is_a_link_is_read_and_a_link_back_is_not_followed_again(tmp_path):
    """Datasets assembled with links ('dog' -> /elsewhere/dogs) lost the linked class without a
    word: the folder walk did not enter linked folders. It now does, once: a link back to a
    folder on the way (a cycle) is passed over."""
    write_folder(tmp_path / "store", n=8, size=(6, 6))
    stored = load_image_folder(tmp_path / "store").X
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cat").symlink_to(tmp_path / "store" / "a", target_is_directory=True)
    (tmp_path / "data" / "dog").symlink_to(tmp_path / "store" / "b", target_is_directory=True)
    (tmp_path / "store" / "a" / "again").symlink_to(tmp_path / "data", target_is_directory=True)
    data = load_image_folder(tmp_path / "data")
    assert data.class_names == ("cat", "dog")
    assert data.ids == [f"{name}/{i:03d}.png" for name, first in (("cat", 0), ("dog", 1)) for i in range(first, 8, 2)]
    np.testing.assert_array_equal(data.X, stored)


def test_a_folder_named_from_the_home_folder_is_read_like_a_file_so_named(tmp_path, monkeypatch):
    """'~/pics' (a quoted --data, or data.source in a run's config) was found as a folder but then
    refused as 'no image folder at ~/pics', where '~/rows.npy' and '~/table.csv' were read;
    image and text folders now expand '~' too."""
    monkeypatch.setenv("HOME", str(tmp_path))
    write_folder(tmp_path / "pics", n=8, size=(6, 6))
    for name, text in (("a/1.txt", "red apples"), ("b/2.txt", "green pears")):
        (tmp_path / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "docs" / name).write_text(text)
    run = tmp_path / "run"
    assert main(["train", "--data", "~/pics", "--model", "conv", "--out", str(run), *TINY]) == 0
    assert main(["encode", str(run), "~/pics", str(tmp_path / "codes.npy")]) == 0
    assert np.load(tmp_path / "codes.npy").shape == (8, 3)
    assert load("~/docs").feature_names == ["apples", "green", "pears", "red"]


def test_a_folder_without_images_given_to_an_image_model_says_which_files_are_images(tmp_path, capsys):
    """An iPhone export (IMG_0001.HEIC) with a notes.txt beside it was read as a text corpus and
    refused as 'has 1 features but the model was trained on 108; ... unexpected ['hello']'; an
    image model now reads it as images and says it holds none of the kinds it reads."""
    write_folder(tmp_path / "pics", n=8, size=(6, 6))
    run = train(tmp_path, tmp_path / "pics")
    (tmp_path / "phone").mkdir()
    (tmp_path / "phone" / "IMG_0001.HEIC").write_bytes(b"\0\0\0\x18ftypheic")
    (tmp_path / "phone" / "notes.txt").write_text("hello")
    capsys.readouterr()
    assert main(["encode", str(run), str(tmp_path / "phone"), str(tmp_path / "codes.npy")]) == 1
    err = capsys.readouterr().err
    assert "phone' has no images (.png, .jpg" in err and "features" not in err


def test_a_run_on_a_relative_folder_used_from_elsewhere_says_where_its_data_was_named(tmp_path, monkeypatch, capsys):
    """'aekit train --data pics' records 'pics' as it was given; 'aekit report' or 'generate' run
    from another folder said only "no data at 'pics': give 'digits', 'mnist', ...", a source the
    user had not named in that command. It now says it is the run's data.source, relative to
    where training ran, and what to do."""
    write_folder(tmp_path / "project" / "pics", n=8, size=(6, 6))
    monkeypatch.chdir(tmp_path / "project")
    assert main(["train", "--data", "pics", "--model", "conv", "--out", "run", *TINY]) == 0
    assert main(["evaluate", "run"]) == 0
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    for command in (["evaluate", "project/run"], ["generate", "project/run", "samples.png"]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert "'pics', this run's data (data.source in 'project/run/config.yaml'), is not found from" in err, err
        assert "relative to the folder 'aekit train' ran in" in err and "give 'digits'" not in err


def test_one_image_file_is_refused_saying_to_give_a_folder(tmp_path, capsys):
    Image.fromarray(np.zeros((6, 6), dtype=np.uint8)).save(tmp_path / "photo.png")
    with pytest.raises(ValueError, match=r"is one image: aekit reads images from a folder"):
        reader_for(str(tmp_path / "photo.png"))
    assert main(["train", "--data", str(tmp_path / "photo.png"), "--out", str(tmp_path / "run"), "--quiet"]) == 1
    assert "is one image: aekit reads images from a folder" in capsys.readouterr().err


# ---- a later folder's labels name the model's classes ---------------------------------------------


def write_classes(folder: Path, classes: str, n_each: int, seed: int = 0) -> None:
    """`n_each` 6 x 6 PNGs per class subfolder, each class a colour of its own (COLOURS, by the
    letter's place in 'abcd') with a little noise."""
    rng = np.random.default_rng(seed)
    for name in classes:
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(n_each):
            noise = rng.integers(-10, 11, size=(6, 6, 3))
            pixels = np.clip(np.asarray(COLOURS["abcd".index(name)]) + noise, 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / name / f"{i}.png")


def test_a_later_folder_with_fewer_or_other_classes_is_labelled_by_the_models_classes(tmp_path):
    """A test folder holding classes 'a' and 'c' of a model trained on 'a', 'b', 'c' was labelled
    by its own subfolders (its 'c' as 1, the model's 'b'): aekit evaluate's 5-NN accuracy on
    perfectly separated colours came out 0.5 and aekit explore named the 'c' points 'b'. Its
    labels now index the model's classes; a class the model never saw is numbered after them."""
    write_classes(tmp_path / "train", "abc", n_each=8)
    write_classes(tmp_path / "later", "ac", n_each=6, seed=1)
    run = train(tmp_path, tmp_path / "train")

    reader = reader_for(tmp_path / "train")
    reader.fit(tmp_path / "train")
    write_classes(tmp_path / "other", "cd", n_each=2, seed=2)
    for folder in ("later", "other"):
        data = reader.read(tmp_path / folder)
        assert data.class_names[:3] == ("a", "b", "c")
        assert [data.class_names[i] for i in data.y] == [name.split("/")[0] for name in data.ids]

    assert main(["evaluate", str(run), "--data", str(tmp_path / "later"), "--json", str(tmp_path / "eval.json")]) == 0
    pca = next(s for s in json.loads((tmp_path / "eval.json").read_text())["scores"] if s["model"] == "PCA")
    assert pca["knn_accuracy"] == 1.0
    # the 'd' rows, a class the model never saw, counted as misses without a word: 0.5 for perfectly separated colours
    with pytest.warns(UserWarning, match=r"^2 of the 4 labelled rows evaluated are of a class that no training row has "
                                         r"\('d'\); the 5-NN accuracy leaves them out"):
        assert main(["evaluate", str(run), "--data", str(tmp_path / "other"), "--json", str(tmp_path / "eval.json")]) == 0
    pca = next(s for s in json.loads((tmp_path / "eval.json").read_text())["scores"] if s["model"] == "PCA")
    assert pca["knn_accuracy"] == 1.0
    assert main(["explore", str(run), "--data", str(tmp_path / "later")]) == 0
    page = (run / "explorer.html").read_text()
    labels = json.loads(re.search(r'id="aekit-data">(.*?)</script>', page, re.S).group(1))["labels"]
    assert labels["names"] == ["a", "c"] and labels["index"] == [0] * 6 + [1] * 6
