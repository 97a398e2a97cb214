"""`aekit generate` from any saved image model: the image shape saved with the model or given
with --image-shape, and models without a prior (plain, convolutional) sampled through a
LatentSampler fitted to codes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from aekit import AutoEncoder, ConvAutoEncoder, VariationalAutoEncoder
from aekit.analysis.latent import LatentSampler
from aekit.app.plot import plot_samples
from aekit.app.runs import load_estimator
from aekit.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def png_size(path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def grid_size(tmp_path, image_shape, n: int = 16) -> tuple[int, int]:
    """The pixel size of plot_samples' figure of n samples of 64 features, as images of
    `image_shape` or (None) as a heat map."""
    plot_samples(np.random.default_rng(0).random((n, 64)), image_shape, title="t", path=tmp_path / "reference.png")
    return png_size(tmp_path / "reference.png")


@pytest.fixture(scope="module")
def digits_images(digits):
    return digits[0][:300].astype(np.float32)


def test_generate_from_a_python_saved_mlp_model_with_image_shape(digits_images, tmp_path, capsys):
    folder = tmp_path / "vae"
    VariationalAutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=1, random_state=0).fit(digits_images).save(folder)
    assert main(["generate", str(folder), str(tmp_path / "heat.png")]) == 0  # flat rows: the model cannot know
    assert png_size(tmp_path / "heat.png") == grid_size(tmp_path, None)
    assert main(["generate", str(folder), str(tmp_path / "s.png"), "--image-shape", "8,8"]) == 0
    assert "as 8x8 images" in capsys.readouterr().out
    assert png_size(tmp_path / "s.png") == grid_size(tmp_path, (8, 8)) != grid_size(tmp_path, None)
    assert main(["generate", str(folder), str(tmp_path / "c.png"), "--image-shape", "1,8,8", "-n", "4"]) == 0
    assert png_size(tmp_path / "c.png") == grid_size(tmp_path, (8, 8), n=4)


def test_a_density_or_rows_for_a_model_with_a_prior_are_refused(digits_images, tmp_path, capsys):
    # --density kde (or --data) given for a VAE was ignored: the samples came from its prior all the same
    folder = tmp_path / "vae"
    VariationalAutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=1, random_state=0).fit(digits_images).save(folder)
    assert main(["generate", str(folder), str(tmp_path / "s.npy"), "--density", "kde"]) == 1
    assert "--density chooses the density of a model without a prior; VariationalAutoEncoder draws from its prior" in capsys.readouterr().err
    assert main(["generate", str(folder), str(tmp_path / "s.npy"), "--density", "gmm", "--data", "digits"]) == 1
    assert "leave --density and --data out" in capsys.readouterr().err
    assert not (tmp_path / "s.npy").exists()
def test_image_shape_that_does_not_fit_is_refused_naming_the_option(digits_images, tmp_path, capsys):
    folder = tmp_path / "vae"
    VariationalAutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=1, random_state=0).fit(digits_images).save(folder)
    assert main(["generate", str(folder), str(tmp_path / "s.png"), "--image-shape", "7,8"]) == 1
    assert "--image-shape 7,8 holds 56 values, but VariationalAutoEncoder gives samples of 64 features" in capsys.readouterr().err
    assert main(["generate", str(folder), str(tmp_path / "s.png"), "--image-shape", "2,4,8"]) == 1
    assert "1 (grey) or 3 (colour) channels" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["generate", str(folder), str(tmp_path / "s.png"), "--image-shape", "eight"])
    assert "--image-shape: expected C,H,W or H,W" in capsys.readouterr().err
    assert not (tmp_path / "s.png").exists()


def test_a_conv_autoencoder_folder_generates_through_a_latent_sampler(digits_images, tmp_path, capsys):
    folder = tmp_path / "conv"
    conv = ConvAutoEncoder(latent_dim=4, channels=(4, 8), max_epochs=1, random_state=0)
    conv.fit(digits_images.reshape(-1, 1, 8, 8)).save(folder)
    assert main(["generate", str(folder), str(tmp_path / "s.png")]) == 1
    assert "give those rows with --data SOURCE" in capsys.readouterr().err
    assert main(["generate", str(folder), str(tmp_path / "s.png"), "--data", "digits", "-n", "10"]) == 0
    assert "decoded from a gmm density fitted to its codes as 1x8x8 images" in capsys.readouterr().out
    assert png_size(tmp_path / "s.png") == grid_size(tmp_path, (8, 8), n=10)
    np.save(tmp_path / "rows.npy", digits_images[:50])
    assert main(["generate", str(folder), str(tmp_path / "s.npy"), "--data", str(tmp_path / "rows.npy"), "-n", "5"]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (5, 8, 8) and np.isfinite(samples).all()  # images, as aekit reads them


def test_a_colorization_folder_generates_colour_images(tmp_path, capsys):
    """A model from grey images to colour ones took its samples for grey: 'cannot reshape array of
    size 3072 into shape (16,8,8)', and --image-shape 3,8,8 was refused as 'gives samples of 64 features'."""
    rng = np.random.default_rng(0)
    grey = rng.random((20, 1, 4, 4), dtype=np.float32)
    est = ConvAutoEncoder(latent_dim=2, channels=(2,), colorization="direct", max_epochs=1, random_state=0)
    est.fit(grey, np.concatenate([grey, 1 - grey, grey / 2], axis=1)).save(tmp_path / "colorize")
    np.save(tmp_path / "grey.npy", grey[:, 0])
    for shape in ([], ["--image-shape", "3,4,4"]):
        assert main(["generate", str(tmp_path / "colorize"), str(tmp_path / "s.npy"), "--data", str(tmp_path / "grey.npy"),
                     "-n", "3", *shape]) == 0
        assert "as 3x4x4 images" in capsys.readouterr().out
        expected = LatentSampler(est, density="gmm", random_state=0).fit(grey).sample(3, random_state=0)
        np.testing.assert_allclose(np.load(tmp_path / "s.npy"), expected.reshape(3, 3, 4, 4), atol=1e-6)
    assert main(["generate", str(tmp_path / "colorize"), str(tmp_path / "one.npy"), "--data", str(tmp_path / "grey.npy"), "-n", "1"]) == 0
    assert "wrote 1 sample decoded" in capsys.readouterr().out  # was "wrote 1 samples"
    chroma = ConvAutoEncoder(latent_dim=2, channels=(2,), max_epochs=1, random_state=0)  # its codes hold no lightness
    chroma.fit(grey, np.concatenate([grey, grey, grey * 0.9], axis=1)).save(tmp_path / "chroma")
    assert main(["generate", str(tmp_path / "chroma"), str(tmp_path / "c.npy"), "--data", str(tmp_path / "grey.npy")]) == 1
    assert "'aekit reconstruct MODEL GRAY_IMAGES OUTPUT'" in capsys.readouterr().err  # was only 'reconstruct(X_gray)'


def test_a_vae_fitted_on_4d_images_generates_images_without_the_option(digits_images, tmp_path, capsys):
    folder = tmp_path / "vae"
    vae = VariationalAutoEncoder(latent_dim=2, backbone="conv", channels=(4, 8), max_epochs=1, random_state=0)
    vae.fit(digits_images.reshape(-1, 1, 8, 8)).save(folder)
    assert main(["generate", str(folder), str(tmp_path / "s.png")]) == 0
    assert "as 1x8x8 images" in capsys.readouterr().out
    assert png_size(tmp_path / "s.png") == grid_size(tmp_path, (8, 8))


def test_the_image_shape_is_saved_as_an_optional_fitted_attribute(digits_images, tmp_path):
    ae = AutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=1, random_state=0).fit(digits_images)
    ae.save(tmp_path / "plain")  # fitted on flat rows: no image shape, and the folder loads as before
    assert not hasattr(load_estimator(tmp_path / "plain"), "image_shape_")
    ae.image_shape_ = (1, 8, 8)
    ae.save(tmp_path / "shaped")
    assert load_estimator(tmp_path / "shaped").image_shape_ == (1, 8, 8)


def test_a_run_model_folder_keeps_its_readers_image_shape(tmp_path, capsys):
    """`aekit train` on images saves their shape with the model, so RUN/model alone (a plain
    autoencoder, no prior) generates digits, not a heat map."""
    run = tmp_path / "run"
    args = ["--set", "model.hidden_dims=[16]", "--quiet", "--epochs", "1", "--out", str(run)]
    assert main(["train", "--data", "digits", *args]) == 0
    assert load_estimator(run / "model").image_shape_ == (1, 8, 8)
    assert main(["generate", str(run / "model"), str(tmp_path / "s.png"), "--data", "digits"]) == 0
    assert png_size(tmp_path / "s.png") == grid_size(tmp_path, (8, 8))
    assert main(["generate", str(run), str(tmp_path / "r.png"), "--density", "gaussian"]) == 0  # the run's training rows
    assert "decoded from a gaussian density fitted to its codes as 1x8x8 images" in capsys.readouterr().out


def test_a_new_fit_forgets_the_image_shape(digits_images):
    ae = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(digits_images)
    ae.image_shape_ = (1, 8, 8)
    ae.fit(digits_images[:, :60])
    assert not hasattr(ae, "image_shape_")


def test_an_mlp_vae_fitted_on_4d_images_keeps_their_shape_and_generates_images(digits_images, tmp_path, capsys):
    images = digits_images.reshape(-1, 1, 8, 8)
    vae = VariationalAutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=1, random_state=0).fit(images)
    assert vae.image_shape_ == (1, 8, 8) and vae.transform(images).shape == (len(images), 2)
    np.testing.assert_allclose(vae.transform(images), vae.transform(digits_images), atol=1e-6)
    assert vae.reconstruct(images[:3]).shape == (3, 1, 8, 8) and vae.reconstruct(digits_images[:3]).shape == (3, 64)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(1, 8, 8\)"):
        vae.transform(digits_images.reshape(-1, 1, 4, 16))
    vae.save(tmp_path / "vae")
    assert main(["generate", str(tmp_path / "vae"), str(tmp_path / "s.png")]) == 0
    assert "as 1x8x8 images" in capsys.readouterr().out
    assert png_size(tmp_path / "s.png") == grid_size(tmp_path, (8, 8))


def test_a_plain_autoencoder_fitted_on_images_keeps_their_shape(digits_images, tmp_path, capsys):
    images = digits_images.reshape(-1, 8, 8)  # (n, H, W): one grey channel
    ae = AutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=1, random_state=0).fit(images)
    assert ae.image_shape_ == (1, 8, 8)
    np.testing.assert_allclose(ae.transform(images), ae.transform(digits_images), atol=1e-6)
    ae.save(tmp_path / "ae")
    assert main(["generate", str(tmp_path / "ae"), str(tmp_path / "s.png"), "--data", "digits"]) == 0
    assert png_size(tmp_path / "s.png") == grid_size(tmp_path, (8, 8))


def test_channels_last_images_are_refused_naming_x():
    images = np.random.default_rng(0).random((20, 8, 8, 3)).astype(np.float32)
    with pytest.raises(ValueError, match=r"X has shape \(20, 8, 8, 3\), which looks channels-last"):
        AutoEncoder(max_epochs=1).fit(images)
    ae = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(np.moveaxis(images, -1, 1))
    assert ae.image_shape_ == (3, 8, 8)


def test_samples_of_an_8_bit_npy_run_are_drawn_in_their_own_colours(tmp_path):
    """A run on a uint8 .npy stack (read as pixels / 255) drew its samples stretched to their
    own range, brown (128, 102, 77) as bright orange; they are drawn as stored, as an image
    folder's are."""
    brown = np.array([128, 102, 77], dtype=float)
    stack = np.stack([np.broadcast_to((brown * f).round()[:, None, None], (3, 6, 6)) for f in np.linspace(0.95, 1.05, 16)])
    np.save(tmp_path / "brown.npy", stack.astype(np.uint8))
    run = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "brown.npy"), "--model", "conv", "--epochs", "1", "--out", str(run)]
    assert main([*args, "--quiet", "--set", "model.channels=[4]"]) == 0
    assert main(["generate", str(run), str(tmp_path / "samples.png"), "-n", "4"]) == 0
    pixels = np.asarray(Image.open(tmp_path / "samples.png").convert("RGB")).reshape(-1, 3).astype(int)
    drawn = pixels[pixels.max(axis=1) - pixels.min(axis=1) > 20]
    np.testing.assert_allclose(np.median(drawn, axis=0), brown, atol=20)


@pytest.mark.parametrize("shape", [(60, 12), (60, 3, 4)], ids=["rows", "images"])
def test_samples_and_reconstructions_of_a_uint8_npy_run_are_uint8_values_in_0_255(tmp_path, shape):
    # a run on uint8 pixels (read divided by 255) wrote its samples and reconstructions on [0, 1], not 0..255
    import pandas as pd

    rng = np.random.default_rng(0)
    stack = (rng.random(shape) * 100 + 120).astype(np.uint8)  # pixels 120..219
    np.save(tmp_path / "pixels.npy", stack)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "pixels.npy"), "--epochs", "2", "--quiet", "--out", str(run)]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.npy"), "-n", "5"]) == 0
    assert main(["reconstruct", str(run), str(tmp_path / "pixels.npy"), str(tmp_path / "r.npy")]) == 0
    assert main(["reconstruct", str(run), str(tmp_path / "pixels.npy"), str(tmp_path / "r.csv")]) == 0
    samples, rebuilt = np.load(tmp_path / "s.npy"), np.load(tmp_path / "r.npy")
    assert samples.shape == (5, *shape[1:]) and rebuilt.shape == shape  # an image run's reconstructions are images
    for values in (samples, rebuilt):
        assert values.dtype == np.uint8 and 100 < values.mean() < 240, (values.dtype, values.mean())
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "r.csv").drop(columns="id").to_numpy(), rebuilt.reshape(60, 12))


def test_samples_of_a_table_run_drawn_to_a_png_name_its_columns(tmp_path, monkeypatch):
    # 'aekit generate runs/table samples.png' labelled the heat map's features 0, 1, 2, ... (the .csv named them)
    import pandas as pd

    from aekit.app import plot

    shown = {}
    original = plot.plot_samples

    def record(*args, **kwargs):
        shown.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(plot, "plot_samples", record)
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(40, 3)), columns=["age", "income", "height"]).to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.png"), "-n", "3"]) == 0
    assert shown["feature_names"] == ["age", "income", "height"] and png_size(tmp_path / "s.png")[0] > 0
    assert main(["generate", str(run), str(tmp_path / "s.csv"), "-n", "3"]) == 0
    assert (tmp_path / "s.csv").read_text().splitlines()[0] == "age,income,height"


def write_documents(folder, n: int = 8) -> None:
    """Two labelled subfolders of n .txt documents each, every one 6 words long."""
    for label, words in [("fruit", "apple banana cherry grape melon"), ("pets", "dog cat mouse horse rabbit")]:
        (folder / label).mkdir(parents=True)
        for i in range(n):
            (folder / label / f"{i}.txt").write_text(" ".join(words.split()[j % (i % 5 + 1)] for j in range(6)))


def test_samples_and_reconstructions_of_a_text_run_are_counts_never_below_zero(tmp_path):
    # with the default loss (a linear output) the generated and reconstructed word counts went negative
    write_documents(tmp_path / "docs")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "docs"), "--epochs", "2", "--quiet", "--out", str(run)]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.npy"), "-n", "200", "--density", "gaussian"]) == 0
    assert main(["reconstruct", str(run), str(tmp_path / "docs"), str(tmp_path / "r.npy")]) == 0
    for name in ("s.npy", "r.npy"):
        counts = np.load(tmp_path / name)
        assert counts.min() == 0 and counts.max() > 0.5


def test_samples_of_a_multinomial_text_run_are_counts_of_a_typical_document(tmp_path):
    # they were word proportions (each row summing to 1), unlike the run's reconstructions, which are counts
    write_documents(tmp_path / "docs")
    run = tmp_path / "run"
    args = ["--model", "vae", "--set", "model.likelihood=multinomial", "--epochs", "1", "--quiet", "--out", str(run)]
    assert main(["train", "--data", str(tmp_path / "docs"), *args]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.npy"), "-n", "5"]) == 0
    counts = np.load(tmp_path / "s.npy")
    assert counts.min() >= 0
    np.testing.assert_allclose(counts.sum(axis=1), 6, rtol=1e-5)  # the training documents' length


def test_samples_and_reconstructions_of_an_image_run_with_a_linear_output_are_pixels_in_0_1(tmp_path):
    # a conv autoencoder decoding through a linear output wrote pixels below 0 and above 1 for digits read on [0, 1]
    run = tmp_path / "run"
    args = ["--model", "conv", "--epochs", "2", "--quiet", "--out", str(run), "--set", "model.channels=[4,8]"]
    assert main(["train", "--data", "digits", *args, "--set", "model.loss=mse", "--set", "model.output_activation=linear"]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.npy"), "-n", "100", "--density", "gaussian"]) == 0
    assert main(["reconstruct", str(run), "digits", str(tmp_path / "r.npy")]) == 0
    for name, shape in (("s.npy", (100, 8, 8)), ("r.npy", (1797, 8, 8))):
        pixels = np.load(tmp_path / name)
        assert pixels.shape == shape and pixels.min() == 0 and 0.2 < pixels.max() <= 1


def test_samples_of_a_table_run_are_rows_of_its_columns_with_categories_as_their_labels(tmp_path):
    # the .csv held the one-hot features ('colour=blue', 'colour=green', ...) with fractions in them
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 60
    table = pd.DataFrame({"key": [f"r{i}" for i in range(n)], "age": rng.integers(20, 70, n),
                          "colour": rng.choice(["red", "green", "blue"], n), "income": rng.normal(5e4, 1e4, n),
                          "size": rng.choice(["S", "M", "L"], n), "label": rng.choice(["a", "b"], n)})
    table.to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "run"
    args = ["--set", "data.id_column=key", "--set", "data.target=label", "--epochs", "2", "--quiet", "--out", str(run)]
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--model", "vae", *args]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.csv"), "-n", "20"]) == 0
    samples = pd.read_csv(tmp_path / "s.csv")
    assert list(samples.columns) == ["age", "colour", "income", "size"] and len(samples) == 20
    assert set(samples["colour"]) <= {"red", "green", "blue"} and set(samples["size"]) <= {"S", "M", "L"}
    assert 3e4 < samples["income"].mean() < 7e4 and 20 < samples["age"].mean() < 70  # in the data's units
    assert main(["generate", str(run), str(tmp_path / "s.parquet"), "-n", "20"]) == 0  # was refused: .png, .npy, .csv only
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s.parquet"), samples, check_dtype=False, atol=1e-3)
    assert main(["reconstruct", str(run), str(tmp_path / "t.csv"), str(tmp_path / "r.csv")]) == 0  # was one-hot too
    rebuilt = pd.read_csv(tmp_path / "r.csv")
    assert list(rebuilt.columns) == ["id", "age", "colour", "income", "size"] and rebuilt["id"].tolist() == table["key"].tolist()
    assert set(rebuilt["colour"]) <= {"red", "green", "blue"} and 3e4 < rebuilt["income"].mean() < 7e4


def test_samples_and_reconstructions_of_a_table_run_keep_each_columns_kind(tmp_path):
    # an age came out as 41.99999618530273, a 0/1 flag as 0.6887051463127136 or -0.1 and a bool column as the
    # text 'True': every column was a float32 decoding; whole-number columns are now whole and within their range
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 80
    table = pd.DataFrame({"age": rng.integers(18, 90, n), "visits": rng.poisson(3, n), "smoker": rng.integers(0, 2, n),
                          "bmi": rng.normal(25, 4, n).round(1), "insured": rng.random(n) < 0.5,
                          "region": rng.choice(["north", "south"], n)})
    table.to_parquet(tmp_path / "t.parquet")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.parquet"), "--epochs", "2", "--quiet", "--out", str(run)]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.parquet"), "-n", "50"]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.csv"), "-n", "50"]) == 0
    assert main(["reconstruct", str(run), str(tmp_path / "t.parquet"), str(tmp_path / "r.parquet")]) == 0
    samples, rebuilt = pd.read_parquet(tmp_path / "s.parquet"), pd.read_parquet(tmp_path / "r.parquet")
    for rows in (samples, rebuilt.drop(columns="id")):
        assert list(rows.columns) == list(table.columns)
        assert all(rows[c].dtype.kind == "i" for c in ("age", "visits", "smoker")) and rows["insured"].dtype == bool
        assert rows["age"].between(table["age"].min(), table["age"].max()).all() and set(rows["smoker"]) <= {0, 1}
        assert rows["bmi"].dtype.kind == "f" and set(rows["region"]) <= {"north", "south"}
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "s.csv"), samples, check_dtype=False)  # the same rows
    assert "age,visits,smoker,bmi,insured,region" in (tmp_path / "s.csv").read_text()


def test_samples_of_an_image_run_saved_as_npy_are_images_it_can_read_back(tmp_path, capsys):
    # the .npy held flat rows (n, height * width * channels), which a user had to reshape to view
    rng = np.random.default_rng(0)
    stack = (rng.random((24, 3, 6, 5)) * 255).astype(np.uint8)  # colour, channels-first
    np.save(tmp_path / "colour.npy", stack)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "colour.npy"), "--model", "vae", "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.npy"), "-n", "4"]) == 0
    assert "as 3x6x5 images" in capsys.readouterr().out
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (4, 3, 6, 5)
    assert main(["encode", str(run), str(tmp_path / "s.npy"), str(tmp_path / "codes.npy")]) == 0
    pixels = samples.reshape(4, -1) / np.float32(255)  # uint8, as the training stack: read on [0, 1] again
    np.testing.assert_allclose(np.load(tmp_path / "codes.npy"), load_estimator(run / "model").transform(pixels), atol=1e-5)
    # a folder was refused ("must end in .png, .npy, .csv or .parquet"), where reconstruct writes one PNG per row
    assert main(["generate", str(run), str(tmp_path / "pngs"), "-n", "4", "--seed", "1"]) == 0
    assert f"as 3x6x5 PNG images to {tmp_path / 'pngs'}" in capsys.readouterr().out
    assert main(["generate", str(run), str(tmp_path / "s1.npy"), "-n", "4", "--seed", "1"]) == 0
    for i, sample in enumerate(np.load(tmp_path / "s1.npy")):
        with Image.open(tmp_path / "pngs" / f"{i}.png") as image:
            np.testing.assert_allclose(np.asarray(image, dtype=float), sample.transpose(1, 2, 0), atol=1)
    # -n 2 into that folder left 2.png and 3.png of the earlier draw beside the two new samples without a word
    assert main(["generate", str(run), str(tmp_path / "pngs"), "-n", "2", "--seed", "2"]) == 1
    assert "already holds 2 PNG images that these 2 would not replace (2.png, 3.png)" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "pngs").iterdir()) == ["0.png", "1.png", "2.png", "3.png"]
    assert main(["generate", str(run), str(tmp_path / "pngs"), "-n", "4", "--seed", "2"]) == 0  # replaces them all
    folder = tmp_path / "flat"
    VariationalAutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(rng.random((30, 12))).save(folder)
    assert main(["generate", str(folder), str(tmp_path / "rows"), "-n", "3"]) == 1
    assert "are not images of 1 or 3 channels: give a .npy, .csv, .parquet or .png file, or --image-shape" in capsys.readouterr().err
    assert main(["generate", str(folder), str(tmp_path / "f.npy"), "-n", "3"]) == 0  # rows, not images
    assert np.load(tmp_path / "f.npy").shape == (3, 12)
    assert main(["generate", str(folder), str(tmp_path / "g.npy"), "-n", "3", "--image-shape", "3,4"]) == 0
    assert np.load(tmp_path / "g.npy").shape == (3, 3, 4)
    assert main(["generate", str(folder), str(tmp_path / "h.npy"), "-n", "3", "--image-shape", "2,2,3"]) == 0  # saved, any channels
    assert np.load(tmp_path / "h.npy").shape == (3, 2, 2, 3)
    assert main(["generate", str(folder), str(tmp_path / "h.png"), "-n", "3", "--image-shape", "2,2,3"]) == 1  # drawn
    assert "--image-shape 2,2,3: an image has 1 (grey) or 3 (colour) channels" in capsys.readouterr().err


def test_a_run_on_rows_with_few_distinct_values_generates_without_a_warning(tmp_path, capsys):
    # the default density, a mixture of 10 Gaussians, was fitted to 4 distinct codes and 'aekit generate'
    # printed scikit-learn's "Number of distinct clusters (4) found smaller than n_clusters (10)"
    import pandas as pd

    rng = np.random.default_rng(0)
    rows = rng.normal(size=(4, 3))[rng.integers(0, 4, 60)]
    pd.DataFrame(rows, columns=["a", "b", "c"]).to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "2", "--quiet", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["generate", str(run), str(tmp_path / "s.npy"), "-n", "5"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert np.load(tmp_path / "s.npy").shape == (5, 3)


def test_reconstructions_and_samples_of_a_signed_integer_npy_run_keep_their_negative_values(tmp_path):
    """A run on int16 images with negative values (CT numbers, read divided by their largest
    magnitude, on [-1, 1]) clipped its reconstructions and samples to [0, 1], as if they were
    pixels: every negative value came back 0. They now keep their sign."""
    rng = np.random.default_rng(0)
    stack = np.clip(rng.normal(-600, 150, (24, 6, 10)), -1000, 1000).astype(np.int16)
    np.save(tmp_path / "ct.npy", stack)
    run = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "ct.npy"), "--model", "conv", "--epochs", "2", "--out", str(run)]
    assert main([*args, "--quiet", "--set", "model.channels=[4]", "--set", "model.latent_dim=2"]) == 0
    assert main(["reconstruct", str(run), str(tmp_path / "ct.npy"), str(tmp_path / "r.npy")]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.npy"), "-n", "8"]) == 0
    for name in ("r.npy", "s.npy"):
        values = np.load(tmp_path / name)  # in the file's units, int16 as it was
        assert values.dtype == np.int16 and values.shape[1:] == (6, 10), (name, values.dtype)
        assert -1000 <= values.min() < values.max() < 0, name
    assert abs(np.load(tmp_path / "r.npy").mean() - stack.mean()) < 300


def test_samples_and_reconstructions_of_an_rgba_npy_run_are_saved_as_four_channel_images(tmp_path, capsys):
    """A run on RGBA images (a channels-last .npy of PIL 'RGBA' images, moved channels-first)
    wrote its samples and reconstructions to a .npy as flat rows, the image shape being kept only
    when it could be drawn (1 or 3 channels); a .npy now holds them as images in the layout the
    run read (n, H, W, 4) (they were written channels-first, which the run then misread), and a
    .png still draws the rows."""
    rng = np.random.default_rng(0)
    stack = rng.integers(0, 256, (16, 5, 7, 4)).astype(np.uint8)
    np.save(tmp_path / "rgba.npy", stack)
    run = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "rgba.npy"), "--model", "conv", "--epochs", "1", "--out", str(run), "--quiet"]
    assert main([*args, "--set", "data.channels_last=true", "--set", "model.channels=[4]", "--set", "model.latent_dim=2"]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.npy"), "-n", "3"]) == 0
    assert main(["reconstruct", str(run), str(tmp_path / "rgba.npy"), str(tmp_path / "r.npy")]) == 0
    assert main(["generate", str(run), str(tmp_path / "s4.npy"), "-n", "3", "--image-shape", "4,5,7"]) == 0
    assert np.load(tmp_path / "s.npy").shape == np.load(tmp_path / "s4.npy").shape == (3, 5, 7, 4)
    np.testing.assert_array_equal(np.load(tmp_path / "s.npy"), np.load(tmp_path / "s4.npy"))
    assert np.load(tmp_path / "r.npy").shape == (16, 5, 7, 4)
    assert "wrote 16 reconstructions of 5x7x4 images" in capsys.readouterr().out
    assert main(["reconstruct", str(run), str(tmp_path / "r.npy"), str(tmp_path / "rr.npy")]) == 0  # read back as the run reads
    assert np.load(tmp_path / "rr.npy").shape == (16, 5, 7, 4)
    assert main(["generate", str(run), str(tmp_path / "s.png"), "-n", "3"]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.png"), "-n", "3", "--image-shape", "4,5,7"]) == 1
    assert "1 (grey) or 3 (colour) channels" in capsys.readouterr().err
