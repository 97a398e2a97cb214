"""`aekit encode`, `reconstruct`, `detect` and `impute` with --scheduler on a two-process
`distributed.LocalCluster`: the folder of Parquet files they write holds the single-process
command's output row for row, in order, identifiers kept; refusals name --scheduler."""

from __future__ import annotations

import shutil
import socket
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow", reason="Parquet needs pyarrow (pip install 'aekit[data]')")

from aekit.cli import main  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = ["--quiet", "--epochs", "3", "--set", "hidden_dims=[16]"]
N_ROWS = 700
PARTS = (0, 150, 160, 400, N_ROWS)  # uneven partitions, so global row numbers need each one's start


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason="needs dask[dataframe] and distributed (pip install 'aekit[dask]')")
    pytest.importorskip("dask.dataframe", reason="needs dask[dataframe] (pip install 'aekit[dask]')")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
        yield local.scheduler_address


def write_table(frame: pd.DataFrame, folder: Path, with_empty_file: bool = False) -> Path:
    """`frame` as one Parquet file per part of PARTS in `folder` (and an empty one after the
    first), and whole beside it as FOLDER.parquet."""
    folder.mkdir(parents=True)
    for i, (start, stop) in enumerate(zip(PARTS, PARTS[1:])):
        frame.iloc[start:stop].to_parquet(folder / f"part-{i}.parquet", index=False)
    if with_empty_file:
        frame.iloc[:0].to_parquet(folder / "part-0-empty.parquet", index=False)
    frame.to_parquet(folder.with_suffix(".parquet"), index=False)
    return folder


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, Path]:
    """A numeric table of rows near a plane with an ID column 'key' (rows/, rows.parquet), the
    same without it and with an empty file among its parts (anonymous/), and one with a fifth of three columns missing, a count among
    them (gaps/, gaps.parquet)."""
    root = tmp_path_factory.mktemp("scheduler")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_ROWS, 2)) @ rng.normal(size=(2, 5)) + 0.1 * rng.normal(size=(N_ROWS, 5))
    frame = pd.DataFrame(X, columns=list("abcde"))
    frame.insert(0, "key", np.arange(N_ROWS) * 7 + 1000)
    gaps = frame.assign(n=rng.integers(0, 6, N_ROWS).astype(float))
    for column in ("b", "d", "n"):
        gaps.loc[rng.random(N_ROWS) < 0.2, column] = np.nan
    return {
        "rows": write_table(frame, root / "rows"),
        "anonymous": write_table(frame.drop(columns="key"), root / "anonymous", with_empty_file=True),
        "gaps": write_table(gaps, root / "gaps"),
    }


def assert_same_table(folder: Path, expected: Path, source: Path) -> pd.DataFrame:
    """The Parquet folder equals the single-process file: columns, dtypes, order, index, values to
    float tolerance; one file per file of the `source` folder."""
    got, want = pd.read_parquet(folder), pd.read_parquet(expected)
    assert list(got.columns) == list(want.columns) and got.shape == want.shape
    assert got.index.equals(want.index) and got.index.names == want.index.names
    assert len(list(folder.glob("*.parquet"))) == len(list(source.glob("*.parquet"))), "one file per input partition"
    for column in want:
        assert got[column].dtype == want[column].dtype, column
        if want[column].dtype.kind == "f":
            np.testing.assert_allclose(got[column].to_numpy(), want[column].to_numpy(), rtol=1e-6, atol=1e-6)
        else:
            assert got[column].astype(str).tolist() == want[column].astype(str).tolist(), column
    return got


@pytest.mark.slow
def test_encode_and_reconstruct_on_the_cluster_equal_the_single_process_output(cluster, tables, tmp_path, capsys):
    run = tmp_path / "run"
    fit = ["train", "--data", str(tables["rows"].with_suffix(".parquet")), "--set", "data.id_column=key", "--out", str(run)]
    assert main([*fit, "--epochs", "2", "--quiet"]) == 0
    for command in ("encode", "reconstruct"):
        assert main([command, str(run), str(tables["rows"]), str(tmp_path / f"{command}.parquet")]) == 0
        assert main([command, str(run), str(tables["rows"]), str(tmp_path / command), "--scheduler", cluster]) == 0
        got = assert_same_table(tmp_path / command, tmp_path / f"{command}.parquet", tables["rows"])
        assert got["id"].tolist() == (np.arange(N_ROWS) * 7 + 1000).tolist(), "the ID column names the rows"
        assert got["id"].dtype == np.int64  # as the key is, so the output merges back on it
    assert f"wrote {N_ROWS} reconstructions of 5 values to {tmp_path / 'reconstruct'}/ (4 Parquet files)" in capsys.readouterr().out
    # rows with gaps are refused naming the table's columns and a row's ID, as in one process (the cluster named
    # the scaled features' positions and a row's number within its partition)
    holes, refusals = write_table(pd.read_parquet(tables["gaps"]).drop(columns="n"), tmp_path / "holes"), []
    for output, scheduler in (("gaps.parquet", []), ("gaps", ["--scheduler", cluster])):
        assert main(["encode", str(run), str(holes), str(tmp_path / output), *scheduler]) == 1
        refusals.append(capsys.readouterr().err.partition(" (first in key ")[::2])
    gappy = pd.read_parquet(holes).loc[lambda t: t[["b", "d"]].isna().any(axis=1), "key"].astype(str).tolist()
    assert refusals[0][0] == refusals[1][0] == f"aekit encode: error: {str(holes)!r} has missing values in the columns b, d"
    assert refusals[1][1].partition(")")[0] in gappy
    # a model folder reads the table as it is: its rows are numbered across the partitions, an empty one among them
    saved = shutil.copytree(run / "model", tmp_path / "saved")  # outside its run, whose model/ opens the run
    assert main(["encode", str(saved), str(tables["anonymous"]), str(tmp_path / "numbered.parquet")]) == 0
    assert main(["encode", str(saved), str(tables["anonymous"]), str(tmp_path / "numbered"), "--scheduler", cluster]) == 0
    got = assert_same_table(tmp_path / "numbered", tmp_path / "numbered.parquet", tables["anonymous"])
    assert got["id"].tolist() == list(range(N_ROWS)) and got["id"].dtype == np.int64
    # the rows with text keys as a named index (pandas' to_parquet): one process reads the table's columns, the
    # index apart naming the rows; the cluster read the index as a column and refused it as a category not seen
    indexed, numbered = tmp_path / "indexed", tmp_path / "numbered-run"
    indexed.mkdir()
    for i, (start, stop) in enumerate(zip(PARTS, PARTS[1:])):
        keyed = pd.read_parquet(tables["rows"]).assign(key=lambda t: "k" + t["key"].astype(str)).set_index("key")
        keyed.iloc[start:stop].to_parquet(indexed / f"part-{i}.parquet")
    assert main(["train", "--data", str(tables["anonymous"].with_suffix(".parquet")), "--out", str(numbered), "--epochs", "1", "--quiet"]) == 0
    for command in ("encode", "reconstruct"):
        assert main([command, str(numbered), str(indexed), str(tmp_path / f"indexed-{command}.parquet")]) == 0
        assert main([command, str(numbered), str(indexed), str(tmp_path / f"indexed-{command}"), "--scheduler",
                     cluster]) == 0, capsys.readouterr().err  # fmt: skip
        got = assert_same_table(tmp_path / f"indexed-{command}", tmp_path / f"indexed-{command}.parquet", indexed)
        assert got["id"].tolist() == pd.read_parquet(indexed).index.tolist()


@pytest.mark.slow
def test_detect_on_the_cluster_equals_the_single_process_output(cluster, tables, tmp_path, capsys):
    whole, detector = tables["rows"].with_suffix(".parquet"), tmp_path / "detector"
    assert main(["detect", str(whole), "--id-column", "key", "--contamination", "0.05", "--save", str(detector), *SMALL]) == 0
    assert f"reuse it with --fitted {detector}" in capsys.readouterr().out
    scored = ["detect", str(tables["rows"]), "--fitted", str(detector)]
    assert main([*scored, "--out", str(tmp_path / "flagged.parquet")]) == 0
    single = capsys.readouterr().out.splitlines()[0]
    assert main([*scored, "--out", str(tmp_path / "flagged"), "--scheduler", cluster]) == 0
    assert capsys.readouterr().out.startswith(f"{single} -> {tmp_path / 'flagged'}/ (4 Parquet files)")
    got = assert_same_table(tmp_path / "flagged", tmp_path / "flagged.parquet", tables["rows"])
    assert list(got.columns) == ["key", *"abcde", "outlier_score", "outlier"]
    assert got["key"].tolist() == (np.arange(N_ROWS) * 7 + 1000).tolist() and got["outlier"].sum() == 35
    assert main([*scored, "--explain", "2", "--out", str(tmp_path / "explained.parquet")]) == 0
    assert main([*scored, "--explain", "2", "--out", str(tmp_path / "explained"), "--scheduler", cluster]) == 0
    got = assert_same_table(tmp_path / "explained", tmp_path / "explained.parquet", tables["rows"])
    assert list(got.columns[-3:]) == ["outlier_probability", "why_1", "why_2"] and got["why_1"].str.contains("expected").all()


@pytest.mark.slow
def test_impute_on_the_cluster_equals_the_single_process_output(cluster, tables, tmp_path, capsys):
    imputer = tmp_path / "imputer"
    assert main(["impute", str(tables["gaps"].with_suffix(".parquet")), str(tmp_path / "fit.parquet"),
                 "--id-column", "key", "--save", str(imputer), *SMALL]) == 0
    assert main(["impute", str(tables["gaps"]), str(tmp_path / "filled.parquet"), "--fitted", str(imputer)]) == 0
    assert main(["impute", str(tables["gaps"]), str(tmp_path / "filled"), "--fitted", str(imputer), "--scheduler", cluster]) == 0
    n_missing = int(pd.read_parquet(tables["gaps"]).isna().sum().sum())
    assert f"filled {n_missing} missing entries in {N_ROWS} rows" in capsys.readouterr().out
    got = assert_same_table(tmp_path / "filled", tmp_path / "filled.parquet", tables["gaps"])
    assert not got.isna().any().any() and got["key"].dtype == np.int64 and got["n"].dtype == np.int64
    observed = pd.read_parquet(tables["gaps"]).notna().to_numpy()
    np.testing.assert_array_equal(got.to_numpy(float)[observed], pd.read_parquet(tables["gaps"]).to_numpy(float)[observed])


@pytest.mark.slow
def test_the_cluster_refuses_a_csv_input_and_a_file_output(cluster, tables, tmp_path, capsys):
    detector = tmp_path / "detector"
    assert main(["detect", str(tables["rows"].with_suffix(".parquet")), "--id-column", "key", "--save", str(detector),
                 *SMALL]) == 0
    pd.read_parquet(tables["rows"]).to_csv(tmp_path / "rows.csv", index=False)
    capsys.readouterr()
    scored = ["detect", "--fitted", str(detector), "--scheduler", cluster]
    assert main([*scored, str(tmp_path / "rows.csv"), "--out", str(tmp_path / "out")]) == 1
    assert "--scheduler reads Parquet: " in capsys.readouterr().err
    assert main([*scored, str(tables["rows"]), "--out", str(tmp_path / "out.csv")]) == 1
    assert "with --scheduler, --out is a folder to write Parquet files into" in capsys.readouterr().err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "old.parquet").write_bytes(b"")
    assert main([*scored, str(tables["rows"]), "--out", str(tmp_path / "full")]) == 1
    assert "already holds files" in capsys.readouterr().err
    assert main([*scored, str(tables["rows"]), "--out", str(tmp_path / "o"), "--report", str(tmp_path / "r")]) == 1
    assert "--report needs every row in one process: not with --scheduler" in capsys.readouterr().err


def test_scheduler_needs_a_fitted_model_and_refuses_fitting_options(tables, tmp_path, capsys):
    address = ["--scheduler", "tcp://127.0.0.1:1"]
    assert main(["detect", str(tables["rows"]), "--out", str(tmp_path / "o"), *address]) == 1
    assert "fit one first, on a sample that fits in memory, with 'aekit detect SAMPLE --save DIR', then give --fitted DIR" in (
        capsys.readouterr().err
    )
    assert main(["impute", str(tables["gaps"]), str(tmp_path / "o"), *address]) == 1
    assert "'aekit impute SAMPLE OUT --save DIR'" in capsys.readouterr().err
    assert main(["impute", str(tables["gaps"]), str(tmp_path / "o.csv"), "--fitted", "x", "--epochs", "3"]) == 1
    assert "--fitted uses the saved AutoEncoderImputer as it is; --epochs only applies when fitting one" in capsys.readouterr().err


def test_an_unreachable_scheduler_fails_within_the_connect_timeout(tables, tmp_path, capsys):
    pytest.importorskip("distributed", reason="needs distributed (pip install 'aekit[dask]')")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = tmp_path / "model"
    from aekit import AutoEncoder

    AutoEncoder(2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(pd.read_parquet(tables["anonymous"])).save(model)
    start = time.monotonic()
    code = main(["encode", str(model), str(tables["anonymous"]), str(tmp_path / "codes"),
                 "--scheduler", f"tcp://127.0.0.1:{port}", "--connect-timeout", "1"])
    assert code == 1 and time.monotonic() - start < 30, "must give up, not hang"
    assert f"--scheduler tcp://127.0.0.1:{port}: no Dask scheduler answered within 1 s" in capsys.readouterr().err
    assert not (tmp_path / "codes").exists()


@pytest.mark.slow
def test_a_scheduler_without_workers_is_refused_within_the_connect_timeout(tables, tmp_path, capsys):
    distributed = pytest.importorskip("distributed", reason="needs distributed (pip install 'aekit[dask]')")
    model = tmp_path / "model"
    from aekit import AutoEncoder

    AutoEncoder(2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(pd.read_parquet(tables["anonymous"])).save(model)
    with distributed.LocalCluster(n_workers=0, dashboard_address=":0") as idle:
        code = main(["encode", str(model), str(tables["anonymous"]), str(tmp_path / "codes"),
                     "--scheduler", idle.scheduler_address, "--connect-timeout", "1"])
    assert code == 1 and "the scheduler has no worker (none joined within 1 s)" in capsys.readouterr().err


def test_scheduler_without_dask_says_what_to_install(tables, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["encode", str(tmp_path), str(tables["anonymous"]), str(tmp_path / "codes"), "--scheduler", "tcp://x:1"]) == 1
    assert "--scheduler needs dask and distributed: pip install 'aekit[dask]'" in capsys.readouterr().err


@pytest.mark.slow
def test_a_named_parquet_index_is_the_id_on_the_cluster_as_in_one_process(cluster, tables, tmp_path, capsys):
    """A folder written by pandas with its ID as the index (`to_parquet(index=True)`, 'key' named in
    the files' metadata): the single-process command reads 'key' back as a column; on the
    cluster it was left in the Dask index, so the ID column the detector needs was missing.
    Both write it as the output's index again."""
    whole, detector = tables["rows"].with_suffix(".parquet"), tmp_path / "detector"
    assert main(["detect", str(whole), "--id-column", "key", "--contamination", "0.05", "--save", str(detector), *SMALL]) == 0
    indexed = tmp_path / "indexed"
    indexed.mkdir()
    frame = pd.read_parquet(whole).set_index("key")
    for i, (start, stop) in enumerate(zip(PARTS, PARTS[1:])):
        frame.iloc[start:stop].to_parquet(indexed / f"part-{i}.parquet", index=True)
    scored = ["detect", str(indexed), "--fitted", str(detector)]
    assert main([*scored, "--out", str(tmp_path / "flagged.parquet")]) == 0
    assert main([*scored, "--out", str(tmp_path / "flagged"), "--scheduler", cluster]) == 0, capsys.readouterr().err
    got = assert_same_table(tmp_path / "flagged", tmp_path / "flagged.parquet", indexed)
    assert got.index.name == "key" and got.index.tolist() == (np.arange(N_ROWS) * 7 + 1000).tolist()  # its index again
    assert pd.read_parquet(tmp_path / "flagged.parquet").index.equals(got.index)


@pytest.mark.slow
def test_a_table_with_a_column_named_id_keeps_it_beside_the_row_ids_in_one_process_and_on_the_cluster(cluster, tmp_path, capsys):
    # reconstruct refused the .parquet ("Duplicate column names found: ['id', 'id', ...]") and wrote a .csv with two
    # 'id' columns; on the cluster the feature 'id' was taken for the row identifiers and dropped from the model's input
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": rng.normal(size=N_ROWS), "x": rng.normal(size=N_ROWS), "k": rng.choice(["a", "b"], N_ROWS)})
    folder = write_table(frame, tmp_path / "rows")
    run = tmp_path / "run"
    assert main(["train", "--data", str(folder.with_suffix(".parquet")), "--quiet", "--epochs", "3", "--out", str(run)]) == 0
    for command in ("encode", "reconstruct"):
        assert main([command, str(run), str(folder), str(tmp_path / f"{command}.parquet")]) == 0, capsys.readouterr().err
        assert main([command, str(run), str(folder), str(tmp_path / command), "--scheduler", cluster]) == 0
        assert_same_table(tmp_path / command, tmp_path / f"{command}.parquet", folder)
    rebuilt = pd.read_parquet(tmp_path / "reconstruct.parquet")
    assert list(rebuilt.columns) == ["_id", "id", "x", "k"] and rebuilt["_id"].tolist() == list(range(N_ROWS))
    assert np.corrcoef(rebuilt["id"], frame["id"])[0, 1] > 0.3  # the feature, reconstructed
    assert list(pd.read_parquet(tmp_path / "encode.parquet").columns)[0] == "id"  # no column of the codes is named so


@pytest.mark.slow
def test_text_ids_stay_text_on_the_cluster_when_one_partition_has_a_non_canonical_one(cluster, tmp_path, capsys):
    # single-process output writes integer-looking ids as integers only when every id is one ('00501' is not): the
    # cluster decides for the whole table too, so no partition writes integers beside another's text
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"code": [str(i) for i in range(N_ROWS)], "x": rng.normal(size=N_ROWS), "y": rng.normal(size=N_ROWS)})
    frame.loc[N_ROWS - 1, "code"] = "00501"
    folder = write_table(frame, tmp_path / "rows")
    run = tmp_path / "run"
    train = ["train", "--data", str(folder.with_suffix(".parquet")), "--set", "data.id_column=code", "--quiet", "--epochs", "2"]
    assert main([*train, "--out", str(run)]) == 0
    assert main(["encode", str(run), str(folder), str(tmp_path / "codes.parquet")]) == 0
    assert main(["encode", str(run), str(folder), str(tmp_path / "codes"), "--scheduler", cluster]) == 0
    got = assert_same_table(tmp_path / "codes", tmp_path / "codes.parquet", folder)
    assert got["id"].tolist() == frame["code"].tolist() and pd.api.types.is_string_dtype(got["id"])


@pytest.mark.slow
def test_reconstruct_of_a_multinomial_run_on_the_cluster_gives_expected_counts(cluster, tmp_path):
    """A run trained with --loss multinomial decodes word proportions: one process wrote each row's
    expected counts (proportions times the row's total) while the cluster wrote the proportions."""
    rng = np.random.default_rng(1)
    counts = pd.DataFrame(rng.poisson(rng.uniform(0.5, 6, size=(N_ROWS, 6))).astype(float), columns=[f"w{i}" for i in range(6)])
    folder = write_table(counts, tmp_path / "counts")
    run = tmp_path / "run"
    fit = ["train", "--data", str(folder.with_suffix(".parquet")), "--loss", "multinomial", "--out", str(run)]
    assert main([*fit, "--epochs", "2", "--quiet"]) == 0
    assert main(["reconstruct", str(run), str(folder), str(tmp_path / "one.parquet")]) == 0
    assert main(["reconstruct", str(run), str(folder), str(tmp_path / "many"), "--scheduler", cluster]) == 0
    got = assert_same_table(tmp_path / "many", tmp_path / "one.parquet", folder)
    np.testing.assert_allclose(got[counts.columns].sum(axis=1), counts.sum(axis=1), rtol=1e-5)


@pytest.mark.slow
def test_reconstructions_of_a_table_with_categories_are_its_columns_on_the_cluster_as_in_one_process(cluster, tmp_path):
    # reconstruct wrote the one-hot features ('colour=blue', ...) with fractions; both paths now write
    # the table's own columns, each category as its label
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"key": np.arange(N_ROWS) + 10, "a": rng.normal(size=N_ROWS),
                          "colour": rng.choice(["red", "green", "blue"], N_ROWS), "b": rng.normal(size=N_ROWS)})
    folder = write_table(frame, tmp_path / "cats")
    run = tmp_path / "run"
    assert main(["train", "--data", str(folder.with_suffix(".parquet")), "--set", "data.id_column=key", "--epochs", "2",
                 "--quiet", "--out", str(run)]) == 0  # fmt: skip
    assert main(["reconstruct", str(run), str(folder), str(tmp_path / "one.parquet")]) == 0
    assert main(["reconstruct", str(run), str(folder), str(tmp_path / "many"), "--scheduler", cluster]) == 0
    got = assert_same_table(tmp_path / "many", tmp_path / "one.parquet", folder)
    assert list(got.columns) == ["id", "a", "colour", "b"] and set(got["colour"]) <= {"red", "green", "blue"}


@pytest.mark.slow
def test_fitted_models_on_the_cluster_take_their_columns_by_name_as_in_one_process(cluster, tmp_path, capsys):
    """A detector and an imputer fitted on a table with a nullable count (Int64), scoring one whose
    columns come in another order beside one not seen in fit: one process takes the fitted columns by
    name and writes the other as given; the cluster refused both tables (the detector the missing value
    in Dask's made-up row of an Int64 column, both the unseen column), and the imputer wrote its whole
    numbers by position, so a reordered table had its ages as floats and a float column cut to integers."""
    rng = np.random.default_rng(2)
    z = rng.normal(size=N_ROWS)
    frame = pd.DataFrame({"a": z, "b": z + 0.1 * rng.normal(size=N_ROWS), "age": (40 + 10 * z).round().astype(int),
                          "n": pd.array(rng.integers(0, 5, N_ROWS), dtype="Int64")})
    gaps = frame.astype({"age": float})
    for column in ("a", "age"):
        gaps.loc[rng.random(N_ROWS) < 0.2, column] = np.nan
    fitted = {"detector": tmp_path / "detector", "imputer": tmp_path / "imputer"}
    assert main(["detect", str(write_table(frame, tmp_path / "fit")), "--save", str(fitted["detector"]), *SMALL]) == 0
    assert main(["impute", str(write_table(gaps, tmp_path / "gaps")), str(tmp_path / "x.parquet"), "--save",
                 str(fitted["imputer"]), *SMALL]) == 0  # fmt: skip
    shuffled = ["note", "n", "b", "age", "a", "empty"]  # an unseen column without values too: one process dropped it
    unseen = {"note": [f"r{i}" for i in range(N_ROWS)], "empty": np.nan}
    rows = write_table(frame.assign(**unseen)[shuffled], tmp_path / "rows")
    holes = write_table(gaps.assign(**unseen)[shuffled], tmp_path / "holes")
    for command, folder, model in (("detect", rows, "detector"), ("impute", holes, "imputer")):
        out = [] if command == "impute" else ["--out"]
        fitted_on = [command, str(folder), "--fitted", str(fitted[model])]
        assert main([*fitted_on, *out, str(tmp_path / f"{command}.parquet")]) == 0
        assert main([*fitted_on, *out, str(tmp_path / command), "--scheduler", cluster]) == 0, capsys.readouterr().err
        got = assert_same_table(tmp_path / command, tmp_path / f"{command}.parquet", folder)
        assert list(got.columns[:6]) == shuffled and got["note"].tolist() == [f"r{i}" for i in range(N_ROWS)]
    assert "columns 'note', 'empty' of " in capsys.readouterr().err
