"""Where do torch's intra-op threads pay off? Fits and inference at several model widths with 1
thread against 2 (this host's cores), on a quiet machine and with one other busy process, to
choose `aekit.training.threads.WORK_CUTOFF` (multiply-adds per forward step below which a step
gets one thread).

Data are synthetic (uniform [0, 1) values of each shape): timing does not depend on the values.
Each cell is the median wall time of `--repeats` runs; a fit is `max_epochs` full epochs (no
early stopping) with the estimator's default batch size unless the row says otherwise, inference
is `reconstruct` over the rows repeated to about 2e10 multiply-adds (4,096 to 200,000 rows, in
batches of 4,096).

Usage: .venv/bin/python benchmarks/threads.py [--repeats 3] [--quick] [--report]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
from common import RESULTS_DIR, machine_info, machine_line, markdown_table, update_markdown_section, write_json

from aekit import AutoEncoder, ConvAutoEncoder
from aekit.training.threads import WORK_CUTOFF, work_per_row

INFERENCE_WORK = 2e10
HEADING = "## Threads that follow the model (benchmarks/threads.py)"

# name, estimator, rows, columns
CASES = [
    ("table 3,000 x 11, (128, 64), batch 32", lambda: AutoEncoder(2, hidden_dims=(128, 64), batch_size=32, max_epochs=2), 3000, 11),
    ("table 3,000 x 11, (128, 64)", lambda: AutoEncoder(2, hidden_dims=(128, 64), max_epochs=10), 3000, 11),
    ("table 3,000 x 50, (128, 64)", lambda: AutoEncoder(8, hidden_dims=(128, 64), max_epochs=10), 3000, 50),
    ("table 5,000 x 200, (256, 128)", lambda: AutoEncoder(8, hidden_dims=(256, 128), max_epochs=5), 5000, 200),
    ("784 columns, (128, 64)", lambda: AutoEncoder(16, hidden_dims=(128, 64), max_epochs=3), 5000, 784),
    ("784 columns, (256, 128)", lambda: AutoEncoder(16, hidden_dims=(256, 128), max_epochs=3), 5000, 784),
    ("784 columns, (512, 256)", lambda: AutoEncoder(16, hidden_dims=(512, 256), max_epochs=2), 5000, 784),
    ("784 columns, (1000, 500, 250)", lambda: AutoEncoder(30, hidden_dims=(1000, 500, 250), max_epochs=2), 5000, 784),
    ("conv 28x28, channels (8, 16)", lambda: ConvAutoEncoder(16, input_shape=(1, 28, 28), channels=(8, 16), max_epochs=1), 2000, 784),
    ("conv 28x28, channels (32, 64)", lambda: ConvAutoEncoder(16, input_shape=(1, 28, 28), max_epochs=1), 2000, 784),
]


def _cpu_seconds() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, of this process and its children) so far."""
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
    own = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for f in ("ru_utime", "ru_stime"))  # fmt: skip
    return busy, own


class OthersLoad:
    """Cores kept busy by other processes (not this one or its children) while the block runs."""

    def __enter__(self):
        self.start, self.wall = _cpu_seconds(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        (busy0, own0), (busy1, own1) = self.start, _cpu_seconds()
        self.cores = max(0.0, ((busy1 - busy0) - (own1 - own0)) / max(time.perf_counter() - self.wall, 1e-9))


def wait_until_quiet(limit: float = 0.3, patience: float = 60.0) -> float:
    """Wait (up to `patience` s) until other processes keep under `limit` cores busy over 2 s; their load then."""
    deadline = time.monotonic() + patience
    while True:
        with OthersLoad() as load:
            time.sleep(2)
        if load.cores < limit or time.monotonic() > deadline:
            return load.cores


def inference_rows(work_per_row: int) -> int:
    """Rows for the inference timing: about INFERENCE_WORK multiply-adds, 4,096 to 200,000 rows."""
    return int(np.clip(INFERENCE_WORK / work_per_row, 4096, 200_000))


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(make, X: np.ndarray, X_infer: np.ndarray, threads: int, repeats: int) -> tuple[float, float]:
    """Median fit seconds on X and reconstruct seconds on X_infer with `threads` torch threads
    (the estimator leaves them alone)."""
    torch.set_num_threads(threads)
    fits, infers = [], []
    for seed in range(repeats):
        est = make().set_params(random_state=seed, n_threads=None)
        fits.append(timed(lambda: est.fit(X)))
        infers.append(timed(lambda: est.reconstruct(X_infer)))
    return statistics.median(fits), statistics.median(infers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one repeat of the first two cases; leaves BENCHMARKS.md alone")
    parser.add_argument("--report", action="store_true", help="rewrite the BENCHMARKS.md section from results/threads.json")
    args = parser.parse_args()
    if args.report:
        report(json.loads((RESULTS_DIR / "threads.json").read_text()))
        return
    cases = CASES[:2] if args.quick else CASES
    repeats = 1 if args.quick else args.repeats
    most = torch.get_num_threads()
    info = machine_info()
    rows = []
    for name, make, n, d in cases:
        X = np.random.default_rng(0).random((n, d), dtype=np.float32)
        est = make()
        module = est.set_params(max_epochs=1).fit(X[:64]).module_
        batch = est.batch_size
        X_infer = np.tile(X, (-(-inference_rows(work_per_row(module)) // n), 1))  # about INFERENCE_WORK multiply-adds
        row = {"case": name, "rows": n, "columns": d, "batch_size": batch, "inference_rows": len(X_infer), "work_per_row": work_per_row(module),
               "work_per_step": work_per_row(module) * batch, "work_per_inference_batch": work_per_row(module) * min(n, 4096)}  # fmt: skip
        for load in ("quiet", "busy"):
            row[f"{load}_others_before"] = wait_until_quiet()
            busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if load == "busy" else None
            try:
                time.sleep(0.5 if busy else 0)
                for t in (1, most):
                    with OthersLoad() as others:
                        row[f"{load}_fit_{t}"], row[f"{load}_infer_{t}"] = measure(make, X, X_infer, t, repeats)
                    row[f"{load}_others_{t}"] = others.cores  # in the busy phase this includes the spinning child (about 1 core)
            finally:
                if busy is not None:
                    busy.kill()
                    busy.wait()
            row[f"{load}_fit_ratio"] = row[f"{load}_fit_{most}"] / row[f"{load}_fit_1"]
            row[f"{load}_infer_ratio"] = row[f"{load}_infer_{most}"] / row[f"{load}_infer_1"]
        rows.append(row)
        print(row, flush=True)
    torch.set_num_threads(most)
    payload = {"machine": info, "threads": most, "repeats": repeats, "rows": rows}
    write_json("threads.json", payload)
    if not args.quick:
        report(payload)


def _inference_summary(rows: list[dict], most: int) -> str:
    """Where more threads sped up inference in the cases measured on a really quiet machine."""
    clean = [r for r in rows if max(r["quiet_others_1"], r[f"quiet_others_{most}"]) < 0.1]
    won = [r["work_per_row"] * 4096 for r in clean if r["quiet_infer_ratio"] < 0.95]
    lost = [r["work_per_row"] * 4096 for r in clean if r["quiet_infer_ratio"] > 1.05]
    text = f"In inference on a quiet machine {most} threads were faster from {min(won) / 1e6:.0f} M multiply-adds per 4,096-row batch" if won else "No quiet inference was faster on more threads"
    return text + (f" and slower up to {max(lost) / 1e6:.0f} M." if lost else ".")


def _quiet_rows_summary(rows: list[dict], most: int) -> str:
    """What the rows measured on a really quiet machine, and every busy row, say about fits."""
    clean = [r for r in rows if max(r["quiet_others_1"], r[f"quiet_others_{most}"]) < 0.1]
    lost = [r["work_per_step"] for r in clean if r["quiet_fit_ratio"] > 1.05]
    won = [r["work_per_step"] for r in clean if r["quiet_fit_ratio"] < 0.95]
    busy = [r["busy_fit_ratio"] for r in rows]
    text = (f"In the {len(clean)} cases whose quiet phase really was quiet (other processes under 0.1 cores), {most} threads "
            f"made fits slower up to {max(lost) / 1e6:.1f} M multiply-adds per step and faster from {min(won) / 1e6:.1f} M"
            if lost and won else f"{len(clean)} cases had a really quiet phase (other processes under 0.1 cores)")
    return (f"{text}. With one other process busy, {most} threads made every fit slower ({min(busy):.1f}-{max(busy):.0f} "
            f"times the one-thread time); the other cases' quiet phases shared the machine with about one busy core of "
            f"other jobs and look the same.")


def report(payload: dict) -> None:
    """The BENCHMARKS.md section from a results payload (with the current WORK_CUTOFF)."""
    rows, most, info, repeats = payload["rows"], payload["threads"], payload["machine"], payload["repeats"]
    table = [["case", "batch", "work per step (M mult-adds)", f"fit s, 1 / {most} threads quiet", f"{most}/1 quiet",
              f"fit s, 1 / {most} busy", f"{most}/1 busy", "inference batch (4,096 rows) M", f"{most}/1 quiet", f"{most}/1 busy",
              "others' cores quiet / busy"]]  # fmt: skip
    for r in rows:
        table.append([r["case"], r["batch_size"], f"{r['work_per_step'] / 1e6:.1f}",
                      f"{r['quiet_fit_1']:.2f} / {r[f'quiet_fit_{most}']:.2f}", f"{r['quiet_fit_ratio']:.2f}",
                      f"{r['busy_fit_1']:.2f} / {r[f'busy_fit_{most}']:.2f}", f"{r['busy_fit_ratio']:.2f}",
                      f"{r['work_per_row'] * 4096 / 1e6:.0f}", f"{r['quiet_infer_ratio']:.2f}", f"{r['busy_infer_ratio']:.2f}",
                      f"{max(r['quiet_others_1'], r[f'quiet_others_{most}']):.2f} / {max(r['busy_others_1'], r[f'busy_others_{most}']):.2f}"])  # fmt: skip
    section = (
        f"{HEADING}\n\nWall time of `fit` and of `reconstruct` (over the rows repeated to about 2e10 multiply-adds) with 1 "
        f"torch thread and with {most}, on a quiet machine and with one other process spinning (`python -c \"while True: "
        f"pass\"`); synthetic data of each shape, median of {repeats} runs. Ratios below 1 mean {most} threads are faster. "
        f"The last column is the CPU that other processes kept busy during the measurements (the larger of the two thread "
        f"counts' runs; the busy phase's includes the spinning process); before each phase the script waits up to 60 s for "
        f"other processes to fall under 0.3 cores. Work per step is the rows of a batch times the module's multiply-adds per "
        f"row (`aekit.training.threads.work_per_row`). {_inference_summary(rows, most)} {_quiet_rows_summary(rows, most)} `n_threads='auto'` gives a step 1 thread below {WORK_CUTOFF / 1e6:g} M multiply-adds and torch's current "
        f"count from there on.\n\n{markdown_table(table)}\n\n{machine_line(info)}\n"
    )
    update_markdown_section(HEADING, section)

if __name__ == "__main__":
    main()
