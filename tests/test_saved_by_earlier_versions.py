"""Folders saved by an earlier aekit (tests/saved_models/aekit-<commit>, written by
tests/saved_models/write_folders.py on that commit) load with today's and give the outputs that
version gave: an upgrade must not strand a user's models."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from aekit import (
    AutoEncoder,
    AutoEncoderImputer,
    AutoEncoderOutlierDetector,
    ContractiveAutoEncoder,
    ConvAutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)

HERE = Path(__file__).parent / "saved_models"
FOLDERS = sorted(HERE.glob("aekit-*"))
CODES = {"ae": AutoEncoder, "dae": DenoisingAutoEncoder, "sae": SparseAutoEncoder, "cae": ContractiveAutoEncoder,
         "vae": VariationalAutoEncoder}


@pytest.fixture(scope="module")
def data() -> dict:
    spec = importlib.util.spec_from_file_location("write_folders", HERE / "write_folders.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.inputs()


def test_there_are_old_folders_to_check():
    assert FOLDERS, f"no aekit-<commit> folders in {HERE}"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
@pytest.mark.parametrize("name", sorted(CODES))
def test_old_dense_models_give_the_same_codes(folder, name, data):
    expected = np.load(folder / "expected.npz")[f"{name}_codes"]
    np.testing.assert_allclose(CODES[name].load(folder / name).transform(data["rows"]), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_old_conv_models_reconstruct_and_colorize_as_before(folder, data):
    """Folders from before `colorization_` existed predict their target's pixels ('direct')."""
    expected = np.load(folder / "expected.npz")
    conv = ConvAutoEncoder.load(folder / "conv")
    np.testing.assert_allclose(conv.transform(data["images"]), expected["conv_codes"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(conv.reconstruct(data["images"]), expected["conv_images"], rtol=1e-5, atol=1e-6)
    decoded = conv.inverse_transform(conv.transform(data["images"]))  # flat rows, as scikit-learn's transformers give
    np.testing.assert_allclose(decoded.reshape(expected["conv_images"].shape), expected["conv_images"], rtol=1e-5, atol=1e-6)
    colorize = ConvAutoEncoder.load(folder / "colorize")
    assert colorize.colorization_ == "direct"
    np.testing.assert_allclose(colorize.reconstruct(data["gray"]), expected["colorize_images"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_old_detector_and_imputer_give_the_same_scores_and_fills(folder, data):
    expected = np.load(folder / "expected.npz")
    detector = AutoEncoderOutlierDetector.load(folder / "det")
    np.testing.assert_allclose(detector.score_samples(data["rows"]), expected["det_scores"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(detector.predict(data["rows"]), expected["det_flags"])
    filled = AutoEncoderImputer.load(folder / "imp").transform(data["frame"])
    np.testing.assert_allclose(np.asarray(filled)[:, :2].astype(float), expected["imp_filled"], rtol=1e-5, atol=1e-6)
