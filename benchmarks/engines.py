"""Issue 31's scale-out figures: an outlier detector's `score_samples` over a Parquet folder of
10 million rows x 50 float32 columns,

  single    one process, one torch thread and one Arrow thread, reading the folder file by file;
  threads2  the same process with two torch threads and two Arrow threads;
  dask      `aekit.engines.dask.apply` on a `distributed.LocalCluster` of two worker processes
            with one thread each (`dd.read_parquet` of the same folder, one partition per file);
  spark     `aekit.engines.spark.apply` on Spark `local[2]` over the first `--spark-rows` rows.

`--part cli` measures the command line instead, on 1,000,000 rows by default: `aekit detect
--fitted DIR --out FILE` in one process (one torch thread) against `aekit detect --fitted DIR
--out FOLDER --scheduler ADDRESS` on the same kind of two-worker, one-thread LocalCluster, both
reading the Parquet folder and writing their Parquet output, the detector fitted and saved by
`aekit detect --save` on 20,000 rows; the result goes into results/engines.json under "cli".

Each figure is rows/s over the whole pass (reading included), the scores compared with the
single-process ones row for row (they must be equal), and for Dask the peak resident memory of
each worker. Cluster and Spark start-up are not timed; shipping the model is. Targets (issue
31): dask >= 1.6x single and >= 0.9x threads2 on this 2-core host. The host may be shared: the
whole machine's busy cores during each phase are recorded beside it.

Usage: .venv/bin/python benchmarks/engines.py [--rows 10000000] [--spark-rows 1000000]
                                               [--data /tmp/aekit-engines-rows] [--quick] [--report]
                                               [--part cli]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch

# benchmarks/sparse.py would shadow the `sparse` package dask looks for: the script's folder is on
# the import path only while its two modules load (also in the worker processes, which run this
# file again with the parent's path).
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]
from common import RESULTS_DIR, machine_info, machine_line, markdown_table, update_markdown_section, write_json  # noqa: E402
from speed import busy_cpu_seconds  # noqa: E402

sys.path.remove(str(HERE))

from aekit import AutoEncoder, AutoEncoderOutlierDetector
from aekit.engines.dask import LEAN_WORKER_CONFIG

HEADING = "## Scoring on Dask and Spark (benchmarks/engines.py)"
N_FEATURES, ROWS_PER_FILE = 50, 250_000
FEATURES = [f"f{i}" for i in range(N_FEATURES)]


def write_rows(folder: Path, n_rows: int) -> None:
    """`n_rows` rows of 50 float32 columns (5 factors plus noise) and an int64 `row` column, in
    files of ROWS_PER_FILE rows; kept when already there."""
    if folder.is_dir() and sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet")) == n_rows:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    loadings = np.random.default_rng(0).normal(size=(5, N_FEATURES)).astype(np.float32)
    for i, start in enumerate(range(0, n_rows, ROWS_PER_FILE)):
        rng = np.random.default_rng(i + 1)
        n = min(ROWS_PER_FILE, n_rows - start)
        X = rng.standard_normal((n, 5), dtype=np.float32) @ loadings + 0.3 * rng.standard_normal((n, N_FEATURES), dtype=np.float32)
        frame = pd.DataFrame(X, columns=FEATURES)
        frame.insert(0, "row", np.arange(start, start + n, dtype=np.int64))
        frame.to_parquet(folder / f"part.{i:04d}.parquet", index=False)


class MachineLoad:
    """Busy cores of the whole machine (this job included) while the block runs."""

    def __enter__(self):
        self.busy, self.wall = busy_cpu_seconds(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.wall
        self.cores = (busy_cpu_seconds() - self.busy) / self.seconds


def _median_round(found: list[dict]) -> dict:
    """The round of median seconds (the lower middle one of an even count)."""
    return sorted(found, key=lambda r: r["seconds"])[(len(found) - 1) // 2]


def score_in_process(det, folder: Path, threads: int) -> tuple[np.ndarray, float, float]:
    """Scores of every row, file by file, with `threads` torch and Arrow threads: (scores, seconds, busy cores)."""
    os.environ["OMP_NUM_THREADS"] = str(threads)  # aekit's thread rule never goes above it
    torch.set_num_threads(threads)
    pa.set_cpu_count(threads)
    parts = []
    with MachineLoad() as load:
        for path in sorted(folder.glob("*.parquet")):
            parts.append(det.score_samples(pq.read_table(path, columns=FEATURES).to_pandas().to_numpy()))
    return np.concatenate(parts), load.seconds, load.cores


def score_in_processes(det, folder: Path, n: int) -> tuple[float, float]:
    """Every file scored by `n` plain one-thread processes, file i by process i mod n, no engine
    between them: what the host itself allows `n` workers (seconds from the start signal to the
    last one done, busy cores). The model reaches them packed, as Dask's workers get it."""
    import subprocess
    import tempfile

    from aekit.saving.packed import pack_model

    with tempfile.TemporaryDirectory() as tmp:
        packed = Path(tmp) / "model.aekit"
        packed.write_bytes(pack_model(det))
        # not MALLOC_TRIM_THRESHOLD_, which a Dask nanny of an earlier round leaves in this process's environment
        env = {**{k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}, "OMP_NUM_THREADS": "1"}
        procs = [subprocess.Popen([sys.executable, __file__, "--score-files", str(packed), str(folder), str(i), str(n)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env) for i in range(n)]  # fmt: skip
        for proc in procs:
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError("a scoring process did not start")
        with MachineLoad() as load:
            for proc in procs:
                proc.stdin.write("go\n")
                proc.stdin.flush()
            for proc in procs:
                proc.stdout.readline()
        for proc in procs:
            proc.wait()
    return load.seconds, load.cores


def _score_files(packed: str, folder: str, index: int, n: int) -> None:
    """The child of `score_in_processes`: load, say 'ready', wait for the start, score its files."""
    from aekit.saving.packed import unpack_model

    torch.set_num_threads(1)
    pa.set_cpu_count(1)
    det = unpack_model(Path(packed).read_bytes())
    files = sorted(Path(folder).glob("*.parquet"))[index::n]
    print("ready", flush=True)
    sys.stdin.readline()
    for path in files:
        det.score_samples(pq.read_table(path, columns=FEATURES).to_pandas().to_numpy())
    print("done", flush=True)


def _peak_rss() -> int:
    """This process's peak resident bytes: VmHWM, which starts afresh in a new program, where
    getrusage's ru_maxrss carries over the parent's peak into a spawned worker."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _worker_setup() -> tuple[int, float]:
    """One Arrow thread, the modules a partition needs imported (as in a long-lived cluster's
    workers): (torch threads, resident MB before the job)."""
    import psutil

    import aekit.estimators  # noqa: F401
    import aekit.saving.packed  # noqa: F401

    pa.set_cpu_count(1)
    return torch.get_num_threads(), psutil.Process().memory_info().rss / 2**20


def score_on_dask(det, folder: Path, config: dict) -> dict:
    """`score_samples` over the folder on a two-worker, one-thread LocalCluster started under the
    dask `config` (one of CLUSTER_CONFIGS), three times: the cluster's first job ('fresh' workers:
    their first Parquet read, first forward pass and the model's unpacking inside), a second job as
    on a long-lived cluster (the model shipped again, its unpacked copy kept by the workers), both
    gathering the scores as one array, then a third that gathers the result frame itself, whose
    index of every row the client concatenates too."""
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from aekit.engines.dask import apply

    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)  # a nanny leaves it in this process's environment
    passes = {}
    with dask.config.set(config), LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="3GiB", dashboard_address=":0") as cluster:
        with Client(cluster) as client:
            setup = client.run(_worker_setup)
            rows = dd.read_parquet(folder, columns=FEATURES)
            for name in ("fresh", "warm", "frame"):
                with MachineLoad() as load:
                    lazy = apply(det, "score_samples", rows)
                    scores = (lazy.compute()["score_samples"].to_numpy() if name == "frame"
                              else lazy["score_samples"].to_dask_array().compute())  # fmt: skip
                passes[name] = (scores, load)
            peaks = client.run(_peak_rss)
    scores, warm = passes["warm"]
    return {"scores": scores, "seconds": warm.seconds, "busy_cores": warm.cores, "partitions": rows.npartitions,
            "seconds_fresh": passes["fresh"][1].seconds, "busy_cores_fresh": passes["fresh"][1].cores,
            "seconds_frame": passes["frame"][1].seconds,
            "all_passes_equal": all(np.array_equal(found, scores) for found, _ in passes.values()),
            "worker_torch_threads": sorted(t for t, _ in setup.values()), "worker_rss_before_mb": sorted(m for _, m in setup.values()),
            "worker_peak_rss_mb": sorted(v / 2**20 for v in peaks.values())}


def score_on_spark(det, folder: Path, n_rows: int) -> dict:
    from pyspark.sql import SparkSession

    from aekit.engines.spark import apply

    os.environ["PYSPARK_PYTHON"] = sys.executable
    files = sorted(folder.glob("*.parquet"))[: -(-n_rows // ROWS_PER_FILE)]
    spark = (SparkSession.builder.master("local[2]").appName("aekit-bench").config("spark.ui.enabled", "false")
             .config("spark.driver.memory", "2g").getOrCreate())  # fmt: skip
    try:
        rows = spark.read.parquet(*[str(p) for p in files])
        with MachineLoad() as warm_up:  # starts the Python workers (reused afterwards), which import torch and aekit
            apply(det, "score_samples", rows.limit(10_000), keep=["row"], features=FEATURES).toPandas()
        with MachineLoad() as load:
            out = apply(det, "score_samples", rows, keep=["row"], features=FEATURES).toPandas()
    finally:
        spark.stop()
    out = out.sort_values("row")
    return {"rows": len(out), "row_ids": out["row"].to_numpy(), "scores": out["score_samples"].to_numpy(),
            "seconds": load.seconds, "busy_cores": load.cores, "warm_up_seconds": warm_up.seconds}


WORKER_MALLOC = {
    "dask": {},  # distributed's defaults: its nannies start workers with MALLOC_TRIM_THRESHOLD_=65536
    "dask_untrimmed": {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None},  # glibc's own malloc tuning
}
CLUSTER_CONFIGS = {**WORKER_MALLOC, "dask_lean": LEAN_WORKER_CONFIG}  # the Dask variants of the Python API's rounds


def detect_commands(folder: Path, work: Path, n_rows: int) -> dict:
    """`aekit detect --fitted` over `folder` in this process (one torch thread) and with
    --scheduler on a two-worker LocalCluster, once with distributed's default worker environment
    and once without its MALLOC_TRIM_THRESHOLD_: rows/s of each, whole command timed (reading,
    scoring, writing; the cluster's start-up and its workers' first imports not), outputs compared."""
    import dask
    from distributed import Client, LocalCluster

    from aekit.cli import main as aekit

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sample, detector = work / "sample.parquet", work / "detector"
    pq.write_table(pq.read_table(sorted(folder.glob("*.parquet"))[0]).slice(0, 20_000), sample)
    fit = ["--id-column", "row", "--epochs", "5", "--set", "latent_dim=8", "--set", "hidden_dims=[64, 32]", "--quiet"]
    assert aekit(["detect", str(sample), "--save", str(detector), *fit]) == 0
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    pa.set_cpu_count(1)
    with MachineLoad() as single:
        assert aekit(["detect", str(folder), "--fitted", str(detector), "--out", str(work / "single.parquet")]) == 0
    one = pd.read_parquet(work / "single.parquet")
    result = {"rows": n_rows, "fitted_on_rows": 20_000,
              "single": {"seconds": single.seconds, "rows_per_s": n_rows / single.seconds, "busy_cores": single.cores,
                         "peak_rss_mb": _peak_rss() / 2**20}}  # fmt: skip
    for name, config in WORKER_MALLOC.items():
        os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)  # a nanny leaves it in this process's environment
        with dask.config.set(config), LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="3GiB",
                                                   dashboard_address=":0") as cluster:  # fmt: skip
            with Client(cluster) as client:
                setup = client.run(_worker_setup)
                trim = set(client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_").values())
                with MachineLoad() as dask_run:
                    code = aekit(["detect", str(folder), "--fitted", str(detector), "--out", str(work / name),
                                  "--scheduler", cluster.scheduler_address])
                assert code == 0
                peaks = client.run(_peak_rss)
        many = pd.read_parquet(work / name)
        result[name] = {
            "seconds": dask_run.seconds, "rows_per_s": n_rows / dask_run.seconds, "busy_cores": dask_run.cores,
            "worker_malloc_trim_threshold": sorted(map(str, trim)),
            "worker_rss_before_mb": sorted(m for _, m in setup.values()),
            "worker_peak_rss_mb": sorted(v / 2**20 for v in peaks.values()),
            "equal_rows_in_order": bool(one["row"].equals(many["row"]) and one["outlier"].equals(many["outlier"])),
            "max_abs_score_difference": float(np.max(np.abs(one["outlier_score"].to_numpy() - many["outlier_score"].to_numpy()))),
            "vs_single": single.seconds / dask_run.seconds,
        }  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, help="default: 10,000,000; 1,000,000 for --part cli")
    parser.add_argument("--part", choices=("engines", "cli"), default="engines",
                        help="the engines' Python API (default), or 'aekit detect' with and without --scheduler")
    parser.add_argument("--spark-rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the in-process and Dask variants (medians reported)")
    parser.add_argument("--data", type=Path, default=Path("/tmp/aekit-engines-rows"))
    parser.add_argument("--quick", action="store_true", help="500,000 rows, 250,000 on Spark; leaves BENCHMARKS.md alone")
    parser.add_argument("--note", default="", help="a sentence added to the BENCHMARKS.md section (e.g. the host was shared)")
    parser.add_argument("--report", action="store_true", help="rewrite the BENCHMARKS.md section from results/engines.json")
    args = parser.parse_args()
    if args.report:
        report(json.loads((RESULTS_DIR / "engines.json").read_text()))
        return
    if args.quick:
        args.rows, args.spark_rows, args.data = 500_000, 250_000, args.data.with_name(args.data.name + "-quick")
    if args.part == "cli":
        cli_part(args)
        return
    args.rows = args.rows or 10_000_000
    info = machine_info()
    load_before = os.getloadavg()[1]
    t0 = time.perf_counter()
    write_rows(args.data, args.rows)
    print(f"data ready in {time.perf_counter() - t0:.0f} s: {args.rows:,} rows in {args.data}", flush=True)
    train = pq.read_table(sorted(args.data.glob("*.parquet"))[0], columns=FEATURES).to_pandas().iloc[:20_000]
    det = AutoEncoderOutlierDetector(AutoEncoder(8, hidden_dims=(64, 32), max_epochs=5, random_state=0), random_state=0)
    det.fit(train.to_numpy())  # on an array: partitions reach it as arrays (a DataFrame fit would read every column through the table encoder)

    rounds = {name: [] for name in ("single", "threads2", "processes2", *CLUSTER_CONFIGS)}
    for i in range(args.rounds):  # the variants alternate, so a slow spell of the host touches each
        single, single_s, single_busy = score_in_process(det, args.data, 1)
        rounds["single"].append({"seconds": single_s, "busy_cores": single_busy})
        two, two_s, two_busy = score_in_process(det, args.data, 2)
        rounds["threads2"].append({"seconds": two_s, "busy_cores": two_busy, "equal_to_single": bool(np.array_equal(two, single))})
        procs_s, procs_busy = score_in_processes(det, args.data, 2)
        rounds["processes2"].append({"seconds": procs_s, "busy_cores": procs_busy})
        for name, config in CLUSTER_CONFIGS.items():
            got = score_on_dask(det, args.data, config)
            rounds[name].append({**{k: v for k, v in got.items() if k != "scores"},
                                 "equal_to_single": bool(np.array_equal(got["scores"], single)) and got["all_passes_equal"],
                                 "max_abs_difference": float(np.max(np.abs(got["scores"] - single)))})  # fmt: skip
        print(f"round {i + 1}: " + ", ".join(f"{name} {args.rows / r[-1]['seconds']:,.0f} rows/s ({r[-1]['busy_cores']:.2f} busy cores)"
                                            for name, r in rounds.items()), flush=True)  # fmt: skip
    single_s, two_s = _median_round(rounds["single"])["seconds"], _median_round(rounds["threads2"])["seconds"]
    single_busy, two_busy = _median_round(rounds["single"])["busy_cores"], _median_round(rounds["threads2"])["busy_cores"]
    procs = _median_round(rounds["processes2"])
    spark = score_on_spark(det, args.data, args.spark_rows)
    print(f"spark: {spark['rows'] / spark['seconds']:,.0f} rows/s", flush=True)

    n_spark = spark["rows"]
    result = {
        "machine": info, "load_average_5min": [load_before, os.getloadavg()[1]], "rows": args.rows, "columns": N_FEATURES, "rows_per_file": ROWS_PER_FILE, "note": args.note,
        "model": "AutoEncoderOutlierDetector(AutoEncoder(8, hidden_dims=(64, 32))), criterion 'combined', fitted on a float32 array",
        "single": {"seconds": single_s, "rows_per_s": args.rows / single_s, "busy_cores": single_busy},
        "threads2": {"seconds": two_s, "rows_per_s": args.rows / two_s, "busy_cores": two_busy,
                     "equal_to_single": all(r["equal_to_single"] for r in rounds["threads2"])},
        "processes2": {**procs, "rows_per_s": args.rows / procs["seconds"]},
        "rounds": {name: [args.rows / r["seconds"] for r in found] for name, found in rounds.items()},
        "rounds_fresh": {name: [args.rows / r["seconds_fresh"] for r in rounds[name]] for name in CLUSTER_CONFIGS},
        "spark": {"rows": n_spark, "seconds": spark["seconds"], "rows_per_s": n_spark / spark["seconds"], "busy_cores": spark["busy_cores"],
                  "warm_up_seconds": spark["warm_up_seconds"], "rows_in_order_once": bool(np.array_equal(spark["row_ids"], np.arange(n_spark))),
                  "equal_to_single": bool(np.array_equal(spark["scores"], single[:n_spark]))},
    }  # fmt: skip
    for name in CLUSTER_CONFIGS:
        found = rounds[name]
        median = lambda key: float(np.median([r[key] for r in found]))  # noqa: E731
        result[name] = {**_median_round(found), "rows_per_s": args.rows / _median_round(found)["seconds"],
                        "rows_per_s_fresh": args.rows / median("seconds_fresh"), "rows_per_s_frame": args.rows / median("seconds_frame"),
                        "equal_to_single": all(r["equal_to_single"] for r in found),
                        "max_abs_difference": max(r["max_abs_difference"] for r in found)}  # fmt: skip
        for base in ("single", "threads2"):
            result[f"{name}_vs_{base}"] = result[name]["rows_per_s"] / result[base]["rows_per_s"]
            result[f"{name}_fresh_vs_{base}"] = result[name]["rows_per_s_fresh"] / result[base]["rows_per_s"]
    print({k: v for k, v in result.items() if k != "machine"}, flush=True)
    if args.quick:
        return
    write_json("engines.json", result)
    runs_file = RESULTS_DIR / "engines-runs.json"
    runs = json.loads(runs_file.read_text()) if runs_file.exists() else []
    write_json("engines-runs.json", [*runs, run_summary(result)])
    report(result)


def cli_part(args: argparse.Namespace) -> None:
    """`--part cli`: its own data folder (so the 10-million-row one stays), result under "cli"."""
    rows = args.rows or 1_000_000
    folder = args.data.with_name(f"{args.data.name}-cli-{rows}")
    t0 = time.perf_counter()
    write_rows(folder, rows)
    print(f"data ready in {time.perf_counter() - t0:.0f} s: {rows:,} rows in {folder}", flush=True)
    load_before = os.getloadavg()[1]
    cli = detect_commands(folder, folder.with_name(folder.name + "-out"), rows)
    cli.update(machine=machine_info(), load_average_5min=[load_before, os.getloadavg()[1]], note=args.note)
    print({k: v for k, v in cli.items() if k != "machine"}, flush=True)
    if args.quick:
        return
    result = json.loads((RESULTS_DIR / "engines.json").read_text())
    result["cli"] = cli
    write_json("engines.json", result)
    runs_file = RESULTS_DIR / "engines-cli-runs.json"
    runs = json.loads(runs_file.read_text()) if runs_file.exists() else []
    write_json("engines-cli-runs.json", [*runs, cli_run_summary(cli)])
    report(result)


def cli_run_summary(c: dict) -> dict:
    """One line of results/engines-cli-runs.json."""
    return {"date": c["machine"]["date"], "load_average_5min": c["load_average_5min"], "rows": c["rows"],
            **{f"{part}_rows_per_s": c[part]["rows_per_s"] for part in ("single", *WORKER_MALLOC)},
            "equal": all(c[part]["equal_rows_in_order"] for part in WORKER_MALLOC)}  # fmt: skip


def run_summary(r: dict) -> dict:
    """One line of results/engines-runs.json: every run's rates and ratios, with the host's load."""
    return {"date": r["machine"]["date"], "load_average_5min": r["load_average_5min"], "rows": r["rows"],
            **{f"{part}_rows_per_s": r[part]["rows_per_s"] for part in ("single", "threads2", "dask", "spark")},
            "dask_vs_single": r["dask_vs_single"], "dask_vs_threads2": r["dask_vs_threads2"],
            **({"dask_lean_vs_single": r["dask_lean_vs_single"]} if "dask_lean" in r else {}),
            **({"dask_lean_fresh_vs_single": r["dask_lean_fresh_vs_single"]} if "dask_lean_fresh_vs_single" in r else {}),
            "equal": all(r[part]["equal_to_single"] for part in ("threads2", "dask", "dask_lean", "spark") if part in r)}


def yes(ok: bool) -> str:
    """A verdict cell of the report's tables."""
    return "yes" if ok else "**no**"


DASK_LABELS = {"dask": "Dask, 2 workers x 1 thread, distributed's defaults",
               "dask_untrimmed": "Dask, workers without MALLOC_TRIM_THRESHOLD_",
               "dask_lean": "Dask, cluster started under aekit.engines.dask.LEAN_WORKER_CONFIG (no worker profiler, slower monitoring ticks)"}


def _dask_rows(r: dict, name: str) -> list[list[str]]:
    """The report's rows of one Dask variant: its warm and fresh figures against the targets, the
    frame gather, equality."""
    d, single, two = r[name], r["single"]["rows_per_s"], r["threads2"]["rows_per_s"]
    rows = []
    for label, rate in (("a second job (warm workers, as on a long-lived cluster)", d["rows_per_s"]),
                        ("the cluster's first job (fresh workers)", d["rows_per_s_fresh"])):
        rows.append([f"{DASK_LABELS[name]}: {label}", f"{rate:,.0f} rows/s ({rate / single:.2f}x 1 thread, {rate / two:.2f}x 2 threads)",
                     "targets >= 1.6x and >= 0.9x", yes(rate / single >= 1.6 and rate / two >= 0.9)])
    rows.append(["  the same second job gathering the result frame (`.compute()`, its index of every row included)",
                 f"{d['rows_per_s_frame']:,.0f} rows/s ({d['rows_per_s_frame'] / single:.2f}x 1 thread)", "-", "-"])
    rows.append(["  its scores equal to one process's, row for row, in all three jobs", yes(d["equal_to_single"]), "required", yes(d["equal_to_single"])])
    return rows


def report(r: dict) -> None:
    d, s, t, sp = r["dask"], r["single"], r["threads2"], r["spark"]
    rows = [
        ["figure", "measured", "baseline / target", "met?"],
        ["one process, 1 thread", f"{s['rows_per_s']:,.0f} rows/s ({s['busy_cores']:.2f} busy cores on the host)", "the baseline", "-"],
        ["one process, 2 threads", f"{t['rows_per_s']:,.0f} rows/s ({t['busy_cores']:.2f} busy cores)",
         f"equal scores: {yes(t['equal_to_single'])}", "-"],
        *([["two plain processes x 1 thread, no engine (each half the files)",
            f"{r['processes2']['rows_per_s']:,.0f} rows/s ({r['processes2']['busy_cores']:.2f} busy cores; "
            f"{r['processes2']['rows_per_s'] / s['rows_per_s']:.2f}x 1 thread)", "what the host allows two workers", "-"]]
          if "processes2" in r else []),
        *(row for name in CLUSTER_CONFIGS if name in r for row in _dask_rows(r, name)),
        ["Dask peak resident memory per worker", " and ".join(f"{m:,.0f} MB" for m in d["worker_peak_rss_mb"]),
         f"before the job " + " and ".join(f"{m:,.0f} MB" for m in d["worker_rss_before_mb"])
         + f"; {d['partitions']} partitions of {r['rows_per_file']:,} rows; memory_limit 3 GiB", "-"],
        [f"Spark local[2], first {sp['rows']:,} rows", f"{sp['rows_per_s']:,.0f} rows/s ({sp['busy_cores']:.2f} busy cores)",
         f"every row once, in order: {yes(sp['rows_in_order_once'])}; a first 10,000-row job (Python workers "
         f"starting), not counted, took " + (f"{sp['warm_up_seconds']:.0f} s" if "warm_up_seconds" in sp else "(not recorded)"), "-"],
        ["Spark scores equal to one process's", yes(sp["equal_to_single"]), "required", yes(sp["equal_to_single"])],
    ]  # fmt: skip
    section = "\n".join([
        HEADING, "",
        f"{machine_line(r['machine'])} `score_samples` of {r['model']} over a Parquet folder of {r['rows']:,} rows x "
        f"{r['columns']} float32 columns ({r['rows_per_file']:,} rows per file), reading included. Not timed: cluster and "
        "Spark start-up, the Dask workers' first import of aekit and torch (done before, as in a long-lived cluster), "
        "Spark's first small job (which starts its Python workers); timed: shipping and unpacking the model. Each Dask "
        "cluster runs three jobs: the first on its fresh workers (their first Parquet read and forward pass inside), a "
        "second as on a long-lived cluster (the model shipped again; the workers keep its unpacked copy), both gathering "
        "the scores as one array (`result['score_samples'].to_dask_array().compute()`, the single process's output), and "
        "a third gathering the result frame. "
        f"The host's 5-minute load average was {r['load_average_5min'][0]:.1f} before the run and "
        f"{r['load_average_5min'][1]:.1f} after it (2 cores). Busy cores = the whole machine's during the phase (the job's own "
        "included), to show what else ran. Reproduce: `.venv/bin/python benchmarks/engines.py`." + (f" {r['note']}" if r["note"] else ""),
        "", markdown_table(rows), "",
    ])  # fmt: skip
    if "rounds" in r:
        section += (f"\nEach figure is the median of {len(r['rounds']['single'])} rounds, the variants alternated (rows/s per round: "
                    + "; ".join(f"{name} " + ", ".join(f"{v:,.0f}" for v in found) for name, found in r["rounds"].items())
                    + "".join(f"; {name}, first job " + ", ".join(f"{v:,.0f}" for v in found) for name, found in r.get("rounds_fresh", {}).items())
                    + ").\n")
    if "cli" in r:
        section += cli_section(r["cli"])
    runs_file = RESULTS_DIR / "engines-runs.json"
    runs = json.loads(runs_file.read_text()) if runs_file.exists() else [run_summary(r)]
    section += "\nEvery run of this script (results/engines-runs.json):\n\n" + markdown_table(
        [["run", "load average", "1 thread", "2 threads", "Dask", "Spark", "Dask / 1 thread", "Dask / 2 threads", "Dask, lean workers / 1 thread", "the same, first job", "equal"]]
        + [[run["date"][:16].replace("T", " "), " -> ".join(f"{v:.1f}" for v in run["load_average_5min"]),
            *(f"{run[f'{part}_rows_per_s']:,.0f}" for part in ("single", "threads2", "dask", "spark")),
            f"{run['dask_vs_single']:.2f}x", f"{run['dask_vs_threads2']:.2f}x",
            f"{run['dask_lean_vs_single']:.2f}x" if "dask_lean_vs_single" in run else "-",
            f"{run['dask_lean_fresh_vs_single']:.2f}x" if "dask_lean_fresh_vs_single" in run else "-", "yes" if run["equal"] else "**no**"]
           for run in runs]) + "\n"  # fmt: skip
    if t["rows_per_s"] < s["rows_per_s"]:
        section += ("\nThe two-thread process ran slower than the one-thread one: on an oversubscribed host its two "
                    "OpenMP threads wait for each other at every operation (benchmarks/threads.py measures the same "
                    "effect), so the verdict against it says little about a quiet host.\n")
    if r["load_average_5min"][0] > 2 * r["machine"]["nproc"]:
        section += ("\nWith the load average far above the core count, every process here got a fraction of a core "
                    "and the Dask run also competed with its own scheduler, client and nannies; these figures are not "
                    "a verdict on a quiet host. Run again there before concluding.\n")
    update_markdown_section(HEADING, section)


def cli_section(c: dict) -> str:
    s = c["single"]
    rows = [["command", "measured", "baseline", "ratio"],
            ["aekit detect --fitted, one process, 1 thread", f"{s['rows_per_s']:,.0f} rows/s ({s['busy_cores']:.2f} busy cores; "
             f"peak resident {s['peak_rss_mb']:,.0f} MB)", "the baseline", "-"]]  # fmt: skip
    for name, label in (("dask", "distributed's default worker environment"), ("dask_untrimmed", "workers without MALLOC_TRIM_THRESHOLD_")):
        d = c[name]
        rows += [
            [f"aekit detect --fitted --scheduler, 2 workers x 1 thread, {label}",
             f"{d['rows_per_s']:,.0f} rows/s ({d['busy_cores']:.2f} busy cores)", f"{s['rows_per_s']:,.0f} rows/s", f"{d['vs_single']:.2f}x"],
            ["  same rows, order and flags; largest outlier_score difference",
             f"{yes(d['equal_rows_in_order'])}; {d['max_abs_score_difference']:.3g}", "required", "-"],
            ["  peak resident memory per worker", " and ".join(f"{m:,.0f} MB" for m in d["worker_peak_rss_mb"]),
             "before the job " + " and ".join(f"{m:,.0f} MB" for m in d["worker_rss_before_mb"]), "-"],
        ]  # fmt: skip
    section = "\n".join([
        "", "### The command line: `aekit detect --scheduler` (`--part cli`)", "",
        f"{machine_line(c['machine'])} `aekit detect ROWS --fitted DETECTOR --out ...` over a Parquet folder of {c['rows']:,} "
        f"rows x 50 float32 columns and an int64 ID column, the detector (the command's default model with latent_dim 8, "
        f"hidden_dims [64, 32], 5 epochs) fitted and saved by `aekit detect --save` on {c['fitted_on_rows']:,} rows. Each "
        "command is timed whole, reading the folder and writing its Parquet output included (one file for the single "
        "process, a folder for the cluster); not timed: the cluster's start-up and its workers' first imports. "
        "distributed's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536, which also switches off glibc's adaptive "
        "mmap threshold, so every large temporary of a partition is mapped and unmapped afresh; the second cluster starts "
        "its workers without it (`distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null`). The host's "
        f"5-minute load average was {c['load_average_5min'][0]:.1f} before and {c['load_average_5min'][1]:.1f} after (2 cores, "
        "shared with other jobs). Reproduce: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/engines.py --part cli`."
        + (f" {c['note']}" if c["note"] else ""),
        "", markdown_table(rows), "",
    ])  # fmt: skip
    runs_file = RESULTS_DIR / "engines-cli-runs.json"
    runs = json.loads(runs_file.read_text()) if runs_file.exists() else [cli_run_summary(c)]
    return section + "\nEvery run of `--part cli` (results/engines-cli-runs.json):\n\n" + markdown_table(
        [["run", "load average", "rows", "one process", "Dask, default workers", "Dask, untrimmed workers", "ratios", "equal"]]
        + [[run["date"][:16].replace("T", " "), " -> ".join(f"{v:.1f}" for v in run["load_average_5min"]), f"{run['rows']:,}",
            *(f"{run[f'{part}_rows_per_s']:,.0f}" for part in ("single", *WORKER_MALLOC)),
            " and ".join(f"{run[f'{part}_rows_per_s'] / run['single_rows_per_s']:.2f}x" for part in WORKER_MALLOC),
            "yes" if run["equal"] else "**no**"] for run in runs]) + "\n"  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["--score-files"]:
        _score_files(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        sys.exit()
    main()
