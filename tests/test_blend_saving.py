"""An `AutoEncoderImputer` fitted with `blend` saves its scikit-learn partner (JSON + safetensors,
no pickle) and loads back imputing exactly as before; altered or foreign partner files are refused
naming the file."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

from aekit import AutoEncoderImputer
from aekit.saving.packed import pack_model, unpack_model
from aekit.saving.sklearn_state import ARRAYS_FILE, STATE_FILE

FAST = {"hidden_dims": (16,), "latent_dim": 8, "max_epochs": 3, "n_members": 1, "random_state": 0}
STEP_CLASS = {"linear": "BayesianRidge", "trees": "ExtraTreesRegressor", "auto": "ExtraTreesRegressor"}

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def table(kind: str, n: int = 160, seed: int = 0):
    """Numeric columns driven by one factor, 20 % of the entries missing; as an array ('numeric')
    or as a DataFrame with a text column that follows the factor too ('mixed')."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    X = np.column_stack([z, 2 * z, -z, z**2]) + 0.1 * rng.normal(size=(n, 4))
    X[rng.random(X.shape) < 0.2] = np.nan
    if kind == "numeric":
        return X
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["colour"] = np.where(z > 0, "red", "blue").astype(object)
    frame.loc[rng.random(n) < 0.2, "colour"] = None
    return frame


CASES = [(blend, data) for blend in ("linear", "trees") for data in ("numeric", "mixed")] + [("auto", "mixed")]


@pytest.fixture(scope="module", params=CASES, ids=[f"{b}-{d}" for b, d in CASES])
def fitted(request):
    """An imputer fitted with each blend; a trees partner of 5 trees, not 30: every tree is saved,
    loaded and compared alike, and predicting through 30 took most of the tests' time."""
    from aekit.estimators import _blend

    blend, data = request.param
    X = table(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_blend, "PARTNER_TREES", 5)
        return AutoEncoderImputer(blend=blend, **FAST).fit(X), X, blend


@pytest.fixture
def folder(fitted, tmp_path):
    return fitted[0].save(tmp_path / "imputer")


def same_output(a, b) -> bool:
    return a.shape == b.shape and all(x == y or (x != x and y != y) for x, y in zip(np.ravel(a), np.ravel(b)))


def test_save_and_load_give_the_same_imputations_and_partner(fitted, folder):
    imp, X, blend = fitted
    assert (folder / "partner" / STATE_FILE).is_file() and (folder / "partner" / ARRAYS_FILE).is_file()
    loaded = AutoEncoderImputer.load(folder)
    X_new = table("numeric" if isinstance(X, np.ndarray) else "mixed", n=60, seed=1)
    for rows in (X, X_new):
        assert same_output(loaded.transform(rows), imp.transform(rows))
    assert np.array_equal(loaded.blend_weights_, imp.blend_weights_)
    assert loaded.partner_.n_iter_ == imp.partner_.n_iter_ >= 1
    k = imp.layout_.n_numeric
    Z = np.random.default_rng(2).normal(size=(40, k))
    Z[::3, 0] = np.nan
    assert np.array_equal(loaded.partner_.transform(Z), imp.partner_.transform(Z))
    for ours, theirs in zip(loaded.partner_.imputation_sequence_, imp.partner_.imputation_sequence_, strict=True):
        assert type(ours.estimator).__name__ == STEP_CLASS[blend]
        assert ours.feat_idx == theirs.feat_idx and np.array_equal(ours.neighbor_feat_idx, theirs.neighbor_feat_idx)
        rows = np.nan_to_num(Z[:, ours.neighbor_feat_idx])
        assert np.array_equal(ours.estimator.predict(rows), theirs.estimator.predict(rows))
    assert same_output(unpack_model(pack_model(imp)).transform(X), imp.transform(X))


def test_an_imputer_without_blend_saves_no_partner_and_loads_as_before(tmp_path):
    X = table("numeric")
    imp = AutoEncoderImputer(blend=None, **FAST).fit(X)
    path = imp.save(tmp_path / "plain")
    assert not (path / "partner").exists()
    config = json.loads((path / "config.json").read_text())
    assert "blend_weights_" not in config["fitted"] and config["fitted"]["blend_"] is None
    del config["params"]["blend"], config["fitted"]["blend_"]  # a folder written before blend existed
    (path / "config.json").write_text(json.dumps(config))
    loaded = AutoEncoderImputer.load(path)
    assert loaded.blend is None and getattr(loaded, "partner_", None) is None
    assert np.array_equal(loaded.transform(X), imp.transform(X))


def rewrite_arrays(folder, edit) -> None:
    """Apply `edit` to the partner's arrays and store them with a matching checksum."""
    path = folder / "partner" / ARRAYS_FILE
    arrays = load_arrays(path.read_bytes())
    edit(arrays)
    data = save_arrays(arrays)
    path.write_bytes(data)
    state = json.loads((folder / "partner" / STATE_FILE).read_text())
    state["arrays"]["sha256"] = hashlib.sha256(data).hexdigest()
    (folder / "partner" / STATE_FILE).write_text(json.dumps(state))


def edit_state(folder, edit) -> None:
    path = folder / "partner" / STATE_FILE
    path.write_text(edit(path.read_text()))


def flip_a_byte(folder) -> None:
    path = folder / "partner" / ARRAYS_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def first_tree(node):
    """The first tree record in the partner's JSON, depth first, or None."""
    if isinstance(node, dict):
        if "tree" in node:
            return node["tree"]
        node = list(node.values())
    if isinstance(node, list):
        return next((t for t in map(first_tree, node) if t is not None), None)
    return None


TAMPERING = {
    "flipped array byte": (flip_a_byte, ValueError, rf"{ARRAYS_FILE}.*checksum"),
    "truncated json": (lambda f: edit_state(f, lambda s: s[: len(s) // 2]), ValueError, rf"{STATE_FILE}.*not valid JSON"),
    "foreign class": (lambda f: edit_state(f, lambda s: s.replace('"class": "IterativeImputer"', '"class": "Pipeline"')),
                      ValueError, rf"{STATE_FILE}.*'Pipeline' is not one aekit loads"),
    "missing arrays": (lambda f: (f / "partner" / ARRAYS_FILE).unlink(), FileNotFoundError, rf"{ARRAYS_FILE}.*missing"),
    "missing partner": (lambda f: shutil.rmtree(f / "partner"), FileNotFoundError, r"partner. is missing: the AutoEncoderImputer saved in .* keeps its partner there"),
    "pickle as arrays": (lambda f: rewrite_bytes(f, pickle.dumps({"w": Boom()})), ValueError, rf"{ARRAYS_FILE}.*not a valid safetensors"),
    "blend removed": (lambda f: edit_config(f, "blend", None), ValueError, "partner.*params.blend is null"),
    "wrong weights": (lambda f: edit_config(f, "blend_weights_", [0.5]), ValueError, "blend_weights_ must give"),
    "unknown kind": (lambda f: edit_config(f, "blend_", "forest"), ValueError, "fitted.blend_ has the wrong type or value"),
    "kind against params": (lambda f: (edit_config(f, "blend_", "linear"), edit_config(f, "blend", "trees")), ValueError,
                            "fitted.blend_ is 'linear', but params.blend is 'trees'"),
}


class Boom:
    def __reduce__(self):
        return (pytest.fail, ("the partner file was unpickled",))


def rewrite_bytes(folder, data: bytes) -> None:
    (folder / "partner" / ARRAYS_FILE).write_bytes(data)
    edit_state(folder, lambda s: json.dumps({**json.loads(s), "arrays": {"file": ARRAYS_FILE, "sha256": hashlib.sha256(data).hexdigest()}}))


def edit_config(folder, key: str, value) -> None:
    config = json.loads((folder / "config.json").read_text())
    config["params" if key == "blend" else "fitted"][key] = value
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("case", TAMPERING)
def test_altered_or_missing_partner_files_are_refused_naming_them(fitted, folder, case):
    tamper, error, message = TAMPERING[case]
    tamper(folder)
    with pytest.raises(error, match=message):
        AutoEncoderImputer.load(folder)


@pytest.mark.parametrize("fitted", [("trees", "numeric")], indirect=True, ids=["trees-numeric"])
def test_a_tree_whose_links_leave_the_tree_is_refused_even_with_a_valid_checksum(fitted, folder):
    key = first_tree(json.loads((folder / "partner" / STATE_FILE).read_text()))["nodes"]["left_child"]

    def point_outside(arrays):
        arrays[key] = np.where(arrays[key] > 0, 10**9, arrays[key])

    rewrite_arrays(folder, point_outside)
    with pytest.raises(ValueError, match=rf"{STATE_FILE}.*child links"):
        AutoEncoderImputer.load(folder)


@pytest.mark.parametrize("fitted", [("auto", "mixed")], indirect=True, ids=["auto-mixed"])
def test_auto_records_its_choice_and_a_file_without_it_is_refused(fitted, folder):
    imp = fitted[0]
    assert imp.blend == "auto" and imp.blend_ == "trees"
    assert AutoEncoderImputer.load(folder).blend_ == "trees"
    config = json.loads((folder / "config.json").read_text())
    del config["fitted"]["blend_"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="fitted.blend_ is missing.*blend='auto'"):
        AutoEncoderImputer.load(folder)


def test_a_warm_start_follows_a_changed_blend_and_saves_what_it_uses(tmp_path):
    # set_params(blend=None) then a warm fit kept the partner and blend_='linear': the saved folder
    # was refused by load ("holds a blend partner or weights, but params.blend is null")
    X = table("mixed")
    imputer = AutoEncoderImputer(blend="linear", warm_start=True, **FAST).fit(X)
    imputer.set_params(blend=None).fit(X)
    assert imputer.blend_ is None and not hasattr(imputer, "partner_") and not hasattr(imputer, "blend_weights_")
    loaded = AutoEncoderImputer.load(imputer.save(tmp_path / "alone"))
    pd.testing.assert_frame_equal(pd.DataFrame(loaded.transform(X)), pd.DataFrame(imputer.transform(X)))
    imputer.set_params(blend="linear").fit(X)
    assert imputer.blend_ == "linear" and type(imputer.partner_).__name__ == "IterativeImputer"
    assert imputer.n_epochs_ == 9
    loaded = AutoEncoderImputer.load(imputer.save(tmp_path / "blended"))
    pd.testing.assert_frame_equal(pd.DataFrame(loaded.transform(X)), pd.DataFrame(imputer.transform(X)))
