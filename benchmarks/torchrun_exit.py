"""Issue 31, item 5: a clean distributed exit. The torchrun tests (tests/test_distributed.py, the
slow ones: two gloo ranks training, compiling, and `aekit train` writing one run and resuming)
run --runs times in a row while --load other processes keep the cores busy (each spins a
float64 matrix product on one thread), as a CI machine running other jobs would. A run passes
when pytest exits 0; a failed run keeps the end of its output (an aborted rank prints
'terminate called without an active exception').

Usage:  .venv/bin/python benchmarks/torchrun_exit.py [--runs 20] [--load 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

from common import machine_info, machine_line, markdown_table, update_markdown_section, write_json
from speed import busy_cpu_seconds

HEADING = "## A clean exit under torchrun (benchmarks/torchrun_exit.py)"
ROOT = Path(__file__).resolve().parent.parent


def _spin(stop) -> None:
    import numpy as np

    os.environ["OMP_NUM_THREADS"] = "1"
    a = np.random.default_rng(0).random((300, 300))
    while not stop.is_set():
        a = a @ a
        a /= np.abs(a).max()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--load", type=int, default=2, help="busy processes beside the tests")
    args = parser.parse_args()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "slow", "tests/test_distributed.py"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    stop = multiprocessing.Event()
    spinners = [multiprocessing.Process(target=_spin, args=(stop,), daemon=True) for _ in range(args.load)]
    for p in spinners:
        p.start()
    runs = []
    try:
        for i in range(args.runs):
            busy, start = busy_cpu_seconds(), time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
            seconds = time.perf_counter() - start
            tail = (done.stdout + done.stderr).strip().splitlines()
            runs.append({"run": i + 1, "passed": done.returncode == 0, "seconds": seconds, "busy_cores": (busy_cpu_seconds() - busy) / seconds,
                         "summary": tail[-1] if tail else "", "tail": "" if done.returncode == 0 else "\n".join(tail[-40:])})  # fmt: skip
            print(f"run {i + 1}: {'passed' if done.returncode == 0 else 'FAILED'} in {seconds:.0f} s ({runs[-1]['busy_cores']:.2f} busy cores): {runs[-1]['summary']}", flush=True)
    finally:
        stop.set()
        for p in spinners:
            p.join(timeout=10)
    passed = sum(r["passed"] for r in runs)
    result = {"machine": machine_info(), "load_processes": args.load, "command": " ".join(command[1:]), "runs": runs}
    write_json("torchrun_exit.json", result)
    table = [["run", "result", "seconds", "busy cores", "pytest summary"]]
    table += [[str(r["run"]), "passed" if r["passed"] else "**failed**", f"{r['seconds']:.0f}", f"{r['busy_cores']:.2f}", r["summary"]] for r in runs]
    aborted = sum("terminate called" in r["tail"] for r in runs)
    section = "\n".join([
        HEADING, "",
        machine_line(result["machine"]) + f" Command: `.venv/bin/python benchmarks/torchrun_exit.py --runs {args.runs} --load {args.load}`: "
        f"`python -m pytest -m slow tests/test_distributed.py` (every torchrun test) {args.runs} times in a row while {args.load} other "
        "processes each keep a core busy with matrix products (busy cores = the whole machine's during the run).", "",
        markdown_table(table), "",
        f"**{passed} of {len(runs)} runs passed** (target: 20 of 20 under load: {'met' if passed == len(runs) >= 20 else 'missed'}); "
        f"runs with a rank aborting at exit ('terminate called without an active exception'): {aborted}.", "",
    ])  # fmt: skip
    update_markdown_section(HEADING, section)
    print(section)


if __name__ == "__main__":
    main()
