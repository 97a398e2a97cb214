"""ONNX export: encoder.onnx and decoder.onnx run in onnxruntime and match PyTorch to 1e-5."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from aekit import AutoEncoder, VariationalAutoEncoder

pytestmark = pytest.mark.usefixtures("one_torch_thread", "onnx_registry_built_once")


def models():
    yield AutoEncoder(
        latent_dim=3,
        hidden_dims=(32, 16),
        tied_weights=True,
        latent_activation="tanh",
        loss="bce",
        max_epochs=2,
        random_state=0,
    )
    yield VariationalAutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=2, random_state=0)


@pytest.mark.slow
@pytest.mark.parametrize("est", list(models()), ids=lambda e: type(e).__name__)
def test_onnx_encoder_and_decoder_match_pytorch(est, digits, tmp_path):
    X_train, X_test = digits[0].astype(np.float32), digits[1][:37].astype(np.float32)
    est.fit(X_train)
    files = est.to_onnx(tmp_path / "onnx")
    assert set(files) == {"encoder", "decoder"}
    for path in files.values():
        onnx.checker.check_model(onnx.load(str(path)))
    encoder = ort.InferenceSession(str(files["encoder"]), providers=["CPUExecutionProvider"])
    decoder = ort.InferenceSession(str(files["decoder"]), providers=["CPUExecutionProvider"])
    codes = encoder.run(["code"], {"x": X_test})[0]
    np.testing.assert_allclose(codes, est.transform(X_test), atol=1e-5, rtol=1e-5)
    decoded = decoder.run(["reconstruction"], {"code": codes})[0]
    np.testing.assert_allclose(decoded, est.inverse_transform(codes), atol=1e-5, rtol=1e-5)
    assert encoder.run(None, {"x": X_test[:1]})[0].shape == (1, est.latent_dim)
    info = json.loads((tmp_path / "onnx" / "onnx.json").read_text())
    assert info["encoder"]["input"] == ["x", ["batch", X_test.shape[1]]]
    assert sorted(p.name for p in (tmp_path / "onnx").iterdir()) == ["decoder.onnx", "encoder.onnx", "onnx.json"]


def test_export_needs_a_fitted_model(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AutoEncoder().to_onnx(tmp_path)


def _raw_table(path, categorical: bool) -> None:
    """A table in raw units: columns with means ~1000 and ~0.01 (and a text column)."""
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 90
    a = rng.normal(1000, 50, n)
    frame = {"big": a, "small": 0.01 + 0.002 * rng.normal(size=n), "both": a / 1e5 + rng.normal(0, 0.001, n)}
    if categorical:
        frame["site"] = rng.choice(["north", "south", "east"], n)
        frame["code"] = rng.choice(["x", "y"], n)  # a column named like the output
        frame["n_visits"] = rng.integers(0, 5, n)
    pd.DataFrame(frame).to_csv(path, index=False)


def _run_codes(run, csv, tmp_path):
    from aekit.cli import main

    assert main(["encode", str(run), str(csv), str(tmp_path / "codes.npy")]) == 0
    assert main(["reconstruct", str(run), str(csv), str(tmp_path / "rec.npy")]) == 0
    return np.load(tmp_path / "codes.npy"), np.load(tmp_path / "rec.npy")


@pytest.mark.parametrize("model", ["autoencoder", "vae"])
def test_export_of_a_table_run_takes_raw_rows(model, tmp_path, capsys):
    """`aekit export` of a run on a raw-unit table: encoder.onnx takes the raw rows and gives
    `aekit encode`'s codes, decoder.onnx gives `aekit reconstruct`'s rows in the data's units;
    the graphs on scaled input stay as encoder_scaled.onnx and decoder_scaled.onnx."""
    import pandas as pd

    from aekit.cli import main

    _raw_table(tmp_path / "t.csv", categorical=False)
    run = tmp_path / "run"
    train = ["train", "--data", str(tmp_path / "t.csv"), "--model", model, "--epochs", "2", "--out", str(run), "--quiet"]
    assert main([*train, "--set", "model.hidden_dims=[8]"]) == 0
    assert main(["export", str(run), "--onnx", str(tmp_path / "onnx")]) == 0
    out = capsys.readouterr().out
    assert "encoder.onnx: takes x (batch, 3) -> code" in out and "raw rows in the data's units" in out
    codes, reconstruction = _run_codes(run, tmp_path / "t.csv", tmp_path)
    X = pd.read_csv(tmp_path / "t.csv").to_numpy(np.float32)
    encoder = ort.InferenceSession(str(tmp_path / "onnx" / "encoder.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in encoder.get_inputs()] == ["x"]
    onnx_codes = encoder.run(["code"], {"x": X})[0]
    np.testing.assert_allclose(onnx_codes, codes, atol=1e-5, rtol=1e-5)
    decoder = ort.InferenceSession(str(tmp_path / "onnx" / "decoder.onnx"), providers=["CPUExecutionProvider"])
    decoded = decoder.run(["reconstruction"], {"code": onnx_codes})[0]
    np.testing.assert_allclose(decoded, reconstruction, rtol=1e-5, atol=1e-7)
    assert 900 < decoded[:, 0].mean() < 1100  # the data's units, not standardised
    scaled = ort.InferenceSession(str(tmp_path / "onnx" / "encoder_scaled.onnx"), providers=["CPUExecutionProvider"])
    info = json.loads((tmp_path / "onnx" / "data.json").read_text())["scaling"]
    standardised = (X - np.float32(info["offset"])) / np.float32(info["scale"])
    np.testing.assert_allclose(scaled.run(None, {"x": standardised})[0], codes, atol=1e-5, rtol=1e-5)
    assert not np.allclose(scaled.run(None, {"x": X})[0], codes, atol=1e-2)  # the scaled graph on raw rows is wrong
    described = json.loads((tmp_path / "onnx" / "onnx.json").read_text())
    assert described["encoder_scaled"]["file"] == "encoder_scaled.onnx" and described["feature_names"] == ["big", "small", "both"]


def test_export_of_a_table_with_categories_takes_a_string_input_per_column(tmp_path, capsys):
    """A table with a text column: encoder.onnx takes 'numeric' (the numeric columns, raw) and
    the text column as strings, one-hot encoded inside the graph; the codes match `aekit encode`
    (evaluated with onnxruntime and with onnx's reference evaluator)."""
    import pandas as pd
    from onnx.reference import ReferenceEvaluator

    from aekit.cli import main

    _raw_table(tmp_path / "t.csv", categorical=True)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "2", "--out", str(run), "--quiet"]) == 0
    assert main(["export", str(run), "--onnx", str(tmp_path / "onnx")]) == 0
    assert "encoder.onnx: takes numeric (batch, 4), site (batch,) string, column:code (batch,) string -> code" in capsys.readouterr().out
    frame = pd.read_csv(tmp_path / "t.csv")
    codes, reconstruction = _run_codes(run, tmp_path / "t.csv", tmp_path)
    feeds = {
        "numeric": frame[["big", "small", "both", "n_visits"]].to_numpy(np.float32),
        "site": frame["site"].to_numpy(dtype=object),
        "column:code": frame["code"].to_numpy(dtype=object),
    }
    path = str(tmp_path / "onnx" / "encoder.onnx")
    encoder = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [(i.name, i.type) for i in encoder.get_inputs()] == [
        ("numeric", "tensor(float)"), ("site", "tensor(string)"), ("column:code", "tensor(string)")
    ]  # fmt: skip
    np.testing.assert_allclose(encoder.run(["code"], feeds)[0], codes, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(ReferenceEvaluator(path).run(["code"], feeds)[0], codes, atol=1e-5, rtol=1e-5)
    unseen = encoder.run(["code"], {**{k: v[:2] for k, v in feeds.items()}, "site": np.array(["west", "north"], dtype=object)})[0]
    assert np.isnan(unseen[0]).all() and np.isfinite(unseen[1]).all()
    decoder = ort.InferenceSession(str(tmp_path / "onnx" / "decoder.onnx"), providers=["CPUExecutionProvider"])
    decoded = decoder.run(["reconstruction"], {"code": codes.astype(np.float32)})[0]
    np.testing.assert_allclose(decoded, reconstruction, rtol=1e-5, atol=1e-6)
    info = json.loads((tmp_path / "onnx" / "onnx.json").read_text())["encoder"]
    assert info["numeric_columns"] == ["big", "small", "both", "n_visits"]
    assert info["categories"] == {"site": ["east", "north", "south"], "code": ["x", "y"]}


def test_the_export_of_an_integer_npy_run_says_how_its_rows_were_divided(tmp_path, capsys):
    """A run on a uint8 .npy encodes the file's pixels divided by 255; its encoder.onnx takes
    those rows, which 'raw rows in the data's units' left the user to guess (the raw pixels gave
    other codes). The export now says what the rows are, and that gives aekit encode's codes."""
    from aekit.cli import main

    images = np.random.default_rng(0).integers(0, 256, size=(30, 1, 6, 6)).astype(np.uint8)
    np.save(tmp_path / "pixels.npy", images)
    run = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "pixels.npy"), "--epochs", "1", "--out", str(run), "--quiet"]
    assert main([*args, "--set", "model.hidden_dims=[8]"]) == 0
    assert main(["export", str(run), "--onnx", str(tmp_path / "onnx")]) == 0
    assert "the .npy's integers divided by 255" in capsys.readouterr().out
    assert main(["encode", str(run), str(tmp_path / "pixels.npy"), str(tmp_path / "codes.npy")]) == 0
    encoder = ort.InferenceSession(str(tmp_path / "onnx" / "encoder.onnx"), providers=["CPUExecutionProvider"])
    codes = encoder.run(None, {"x": images.reshape(30, -1).astype(np.float32) / 255})[0]
    np.testing.assert_allclose(codes, np.load(tmp_path / "codes.npy"), atol=1e-5)


def test_the_export_of_a_digits_run_says_its_values_were_divided_by_16(tmp_path, capsys):
    # the digits run's encoder.onnx said 'raw rows in the data's units', but scikit-learn's digits
    # (0 to 16) gave codes far from aekit encode's: aekit reads them divided by 16
    from sklearn.datasets import load_digits

    from aekit.cli import main

    run = tmp_path / "run"
    assert main(["train", "--data", "digits", "--epochs", "1", "--out", str(run), "--quiet", "--set", "model.hidden_dims=[8]"]) == 0
    assert main(["export", str(run), "--onnx", str(tmp_path / "onnx")]) == 0
    assert "(values 0 to 16) divided by 16" in capsys.readouterr().out
    assert main(["encode", str(run), "digits", str(tmp_path / "codes.npy")]) == 0
    encoder = ort.InferenceSession(str(tmp_path / "onnx" / "encoder.onnx"), providers=["CPUExecutionProvider"])
    codes = encoder.run(None, {"x": load_digits().data.astype(np.float32) / 16})[0]
    np.testing.assert_allclose(codes, np.load(tmp_path / "codes.npy"), atol=1e-5)


def test_the_export_of_a_text_run_says_its_rows_are_word_counts_over_the_runs_words(tmp_path, capsys):
    # it said only 'raw rows in the data's units', leaving the columns (the run's words) to guess
    from aekit.cli import main

    for label, words in [("a", "apple banana apple cherry"), ("b", "dog cat dog mouse")]:
        (tmp_path / "docs" / label).mkdir(parents=True)
        for i in range(6):
            (tmp_path / "docs" / label / f"{i}.txt").write_text(f"{words} {words.split()[i % 4]}")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "docs"), "--epochs", "1", "--loss", "multinomial", "--quiet", "--out", str(run)]) == 0
    assert main(["export", str(run), "--onnx", str(tmp_path / "onnx")]) == 0
    out = capsys.readouterr().out
    assert "counts of the run's words, in the order of data.json's feature_names" in out
    assert "decoder.onnx: takes code (batch, 2) -> reconstruction (batch, 6) (gives word proportions; times a document's length" in out
    words = json.loads((tmp_path / "onnx" / "data.json").read_text())["feature_names"]
    x = np.array([[3.0 if w == "apple" else 1.0 if w in ("banana", "cherry") else 0.0 for w in words]], np.float32)
    assert main(["encode", str(run), str(tmp_path / "docs"), str(tmp_path / "codes.npy")]) == 0
    encoder = ort.InferenceSession(str(tmp_path / "onnx" / "encoder.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(encoder.run(None, {"x": x})[0], np.load(tmp_path / "codes.npy")[[0]], atol=1e-5)  # a/0.txt


@pytest.mark.parametrize("kind", ["detector", "imputer", "classifier"])
def test_export_refuses_an_estimator_that_is_not_an_autoencoder(kind, tmp_path, capsys):
    # these crashed with AttributeError: ... no attribute 'code_dim_' (a TorchExportError for the classifier)
    from aekit import AutoEncoderClassifier, AutoEncoderImputer, AutoEncoderOutlierDetector
    from aekit.cli import main
    from aekit.saving.export import to_onnx

    X = np.random.default_rng(0).normal(size=(60, 4)).astype(np.float32)
    est = {
        "detector": lambda: AutoEncoderOutlierDetector(AutoEncoder(latent_dim=2, max_epochs=1, random_state=0)).fit(X),
        "imputer": lambda: AutoEncoderImputer(latent_dim=2, n_members=1, max_epochs=1, random_state=0).fit(X),
        "classifier": lambda: AutoEncoderClassifier(max_epochs=1, random_state=0).fit(X, X[:, 0] > 0),
    }[kind]()
    name = type(est).__name__
    with pytest.raises(ValueError, match=f"{name} cannot be exported to ONNX: .* is not one"):
        to_onnx(est, tmp_path / "onnx")
    est.save(tmp_path / "model")
    capsys.readouterr()
    assert main(["export", str(tmp_path / "model"), "--onnx", str(tmp_path / "onnx")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"aekit export: error: {name} cannot be exported") and err.count("\n") == 1
    assert ("to_onnx(est.autoencoder_, path)" in err) == (kind == "detector")
    assert not (tmp_path / "onnx").exists()


def test_exporting_a_model_into_an_earlier_runs_export_folder_leaves_none_of_the_runs_files(tmp_path, capsys):
    # the run's encoder_scaled.onnx, decoder_scaled.onnx and data.json (its scaling) stayed beside the new
    # model's graphs, which onnx.json no longer described: a server reading data.json scaled rows for another model
    from aekit.cli import main

    _raw_table(tmp_path / "t.csv", categorical=False)
    run, onnx_dir = tmp_path / "run", tmp_path / "onnx"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--out", str(run), "--quiet", "--set", "model.hidden_dims=[8]"]) == 0
    assert main(["export", str(run), "--onnx", str(onnx_dir)]) == 0
    assert {"data.json", "encoder_scaled.onnx", "decoder_scaled.onnx"} <= {p.name for p in onnx_dir.iterdir()}
    import pandas as pd

    X = pd.DataFrame(np.random.default_rng(1).random((40, 3)).astype(np.float32), columns=["weight", "age", "height"])
    model = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(X)
    model.save(tmp_path / "model")
    capsys.readouterr()
    assert main(["export", str(tmp_path / "model"), "--onnx", str(onnx_dir)]) == 0
    assert "takes x (batch, 3) -> code (batch, 2) (x: the columns weight, age, height, in onnx.json's feature_names order)" \
        in capsys.readouterr().out
    assert sorted(p.name for p in onnx_dir.iterdir()) == ["decoder.onnx", "encoder.onnx", "onnx.json"]
    encoder = ort.InferenceSession(str(onnx_dir / "encoder.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(encoder.run(None, {"x": X.to_numpy()})[0], model.transform(X), atol=1e-5, rtol=1e-5)
    # onnx.json of a model fitted on a DataFrame did not say which column goes where in x
    info = json.loads((onnx_dir / "onnx.json").read_text())
    assert info["feature_names"] == ["weight", "age", "height"]
    assert info["encoder"]["input_dtype"] == info["decoder"]["input_dtype"] == "float32"


def test_a_true_false_column_takes_the_tables_own_spellings(tmp_path):
    # a CSV column of TRUE/FALSE (as spreadsheets write it) is read as booleans, whose levels the graph knew
    # only as 'True'/'False': encoder.onnx gave NaN codes for every row of the file's own strings
    from aekit.cli import main

    rng = np.random.default_rng(0)
    amount, flag = rng.normal(100, 5, 60), rng.choice(["TRUE", "FALSE"], 60)
    flag[:3] = ["true", "false", "True"]
    (tmp_path / "t.csv").write_text("amount,flag\n" + "".join(f"{a},{f}\n" for a, f in zip(amount, flag)))
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    assert main(["export", str(run), "--onnx", str(tmp_path / "onnx")]) == 0
    assert main(["encode", str(run), str(tmp_path / "t.csv"), str(tmp_path / "codes.npy")]) == 0
    encoder = ort.InferenceSession(str(tmp_path / "onnx" / "encoder.onnx"), providers=["CPUExecutionProvider"])
    feeds = {"numeric": amount.reshape(-1, 1).astype(np.float32), "flag": flag.astype(object)}
    np.testing.assert_allclose(encoder.run(None, feeds)[0], np.load(tmp_path / "codes.npy"), atol=1e-5, rtol=1e-5)


def test_an_export_that_fails_on_the_decoder_leaves_the_earlier_export_whole(tmp_path, monkeypatch):
    # encoder.onnx was written before the decoder's export ran: when that failed, the folder held the new
    # model's encoder beside the old model's decoder and onnx.json
    import aekit.saving.export as export

    X = np.random.default_rng(0).random((40, 4)).astype(np.float32)
    old = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(X)
    old.to_onnx(tmp_path / "onnx")
    before = {p.name: p.read_bytes() for p in (tmp_path / "onnx").iterdir()}
    real = export._export

    def fail_on_the_decoder(wrapper, example, input_name, output_name):
        if input_name == "code":
            raise RuntimeError("exporter failed")
        return real(wrapper, example, input_name, output_name)

    monkeypatch.setattr(export, "_export", fail_on_the_decoder)
    new = AutoEncoder(latent_dim=3, hidden_dims=(8,), max_epochs=1, random_state=1).fit(X)
    with pytest.raises(RuntimeError, match="exporter failed"):
        new.to_onnx(tmp_path / "onnx")
    with pytest.raises(RuntimeError, match="exporter failed"):
        new.to_onnx(tmp_path / "fresh")
    assert {p.name: p.read_bytes() for p in (tmp_path / "onnx").iterdir()} == before
    assert not (tmp_path / "fresh").exists()


def test_exporting_a_run_into_its_own_folder_succeeds_and_keeps_its_data_json(tmp_path, capsys):
    # 'aekit export RUN --onnx RUN' wrote the graphs, then failed copying data.json onto itself:
    # "error: PosixPath('RUN/data.json') and PosixPath('RUN/data.json') are the same file"
    from aekit.cli import main

    _raw_table(tmp_path / "t.csv", categorical=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--out", str(run), "--quiet", "--set", "model.hidden_dims=[8]"]) == 0
    data = (run / "data.json").read_bytes()
    assert main(["export", str(run), "--onnx", str(run)]) == 0
    assert (run / "data.json").read_bytes() == data and (run / "encoder.onnx").is_file()
    assert main(["encode", str(run), str(tmp_path / "t.csv"), str(tmp_path / "codes.npy")]) == 0
    X = np.random.default_rng(1).random((40, 3)).astype(np.float32)
    AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(X).save(tmp_path / "model")
    assert main(["export", str(tmp_path / "model"), "--onnx", str(run)]) == 0  # another model into the run: its data.json stays
    assert (run / "data.json").read_bytes() == data


@pytest.mark.slow
def test_exporting_an_unpooling_model_prints_no_notice_of_the_exporters_own(tmp_path, caplog):
    """The export of a ConvAutoEncoder with upsampling='unpool' printed 'Attribute type is ambiguous because
    it is an empty sequence. Please create an Attr with an explicit type. Defaulted to INTS', onnx_ir's
    log line about torch's own graph, not the user's model; the graph is right all the same."""
    from sklearn.datasets import load_digits

    from aekit import ConvAutoEncoder

    images = (load_digits().data[:40] / 16).reshape(-1, 1, 8, 8).astype(np.float32)
    model = ConvAutoEncoder(latent_dim=2, channels=(4,), upsampling="unpool", max_epochs=1, random_state=0).fit(images)
    with caplog.at_level("WARNING"):
        files = model.to_onnx(tmp_path / "onnx")  # dynamo's UserWarning on the unpooling indices failed it here
    assert [r.getMessage() for r in caplog.records if r.levelno >= 30] == []
    codes = ort.InferenceSession(str(files["encoder"])).run(None, {"x": images.reshape(40, -1)})[0]
    np.testing.assert_allclose(codes, model.transform(images), atol=1e-5)
