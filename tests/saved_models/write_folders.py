"""Write the saved-model folders and their outputs that tests/test_saved_by_earlier_versions.py
loads with today's aekit. Run it with an earlier checkout's src on the import path:

    git worktree add --detach /tmp/old 1aee8a2
    PYTHONPATH=/tmp/old/src python tests/saved_models/write_folders.py tests/saved_models/aekit-1aee8a2
"""

import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits

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


def inputs() -> dict:
    """The rows, images and table every folder is checked on (the test builds the same)."""
    rng = np.random.default_rng(0)
    images = rng.random((6, 3, 8, 8)).astype(np.float32)
    frame = pd.DataFrame({"a": rng.normal(size=12), "b": rng.normal(size=12), "c": rng.choice(["x", "y"], 12)})
    frame.loc[::3, "a"] = np.nan
    return {"rows": load_digits().data[:20] / 16.0, "images": images, "gray": images.mean(1, keepdims=True), "frame": frame}


def fit_and_save(folder: str) -> None:
    digits = load_digits().data[:300] / 16.0
    rng = np.random.default_rng(0)
    images = rng.random((40, 3, 8, 8)).astype(np.float32)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120), "c": rng.choice(["x", "y"], 120)})
    frame.loc[::7, "a"] = np.nan
    small = {"max_epochs": 2, "random_state": 0}
    AutoEncoder(2, hidden_dims=(16,), **small).fit(digits).save(f"{folder}/ae")
    DenoisingAutoEncoder(2, hidden_dims=(16,), **small).fit(digits).save(f"{folder}/dae")
    SparseAutoEncoder(4, hidden_dims=(16,), **small).fit(digits).save(f"{folder}/sae")
    ContractiveAutoEncoder(2, hidden_dims=(16,), **small).fit(digits).save(f"{folder}/cae")
    VariationalAutoEncoder(2, hidden_dims=(16,), **small).fit(digits).save(f"{folder}/vae")
    ConvAutoEncoder(latent_dim=4, channels=(4,), **small).fit(images).save(f"{folder}/conv")
    ConvAutoEncoder(latent_dim=4, channels=(4,), **small).fit(images.mean(1, keepdims=True), images).save(f"{folder}/colorize")
    AutoEncoderOutlierDetector(AutoEncoder(2, hidden_dims=(16,), **small), random_state=0).fit(digits).save(f"{folder}/det")
    AutoEncoderImputer(hidden_dims=(16,), latent_dim=2, max_epochs=2, n_members=2, random_state=0).fit(frame).save(f"{folder}/imp")


def write_expected(folder: str) -> None:
    data = inputs()
    conv = ConvAutoEncoder.load(f"{folder}/conv")
    detector = AutoEncoderOutlierDetector.load(f"{folder}/det")
    filled = AutoEncoderImputer.load(f"{folder}/imp").transform(data["frame"])
    filled = filled[["a", "b"]] if hasattr(filled, "columns") else pd.DataFrame(filled).iloc[:, :2]
    np.savez(
        f"{folder}/expected.npz",
        **{f"{name}_codes": cls.load(f"{folder}/{name}").transform(data["rows"]) for name, cls in
           [("ae", AutoEncoder), ("dae", DenoisingAutoEncoder), ("sae", SparseAutoEncoder),
            ("cae", ContractiveAutoEncoder), ("vae", VariationalAutoEncoder)]},
        conv_codes=conv.transform(data["images"]), conv_images=conv.reconstruct(data["images"]),
        colorize_images=ConvAutoEncoder.load(f"{folder}/colorize").reconstruct(data["gray"]),
        det_scores=detector.score_samples(data["rows"]), det_flags=detector.predict(data["rows"]),
        imp_filled=filled.to_numpy(dtype=float),
    )


if __name__ == "__main__":
    warnings.filterwarnings("ignore")
    fit_and_save(sys.argv[1])
    write_expected(sys.argv[1])
