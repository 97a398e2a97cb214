"""Hostile files (tests/harness/hostile_files.py): model folders, YAML configs and CSV tables
built to attack the loaders are refused with a ValueError saying why, and no payload ever runs."""

from __future__ import annotations

import pickle

import pytest
import yaml

from aekit.cli import main
from aekit.data.datasets import load_csv
from tests.harness.hostile_files import HOSTILE_FILES, MARKER

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def by_name(name: str):
    return next(case for case in HOSTILE_FILES if case.name == name)


@pytest.mark.parametrize("case", HOSTILE_FILES, ids=lambda case: f"{case.kind}: {case.name}")
def test_hostile_file_is_refused_and_nothing_runs(tmp_path, case):
    outcome, message = case.check(tmp_path)
    assert outcome == "refused", message
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize(
    "name", ["!!python/object/apply:builtins.exec", "!!python/object/apply:os.system"], ids=lambda n: n
)
def test_the_yaml_payloads_are_live_under_unsafe_loading(tmp_path, name):
    by_name(name).write(tmp_path)
    yaml.unsafe_load((tmp_path / "config.yaml").read_text())
    assert (tmp_path / MARKER).exists()


def test_the_pickle_payload_is_live_under_pickle(tmp_path):
    by_name("weights are a pickle payload").write(tmp_path)
    pickle.loads((tmp_path / "model" / "model.safetensors").read_bytes())  # noqa: S301 - proving the payload runs
    assert (tmp_path / MARKER).exists()


def test_train_refuses_a_config_with_python_tags_and_runs_nothing(tmp_path, capsys):
    by_name("!!python/object/apply:os.system").write(tmp_path)
    assert main(["train", str(tmp_path / "config.yaml"), "--out", str(tmp_path / "run")]) == 1
    assert "safe loading only" in capsys.readouterr().err
    assert not (tmp_path / MARKER).exists() and not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", ["train", "impute"])
def test_commands_refuse_a_table_with_formulas_naming_the_column(tmp_path, capsys, command):
    by_name("DDE =cmd|").write(tmp_path)
    table, out = str(tmp_path / "table.csv"), str(tmp_path / "out")
    argv = {"train": ["train", "--data", table, "--out", out], "impute": ["impute", table, out + ".csv"]}
    assert main(argv[command]) == 1
    assert "column 'amount' holds 1 spreadsheet formula" in capsys.readouterr().err


def test_text_that_only_starts_with_a_sign_is_not_a_formula(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("amount,note\n-1.5,-\n+2,-none-\n3,@user\n-4e3,+ve\n")
    data = load_csv(path)
    assert data.X[:, 0].tolist() == [-1.5, 2.0, 3.0, -4000.0]
    assert data.feature_names == ["amount", "note=+ve", "note=-none-", "note=@user"]  # a lone '-' marks a missing value


def test_a_csv_in_another_encoding_loads_when_told(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("amount,city\n1.5,Malmö\n2,Lund\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"not valid utf-8 text \(invalid start byte: byte f6\)") as info:
        load_csv(path)
    assert type(info.value) is ValueError
    assert "city=Malmö" in load_csv(path, encoding="latin-1").feature_names
