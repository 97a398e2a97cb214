"""Save/load round trips and the refusal of missing, corrupt or hostile model folders."""

from __future__ import annotations

import json
import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from aekit import AutoEncoder, DenoisingAutoEncoder, LinearAutoEncoder
from aekit.saving.persistence import CONFIG_FILE, WEIGHTS_FILE


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).random((120, 12))


@pytest.fixture
def saved(tmp_path, X):
    model = DenoisingAutoEncoder(latent_dim=3, hidden_dims=(16, 8), loss="gaussian", max_epochs=3, random_state=0).fit(X)
    path = model.save(tmp_path / "model")
    return model, path


@pytest.mark.parametrize(
    "model",
    [
        AutoEncoder(latent_dim=3, hidden_dims=[16], learning_rate=np.float32(1e-3), loss="bce", max_epochs=2, random_state=0),
        AutoEncoder(latent_dim=np.int64(3), hidden_dims=np.array([16, 8]), tied_weights=True, max_epochs=2, random_state=0),
        LinearAutoEncoder(latent_dim=2, unit_norm=True, regularizers={"decorrelation": np.float64(0.1)}, max_epochs=2, random_state=0),
    ],
    ids=["bce", "tied", "linear"],
)
def test_round_trip_gives_identical_outputs(tmp_path, X, model):
    model.fit(X)
    loaded = type(model).load(model.save(tmp_path / "m"))
    assert type(loaded) is type(model)
    assert repr(loaded.get_params()) == repr(model.get_params())  # a list, an array, a NumPy scalar come back as given
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
    np.testing.assert_array_equal(loaded.score_samples(X), model.score_samples(X))
    assert loaded.history_ == model.history_
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [CONFIG_FILE, WEIGHTS_FILE]  # no temp files left


def test_base_class_loads_any_preset_and_keeps_feature_names(tmp_path, X):
    import pandas as pd
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    model = DenoisingAutoEncoder(latent_dim=2, max_epochs=2, random_state=0).fit(frame)
    loaded = AutoEncoder.load(model.save(tmp_path / "m"))
    assert isinstance(loaded, DenoisingAutoEncoder)
    assert list(loaded.feature_names_in_) == list(frame.columns)
    with pytest.raises(ValueError, match="not a LinearAutoEncoder"):
        LinearAutoEncoder.load(tmp_path / "m")


def test_save_before_fit_is_refused(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AutoEncoder().save(tmp_path / "m")


def test_missing_folder_and_files(tmp_path, saved):
    with pytest.raises(FileNotFoundError, match="no saved model folder"):
        AutoEncoder.load(tmp_path / "nowhere")
    _, path = saved
    (path / WEIGHTS_FILE).unlink()
    with pytest.raises(FileNotFoundError, match=WEIGHTS_FILE):
        AutoEncoder.load(path)
    (path / CONFIG_FILE).unlink()
    with pytest.raises(FileNotFoundError, match=CONFIG_FILE):
        AutoEncoder.load(path)


def test_truncated_or_flipped_weights_are_detected(saved):
    _, path = saved
    data = (path / WEIGHTS_FILE).read_bytes()
    (path / WEIGHTS_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="checksum"):
        AutoEncoder.load(path)
    flipped = bytearray(data)
    flipped[-5] ^= 0x01
    (path / WEIGHTS_FILE).write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="checksum"):
        AutoEncoder.load(path)


class _Boom:
    def __reduce__(self):
        return (exec, ("raise SystemExit('pickle executed')",))


def test_pickle_payload_is_never_executed(saved):
    _, path = saved
    payload = pickle.dumps({"w": _Boom()})
    (path / WEIGHTS_FILE).write_bytes(payload)
    config = json.loads((path / CONFIG_FILE).read_text())
    import hashlib

    config["weights"]["sha256"] = hashlib.sha256(payload).hexdigest()
    (path / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        AutoEncoder.load(path)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c.update(format_version=99), "format_version"),
        (lambda c: c.update({"class": "os.system"}), "unknown class"),
        (lambda c: c["params"].update(evil=1), "unknown parameters"),
        (lambda c: c["params"].update(latent_dim="three"), "latent_dim"),
        (lambda c: c["weights"].update(file="../../etc/passwd"), "weights"),
        (lambda c: c["fitted"].update(n_features_in_=5), "do not match"),
        (lambda c: c.pop("format"), "not an aekit model"),
        (lambda c: c["fitted"].update(_sklearn_output_config={"transform": "os.system"}), "_sklearn_output_config"),
    ],
    ids=["version", "class", "unknown-param", "wrong-type", "path-escape", "shape-mismatch", "no-format", "output-config"],
)
def test_tampered_config_is_refused(saved, edit, message):
    _, path = saved
    config = json.loads((path / CONFIG_FILE).read_text())
    edit(config)
    (path / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ValueError, match=message):
        AutoEncoder.load(path)


def test_corrupt_json_is_reported(saved):
    _, path = saved
    (path / CONFIG_FILE).write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        AutoEncoder.load(path)


def _crash_when_config_lands(monkeypatch):
    import aekit.saving.persistence as persistence

    real_replace = persistence.os.replace

    def replace(src, dst):
        if str(dst).endswith(CONFIG_FILE) and not str(Path(dst).parent.name).endswith(".tmp"):
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(persistence.os, "replace", replace)
    monkeypatch.setattr(persistence.os, "rename", lambda src, dst: (_ for _ in ()).throw(OSError("disk full")))


def test_interrupted_save_to_new_folder_leaves_nothing(tmp_path, monkeypatch, X):
    model = AutoEncoder(latent_dim=2, max_epochs=1, random_state=0).fit(X)
    _crash_when_config_lands(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "fresh")
    assert list(tmp_path.iterdir()) == []


def test_interrupted_overwrite_keeps_the_old_model_whole(saved, monkeypatch, X):
    model, path = saved
    before = AutoEncoder.load(path).transform(X)
    _crash_when_config_lands(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        model.set_params(max_epochs=1).fit(X[::-1]).save(path)
    monkeypatch.undo()
    np.testing.assert_array_equal(AutoEncoder.load(path).transform(X), before)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="file modes are POSIX")
def test_saved_files_and_pages_get_the_permissions_the_umask_allows_not_private_ones(tmp_path):
    from aekit.saving.persistence import atomic_write_bytes

    mask = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "page.html", b"<html></html>")
        assert (tmp_path / "page.html").stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(mask)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_model_saved_for_a_gpu_loads_on_the_cpu_of_a_machine_without_one(tmp_path, X):
    # a model trained and saved with device='cuda' was refused by load() and by every command on a laptop
    import warnings

    from aekit.cli import main

    model = AutoEncoder(latent_dim=2, max_epochs=2, random_state=0).fit(X)
    folder = model.save(tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    config["params"]["device"] = "cuda"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.warns(UserWarning, match=r"was saved with device='cuda', which this machine does not have: loaded with device='cpu'"):
        loaded = AutoEncoder.load(folder)
    assert loaded.device == "cpu"
    np.testing.assert_allclose(loaded.transform(X), model.transform(X), rtol=1e-6)
    np.save(tmp_path / "rows.npy", np.asarray(X, dtype=np.float64))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert main(["encode", str(folder), str(tmp_path / "rows.npy"), str(tmp_path / "codes.npy")]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "codes.npy"), model.transform(X), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("reload", ["load", "pickle"])
def test_training_a_reloaded_model_further_continues_its_history(tmp_path, X, reload):
    # partial_fit of a loaded model started the record over: history_ of 1 epoch, n_epochs_ 1, best_epoch 0
    model = AutoEncoder(latent_dim=3, hidden_dims=(8,), max_epochs=4, early_stopping=None, warm_start=True, random_state=0).fit(X)
    saved = dict(model.history_)
    again = AutoEncoder.load(model.save(tmp_path / "m")) if reload == "load" else pickle.loads(pickle.dumps(model))
    # its Adam moments started anew without a word, so the first steps jumped by about learning_rate per weight
    with pytest.warns(UserWarning, match=r"keeps its weights but not its 'adam' optimizer's running averages .* "
                                         r"checkpoint=Checkpointer\(path\)"):
        again.partial_fit(X)
    assert again.n_epochs_ == 5 and again.history_["loss"][:4] == saved["loss"]
    assert again.history_["val_loss"][:4] == saved["val_loss"] and np.isnan(again.history_["val_loss"][4])
    if reload == "load":  # the epoch without a validation loss was written as NaN, which strict JSON readers refuse
        text = (again.save(tmp_path / "m") / CONFIG_FILE).read_text()
        json.loads(text, parse_constant=lambda name: pytest.fail(f"config.json holds {name}"))
        assert np.isnan(AutoEncoder.load(tmp_path / "m").history_["val_loss"][4])
    again.set_params(max_epochs=2).fit(X)
    assert again.n_epochs_ == len(again.history_["loss"]) == 7 and again.history_["best_epoch"] in (5, 6)


def test_loading_a_file_or_the_folder_above_a_model_names_the_model_folder(tmp_path, saved):
    # both said only "no saved model folder at '.../model.safetensors'" / "'.../config.json' is missing"
    _, path = saved
    with pytest.raises(FileNotFoundError, match=rf"{WEIGHTS_FILE}' is a file, but a saved model is a folder .*load '{path}'"):
        AutoEncoder.load(path / WEIGHTS_FILE)
    with pytest.raises(FileNotFoundError, match=rf"not a saved aekit model folder; it holds one: load '{path}'"):
        AutoEncoder.load(path.parent)


@pytest.mark.parametrize("field", ["params", "fitted"])
def test_a_folder_from_another_aekit_with_fields_this_one_lacks_says_which_aekit_wrote_it(saved, field):
    # the refusal named the unknown parameter or field but not that a newer aekit had written the folder
    import aekit

    _, path = saved
    config = json.loads((path / CONFIG_FILE).read_text())
    config["aekit_version"] = "9.9.9"
    config[field]["added_later_" if field == "fitted" else "added_later"] = 1
    (path / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ValueError, match=rf"config.json'.*unknown .*'added_later_?'.*; aekit 9.9.9 wrote it and this is aekit {aekit.__version__}"):
        DenoisingAutoEncoder.load(path)


@pytest.mark.parametrize(
    "value, message",
    [("abc", "saved params are not valid for DenoisingAutoEncoder: The 'hidden_dims' parameter"),
     ([-3], "saved DenoisingAutoEncoder cannot be rebuilt from its params and fitted state: hidden_dims must be")],
    ids=["not-a-list", "negative"],
)
def test_an_edited_parameter_is_refused_naming_the_config_file(saved, value, message):
    # the refusal came from inside scikit-learn's validation or the module builder, naming neither
    # the folder nor config.json (an InvalidParameterError for 'abc')
    _, path = saved
    config = json.loads((path / CONFIG_FILE).read_text())
    config["params"]["hidden_dims"] = value
    (path / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ValueError, match=re.escape(f"'{path / CONFIG_FILE}': the {message}")) as info:
        AutoEncoder.load(path)
    assert type(info.value) is ValueError


def test_an_edited_device_is_refused_naming_the_config_file(saved):
    # a damaged device ('auto' with one bit flipped: '!uto') passed the parameter checks and was refused
    # when the module was placed, as "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got '!uto'",
    # naming neither the folder nor config.json
    _, path = saved
    config = json.loads((path / CONFIG_FILE).read_text())
    config["params"]["device"] = "!uto"
    (path / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ValueError, match=re.escape(f"'{path / CONFIG_FILE}': the saved params are not valid for "
                                                   "DenoisingAutoEncoder: device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got '!uto'")):
        AutoEncoder.load(path)
    assert AutoEncoder.load(path, device="cpu").device == "cpu"  # an explicit device replaces the saved one


def test_saving_into_a_folder_of_other_files_is_refused_and_keeps_them(tmp_path, X):
    # save() swapped the whole folder for the model: results/notes.txt and every other file in it were deleted
    model = AutoEncoder(latent_dim=2, max_epochs=1, random_state=0).fit(X)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match=re.escape(f"'{tmp_path / 'results'}' holds notes.txt and no saved model: "
                                                        "saving there would delete them")):
        model.save(tmp_path / "results")
    assert (tmp_path / "results" / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    (tmp_path / "empty").mkdir()
    model.save(tmp_path / "empty")
    model.save(tmp_path / "empty")  # over a saved model, as before
    np.testing.assert_array_equal(AutoEncoder.load(tmp_path / "empty").transform(X), model.transform(X))


def test_a_save_killed_between_its_renames_names_the_hidden_previous_model(saved, monkeypatch, X, tmp_path, capsys):
    # a kill after the old folder was moved aside left it only in .model.*.old/model, and loading 'model' said
    # only "no saved model folder"
    import aekit.saving.persistence as persistence
    from aekit.cli import main

    model, path = saved
    before = model.transform(X)
    real_rename = os.rename
    calls = []

    def rename_then_die(src, dst):  # the process dies after its first rename: no rename and no clean-up after it
        if calls:
            raise OSError("killed")
        calls.append(dst)
        real_rename(src, dst)

    monkeypatch.setattr(persistence.os, "rename", rename_then_die)
    monkeypatch.setattr(persistence.shutil, "rmtree", lambda *args, **kwargs: None)
    with pytest.raises(OSError, match="killed"):
        model.save(path)
    monkeypatch.undo()
    previous = calls[0]
    assert not path.exists() and previous.name == path.name and previous.parent.name.startswith(f".{path.name}.")
    hint = re.escape(f"no saved model folder at '{path}'; a save into it was interrupted and left the previous model in "
                     f"'{previous}': move that folder to '{path}' to use it (the model being saved is whole in '")
    with pytest.raises(FileNotFoundError, match=hint):
        AutoEncoder.load(path)
    np.save(tmp_path / "rows.npy", X)
    assert main(["encode", str(path), str(tmp_path / "rows.npy"), str(tmp_path / "codes.npy")]) != 0
    assert f"left the previous model in '{previous}'" in capsys.readouterr().err
    os.rename(previous, path)
    np.testing.assert_array_equal(AutoEncoder.load(path).transform(X), before)


def test_an_unknown_history_key_is_refused_naming_the_file_and_the_key(tmp_path, X):
    # an edited history_ ('train_los' for 'train_loss', 'val_los' for 'val_loss') loaded silently, the model then
    # reporting no validation loss and plots and resumed fits reading an empty record
    from aekit import SparseAutoEncoder

    model = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=2, validation_fraction=0.2, random_state=0).fit(X)
    path = model.save(tmp_path / "m")
    assert AutoEncoder.load(path).history_ == model.history_
    config = json.loads((path / CONFIG_FILE).read_text())
    config["fitted"]["history_"]["val_los"] = config["fitted"]["history_"].pop("val_loss")
    (path / CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(ValueError, match=re.escape(f"'{path / CONFIG_FILE}': history_ has unknown keys ['val_los']")):
        AutoEncoder.load(path)
    sparse = SparseAutoEncoder(latent_dim=8, k=2, hidden_dims=(8,), max_epochs=2, random_state=0).fit(X)
    assert {"l0", "dead_fraction", "settings", "best_epoch"} <= set(sparse.history_)  # every key training writes loads
    assert SparseAutoEncoder.load(sparse.save(tmp_path / "s")).history_ == sparse.history_
