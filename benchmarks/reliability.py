"""Reliability figures, in four parts (with no part flag, all four run):

  --inputs     hostile X per estimator (hypothesis, --examples each): worked, refused cleanly,
               misbehaved, raw errors
  --faults N   N `aekit train` runs SIGKILLed at random points and resumed, compared with an
               uninterrupted run; checkpoint writes killed half-way; every single-bit flip and
               every truncation of a checkpoint and of a weights file
  --files      the hostile model folders, YAML configs and CSV tables of tests/harness/hostile_files.py
  --memory     peak memory of transform and score_samples over a memory-mapped .npy of
               --rows x --features float32, each call in a fresh process

Each part's figures replace its entry in benchmarks/results/reliability.json (the others keep
their last run), and BENCHMARKS.md's Reliability section is rewritten from that file.

Usage: .venv/bin/python benchmarks/reliability.py [--inputs [--examples 300]] [--faults [10]] [--files]
       [--memory [--rows 2000000]]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from aekit import AutoEncoder
from aekit.training.checkpoint import Checkpointer, read_checkpoint
from common import RESULTS_DIR, ROOT, machine_info, machine_line, markdown_table, update_markdown_section, write_json

sys.path.insert(0, str(ROOT))  # the test harness (tests/harness) imports as `tests.harness`

HEADING = "## Reliability (benchmarks/reliability.py)"
RESULTS = "reliability.json"

# ---- hostile inputs (hypothesis) ----------------------------------------------------------


def probe_inputs(make, examples: int) -> dict:
    from hypothesis import HealthCheck, given, settings

    from tests.harness.input_checks import hostile_inputs, outcome

    counts: collections.Counter = collections.Counter()
    failures: list[str] = []

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=hostile_inputs())
    def probe(case):
        kind, X = case
        try:
            counts[outcome(make(), X)] += 1
        except AssertionError as err:
            counts["misbehaved"] += 1
            failures.append(f"{kind}: {err}")
        except Exception as err:  # noqa: BLE001 - counting every other escape is the point
            counts["raw error"] += 1
            failures.append(f"{kind}: {type(err).__name__}: {err}")

    probe()
    return {"counts": dict(counts), "failures": failures[:20]}


def part_inputs(examples: int) -> dict:
    from tests.harness.input_checks import tiny_estimators

    results = {}
    for name, make in tiny_estimators().items():
        start = time.perf_counter()
        res = probe_inputs(make, examples)
        res["seconds"] = time.perf_counter() - start
        results[name] = res
        print(name, res["counts"], *res["failures"][:5], sep="\n  ", flush=True)
    return {"examples_per_estimator": examples, "results": results}


def section_inputs(part: dict) -> list[str]:
    rows = [["estimator", "cases", "worked", "refused cleanly", "misbehaved", "raw errors", "seconds"]]
    for name, res in part["results"].items():
        c = res["counts"]
        rows.append(
            [name, sum(c.values()), c.get("worked", 0), c.get("refused", 0), c.get("misbehaved", 0), c.get("raw error", 0), f"{res['seconds']:.0f}"]
        )
    return [
        "### Hostile inputs",
        "",
        machine_line(part["machine"]),
        "",
        f"```\n.venv/bin/python benchmarks/reliability.py --inputs --examples {part['examples_per_estimator']}\n```",
        "",
        "Random hostile X from `hostile_inputs` of tests/harness/input_checks.py (random shapes and dtypes, NaN/inf, empty, one row, "
        "constant and duplicate columns, magnitudes from 1e-300 to 1e300, 1-D/3-D arrays, scalars, lists, text, "
        "DataFrames with a text column). A case *worked* when fit, transform (score_samples for the outlier detector) "
        "and score_samples gave finite results of the right shape (the imputer's text columns come back as text) and a "
        "wrong feature count was then refused; *refused cleanly* when fit raised ValueError or TypeError naming the "
        "argument. Anything else is counted as misbehaved or a raw error. The imputer and the outlier detector joined "
        "on 2026-11-30 (session 8): their first runs found an empty X refused without naming X, and the detector "
        "failing on codes that more than half the rows share (the robust covariance fit raised); both fixed.",
        "",
        markdown_table(rows),
    ]


# ---- faults -------------------------------------------------------------------------------


def _every_damage(path: Path, load) -> dict:
    """Every single-bit flip and every truncation of the file at `path`: how many `load`
    refused with a ValueError, how many it accepted, and any other error."""
    data = path.read_bytes()
    counts: collections.Counter = collections.Counter()
    others: list[str] = []

    def attempt(kind: str, damaged: bytes) -> None:
        path.write_bytes(damaged)
        try:
            load(path)
            counts[f"{kind} accepted"] += 1
        except ValueError:
            counts[f"{kind} refused"] += 1
        except Exception as err:  # noqa: BLE001 - counting every other escape is the point
            counts[f"{kind} raw error"] += 1
            others.append(f"{kind}: {type(err).__name__}: {err}"[:200])

    for i in range(len(data)):
        for bit in range(8):
            attempt("flip", data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :])
    for n in range(len(data)):
        attempt("truncation", data[:n])
    path.write_bytes(data)
    return {"bytes": len(data), "counts": dict(counts), "other_errors": others[:10]}


def damage_sweeps(folder: Path) -> dict:
    """The sweeps over a small model's checkpoint (resumed by `fit`) and weights file (loaded)."""
    X = np.random.default_rng(0).random((64, 8))

    def make() -> AutoEncoder:
        return AutoEncoder(latent_dim=2, hidden_dims=(4,), max_epochs=1, random_state=0)

    checkpoint = folder / "ckpt.safetensors"
    make().fit(X, checkpoint=Checkpointer(checkpoint))
    model = make().fit(X).save(folder / "model")
    return {
        "checkpoint": _every_damage(checkpoint, lambda p: make().fit(X, checkpoint=Checkpointer(p, resume=True))),
        "weights": _every_damage(model / "model.safetensors", lambda p: AutoEncoder.load(p.parent)),
    }


def part_faults(trials: int, half_trials: int, epochs: int, threads: int, seed: int) -> dict:
    from tests.harness.fault_injection import (
        final_weights,
        kill_at_random_point,
        kill_during_checkpoint_write,
        run_aekit,
        training_args,
        weight_difference,
    )

    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run_aekit(training_args(tmp / "reference", epochs), threads=threads)
        reference = final_weights(tmp / "reference")

        def resume_and_compare(run: Path, found: dict) -> dict:
            run_aekit(["train", "--resume", str(run), "--quiet"], threads=threads)
            found["max_abs_difference"] = weight_difference(reference, final_weights(run))
            print(found, flush=True)
            return found

        kills = [
            resume_and_compare(tmp / f"kill{t}", kill_at_random_point(tmp / f"kill{t}", epochs, rng, threads=threads))
            for t in range(trials)
        ]
        halves = []
        for t in range(half_trials):
            at = int(rng.integers(2, epochs))
            found = kill_during_checkpoint_write(tmp / f"half{t}", epochs, at, threads=threads)
            found["at_epoch"] = at
            found["previous_loadable"] = read_checkpoint(tmp / f"half{t}" / "checkpoint.safetensors")[0]["epoch"] == at - 1
            halves.append(resume_and_compare(tmp / f"half{t}", found))
        sweeps = damage_sweeps(tmp)
    print(json.dumps(sweeps), flush=True)
    return {
        "trials": trials,
        "epochs": epochs,
        "threads": threads,
        "seed": seed,
        "kills": kills,
        "half_writes": halves,
        "damage": sweeps,
        "seconds": time.perf_counter() - start,
    }


def section_faults(part: dict) -> list[str]:
    kills = [k for k in part["kills"] if k["killed"]]
    survived = [k for k in kills if k["max_abs_difference"] == 0.0]
    halves = part["half_writes"]
    half_ok = [h for h in halves if h["previous_loadable"] and h["max_abs_difference"] == 0.0]
    left = collections.Counter(
        name.lstrip(".").rsplit(".", 2)[0] for case in [*part["kills"], *halves] for name in case["left_over"]
    )
    left_text = ", ".join(f"{n} x `.{name}.*.tmp`" for name, n in sorted(left.items())) or "none"
    epochs_at_kill = ", ".join(str(k["checkpoint_epoch"]) for k in kills)
    rows = [["fault", "injected", "survived", "how"]]
    rows.append(
        [
            f"SIGKILL at a random point of `aekit train` ({part['epochs']} epochs)",
            len(kills),
            len(survived),
            f"resumed with `--resume` from the checkpoint of epoch {epochs_at_kill}; final weights bit-identical to "
            f"the uninterrupted run in {len(survived)} of {len(kills)} (largest difference "
            f"{max((k['max_abs_difference'] for k in kills), default=0):g})",
        ]
    )
    rows.append(
        [
            "SIGKILL half-way through writing a checkpoint (half its bytes on disk)",
            len(halves),
            len(half_ok),
            f"the previous checkpoint stayed loadable (epochs {', '.join(str(h['at_epoch'] - 1) for h in halves)}); "
            "resumed to bit-identical weights",
        ]
    )
    for name, label in (("checkpoint", "checkpoint (`fit(checkpoint=Checkpointer(resume=True))`)"), ("weights", "model.safetensors (`AutoEncoder.load`)")):
        sweep = part["damage"][name]
        c = sweep["counts"]
        for kind, what in (("flip", "every single-bit flip"), ("truncation", "every truncation")):
            total = sum(v for k, v in c.items() if k.startswith(kind))
            rows.append(
                [
                    f"{what} of a {sweep['bytes']:,}-byte {label}",
                    f"{total:,}",
                    f"{c.get(f'{kind} refused', 0):,}",
                    f"refused with a ValueError; accepted {c.get(f'{kind} accepted', 0)}, other errors "
                    f"{c.get(f'{kind} raw error', 0)}",
                ]
            )
    return [
        "### Faults: kills, interrupted writes, damaged files",
        "",
        machine_line(part["machine"]) + f" Training children ran with {part['threads']} torch thread(s).",
        "",
        f"```\n.venv/bin/python benchmarks/reliability.py --faults {part['trials']}\n```",
        "",
        "tests/harness/fault_injection.py: `aekit train` on digits (one hidden layer of 32, seed 1) runs in a child process "
        "that is SIGKILLed at a random time after a random epoch has been checkpointed (so kills land in the "
        "forward/backward passes and in the checkpoint, metrics and event-file writes alike), then `aekit train "
        "--resume` finishes it in a new process and its final model.safetensors is compared with an uninterrupted "
        "run's. On CPU with the same thread count the result is bit-identical (no tolerance needed): the checkpoint "
        "holds the weights, the optimizer state, the early-stopping state and the shuffling generator's state. "
        f"Temporary files left in the run folders by writes cut short: {left_text} (never read; `aekit train --resume` "
        "deletes them under the run's lock, which tests/test_faults.py checks).",
        "",
        markdown_table(rows),
        "",
        f"{part['seconds']:.0f} s in all.",
    ]


# ---- hostile files ------------------------------------------------------------------------


def part_files() -> dict:
    from tests.harness.hostile_files import HOSTILE_FILES

    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(HOSTILE_FILES):
            outcome, message = case.check(Path(tmp) / str(i))
            cases.append({"kind": case.kind, "name": case.name, "outcome": outcome, "message": message[:300]})
            print(f"{outcome:10} {case.kind}: {case.name}: {message[:120]}", flush=True)
    return {"cases": cases}


def section_files(part: dict) -> list[str]:
    by_kind: dict[str, list[dict]] = {}
    for case in part["cases"]:
        by_kind.setdefault(case["kind"], []).append(case)
    rows = [["file", "cases", "refused with a clear message", "payload executed", "accepted", "other", "cases tried"]]
    for kind, cases in by_kind.items():
        c = collections.Counter(case["outcome"] for case in cases)
        other = sum(v for k, v in c.items() if k not in ("refused", "executed", "accepted"))
        rows.append([kind, len(cases), c["refused"], c["executed"], c["accepted"], other, "; ".join(x["name"] for x in cases)])
    failures = [f"- {c['kind']}: {c['name']}: {c['outcome']}: {c['message']}" for c in part["cases"] if c["outcome"] != "refused"]
    return [
        "### Hostile files",
        "",
        machine_line(part["machine"]),
        "",
        "```\n.venv/bin/python benchmarks/reliability.py --files\n```",
        "",
        "tests/harness/hostile_files.py: each file is written into a fresh folder and loaded the way aekit loads it "
        "(`AutoEncoder.load`, `validate_config(read_config(...))` as `aekit train CONFIG` does, `load_csv`). *Refused* "
        "means a ValueError whose message says what is wrong (matched against an expected pattern) and that the "
        "payload's marker file was not created; the payloads do create it under `pickle.loads` / `yaml.unsafe_load` "
        "(tests/test_hostile_files.py checks that).",
        "",
        markdown_table(rows),
        *(["", "Not refused cleanly:", *failures] if failures else []),
    ]


# ---- memory -------------------------------------------------------------------------------

MEMORY_CHILD = """\
import json, sys, threading, time
import numpy as np
import torch
from aekit import AutoEncoder
from aekit.estimators._blockwise import apply_in_batches
from aekit.data._sources import DEFAULT_CHUNK_ROWS
from aekit.data.readers import open_source

def status():
    fields = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon"):
            fields[key] = int(value.split()[0]) * 1024
    return fields

model, data, method, how = sys.argv[1:5]
est = AutoEncoder.load(model)
X = np.load(data) if how == "in-memory" else np.load(data, mmap_mode="r")
if how == "slice":
    X = X[: X.shape[0]]
before, peak_anon, running = status(), [0], [True]

def sample():
    while running[0]:
        peak_anon[0] = max(peak_anon[0], status()["RssAnon"])
        time.sleep(0.002)

sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
start = time.perf_counter()
if how == "apply_in_batches":
    source = open_source(X)
    fn = getattr(est.module_, "encode" if method == "transform" else "sample_losses")
    with torch.inference_mode():
        out = apply_in_batches(fn, ((s, source.read(s, e)) for s, e in source.chunks(DEFAULT_CHUNK_ROWS)), source.n_rows, 4096)
    if method == "score_samples":
        out = np.negative(out, out=out)
else:
    out = getattr(est, method)(X)
seconds = time.perf_counter() - start
running[0] = False
sampler.join()
after = status()
print(json.dumps({"seconds": seconds, "rss_before": before["VmRSS"], "hwm_before": before["VmHWM"],
                  "anon_before": before["RssAnon"], "peak_rss": after["VmHWM"], "peak_anon": peak_anon[0],
                  "output_bytes": int(out.nbytes), "output_shape": list(out.shape)}))
"""


def _write_data(path: Path, rows: int, features: int) -> None:
    """Low-rank float32 rows plus noise, written chunk by chunk through a memory map."""
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, features))
    rng = np.random.default_rng(0)
    mixing = rng.standard_normal((8, features)).astype(np.float32)
    for start in range(0, rows, 250_000):
        n = min(250_000, rows - start)
        X[start : start + n] = rng.standard_normal((n, 8), dtype=np.float32) @ mixing + rng.standard_normal((n, features), dtype=np.float32) * 0.1
    X.flush()
    del X


def part_memory(rows: int, features: int, in_memory: bool) -> dict:
    cases = [
        ("transform", "estimator"),
        ("score_samples", "estimator"),
        ("score_samples", "slice"),
    ]
    if in_memory:
        cases.append(("transform", "in-memory"))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        data, model = Path(tmp) / "X.npy", Path(tmp) / "model"
        _write_data(data, rows, features)
        AutoEncoder(latent_dim=8, hidden_dims=(32,), max_epochs=3, random_state=0).fit(np.array(np.load(data, mmap_mode="r")[:20_000])).save(model)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        for method, how in cases:
            child = subprocess.run(
                [sys.executable, "-c", MEMORY_CHILD, str(model), str(data), method, how], env=env, capture_output=True, text=True, timeout=1800
            )
            if child.returncode != 0:
                raise RuntimeError(f"{method} ({how}) failed: {child.stderr[-2000:]}")
            result = {"method": method, "how": how, **json.loads(child.stdout.strip().splitlines()[-1])}
            results.append(result)
            print(result, flush=True)
        input_bytes = data.stat().st_size
    return {"rows": rows, "features": features, "input_bytes": input_bytes, "cases": results}


def section_memory(part: dict) -> list[str]:
    mb = 2**20
    labels = {
        "estimator": "`est.{m}(memmap)`",
        "apply_in_batches": "{m} through `aekit.estimators._blockwise.apply_in_batches` (same chunks, one preallocated output)",
        "slice": "`est.{m}(memmap[:n])` (a slice: not streamed, read through the map)",
        "in-memory": "`est.{m}(np.load(path))` (array in memory, for comparison)",
    }
    rows = [["call", "output MB", "RSS before MB", "peak RSS MB (VmHWM)", "peak - before MB", "anonymous growth MB", "seconds"]]
    for c in part["cases"]:
        rows.append(
            [
                labels[c["how"]].format(m=c["method"]),
                f"{c['output_bytes'] / mb:.0f}",
                f"{c['rss_before'] / mb:.0f}",
                f"{c['peak_rss'] / mb:.0f}",
                f"{(c['peak_rss'] - c['rss_before']) / mb:.0f}",
                f"{(c['peak_anon'] - c['anon_before']) / mb:.0f}",
                f"{c['seconds']:.1f}",
            ]
        )
    return [
        "### Memory: transform and score_samples on a memory-mapped file",
        "",
        machine_line(part["machine"]) + " Each call ran in a fresh process with 1 torch thread.",
        "",
        f"```\n.venv/bin/python benchmarks/reliability.py --memory --rows {part['rows']}"
        + (" --in-memory" if any(c["how"] == "in-memory" for c in part["cases"]) else "")
        + "\n```",
        "",
        f"Input: {part['rows']:,} rows x {part['features']} float32 features in a .npy file "
        f"({part['input_bytes'] / mb:.0f} MB) opened with `np.load(path, mmap_mode='r')`; AutoEncoder(latent_dim=8, "
        "hidden_dims=(32,)). *RSS before* is the process after importing aekit and loading the model; *peak RSS* is "
        "the kernel's high-water mark (VmHWM, what `resource.getrusage` reports as ru_maxrss); *anonymous memory "
        "growth* is the largest RssAnon sampled every 2 ms during the call minus RssAnon before it (heap and "
        "buffers, not file pages). The estimator reads the file in chunks of 65,536 rows and writes each batch's "
        "result into one output array allocated once (`aekit.estimators._blockwise.apply_in_batches`); the "
        "slice row is not streamed (only a whole-file memmap or a path is), so the mapped file's pages count in its RSS.",
        "",
        markdown_table(rows),
    ]


# ---- results and the markdown section -----------------------------------------------------

SECTIONS = {"inputs": section_inputs, "faults": section_faults, "files": section_files, "memory": section_memory}


def load_results() -> dict:
    path = RESULTS_DIR / RESULTS
    if not path.exists():
        return {}
    saved = json.loads(path.read_text())
    if "results" in saved:  # the single-part layout of earlier runs
        return {"inputs": {"machine": saved["machine"], "examples_per_estimator": saved["examples_per_estimator"], "results": saved["results"]}}
    return saved


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", action="store_true", help="hostile inputs per estimator (hypothesis)")
    parser.add_argument("--examples", type=int, default=300, help="hypothesis examples per estimator")
    parser.add_argument("--faults", type=int, nargs="?", const=10, metavar="N", help="N random kills (default 10)")
    parser.add_argument("--half-writes", type=int, default=3, metavar="N", help="checkpoint writes killed half-way")
    parser.add_argument("--epochs", type=int, default=40, help="epochs of each training run in --faults")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the training children")
    parser.add_argument("--files", action="store_true", help="hostile files")
    parser.add_argument("--memory", action="store_true", help="peak memory of transform/score_samples")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--in-memory", action="store_true", help="also transform the array loaded into memory")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    everything = not (args.inputs or args.faults or args.files or args.memory)
    torch.set_num_threads(args.threads)
    results = load_results()
    runs = {
        "inputs": (args.inputs or everything, lambda: part_inputs(args.examples)),
        "faults": (bool(args.faults) or everything, lambda: part_faults(args.faults or 10, args.half_writes, args.epochs, args.threads, args.seed)),
        "files": (args.files or everything, part_files),
        "memory": (args.memory or everything, lambda: part_memory(args.rows, args.features, args.in_memory)),
    }
    for name, (wanted, run) in runs.items():
        if wanted:
            results[name] = {"machine": machine_info(), **run()}
            write_json(RESULTS, results)
    render(results)
    return results


def render(results: dict) -> None:
    """Rewrite BENCHMARKS.md's Reliability section from the results of every part run so far."""
    lines = [HEADING, ""]
    for name, section in SECTIONS.items():
        if name in results:
            lines += [*section(results[name]), ""]
    lines.append("Raw numbers: `benchmarks/results/reliability.json`.")
    update_markdown_section(HEADING, "\n".join(lines))


if __name__ == "__main__":
    main()
