"""Image-to-image conv models: skip connections (U-Net style) composed with every other conv
option, colorization that predicts colour only and keeps the input's lightness, a PCA start
through a linear path, and quality floors against the gray copy and PCA on bundled photos."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from skimage.color import rgb2gray
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from aekit import ContextEncoder, ConvAutoEncoder
from aekit.analysis.metrics import psnr, ssim
from aekit.data.chroma import LUMA_STANDARDS, colour_from_chroma, luma, to_chroma
from aekit.estimators.base import TRAINING_CONSTRAINTS
from aekit.data.datasets import PHOTOS, load_colorization_patches, load_photo_patches
from aekit.nn.pca_start import image_symmetries
from tests.test_composition import options, refused_up_front

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = {"channels": (4, 8), "max_epochs": 2, "random_state": 0}
TRAIN_PHOTOS = ("astronaut", "coffee", "chelsea", "china.jpg")
TEST_PHOTOS = ("rocket", "flower.jpg")


@pytest.fixture(scope="module")
def patches():
    """Gray and colour 16x16 patches: (train, test) pairs, the test patches from other photographs."""
    train = load_colorization_patches(16, 600, image=TRAIN_PHOTOS, random_state=0)
    test = load_colorization_patches(16, 200, image=TEST_PHOTOS, random_state=1)
    return train, test


def test_photo_patches_come_from_the_named_photographs():
    colour = load_photo_patches(8, 7, images=("astronaut", "flower.jpg"), random_state=0)
    assert colour.shape == (7, 3, 8, 8) and colour.dtype == np.float32
    assert 0 <= colour.min() and colour.max() <= 1
    assert load_photo_patches(8, 12).shape == (12, 3, 8, 8) and len(PHOTOS) == 6
    with pytest.raises(ValueError, match="images must name some of"):
        load_photo_patches(8, 2, images="moon")
    with pytest.raises(ValueError, match="patch_size must be an integer in"):
        load_photo_patches(1000, 2, images="coffee")


def test_chroma_round_trip_keeps_colours_and_luma():
    rng = np.random.default_rng(0)
    colour = rng.random((5, 3, 4, 4))
    np.testing.assert_allclose(colour_from_chroma(luma(colour), to_chroma(colour)), colour, atol=1e-12)
    wild = colour_from_chroma(luma(colour), 3 * rng.normal(size=(5, 2, 4, 4)))  # out of gamut: shortened
    assert wild.min() >= 0 and wild.max() <= 1
    np.testing.assert_allclose(luma(wild), luma(colour), atol=1e-12)


@pytest.mark.parametrize("skips", [False, True])
def test_colorization_predicts_colour_and_keeps_the_lightness_exactly(patches, skips, tmp_path):
    (gray, colour), (gray_test, _) = patches
    model = ConvAutoEncoder(latent_dim=4, skips=skips, **TINY).fit(gray[:100], colour[:100])
    assert model.colorization_ == "chroma" and model.output_shape_ == (3, 16, 16)
    out = model.reconstruct(gray_test)
    assert out.shape == (200, 3, 16, 16) and out.min() >= 0 and out.max() <= 1
    np.testing.assert_allclose(rgb2gray(out.transpose(0, 2, 3, 1)), gray_test[:, 0], atol=1e-6)
    flat = model.reconstruct(gray_test[:3, 0])  # (n, H, W) grey in, colour images out
    assert flat.shape == (3, 3, 16, 16)
    with pytest.raises(ValueError, match="reconstruct\\(X_gray\\)"):
        model.inverse_transform(model.transform(gray_test[:3]))


def test_colorization_trains_the_median_colour_with_dropout_unless_told(tmp_path, patches):
    """loss='auto' and dropout='auto' resolve to l1 and 0.2 for chroma colorization, to mse and
    no dropout elsewhere; explicit values win; the resolved ones are saved and rebuild the same
    network (dropout layers included); a seeded fit with dropout repeats. The chroma is predicted
    in 8 x 8 blocks resized bilinearly (it was per pixel: fine colour detail that did not carry
    over to unseen photos); folders saved before that rebuild the per-pixel model."""
    (gray, colour), (gray_test, _) = patches
    model = ConvAutoEncoder(latent_dim=4, **TINY).fit(gray[:60], colour[:60])
    assert (model.loss_, model.dropout_) == ("l1", 0.2) and model.history_["settings"]["dropout"] == 0.2
    assert model.chroma_coarseness_ == 8
    with torch.no_grad():
        chroma = model.module_.decoder(torch.as_tensor(model.transform(gray_test))).reshape(-1, 2, 16, 16).numpy()
    corner = chroma[:, :, :4, :4]  # bilinear resizing of 2 x 2 blocks holds the outer half-block at the block's value
    np.testing.assert_allclose(corner, np.broadcast_to(corner[:, :, :1, :1], corner.shape), atol=1e-6)
    assert np.ptp(chroma, axis=(2, 3)).max() > 1e-4  # not one colour per image
    assert sum(isinstance(m, torch.nn.Dropout) and m.p == 0.2 for m in model.module_.modules()) > 0
    torch.manual_seed(123)  # dropout drew its masks from torch's global generator: the same seeded fit came out otherwise
    again = ConvAutoEncoder(latent_dim=4, **TINY).fit(gray[:60], colour[:60])
    np.testing.assert_array_equal(again.reconstruct(gray_test), model.reconstruct(gray_test))
    loaded = ConvAutoEncoder.load(model.save(tmp_path / "m"))
    assert (loaded.loss, loaded.dropout, loaded.loss_, loaded.dropout_) == ("auto", "auto", "l1", 0.2)
    np.testing.assert_array_equal(loaded.reconstruct(gray_test), model.reconstruct(gray_test))
    config_path = tmp_path / "m" / "config.json"
    config = json.loads(config_path.read_text())
    del config["fitted"]["chroma_coarseness_"]  # a folder saved before the chroma was coarse
    config_path.write_text(json.dumps(config))
    older = ConvAutoEncoder.load(tmp_path / "m")
    assert older.chroma_coarseness_ == 1 and older.module_.decoder.coarseness == 1
    plain = ConvAutoEncoder(latent_dim=4, **TINY).fit(colour[:60])
    assert plain.chroma_coarseness_ == 1
    assert (plain.loss_, plain.dropout_) == ("mse", 0.0) and not any(isinstance(m, torch.nn.Dropout) for m in plain.module_.modules())
    told = ConvAutoEncoder(latent_dim=4, loss="mse", dropout=0.0, **TINY).fit(gray[:60], colour[:60])
    assert (told.loss_, told.dropout_) == ("mse", 0.0)
    assert (ContextEncoder(latent_dim=4, **TINY).fit(colour[:60]).loss_, "mse")[0] == "mse"


def test_colorization_direct_and_refusals(patches, tmp_path, monkeypatch):
    import aekit.saving.export as export

    (gray, colour), _ = patches
    direct = ConvAutoEncoder(latent_dim=4, colorization="direct", **TINY).fit(gray[:50], colour[:50])
    assert direct.colorization_ == "direct" and direct.inverse_transform(direct.transform(gray[:2])).shape == (2, 768)
    # onnx.json said decoder.onnx gives (batch, 256), the gray input's size, where it gives the 768 colour values
    monkeypatch.setattr(export, "_export", lambda *args: b"")  # the description only: a conv graph takes seconds to build
    direct.to_onnx(tmp_path / "onnx")
    monkeypatch.undo()
    assert json.loads((tmp_path / "onnx" / "onnx.json").read_text())["decoder"]["output"] == ["reconstruction", ["batch", 768]]
    with pytest.raises(ValueError, match="colorization='chroma' needs gray X \\(1 channel\\) and colour Y \\(3 channels\\), got 3"):
        ConvAutoEncoder(colorization="chroma", **TINY).fit(colour[:20], colour[:20])
    with pytest.raises(ValueError, match="colorization='chroma' needs colour targets"):
        ConvAutoEncoder(colorization="chroma", **TINY).fit(gray[:20])
    assert ConvAutoEncoder(latent_dim=2, **TINY).fit(colour[:20], 1 - colour[:20]).colorization_ == "direct"
    with pytest.raises(ValueError, match="chroma_coarseness=4 sets the blocks colorization_='chroma' predicts the colour in"):
        ConvAutoEncoder(chroma_coarseness=4, **TINY).fit(colour[:20])
    for name, value in (("loss", "bce"), ("loss", "poisson"), ("output_activation", "sigmoid")):  # chroma is signed
        with pytest.raises(ValueError, match=f"{name}='{value}'.* cannot decode negative values, but colorization_='chroma'"):
            ConvAutoEncoder(**{name: value}, **TINY).fit(gray[:20], colour[:20])


def test_score_of_a_model_fitted_on_pairs_scores_the_targets_it_was_given(digits, patches):
    """score(noisy, clean) ignored y and scored the reconstructions against the noisy input (-0.087 where
    the error against the clean targets gave -0.073), so cross_val_score and GridSearchCV over a denoising
    or colorization model preferred the one that copied the noise best."""
    from sklearn.model_selection import cross_val_score

    clean = digits[0][:200].reshape(-1, 1, 8, 8)
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 0.3, clean.shape), 0, 1)
    model = ConvAutoEncoder(latent_dim=4, **TINY).fit(noisy, clean)
    error = np.mean((model.reconstruct(noisy) - clean) ** 2)
    assert model.score(noisy, clean) == pytest.approx(-error, rel=1e-6)
    assert model.score(noisy) == model.score(noisy, np.zeros(len(noisy))) == np.mean(model.score_samples(noisy))
    assert model.score(noisy.reshape(200, -1), clean[:, 0]) == pytest.approx(model.score(noisy, clean), rel=1e-12)
    folds = cross_val_score(ConvAutoEncoder(latent_dim=4, **TINY), noisy, clean, cv=2)
    held_out = ConvAutoEncoder(latent_dim=4, **TINY).fit(noisy[100:], clean[100:])
    assert folds[0] == pytest.approx(-np.mean((held_out.reconstruct(noisy[:100]) - clean[:100]) ** 2), rel=1e-6)
    with pytest.raises(ValueError, match="y holds images of shape \\(3, 8, 8\\), but this model predicts images of shape \\(1, 8, 8\\)"):
        model.score(noisy, np.repeat(clean, 3, axis=1))
    (gray, colour), _ = patches
    colorizer = ConvAutoEncoder(latent_dim=4, **TINY).fit(gray[:60], colour[:60])  # the L1 loss on the chroma
    chroma = to_chroma(colour[:60], LUMA_STANDARDS[colorizer.luma_]).reshape(60, -1)
    with torch.no_grad():
        predicted = colorizer.module_.reconstruct(torch.as_tensor(gray[:60].reshape(60, -1))).numpy()  # before the gamut
    assert colorizer.score(gray[:60], colour[:60]) == pytest.approx(-np.mean(np.abs(predicted - chroma)), rel=1e-4)
    with pytest.raises(ValueError, match="ContextEncoder reconstructs its input: y must be None or labels"):
        ContextEncoder(latent_dim=2, **TINY).fit(clean).score(clean, clean)


def test_a_warm_start_keeps_the_fitted_targets(patches):
    """partial_fit or a warm start with other targets than the first fit's (no Y after a colorization,
    colour Y after a plain fit) is refused by name; it crashed with a torch size mismatch."""
    (gray, colour), _ = patches
    model = ConvAutoEncoder(latent_dim=2, **TINY).partial_fit(gray[:20], colour[:20]).partial_fit(gray[:20], colour[:20])
    assert model.reconstruct(gray[:2]).shape == (2, 3, 16, 16)
    with pytest.raises(ValueError, match="warm_start and partial_fit continue the fitted model, which predicts images of shape \\(3, 16, 16\\)"):
        model.partial_fit(gray[:20])
    plain = ConvAutoEncoder(latent_dim=2, warm_start=True, **TINY).partial_fit(gray[:20])
    with pytest.raises(ValueError, match="these targets are images of shape \\(3, 16, 16\\) \\(colorization 'chroma'\\)"):
        plain.fit(gray[:20], colour[:20])
    assert plain.output_shape_ == (1, 16, 16) and plain.colorization_ == "direct"


def test_a_colorization_export_describes_the_chroma_its_decoder_gives(tmp_path, patches, monkeypatch):
    """onnx.json gave the decoder's output as the gray input's width (256) where the graph gives the
    chroma's 512 (a direct model's colour, 768), and did not say it is chroma. The graphs themselves
    are the exporter's (stubbed here: tests/test_composition.py's slow cases run it)."""
    import json

    import aekit.saving.export as export

    monkeypatch.setattr(export, "_export", lambda *args: b"graph")
    (gray, colour), _ = patches
    for colorization, width in (("auto", 2 * 16 * 16), ("direct", 3 * 16 * 16)):
        model = ConvAutoEncoder(latent_dim=2, channels=(2,), colorization=colorization, max_epochs=1, random_state=0)
        model.fit(gray[:20], colour[:20]).to_onnx(tmp_path / colorization)
        decoder = json.loads((tmp_path / colorization / "onnx.json").read_text())["decoder"]
        assert decoder["output"] == ["reconstruction", ["batch", width]]
        assert ("colour_from_chroma" in decoder.get("gives", "")) == (colorization == "auto")


def test_colorization_round_trips_through_save_and_load(tmp_path, patches):
    (gray, colour), (gray_test, _) = patches
    model = ConvAutoEncoder(latent_dim=4, skips=True, **TINY).fit(gray[:60], colour[:60])
    loaded = ConvAutoEncoder.load(model.save(tmp_path / "m"))
    assert loaded.colorization_ == "chroma"
    np.testing.assert_array_equal(loaded.reconstruct(gray_test), model.reconstruct(gray_test))


def test_colorization_keeps_the_lightness_of_gray_made_by_pillow(tmp_path, patches):
    # gray from Pillow's convert('L') (or OpenCV) is Rec. 601 luma; colour was rebuilt around it as
    # if it were rgb2gray's Rec. 709, so the output's lightness was not the input's (up to 0.075 off)
    from PIL import Image

    (_, colour), (_, colour_test) = patches
    def pillow_pairs(images):
        pixels = np.round(images.transpose(0, 2, 3, 1) * 255).astype(np.uint8)
        gray = np.stack([np.asarray(Image.fromarray(p).convert("L")) for p in pixels])[:, None] / 255.0
        return gray.astype(np.float32), pixels.transpose(0, 3, 1, 2).astype(np.float32) / 255
    gray, colour = pillow_pairs(colour[:100])
    gray_test, _ = pillow_pairs(colour_test[:50])
    model = ConvAutoEncoder(latent_dim=4, **TINY).fit(gray, colour)
    assert model.luma_ == "rec601"
    out = model.reconstruct(gray_test)
    np.testing.assert_allclose(luma(out, LUMA_STANDARDS["rec601"]), gray_test, atol=1e-5)
    assert ConvAutoEncoder.load(model.save(tmp_path / "m")).luma_ == "rec601"
    (gray709, colour709), _ = patches
    assert ConvAutoEncoder(latent_dim=4, **TINY).fit(gray709[:60], colour709[:60]).luma_ == "rec709"


SKIP_CROSS = [
    (cls, name, value)
    for cls in (ConvAutoEncoder, ContextEncoder)
    for name, value in options(cls)
    if name != "skips" and name not in TRAINING_CONSTRAINTS  # the conv options, not the training budget's
]


@pytest.mark.parametrize("cls, name, value", SKIP_CROSS, ids=[f"{c.__name__}-{n}={v!r}" for c, n, v in SKIP_CROSS])
def test_skips_compose_with_every_conv_option(cls, name, value):
    """skips=True crossed with each option the registry's constraints give the conv family:
    trains to answers of the right shape, or is refused up front naming the option."""
    rng = np.random.default_rng(0)
    X = rng.random((24, 1, 8, 8))
    model = cls(**{**TINY, "latent_dim": 2, "skips": True, "batch_size": 8, "channels": (4,), name: value})
    try:
        model.fit(X)
    except Exception as err:  # noqa: BLE001  (the rule says which refusals are allowed)
        assert refused_up_front(err, [name]) is None, f"{model!r}: {type(err).__name__}: {err}"
        return
    out = model.reconstruct(X)
    assert out.shape == X.shape and np.isfinite(out).all()
    assert model.inverse_transform(model.transform(X)).shape == (24, 64)  # codes alone decode without skips


def test_skips_reach_the_decoder_and_codes_decode_without_them():
    rng = np.random.default_rng(0)
    X = rng.random((40, 1, 8, 8))
    model = ConvAutoEncoder(latent_dim=2, skips=True, **TINY).fit(X)
    with_skips = model.reconstruct(X).reshape(40, -1)
    from_codes = model.inverse_transform(model.transform(X))
    assert np.abs(with_skips - from_codes).max() > 1e-4  # the forward pass hands the feature maps over
    np.testing.assert_array_equal(from_codes, model.inverse_transform(model.transform(X)))


def test_denoising_with_skips_beats_the_noisy_input(digits):
    X_train, X_test, _, _ = digits
    X_train, X_test = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)
    rng = np.random.default_rng(0)
    noisy = np.clip(X_test + 0.3 * rng.normal(size=X_test.shape), 0, 1)
    model = ConvAutoEncoder(latent_dim=8, skips=True, corruption="clipped_gaussian", corruption_level=0.3,
                            channels=(16, 32), max_epochs=30, random_state=0).fit(X_train)  # fmt: skip
    assert np.mean(psnr(X_test, model.reconstruct(noisy))) > np.mean(psnr(X_test, noisy)) + 2


def test_a_pca_start_begins_at_pcas_error(patches):
    (_, colour), (_, colour_test) = patches
    X = colour[:300]
    model = ConvAutoEncoder(latent_dim=8, init="pca", early_stopping=1, validation_fraction=0.2, learning_rate=1e-9,
                            **TINY).fit(X)  # fmt: skip
    assert model.init_ == "pca" and model.output_activation_ == "linear"
    assert ConvAutoEncoder(init="auto", **TINY).fit(X).init_ == "pca"
    assert ConvAutoEncoder(**TINY).fit(X).init_ == "pca"  # the default for colour images
    grey = X.mean(axis=1, keepdims=True)
    assert ConvAutoEncoder(**TINY).fit(grey).init_ == "random"  # and grey ones start at random
    assert ConvAutoEncoder(init="pca", **TINY).fit(grey).init_ == "pca"
    pca = PCA(8).fit(X.reshape(len(X), -1))
    pca_error = np.mean((pca.inverse_transform(pca.transform(colour_test.reshape(200, -1))) - colour_test.reshape(200, -1)) ** 2)
    error = lambda m: np.mean((m.reconstruct(colour_test) - colour_test) ** 2)  # noqa: E731
    assert error(model) <= pca_error  # the PCA of the patches and their flips, refitted on all rows
    untrained = ConvAutoEncoder(latent_dim=8, init="random", output_activation="linear", learning_rate=1e-9, **TINY).fit(X)
    assert error(untrained) > 3 * pca_error
    with pytest.raises(ValueError, match="init='pca' needs a model that can start as PCA, but the output is 'sigmoid'"):
        ConvAutoEncoder(init="pca", output_activation="sigmoid", **TINY).fit(X)


def test_a_pca_start_on_photos_ends_no_worse_than_pca_of_all_its_rows():
    X = load_photo_patches(16, 900, images=TRAIN_PHOTOS, random_state=0)
    train, test = X[:600], X[600:]
    pca = PCA(8).fit(train.reshape(600, -1))
    pca_error = np.mean((pca.inverse_transform(pca.transform(test.reshape(300, -1))) - test.reshape(300, -1)) ** 2)
    model = ConvAutoEncoder(latent_dim=8, init="pca", channels=(4, 8), max_epochs=3, random_state=0).fit(train)
    settings = model.history_["settings"]
    assert settings["pca_symmetry"] in ("flips", "dihedral")  # photographs look alike mirrored
    assert np.mean((model.reconstruct(test) - test) ** 2) <= pca_error
    if model.history_["best_epoch"] is None:  # the start won: refitted on all 600 rows, validation split included
        assert settings["start_refitted_rows"] == 600
        flat = train.reshape(600, -1)
        copies = np.concatenate([flat[:, p.numpy()] for p in image_symmetries((3, 16, 16), settings["pca_symmetry"])])
        symmetric = PCA(8).fit(copies)
        expected = symmetric.inverse_transform(symmetric.transform(test.reshape(300, -1)))
        np.testing.assert_allclose(model.reconstruct(test).reshape(300, -1), expected, atol=1e-4)


def test_a_pca_start_on_digits_keeps_the_plain_pca():
    digits = load_digits().data.reshape(-1, 1, 8, 8) / 16  # a mirrored 2 is no digit
    model = ConvAutoEncoder(latent_dim=8, init="pca", **TINY).fit(digits)
    assert model.history_["settings"]["pca_symmetry"] is None
    trained = ConvAutoEncoder(latent_dim=4, init="pca", channels=(4, 8), max_epochs=5, random_state=0).fit(digits)
    assert trained.history_["best_epoch"] is not None  # an epoch beat the start: nothing refitted under it
    assert "start_refitted_rows" not in trained.history_["settings"]


def test_image_symmetries_are_the_flips_and_turns_of_the_image():
    image = np.arange(2 * 3 * 3).reshape(2, 3, 3)
    copies = [image.reshape(-1)[p.numpy()].reshape(2, 3, 3) for p in image_symmetries((2, 3, 3))]
    assert len(copies) == 8 and len({c.tobytes() for c in copies}) == 8
    np.testing.assert_array_equal(copies[1], image[:, :, ::-1])
    assert any((c == np.rot90(image, axes=(1, 2))).all() for c in copies)
    assert len(image_symmetries((1, 3, 4))) == 4 and len(image_symmetries((1, 3, 3), "mirror")) == 2
    with pytest.raises(ValueError, match="kind must be one of"):
        image_symmetries((1, 3, 3), "rotations")


@pytest.mark.slow
def test_colorization_beats_the_gray_copy_on_held_out_patches():
    """On patches of the training photographs that training did not see (on other photographs
    it does not: benchmarks/conv_images.py --part photos)."""
    gray, colour = load_colorization_patches(32, 700, image=TRAIN_PHOTOS, random_state=0)
    order = np.random.default_rng(0).permutation(len(gray))
    train, test = order[:500], order[500:]
    model = ConvAutoEncoder(random_state=0, max_epochs=10).fit(gray[train], colour[train])
    out, copy = model.reconstruct(gray[test]), np.repeat(gray[test], 3, axis=1)
    error = lambda estimate: np.mean((estimate - colour[test]) ** 2)  # noqa: E731  (PSNR of the pooled MSE)
    assert error(out) < error(copy)
    assert np.mean(ssim(colour[test], out)) > np.mean(ssim(colour[test], copy))
