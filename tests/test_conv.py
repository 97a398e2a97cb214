"""Convolutional autoencoders: exact output sizes for every upsampling mode, denoising,
inpainting (context encoder), colorization (image targets), persistence and input errors."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch

from aekit import AutoEncoder, DenoisingAutoEncoder
from aekit.nn.corruptions import BlockMasking, ClippedGaussianNoise, make_corruption
from aekit.data.datasets import load_colorization_patches
from aekit.data.images import channels_first
from aekit.estimators.conv import ContextEncoder, ConvAutoEncoder
from aekit.estimators.vae import VariationalAutoEncoder
from aekit.nn.likelihoods import MSE
from aekit.analysis.metrics import psnr, ssim
from aekit.nn.models import AutoEncoderModule
from aekit.nn import ConvDecoder, ConvEncoder, Handoff
from aekit.app.plot import plot_image_rows

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = {"channels": (4, 8), "max_epochs": 3, "random_state": 0}
UPSAMPLINGS = ("interpolate", "transposed", "unpool")


def shapes(n: int, size: int = 16, seed: int = 0) -> np.ndarray:
    """Synthetic grey images (n, 1, size, size): one square, disc or cross of random place,
    size and brightness on black."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:size, :size]
    out = np.zeros((n, 1, size, size))
    for i in range(n):
        r, c = rng.integers(3, size - 3, 2)
        s = rng.integers(2, 5)
        kind = (
            (abs(rows - r) <= s) & (abs(cols - c) <= s),
            (rows - r) ** 2 + (cols - c) ** 2 <= s * s,
            (rows == r) | (cols == c),
        )[i % 3]
        out[i, 0][kind] = rng.uniform(0.4, 1.0)
    return out


@pytest.fixture(scope="module")
def digit_images(digits):
    X_train, X_test, _, _ = digits
    return X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)


# ---- modules: sizes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size, upsampling, bottleneck",
    list(itertools.product([(28, 28), (7, 5), (1, 1), (9, 16)], UPSAMPLINGS, ["dense", "conv"])),
)
def test_decoder_returns_exactly_the_input_size(size, upsampling, bottleneck):
    indices = Handoff()
    parts = dict(channels=(3, 5, 6), kernel_size=3, bottleneck=bottleneck)
    encoder = ConvEncoder((2, *size), 4, pool=upsampling == "unpool", indices=indices, **parts)
    decoder = ConvDecoder(4, (3, *size), upsampling=upsampling, indices=indices, **parts)
    x = torch.rand(5, 2 * size[0] * size[1])
    z = encoder(x)
    assert z.shape == (5, encoder.out_features) and decoder.in_features == encoder.out_features
    assert decoder(z).shape == (5, 3 * size[0] * size[1])
    assert decoder(z[:2]).shape == (2, 3 * size[0] * size[1])  # unpool without indices: top-left fallback


def test_28_goes_down_to_7_and_back():
    encoder = ConvEncoder((1, 28, 28), 16, channels=(8, 16), bottleneck="conv")
    assert encoder.sizes == [(28, 28), (14, 14), (7, 7)] and encoder.out_features == 16 * 7 * 7


def test_unpool_uses_the_encoders_indices_once():
    indices = Handoff()
    encoder = ConvEncoder((1, 6, 6), 3, channels=(2,), pool=True, indices=indices)
    decoder = ConvDecoder(3, (1, 6, 6), channels=(2,), upsampling="unpool", indices=indices)
    torch.nn.init.constant_(encoder.stages[0][0].weight, 0.1)  # positive maps: maxima not all top-left
    torch.nn.init.constant_(decoder.bottleneck[0].bias, 1.0)  # positive values to unpool
    x = torch.rand(4, 36, generator=torch.Generator().manual_seed(0))
    z = encoder(x)
    with_indices = decoder(z)
    assert indices.take(4) is None  # consumed
    assert not torch.equal(with_indices, decoder(z))  # the second decode falls back to top-left


def test_vae_sized_encoder_output():
    encoder = ConvEncoder((1, 8, 8), 2 * 5, channels=(4,))
    mu, log_var = encoder(torch.rand(3, 64)).chunk(2, dim=1)
    assert mu.shape == log_var.shape == (3, 5)


# ---- corruptions and the masked loss -------------------------------------------------------


def test_centre_block_of_given_size_covers_every_channel():
    x = torch.ones(3, 2 * 7 * 9)
    x_tilde, mask = BlockMasking(0.0, shape=(2, 7, 9), position="center", size=(3, 5))(x)
    images = mask.reshape(3, 2, 7, 9)
    assert torch.equal(images[:, 0], images[:, 1])
    expected = torch.zeros(7, 9, dtype=torch.bool)
    expected[2:5, 2:7] = True
    assert all(torch.equal(m, expected) for m in images[:, 0])
    assert torch.equal(x_tilde == 0, mask)
    with pytest.raises(ValueError, match="position"):
        BlockMasking(0.1, shape=(7, 9), position="corner")
    with pytest.raises(ValueError, match="holds it"):
        BlockMasking(0.1, shape=(7, 9), size=(8, 3))


def test_a_small_block_level_still_corrupts_one_entry_per_sample():
    """corruption='block' rounded its run to 0 entries below half an entry: a 2-unit code with
    corruption_level=0.2 (corrupt_on='code'), or 0.1 of 4 pixels, trained without any noise, silently."""
    ae = DenoisingAutoEncoder(corruption="block", corruption_level=0.2, corrupt_on="code", latent_dim=2, hidden_dims=(4,),
                              max_epochs=1, random_state=0).fit(np.random.default_rng(0).normal(size=(20, 6)))
    assert ae.module_.corruption(torch.ones(50, 2), torch.Generator().manual_seed(0))[1].sum(dim=1).eq(1).all()
    patch = BlockMasking(0.1, shape=(2, 2))(torch.ones(50, 4), torch.Generator().manual_seed(0))[1]
    assert patch.sum(dim=1).eq(1).all() and BlockMasking(0.0)(torch.ones(3, 4))[1].sum() == 0


def test_block_noise_on_images_given_to_an_mlp_autoencoder_blanks_a_square_patch():
    """DenoisingAutoEncoder(corruption='block') fitted on images (n, 8, 8) blanked a run of 16
    consecutive pixels (two image rows, wrapping), not the 4 x 4 patch its level asks for."""
    images = np.random.default_rng(0).random((20, 8, 8))
    ae = DenoisingAutoEncoder(corruption="block", corruption_level=0.25, latent_dim=2, hidden_dims=(4,), max_epochs=1,
                              random_state=0).fit(images)
    masks = ae.module_.corruption(torch.ones(30, 64), torch.Generator().manual_seed(0))[1].reshape(30, 8, 8)
    rows, cols = masks.any(dim=2).sum(dim=1), masks.any(dim=1).sum(dim=1)
    assert rows.eq(4).all() and cols.eq(4).all() and masks.sum(dim=(1, 2)).eq(16).all()


def test_clipped_gaussian_stays_in_the_unit_interval():
    x_tilde, mask = make_corruption("clipped_gaussian", 0.5)(torch.full((50, 40), 0.5), torch.Generator().manual_seed(0))
    assert isinstance(make_corruption("clipped_gaussian", 0.5), ClippedGaussianNoise)
    assert x_tilde.min() >= 0 and x_tilde.max() <= 1 and x_tilde.std() > 0.3 and mask.all()


def test_uncorrupted_weight_zero_puts_the_loss_on_the_block_only():
    torch.manual_seed(0)
    shape = (1, 6, 6)
    block = BlockMasking(0.0, shape=shape, position="center", size=(2, 2))
    module = AutoEncoderModule(ConvEncoder(shape, 3, (2,)), ConvDecoder(3, shape, (2,)), MSE(), block, uncorrupted_weight=0.0)
    x = torch.rand(4, 36)
    target = x.clone()
    outside = ~block(x)[1]
    target[outside] = 5.0  # only the pixels outside the block change
    assert torch.allclose(module(x, x).loss, module(x, target).loss)
    module.uncorrupted_weight = 1.0
    assert not torch.allclose(module(x, x).loss, module(x, target).loss)


# ---- estimators ----------------------------------------------------------------------------


@pytest.mark.parametrize("upsampling, bottleneck", list(itertools.product(UPSAMPLINGS, ["dense", "conv"])))
def test_estimator_shapes_for_every_mode(digit_images, upsampling, bottleneck):
    X_train, X_test = digit_images
    model = ConvAutoEncoder(latent_dim=3, upsampling=upsampling, bottleneck=bottleneck, **TINY).fit(X_train[:200])
    Z = model.transform(X_test[:7])
    n_codes = 3 if bottleneck == "dense" else 3 * 2 * 2
    assert Z.shape == (7, n_codes) and len(model.get_feature_names_out()) == n_codes
    assert model.reconstruct(X_test[:7]).shape == (7, 1, 8, 8)
    assert model.reconstruct(X_test[:7, 0]).shape == (7, 8, 8)
    assert model.reconstruct(X_test[:7].reshape(7, -1)).shape == (7, 64)
    assert model.inverse_transform(Z).shape == (7, 64)
    assert model.score_samples(X_test[:7]).shape == (7,)


@pytest.mark.parametrize("size", [(7, 7), (5, 9), (15, 6)])
def test_odd_sizes_come_back_at_their_size(size):
    X = np.random.default_rng(0).random((20, 1, *size))
    for upsampling in UPSAMPLINGS:
        model = ConvAutoEncoder(latent_dim=2, upsampling=upsampling, batch_norm=True, dropout=0.1, **TINY).fit(X)
        assert model.input_shape_ == (1, *size) and model.reconstruct(X).shape == X.shape


def test_batch_norm_trains_on_a_last_batch_of_one_image_and_refuses_a_single_image():
    X = np.random.default_rng(0).random((19, 1, 4, 4))  # 17 training images: batches of 16 and 1, down to 1x1 maps
    params = dict(batch_norm=True, channels=(2, 2, 2), batch_size=16, latent_dim=2, max_epochs=1, random_state=0)
    model = ConvAutoEncoder(**params).fit(X)
    assert model.history_["settings"]["n_train"] == 17 and np.isfinite(model.history_["loss"]).all()
    assert np.isfinite(model.transform(X)).all()
    with pytest.raises(ValueError, match="batch_norm=True needs at least 2 training rows"):
        ConvAutoEncoder(**params).fit(X[:1])
    with pytest.raises(ValueError, match="batch_size=1"):
        ConvAutoEncoder(**{**params, "batch_size": 1}).fit(X)


def test_batch_norm_trains_on_a_streamed_file_whose_last_chunk_is_one_image(tmp_path):
    """A .npy streamed by path is read in chunks of 65,536 rows; one row more left a last chunk of
    one image, trained alone: 'Expected more than 1 value per channel when training'."""
    np.save(tmp_path / "rows.npy", np.random.default_rng(0).random((65537, 4), dtype=np.float32))
    model = ConvAutoEncoder(
        latent_dim=1, input_shape=(1, 2, 2), channels=(2,), batch_norm=True, batch_size=65536, max_epochs=1,
        validation_fraction=0.0, random_state=0,
    ).fit(tmp_path / "rows.npy")
    assert model.history_["settings"]["n_train"] == 65537 and np.isfinite(model.history_["loss"]).all()


@pytest.mark.parametrize("make", [
    lambda: ConvAutoEncoder(latent_dim=2, channels=(2,), max_epochs=1, random_state=0),
    lambda: VariationalAutoEncoder(latent_dim=2, backbone="conv", channels=(2,), max_epochs=1, random_state=0),
    lambda: AutoEncoder(latent_dim=2, hidden_dims=(4,), max_epochs=1, random_state=0),
], ids=["conv", "vae", "mlp"])  # fmt: skip
def test_integer_images_in_memory_warn_naming_the_divisor_the_command_line_uses(make):
    X = np.random.default_rng(0).integers(0, 256, (20, 1, 4, 4)).astype(np.uint8)
    with pytest.warns(UserWarning, match=r"uint8 integers .*divided by 255.*pass X / 255") as record:
        model = make().fit(X)
    assert len(record) == 1 and (getattr(model, "input_shape_", None) or model.image_shape_) == (1, 4, 4)
    scaled = make().fit(X / 255)  # warnings are errors here: scaled images fit silently
    with pytest.warns(UserWarning, match=r"uint8 integers .*fitted on pixels in \[0, 1\].*pass X / 255"):
        scaled.transform(X)  # the same integers given to a model fitted on [0, 1] pixels
    scaled.transform((X > 128).astype(np.uint8))  # 0/1 integers are within its range: silent


def test_flat_rows_with_input_shape_and_inferred_shape(digit_images):
    X_train, _ = digit_images
    flat = X_train[:100].reshape(100, -1)
    assert ConvAutoEncoder(input_shape=(8, 8), **TINY).fit(flat).input_shape_ == (1, 8, 8)
    assert ConvAutoEncoder(**TINY).fit(flat).input_shape_ == (1, 8, 8)  # 64 is a square
    with pytest.raises(ValueError, match=r"flat rows of 10 features, which are not a square .* pass input_shape="):
        ConvAutoEncoder(**TINY).fit(flat[:, :10])  # no 1 x 10 strip: the shape is not guessed
    assert ConvAutoEncoder(input_shape=(2, 5), **TINY).fit(flat[:, :10]).input_shape_ == (1, 2, 5)


def test_denoising_beats_the_noisy_input(digit_images):
    X_train, X_test = digit_images
    noisy = np.clip(X_test + 0.4 * np.random.default_rng(1).normal(size=X_test.shape), 0, 1)
    dae = ConvAutoEncoder(
        latent_dim=16, channels=(8, 16), corruption="clipped_gaussian", corruption_level=0.4,
        max_epochs=15, batch_size=64, learning_rate=3e-3, random_state=0,
    ).fit(X_train)
    denoised = dae.reconstruct(noisy)
    assert np.mean((denoised - X_test) ** 2) < 0.6 * np.mean((noisy - X_test) ** 2)
    assert psnr(X_test[:, 0], denoised[:, 0]).mean() > psnr(X_test[:, 0], noisy[:, 0]).mean() + 2  # dB


def test_inpainting_changes_only_the_masked_pixels(digit_images):
    X_train, X_test = digit_images
    ce = ContextEncoder(mask="random", mask_size=3, context_weight=0.1, **TINY).fit(X_train[:300])
    rng = np.random.default_rng(0)
    mask = rng.random(X_test[:20].shape) < 0.2
    filled = ce.inpaint(X_test[:20], mask)
    assert filled.shape == X_test[:20].shape and filled.dtype == X_test.dtype
    np.testing.assert_array_equal(filled[~mask], X_test[:20][~mask])
    assert not np.allclose(filled[mask], X_test[:20][mask])
    centre = np.zeros((8, 8), dtype=bool)
    centre[2:5, 2:5] = True
    flat = ce.inpaint(X_test[:5].reshape(5, -1), centre.ravel())  # one mask broadcast over the rows
    np.testing.assert_array_equal(flat[:, ~centre.ravel()], X_test[:5].reshape(5, -1)[:, ~centre.ravel()])
    # an image's mask (8, 8) for flat rows was refused: "does not broadcast to X's shape (5, 64)"
    np.testing.assert_array_equal(ce.inpaint(X_test[:5].reshape(5, -1), centre), flat)
    with pytest.raises(ValueError, match="does not broadcast"):
        ce.inpaint(X_test[:5], np.ones((3, 3), dtype=bool))
    # a fractional mask was read as True everywhere and every pixel filled without a word
    np.testing.assert_array_equal(ce.inpaint(X_test[:5], centre.astype(int)), ce.inpaint(X_test[:5], centre))
    with pytest.raises(ValueError, match=r"mask must hold booleans or 0/1, got the value 0\.5.*mask > 0\.5"):
        ce.inpaint(X_test[:5], np.full((8, 8), 0.5))


@pytest.mark.parametrize(
    ("make", "does"),
    [(lambda: ConvAutoEncoder(corruption="clipped_gaussian", latent_dim=2, **TINY), r"clips .* to \[0, 1\]"),
     (lambda: DenoisingAutoEncoder(corruption="clipped_gaussian", latent_dim=2, max_epochs=1, random_state=0), r"clips .* to \[0, 1\]"),
     (lambda: DenoisingAutoEncoder(corruption="salt_pepper", latent_dim=2, max_epochs=1, random_state=0), r"sets .* 0 \(pepper\) or 1 \(salt\)")],
    ids=["conv", "mlp", "mlp-salt_pepper"],
)
def test_clipped_noise_on_pixels_beyond_0_1_is_refused_naming_the_range(make, does):
    """corruption='clipped_gaussian' clips the noisy inputs to [0, 1]: 8-bit pixels (0..255)
    were trained on as near-binary images without a word; 'salt_pepper' salted them with 1 (near
    black). They are refused, and X / 255 fits."""
    images = np.random.default_rng(0).integers(0, 256, size=(20, 1, 8, 8)).astype(np.uint8)
    with pytest.raises(ValueError, match=r"corruption='\w+' " + does + r".*\[0, 255\]"):
        with pytest.warns(UserWarning, match=r"pass X / 255"):  # integer images in memory warn with the divisor
            make().fit(images)
    make().fit(images / 255)


@pytest.mark.parametrize("corruption", ["mask", "salt_pepper", "block"])
def test_a_fraction_of_pixels_above_one_is_refused_naming_corruption_level(corruption):
    """corruption_level is the fraction of pixels masked (or salted, or the block's area): 2.0 trained
    on blank images for 'mask' and 'salt_pepper' without a word, as 'block' already refused."""
    images = np.random.default_rng(0).random((10, 1, 4, 4))
    with pytest.raises(ValueError, match=r"corruption_level is the fraction of .* a number in \[0, 1\], got 2.0"):
        ConvAutoEncoder(corruption=corruption, corruption_level=2.0, **TINY).fit(images)
    with pytest.raises(ValueError, match="corruption_level is the fraction"):
        DenoisingAutoEncoder(corruption=corruption, corruption_level=1.5, max_epochs=1).fit(images.reshape(10, -1))
    with pytest.raises(ValueError, match=r"corruption_level=0.5 sets .* but corruption=None adds none"):  # was unused, silently
        ConvAutoEncoder(corruption_level=0.5, **TINY).fit(images)


@pytest.mark.parametrize("cls", [ConvAutoEncoder, ContextEncoder])
@pytest.mark.parametrize("loss", ["poisson", "multinomial"])
def test_a_count_loss_on_negative_pixels_is_refused_as_the_mlp_refuses_it(cls, loss):
    """A count loss on values below 0 (centred images) trained without a word, where AutoEncoder refused it."""
    images = np.random.default_rng(0).random((10, 1, 4, 4)) - 0.5
    with pytest.raises(ValueError, match=f"loss='{loss}' needs non-negative counts in X, got a value of -0.4"):
        cls(loss=loss, **TINY).fit(images)


def test_a_per_pixel_mask_of_colour_images_is_refused_asking_for_its_channel_axis():
    """A mask (n, H, W) for colour images (n, 3, H, W) does not broadcast; the refusal now says
    to give it the channel axis, mask[:, None], which inpaints every channel of those pixels."""
    images = np.random.default_rng(0).random((6, 3, 8, 8)).astype(np.float32)
    ce = ContextEncoder(mask_size=2, **TINY).fit(images)
    mask = np.zeros((6, 8, 8), dtype=bool)
    mask[:, 3:5, 3:5] = True
    with pytest.raises(ValueError, match=r"mask of shape \(6, 8, 8\) does not broadcast.*mask\[:, None\]"):
        ce.inpaint(images, mask)
    changed = ce.inpaint(images, mask[:, None]) != images
    assert changed[:, :, 3:5, 3:5].all() and changed.sum() == 6 * 3 * 4


def test_per_image_masks_of_as_many_colour_images_as_channels_are_refused_not_read_per_channel():
    """Three colour images (3, 3, H, W) with one mask each (3, H, W): the masks broadcast as one
    per channel, so image 0 was filled where each image's own mask was, channel by channel,
    without a word. Such a mask is refused naming mask[:, None] (per image) and mask[None] (per
    channel), and each reads as it says."""
    images = np.random.default_rng(0).random((6, 3, 8, 8)).astype(np.float32)
    ce = ContextEncoder(mask_size=2, **TINY).fit(images)
    mask = np.zeros((3, 8, 8), dtype=bool)
    mask[0, :4], mask[1, 4:], mask[2, :, :4] = True, True, True
    with pytest.raises(ValueError, match=r"mask of shape \(3, 8, 8\) is ambiguous.*mask\[:, None\].*mask\[None\]"):
        ce.inpaint(images[:3], mask)
    per_image = ce.inpaint(images[:3], mask[:, None]) != images[:3]
    np.testing.assert_array_equal(per_image, np.repeat(mask[:, None], 3, axis=1))
    per_channel = ce.inpaint(images[:3], mask[None]) != images[:3]
    np.testing.assert_array_equal(per_channel, np.repeat(mask[None], 3, axis=0))


def test_context_encoder_fills_the_centre_better_than_the_mean(digit_images):
    X_train, X_test = digit_images
    ce = ContextEncoder(mask_size=4, channels=(8, 16), max_epochs=15, batch_size=64, learning_rate=3e-3, random_state=0)
    ce.fit(X_train)
    centre = np.zeros((1, 8, 8), dtype=bool)
    centre[0, 2:6, 2:6] = True
    filled = ce.inpaint(X_test, centre)
    mean_fill = np.where(centre, X_train[:, centre].mean(), X_test)
    assert np.mean((filled - X_test)[:, centre] ** 2) < 0.7 * np.mean((mean_fill - X_test)[:, centre] ** 2)


def test_chroma_colorization_refuses_8_bit_targets_or_gray_naming_the_range():
    """Colour targets as PIL gives them (uint8, 0..255) beside gray X in [0, 1] trained chroma of
    255 times the scale of the lightness it is rebuilt around: reds came back orange with no
    blue (mean error 0.22 against 0.07 for Y / 255), without a word. Y or X beyond [0, 1] is now
    refused at fit (and X at reconstruct), naming which and the range; 'direct' keeps any units."""
    rng = np.random.default_rng(0)
    Y8 = rng.integers(0, 256, size=(12, 3, 6, 6)).astype(np.uint8)
    gray = (Y8 / 255).mean(axis=1, keepdims=True)
    make = lambda **kw: ConvAutoEncoder(latent_dim=2, channels=(4,), max_epochs=1, random_state=0, **kw)
    with pytest.raises(ValueError, match=r"colorization_='chroma' .* Y holds values in \[\d+, 255\]: .*/ 255"):
        make().fit(gray, Y8)
    with pytest.raises(ValueError, match=r"X holds values in \[\d+(\.\d+)?, \d+(\.\d+)?\]"):
        make().fit(gray * 255, Y8 / 255)
    est = make().fit(gray, Y8 / 255)
    assert est.colorization_ == "chroma" and est.reconstruct(gray).shape == (12, 3, 6, 6)
    with pytest.raises(ValueError, match=r"X holds values in"):
        est.reconstruct(gray * 255)
    assert make(colorization="direct").fit(gray, Y8).reconstruct(gray).shape == (12, 3, 6, 6)


@pytest.mark.slow
def test_colorization_learns_a_known_gray_to_colour_map():
    """A map whose colour's luma is not the gray input: colorization='direct' predicts the targets
    as they are (the default keeps the input as the luma)."""
    gray, gray_test = shapes(400), shapes(100, seed=1)
    colour_of = lambda g: np.concatenate([g, g**2, 1 - g], axis=1)  # noqa: E731
    model = ConvAutoEncoder(
        latent_dim=4, channels=(8, 16), bottleneck="conv", max_epochs=40, batch_size=32, learning_rate=3e-3,
        colorization="direct", random_state=0,
    ).fit(gray, colour_of(gray))  # fmt: skip
    assert model.input_shape_ == (1, 16, 16) and model.output_shape_ == (3, 16, 16)
    predicted = model.reconstruct(gray_test)
    assert predicted.shape == (100, 3, 16, 16)
    target = colour_of(gray_test)
    baseline = np.mean((target - colour_of(gray).mean(axis=0)) ** 2)
    assert np.mean((predicted - target) ** 2) < 0.25 * baseline
    with pytest.raises(ValueError, match="compare reconstruct"):
        model.score_samples(gray_test)


def test_colorization_patches_from_the_sample_photographs():
    gray, colour = load_colorization_patches(patch_size=12, n_patches=9, random_state=0)
    assert gray.shape == (9, 1, 12, 12) and colour.shape == (9, 3, 12, 12)
    assert gray.dtype == colour.dtype == np.float32 and 0 <= colour.min() and colour.max() <= 1
    model = ConvAutoEncoder(latent_dim=2, **TINY).fit(gray, colour.reshape(9, -1))
    assert model.reconstruct(gray).shape == (9, 3, 12, 12)


@pytest.mark.parametrize(
    "model, targets",
    [
        (ConvAutoEncoder(latent_dim=3, loss="bce", **TINY), False),
        (ConvAutoEncoder(latent_dim=2, upsampling="unpool", bottleneck="conv", batch_norm=True, **TINY), False),
        (ContextEncoder(latent_dim=3, mask_size=3, upsampling="transposed", **TINY), False),
        (ConvAutoEncoder(latent_dim=2, corruption="block", **TINY), True),
    ],
    ids=["bce", "unpool-conv-bn", "context", "colour"],
)
def test_save_load_round_trip(tmp_path, digit_images, model, targets):
    X_train, X_test = digit_images
    X = X_train[:100]
    model.fit(X, np.concatenate([X, 1 - X, X], axis=1) if targets else None)
    loaded = type(model).load(model.save(tmp_path / "m"))
    assert loaded.get_params() == model.get_params()
    assert loaded.input_shape_ == model.input_shape_ and loaded.output_shape_ == model.output_shape_
    np.testing.assert_array_equal(loaded.transform(X_test), model.transform(X_test))
    np.testing.assert_array_equal(loaded.reconstruct(X_test), model.reconstruct(X_test))
    if isinstance(model, ContextEncoder):
        mask = np.zeros((8, 8), dtype=bool)
        mask[3:6, 3:6] = True
        np.testing.assert_array_equal(loaded.inpaint(X_test, mask), model.inpaint(X_test, mask))


@pytest.mark.parametrize("variance", ["feature", "sample"])
def test_vae_with_a_convolutional_backbone(tmp_path, digit_images, variance):
    X_train, X_test = (X.reshape(len(X), -1) for X in digit_images)
    vae = VariationalAutoEncoder(
        latent_dim=4, backbone="conv", channels=(4, 8), likelihood="gaussian", gaussian_variance=variance,
        max_epochs=3, random_state=0,
    ).fit(X_train[:200])
    assert isinstance(vae.module_.encoder, ConvEncoder) and isinstance(vae.module_.decoder, ConvDecoder)
    assert vae.sample(3, random_state=0).shape == (3, 64) and vae.transform(X_test[:5]).shape == (5, 4)
    assert np.isfinite(vae.score_samples(X_test[:5])).all()
    loaded = VariationalAutoEncoder.load(vae.save(tmp_path / "vae"))
    np.testing.assert_array_equal(loaded.transform(X_test), vae.transform(X_test))
    with pytest.raises(ValueError, match=r"X has 64 features, but input_shape=\(1, 7, 7\) needs 49"):
        VariationalAutoEncoder(backbone="conv", input_shape=(7, 7), max_epochs=1).fit(X_train[:20])


def test_vae_with_a_convolutional_backbone_takes_images(tmp_path, digit_images):
    X_train, X_test = digit_images
    vae = VariationalAutoEncoder(latent_dim=4, backbone="conv", channels=(4, 8), likelihood="gaussian", max_epochs=2, random_state=0)
    assert vae.fit(X_train[:100]).input_shape_ == (1, 8, 8)
    np.testing.assert_array_equal(vae.transform(X_test[:5]), vae.transform(X_test[:5].reshape(5, -1)))
    assert vae.reconstruct(X_test[:5]).shape == (5, 1, 8, 8) and vae.reconstruct(X_test[:5, 0]).shape == (5, 8, 8)
    assert vae.reconstruct(X_test[:5], n_samples=2).shape == (2, 5, 1, 8, 8)
    assert vae.fit(X_train[:100, 0]).input_shape_ == (1, 8, 8) and vae.score_samples(X_test[:5, 0]).shape == (5,)
    loaded = VariationalAutoEncoder.load(vae.save(tmp_path / "vae"))
    assert loaded.input_shape_ == (1, 8, 8)
    np.testing.assert_array_equal(loaded.reconstruct(X_test[:5]), vae.reconstruct(X_test[:5]))
    with pytest.raises(ValueError, match=r"images of shape \(1, 4, 4\), but VariationalAutoEncoder was fitted on images of shape"):
        vae.transform(X_test[:5, :, :4, :4])
    mlp = VariationalAutoEncoder(likelihood="gaussian", max_epochs=1).fit(X_train[:20])  # images as flat rows
    assert mlp.image_shape_ == (1, 8, 8) and not hasattr(mlp, "input_shape_")


# ---- errors --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted(digit_images):
    return ConvAutoEncoder(latent_dim=2, **TINY).fit(digit_images[0][:100])


@pytest.mark.parametrize(
    "X, message",
    [
        (np.zeros((3, 1, 9, 8)), r"X has images of shape \(1, 9, 8\), but ConvAutoEncoder was fitted on images of shape \(1, 8, 8\)"),
        (np.zeros((3, 3, 8, 8)), r"X has images of shape \(3, 8, 8\)"),
        (np.zeros((3, 63)), "X has 63 features, but ConvAutoEncoder is expecting 64"),
        (np.zeros((3, 1, 1, 8, 8)), r"X must be images .* got an array of shape \(3, 1, 1, 8, 8\)"),
    ],
    ids=["height", "channels", "flat", "5-d"],
)
def test_wrong_input_shape_is_a_clear_error(fitted, X, message):
    with pytest.raises(ValueError, match=message):
        fitted.transform(X)


IMAGE_MODELS = pytest.mark.parametrize(
    "make",
    [lambda: ConvAutoEncoder(latent_dim=2, **TINY), lambda: AutoEncoder(latent_dim=2, max_epochs=1, random_state=0),
     lambda: VariationalAutoEncoder(latent_dim=2, backbone="conv", channels=(4,), max_epochs=1, random_state=0)],
    ids=["conv", "mlp", "conv_vae"],
)


@IMAGE_MODELS
def test_one_colour_image_without_its_batch_axis_is_refused_asking_for_x_none(make):
    """A single (3, H, W) image is a 3-D X, read as 3 grey images: the refusal said 'X has images
    of shape (1, 8, 8)', a shape the user never gave; it now names X's shape and X[None]."""
    images = np.random.default_rng(0).random((20, 3, 8, 8)).astype(np.float32)
    est = make().fit(images)
    with pytest.raises(ValueError, match=r"X has shape \(3, 8, 8\).*one image.*X\[None\]"):
        est.transform(images[0])


@IMAGE_MODELS
def test_one_channels_last_image_as_pil_gives_it_is_refused_asking_for_channels_first(make):
    """A single photo as PIL gives it, (H, W, 3), reads as H grey images: the refusal said 'X has
    images of shape (1, 10, 3)', a shape the user never gave; it now says it looks like one
    channels-last image and how to pass it."""
    images = np.random.default_rng(0).random((20, 3, 6, 10)).astype(np.float32)
    est = make().fit(images)
    photo = np.moveaxis(images[0], 0, -1)  # (6, 10, 3)
    for method in (est.transform, est.reconstruct, est.score_samples):
        with pytest.raises(ValueError, match=r"X has shape \(6, 10, 3\).*one channels-last image.*channels_first\(X\[None\]\)"):
            method(photo)
    np.testing.assert_allclose(est.transform(channels_first(photo[None])), est.transform(images[:1]))


@IMAGE_MODELS
def test_one_grey_image_without_its_batch_axis_is_refused_asking_for_x_none(make):
    """A single grey (H, W) image is a 2-D X, read as H rows: the refusal said 'X has 10 features,
    but ... is expecting 60', without a word of images; it now names X's shape and X[None]."""
    images = np.random.default_rng(0).random((20, 6, 10)).astype(np.float32)
    est = make().fit(images)
    for method in (est.transform, est.reconstruct, est.score_samples):
        with pytest.raises(ValueError, match=r"X has shape \(6, 10\), which reads as 6 rows of 10 features.*X\[None\]"):
            method(images[0])
    np.testing.assert_allclose(est.transform(images[0][None]), est.transform(images[:1]))


def test_inconsistent_shapes_at_fit_are_clear_errors(digit_images):
    X = digit_images[0][:30]
    with pytest.raises(ValueError, match=r"X has images of shape \(1, 8, 8\), but input_shape=\(1, 4, 16\)"):
        ConvAutoEncoder(input_shape=(4, 16), **TINY).fit(X)
    with pytest.raises(ValueError, match=r"X has 64 features, but input_shape=\(1, 7, 7\) needs 49"):
        ConvAutoEncoder(input_shape=(7, 7), **TINY).fit(X.reshape(30, -1))
    with pytest.raises(ValueError, match="input_shape must be"):
        ConvAutoEncoder(input_shape=(1, 1, 8, 8), **TINY).fit(X.reshape(30, -1))
    with pytest.raises(ValueError, match="Y has images of 9x8, but X has 8x8"):
        ConvAutoEncoder(**TINY).fit(X, np.zeros((30, 3, 9, 8)))
    with pytest.raises(ValueError, match="Y has 100 columns"):
        ConvAutoEncoder(**TINY).fit(X, np.zeros((30, 100)))
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        ConvAutoEncoder(kernel_size=4, **TINY).fit(X)
    with pytest.raises(ValueError, match="mask_size=9 does not fit"):
        ContextEncoder(mask_size=9, **TINY).fit(X)
    with pytest.raises(ValueError, match="y must be None or labels"):
        ContextEncoder(**TINY).fit(X, X)


# ---- metrics and plots ---------------------------------------------------------------------


def test_image_metrics_come_from_scikit_image():
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    rng = np.random.default_rng(0)
    a, b = rng.random((2, 16, 16)), rng.random((2, 16, 16))
    expected = structural_similarity(a[0], b[0], data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    assert ssim(a, b)[0] == pytest.approx(expected)
    assert psnr(a, b)[1] == pytest.approx(peak_signal_noise_ratio(a[1], b[1], data_range=1.0))
    assert np.isinf(psnr(a, a)).all() and np.allclose(ssim(a, a), 1.0)
    assert ssim(rng.random((2, 3, 8, 8)), rng.random((2, 3, 8, 8))).shape == (2,)


@pytest.mark.parametrize("metric", [ssim, psnr], ids=["ssim", "psnr"])
def test_8_bit_images_with_the_unit_data_range_are_refused_naming_data_range(metric):
    """uint8 images (0..255) scored with data_range=1.0 gave a PSNR of -15 dB; images whose
    values span more than data_range are now refused, and data_range=255 scores them."""
    rng = np.random.default_rng(0)
    a = (rng.random((2, 3, 8, 8)) * 255).astype(np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-10, 10, a.shape), 0, 255).astype(np.uint8)
    with pytest.raises(ValueError, match=r"images_true span 0\.\.25[0-9].*data_range=1\.0.*data_range=255"):
        metric(a, b)
    np.testing.assert_allclose(metric(a, b, data_range=255), metric(a / 255, b / 255), rtol=1e-6)


def test_image_rows_figure(digit_images):
    from matplotlib.figure import Figure

    _, X_test = digit_images
    gray, colour = load_colorization_patches(patch_size=12, n_patches=4)
    fig = plot_image_rows({"noisy": X_test[:4], "denoised": X_test[:4, 0], "clean": X_test[:4].reshape(4, -1)}, image_shape=(8, 8))
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert isinstance(plot_image_rows({"gray": gray, "colorized": colour, "original": colour}, n=3), Figure)
    with pytest.raises(ValueError, match="one height x width"):
        plot_image_rows({"a": X_test[:2], "b": gray})


MNIST_HOME = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.slow
@pytest.mark.skipif(not (MNIST_HOME / "mnist").is_dir(), reason="../shared/data/mnist is absent")
def test_default_model_does_not_decode_mnist_to_black():
    """With activation='relu' (the old default) this model lost its units on MNIST and decoded
    every image to black (loss stuck at the all-zero output's error); the default ELU learns."""
    from aekit.data.datasets import load_mnist

    X = load_mnist("train", data_home=MNIST_HOME, max_rows=6000).X.astype(np.float32)
    model = ConvAutoEncoder(latent_dim=16, channels=(16, 32), learning_rate=2e-3, batch_size=128, max_epochs=2,
                            random_state=0).fit(X)  # fmt: skip
    black = float(np.mean(X**2))
    assert float(np.mean((model.reconstruct(X[:1000]) - X[:1000]) ** 2)) < 0.6 * black


@pytest.mark.parametrize("make", [
    lambda: ConvAutoEncoder(latent_dim=2, channels=(4,), max_epochs=1),
    lambda: ContextEncoder(latent_dim=2, channels=(4,), mask_size=2, max_epochs=1),
    lambda: VariationalAutoEncoder(latent_dim=2, backbone="conv", channels=(4,), max_epochs=1),
], ids=["conv", "context", "vae"])
def test_a_list_of_images_of_several_sizes_is_refused_naming_two_of_them(make):
    """A list of photos of several sizes (as PIL opens them) failed with numpy's "setting an array
    element with a sequence ... inhomogeneous shape"; it now names an image of another size."""
    rng = np.random.default_rng(0)
    photos = [rng.random((3, 6, 10)), rng.random((3, 6, 10)), rng.random((3, 8, 10))]
    with pytest.raises(ValueError, match=r"X\[2\] is \(3, 8, 10\) but X\[0\] is \(3, 6, 10\).*resize"):
        make().fit(photos)
    model = make().fit(photos[:2])
    assert model.input_shape_ == (3, 6, 10)
    with pytest.raises(ValueError, match=r"X\[1\] is \(6, 9\) but X\[0\] is \(6, 10\)"):
        model.transform([rng.random((6, 10)), rng.random((6, 9))])


def test_a_npy_of_images_given_by_path_is_refused_saying_how_to_stream_it(tmp_path):
    """A (n, C, H, W) .npy passed by path (to stream it) was refused as 'a non-empty 2-D array is
    needed', without a word of images; the refusal now gives both ways, which work."""
    images = np.random.default_rng(0).random((12, 3, 6, 8)).astype(np.float32)
    np.save(tmp_path / "images.npy", images)
    with pytest.raises(ValueError, match=r"holds images of shape \(12, 3, 6, 8\).*mmap_mode.*input_shape=\(3, 6, 8\)"):
        ConvAutoEncoder(latent_dim=2, channels=(4,), max_epochs=1).fit(str(tmp_path / "images.npy"))
    np.save(tmp_path / "rows.npy", images.reshape(len(images), -1))
    streamed = ConvAutoEncoder(latent_dim=2, channels=(4,), max_epochs=1, input_shape=(3, 6, 8), random_state=0)
    assert streamed.fit(str(tmp_path / "rows.npy")).input_shape_ == (3, 6, 8)
    mapped = np.load(tmp_path / "images.npy", mmap_mode="r")
    in_memory = ConvAutoEncoder(latent_dim=2, channels=(4,), max_epochs=1, random_state=0).fit(mapped)
    assert in_memory.reconstruct(mapped).shape == images.shape


@pytest.mark.parametrize(
    ("params", "X", "message"),
    [({"corrupt_on": "code"}, np.full((20, 6), 0.5), r"corruption='clipped_gaussian' with corrupt_on='code'.*latent_activation=None"),
     ({"loss": "poisson"}, np.full((20, 6), 3.0), r"corruption='clipped_gaussian' clips .* to \[0, 1\].*\[3, 3\]"),
     ({"corrupt_on": "code", "corruption": "salt_pepper"}, np.full((20, 6), 0.5), r"corruption='salt_pepper' with corrupt_on='code'.*latent_activation=None")],
    ids=["linear-code", "counts-through-log1p", "salt_pepper-linear-code"],
)
def test_clipped_noise_on_a_code_or_counts_beyond_0_1_is_refused(params, X, message):
    """The clip to [0, 1] also cut a linear code (corrupt_on='code') and word counts read through
    input_transform='log1p' (the noise acts on X before the transform) down to [0, 1] in training,
    silently; both are refused, and a sigmoid code is not."""
    params = {"corruption": "clipped_gaussian", **params}
    with pytest.raises(ValueError, match=message):
        DenoisingAutoEncoder(latent_dim=2, max_epochs=1, random_state=0, **params).fit(X)
    DenoisingAutoEncoder(corruption=params["corruption"], corrupt_on="code", latent_activation="sigmoid", latent_dim=2,
                         hidden_dims=(4,), max_epochs=1, random_state=0).fit(X)
