"""`aekit.data.datasets`: every loader on small files written here, checksums, the data folder
lookup, download from a mirror, and (when ../shared/data is present) the real IDX files."""

from __future__ import annotations

import re

import gzip
import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aekit.data import datasets
from aekit.data.readers import Reader, load, reader_for
from aekit.data.datasets import (
    IDX_SETS,
    IdxSet,
    load_csv,
    load_digits,
    load_fashion_mnist,
    load_image_folder,
    load_mnist,
    load_npy,
    load_parquet,
    read_idx,
)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def write_idx(path: Path, array: np.ndarray) -> Path:
    """An IDX file (gzipped when the name ends in .gz) holding a uint8 array."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


@pytest.fixture
def fake_mnist(tmp_path):
    """A data home with tiny MNIST-shaped files: 6 train and 4 test images of 28x28."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "home" / "mnist"
    folder.mkdir(parents=True)
    arrays = {}
    for split, n in (("train", 6), ("t10k", 4)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
        arrays[split] = (images, labels)
    return tmp_path / "home", arrays


# ---- IDX --------------------------------------------------------------------------------------


def test_read_idx_round_trips_plain_and_gzipped(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    for name in ("a.idx", "a.idx.gz"):
        np.testing.assert_array_equal(read_idx(write_idx(tmp_path / name, array)), array)


@pytest.mark.parametrize(
    "data, message",
    [(b"\x01\x00\x08\x01", "magic"), (bytes([0, 0, 8, 2]) + struct.pack(">2I", 3, 3) + b"\x00" * 5, "needs 9")],
)
def test_read_idx_refuses_bad_files(tmp_path, data, message):
    (tmp_path / "bad.idx").write_bytes(data)
    with pytest.raises(ValueError, match=message):
        read_idx(tmp_path / "bad.idx")


def test_load_mnist_scales_pixels_and_pairs_labels(fake_mnist):
    home, arrays = fake_mnist
    train = load_mnist(data_home=home, verify=False)
    images, labels = arrays["train"]
    assert train.X.shape == (6, 784) and train.X.dtype == np.float32
    np.testing.assert_allclose(train.X, images.reshape(6, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(train.y, labels)
    assert train.image_shape == (28, 28) and len(train.feature_names) == 784
    test = load_mnist("test", data_home=home, verify=False, max_rows=3)
    assert test.X.shape == (3, 784)
    X, y = test
    assert X is test.X and y is test.y


def test_checksums_are_verified_by_default(fake_mnist):
    home, _ = fake_mnist
    with pytest.raises(ValueError, match="does not match the published SHA-256"):
        load_mnist(data_home=home)


def test_data_home_falls_back_to_the_environment_then_the_cache(fake_mnist, monkeypatch):
    home, _ = fake_mnist
    monkeypatch.setenv("AEKIT_DATA", str(home))
    assert datasets.data_home() == home
    with pytest.raises(ValueError, match=f"{home}.*does not match"):
        load("mnist:test")
    monkeypatch.delenv("AEKIT_DATA")
    assert datasets.data_home() == Path.home() / ".cache" / "aekit"
    assert datasets.data_home("~/x") == Path.home() / "x"


def test_absent_files_offline_give_a_clear_message(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"not found in .*download=True"):
        load_fashion_mnist(data_home=tmp_path)


def test_download_fetches_checks_and_places_files(fake_mnist, tmp_path, monkeypatch):
    home, arrays = fake_mnist
    mirror = home / "mnist"
    sums = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in mirror.iterdir()}
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in sums:
        (broken / name).write_bytes(b"not the file")
    spec = IdxSet("MNIST", "mnist", (broken.as_uri() + "/", mirror.as_uri() + "/"), sums, IDX_SETS["mnist"].classes)
    monkeypatch.setitem(IDX_SETS, "mnist", spec)
    target = tmp_path / "fresh"
    data = load_mnist("test", data_home=target, download=True)
    np.testing.assert_array_equal(data.y, arrays["t10k"][1])
    assert sorted(p.name for p in (target / "mnist").iterdir()) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    offline = IdxSet("MNIST", "mnist", ((tmp_path / "nowhere").as_uri() + "/",), sums, spec.classes)
    monkeypatch.setitem(IDX_SETS, "mnist", offline)
    with pytest.raises(OSError, match="could not download"):
        load_mnist(data_home=tmp_path / "other", download=True)
    assert not any((tmp_path / "other" / "mnist").iterdir())


@pytest.mark.skipif(not (SHARED_DATA / "mnist").is_dir(), reason="../shared/data/mnist is absent")
def test_real_mnist_and_fashion_mnist_test_sets_verify_and_load():
    mnist = load_mnist("test", data_home=SHARED_DATA)
    assert mnist.X.shape == (10000, 784) and mnist.image_shape == (28, 28)
    assert np.bincount(mnist.y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert abs(mnist.X.mean() * 255 - 33.791) < 0.01
    fashion = load_fashion_mnist("test", data_home=SHARED_DATA)
    assert np.bincount(fashion.y).tolist() == [1000] * 10 and fashion.class_names[9] == "Ankle boot"


def test_load_digits_is_in_unit_range_with_labels():
    digits = load_digits()
    assert digits.X.shape == (1797, 64) and 0 <= digits.X.min() and digits.X.max() <= 1
    assert digits.image_shape == (8, 8) and set(np.unique(digits.y)) == set(range(10))


# ---- tables ---------------------------------------------------------------------------------------


@pytest.fixture
def table():
    import pandas as pd
    return pd.DataFrame(
        {
            "age": [31.0, 45.0, None, 22.0],
            "city": ["Lund", "Oslo", "Lund", None],
            "member": [True, False, True, True],
            "label": ["a", "b", "a", "b"],
        }
    )


def test_csv_one_hot_encodes_categorical_columns_and_keeps_missing_as_nan(tmp_path, table):
    table.to_csv(tmp_path / "t.csv", index=False)
    data = load_csv(tmp_path / "t.csv", target="label")
    assert data.feature_names == ["age", "city=Lund", "city=Oslo", "member=False", "member=True"]
    assert data.categories == {"city": ["Lund", "Oslo"], "member": [False, True]}
    expected = np.array(
        [[31, 1, 0, 0, 1], [45, 0, 1, 1, 0], [np.nan, 1, 0, 0, 1], [22, np.nan, np.nan, 0, 1]], dtype=np.float32
    )
    np.testing.assert_array_equal(data.X, expected)
    assert data.y.tolist() == ["a", "b", "a", "b"]
    with pytest.raises(ValueError, match="target column 'nope' not found"):
        load_csv(tmp_path / "t.csv", target="nope")


def test_fixed_categories_keep_the_columns_and_refuse_new_values(tmp_path, table):
    table.to_csv(tmp_path / "t.csv", index=False)
    data = load_csv(tmp_path / "t.csv", target="label", categories={"city": ["Bergen", "Lund", "Oslo"]})
    assert data.feature_names[1:4] == ["city=Bergen", "city=Lund", "city=Oslo"]
    with pytest.raises(ValueError, match=r"categories \['Oslo'\] not seen in training"):
        load_csv(tmp_path / "t.csv", target="label", categories={"city": ["Lund"]})


def test_parquet_reads_category_columns(tmp_path, table):
    table["city"] = table["city"].astype("category")
    table.to_parquet(tmp_path / "t.parquet")
    data = load_parquet(tmp_path / "t.parquet", target="label")
    assert data.feature_names[:3] == ["age", "city=Lund", "city=Oslo"]
    assert load(tmp_path / "t.parquet", target="label").X.shape == (4, 5)
    assert load_parquet(tmp_path / "t.parquet", columns=["age"]).feature_names == ["age"]


def test_a_fitted_reader_saved_as_json_reads_later_tables_in_its_layout(tmp_path, table):
    import json

    from aekit.data.readers import Reader, TableReader, reader_for

    table.to_csv(tmp_path / "t.csv", index=False)
    reader = reader_for(tmp_path / "t.csv", target="label", labels="ignored.npy")
    assert isinstance(reader, TableReader) and reader.fit(tmp_path / "t.csv").y.tolist() == ["a", "b", "a", "b"]
    again = Reader.from_dict(json.loads(json.dumps(reader.to_dict())))
    assert again == reader and again.categories == {"city": ["Lund", "Oslo"], "member": [False, True]}
    table[::-1][["member", "city", "age"]].to_csv(tmp_path / "later.csv", index=False)  # no label, other order
    later = again.read(tmp_path / "later.csv")
    assert later.y is None and later.feature_names == reader.feature_names and later.row_ids() == ["0", "1", "2", "3"]
    np.testing.assert_array_equal(later.X, reader.read(tmp_path / "t.csv").X[::-1])
    table.drop(columns="city").to_csv(tmp_path / "narrow.csv", index=False)
    with pytest.raises(ValueError, match=r"the columns the model was trained on \(age, city, member\): missing city$"):
        again.read(tmp_path / "narrow.csv")
    with pytest.raises(TypeError, match="unknown reader options"):
        reader_for(tmp_path / "t.csv", colour="red")


# ---- arrays and images --------------------------------------------------------------------------


def test_npy_is_memory_mapped_and_image_stacks_keep_their_shape(tmp_path):
    X = np.random.default_rng(0).random((5, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    data = load_npy(tmp_path / "x.npy")
    assert isinstance(data.X, np.memmap) or isinstance(data.X.base, np.memmap)
    np.testing.assert_array_equal(data.X, X)
    images = np.arange(2 * 4 * 3, dtype=np.uint8).reshape(2, 4, 3)
    np.save(tmp_path / "img.npy", images)
    np.save(tmp_path / "y.npy", np.array([3, 7]))
    stacked = load(tmp_path / "img.npy", labels=tmp_path / "y.npy")
    assert stacked.image_shape == (4, 3) and stacked.X.shape == (2, 12)
    np.testing.assert_allclose(stacked.X, images.reshape(2, -1) / 255.0)
    assert stacked.y.tolist() == [3, 7]
    with pytest.raises(ValueError, match="labels"):
        load_npy(tmp_path / "img.npy", labels=tmp_path / "x.npy")


@pytest.mark.parametrize("dtype", [np.uint16, np.int32])
def test_later_integer_npy_files_are_scaled_as_the_training_file_was(tmp_path, dtype):
    """An integer stack other than uint8 was divided by its own largest value, so a later file
    with a smaller maximum was scaled differently from the training file and the same rows read
    differently; the fitted reader now keeps the training file's divisor, saved with the run."""
    stack = np.random.default_rng(0).integers(0, 30000, size=(6, 4, 5)).astype(dtype)
    stack[0, 0, 0] = 60000
    np.save(tmp_path / "train.npy", stack)
    np.save(tmp_path / "later.npy", stack[1:3])
    reader = reader_for(tmp_path / "train.npy")
    train = reader.fit(tmp_path / "train.npy")
    assert train.X.max() == 1
    for fitted in (reader, Reader.from_dict(json.loads(json.dumps(reader.to_dict())))):
        np.testing.assert_array_equal(fitted.read(tmp_path / "later.npy").X, train.X[1:3])



@pytest.mark.parametrize("dtype", [np.uint16, np.int16])
def test_a_later_npy_brighter_than_the_training_file_is_named_not_read_silently_above_one(tmp_path, dtype):
    """A uint16 file is divided by the training file's largest value (12-bit data in uint16 stays on
    [0, 1]); a later, brighter file read above 1 without a word: it now warns with its range."""
    stack = np.random.default_rng(0).integers(0, 4000, size=(6, 4, 5)).astype(dtype)
    stack[0, 0, 0] = 4000
    np.save(tmp_path / "train.npy", stack)
    np.save(tmp_path / "same.npy", stack[1:3])
    np.save(tmp_path / "bright.npy", (stack[1:3] * 2).astype(dtype))
    reader = reader_for(tmp_path / "train.npy")
    reader.fit(tmp_path / "train.npy")
    assert reader.read(tmp_path / "same.npy").X.max() <= 1
    with pytest.warns(UserWarning, match=r"bright.npy' holds integers from \d+ to 7\d{3}; divided by 4000 \(the training "
                                         r"file's largest\) as the run reads every file, they read from [\d.]+ to 1.\d+, "
                                         r"outside the \[0, 1\] the model was trained on"):
        bright = reader.read(tmp_path / "bright.npy")
    np.testing.assert_allclose(bright.X.max(), (stack[1:3] * 2).max() / 4000, rtol=1e-6)

def _png(path: Path, value: int, size=(6, 4), mode="L") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 0, 255 - value)).save(path)


def test_image_folder_labels_by_subfolder_and_scales_to_unit_range(tmp_path):
    for i, cls in enumerate(["cat", "cat", "dog"]):
        _png(tmp_path / "pics" / cls / f"{i}.png", 51 * i)
    data = load_image_folder(tmp_path / "pics")
    assert data.X.shape == (3, 24) and data.image_shape == (4, 6)
    assert data.class_names == ("cat", "dog") and data.y.tolist() == [0, 0, 1]
    np.testing.assert_allclose(data.X[:, 0], [0, 0.2, 0.4])
    colour = load(tmp_path / "pics")
    assert colour.X.shape == (3, 24)
    rgb = load_image_folder(tmp_path / "pics", mode="RGB", size=(2, 3))
    assert rgb.image_shape == (3, 2, 3) and rgb.X.shape == (3, 18)


def test_image_folder_refuses_mixed_sizes_unless_resized(tmp_path):
    _png(tmp_path / "a.png", 0, size=(4, 4))
    _png(tmp_path / "b.png", 0, size=(5, 4))
    with pytest.raises(ValueError, match="pass size"):
        load_image_folder(tmp_path)
    data = load_image_folder(tmp_path, size=(3, 3))
    assert data.y is None and data.X.shape == (2, 9)


def test_a_folder_or_file_of_idx_files_says_how_to_name_the_set(tmp_path):
    # MNIST as published (train-images-idx3-ubyte.gz, ...) in a folder was refused as 'has no images'
    folder = tmp_path / "MNIST" / "raw"
    folder.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (folder / name).write_bytes(b"\x1f\x8b")
    for source in (folder, folder / "train-images-idx3-ubyte.gz"):
        with pytest.raises(ValueError, match=rf"--data mnist \(or fashion-mnist\) --set data.data_home={re.escape(str(folder))} "
                                             rf"on the command line, load\('mnist', data_home='{re.escape(str(folder))}'\)"):
            load(source)


def test_load_names_what_it_accepts_for_an_unknown_source(tmp_path):
    with pytest.raises(FileNotFoundError, match="give 'digits', 'mnist'"):
        load(tmp_path / "missing.csv")
    (tmp_path / "notes.doc").write_text("x")
    with pytest.raises(ValueError, match="unknown file type"):
        load(tmp_path / "notes.doc")
    np.savez(tmp_path / "set.npz", X=np.ones((3, 2)), y=np.zeros(3))  # ADBench's layout: said only 'unknown file type'
    with pytest.raises(ValueError, match=r"is an archive of arrays \(X, y\); save the one to use as a \.npy file, e\.g\. "
                                         r"numpy\.save\('X\.npy'"):
        load(tmp_path / "set.npz")
    (tmp_path / "table.txt").write_text("a;b\n1;2\n3;4\n")  # a .txt file is a table, a folder of them a corpus
    assert load(tmp_path / "table.txt").feature_names == ["a", "b"]
    assert len(load("digits", max_rows=10)) == 10
