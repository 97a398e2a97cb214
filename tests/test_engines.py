"""Scoring on Dask (a two-process `distributed.LocalCluster`) and Spark (local mode) gives the
single-process results row for row, in order; a Dask worker killed mid-job loses and repeats no
row; the model reaches each worker once, as packed JSON and safetensors."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from aekit import AutoEncoder, AutoEncoderImputer, AutoEncoderOutlierDetector  # noqa: E402
from aekit.engines.partitions import ShippedModel, loads_in_this_process  # noqa: E402
from aekit.saving.packed import pack_model, unpack_model  # noqa: E402

pytestmark = [
    pytest.mark.usefixtures("one_torch_thread"),
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),  # pyspark's toPandas under pandas 3
]

N_FEATURES = 6


def frame_of(X: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.normal(size=(900, 2)) @ rng.normal(size=(2, N_FEATURES)) + 0.1 * rng.normal(size=(900, N_FEATURES))


@pytest.fixture(scope="module")
def detector(rows):
    """Fitted on a DataFrame, so it checks the column names of every partition."""
    ae = AutoEncoder(2, hidden_dims=(16,), max_epochs=3, random_state=0)
    return AutoEncoderOutlierDetector(ae, random_state=0).fit(frame_of(rows))


@pytest.fixture(scope="module")
def imputer():
    """A mixed frame (two numeric columns, one string column) with a quarter of each missing: (imputer, frame)."""
    rng = np.random.default_rng(1)
    z = rng.normal(size=400)
    frame = pd.DataFrame({"a": z + 0.1 * rng.normal(size=400), "b": -z, "sign": np.where(z > 0, "pos", "neg")})
    for column in frame:
        frame.loc[rng.random(400) < 0.25, column] = np.nan if column != "sign" else None
    imp = AutoEncoderImputer(hidden_dims=(16,), latent_dim=4, n_members=2, max_epochs=3, random_state=0).fit(frame)
    return imp, frame


def single_process(est, method: str, X, **kwargs) -> pd.DataFrame:
    out = getattr(est, method)(X, **kwargs)
    return out.reset_index(drop=True) if isinstance(out, pd.DataFrame) else pd.DataFrame(np.asarray(out).reshape(len(X), -1))


def assert_same_rows(engine_out: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert engine_out.shape == expected.shape
    for j in range(expected.shape[1]):
        got, want = engine_out.iloc[:, j].to_numpy(), expected.iloc[:, j].to_numpy()
        if want.dtype.kind == "f":
            np.testing.assert_array_equal(got.astype(float), want)
        else:
            assert [str(v) for v in got] == [str(v) for v in want]


# ---- the packed model -----------------------------------------------------------------------


MALLOC_PROBE = """
import ctypes, time, numpy as np
from aekit.engines.worker_malloc import RESTORE_DELAY, roomy_malloc, _glibc
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = _glibc()
if libc is None or not hasattr(libc, "mallinfo2"):
    raise SystemExit(3)
libc.mallinfo2.restype = MallInfo2
def mapped_for_a_temporary():
    block = np.ones(1 << 19)  # 4 MiB, above the 128 KiB mmap threshold a nanny's worker has
    mapped = libc.mallinfo2().hblkhd
    del block
    return mapped - libc.mallinfo2().hblkhd
plain = mapped_for_a_temporary()
with roomy_malloc():
    roomy = mapped_for_a_temporary()
between = mapped_for_a_temporary()
time.sleep(RESTORE_DELAY + 1.0)
print(plain, roomy, between, mapped_for_a_temporary())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc thresholds")
def test_partitions_run_with_roomy_malloc_in_a_nannys_worker_and_put_its_values_back():
    """A worker started with MALLOC_TRIM_THRESHOLD_ (distributed's nannies do so) maps every
    large temporary afresh; inside `roomy_malloc` the heap holds it (glibc's count of mapped
    bytes does not move), so it does between partitions that follow each other, and once the
    worker has been idle for RESTORE_DELAY its own thresholds are back."""
    import subprocess

    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}
    done = subprocess.run([sys.executable, "-c", MALLOC_PROBE], env=env, capture_output=True, text=True)
    if done.returncode == 3:
        pytest.skip("this Python's malloc is not glibc 2.33 or later (no mallinfo2)")
    assert done.returncode == 0, done.stderr
    plain, roomy, between, after = map(int, done.stdout.split())
    assert plain >= 4 << 20 and roomy == 0 and between == 0 and after >= 4 << 20


def test_packed_model_round_trips_and_is_deterministic(detector, rows):
    data = pack_model(detector)
    assert data == pack_model(detector), "the same model must pack to the same bytes (its checksum names it)"
    again = unpack_model(data)
    np.testing.assert_array_equal(again.score_samples(frame_of(rows)), detector.score_samples(frame_of(rows)))


def test_packed_model_refuses_unsafe_archives(detector):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../config.json", "{}")
    with pytest.raises(ValueError, match="refusing the archive member '../config.json'"):
        unpack_model(buffer.getvalue())
    with pytest.raises(ValueError, match="not a zip archive"):
        unpack_model(b"\x80\x04pickle?")
    original, tampered = zipfile.ZipFile(io.BytesIO(pack_model(detector))), io.BytesIO()
    with zipfile.ZipFile(tampered, "w") as archive:
        for name in original.namelist():
            data = bytearray(original.read(name))
            if name.endswith("model.safetensors"):
                data[-1] ^= 0xFF
            archive.writestr(name, bytes(data))
    with pytest.raises(ValueError, match="does not match the checksum"):
        unpack_model(tampered.getvalue())
    corrupt = bytearray(pack_model(detector))
    corrupt[100] ^= 0xFF  # inside the first member's bytes: its CRC no longer matches
    with pytest.raises(ValueError, match="packed model"):
        unpack_model(bytes(corrupt))


# ---- Dask -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="needs dask[dataframe] and distributed (pip install 'aekit[dask]')")
    pytest.importorskip("dask.dataframe")
    import dask

    from aekit.engines.dask import LEAN_WORKER_CONFIG

    with dask.config.set(LEAN_WORKER_CONFIG):  # the killed-worker test below runs on distributed's defaults
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with cluster, distributed.Client(cluster) as client:
        yield client


def test_the_lean_worker_config_is_dasks_own_and_turns_the_profiler_off(dask_client):
    import dask

    from aekit.engines.dask import LEAN_WORKER_CONFIG

    for key in LEAN_WORKER_CONFIG:
        dask.config.get(key)  # a key distributed renamed would raise here
    assert set(dask_client.run(lambda dask_worker: "profile" in dask_worker.periodic_callbacks).values()) == {False}


@pytest.mark.parametrize(
    "method, kwargs",
    [("score_samples", {}), ("predict", {}), ("predict_proba", {}), ("explain", {}), ("explain", {"top": 2})],
)
def test_dask_frame_equals_single_process(dask_client, detector, rows, method, kwargs):
    import dask.dataframe as dd

    from aekit.engines.dask import apply

    out = apply(detector, method, dd.from_pandas(frame_of(rows), npartitions=5), **kwargs).compute()
    assert list(out.index) == list(range(len(rows)))
    assert_same_rows(out, single_process(detector, method, frame_of(rows), **kwargs))


def test_dask_array_and_codes_equal_single_process(dask_client, detector, rows):
    import dask.array as da

    from aekit.engines.dask import apply

    ae = AutoEncoder(2, hidden_dims=(16,), max_epochs=2, random_state=0).fit(rows)
    X = da.from_array(rows, chunks=(200, 3))  # column chunks are joined into whole rows
    codes = apply(ae, "transform", X)
    assert codes.chunks == ((200, 200, 200, 200, 100), (2,))
    np.testing.assert_array_equal(codes.compute(), ae.transform(rows))
    named = apply(ae, "transform", __import__("dask.dataframe").dataframe.from_pandas(frame_of(rows), npartitions=3))
    assert list(named.columns) == list(ae.get_feature_names_out())
    with pytest.raises(ValueError, match="explain.*gives a table"):
        apply(detector, "explain", X)


def test_dask_empty_partitions_give_empty_outputs(dask_client, detector, rows):
    import dask.array as da
    import dask.dataframe as dd

    from aekit.engines.dask import apply

    frame = frame_of(rows)
    parts = [dd.from_pandas(part, npartitions=1) for part in (frame.iloc[:300], frame.iloc[:0], frame.iloc[300:])]
    out = apply(detector, "score_samples", dd.concat(parts), features=list(frame.columns), keep=["f0"]).compute()  # as from an empty Parquet file
    assert_same_rows(out.reset_index(drop=True), frame[["f0"]].assign(s=detector.score_samples(frame)))
    X = da.concatenate([da.from_array(rows[:300]), da.from_array(rows[:0]), da.from_array(rows[300:])])
    ae = AutoEncoder(2, hidden_dims=(16,), max_epochs=1, random_state=0).fit(rows)
    np.testing.assert_array_equal(apply(ae, "transform", X).compute(), ae.transform(rows))
    np.testing.assert_array_equal(apply(ae, "score_samples", X).compute(), ae.score_samples(rows))
    for _ in range(5):  # applying the same model again failed half the time ('lost dependencies'): its hashed scatter
        apply(ae, "transform", X).compute()  # took the key the last apply's future was releasing
        apply(ae, "score_samples", X).compute()


def test_dask_imputer_equals_single_process_and_loads_once_per_worker(dask_client, imputer):
    import dask.dataframe as dd

    from aekit.engines.dask import apply

    imp, frame = imputer
    for _ in range(2):
        out = apply(imp, "transform", dd.from_pandas(frame, npartitions=6)).compute()
        assert list(out.columns) == ["a", "b", "sign"] and out.isna().sum().sum() == 0
        assert_same_rows(out, pd.DataFrame(imp.transform(frame)))
    loads = list(dask_client.run(loads_in_this_process, ShippedModel.of(imp).digest).values())
    assert max(loads) == 1, f"12 partitions on 2 workers must unpack the model once per worker process: {loads}"


def test_dask_refuses_unknown_methods_and_columns(dask_client, detector, rows):
    import dask.dataframe as dd

    from aekit.engines.dask import apply

    data = dd.from_pandas(frame_of(rows), npartitions=2)
    with pytest.raises(ValueError, match="method must be one of"):
        apply(detector, "fit", data)
    with pytest.raises(ValueError, match="has no transform"):
        apply(detector, "transform", data)
    with pytest.raises(ValueError, match=r"features: \['nope'\]"):
        apply(detector, "score_samples", data, features=["nope"])
    with pytest.raises(ValueError, match=r"keep: \['id'\]"):
        apply(detector, "score_samples", data, keep=["id"])


@pytest.mark.slow
def test_dask_worker_killed_mid_job_loses_and_repeats_no_row(tmp_path):
    """Explanations of 40 partitions written to a Parquet folder while one of the two worker
    processes is killed (SIGKILL) once the first parts are written: every row comes back once,
    in order, equal to the single-process scores."""
    distributed = pytest.importorskip("distributed", reason="needs distributed (pip install 'aekit[dask]')")
    import dask.dataframe as dd

    from aekit.engines.dask import apply

    rng = np.random.default_rng(2)
    X = frame_of(rng.normal(size=(40 * 1000, 20)))
    detector = AutoEncoderOutlierDetector(AutoEncoder(4, hidden_dims=(64, 32), max_epochs=1, random_state=0), random_state=0)
    detector.fit(X.iloc[:3000])
    expected = detector.explain(X, top=3)
    X.insert(0, "row", np.arange(len(X)))
    X.to_parquet(tmp_path / "rows.parquet", row_group_size=1000)
    out = tmp_path / "scores"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            rows = dd.read_parquet(tmp_path / "rows.parquet", split_row_groups=True)
            job = client.compute(apply(detector, "explain", rows, keep=["row"], top=3).to_parquet(out, compute=False))
            deadline = time.monotonic() + 120
            while not list(out.glob("*.parquet")) and time.monotonic() < deadline:
                time.sleep(0.02)
            victim = client.run(os.getpid, workers=[sorted(client.scheduler_info()["workers"])[0]])
            assert not job.done(), "the job ended before a worker could be killed; give it more work"
            os.kill(next(iter(victim.values())), signal.SIGKILL)
            job.result(timeout=300)
    parts = sorted(out.glob("*.parquet"), key=lambda path: int(path.name.split(".")[1]))  # part.0, part.1, ..., part.10
    assert len(parts) == 40
    written = pd.concat([pd.read_parquet(path) for path in parts])
    assert written["row"].tolist() == list(range(len(X)))
    assert_same_rows(written.drop(columns="row").reset_index(drop=True), expected.reset_index(drop=True))


# ---- Spark ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="needs pyspark (pip install 'aekit[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("pyspark needs Java (17 or later) on PATH or JAVA_HOME")
    from pyspark.sql import SparkSession

    previous = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers import aekit from this environment
    session = (
        SparkSession.builder.master("local[2]")
        .appName("aekit-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "128")
        .getOrCreate()
    )
    yield session
    session.stop()
    if previous is None:
        os.environ.pop("PYSPARK_PYTHON", None)
    else:
        os.environ["PYSPARK_PYTHON"] = previous


@pytest.mark.slow  # the Spark tests share a session whose JVM and Python workers take 15-40 s to start
@pytest.mark.parametrize("method, kwargs", [("score_samples", {}), ("predict", {}), ("explain", {"top": 2})])
def test_spark_equals_single_process_in_order(spark, detector, rows, method, kwargs):
    from aekit.engines.spark import apply

    frame = frame_of(rows)
    frame.insert(0, "id", np.arange(len(rows)))
    df = spark.createDataFrame(frame)
    assert df.rdd.getNumPartitions() >= 2
    out = apply(detector, method, df, keep=["id"], **kwargs).toPandas()
    assert out["id"].tolist() == list(range(len(rows)))
    assert_same_rows(out.drop(columns="id"), single_process(detector, method, frame_of(rows), **kwargs))


@pytest.mark.slow
def test_spark_imputer_equals_single_process(spark, imputer):
    from aekit.engines.spark import apply

    imp, frame = imputer
    df = spark.createDataFrame(frame.astype({"sign": object}).replace({np.nan: None}))
    out = apply(imp, "transform", df).toPandas()
    assert list(out.columns) == ["a", "b", "sign"]
    assert_same_rows(out, pd.DataFrame(imp.transform(frame)))
