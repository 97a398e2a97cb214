"""The pieces under `aekit train` and `aekit report`: checkpoints, TensorBoard event files,
the image grid figure and the self-contained report page."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from aekit import AutoEncoder, ConvAutoEncoder, TrainConfig, train
from aekit.training.checkpoint import Checkpointer, read_checkpoint
from aekit.nn.likelihoods import MSE
from aekit.nn.models import AutoEncoderModule
from aekit.nn import MLPDecoder, MLPEncoder
from aekit.app.plot import plot_image_grid
from aekit.app.report import Section, write_report
from aekit.training._tfevents import EventWriter, crc32c

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return rng.random((120, 3)) @ rng.random((3, 8))


class StopAfter:
    """A callback that raises after `epoch` epochs (once the checkpoint is saved), like a Ctrl-C."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, est, epoch: int, logs: dict) -> None:
        if epoch + 1 == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize(
    "params",
    [
        {"optimizer": "sgd", "corruption": "mask"},
        {"optimizer": "adam", "early_stopping": 50},
        {"optimizer": "rmsprop", "validation_fraction": 0.0},
        {"optimizer": "adam", "precision": "bf16-mixed"},  # the first resumed step ran on the untrained bfloat16 weights
    ],
    ids=["sgd-momentum", "adam-early-stopping", "rmsprop-no-validation", "bf16-mixed"],
)
def test_a_resumed_fit_equals_an_uninterrupted_one(X, tmp_path, params):
    def make():
        return AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=5, batch_size=32, random_state=0, **params)

    path = tmp_path / "ckpt.safetensors"
    full = make().fit(X)
    with pytest.raises(KeyboardInterrupt):
        make().fit(X, checkpoint=Checkpointer(path, fingerprint={"run": 1}), callbacks=[StopAfter(2)])
    info, _ = read_checkpoint(path)
    assert info["epoch"] == 2 and len(info["history"]["loss"]) == 2
    resumer = Checkpointer(path, fingerprint={"run": 1}, resume=True)
    resumed = make().fit(X, checkpoint=resumer)
    assert resumer.restored_epoch == 2
    assert resumed.history_ == {**full.history_, "epoch_seconds": resumed.history_["epoch_seconds"]}
    np.testing.assert_array_equal(resumed.transform(X), full.transform(X))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.safetensors"]


def _resume_cases() -> list:
    """(class, parameters) of every registered model, then of the options that carry state from
    one epoch to the next (a code's balancing offsets and threshold, its noise, a KL warm-up, a
    PCA start early stopping may keep, an ensemble of imputers, a classifier's pretraining)."""
    from aekit import AutoEncoderClassifier, AutoEncoderImputer, VariationalAutoEncoder
    from aekit.app.config import model_registry

    classes = list(dict.fromkeys(model_registry().values()))
    mlp = {"hidden_dims": (8,), "lr_schedule": "cosine"}
    return [(cls, {} if issubclass(cls, ConvAutoEncoder) else mlp) for cls in classes] + [
        (AutoEncoder, {**mlp, "sparsity_kind": "topk", "k": 2, "early_stopping": 1}),
        (AutoEncoder, {**mlp, "sparsity_kind": "batch_topk", "k": 2}),
        (AutoEncoder, {**mlp, "binary_code": True}),  # the code's noise restarted from the fit's start
        (AutoEncoder, {"init": "pca", "loss": "mse", "output_activation": "linear", "early_stopping": 2}),
        (VariationalAutoEncoder, {**mlp, "kl_warmup_epochs": 3, "beta": 2.0}),
        (AutoEncoderImputer, {"hidden_dims": (8,), "n_members": 2, "plausible_values": False, "blend": None}),
        (AutoEncoderClassifier, {"hidden_dims": (8,), "pretrain_epochs": 2}),
    ]


@pytest.mark.parametrize("cls, params", _resume_cases(), ids=lambda v: v.__name__ if isinstance(v, type) else ",".join(v))
def test_every_model_resumed_after_an_interruption_ends_as_an_uninterrupted_fit(digits, tmp_path, cls, params):
    rows, labels = digits[0][:100], digits[2][:100]
    if issubclass(cls, ConvAutoEncoder):
        params, rows = {"channels": (4,), **params}, rows.reshape(-1, 8, 8)
    if cls.__name__ == "AutoEncoderImputer":
        rows = np.where(np.random.default_rng(0).random((100, 6)) < 0.1, np.nan, rows[:, 18:24])
    classifier = cls.__name__ == "AutoEncoderClassifier"
    fit_args = (rows, labels) if classifier else (rows,)

    def make():
        return cls(latent_dim=2, max_epochs=4, batch_size=32, random_state=0, **params)

    path = tmp_path / "ckpt.safetensors"
    full = make().fit(*fit_args)
    with pytest.raises(KeyboardInterrupt):
        make().fit(*fit_args, checkpoint=Checkpointer(path), callbacks=[StopAfter(2)])
    resumed = make().fit(*fit_args, checkpoint=Checkpointer(path, resume=True))
    assert resumed.n_epochs_ == full.n_epochs_
    assert resumed.history_ == {**full.history_, "epoch_seconds": resumed.history_["epoch_seconds"]}
    weights, resumed_weights = full.module_.state_dict(), resumed.module_.state_dict()
    assert weights.keys() == resumed_weights.keys()
    assert all(torch.equal(weights[k], resumed_weights[k]) for k in weights)
    output = "predict_proba" if classifier else "transform"
    np.testing.assert_array_equal(getattr(resumed, output)(rows), getattr(full, output)(rows))


def test_a_finished_fit_resumed_with_more_epochs_equals_one_fit_of_them_all(X, tmp_path):
    # history_['settings'] of the resumed fit said max_epochs 3, the saved fit's, after training to 6
    def make(epochs):
        return AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=epochs, batch_size=32, random_state=0)

    path = tmp_path / "ckpt.safetensors"
    full = make(6).fit(X)
    assert make(3).fit(X, checkpoint=Checkpointer(path)).history_["settings"]["max_epochs"] == 3
    resumed = make(6).fit(X, checkpoint=Checkpointer(path, resume=True))
    assert resumed.history_ == {**full.history_, "epoch_seconds": resumed.history_["epoch_seconds"]}
    assert resumed.history_["settings"]["max_epochs"] == 6 and len(resumed.history_["loss"]) == 6
    np.testing.assert_array_equal(resumed.transform(X), full.transform(X))
    # resumed with fewer epochs than the checkpoint holds, the fit returned the 6-epoch model without a word
    with pytest.warns(UserWarning, match="holds 6 trained epochs, more than this fit's 4: the fit trains no further"):
        fewer = make(4).fit(X, checkpoint=Checkpointer(path, resume=True))
    assert fewer.n_epochs_ == 6


def test_checkpoints_refuse_another_model_and_damaged_files(X, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    AutoEncoder(max_epochs=1, random_state=0).fit(X, checkpoint=Checkpointer(path, fingerprint={"latent_dim": 2}))
    with pytest.raises(ValueError, match="written for another model or data: latent_dim is 2 there, 3 here"):
        AutoEncoder(max_epochs=2, random_state=0).fit(
            X, checkpoint=Checkpointer(path, fingerprint={"latent_dim": 3}, resume=True)
        )
    with pytest.raises(ValueError, match="does not fit this model"):
        AutoEncoder(hidden_dims=(4,), max_epochs=2, random_state=0).fit(  # the same rows: only the model differs
            X, checkpoint=Checkpointer(path, fingerprint={"latent_dim": 2}, resume=True)
        )
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="not a readable aekit checkpoint"):
        read_checkpoint(path)


def test_a_checkpoint_is_not_resumed_on_other_rows(X, tmp_path):
    # rows of the same shape resumed silently: the history and the weights of the old rows, trained on the new
    path = tmp_path / "ckpt.safetensors"

    def make():
        return AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=4, batch_size=32, random_state=0)

    with pytest.raises(KeyboardInterrupt):
        make().fit(X, checkpoint=Checkpointer(path), callbacks=[StopAfter(2)])
    with pytest.raises(ValueError, match="ckpt.safetensors' was written while training on other rows"):
        make().fit(X[::-1], checkpoint=Checkpointer(path, resume=True))
    resumer = Checkpointer(path, resume=True)
    assert make().fit(X, checkpoint=resumer).n_epochs_ == 4 and resumer.restored_epoch == 2


def test_a_checkpoint_does_not_change_the_training(X, tmp_path):
    def fit(checkpoint):
        torch.manual_seed(0)
        module = AutoEncoderModule(MLPEncoder(8, 2, (8,)), MLPDecoder(2, 8, (8,)), MSE("linear"))
        data = torch.tensor(X, dtype=torch.float32)
        history = train(
            module,
            data,
            TrainConfig(max_epochs=3, batch_size=16),
            torch.Generator().manual_seed(1),
            checkpoint=checkpoint,
        )
        return history.loss, module.state_dict()

    plain_loss, plain = fit(None)
    saved_loss, saved = fit(Checkpointer(tmp_path / "c.safetensors"))
    assert plain_loss == saved_loss and all(torch.equal(plain[k], saved[k]) for k in plain)


def _records(path) -> list[bytes]:
    """The payloads of a TFRecord file, checking both checksums of every record."""
    data, out, at = path.read_bytes(), [], 0

    def masked(b: bytes) -> int:
        crc = crc32c(b)
        return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF

    while at < len(data):
        header = data[at : at + 8]
        (length,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", data[at + 8 : at + 12])[0] == masked(header)
        payload = data[at + 12 : at + 12 + length]
        assert struct.unpack("<I", data[at + 12 + length : at + 16 + length])[0] == masked(payload)
        out.append(payload)
        at += 16 + length
    return out


def test_event_files_are_valid_tfrecords_that_tensorboard_reads(tmp_path):
    assert crc32c(b"123456789") == 0xE3069283
    with EventWriter(tmp_path) as writer:
        for step in (1, 2, 3):
            writer.add_scalars(step, {"loss/train": 1 / step, "loss/validation": 2 / step})
    records = _records(writer.path)
    assert len(records) == 4 and b"brain.Event:2" in records[0] and b"loss/validation" in records[3]
    from tensorboard.backend.event_processing import event_accumulator as accumulator
    events = accumulator.EventAccumulator(str(tmp_path))
    events.Reload()
    assert sorted(events.Tags()["scalars"]) == ["loss/train", "loss/validation"]
    assert [(e.step, round(e.value, 6)) for e in events.Scalars("loss/validation")] == [
        (1, 2.0),
        (2, 1.0),
        (3, 0.666667),
    ]


@pytest.mark.parametrize("image_shape, n_features", [((4, 5), 20), ((3, 2, 3), 18), (None, 7)])
def test_image_grid_draws_images_colour_images_and_tables(tmp_path, image_shape, n_features):
    grid = np.random.default_rng(0).random((3, 4, n_features))
    grid[0, 0] = np.nan
    fig = plot_image_grid(grid, image_shape, row_labels=["a", "b", "c"], title="t", path=tmp_path / "g.png")
    assert isinstance(fig, Figure) and (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="row_labels has 2 entries for 3 rows"):
        plot_image_grid(grid, image_shape, row_labels=["a", "b"])


def test_image_grid_refuses_shapes_that_do_not_fit():
    with pytest.raises(ValueError, match=r"image_shape \(3, 3\) does not hold 20 features"):
        plot_image_grid(np.zeros((1, 2, 20)), (3, 3))
    with pytest.raises(ValueError, match="non-empty"):
        plot_image_grid(np.zeros((0, 2, 20)))


def test_embedded_report_is_one_self_contained_file(tmp_path):
    plot_image_grid(np.zeros((1, 2, 4)), (2, 2), path=tmp_path / "g.png")
    page = write_report(
        tmp_path, "r", [Section("S", images=[("g.png", "grid")], code="model:\n  name: <vae>")], embed_images=True
    ).read_text()
    assert 'src="data:image/png;base64,iVBOR' in page and "g.png" not in page.split("<body>")[1]
    assert "<pre>model:\n  name: &lt;vae&gt;</pre>" in page


def test_a_run_of_four_channel_images_is_reported_with_its_rows_drawn_as_values(tmp_path, capsys):
    # 'aekit report' of a run trained on a (n, 4, H, W) .npy stopped with "image_shape (4, 6, 6) does not hold 144
    # features as (height, width) or (3, height, width)", though it does hold 144
    from aekit.app.plot import plot_samples
    from aekit.cli import main
    from tests.conftest import ReportPage

    np.save(tmp_path / "four.npy", np.random.default_rng(0).random((40, 4, 6, 6)).astype(np.float32))
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "four.npy"), "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    assert main(["report", str(run)]) == 0
    page = ReportPage(run / "report.html")
    assert {"Reconstructions", "Samples", "Interpolations"} <= set(page.headings)
    assert len(page.images) >= 6 and all(src.startswith("data:image/png;base64,") for src, _ in page.images)
    with pytest.raises(ValueError, match=r"image_shape \(4, 6, 6\) has 4 channels: pictures are drawn from 1 \(grey\) or 3"):
        plot_samples(np.zeros((2, 144)), (4, 6, 6))


def _target_with_gaps_run(tmp_path, capsys, kind: str):
    """Train a run on a table whose target (a price, or yes/no) has missing values in both parts,
    evaluate it; (the run, the printed AutoEncoder k-NN figure, the figure sklearn gives on the
    labelled rows' codes)."""
    import pandas as pd
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    from aekit.app.runs import open_model
    from aekit.cli import main

    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(120, 4)), columns=list("abcd"))
    if kind == "numeric":
        table["y"] = 3 * table["a"] + rng.normal(scale=0.1, size=120) + 0.5
        table.loc[::10, "y"] = np.nan
    else:
        table["y"] = np.where(table["a"] > 0, "yes", "no")
        table.loc[::9, "y"] = None
    table.to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--set", "data.target=y", "--epochs", "1", "--quiet",
                 "--out", str(run)]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["evaluate", str(run)]) == 0
    row = next(line.split() for line in capsys.readouterr().out.splitlines() if line.split()[:2] == ["AutoEncoder", "2"])
    model = open_model(run)
    split, est = model.split, model.estimator
    train, test = pd.notna(split.y_train), pd.notna(split.y_test)
    assert not train.all() and not test.all()
    Z_train, Z_test = (est.transform(model.scaling.transform(X)) for X in (split.X_train, split.X_test))
    knn = KNeighborsRegressor(5) if kind == "numeric" else KNeighborsClassifier(5)
    return run, float(row[4]), knn.fit(Z_train[train], split.y_train[train]).score(Z_test[test], split.y_test[test])


def test_a_run_whose_numeric_target_has_gaps_is_evaluated_on_the_labelled_rows(tmp_path, capsys):
    # 'aekit evaluate' and 'aekit report' of a table run whose target column had a missing value stopped with
    # sklearn's "Input contains NaN." (and a warning "invalid value encountered in cast")
    from aekit.cli import main

    run, printed, expected = _target_with_gaps_run(tmp_path, capsys, "numeric")
    assert printed == pytest.approx(expected, abs=1e-3)
    assert main(["report", str(run)]) == 0


def test_a_run_whose_text_target_has_gaps_trains_evaluates_and_reports(tmp_path, capsys, monkeypatch):
    # 'aekit train --set data.target=y' with y in {yes, no, empty} stopped with "'<' not supported between
    # 'float' and 'str'" (and evaluate, report and explore with it, once the split was mended)
    from aekit.app import plot
    from aekit.cli import main
    from tests.conftest import ReportPage

    original = plot.plot_reconstructions

    run, printed, expected = _target_with_gaps_run(tmp_path, capsys, "text")
    assert printed == pytest.approx(expected, abs=1e-3)
    drawn = []
    monkeypatch.setattr(plot, "plot_reconstructions", lambda *a, **kw: drawn.append(kw["labels"]) or original(*a, **kw))
    assert main(["report", str(run)]) == 0 and main(["explore", str(run)]) == 0
    assert "no label" in (run / "explorer.html").read_text()
    # the reconstructions were said to show 'one per class' but neither said which class each was
    assert drawn[0] == drawn[1] and sorted(drawn[0][:2]) == ["no", "yes"] and set(drawn[0]) <= {"no", "yes", "no label"}
    assert "the first of each class first, each titled with its class." in ReportPage(run / "report.html").text


def test_the_report_of_a_table_run_names_its_columns_in_the_figures(tmp_path, monkeypatch):
    import pandas as pd

    from aekit.app import plot
    from aekit.cli import main

    names = {}

    def recorder(name):
        original = getattr(plot, name)

        def record(*args, **kwargs):
            names[name] = kwargs["feature_names"]
            return original(*args, **kwargs)

        return record

    for name in ("plot_reconstructions", "plot_samples", "plot_interpolations"):
        monkeypatch.setattr(plot, name, recorder(name))
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"age": rng.normal(50, 9, 60), "income": rng.normal(4e4, 9e3, 60), "colour": rng.choice(["red", "blue"], 60)})
    table.to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    assert main(["report", str(run)]) == 0
    assert names == dict.fromkeys(["plot_reconstructions", "plot_samples", "plot_interpolations"],
                                  ["age", "income", "colour=blue", "colour=red"])  # fmt: skip


def test_the_report_says_when_the_model_kept_the_weights_it_started_from(tmp_path):
    # on rows PCA fits exactly, no epoch beat the PCA start, so the fit kept it ('aekit train' said so), but the
    # report's Training section said only "Loss per epoch", beside curves of epochs the model no longer holds
    from aekit.app.runs import open_model
    from aekit.cli import main
    from tests.conftest import ReportPage

    rng = np.random.default_rng(0)
    np.savetxt(tmp_path / "t.csv", rng.normal(size=(80, 2)) @ rng.normal(size=(2, 6)), delimiter=",", header="a,b,c,d,e,f", comments="")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "2", "--quiet", "--out", str(run)]) == 0
    history = open_model(run).estimator.history_
    assert history["best_epoch"] is None and len(history["loss"]) == 2
    assert main(["report", str(run)]) == 0
    start = f"{history['settings']['start_val_loss']:.4g}"
    refitted = history["settings"]["start_refitted_rows"]
    assert (f"No epoch's validation loss beat that of the weights training started from ({start}), so the model keeps "
            f"them, refitted on all {refitted} training rows.") in ReportPage(run / "report.html").text  # fmt: skip


def test_a_report_of_a_model_folder_is_refused_naming_what_to_do(X, tmp_path, capsys):
    # 'aekit report saved_model' (a folder saved with est.save, or a run's model/) ended in a traceback:
    # AttributeError: 'NoneType' object has no attribute 'X_train'
    from aekit.cli import main

    AutoEncoder(latent_dim=2, hidden_dims=(4,), max_epochs=1, random_state=0).fit(X).save(tmp_path / "saved")
    assert main(["report", str(tmp_path / "saved")]) == 1
    err = capsys.readouterr().err
    assert "is a model folder, not a run" in err and f"'aekit evaluate {tmp_path / 'saved'} --data SOURCE'" in err
    assert not (tmp_path / "saved" / "report.html").exists()


def test_the_report_counts_components_in_plain_english(tmp_path):
    # a run with a 1-d code read "PCA with 1 components" and "PCA, 1 components", and a run of 8 training rows
    # "A 8-component Gaussian mixture"
    from aekit.cli import main
    from tests.conftest import ReportPage

    np.savetxt(tmp_path / "t.csv", np.random.default_rng(0).normal(size=(10, 3)), delimiter=",", header="a,b,c", comments="")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--latent-dim", "1", "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    assert main(["report", str(run)]) == 0
    page = ReportPage(run / "report.html")
    assert "PCA with 1 component, fitted on the same training rows" in page.text and "PCA, 1 component" in dict(page.images).values()
    assert "A Gaussian mixture of 8 components is fitted to the codes of the training rows" in page.text
    assert "The training curve is the objective" not in page.text  # a plain autoencoder's two curves measure one thing


def test_the_report_counts_the_rows_the_model_was_fitted_on_apart_from_its_validation_rows(tmp_path):
    # the summary read "trained ... on 80 rows", though 20 of them were the model's validation rows it never fitted on
    from aekit.cli import main
    from tests.conftest import ReportPage

    table = tmp_path / "t.csv"
    np.savetxt(table, np.random.default_rng(0).normal(size=(100, 4)), delimiter=",", header="a,b,c,d", comments="")
    note = ("The training curve is the objective training minimised, which is computed on corrupted inputs; the validation "
            "curve is the plain reconstruction loss of the clean held-out rows")  # a denoising run's: not the same measure
    for run, fraction, expected in (
        ("held", "0.25", f"on 60 of the 80 training rows of '{table}' (the other 20 rows measured its validation loss), then "
                         "measured on 20 held-out rows (after standard scaling). PCA with 2 components, fitted on all 80 training rows,"),
        ("none", "0", f"on 80 rows of '{table}', then measured on 20 held-out rows (after standard scaling). PCA with 2 "
                      "components, fitted on the same training rows,"),
    ):
        out = tmp_path / run
        assert main(["train", "--data", str(table), "--epochs", "2", "--set", f"model.validation_fraction={fraction}",
                     "--set", "model.init=random", "--quiet", "--out", str(out), "--model", "denoising"]) == 0
        assert main(["report", str(out)]) == 0
        page = ReportPage(out / "report.html").text
        assert expected in page and (note in page) == (run == "held")  # without validation rows there is no second curve


def _reported_five_row_run(tmp_path, *flags: str):
    """A run of a 5-row table of 3 columns (4 training rows, 1 held out), trained for one epoch with `flags`
    and reported: the run folder and its report page."""
    from aekit.cli import main
    from tests.conftest import ReportPage

    np.savetxt(tmp_path / "t.csv", np.random.default_rng(0).random((5, 3)), delimiter=",", header="a,b,c", comments="")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), *flags, "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    assert main(["report", str(run)]) == 0
    return run, ReportPage(run / "report.html")


def test_a_run_with_one_held_out_row_and_a_code_of_three_or_more_has_a_report_and_an_explorer(tmp_path, capsys):
    # 'aekit report' and 'aekit explore' of a 5-row table (one held-out row) with a 3-d code ended in a traceback:
    # IndexError: index 1 is out of bounds for axis 0 with size 1 (the map's plane of a single code)
    from aekit.cli import main

    run, page = _reported_five_row_run(tmp_path, "--latent-dim", "3")
    assert "Latent space" in page.headings and (run / "explorer.html").is_file()
    capsys.readouterr()
    assert main(["explore", str(run)]) == 0
    assert "1 of 1 rows" in capsys.readouterr().out


def test_the_summary_counts_one_epoch_and_one_held_out_row_in_the_singular(tmp_path, capsys):
    # a 5-row table trained for one epoch read "trained for 1 epochs on 4 rows ..., then measured on 1 held-out rows"
    run, page = _reported_five_row_run(tmp_path)
    assert f"was trained for 1 epoch on 4 rows of '{tmp_path / 't.csv'}', then measured on 1 held-out row. PCA" in page.text
    # --compare naming the run itself, or one run twice, added rows the table could not tell apart
    from aekit.cli import main

    capsys.readouterr()
    assert main(["report", str(run), "--compare", str(tmp_path / "." / "run")]) == 1
    assert "is the reported run itself: compare other runs of the same data, each once" in capsys.readouterr().err
    assert main(["report", str(run), "--compare", str(tmp_path / "other"), "--compare", str(tmp_path / "other")]) == 1
    assert f"--compare '{tmp_path / 'other'}' is named twice" in capsys.readouterr().err


def test_a_run_with_one_held_out_row_has_no_interpolation_from_that_row_to_itself(tmp_path):
    # with one held-out row, the Interpolations section drew "From one held-out row to another" from the row to itself
    run, page = _reported_five_row_run(tmp_path)
    assert "Interpolations run from one held-out row to another, and this run holds out 1 row" in page.text
    assert "Interpolations" not in dict(page.images).values() and not (run / "figures" / "interpolation.png").exists()


def test_a_run_with_one_training_row_has_a_report(tmp_path, capsys):
    # 'aekit report' of a 2-row table (one row to train on, one held out) warned "invalid value encountered in
    # divide" (PCA's variance of one row) and failed: "fitting a density needs at least 2 codes"
    from aekit.cli import main
    from tests.conftest import ReportPage

    (tmp_path / "t.csv").write_text("a,b,c\n1,2,3\n4,5,7\n")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["report", str(run)]) == 0
    assert "warning" not in capsys.readouterr().err
    page = ReportPage(run / "report.html")
    assert "A density of the training codes needs two training rows, and this run has one." in page.text
    assert "Decoded samples" not in dict(page.images).values() and "Samples" in page.headings


def test_generate_from_a_run_with_one_training_row_names_the_run_not_data(tmp_path, capsys):
    # 'aekit generate RUN out.npy' (no --data) was refused as "--data: fitting the density ... needs at least 2 rows"
    from aekit.cli import main

    (tmp_path / "t.csv").write_text("a,b,c\n1,2,3\n4,5,7\n")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    assert main(["generate", str(run), str(tmp_path / "s.npy")]) == 1
    assert (f"fitting the density to the codes needs at least 2 rows, and the run '{run}' has 1 training row; give more "
            "with --data SOURCE") in capsys.readouterr().err
    assert not (tmp_path / "s.npy").exists()


def test_the_summary_says_why_pca_has_fewer_components_than_the_code(tmp_path):
    # a 6-d code on a table of 4 columns read "PCA with 4 components" beside the model's 6, with no word on why
    from aekit.cli import main
    from tests.conftest import ReportPage

    np.savetxt(tmp_path / "t.csv", np.random.default_rng(0).normal(size=(40, 4)), delimiter=",", header="a,b,c,d", comments="")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--model", "sparse", "--latent-dim", "6", "--epochs", "1",
                 "--quiet", "--out", str(run)]) == 0
    assert main(["report", str(run)]) == 0
    page = ReportPage(run / "report.html")
    assert "PCA with 4 components (the most that 4 features allow), fitted on" in page.text
    assert [row[:2] for row in page.tables[0][1:]] == [["SparseAutoEncoder", "6"], ["PCA", "4"]]


def test_a_checkpoint_path_that_is_a_folder_is_refused_before_training(X, tmp_path):
    # the first save crashed with IsADirectoryError naming a temporary file, and resume=True skipped the folder silently
    with pytest.raises(ValueError, match=rf"path '{tmp_path}' is a folder; a checkpoint is a file, e.g. '{tmp_path}/checkpoint.safetensors'"):
        Checkpointer(tmp_path, resume=True)


def test_a_report_into_a_run_folder_removes_the_figures_it_no_longer_draws_and_keeps_the_users(tmp_path, capsys):
    # 'aekit demo --latent-dim 3' over a 2-d demo left the 2-d run's figures/latent_grid.png, which the new report
    # does not draw, beside its current figures, an old picture among them as if it were the run's
    from aekit.cli import main
    from tests.conftest import ReportPage

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--epochs", "1", "--compare-dim", "0"]) == 0
    figures = out / "figures"
    assert (figures / "latent_grid.png").is_file()
    (figures / "my_notes.png").write_bytes(b"mine")
    assert main(["demo", "--out", str(out), "--epochs", "1", "--compare-dim", "0", "--latent-dim", "3"]) == 0
    page = ReportPage(out / "report.html")
    drawn = sorted(p.name for p in figures.iterdir() if p.name != "my_notes.png")
    assert "Decoded code grid" not in dict(page.images).values() and "latent_grid.png" not in drawn
    assert len(drawn) == len(page.images) and (figures / "my_notes.png").read_bytes() == b"mine"


def test_a_new_training_in_a_run_folder_discards_the_old_runs_report_and_keeps_the_users_files(tmp_path, monkeypatch, capsys):
    # 'aekit demo' over an earlier demo, interrupted before its report, left the earlier model's report.html,
    # explorer.html and figures beside the new run's config, a report of a model the folder no longer holds
    from aekit.cli import main
    from aekit.training.callbacks import TensorBoardLogger

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--epochs", "1", "--compare-dim", "0"]) == 0
    (out / "figures" / "my_notes.png").write_bytes(b"mine")

    def interrupt(self, est, epoch, logs):
        raise KeyboardInterrupt

    monkeypatch.setattr(TensorBoardLogger, "on_epoch_end", interrupt)
    assert main(["demo", "--out", str(out), "--epochs", "3", "--compare-dim", "0", "--latent-dim", "5"]) == 130
    assert "latent_dim: 5" in (out / "config.yaml").read_text() and not (out / "model").exists()
    assert not (out / "report.html").exists() and not (out / "explorer.html").exists()
    assert [p.name for p in (out / "figures").iterdir()] == ["my_notes.png"]


@pytest.mark.parametrize("n_rows", [10, 15], ids=["2-held-out", "3-held-out"])
def test_the_interpolations_of_a_run_with_few_held_out_rows_join_distinct_rows_once(tmp_path, monkeypatch, n_rows):
    # with 3 held-out rows the second path ran from a row to itself (flat strips), with 2 it drew the first backwards,
    # and the page said "For 2 pairs of the rows above" either way
    from aekit.app import plot
    from aekit.cli import main
    from tests.conftest import ReportPage

    drawn = {}
    original = plot.plot_interpolations

    def record(paths, *args, **kwargs):
        drawn.update(paths)
        return original(paths, *args, **kwargs)

    monkeypatch.setattr(plot, "plot_interpolations", record)
    np.savetxt(tmp_path / "t.csv", np.random.default_rng(0).random((n_rows, 3)), delimiter=",", header="a,b,c", comments="")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    assert main(["report", str(run)]) == 0
    ends = [frozenset(map(tuple, path[[0, -1]].round(6))) for name, path in drawn.items() if name.endswith("inputs")]
    assert len(ends) == 1 and len(ends[0]) == 2
    assert "For 1 pair of the rows above" in ReportPage(run / "report.html").text


def test_the_sparse_code_figure_shows_only_images_that_activate_each_unit(tmp_path, monkeypatch):
    # a unit active on 3 of 12 held-out images was drawn beside 6 more images that leave it off, under the title
    # "The 9 held-out images that activate each unit most"
    from aekit.app import plot
    from aekit.app.runs import open_model
    from aekit.cli import main

    drawn = {}
    original = plot.plot_image_grid

    def record(grid, *args, **kwargs):
        if str(kwargs.get("path", "")).endswith("top_activating.png"):
            drawn.update(grid=np.asarray(grid), units=[int(label.split()[1]) for label in kwargs["row_labels"]])
        return original(grid, *args, **kwargs)

    monkeypatch.setattr(plot, "plot_image_grid", record)
    rng = np.random.default_rng(0)
    np.save(tmp_path / "grey.npy", rng.random((60, 6, 10)).astype(np.float32))
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "grey.npy"), "--model", "sparse", "--epochs", "2", "--quiet",
                 "--out", str(run)]) == 0  # fmt: skip
    assert main(["report", str(run)]) == 0
    model = open_model(run)
    Z = model.estimator.transform(model.scaling.transform(model.split.X_test))
    active = (np.abs(Z[:, drawn["units"]]) > 1e-6).sum(axis=0)
    shown = (~np.isnan(drawn["grid"]).all(axis=2)).sum(axis=1)
    assert active.min() < 9 and shown.tolist() == np.minimum(active, 9).tolist()


def test_the_summary_of_a_one_column_run_with_one_validation_row_counts_in_the_singular(tmp_path):
    # a 10-row table of one column read "(the other 1 measured its validation loss)" and "PCA with 1 component
    # (the most that 1 feature allow)"
    from aekit.cli import main
    from tests.conftest import ReportPage

    (tmp_path / "t.csv").write_text("a\n" + "\n".join(map(str, range(1, 11))) + "\n")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    assert main(["report", str(run)]) == 0
    text = ReportPage(run / "report.html").text
    assert "(the other 1 row measured its validation loss)" in text
    assert "PCA with 1 component (the most that 1 feature allows), fitted on all 8 training rows" in text
