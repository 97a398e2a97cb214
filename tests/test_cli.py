"""The `aekit` command line end to end on digits: train -> interrupt -> resume -> evaluate ->
report -> export, configs and refusals, encode/reconstruct/generate, tables, impute/detect."""

from __future__ import annotations

import csv
import importlib
import json
import re
import os
import shutil
import subprocess
import sys
from pathlib import Path

import argparse
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from tests.conftest import ReportPage

import aekit
from aekit.cli import build_parser, main
from aekit.app.config import model_registry
from aekit.app.runs import Run, Scaling, load_estimator
from aekit.saving.json_files import read_json
from aekit.training.callbacks import TensorBoardLogger

pytestmark = pytest.mark.usefixtures("one_torch_thread")

COMMANDS = ["train", "evaluate", "encode", "reconstruct", "generate", "impute", "detect", "report", "export", "explore", "demo"]

SMALL = ["--set", "model.hidden_dims=[32]", "--set", "model.loss=bce", "--quiet", "--seed", "1"]


def train(out: Path, epochs: int, *extra: str) -> int:
    return main(["train", "--data", "digits", "--epochs", str(epochs), "--out", str(out), *SMALL, *extra])


def metrics(run: Path) -> list[dict[str, str]]:
    with open(run / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def weights(path: Path) -> dict[str, torch.Tensor]:
    return load_estimator(path).module_.state_dict()


@pytest.mark.slow
def test_train_interrupt_resume_evaluate_report_export(tmp_path, monkeypatch, capsys):
    assert train(tmp_path / "full", 4) == 0
    run = tmp_path / "run"
    original = TensorBoardLogger.on_epoch_end  # the last logger of a run

    def interrupt_after_epoch_2(self, est, epoch, logs):
        original(self, est, epoch, logs)
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(TensorBoardLogger, "on_epoch_end", interrupt_after_epoch_2)
    assert train(run, 4) == 130
    assert f"aekit train --resume {run}" in capsys.readouterr().err
    assert len(metrics(run)) == 2 and not (run / "model").exists()
    monkeypatch.undo()

    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    assert "resumed after epoch 2" in capsys.readouterr().out
    assert metrics(run) == [
        {**row, "seconds": r["seconds"]} for row, r in zip(metrics(tmp_path / "full"), metrics(run))
    ]
    full, resumed = weights(tmp_path / "full" / "model"), weights(run / "model")
    assert all(torch.equal(full[k], resumed[k]) for k in full)
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["model"]["hidden_dims"] == [32] and config["model"]["corrupt_on"] == "input"

    from tensorboard.backend.event_processing import event_accumulator as tensorboard
    events = tensorboard.EventAccumulator(str(run))
    events.Reload()
    logged = events.Scalars("loss/train")
    assert [e.step for e in logged] == [1, 2, 3, 4]
    np.testing.assert_allclose([e.value for e in logged], [float(r["loss"]) for r in metrics(run)], rtol=1e-6)

    assert main(["evaluate", str(run), "--json", str(tmp_path / "eval.json")]) == 0
    assert "PCA" in capsys.readouterr().out
    evaluation = json.loads((tmp_path / "eval.json").read_text())
    model, pca = evaluation["scores"]
    assert model["model"] == "AutoEncoder" and pca["model"] == "PCA" and model["code_size"] == pca["code_size"] == 2
    assert 0 < model["knn_accuracy"] <= 1 and evaluation["n_test"] == 360
    assert model["fit_seconds"] == pytest.approx(sum(float(row["seconds"]) for row in metrics(run)), abs=1e-3)

    assert main(["report", str(run)]) == 0
    assert f"wrote {run / 'report.html'}" in capsys.readouterr().out
    page = ReportPage(run / "report.html")
    assert page.headings == [
        "Summary", "Training", "Reconstructions", "Latent space", "Samples", "Interpolations", "Configuration"
    ]  # fmt: skip
    assert len(page.images) == 8 and all(src.startswith("data:image/png;base64,") for src, _ in page.images)
    header, *rows = page.tables[0]
    assert header[:5] == ["model", "code size", "MSE per entry", "squared error per sample", "5-NN accuracy"]
    for row, scores in zip(rows, (model, pca), strict=True):
        expected = [scores[k] for k in ("model", "code_size", "mse", "sse_per_sample", "knn_accuracy")]
        assert row[:5] == [f"{v:.4g}" if isinstance(v, float) else str(v) for v in expected]
    relation = "below" if model["mse"] < pca["mse"] else "not below"
    assert f"mean squared error per entry, {model['mse']:.4g}, is {relation} PCA's {pca['mse']:.4g}" in page.text
    assert "hidden_dims:\n  - 32" in (run / "report.html").read_text()

    assert main(["report", str(run), "--compare", str(tmp_path / "full")]) == 0
    rows = ReportPage(run / "report.html").tables[0][1:]
    assert [row[:5] for row in rows[2:]] == [row[:5] for row in rows[:2]]  # the uninterrupted twin scores the same
    assert train(tmp_path / "other", 1, "--set", "data.max_rows=100") == 0
    assert main(["report", str(run), "--compare", str(tmp_path / "other")]) == 1
    assert "was trained on other rows than" in (err := capsys.readouterr().err)
    assert "(data.max_rows: 100 there, null here): compare runs of one data split" in err  # said no more than that
    assert main(["report", str(run), "--compare", str(run / "model")]) == 1
    assert "is not a run folder" in capsys.readouterr().err

    import onnxruntime as ort
    assert main(["export", str(run), "--onnx", str(tmp_path / "onnx")]) == 0
    assert (tmp_path / "onnx" / "data.json").is_file()
    X = np.load(_digits_npy(tmp_path))
    codes = ort.InferenceSession(str(tmp_path / "onnx" / "encoder.onnx")).run(None, {"x": X})[0]
    np.testing.assert_allclose(codes, load_estimator(run / "model").transform(X), atol=1e-5)


def _digits_npy(tmp_path: Path) -> Path:
    from aekit.data.datasets import load_digits

    np.save(tmp_path / "digits.npy", load_digits().X[:50])
    return tmp_path / "digits.npy"


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("cli") / "run"
    assert train(run, 2) == 0
    return run


def test_a_divergence_on_pixels_leads_with_the_learning_rate_not_scaling(tmp_path, capsys):
    # digits' pixels in [0, 1] were told to '--set data.scale=standard' before the learning rate
    assert main(["train", "--data", "digits", "--learning-rate", "1e6", "--epochs", "2", "--out", str(tmp_path / "run"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "training diverged" in err and "Try a smaller learning_rate (now 1000000.0) or set grad_clip." in err
    assert "data.scale" not in err and "scale X" not in err


def test_a_run_with_a_corrupt_data_json_is_refused_naming_the_file(digits_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(digits_run, run)
    data = run / "data.json"
    data.write_text(data.read_text()[:40])
    assert main(["encode", str(run), "digits", str(tmp_path / "codes.npy")]) == 1
    err = capsys.readouterr().err
    assert "data.json' is not valid JSON" in err and "the file is corrupt" in err
    assert not (tmp_path / "codes.npy").exists()


def test_evaluate_json_is_strict_json_when_a_number_is_not_finite(digits_run, tmp_path, monkeypatch, capsys):
    # a diverged model's infinite score was written as '-Infinity', which strict JSON readers refuse
    from aekit.app import run_report

    measured = run_report.evaluate
    monkeypatch.setattr(run_report, "evaluate", lambda *a: replace(measured(*a), mean_score=float("-inf")))

    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    assert main(["evaluate", str(digits_run), "--data", str(_digits_npy(tmp_path)), "--json", str(tmp_path / "e.json")]) == 0
    out = capsys.readouterr().out
    assert "mean score_samples (higher is better): -inf" in out and "of '" in out and "', errors in the data's units (" in out
    evaluation = json.loads((tmp_path / "e.json").read_text(), parse_constant=refuse)
    assert evaluation["mean_score"] == {"non_finite": "-inf"} and evaluation["n_test"] == 50
    assert evaluation["error_units"] == "in the data's units"
    assert read_json(tmp_path / "e.json")["mean_score"] == float("-inf")


def test_existing_runs_and_resume_rules(digits_run, capsys):
    assert train(digits_run, 2) == 1
    assert "already holds a run; continue it with 'aekit train --resume" in capsys.readouterr().err
    assert main(["train", "--resume", str(digits_run), "--model", "sparse"]) == 1
    assert "drop --model" in capsys.readouterr().err
    assert main(["train", "--resume", str(digits_run)]) == 0
    assert "has finished" in capsys.readouterr().out
    killed_save = digits_run / ".model.x1y2.tmp"  # what a kill while the model was being saved leaves
    shutil.copytree(digits_run / "model", killed_save)
    assert main(["train", "--resume", str(digits_run), "--epochs", "3", "--quiet"]) == 0  # failed: IsADirectoryError
    assert not killed_save.exists()
    assert load_estimator(digits_run / "model").n_epochs_ == 3 and len(metrics(digits_run)) == 3
    assert yaml.safe_load((digits_run / "config.yaml").read_text())["model"]["max_epochs"] == 3


def test_resume_refuses_epochs_that_would_train_no_further_epoch(tmp_path, capsys):
    # each trained nothing and printed "trained AutoEncoder for 3 epochs (resumed after epoch 3)", exit 0
    run = tmp_path / "run"
    assert train(run, 3) == 0
    assert main(["train", "--resume", str(run), "--epochs", "3", "--quiet"]) == 1
    assert "has trained 3 epochs and --epochs counts all of them; give more than 3" in capsys.readouterr().err
    stopped = tmp_path / "stopped"
    assert train(stopped, 40, "--set", "model.early_stopping=1", "--set", "model.learning_rate=0.05") == 0
    done = len(metrics(stopped))
    assert done < 40
    assert main(["train", "--resume", str(stopped), "--epochs", "80", "--quiet"]) == 1
    assert f"early stopping ended {stopped} after epoch {done} (1 epoch without a better validation loss, patience 1)" in capsys.readouterr().err
    assert len(metrics(stopped)) == done
    assert yaml.safe_load((stopped / "config.yaml").read_text())["model"]["max_epochs"] == 40
    timed = tmp_path / "timed"  # this one trained a single epoch more
    assert train(timed, 1000, "--set", "model.max_time=0.2") == 0
    done = len(metrics(timed))
    assert main(["train", "--resume", str(timed), "--epochs", "2000", "--quiet"]) == 1
    assert f"{timed} has spent its model.max_time of 0.2 s" in capsys.readouterr().err
    assert len(metrics(timed)) == done
    # the report of the 3-epoch model stayed beside the 4-epoch one, its numbers no longer what evaluate printed
    (run / "figures").mkdir()
    for name in ("report.html", "explorer.html", "figures/errors.png", "figures/mine.png", "notes.txt"):
        (run / name).write_text("x")
    assert main(["train", "--resume", str(run), "--epochs", "4", "--quiet"]) == 0
    assert load_estimator(run / "model").n_epochs_ == 4
    assert sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.suffix in (".html", ".png", ".txt")) == [
        "figures/mine.png", "notes.txt"]


@pytest.mark.parametrize("change", ["values", "new category"])
def test_resume_refuses_a_table_that_changed_since_the_run_started(tmp_path, capsys, change):
    # other values of the same shape resumed silently on them; a new category crashed with
    # "operands could not be broadcast together with shapes (72,5) (4,)"
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(10, 2, 90), "b": rng.normal(size=90), "site": rng.choice(["n", "s"], 90)})
    table.to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "2", "--out", str(run), "--quiet"]) == 0
    changed = table.copy()
    if change == "values":
        changed["a"] = changed["a"] + 1.0
    else:
        changed.loc[0, "site"] = "w"
    changed.to_csv(tmp_path / "t.csv", index=False)
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "4", "--quiet"]) == 1
    assert f"has changed since {run} started training" in capsys.readouterr().err
    # evaluate (and report, explore, generate) split the changed rows anew and scored rows the model had trained on
    # as its held-out rows, or failed broadcasting the scaling
    assert main(["evaluate", str(run)]) == 1
    assert "this run's data (data.source in " in (err := capsys.readouterr().err) and "has changed since the run trained" in err
    assert len(metrics(run)) == 2
    table.to_csv(tmp_path / "t.csv", index=False)
    assert main(["train", "--resume", str(run), "--epochs", "4", "--quiet"]) == 0
    assert len(metrics(run)) == 4


def test_config_file_then_flags_then_set(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "model:\n  name: denoising\n  latent_dim: 3\n  max_epochs: 1\ndata:\n  max_rows: 200\n"
    )
    run = tmp_path / "run"
    assert (
        main(
            [
                "train",
                str(tmp_path / "c.yaml"),
                "--latent-dim",
                "4",
                "--set",
                "model.corruption=mask",
                "--out",
                str(run),
                "--quiet",
            ]
        )
        == 0
    )
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["model"]["name"] == "denoising" and config["model"]["latent_dim"] == 4
    assert config["model"]["corruption"] == "mask" and config["data"]["max_rows"] == 200
    assert Run(run).read_data_info()["n_train"] == 200
    est = load_estimator(run / "model")
    assert type(est).__name__ == "DenoisingAutoEncoder" and est.latent_dim == 4


def test_seed_flag_seeds_the_model_of_a_saved_config_too(tmp_path):
    first = tmp_path / "first"
    assert train(first, 1, "--set", "data.max_rows=100") == 0
    assert yaml.safe_load((first / "config.yaml").read_text())["model"]["random_state"] == 1
    again = tmp_path / "again"
    assert main(["train", str(first / "config.yaml"), "--seed", "5", "--out", str(again), "--quiet"]) == 0
    config = yaml.safe_load((again / "config.yaml").read_text())
    assert config["seed"] == 5 and config["model"]["random_state"] == 5
    assert load_estimator(again / "model").random_state == 5
    same = tmp_path / "same"
    assert main(["train", str(first / "config.yaml"), "--out", str(same), "--quiet"]) == 0
    reproduced, before = weights(same / "model"), weights(first / "model")
    assert all(torch.equal(reproduced[k], before[k]) for k in before)
    reseeded = weights(again / "model")
    assert not all(torch.equal(reseeded[k], before[k]) for k in before)


def test_a_data_option_the_source_would_ignore_is_refused_naming_those_it_takes(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", "digits", "--set", "data.target=label", "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "data.target: 'label' does not apply to 'digits', which would ignore it" in err and not out.exists()
    npy = _digits_npy(tmp_path)
    assert main(["train", "--data", str(npy), "--set", "data.target=y", "--set", "data.image_size=[8,8]", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"data.target: 'y' does not apply to '{npy}'" in err and "data.image_size: [8, 8] does not apply" in err
    assert "takes beyond source, test_fraction, max_rows and scale: data.labels, data.channels_last)" in err


def test_config_errors_exit_1_naming_key_paths_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--set", "model.loss=l3", "--set", "data.sourse=x", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "model.loss: Input should be 'auto', 'bce'," in err and "data.sourse: unknown key (did you mean source?); allowed keys:" in err
    assert not out.exists()
    assert main(["train", "--model", "nope", "--out", str(out)]) == 1
    assert "model.name: unknown model 'nope'; allowed: autoencoder" in capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_option_is_refused_with_the_command_usage(command, capsys):
    # argparse named an unknown option under the top level's usage ('usage: aekit [-h] [--version]
    # COMMAND ...'), which does not show what the command takes
    parsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    actions = parsers[command]._actions
    required = [arg for a in actions if a.option_strings and a.required for arg in (a.option_strings[0], "x")]
    positionals = ["x" for a in actions if not a.option_strings and a.nargs in (None, 1)]
    with pytest.raises(SystemExit) as exit_:
        main([command, *required, *positionals, "--no-such-option"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert f"usage: aekit {command} " in err and f"aekit {command}: error: unrecognized arguments: --no-such-option" in err, err


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "examples:" in capsys.readouterr().out


@pytest.mark.parametrize(
    "name",
    [
        "aekit.training.checkpoint",
        "aekit.cli",
        "aekit.cli.common",
        "aekit.app.config",
        "aekit.data.datasets",
        "aekit.saving.export",
        "aekit.app.run_report",
        "aekit.app.runs",
        "aekit.training._tfevents",
    ],
)
def test_workbench_modules_have_a_sorted_all_of_real_names(name):
    module = importlib.import_module(name)
    assert module.__all__ == sorted(module.__all__)
    assert all(hasattr(module, attr) for attr in module.__all__)


HELP_WITHOUT_TORCH = """
import sys
sys.modules["torch"] = None  # `import torch` now raises ImportError
from aekit.cli import main
for argv in [["--help"]] + [[command, "--help"] for command in sys.argv[1:]]:
    try:
        main(argv)
    except SystemExit as exit:
        assert exit.code == 0, (argv, exit.code)
    else:
        raise AssertionError(f"{argv}: --help did not exit")
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    src = str(Path(aekit.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120)


def test_every_help_prints_without_torch():
    assert sorted(build_parser()._subparsers._group_actions[0].choices) == sorted(COMMANDS)
    done = _python(HELP_WITHOUT_TORCH, *COMMANDS)
    assert done.returncode == 0, done.stderr
    usages = [line for line in done.stdout.splitlines() if line.startswith("usage: aekit")]
    assert [u.split()[2] for u in usages[1:]] == COMMANDS and usages[0].startswith("usage: aekit [-h]")
    assert "--precision {32,bf16-mixed,16-mixed}" in done.stdout
    assert "--criterion {combined,reconstruction,latent}" in done.stdout


def test_building_the_parser_imports_no_torch():
    done = _python("import sys; from aekit.cli import build_parser; build_parser(); print('torch' in sys.modules)")
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr


def test_top_level_help_lists_every_command_and_train_lists_the_models(capsys):
    assert main(["train", "--list-models"]) == 0
    listed = capsys.readouterr().out
    assert all(f"  {name} " in listed for name in model_registry())
    assert "ContextEncoder: Context encoder (Pathak et al. 2016) for inpainting" in listed  # was cut at 'et al'
    assert len({line.index(":") - len(line.split()[1]) for line in listed.splitlines()}) == 1  # one column for the names
    text = build_parser().format_help()
    for command in COMMANDS:
        assert f"    {command}" in text


def test_outputs_take_upper_case_suffixes_and_an_interrupted_write_keeps_the_old_file(digits_run, tmp_path, monkeypatch, capsys):
    """CODES.CSV and SAMPLES.PNG were refused ('must end in .csv'); a write that failed halfway
    left a truncated file where the previous output had been."""
    import pandas as pd

    assert main(["encode", str(digits_run), "digits", str(tmp_path / "CODES.CSV")]) == 0
    assert pd.read_csv(tmp_path / "CODES.CSV").shape == (1797, 3)
    assert main(["encode", str(digits_run), "digits", str(tmp_path / "CODES.NPY")]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "CODES.NPY"), pd.read_csv(tmp_path / "CODES.CSV").to_numpy()[:, 1:], atol=1e-6)
    assert main(["generate", str(digits_run), str(tmp_path / "SAMPLES.PNG"), "--image-shape", "8,8"]) == 0
    assert (tmp_path / "SAMPLES.PNG").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = (tmp_path / "CODES.CSV").read_bytes()

    real_to_csv = pd.DataFrame.to_csv

    def fails_halfway(self, path, **options):
        real_to_csv(self.head(5), path, **options)
        raise OSError("No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fails_halfway)
    assert main(["encode", str(digits_run), "digits", str(tmp_path / "CODES.CSV")]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert (tmp_path / "CODES.CSV").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CODES.CSV", "CODES.NPY", "SAMPLES.PNG"]  # no temporary left behind


def test_running_out_of_memory_is_one_error_line_saying_what_to_shrink(digits_run, tmp_path, monkeypatch, capsys):
    """A text folder with a huge data.max_words made the counts too large for memory: the command
    ended in a MemoryError traceback."""
    import aekit.app.runs

    def too_big(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(aekit.app.runs.Model, "rows", too_big)
    assert main(["encode", str(digits_run), "digits", str(tmp_path / "codes.npy")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("aekit encode: error: out of memory;") and "data.max_words" in err and "Traceback" not in err


def test_encode_reconstruct_and_generate(digits_run, tmp_path, capsys):
    assert main(["encode", str(digits_run), "digits", str(tmp_path / "codes.npy")]) == 0
    assert np.load(tmp_path / "codes.npy").shape == (1797, 2)
    assert main(["encode", str(digits_run / "model"), "digits", str(tmp_path / "model_codes.csv")]) == 0
    model_codes = read_codes(tmp_path / "model_codes.csv")  # a model folder opens like its run (digits need no scaling)
    assert list(model_codes) == [str(i) for i in range(1797)]
    np.testing.assert_allclose(np.stack(list(model_codes.values())), np.load(tmp_path / "codes.npy"), atol=1e-5)
    assert main(["reconstruct", str(digits_run), str(_digits_npy(tmp_path)), str(tmp_path / "rec.csv")]) == 0
    with open(tmp_path / "rec.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["id", "pixel0", "pixel1"] and len(rows) == 51 and len(rows[1]) == 65
    assert [row[0] for row in rows[1:]] == [str(i) for i in range(50)]  # a .npy's rows are numbered
    assert main(["encode", str(digits_run), "digits", str(tmp_path / "codes.txt")]) == 1
    assert "must end in .npy, .csv or .parquet" in capsys.readouterr().err
    assert main(["generate", str(digits_run), str(tmp_path / "s.npy")]) == 0  # no prior: a density fitted to its codes
    assert "decoded from a gmm density fitted to its codes" in capsys.readouterr().out
    assert np.load(tmp_path / "s.npy").shape == (16, 8, 8)  # digits as images
    assert main(["generate", str(digits_run), str(tmp_path / "s.txt")]) == 1
    assert "must end in .png, .npy, .csv or .parquet" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "nothing")]) == 1


@pytest.mark.slow
def test_vae_run_generates_samples(tmp_path):
    run = tmp_path / "vae"
    assert (
        main(
            [
                "train",
                "--model",
                "vae",
                "--data",
                "digits",
                "--epochs",
                "1",
                "--out",
                str(run),
                "--quiet",
                "--set",
                "model.hidden_dims=[16]",
            ]
        )
        == 0
    )
    assert main(["generate", str(run), str(tmp_path / "s.npy"), "-n", "5"]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (5, 8, 8) and np.all((samples >= 0) & (samples <= 1))
    assert main(["generate", str(run), str(tmp_path / "s.png"), "-n", "10"]) == 0
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")
    assert main(["report", str(run)]) == 0
    assert "between the 5% and 95% quantiles of the model's prior" in ReportPage(run / "report.html").text


def test_a_csv_run_with_categorical_columns_encodes_new_rows(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "y": rng.normal(size=n) * 10 + 100,
            "kind": rng.choice(["a", "b", "c"], n),
            "label": rng.integers(0, 2, n),
        }
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--data",
                str(tmp_path / "t.csv"),
                "--set",
                "data.target=label",
                "--epochs",
                "2",
                "--out",
                str(run),
                "--quiet",
            ]
        )
        == 0
    )
    info = Run(run).read_data_info()
    assert info["feature_names"] == ["x", "y", "kind=a", "kind=b", "kind=c"] and info["scaling"]["kind"] == "standard"
    frame.drop(columns="label")[frame.kind != "c"].head(7).to_csv(tmp_path / "new.csv", index=False)
    assert main(["encode", str(run), str(tmp_path / "new.csv"), str(tmp_path / "codes.csv")]) == 0
    codes = np.loadtxt(tmp_path / "codes.csv", delimiter=",", skiprows=1)
    assert codes.shape == (7, 3) and codes[:, 0].tolist() == list(range(7))  # row numbers, then the codes
    assert main(["reconstruct", str(run), str(tmp_path / "new.csv"), str(tmp_path / "rec.npy")]) == 0
    reconstruction = np.load(tmp_path / "rec.npy")
    assert reconstruction.shape == (7, 5) and 70 < reconstruction[:, 1].mean() < 130
    frame.assign(kind="z").to_csv(tmp_path / "odd.csv", index=False)
    assert main(["encode", str(run), str(tmp_path / "odd.csv"), str(tmp_path / "c.npy")]) == 1
    assert "categories ['z'] not seen in training" in capsys.readouterr().err
    gaps = frame.drop(columns="label").head(5).astype(object)
    gaps.loc[3, "y"], gaps.loc[4, "kind"] = None, None
    gaps.to_csv(tmp_path / "gaps.csv", index=False)
    for command in ("encode", "reconstruct"):
        assert main([command, str(run), str(tmp_path / "gaps.csv"), str(tmp_path / "c.npy")]) == 1
        err = capsys.readouterr().err
        assert "gaps.csv' has missing values in the columns y, kind (first in data row 4)" in err, err
        assert "aekit impute" in err and "HistGradientBoosting" not in err


def _continuous_target_run(tmp_path: Path) -> tuple[Path, dict, dict]:
    """A run on a CSV whose target is a numeric column, and its evaluation's model and PCA scores."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 150))
    frame = pd.DataFrame({"a": a, "b": b, "sum": a + b, "diff": a - b, "strength": 3 * a + b + 0.05 * rng.normal(size=150)})
    frame.to_csv(tmp_path / "concrete.csv", index=False)
    run = tmp_path / "run"
    args = ["--set", "data.target=strength", "--set", "model.hidden_dims=[16]", "--epochs", "3", "--quiet"]
    assert main(["train", "--data", str(tmp_path / "concrete.csv"), "--out", str(run), *args]) == 0
    assert main(["evaluate", str(run), "--json", str(tmp_path / "eval.json")]) == 0
    evaluation = json.loads((tmp_path / "eval.json").read_text())
    assert evaluation["error_units"] == "after standard scaling"
    model, pca = evaluation["scores"]
    return run, model, pca


def test_evaluate_scores_a_continuous_target_by_knn_regression(tmp_path, capsys):
    """`--set data.target=<numeric column>`: the codes are measured by how well a 5-NN regressor
    predicts the target from them (R^2), where classes get a classifier's accuracy."""
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsRegressor

    from aekit.app.runs import open_model

    run, model, pca = _continuous_target_run(tmp_path)
    out = capsys.readouterr().out
    # the errors were measured after standard scaling, which only 'aekit report' said
    assert "AutoEncoder on 30 of the run's held-out rows, errors after standard scaling (PCA is fitted" in out
    assert "5-NN R^2" in out
    opened = open_model(run)
    split = opened.split
    X_train, X_test = (opened.scaling.transform(X) for X in (split.X_train, split.X_test))
    assert split.y_test.dtype.kind == "f" and len(np.unique(split.y_test)) == len(split.y_test)
    projection = PCA(n_components=2, random_state=0).fit(X_train)
    for scores, encode in ((model, load_estimator(run / "model").transform), (pca, projection.transform)):
        expected = KNeighborsRegressor(5).fit(encode(X_train), split.y_train).score(encode(X_test), split.y_test)
        assert scores["knn_accuracy"] is None and scores["knn_r2"] == pytest.approx(expected, rel=1e-6)
    assert pca["knn_r2"] > 0.9  # the four columns are two factors, and the target is a sum of the two


@pytest.mark.slow
def test_report_shows_the_knn_regression_of_a_continuous_target(tmp_path):
    run, model, pca = _continuous_target_run(tmp_path)
    assert main(["report", str(run)]) == 0
    page = ReportPage(run / "report.html")
    header, *rows = page.tables[0]
    assert header[4] == "5-NN R^2" and [row[4] for row in rows] == [f"{model['knn_r2']:.4g}", f"{pca['knn_r2']:.4g}"]
    assert "5-NN R^2: the coefficient of determination of a 5-nearest-neighbour regressor" in page.text
    assert "predicting the held-out rows' 'strength' from their codes" in page.text
    assert page.headings == [
        "Summary", "Training", "Reconstructions", "Latent space", "Samples", "Interpolations", "Configuration"
    ]  # fmt: skip


def _table_with_gaps(path: Path, rng) -> np.ndarray:
    base = rng.normal(size=(150, 1))
    X = np.hstack([base, 2 * base, -base]) + 0.05 * rng.normal(size=(150, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame.loc[rng.random(150) < 0.2, "b"] = np.nan
    frame.to_csv(path, index=False)
    return X


def test_impute_fills_only_the_gaps(tmp_path, monkeypatch, capsys):
    from aekit.estimators import _blend

    monkeypatch.setattr(_blend, "PARTNER_TREES", 5)  # the default trees partner, at a sixth of its size
    _table_with_gaps(tmp_path / "t.csv", np.random.default_rng(0))
    assert (
        main(
            [
                "impute",
                str(tmp_path / "t.csv"),
                str(tmp_path / "out.csv"),
                "--epochs",
                "3",
                "--quiet",
                "--set",
                "hidden_dims=[16]",
            ]
        )
        == 0
    )
    before, after = pd.read_csv(tmp_path / "t.csv"), pd.read_csv(tmp_path / "out.csv")
    assert not after.isna().any().any() and list(after.columns) == ["a", "b", "c"]
    observed = before.notna()
    np.testing.assert_allclose(
        after[observed].to_numpy()[observed.to_numpy()], before[observed].to_numpy()[observed.to_numpy()]
    )
    assert "filled" in capsys.readouterr().out
    assert main(["impute", str(tmp_path / "out.csv"), str(tmp_path / "again.csv")]) == 1
    assert "nothing to impute" in capsys.readouterr().err and not (tmp_path / "again.csv").exists()
    # a complete sample to fit on and --save was refused as "nothing to impute", so an imputer for later files
    # could not be fitted on clean rows; it is fitted and saved, the table written as read
    fast = ["--epochs", "2", "--quiet", "--set", "hidden_dims=[16]"]
    assert main(["impute", str(tmp_path / "out.csv"), str(tmp_path / "again.csv"), "--save", str(tmp_path / "imp"), *fast]) == 0
    assert "has no missing values: the imputer was fitted on its rows and saved to" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again.csv"), after)
    assert main(["impute", str(tmp_path / "t.csv"), str(tmp_path / "later.csv"), "--fitted", str(tmp_path / "imp")]) == 0
    assert not pd.read_csv(tmp_path / "later.csv").isna().any().any()
    assert main(["impute", str(tmp_path / "t.csv"), str(tmp_path / "x.csv"), "--set", "refine_steps=0"]) == 1
    assert "refine_steps" in capsys.readouterr().err


def test_impute_names_the_empty_column_when_it_holds_the_only_gaps(tmp_path, capsys):
    # the only gaps were in a column with no value at all, which is dropped: the command said the
    # file "has no missing values" and stopped there
    pd.DataFrame(np.random.default_rng(0).normal(size=(30, 3)), columns=list("abc")).assign(notes=np.nan).to_csv(
        tmp_path / "t.csv", index=False)
    assert main(["impute", str(tmp_path / "t.csv"), str(tmp_path / "out.csv")]) == 1
    err = capsys.readouterr().err
    assert "column 'notes' of" in err and "has no values; dropped" in err
    assert "has no missing values outside column 'notes', which has no value at all (dropped); nothing to impute" in err


@pytest.mark.parametrize("criterion", ["combined", "reconstruction"])
def test_detect_flags_the_planted_outliers(tmp_path, capsys, criterion):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(200, 1))
    X = np.hstack([base, base, -base, 2 * base]) + 0.05 * rng.normal(size=(200, 4))
    X[:5] = rng.normal(size=(5, 4)) * 3
    frame = pd.DataFrame(X, columns=list("abcd")).assign(kind=rng.choice(["u", "v"], 200))
    frame.to_csv(tmp_path / "t.csv", index=False)
    args = [
        "detect",
        str(tmp_path / "t.csv"),
        "--contamination",
        "0.05",
        "--out",
        str(tmp_path / "o.csv"),
        "--epochs",
        "60",
        "--criterion",
        criterion,
    ]
    assert main([*args, "--quiet", "--set", "latent_dim=1", "--set", "hidden_dims=[16]", "--set", "batch_size=32"]) == 0
    assert f"flagged 10 of 200 rows as outliers (criterion {criterion}," in capsys.readouterr().out
    flagged = pd.read_csv(tmp_path / "o.csv")
    assert list(flagged.columns[-2:]) == ["outlier_score", "outlier"] and flagged["outlier"].sum() == 10
    assert flagged["outlier"][:5].sum() >= 4


SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.skipif(not (SHARED_DATA / "fashion-mnist").is_dir(), reason="../shared/data/fashion-mnist is absent")
def test_train_and_encode_on_real_fashion_mnist(tmp_path, monkeypatch):
    monkeypatch.setenv("AEKIT_DATA", str(SHARED_DATA))
    run = tmp_path / "fashion"
    args = [
        "train",
        "--data",
        "fashion-mnist",
        "--epochs",
        "1",
        "--out",
        str(run),
        "--quiet",
        "--set",
        "data.max_rows=300",
    ]
    assert main([*args, "--set", "model.hidden_dims=[32]"]) == 0
    info = Run(run).read_data_info()
    assert info["n_train"] == info["n_test"] == 300 and info["image_shape"] == [28, 28]
    assert info["class_names"][0] == "T-shirt/top" and info["scaling"]["kind"] == "none"
    assert main(["encode", str(run), "fashion-mnist:test", str(tmp_path / "codes.npy")]) == 0
    assert np.load(tmp_path / "codes.npy").shape == (10000, 2)


def test_an_npy_with_gaps_is_refused_with_a_hint_that_works_for_an_npy(tmp_path, capsys):
    """A .npy with a NaN (or inf) was refused with "fill them first, e.g. 'aekit impute x.npy
    filled.csv'", a command that refuses a .npy; the hint names what fills an array."""
    X = np.random.default_rng(0).random((30, 4))
    X[3, 2] = np.nan
    np.save(tmp_path / "x.npy", X)
    args = ["--epochs", "1", "--out", str(tmp_path / "run"), "--quiet"]
    assert main(["train", "--data", str(tmp_path / "x.npy"), *args]) == 1
    err = capsys.readouterr().err
    assert "has missing values in the column x2 (first in data row 4)" in err and "aekit impute" + " " + str(tmp_path) not in err
    assert "fill them first, e.g. with AutoEncoderImputer in Python ('aekit impute' reads .csv and .parquet tables)" in err
    X[3, 2] = np.inf
    np.save(tmp_path / "x.npy", X)
    assert main(["train", "--data", str(tmp_path / "x.npy"), *args]) == 1
    err = capsys.readouterr().err
    assert "has infinite values in the column x2" in err and "--na-values" not in err and "AutoEncoderImputer" in err
    assert main(["impute", str(tmp_path / "x.npy"), str(tmp_path / "filled.csv")]) == 1  # what the old hint said to run
    assert "expected a .csv (or .tsv, .txt) or .parquet table" in capsys.readouterr().err


def test_a_table_with_gaps_is_refused_with_a_hint_and_the_folder_stays_usable(tmp_path, capsys):
    X = _table_with_gaps(tmp_path / "gaps.csv", np.random.default_rng(1))
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "gaps.csv"), "--epochs", "1", "--out", str(run), "--quiet"]) == 1
    err = capsys.readouterr().err
    first = int(np.flatnonzero(pd.read_csv(tmp_path / "gaps.csv")["b"].isna())[0]) + 1  # was the shuffled split's first
    assert f"gaps.csv' has missing values in the column b (first in data row {first}); fill them first, e.g. 'aekit impute" in err, repr(err)
    # a warning of the reading (a numeric column holding a word) was given twice: the file is read again for the row
    pd.read_csv(tmp_path / "gaps.csv").assign(c=lambda f: f["c"].astype(object).where(f.index != 2, "oops")).to_csv(
        tmp_path / "word.csv", index=False)
    with pytest.warns(UserWarning, match="column 'c' holds numbers and the text 'oops'") as given:
        assert main(["train", "--data", str(tmp_path / "word.csv"), "--epochs", "1", "--out", str(run), "--quiet"]) == 1
    assert len(given) == 1 and "has missing values in the column b" in capsys.readouterr().err
    np.savetxt(tmp_path / "full.csv", X, delimiter=",", header="a,b,c", comments="")
    assert main(["train", "--data", str(tmp_path / "full.csv"), "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    # an 'inf' cell in data row 4 was '48 infinite entries, first in row 0' for train (the scaling spread it) and
    # 'row 3, column 1' (counted from 0, unnamed) for encode, where a gap there is 'data row 4' of column b
    X[3, 1] = np.inf
    np.savetxt(tmp_path / "inf.csv", X, delimiter=",", header="a,b,c", comments="")
    refused = "inf.csv' has infinite values in the column b (first in data row 4); replace them, or fill them as missing"
    assert main(["train", "--data", str(tmp_path / "inf.csv"), "--epochs", "1", "--out", str(tmp_path / "r2")]) == 1
    assert refused in capsys.readouterr().err
    assert main(["encode", str(run), str(tmp_path / "inf.csv"), str(tmp_path / "codes.csv")]) == 1
    assert refused in capsys.readouterr().err


def test_a_run_being_trained_elsewhere_is_refused(tmp_path, capsys):
    fcntl = pytest.importorskip("fcntl")
    run = tmp_path / "busy"
    run.mkdir()
    with open(run / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert train(run, 1) == 1
        assert "is being trained by another process" in capsys.readouterr().err
    assert train(run, 1) == 0


def read_codes(path: Path) -> dict[str, np.ndarray]:
    """codes.csv as {row id: codes}, to join rows back to their source whatever their order."""
    with open(path, newline="") as f:
        header, *rows = list(csv.reader(f))
    assert header[0] == "id" and len({row[0] for row in rows}) == len(rows)
    return {row[0]: np.asarray(row[1:], dtype=np.float32) for row in rows}


@pytest.mark.slow
def test_encode_names_each_image_by_its_file(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    files = [f"{label}/{name}.png" for label in ("a", "b") for name in ("z1", "m2", "c3", "x4")]
    for file in files:
        (tmp_path / "pics" / file).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (6, 5), dtype=np.uint8)).save(tmp_path / "pics" / file)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "pics"), "--epochs", "1", "--out", str(run), *SMALL]) == 0
    assert json.loads((run / "data.json").read_text())["kind"] == "images"
    assert main(["encode", str(run), str(tmp_path / "pics"), str(tmp_path / "codes.csv")]) == 0
    codes = read_codes(tmp_path / "codes.csv")
    assert sorted(codes) == sorted(files)
    est = load_estimator(run / "model")
    for file in files:  # each file encoded alone gives the codes written beside its name
        pixels = np.asarray(Image.open(tmp_path / "pics" / file), dtype=np.float32).reshape(1, -1) / 255
        np.testing.assert_allclose(codes[file], est.transform(pixels)[0], atol=1e-5)
    assert main(["report", str(run)]) == 0  # the report's explorer page names its held-out points by file
    page = (run / "explorer.html").read_text()
    shown = json.loads(re.search(r'id="aekit-data">(.*?)</script>', page, re.S).group(1))["ids"]
    assert shown and set(shown) <= set(files)


def test_encode_names_each_document_by_its_file(tmp_path):
    from sklearn.feature_extraction.text import CountVectorizer

    words = ["apple", "banana", "cherry", "grape", "lemon", "mango", "peach", "plum"]
    rng = np.random.default_rng(1)
    files = [f"{label}/doc{i}.txt" for label in ("fruit", "more") for i in (3, 1, 2)]
    for file in files:
        (tmp_path / "docs" / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "docs" / file).write_text(" ".join(rng.choice(words, 30)))
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "docs"), "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    info = Run(run).read_data_info()
    assert info["kind"] == "text" and info["vocabulary"] == info["feature_names"] == words
    assert main(["encode", str(run), str(tmp_path / "docs"), str(tmp_path / "codes.csv")]) == 0
    codes = read_codes(tmp_path / "codes.csv")
    assert sorted(codes) == sorted(files)
    est = load_estimator(run / "model")
    for file in files:
        counts = CountVectorizer(vocabulary=words).transform([(tmp_path / "docs" / file).read_text()])
        np.testing.assert_allclose(codes[file], est.transform(counts.toarray().astype(np.float32))[0], atol=1e-5)


def test_encode_keeps_a_tables_id_column_beside_its_codes(tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"name": [f"row-{i:03d}" for i in range(60)], "x": rng.normal(size=60)})
    frame = frame.assign(y=2 * frame.x + 0.1 * rng.normal(size=60), kind=rng.choice(["u", "v"], 60))
    frame.to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "run"
    args = ["--data", str(tmp_path / "t.csv"), "--set", "data.id_column=name", "--epochs", "1", "--out", str(run)]
    assert main(["train", *args, "--quiet"]) == 0
    assert Run(run).read_data_info()["feature_names"] == ["x", "y", "kind=u", "kind=v"]
    assert "warning" not in capsys.readouterr().err
    counted = frame.assign(number=range(1, 61))
    counted.to_csv(tmp_path / "counted.csv", index=False)
    assert main(["train", "--data", str(tmp_path / "counted.csv"), "--epochs", "1", "--out", str(tmp_path / "r2"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "aekit train: warning: columns of" in err and "left out of the model: 'name' is an identifier" in err, err
    assert "'number' is an identifier" in err and "--set data.ignore_columns=null keeps them" in err, err
    frame.sample(frac=1, random_state=0)[["kind", "y", "name", "x"]].to_csv(tmp_path / "shuffled.csv", index=False)
    assert main(["encode", str(run), str(tmp_path / "t.csv"), str(tmp_path / "codes.csv")]) == 0
    assert main(["encode", str(run), str(tmp_path / "shuffled.csv"), str(tmp_path / "again.csv")]) == 0
    codes, again = read_codes(tmp_path / "codes.csv"), read_codes(tmp_path / "again.csv")
    assert list(codes) == frame.name.tolist() and list(again) != list(codes)
    assert all(np.allclose(codes[name], again[name], atol=1e-5) for name in codes)
    frame.drop(columns="name").to_csv(tmp_path / "anonymous.csv", index=False)
    assert main(["encode", str(run), str(tmp_path / "anonymous.csv"), str(tmp_path / "c.csv")]) == 1
    assert "ID column 'name' not found" in capsys.readouterr().err


def test_codes_and_rows_written_to_csv_are_their_float32_values_without_widening_digits(tmp_path):
    # codes.csv held 0.12345600128173828 for the float32 0.123456: its float64 widening, noise digits a user cannot tell;
    # a column of rates (0.000004) came back as 4.0188376e-06, now in positional notation as it was read
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"]).assign(rate=rng.uniform(1, 9, 40).round(3) * 1e-6)
    frame.to_csv(tmp_path / "t.csv", index=False, float_format="%.9f")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    # reconstructions come back to the table's units in float64 (timestamps), rounded to the 7 digits below each
    # column's scale that the float32 model holds
    for command in ("encode", "reconstruct"):
        assert main([command, str(run), str(tmp_path / "t.csv"), str(tmp_path / f"{command}.csv")]) == 0
        with open(tmp_path / f"{command}.csv", newline="") as f:
            cells = [cell for row in list(csv.reader(f))[1:] for cell in row[1:]]
        assert cells and all("e" not in cell for cell in cells), cells[:3]
        if command == "encode":
            assert all(cell == np.format_float_positional(np.float32(cell), unique=True, trim="0") for cell in cells), cells[:3]
        else:
            decimals = 7 - np.floor(np.log10(frame.std(ddof=0).to_numpy())).astype(int)
            kept = [cell.partition(".")[2] for cell in cells]
            assert all(len(digits) <= decimals[i % 4] for i, digits in enumerate(kept)), cells[:8]
    assert main(["encode", str(run), str(tmp_path / "t.csv"), str(tmp_path / "codes.npy")]) == 0
    codes = pd.read_csv(tmp_path / "encode.csv").to_numpy()[:, 1:]
    np.testing.assert_array_equal(codes.astype(np.float32), np.load(tmp_path / "codes.npy"))  # the same values, exactly


def test_a_tables_own_column_named_id_is_written_beside_the_row_ids_not_over_them(tmp_path, capsys):
    # reconstruct refused a .parquet ("Duplicate column names found: ['id', 'id', 'x']") and wrote a .csv with two 'id'
    rng = np.random.default_rng(4)
    pd.DataFrame({"id": rng.normal(size=50), "x": rng.normal(size=50)}).to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    for name in ("r.parquet", "r.csv"):
        assert main(["reconstruct", str(run), str(tmp_path / "t.csv"), str(tmp_path / name)]) == 0, capsys.readouterr().err
    rebuilt = pd.read_parquet(tmp_path / "r.parquet")
    assert list(rebuilt.columns) == ["_id", "id", "x"] and rebuilt["_id"].tolist() == list(range(50))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "r.csv"), rebuilt, check_dtype=False)


def test_integer_row_ids_are_written_as_integers_so_the_output_merges_back_on_its_key(tmp_path, capsys):
    # encode and reconstruct wrote the 'id' of a .parquet as text even for an integer ID column or the row numbers,
    # so merging the codes back on the table's int64 key failed
    rng = np.random.default_rng(5)
    table = pd.DataFrame({"key": np.arange(40) * 7 - 3, "zip": [f"{i:05d}" for i in range(500, 540)],
                          "x": rng.normal(size=40), "y": rng.normal(size=40)})
    table.to_csv(tmp_path / "t.csv", index=False)
    for id_column, want in (("key", table["key"]), ("zip", table["zip"])):
        run = tmp_path / id_column
        train = ["train", "--data", str(tmp_path / "t.csv"), "--set", f"data.id_column={id_column}", "--set",
                 f"data.ignore_columns={['zip' if id_column == 'key' else 'key']}", "--epochs", "1", "--quiet", "--out", str(run)]
        assert main(train) == 0, capsys.readouterr().err
        for command in ("encode", "reconstruct"):
            assert main([command, str(run), str(tmp_path / "t.csv"), str(tmp_path / f"{command}.parquet")]) == 0
            written = pd.read_parquet(tmp_path / f"{command}.parquet")
            assert written["id"].tolist() == want.tolist()  # '00500' stays text, with its zeros
            assert written["id"].dtype == np.int64 if id_column == "key" else pd.api.types.is_string_dtype(written["id"])
    merged = table.merge(pd.read_parquet(tmp_path / "encode.parquet"), left_on="zip", right_on="id")
    assert len(merged) == 40
    run = tmp_path / "numbered"
    table[["x", "y"]].to_csv(tmp_path / "xy.csv", index=False)
    assert main(["train", "--data", str(tmp_path / "xy.csv"), "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    assert main(["encode", str(run), str(tmp_path / "xy.csv"), str(tmp_path / "n.parquet")]) == 0
    codes = pd.read_parquet(tmp_path / "n.parquet")
    assert codes["id"].dtype == np.int64 and table.merge(codes, left_index=True, right_on="id").shape[0] == 40


@pytest.mark.parametrize("loss", ["multinomial", "poisson"])
def test_a_count_loss_on_a_table_of_counts_leaves_them_unscaled(loss, tmp_path, capsys):
    # scale 'auto' standardised a table of counts (values above 1), and the count loss then refused its own
    # input: "loss='poisson' needs non-negative counts in X, got a value of -1.2"
    counts = np.random.default_rng(0).poisson(3.0, size=(60, 5))
    pd.DataFrame(counts, columns=[f"w{i}" for i in range(5)]).to_csv(tmp_path / "counts.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "counts.csv"), "--loss", loss, "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    assert json.loads((run / "data.json").read_text())["scaling"]["kind"] == "none"
    args = ["train", "--data", str(tmp_path / "counts.csv"), "--loss", loss, "--epochs", "1", "--quiet", "--out", str(tmp_path / "std")]
    capsys.readouterr()
    assert main([*args, "--set", "data.scale=standard"]) == 1
    assert f"data.scale='standard' gives negative values, which loss='{loss}' cannot score" in capsys.readouterr().err
    assert main([*args, "--set", "data.scale=minmax"]) == 1  # trained on counts divided by each column's range
    assert f"data.scale='minmax' divides each column by its range, so rows stop being counts, which loss='{loss}'" in capsys.readouterr().err


def test_train_keeps_the_exact_range_of_a_timestamp_column(tmp_path):
    # the whole-number ranges were taken from the float32 training matrix: data.json held [1700002944, 1709940224]
    # for timestamps from 1700003006 to 1709940267, and reconstructions were clipped to those bounds
    ts = [1700003006, 1709940267, 1705000001, 1702222223, 1708888889, 1701111111]
    pd.DataFrame({"ts": ts, "x": [0.5, 1.5, -0.25, 2.0, 0.75, -1.0]}).to_csv(tmp_path / "ts.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "ts.csv"), "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    assert json.loads((run / "data.json").read_text())["whole_ranges"] == {"ts": [1700003006, 1709940267]}


def test_train_reads_a_latin1_table_with_data_encoding(tmp_path, capsys):
    # the refusal told 'aekit train' users to pass --encoding, which train does not have, and no config key took it
    (tmp_path / "t.csv").write_bytes("a,b,city\n1,2,Köln\n3,4,Zürich\n5,6,Köln\n7,8,Zürich\n".encode("latin-1"))
    args = ["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "r1")]) == 1
    assert "--set data.encoding=latin-1 for aekit train" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "r2"), "--set", "data.encoding=latin-1"]) == 0
    assert json.loads((tmp_path / "r2" / "data.json").read_text())["categories"] == {"city": ["Köln", "Zürich"]}


def test_a_gap_in_any_row_is_refused_by_train_not_later_by_evaluate(tmp_path, capsys):
    # a gap in a held-out row used to pass 'aekit train' (only the training rows were checked), and
    # evaluate, report and encode then refused the run's own data
    rng = np.random.default_rng(0)
    for row in range(10):
        frame = pd.DataFrame({"key": [f"r{i}" for i in range(10)], "a": rng.normal(size=10), "b": rng.normal(size=10)})
        frame.loc[[row, 9], "b"] = np.nan  # named the shuffled split's first gap, not the file's
        frame.to_csv(tmp_path / "t.csv", index=False)
        args = ["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--out", str(tmp_path / f"run{row}"), "--quiet"]
        assert main([*args, "--set", "data.id_column=key"]) == 1
        # named the ID row "row r3" where detect says "key r3"
        assert f"t.csv' has missing values in the column b (first in key r{row}); fill them first" in capsys.readouterr().err


def test_whole_number_floats_are_accepted_for_integer_settings_and_fractions_refused(tmp_path, capsys):
    # a config written by a script (latent_dim: 8.0) was refused: "model.latent_dim: Input should be a valid integer; got 8.0"
    (tmp_path / "c.yaml").write_text("model:\n  latent_dim: 3.0\n  max_epochs: 1.0\ndata:\n  max_rows: 100.0\nseed: 2.0\n")
    run = tmp_path / "run"
    assert main(["train", str(tmp_path / "c.yaml"), "--set", "model.hidden_dims=[16.0]", "--out", str(run), "--quiet"]) == 0
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert (config["model"]["latent_dim"], config["model"]["max_epochs"], config["data"]["max_rows"], config["seed"]) == (3, 1, 100, 2)
    assert config["model"]["hidden_dims"] == [16] and isinstance(config["model"]["latent_dim"], int)
    est = load_estimator(run / "model")
    assert est.latent_dim == 3 and type(est.latent_dim) is int and est.hidden_dims == (16,) and est.n_epochs_ == 1
    assert Run(run).read_data_info()["n_train"] == 100
    refused = tmp_path / "refused"
    assert main(["train", "--set", "model.latent_dim=8.5", "--out", str(refused), "--quiet"]) == 1
    assert "model.latent_dim: Input should be a whole number; got 8.5" in capsys.readouterr().err
    assert not refused.exists()


def test_columns_named_by_numbers_or_dates_are_found_from_set_and_config_files(tmp_path, capsys):
    # --set data.target=2020 was refused ("data.target: Input should be a valid string; got 2020"), as was
    # 'id_column: 2021-01-01' in a config file (YAML reads it as a date)
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"2019": rng.normal(size=60), "2020": rng.integers(0, 3, 60), "2021-01-01": np.arange(60),
                          "x": rng.normal(size=60)})
    table.to_csv(tmp_path / "years.csv", index=False)
    (tmp_path / "c.yaml").write_text(f"data:\n  source: {tmp_path / 'years.csv'}\n  target: 2020\n  id_column: 2021-01-01\n")
    for run, given in (("set", ["--data", str(tmp_path / "years.csv"), "--set", "data.target=2020",
                                "--set", "data.id_column=2021-01-01"]), ("file", [str(tmp_path / "c.yaml")])):
        assert main(["train", *given, "--epochs", "1", "--out", str(tmp_path / run), "--quiet"]) == 0
        info = Run(tmp_path / run).read_data_info()
        assert (info["target"], info["id_column"], info["feature_names"]) == ("2020", "2021-01-01", ["2019", "x"])
    assert main(["train", "--data", str(tmp_path / "years.csv"), "--set", "data.target=yes", "--out", str(tmp_path / "no"), "--quiet"]) == 1
    assert "data.target: YAML reads an unquoted yes, no, on, off, true or false as a boolean; quote" in capsys.readouterr().err


def test_model_verbose_takes_effect_and_model_distributed_must_match_how_train_was_started(tmp_path, monkeypatch, capsys):
    # --set model.verbose=false still drew the progress bar (config.yaml said verbose: false), and
    # --set model.distributed=true trained in one process (config.yaml said distributed: true)
    quiet, shown = tmp_path / "quiet", tmp_path / "shown"
    base = ["train", "--data", "digits", "--epochs", "1", "--set", "data.max_rows=100"]
    assert main([*base, "--set", "model.verbose=false", "--out", str(quiet)]) == 0
    out, err = capsys.readouterr()
    assert "fit:" not in err and "training AutoEncoder" not in out and "trained AutoEncoder for 1 epoch (" in out
    assert yaml.safe_load((quiet / "config.yaml").read_text())["model"]["verbose"] is False
    assert main([*base, "--out", str(shown)]) == 0
    out, err = capsys.readouterr()
    assert "fit:" in err and "training AutoEncoder" in out
    assert yaml.safe_load((shown / "config.yaml").read_text())["model"]["verbose"] is True
    refused = tmp_path / "refused"
    assert main([*base, "--set", "model.distributed=true", "--out", str(refused), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "model.distributed=true trains data-parallel over the processes torchrun starts" in err
    assert "torchrun --nproc-per-node N -m aekit train" in err and not refused.exists()
    monkeypatch.setenv("WORLD_SIZE", "2")  # as torchrun starts it; refused before joining any process group
    assert main([*base, "--set", "model.distributed=false", "--out", str(refused), "--quiet"]) == 1
    assert "model.distributed=false would train every process alone" in capsys.readouterr().err and not refused.exists()
    monkeypatch.delenv("WORLD_SIZE")
    saved = yaml.safe_load((quiet / "config.yaml").read_text())
    saved["model"]["distributed"], saved["out"] = True, None  # as a torchrun run's config.yaml records it
    (tmp_path / "saved.yaml").write_text(yaml.safe_dump(saved))
    assert main(["train", str(tmp_path / "saved.yaml"), "--out", str(tmp_path / "again"), "--quiet"]) == 0
    assert "warning: the config's model.distributed=true gives way to how this 'aekit train' was started: one process" in capsys.readouterr().err


def test_an_unknown_key_or_model_name_suggests_the_nearest(tmp_path, capsys):
    # 'model.latnt_dim: unknown key; allowed keys: ' and 43 keys to read through, no word on which was meant
    out = tmp_path / "run"
    sets = ["model.latnt_dim=3", "model.lr=0.1", "model.epochs=3", "data.sorce=x", "data.target_column=y"]
    assert main(["train", *[a for s in sets for a in ("--set", s)], "--out", str(out)]) == 1
    err = capsys.readouterr().err
    for key, meant in (("model.latnt_dim", "latent_dim"), ("model.lr", "learning_rate"), ("model.epochs", "max_epochs"),
                       ("data.sorce", "source"), ("data.target_column", "target")):
        assert f"{key}: unknown key (did you mean {meant}?); allowed keys:" in err
    assert main(["train", "--model", "VAE", "--out", str(out)]) == 1
    assert "model.name: unknown model 'VAE' (did you mean 'vae'?); allowed: autoencoder" in capsys.readouterr().err
    assert main(["train", "--set", "model.xyz=1", "--out", str(out)]) == 1
    assert "model.xyz: unknown key; allowed keys:" in capsys.readouterr().err and not out.exists()


def test_switches_take_1_and_0_and_quoted_true_or_yes(tmp_path, capsys):
    # --set model.tied_weights=1 was refused ("Input should be a valid boolean; got 1"), as was tensorboard: "no"
    # in a config file generated with every value quoted
    (tmp_path / "c.yaml").write_text('tensorboard: "no"\ndata:\n  max_rows: 100\n')
    run = tmp_path / "run"
    assert main(["train", str(tmp_path / "c.yaml"), "--set", "model.tied_weights=1", "--set", "model.hidden_dims=[16]",
                 "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["model"]["tied_weights"] is True and config["tensorboard"] is False
    assert load_estimator(run / "model").tied_weights is True and not list(run.glob("events.out.tfevents*"))
    assert main(["train", "--set", "model.tied_weights=2", "--out", str(tmp_path / "no"), "--quiet"]) == 1
    assert "model.tied_weights: Input should be true or false (or yes/no, on/off, 1/0); got 2" in capsys.readouterr().err


def test_a_code_as_wide_as_the_rows_is_warned_about(tmp_path, capsys):
    # --latent-dim 8 on a table of 4 columns trained without a word, though such a code can copy the rows
    np.savetxt(tmp_path / "t.csv", np.random.default_rng(0).normal(size=(40, 4)), delimiter=",", header="a,b,c,d", comments="")
    for dims, run in (("4", "wide"), ("3", "narrow")):
        assert main(["train", "--data", str(tmp_path / "t.csv"), "--latent-dim", dims, "--epochs", "1", "--quiet",
                     "--out", str(tmp_path / run)]) == 0
        err = capsys.readouterr().err
        warned = f"aekit train: warning: model.latent_dim=4 is not smaller than the 4 features of '{tmp_path / 't.csv'}'"
        assert (warned in err) == (dims == "4")
    assert load_estimator(tmp_path / "wide" / "model").latent_dim == 4
    for model in ("sparse", "denoising", "vae"):  # each keeps a wide code from copying the rows: no warning
        assert main(["train", "--data", str(tmp_path / "t.csv"), "--model", model, "--latent-dim", "8", "--epochs", "1",
                     "--quiet", "--out", str(tmp_path / model)]) == 0
        assert "model.latent_dim=8 is not smaller" not in capsys.readouterr().err


def test_model_flag_over_a_config_of_another_model_keeps_only_what_the_config_changed(tmp_path, capsys):
    # 'aekit train runs/ae/config.yaml --model vae' was refused with some twenty "model.X: unknown key; allowed keys:
    # ..." lines, one per AutoEncoder parameter the saved config lists (every one, at its default)
    first = tmp_path / "ae"
    assert main(["train", "--epochs", "1", "--set", "data.max_rows=100", "--latent-dim", "3", "--set", "model.hidden_dims=[32]",
                 "--out", str(first), "--quiet"]) == 0
    vae = tmp_path / "vae"
    assert main(["train", str(first / "config.yaml"), "--model", "vae", "--out", str(vae), "--quiet"]) == 0
    est = load_estimator(vae / "model")
    assert type(est).__name__ == "VariationalAutoEncoder" and est.latent_dim == 3 and est.hidden_dims == (32,)
    assert est.activation == type(est)().activation and Run(vae).read_data_info()["n_train"] == 100
    (tmp_path / "d.yaml").write_text("model:\n  name: denoising\n  corruption: mask\n")
    assert main(["train", str(tmp_path / "d.yaml"), "--model", "vae", "--out", str(tmp_path / "no"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert f"model.name: 'vae' replaces the model 'denoising' of '{tmp_path / 'd.yaml'}', and does not take its " \
           "model.corruption='mask'; remove it from the config, or keep 'denoising'" in err


def test_a_model_name_that_is_a_list_or_a_mapping_is_refused_naming_the_key(tmp_path, capsys):
    # 'name: [vae]' in a config, or --set model.name.x=1, ended in a traceback: TypeError: unhashable type: 'list'
    (tmp_path / "c.yaml").write_text("model:\n  name: [vae]\nseeed: 1\n")
    assert main(["train", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "model.name: must be one model name, got ['vae']; allowed: autoencoder" in err and "seeed: unknown key" in err
    assert main(["train", "--set", "model.name.x=1", "--out", str(tmp_path / "run")]) == 1
    assert "model.name: must be one model name, got {'x': 1}" in capsys.readouterr().err and not (tmp_path / "run").exists()


def test_a_yaml_error_points_into_the_config_file_by_its_name(tmp_path, capsys):
    # the line and column of a YAML error were placed 'in "<unicode string>"', not in the file
    (tmp_path / "c.yaml").write_text("model:\n  latent_dim: 2\n   max_epochs: 3\n")
    assert main(["train", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert f'in "{tmp_path / "c.yaml"}", line 3, column 14' in err and "<unicode string>" not in err
    assert main(["train", "--set", "model.hidden_dims=[64,32", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "in \"the value '[64,32'\", line 1, column 7" in err and "<unicode string>" not in err


def test_a_set_key_path_with_an_empty_part_is_refused_as_such(tmp_path, capsys):
    # --set model..latent_dim=3 was refused as "model.: unknown key; allowed keys: ..." (a key named '')
    for key in ("model..latent_dim", "model.", ".seed"):
        assert main(["train", "--set", f"{key}=3", "--out", str(tmp_path / "run")]) == 1
        assert f"--set '{key}=3': the key path '{key}' has an empty part" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_impute_ignore_columns_named_by_numbers_or_dates(tmp_path, capsys):
    # --set ignore_columns=[2019,2021-01-01] was refused: "ignore_columns must be 'auto', None or a list of column
    # names, got [2019, datetime.date(2021, 1, 1)]" (YAML reads them as a number and a date)
    rng = np.random.default_rng(0)
    table = pd.DataFrame({name: rng.normal(size=80) for name in ("2019", "2020", "2021-01-01", "x")})
    table.loc[::7, "2020"] = np.nan
    table.to_csv(tmp_path / "gaps.csv", index=False)
    out = tmp_path / "filled.csv"
    assert main(["impute", str(tmp_path / "gaps.csv"), str(out), "--epochs", "1", "--quiet",
                 "--set", "ignore_columns=[2019,2021-01-01]", "--save", str(tmp_path / "imputer")]) == 0
    filled = pd.read_csv(out)
    assert not filled["2020"].isna().any()
    pd.testing.assert_frame_equal(filled[["2019", "2021-01-01"]], table[["2019", "2021-01-01"]])
    assert sorted(load_estimator(tmp_path / "imputer").ignored_columns_) == ["2019", "2021-01-01"]


def test_train_counts_one_epoch_in_the_singular(tmp_path, capsys):
    # a one-epoch run printed "trained AutoEncoder for 1 epochs (batches of 16, patience 1 epochs)"
    assert train(tmp_path / "run", 1, "--set", "data.max_rows=100", "--set", "model.early_stopping=1") == 0
    out = capsys.readouterr().out
    assert "trained AutoEncoder for 1 epoch (batches of 16, patience 1 epoch):" in out
    # the loss was printed without saying what it measures or in which units (evaluate says so)
    assert "(the training objective, on rows in the data's units)" in out  # digits: pixels / 16, not rescaled


def test_integer_flags_take_whole_numbers_written_with_a_point(tmp_path, capsys):
    # --latent-dim 3.0 was refused ("expected an integer, got '3.0'") though --set model.latent_dim=3.0 is taken
    run = tmp_path / "run"
    assert main(["train", "--latent-dim", "3.0", "--epochs", "1e0", "--batch-size", "32.0", "--set", "data.max_rows=100",
                 "--out", str(run), "--quiet"]) == 0
    est = load_estimator(run / "model")
    assert (est.latent_dim, est.n_epochs_, est.batch_size) == (3, 1, 32) and type(est.latent_dim) is int
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--latent-dim", "8.5", "--out", str(tmp_path / "no")])
    assert exit_info.value.code == 2 and "argument --latent-dim: expected an integer, got '8.5'" in capsys.readouterr().err


def test_seed_takes_a_whole_number_written_as_a_float_and_refuses_what_numpy_cannot_seed(capsys):
    # '--seed 5.0' (a script formatting every number as a float) was refused as 'invalid int value',
    # and '--seed -1' was taken, to fail later inside NumPy
    parsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    commands = [name for name, parser in parsers.items() if any("--seed" in a.option_strings for a in parser._actions)]
    assert {"train", "generate", "impute", "detect", "demo"} <= set(commands)
    for command in commands:
        parser = parsers[command]
        positionals = ["x" for a in parser._actions if not a.option_strings and a.nargs in (None, 1)]
        assert parser.parse_args([*positionals, "--seed", "5.0"]).seed == 5
        for bad in ("-1", "5.5", str(2**32)):
            with pytest.raises(SystemExit):
                main([command, *positionals, "--seed", bad])
            assert f"aekit {command}: error: argument --seed" in capsys.readouterr().err


def test_train_leaves_identifier_date_and_constant_columns_out_and_names_rows_by_the_identifier(tmp_path, capsys):
    # aekit train learned a patient_id counter (and a date, a constant) as features with only a warning, so
    # codes and reconstruction errors followed the row number; detect and impute left such columns out
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3))
    frame = pd.DataFrame({"patient_id": np.arange(1001, 1081), "a": x[:, 0], "b": x[:, 1], "c": x[:, 0] + 0.1 * x[:, 2],
                          "visit": pd.date_range("2024-01-01", periods=80).strftime("%Y-%m-%d"), "site": "north"})
    frame.to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(run)]) == 0
    err = capsys.readouterr().err
    assert "'patient_id' is an identifier" in err and "'visit' is a column of dates" in err and "'site' is constant" in err, err
    info = Run(run).read_data_info()
    assert info["feature_names"] == ["a", "b", "c"], info["feature_names"]
    assert main(["encode", str(run), str(tmp_path / "t.csv"), str(tmp_path / "codes.csv")]) == 0
    codes = read_codes(tmp_path / "codes.csv")
    assert list(codes) == [str(i) for i in range(1001, 1081)]
    est = load_estimator(run / "model")
    scaled = Scaling(**info["scaling"]).transform(frame[["a", "b", "c"]].to_numpy(np.float32))
    np.testing.assert_allclose(np.array(list(codes.values())), est.transform(scaled), atol=1e-5)
    for prefix in ("", "P"):  # a gap among the ids was written as 1001.0, ..., nan, or for texts a traceback
        gap = frame.assign(patient_id=(prefix + frame["patient_id"].astype(str)).mask(frame.index == 2))
        gap.to_csv(tmp_path / "gap.csv", index=False)
        assert main(["encode", str(run), str(tmp_path / "gap.csv"), str(tmp_path / "gap_codes.csv")]) == 0
        ids = pd.read_csv(tmp_path / "gap_codes.csv", dtype=str, keep_default_na=False)["id"].tolist()
        assert ids == [f"{prefix}1001", f"{prefix}1002", "", *(f"{prefix}{i}" for i in range(1004, 1081))]
    frame[["a", "b", "c"]].to_csv(tmp_path / "bare.csv", index=False)  # later tables may lack the left-out columns
    assert main(["encode", str(run), str(tmp_path / "bare.csv"), str(tmp_path / "bare_codes.csv")]) == 0
    assert list(read_codes(tmp_path / "bare_codes.csv")) == [str(i) for i in range(80)]
    kept = tmp_path / "kept"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(kept),
                 "--set", "data.ignore_columns=null"]) == 0
    assert "left out" not in capsys.readouterr().err
    assert "patient_id" in Run(kept).read_data_info()["feature_names"]
    named = tmp_path / "named"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(named),
                 "--set", "data.ignore_columns=[c]"]) == 0
    assert Run(named).read_data_info()["feature_names"] == ["a", "b"]


def test_ignore_names_a_column_whose_name_holds_a_comma_whole_or_quoted(tmp_path, capsys):
    # --ignore "size, cm" split the name at its comma and refused 'size' and 'cm', listing the columns as
    # "a, b, size, cm, d", so a column whose CSV header quotes a comma could not be left out
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(80, 4)), columns=["a", "b", "size, cm", "d"]).to_csv(tmp_path / "t.csv", index=False)
    for given, left_out in ((["--ignore", "size, cm"], ["size, cm"]), (["--ignore", '"size, cm", a'], ["a", "size, cm"]),
                            (["--ignore", "a,b", "--ignore", "size, cm"], ["a", "b", "size, cm"])):
        assert main(["detect", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", *given,
                     "--save", str(tmp_path / "detector")]) == 0
        assert sorted(load_estimator(tmp_path / "detector").table_.dropped) == left_out
    capsys.readouterr()
    assert main(["detect", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--ignore", "size"]) == 1
    err = capsys.readouterr().err
    assert "--ignore names 'size', not a column of" in err and "columns are 'a', 'b', 'size, cm', 'd' (a name with a comma:" in err


def test_a_config_with_verbose_false_trains_quietly_and_says_so(tmp_path, capsys):
    # every run's config.yaml recorded verbose: false before model.verbose took effect; passed back as CONFIG it
    # trained without a progress bar or a 'training ...' line, and nothing said why
    old = tmp_path / "old.yaml"
    old.write_text("model:\n  verbose: false\n  hidden_dims: [16]\n  max_epochs: 1\ndata:\n  max_rows: 60\n")
    assert main(["train", str(old), "--out", str(tmp_path / "run")]) == 0
    out, err = capsys.readouterr()
    assert f"aekit train: model.verbose is false in {str(old)!r}, so no progress is shown; --set model.verbose=true" in err
    assert "fit:" not in err and "training AutoEncoder" not in out
    assert main(["train", str(old), "--out", str(tmp_path / "shown"), "--set", "model.verbose=true"]) == 0
    out, err = capsys.readouterr()
    assert "fit:" in err and "training AutoEncoder" in out and "model.verbose is false" not in err
    assert main(["train", str(old), "--out", str(tmp_path / "quiet"), "--quiet"]) == 0
    assert "model.verbose" not in capsys.readouterr().err


def test_a_relative_data_path_of_a_config_is_read_from_the_working_folder_and_a_miss_says_so(tmp_path, monkeypatch, capsys):
    # 'aekit train cfg/c.yaml' with 'source: t.csv' beside the config said only "no data at 't.csv': give 'digits',
    # ...", not that a config's relative paths are read from the folder aekit train runs in
    (tmp_path / "cfg").mkdir()
    np.savetxt(tmp_path / "cfg" / "t.csv", np.random.default_rng(0).random((40, 3)), delimiter=",", header="a,b,c", comments="")
    (tmp_path / "cfg" / "c.yaml").write_text("model:\n  hidden_dims: 8\n  max_epochs: 1\ndata:\n  source: t.csv\n")
    monkeypatch.chdir(tmp_path)
    assert main(["train", "cfg/c.yaml", "--out", "run", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert (f"data.source: no 't.csv' in {str(tmp_path)!r}, where 'aekit train' reads the relative paths of 'cfg/c.yaml', "
            "not from its folder; 'cfg/t.csv' is there: run from 'cfg', or give --set data.source=cfg/t.csv") in err
    assert not (tmp_path / "run").exists()
    assert main(["train", "cfg/c.yaml", "--out", "run", "--quiet", "--set", "data.source=cfg/t.csv"]) == 0
    capsys.readouterr()
    monkeypatch.chdir(tmp_path / "cfg")  # a run's config.yaml, passed back from elsewhere: its source is relative to tmp_path
    assert main(["train", "../run/config.yaml", "--out", "again", "--quiet"]) == 1
    assert "data.source: no 'cfg/t.csv' in" in capsys.readouterr().err
    assert main(["train", "c.yaml", "--out", "again", "--quiet"]) == 0


def test_train_takes_the_config_as_config_option_too(tmp_path, capsys):
    # 'aekit train --config RUN/config.yaml' was refused: "unrecognized arguments: --config"
    first, again = tmp_path / "first", tmp_path / "again"
    assert train(first, 1, "--set", "data.max_rows=100") == 0
    assert main(["train", "--config", str(first / "config.yaml"), "--out", str(again), "--quiet"]) == 0
    reproduced, before = weights(again / "model"), weights(first / "model")
    assert all(torch.equal(reproduced[k], before[k]) for k in before)
    capsys.readouterr()
    assert main(["train", "c.yaml", "--config", str(first / "config.yaml"), "--out", str(tmp_path / "no")]) == 2
    assert "aekit train: error: give one config: CONFIG 'c.yaml' or --config" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_reconstruct_help_says_what_it_writes_and_its_examples_do_not_name_codes(capsys):
    # 'aekit reconstruct --help' read "Write the reconstructions (n, n_features), in the data's units of the rows of
    # INPUT" and its examples wrote them to codes.npy; evaluate's left out the R^2 it prints for a numeric target
    for command, written in (("encode", "the codes (n, latent_dim) of the rows of INPUT"),
                             ("reconstruct", "the reconstructions (n, n_features), in the data's units, of the rows of INPUT")):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        examples = text.split("examples:")[1]
        assert f"Write {written}\nto OUTPUT" in text and ("codes" in examples) == (command == "encode")
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    assert "for a numeric target the R^2 of a 5-nearest-neighbour regressor" in capsys.readouterr().out


def test_report_help_says_it_writes_the_explorer_page_too(capsys):
    # 'aekit report' writes RUN/explorer.html (over one 'aekit explore --data ...' wrote) and its help did not say so
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    assert "written beside it as RUN/explorer.html (replacing one 'aekit explore' wrote\nthere)" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["5m", "0", "-3", "nan"])
def test_a_dist_timeout_that_is_no_positive_number_is_refused_naming_the_variable(value, tmp_path, monkeypatch, capsys):
    # under torchrun, AEKIT_DIST_TIMEOUT=5m failed with "could not convert string to float: '5m'" on every rank,
    # naming no variable, and 0 or a negative number was taken as the timeout of every collective
    monkeypatch.setenv("WORLD_SIZE", "2")  # as torchrun starts it; refused before joining any process group
    monkeypatch.setenv("AEKIT_DIST_TIMEOUT", value)
    assert main(["train", "--data", "digits", "--epochs", "1", "--out", str(tmp_path / "run"), "--quiet"]) == 1
    assert (f"aekit train: error: AEKIT_DIST_TIMEOUT must be the collectives' timeout in seconds, a number > 0 "
            f"(default 300), got {value!r}") in capsys.readouterr().err


def test_detect_and_impute_with_fitted_refuse_criterion_and_seed_which_only_apply_when_fitting(tmp_path, capsys):
    # 'aekit detect IN --fitted DIR --criterion latent' scored by the saved detector's criterion (combined) without a
    # word, and --seed with --fitted was dropped unseen (both options had defaults, so they could not be told apart)
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"]).to_csv(tmp_path / "t.csv", index=False)
    saved = tmp_path / "detector"
    assert main(["detect", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--save", str(saved)]) == 0
    detector = load_estimator(saved)
    assert (detector.criterion, detector.random_state) == ("combined", 0)
    capsys.readouterr()
    for extra, named in ((["--criterion", "latent"], "--criterion only applies"), (["--seed", "0"], "--seed only applies"),
                         (["--seed", "0", "--epochs", "2"], "--epochs and --seed only apply")):  # was '--seed only apply'
        assert main(["detect", str(tmp_path / "t.csv"), "--fitted", str(saved), *extra]) == 1
        assert (f"--fitted uses the saved AutoEncoderOutlierDetector as it is; {named} when fitting one"
                in capsys.readouterr().err)
    assert main(["detect", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--criterion", "latent", "--seed", "3",
                 "--save", str(saved)]) == 0
    assert (load_estimator(saved).criterion, load_estimator(saved).random_state) == ("latent", 3)


def test_a_device_that_is_no_device_or_absent_is_refused_naming_the_key_before_any_file_is_written(tmp_path, capsys):
    # --set model.device=gpu (or a GPU run's config passed back without CUDA) read the data and wrote config.yaml and
    # data.json before failing with "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'gpu'", naming no key
    devices = ["gpu", "cuda:x"] + ([] if torch.cuda.is_available() else ["cuda"])
    for device in devices:
        out = tmp_path / device.replace(":", "_")
        assert main(["train", "--set", f"model.device={device}", "--set", "data.max_rows=30", "--out", str(out), "--quiet"]) == 1
        assert "model.device: device" in capsys.readouterr().err and not out.exists()


def test_detect_set_of_a_detector_parameter_points_at_its_option(tmp_path, capsys):
    # 'aekit detect IN --set contamination=0.2' was refused with "model.contamination: unknown key (did you mean
    # activation?)": --set sets the autoencoder's parameters, and the detector's have options of their own
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"]).to_csv(tmp_path / "t.csv", index=False)
    for assignment, option in (("contamination=0.2", "--contamination X"), ("model.criterion=latent", "--criterion NAME"),
                               ("ignore_columns=[a]", "--ignore COL,...")):
        assert main(["detect", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--set", assignment]) == 1
        key = assignment.partition("=")[0].removeprefix("model.")
        assert (f"--set {assignment!r}: {key} is the detector's, not its autoencoder's (which --set sets); give {option}"
                in capsys.readouterr().err)
    # standardize, which has no option, was refused as an unknown autoencoder key; and a loss reading raw values
    # was refused with Python's advice "pass X.to_numpy()"
    args = ["detect", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--save", str(tmp_path / "det")]
    assert main([*args, "--set", "standardize=true", "--set", "latent_dim=1"]) == 0
    from aekit import AutoEncoderOutlierDetector

    saved = AutoEncoderOutlierDetector.load(tmp_path / "det")
    assert saved.standardize is True and saved.autoencoder_.latent_dim == 1
    assert main(["detect", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--set", "loss=bce"]) == 1
    err = capsys.readouterr().err
    assert "--set loss=bce: aekit detect standardises the table's numeric columns" in err and "to_numpy" not in err


def test_a_training_refused_before_its_first_epoch_leaves_no_run_folder_behind(tmp_path, monkeypatch, capsys):
    # each refused 'aekit train --data t.csv --set data.target=A' left a new runs/autoencoder-t-TIME folder holding
    # only config.yaml and .lock, which evaluate and report then refused as runs without a model
    pd.DataFrame(np.random.default_rng(0).normal(size=(40, 3)), columns=["a", "b", "c"]).to_csv(tmp_path / "t.csv", index=False)
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--data", "t.csv", "--set", "data.target=A", "--epochs", "1", "--quiet"]) == 1
    assert "target column 'A' not found" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() or list((tmp_path / "runs").iterdir()) == []
    (tmp_path / "mine").mkdir()  # a folder the user made is left as it is
    assert main(["train", "--data", "t.csv", "--set", "data.target=A", "--epochs", "1", "--quiet", "--out", "mine"]) == 1
    assert (tmp_path / "mine").is_dir()
    assert main(["train", "--data", "t.csv", "--epochs", "1", "--quiet", "--out", "runs/ok"]) == 0
    assert (tmp_path / "runs" / "ok" / "model").is_dir()


def test_a_run_stopped_after_an_epoch_is_refused_by_report_naming_the_resume_command_for_it(tmp_path, monkeypatch, capsys):
    # 'aekit report RUN' of an interrupted run said "finish it with 'aekit train --resume RUN'", the word RUN
    def interrupt(self, est, epoch, logs):
        raise KeyboardInterrupt

    monkeypatch.setattr(TensorBoardLogger, "on_epoch_end", interrupt)
    run = tmp_path / "run"
    assert train(run, 3, "--set", "data.max_rows=60") == 130
    capsys.readouterr()
    for command in ("report", "evaluate"):
        assert main([command, str(run)]) == 1
        assert f"It has a checkpoint: finish it with 'aekit train --resume {run}'." in capsys.readouterr().err


def test_a_test_fraction_holding_out_every_row_is_refused_naming_it(tmp_path, capsys):
    # data.test_fraction=0.999 on 200 rows failed with scikit-learn's "With n_samples=200, test_size=0.999 and
    # train_size=None, the resulting train set will be empty", naming test_size, which aekit does not have
    pd.DataFrame(np.random.default_rng(0).normal(size=(200, 3)), columns=["a", "b", "c"]).to_csv(tmp_path / "t.csv", index=False)
    base = ["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet"]
    assert main([*base, "--set", "data.test_fraction=0.999", "--out", str(tmp_path / "no")]) == 1
    assert (f"test_fraction (data.test_fraction) 0.999 holds out all 200 rows of {str(tmp_path / 't.csv')!r} (it holds "
            "out test_fraction x rows, rounded up), leaving none to train on") in capsys.readouterr().err
    assert main([*base, "--set", "data.test_fraction=0.99", "--out", str(tmp_path / "ok")]) == 0
    assert Run(tmp_path / "ok").read_data_info()["n_train"] == 2


def test_train_on_mnist_missing_says_how_to_download_it_on_the_command_line(tmp_path, capsys):
    # 'aekit train --data mnist' without the files said "Pass download=True", a Python argument, not the --set to give
    assert main(["train", "--data", "mnist", "--set", f"data.data_home={tmp_path}", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "Pass download=True ('aekit train': --set data.download=true; needs internet)" in err
    assert "--set data.data_home=DIR" in err and not (tmp_path / "run").exists()


def test_impute_set_with_a_section_says_the_imputer_takes_its_parameters_by_name(tmp_path, capsys):
    # 'aekit impute IN OUT --set model.latent_dim=2' (as 'aekit train' and 'aekit detect' take it) was refused with
    # "model: Input should be 'dae' or 'vae'": the imputer's own parameter model received {'latent_dim': 2}
    table = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 3)), columns=["a", "b", "c"])
    table.loc[::7, "b"] = np.nan
    table.to_csv(tmp_path / "gaps.csv", index=False)
    base = ["impute", str(tmp_path / "gaps.csv"), str(tmp_path / "filled.csv"), "--epochs", "1", "--quiet"]
    assert main([*base, "--set", "model.latent_dim=2"]) == 1
    assert ("--set 'model.latent_dim=2': AutoEncoderImputer's parameters are set by name, with no section (model.): "
            "--set latent_dim=2") in capsys.readouterr().err
    assert main([*base, "--set", "data.max_rows=3"]) == 1
    assert "with no section (data.), and 'max_rows' is none of them" in capsys.readouterr().err
    assert main([*base, "--set", "latent_dim=2", "--set", "blend=null", "--save", str(tmp_path / "imputer")]) == 0  # no trees partner: not what is tested
    assert load_estimator(tmp_path / "imputer").latent_dim == 2


def test_set_seed_seeds_the_model_of_a_saved_config_as_the_seed_flag_does(tmp_path):
    # 'aekit train RUN/config.yaml --set seed=5' changed the split but kept the saved model.random_state (1), while
    # --seed 5 sets both
    first = tmp_path / "first"
    assert train(first, 1, "--set", "data.max_rows=100") == 0
    for i, (extra, expected) in enumerate(((["--set", "seed=05"], 5), (["--set", "seed=5.0"], 5), (["--seed", "5"], 5),
                                            (["--set", "seed=5", "--set", "model.random_state=2"], 2))):
        assert main(["train", str(first / "config.yaml"), *extra, "--out", str(tmp_path / str(i)), "--quiet"]) == 0
        config = yaml.safe_load((tmp_path / str(i) / "config.yaml").read_text())
        assert (config["seed"], config["model"]["random_state"]) == (5, expected)
    by_set, by_flag = weights(tmp_path / "1" / "model"), weights(tmp_path / "2" / "model")
    assert all(torch.equal(by_set[k], by_flag[k]) for k in by_flag)


def test_a_set_seed_of_the_wrong_type_is_refused_once_as_seed(tmp_path, capsys):
    # --set seed=abc was refused twice, as seed and as model.random_state (which --set seed=N also sets)
    assert main(["train", "--set", "seed=abc", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "seed: Input should be a valid integer; got 'abc'" in err and "random_state" not in err


def test_demo_refuses_to_replace_a_run_it_did_not_write(tmp_path, monkeypatch, capsys):
    # 'aekit demo --out runs/mine' discarded the user's own run there (a VAE) and trained the demo in its place
    from aekit.app import run_report

    # the report (figures of every section, tested with the demo in test_plot_report) is not what this test reads
    monkeypatch.setattr(run_report, "write_run_report", lambda run, compare=(): run_report.RunReport(Path(run) / "report.html", []))
    mine = tmp_path / "mine"
    assert main(["train", "--model", "vae", "--set", "data.max_rows=100", "--epochs", "1", "--quiet", "--out", str(mine)]) == 0
    before = weights(mine / "model")
    capsys.readouterr()
    assert main(["demo", "--out", str(mine), "--epochs", "1", "--compare-dim", "0"]) == 1
    assert (f"aekit demo: error: {mine} holds a run that 'aekit demo' did not write (vae on 'digits'); the demo replaces "
            "only its own runs") in capsys.readouterr().err
    after = weights(mine / "model")
    assert all(torch.equal(before[k], after[k]) for k in before)
    import shutil

    demo = tmp_path / "demo"
    demo.mkdir()
    assert main(["demo", "--out", str(demo), "--epochs", "1", "--compare-dim", "4", "--latent-dim", "3"]) == 0
    assert (demo / "compare-4d" / "model").is_dir()
    shutil.copytree(mine, demo / "compare-5d")
    (demo / "compare-9d").mkdir()
    (demo / "compare-9d" / "notes.txt").write_text("mine")
    assert main(["demo", "--out", str(demo), "--epochs", "1", "--compare-dim", "0", "--seed", "1"]) == 0
    assert yaml.safe_load((demo / "config.yaml").read_text())["model"]["latent_dim"] == 2
    # the earlier demo's compare-4d run stayed beside the new one, which compares with none; the user's folders stay
    assert sorted(p.name for p in demo.glob("compare-*")) == ["compare-5d", "compare-9d"]
    assert (demo / "compare-9d" / "notes.txt").read_text() == "mine" and (demo / "compare-5d" / "model").is_dir()


def test_a_training_refused_before_its_first_epoch_leaves_the_users_folder_as_it_was(tmp_path, capsys):
    # 'aekit train --out DIR' with DIR made by the user (empty, or holding notes) and refused before a first epoch left
    # config.yaml, data.json and .lock there; a folder training made itself was removed
    rows = tmp_path / "t.csv"
    np.savetxt(rows, np.random.default_rng(0).random((40, 3)), delimiter=",", header="a,b,c", comments="")
    empty, notes = tmp_path / "empty", tmp_path / "notes"
    empty.mkdir()
    notes.mkdir()
    (notes / "README").write_text("mine")
    for folder in (empty, notes, tmp_path / "new"):
        assert main(["train", "--data", str(rows), "--model", "conv", "--epochs", "1", "--out", str(folder), "--quiet"]) == 1
        assert "whose rows a 'conv' model reads as images only when told their shape" in capsys.readouterr().err
    assert list(empty.iterdir()) == [] and [p.name for p in notes.iterdir()] == ["README"]
    assert not (tmp_path / "new").exists()

def test_training_into_a_folder_that_is_no_run_keeps_its_files_or_refuses_to_write_over_them(tmp_path, capsys):
    # 'aekit train --out DIR' into a folder of the user's deleted its report.html, explorer.html and figures/loss.png
    # (discarding an earlier run's report) and wrote over its metrics.csv
    folder = tmp_path / "mine"
    (folder / "figures").mkdir(parents=True)
    for name in ("report.html", "explorer.html", "metrics.csv", "figures/loss.png"):
        (folder / name).write_text("mine")
    base = ["train", "--epochs", "1", "--set", "data.max_rows=60", "--quiet", "--out", str(folder)]
    assert main(base) == 1
    assert f"{folder} is no run folder and holds a metrics.csv, which training would write over" in capsys.readouterr().err
    assert (folder / "metrics.csv").read_text() == "mine" and not (folder / "config.yaml").exists()
    (folder / "metrics.csv").unlink()
    assert main(base) == 0 and (folder / "model").is_dir()
    assert all((folder / name).read_text() == "mine" for name in ("report.html", "explorer.html", "figures/loss.png"))


def test_an_out_that_is_empty_or_a_file_is_refused_saying_so(tmp_path, monkeypatch, capsys):
    # --out '' (an unset shell variable) trained into the working folder itself, and --out FILE failed with
    # "[Errno 17] File exists: 'FILE'"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,4\n5,7\n")
    base = ["train", "--epochs", "1", "--set", "data.max_rows=60", "--quiet"]
    assert main([*base, "--out", ""]) == 1
    assert "--out (out) is empty, which would make the working folder the run folder" in capsys.readouterr().err
    assert main([*base, "--out", "t.csv"]) == 1
    assert "--out 't.csv' is a file, and a run is a folder (config.yaml, model/, ...): give a new folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_output_piped_into_a_reader_that_stops_early_ends_quietly():
    # 'aekit detect ... | head -1' printed "aekit detect: error: [Errno 32] Broken pipe", or Python's
    # "Exception ignored ... BrokenPipeError" at exit (status 120); it now ends as a SIGPIPE'd tool does
    p = subprocess.Popen([sys.executable, "-m", "aekit", "train", "--list-models"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # before the command has printed anything: it takes a second to start
    with p.stderr:
        err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 141 and err == "", err


class _GoneReader:
    """A stream whose reader has gone, as `2>&1 | head -1` leaves stdout and stderr."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        pass


def test_detect_writes_its_output_file_before_a_gone_reader_stops_it(tmp_path, monkeypatch):
    # 'aekit detect IN --out f.csv 2>&1 | head -1' ended (status 141) at the first warning or summary line
    # that met the closed pipe, before f.csv was written: the file came first in nothing but name
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc")).assign(k=1).to_csv(tmp_path / "in.csv", index=False)
    monkeypatch.setattr(sys, "stdout", _GoneReader())
    monkeypatch.setattr(sys, "stderr", _GoneReader())  # the constant column's warning meets it first
    main(["detect", str(tmp_path / "in.csv"), "--out", str(tmp_path / "f.csv"), "--epochs", "1", "--quiet"])
    assert len(pd.read_csv(tmp_path / "f.csv")) == 60


@pytest.mark.parametrize("command", ["encode", "reconstruct", "detect", "impute"])
def test_connect_timeout_without_a_scheduler_is_refused(command, tmp_path, capsys):
    # --connect-timeout had a default, so one given without --scheduler was dropped without a word
    args = {"encode": ["RUN", "digits", "out.csv"], "reconstruct": ["RUN", "digits", "out.csv"],
            "detect": ["t.csv"], "impute": ["t.csv", "out.csv"]}[command]
    with pytest.raises(SystemExit) as exit_:
        main([command, *args, "--connect-timeout", "3"])
    assert exit_.value.code == 2
    assert "--connect-timeout applies only with --scheduler ADDRESS" in capsys.readouterr().err


def test_demo_refuses_an_empty_out_rather_than_training_into_the_working_folder(tmp_path, capsys, monkeypatch):
    # aekit demo --out "$UNSET" read Path('') as '.', writing config.yaml, model/ and report.html where it ran
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--out", ""])
    assert exit_.value.code == 2 and "argument --out: is empty" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["detector", "imputer", "classifier"])
@pytest.mark.parametrize("command", ["encode", "reconstruct", "evaluate"])
def test_row_commands_refuse_a_folder_that_holds_no_autoencoder(kind, command, tmp_path, capsys):
    # a detector's or classifier's folder crashed with AttributeError: ... no attribute 'transform'
    # (a traceback); an imputer's 'aekit encode' wrote its filled rows as if they were codes
    from aekit import AutoEncoder, AutoEncoderClassifier, AutoEncoderImputer, AutoEncoderOutlierDetector

    X = np.random.default_rng(0).random((40, 4))
    est = {
        "detector": lambda: AutoEncoderOutlierDetector(AutoEncoder(latent_dim=2, max_epochs=1, random_state=0)).fit(X),
        "imputer": lambda: AutoEncoderImputer(latent_dim=2, n_members=1, max_epochs=1, blend=None, random_state=0).fit(X),
        "classifier": lambda: AutoEncoderClassifier(max_epochs=1, random_state=0).fit(X, X[:, 0] > 0.5),
    }[kind]()
    folder = est.save(tmp_path / "model")
    np.save(tmp_path / "rows.npy", X)
    rows, out = str(tmp_path / "rows.npy"), str(tmp_path / "out.npy")
    argv = ["evaluate", str(folder), "--data", rows] if command == "evaluate" else [command, str(folder), rows, out]
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"aekit {command}: error: '{folder}' holds {type(est).__name__}, which is not an autoencoder")
    assert {"detector": f"--fitted {folder}", "imputer": f"--fitted {folder}", "classifier": ".predict(X)"}[kind] in err
    assert not (tmp_path / "out.npy").exists()


def test_a_model_fitted_on_a_dataframe_takes_a_tables_columns_by_name(tmp_path, capsys):
    # 'aekit encode MODEL t.csv' took the columns by position: with the table's columns in another order it
    # wrote wrong codes (and reconstructions under the wrong headers) after only a warning
    from aekit import AutoEncoder

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"w": rng.normal(100, 5, 40), "x": rng.random(40), "y": rng.random(40)})
    model = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(frame)
    folder = model.save(tmp_path / "model")
    frame[["y", "w", "x"]].to_csv(tmp_path / "t.csv", index=False)
    assert main(["encode", str(folder), str(tmp_path / "t.csv"), str(tmp_path / "codes.npy")]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "codes.npy"), model.transform(frame), rtol=1e-5, atol=1e-5)
    assert main(["reconstruct", str(folder), str(tmp_path / "t.csv"), str(tmp_path / "rec.csv")]) == 0
    written = pd.read_csv(tmp_path / "rec.csv")
    assert list(written.columns) == ["id", "w", "x", "y"]
    np.testing.assert_allclose(written[["w", "x", "y"]].to_numpy(), model.reconstruct(frame), rtol=1e-4)
    frame.rename(columns={"y": "z"}).to_csv(tmp_path / "other.csv", index=False)
    capsys.readouterr()
    assert main(["encode", str(folder), str(tmp_path / "other.csv"), str(tmp_path / "other.npy")]) == 1
    assert "have the columns the model was trained on (w, x, y): missing y; unexpected z" in capsys.readouterr().err


def test_a_runs_model_folder_encodes_rows_as_its_run_does(tmp_path, capsys):
    # 'aekit encode RUN/model' read the table unscaled (the model folder alone knows no scaling) and wrote codes
    # ~100 away from 'aekit encode RUN' without a word
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(100, 5, 60), "b": rng.normal(0, 1, 60), "site": rng.choice(["x", "y"], 60)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    assert main(["encode", str(run), str(tmp_path / "t.csv"), str(tmp_path / "run.npy")]) == 0
    assert main(["encode", str(run / "model"), str(tmp_path / "t.csv"), str(tmp_path / "model.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "model.npy"), np.load(tmp_path / "run.npy"))
    capsys.readouterr()
    assert main(["report", str(run / "model")]) == 1  # a report is still of the run itself
    assert "is a model folder, not a run" in capsys.readouterr().err
    assert sorted(p.name for p in (run / "model").iterdir()) == ["config.json", "model.safetensors"]


@pytest.mark.parametrize("model, named, said", [("autoencoder", "loss='bce' ('auto' chose it)", "loss='auto' chose 'bce'"),
                                                ("vae", "likelihood='bernoulli' ('auto' chose it)", "likelihood='auto' chose 'bernoulli'")])
def test_the_training_summary_names_the_loss_auto_chose(tmp_path, capsys, model, named, said):
    # 'aekit train' with loss (a VAE's likelihood) 'auto' printed "loss 0.5621, validation 0.4509 (the training
    # objective, ...)" and config.yaml said 'auto': nothing told whether it was the cross-entropy or the squared error
    run = tmp_path / "run"
    assert main(["train", "--model", model, "--data", "digits", "--epochs", "1", "--set", "data.max_rows=200",
                 "--set", "model.verbose=false", "--out", str(run)]) == 0
    assert f"(the training objective, on rows in the data's units); {said} (" in capsys.readouterr().out
    est = load_estimator(run / "model")
    key = "loss" if model == "autoencoder" else "likelihood"
    chosen = "bce" if model == "autoencoder" else "bernoulli"
    assert getattr(est, f"{key}_") == chosen and est.history_["settings"][key] == chosen
    assert main(["report", str(run)]) == 0
    assert f"Loss per epoch (from metrics.csv). It trained with {named}." in ReportPage(run / "report.html").text
