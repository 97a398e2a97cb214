"""Issue 8's figures, each beside its baseline in the same run:

  batch     AutoEncoder.fit samples/s at batch 64, 256, 1024 as a fraction of the fp32 roofline
            measured in the same window: the best of a square matmul and the model's own GEMMs
            at that batch, divided by the training FLOP per sample. The roofline of the issue
            and of ../shared/PERFORMANCE.md counts 6 x weight-matrix entries per sample (2 for
            the forward pass, 4 for the backward pass); the verdict (target >= 0.75 at 256 and
            1024) is on it. `torch.utils.flop_counter` counts fewer, about 5.3 x, because the
            first layer computes no input gradient; the fraction on that count is shown
            beside it. In each window the same network also trains in the shortest plain
            PyTorch loop (nn.Sequential, fused Adam), to show what aekit's loop costs on top
            of PyTorch. The convolutional AE on 28x28 images gets a fraction of its roofline too (from its own
            FLOP count; convolutions reach a lower matmul rate than GEMMs, so this is a
            demanding yardstick).
  precision fp32 vs precision='bf16-mixed' on MNIST (60,000 x 784): samples/s and the final
            training loss after the same epochs. Target: >= 1.5x faster, final loss within 2 %.
  ddp       1 process (2 torch threads) vs `torchrun --nproc-per-node 2` (1 thread each), same
            global batch and data, samples/s.
  inference `transform` samples/s at batch 4096 vs `PCA(32).transform`. Target >= 100,000/s.

Training speeds are steady-state: samples/s over the epochs after the first, which pays one-time
costs (in one trial at batch 1024 the first epoch ran about 20 % slower than the next two); the
first epoch's figure is kept in the JSON. Timing is only meaningful on a quiet machine (see
speed.py); each window reports its ratios. Every run's medians are appended to
results/scale-runs.json, and BENCHMARKS.md lists them all with how many runs met each target,
since one run's verdict at these margins depends on the host's mood.

Usage:  .venv/bin/python benchmarks/scale.py [--quick] [--windows 5] [--report-only] [--note TEXT]
                                             [--parts batch,precision,ddp,inference]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

import aekit
from aekit.training._denormals import flushed_denormals
from common import RESULTS_DIR, SHARED_DATA, machine_info, machine_line, markdown_table, update_markdown_section, write_json
from speed import ForeignLoad, model_gemm_gflops, square_matmul_gflops, tutorial_model, wait_for_quiet

HEADING = "## Scale: batch sizes, bf16, DDP, inference (benchmarks/scale.py)"
HIDDEN, LATENT = (512, 256), 32
PARTS = ("batch", "precision", "ddp", "inference")


def mnist_or_random(n: int) -> tuple[np.ndarray, str]:
    """MNIST training images in [0, 1] (first n rows) from ../shared/data, else random data."""
    try:
        from aekit.data.datasets import load_mnist

        data = load_mnist("train", data_home=SHARED_DATA if SHARED_DATA.exists() else None)
        return np.ascontiguousarray(data.X[:n], dtype=np.float32), "MNIST train"
    except Exception as err:  # noqa: BLE001 - fall back to random data, and say so
        print(f"  (MNIST not available: {err}; using random data)")
        return np.random.default_rng(0).random((n, 784), dtype=np.float32), "random [0,1)"


def standard(batch: int, epochs: int, **kw) -> aekit.AutoEncoder:
    return aekit.AutoEncoder(
        latent_dim=LATENT, hidden_dims=HIDDEN, output_activation="sigmoid", batch_size=batch,
        validation_fraction=0.0, max_epochs=epochs, random_state=0, **kw,
    )  # fmt: skip


def train_flop_per_sample(est, X: np.ndarray, batch: int) -> float:
    """FLOP of one training step (forward + backward) per sample, counted by torch."""
    probe = est.set_params(max_epochs=1).fit(X[:batch])
    module = probe.module_.train()
    x = torch.from_numpy(np.ascontiguousarray(X[:batch])).reshape(batch, -1)
    with FlopCounterMode(display=False) as counter:
        module(x).loss.backward()
    return counter.get_total_flops() / batch


def nominal_flop_per_sample(est) -> float:
    """6 x the weight-matrix entries: the training FLOP per sample of the issue's roofline."""
    return 6.0 * sum(p.numel() for p in est.module_.parameters() if p.dim() == 2)


def rate(est, X: np.ndarray) -> float:
    """Steady-state training samples/s of `est` on X: its epochs after the first, which pays
    one-time costs (allocator growth, oneDNN primitives, first touch of the optimizer state).
    `first_epoch_rate` keeps that first epoch's figure."""
    est.fit(X)
    seconds = est.history_["epoch_seconds"]
    if len(seconds) < 2:
        raise ValueError("rate needs at least 2 epochs: the first is warm-up")
    return X.shape[0] * (len(seconds) - 1) / sum(seconds[1:])


def first_epoch_rate(est, X: np.ndarray) -> float:
    return X.shape[0] / est.history_["epoch_seconds"][0]


def plain_loop_rate(X: np.ndarray, batch: int, epochs: int = 2) -> float:
    """Steady-state samples/s of the shortest PyTorch loop for the same network (speed.py's
    nn.Sequential, fused Adam, MSE, one tensor indexed by a permutation, denormals flushed like
    aekit's loop): the yardstick for what aekit's loop adds on top of PyTorch."""
    net = tutorial_model()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True)
    data = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    generator = torch.Generator().manual_seed(0)
    seconds = []
    with flushed_denormals(torch.device("cpu")):
        for _ in range(epochs):
            order = torch.randperm(len(data), generator=generator)
            start = time.perf_counter()
            for i in range(0, len(data), batch):
                x = data[order[i : i + batch]]
                torch.nn.functional.mse_loss(net(x), x).backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            seconds.append(time.perf_counter() - start)
    return len(data) * (epochs - 1) / sum(seconds[1:])


def roofline_gflops(est, batch: int) -> tuple[float, float]:
    """(roofline, the model's GEMMs alone) in GFLOP/s: the roofline is the better of a square
    1024 matmul and the model's own training GEMMs at `batch`; the second is the ceiling a
    training step could reach if everything but its matrix products took no time."""
    dims = [(m.in_features, m.out_features) for m in est.module_.modules() if isinstance(m, torch.nn.Linear)]
    gemm = model_gemm_gflops(dims, batch) if dims else 0.0
    return max(square_matmul_gflops(1024), gemm), gemm


def part_batch(X: np.ndarray, windows: int, max_wait: float) -> list[dict]:
    rows = []
    for batch in (64, 256, 1024):
        probe = standard(batch, 1)
        counted = train_flop_per_sample(probe, X, batch)
        flop = nominal_flop_per_sample(probe)
        for w in range(windows):
            wait_for_quiet(max_wait)
            load = ForeignLoad()
            load.start()
            est = standard(batch, 2)
            samples = rate(est, X)
            plain = plain_loop_rate(X, batch)
            peak, gemm = roofline_gflops(est, batch)
            rows.append({"model": "MLP 784-512-256-32", "batch": batch, "window": w, "samples_per_s": samples,
                         "first_epoch_samples_per_s": first_epoch_rate(est, X),
                         "roofline_samples_per_s": peak * 1e9 / flop, "fraction": samples * flop / (peak * 1e9),
                         "fraction_counted_flop": samples * counted / (peak * 1e9), "gemm_ceiling": gemm / peak,
                         "plain_loop_samples_per_s": plain, "plain_loop_fraction": plain * flop / (peak * 1e9),
                         "flop_per_sample": flop, "counted_flop_per_sample": counted, "foreign_cores": load.cores()})  # fmt: skip
            print(f"  MLP batch {batch} window {w}: {samples:,.0f}/s = {rows[-1]['fraction']:.2f} of roofline "
                  f"({rows[-1]['fraction_counted_flop']:.2f} on counted FLOP; its GEMMs alone: {gemm / peak:.2f}; "
                  f"plain PyTorch loop: {rows[-1]['plain_loop_fraction']:.2f})", flush=True)
    try:
        from aekit.estimators.conv import ConvAutoEncoder
    except ImportError:
        return rows
    images = X[:20_000].reshape(-1, 1, 28, 28)
    conv = lambda: ConvAutoEncoder(latent_dim=16, batch_size=256, max_epochs=2, validation_fraction=0.0, random_state=0)  # noqa: E731
    flop = train_flop_per_sample(conv(), images, 256)
    for w in range(windows):
        wait_for_quiet(max_wait)
        est = conv()
        samples = rate(est, images)
        peak = square_matmul_gflops(1024)
        rows.append({"model": "ConvAutoEncoder 28x28", "batch": 256, "window": w, "samples_per_s": samples,
                     "roofline_samples_per_s": peak * 1e9 / flop, "fraction": samples * flop / (peak * 1e9),
                     "flop_per_sample": flop})  # fmt: skip
        print(f"  conv window {w}: {samples:,.0f}/s = {rows[-1]['fraction']:.2f} of roofline", flush=True)
    return rows


def part_precision(X: np.ndarray, epochs: int, windows: int, max_wait: float) -> list[dict]:
    rows = []
    for w in range(windows):
        result = {"window": w}
        for precision in ("32", "bf16-mixed") if w % 2 == 0 else ("bf16-mixed", "32"):
            wait_for_quiet(max_wait)
            est = standard(256, epochs, precision=precision)
            result[precision] = {"samples_per_s": rate(est, X), "final_loss": est.history_["loss"][-1]}
        result["speedup"] = result["bf16-mixed"]["samples_per_s"] / result["32"]["samples_per_s"]
        result["loss_ratio"] = result["bf16-mixed"]["final_loss"] / result["32"]["final_loss"]
        print(f"  precision window {w}: bf16 {result['speedup']:.2f}x, loss ratio {result['loss_ratio']:.4f}", flush=True)
        rows.append(result)
    return rows


DDP_SCRIPT = """
import json, sys, numpy as np
from aekit import AutoEncoder
from aekit.training import distributed
distributed.init_from_env("cpu")
X = np.load(sys.argv[1])
ae = AutoEncoder(latent_dim=32, hidden_dims=(512, 256), output_activation="sigmoid", batch_size=256,
                 validation_fraction=0.0, max_epochs=int(sys.argv[2]), random_state=0).fit(X)
if distributed.is_main():
    print(json.dumps({"epoch_seconds": ae.history_["epoch_seconds"], "loss": ae.history_["loss"]}))
"""


def part_ddp(X: np.ndarray, epochs: int, windows: int, max_wait: float) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "X.npy", X)
        script = Path(tmp) / "fit.py"
        script.write_text(textwrap.dedent(DDP_SCRIPT))
        base = [str(script), str(Path(tmp) / "X.npy"), str(epochs)]
        commands = {
            "1 process x 2 threads": ({"OMP_NUM_THREADS": "2"}, [sys.executable, *base]),
            "2 processes x 1 thread": ({"OMP_NUM_THREADS": "1"}, [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", *base]),
        }  # fmt: skip
        for w in range(windows):
            result = {"window": w}
            for name, (env, command) in commands.items():
                wait_for_quiet(max_wait)
                out = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, check=True)
                history = json.loads(out.stdout.strip().splitlines()[-1])
                result[name] = {"samples_per_s": X.shape[0] * epochs / sum(history["epoch_seconds"]), "final_loss": history["loss"][-1]}
            result["ratio"] = result["2 processes x 1 thread"]["samples_per_s"] / result["1 process x 2 threads"]["samples_per_s"]
            print(f"  ddp window {w}: 2 processes / 1 process = {result['ratio']:.2f}", flush=True)
            rows.append(result)
    return rows


def part_inference(X: np.ndarray, windows: int, max_wait: float) -> list[dict]:
    from sklearn.decomposition import PCA

    est = standard(256, 1).fit(X)
    pca = PCA(LATENT, random_state=0).fit(X)
    rows = []
    for w in range(windows):
        wait_for_quiet(max_wait)
        timings = {}
        for name, fn in (("aekit transform", est.transform), ("PCA.transform", pca.transform)):
            fn(X[:4096])
            start = time.perf_counter()
            fn(X)
            timings[name] = X.shape[0] / (time.perf_counter() - start)
        rows.append({"window": w, **timings, "ratio": timings["aekit transform"] / timings["PCA.transform"]})
        print(f"  inference window {w}: {timings['aekit transform']:,.0f}/s vs PCA {timings['PCA.transform']:,.0f}/s", flush=True)
    return rows


def batch_budget(report: dict, batch: int = 256, target: float = 0.75) -> str:
    """What the target leaves for everything but the matrix products at `batch`, from this
    run's medians: with the GEMMs alone at g of the roofline and the whole step at f, the rest
    takes g / f - 1 of the GEMM time, and the target allows g / target - 1."""
    sel = [r for r in report.get("batch", []) if r["model"].startswith("MLP") and r["batch"] == batch and "gemm_ceiling" in r and "plain_loop_fraction" in r]
    if not sel:
        return ""
    g, f, plain = med(r["gemm_ceiling"] for r in sel), med(r["fraction"] for r in sel), med(r["plain_loop_fraction"] for r in sel)
    return (f" In this run's medians at batch {batch} the GEMMs alone reach {g:.2f} of the roofline, so {target} leaves "
            f"the rest of a step {max(g / target - 1, 0):.0%} of the GEMM time; it took {g / f - 1:.0%} in aekit's loop "
            f"and {g / plain - 1:.0%} in the plain loop.")


def med(values) -> float:
    return float(statistics.median(values))


TARGETS = {"batch 256": 0.75, "batch 1024": 0.75, "bf16 speedup": 1.5, "transform": 100_000}


def medians(report: dict) -> dict[str, float]:
    """The run's figures, each the median over its windows: 'batch B' (MLP fraction of the
    roofline), 'conv', 'bf16 speedup', 'bf16 loss ratio', 'ddp', 'transform' (samples/s)."""
    out: dict[str, float] = {}
    for r in report.get("batch", []):
        key = f"batch {r['batch']}" if r["model"].startswith("MLP") else "conv"
        if key not in out:
            out[key] = med(s["fraction"] for s in report["batch"] if s["model"] == r["model"] and s["batch"] == r["batch"])
    if report.get("precision"):
        out["bf16 speedup"] = med(r["speedup"] for r in report["precision"])
        out["bf16 loss ratio"] = med(r["loss_ratio"] for r in report["precision"])
    if report.get("ddp"):
        out["ddp"] = med(r["ratio"] for r in report["ddp"])
    if report.get("inference"):
        out["transform"] = med(r["aekit transform"] for r in report["inference"])
    return out


def summarize(report: dict) -> tuple[str, list[list[str]]]:
    rows = [["figure", "measured (median of windows)", "baseline / target", "met?"]]
    figures = medians(report)
    batch = report.get("batch", [])
    for model in dict.fromkeys(r["model"] for r in batch):
        for b in sorted({r["batch"] for r in batch if r["model"] == model}):
            sel = [r for r in batch if r["model"] == model and r["batch"] == b]
            frac = med(r["fraction"] for r in sel)
            target = TARGETS.get(f"batch {b}") if model.startswith("MLP") else None
            ceiling = f"; the model's GEMMs alone {med(r['gemm_ceiling'] for r in sel):.2f}" if all("gemm_ceiling" in r for r in sel) else ""
            if all("plain_loop_fraction" in r for r in sel):
                ceiling += (f"; a plain PyTorch loop {med(r['plain_loop_fraction'] for r in sel):.3f} "
                            f"(aekit / plain {med(r['samples_per_s'] / r['plain_loop_samples_per_s'] for r in sel):.2f}x)")
            counted = (f" ({med(r['fraction_counted_flop'] for r in sel):.2f} on counted FLOP)"
                       if all("fraction_counted_flop" in r for r in sel) else "")
            rows.append([f"{model} fit, batch {b}", f"{med(r['samples_per_s'] for r in sel):,.0f} samples/s = {frac:.3f} of roofline{counted}",
                         f"roofline {med(r['roofline_samples_per_s'] for r in sel):,.0f}/s{ceiling}" + (f"; target >= {target}" if target else ""),
                         ("yes" if frac >= target else "**no**") if target else "-"])  # fmt: skip
    if "bf16 speedup" in figures:
        speed, loss = figures["bf16 speedup"], figures["bf16 loss ratio"]
        rows.append(["bf16-mixed vs fp32 fit speed (batch 256)", f"{speed:.2f}x", "target >= 1.5x", "yes" if speed >= 1.5 else "**no**"])
        rows.append(["bf16-mixed / fp32 final loss", f"{loss:.4f}", "target within 2 %", "yes" if abs(loss - 1) <= 0.02 else "**no**"])
    if "ddp" in figures:
        rows.append(["2 DDP processes x 1 thread vs 1 process x 2 threads", f"{figures['ddp']:.2f}x samples/s", "1.0 = no change", "-"])
    if "transform" in figures:
        ours = figures["transform"]
        rows.append(["transform at batch 4096", f"{ours:,.0f} samples/s", f"PCA.transform {med(r['PCA.transform'] for r in report['inference']):,.0f}/s; target >= 100,000/s",
                     "yes" if ours >= 100_000 else "**no**"])  # fmt: skip
    return markdown_table(rows), rows


RUNS_FILE = "scale-runs.json"
RUN_COLUMNS = ("batch 64", "batch 256", "batch 1024", "conv", "bf16 speedup", "bf16 loss ratio", "ddp", "transform")


def record_run(report: dict, windows: int, note: str) -> list[dict]:
    """Append the medians of this run's parts (`report` holds only the parts it measured) to
    results/scale-runs.json, which keeps every run, and return the log."""
    path = RESULTS_DIR / RUNS_FILE
    runs = json.loads(path.read_text()) if path.exists() else []
    runs.append({"date": report["machine"]["date"], "cpu_model": report["machine"]["cpu_model"], "windows": windows,
                 "figures": medians(report), "note": note})
    write_json(RUNS_FILE, runs)
    return runs


def runs_markdown(runs: list[dict]) -> str:
    """Every recorded run as a table, and how many of them met each target."""
    rows = [["run", "windows", *RUN_COLUMNS, "note"]]
    for run in runs:
        f = run["figures"]
        cells = [f"{f[c]:,.0f}" if c == "transform" and c in f else (f"{f[c]:.3f}" if c in f else "-") for c in RUN_COLUMNS]
        rows.append([run["date"][:16].replace("T", " "), str(run["windows"]), *cells, run.get("note", "")])
    counts = []
    for key, target in TARGETS.items():
        values = [r["figures"][key] for r in runs if key in r["figures"]]
        counts.append(f"{key} met its target ({target:,}) in {sum(v >= target for v in values)} of {len(values)}")
    return markdown_table(rows) + "\n\nOf these runs: " + "; ".join(counts) + "."


def markdown(report: dict, runs: list[dict]) -> str:
    """The BENCHMARKS.md section of a report."""
    table, _ = summarize(report)
    counts = {part: max((r["window"] + 1 for r in report[part]), default=0) for part in PARTS if report.get(part)}
    windows = max(counts.values(), default=0)
    window_text = f"{windows} windows" if len(set(counts.values())) <= 1 else "windows " + ", ".join(f"{k} {v}" for k, v in counts.items())
    return (
        f"{HEADING}\n\n{machine_line(report['machine'])} Data: {report['data']}, {report['n_rows']:,} rows; {window_text}; "
        f"precision and DDP parts train {report['epochs']} epochs. Training samples/s are steady-state: the "
        "epochs after the first (the DDP part: all epochs, both sides alike). Roofline = the window's best fp32 matmul "
        "rate (square 1024 matmul or the model's own GEMMs at that batch) / the training FLOP per sample, 6 x the "
        "weight-matrix entries as in the issue and ../shared/PERFORMANCE.md (the verdict); in brackets the "
        "fraction on the FLOP that `torch.utils.flop_counter` counts (the first layer computes no input "
        "gradient, so about 5.3x the weights: a stricter yardstick). The conv AE's roofline uses its counted "
        f"FLOP. Reproduce: `.venv/bin/python benchmarks/scale.py --windows {windows}`.\n\n"
        + ("Parts measured at different times: " + "; ".join(f"{k} {v[:16]}" for k, v in report["measured"].items()) + ".\n\n"
           if "measured" in report else "")
        + f"{table}\n\n"
        "The verdicts at these margins change from run to run on this host (its speed drifts by up to 2x; within "
        "a run the roofline is re-measured in each window, but not every disturbance cancels). Every run of this "
        f"script, medians of its windows (from `benchmarks/results/{RUNS_FILE}`):\n\n"
        + runs_markdown(runs) + "\n\n"
        "Batch 256: the same network in the shortest plain PyTorch loop (nn.Sequential, fused Adam, the same "
        "data path, run beside aekit in each window since 11:16) misses 0.75 as well, so the shortfall lies in "
        "eager PyTorch on this host rather than in aekit's loop. In one torch.profiler trace of 96 fp32 steps at "
        "batch 256 (2026-11-30) the matrix products took 68 % of the CPU time and the fused Adam update 11 % (it "
        "streams the 1.1 M weights, their gradients and both moment buffers through memory every step); the rest "
        "went to the small element-wise, copy and reduction operations between them (ReLU and its gradient, bias "
        "broadcasts and bias-gradient sums, the loss, the batch gather), each with a fixed cost. At batch 1024 the "
        "products take a larger share." + batch_budget(report) + "\n\n"
        "Denormal floats: before 09:59 the steady-state epochs at batch 64 ran slower than the first (about 7,500 "
        "against 11,400 samples/s at 09:33), because Adam's first moments of weights whose gradient is mostly zero "
        "decay through the denormal range (4 % of them were denormal after 1,500 steps) and x86 cores compute on "
        "denormals slowly. Training now flushes them to zero on each of torch's threads (`aekit/_denormals.py`).\n"
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one window, no BENCHMARKS.md update")
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3, help="epochs for the precision and DDP parts")
    parser.add_argument("--parts", default=",".join(PARTS), help="a subset keeps the other parts of results/scale.json")
    parser.add_argument("--max-wait", type=float, default=60.0, help="seconds to wait for a quiet machine")
    parser.add_argument("--report-only", action="store_true", help="rewrite BENCHMARKS.md from results/scale.json")
    parser.add_argument("--note", default="", help="a word on this run for the table of runs")
    args = parser.parse_args(argv)
    if args.report_only:
        report = json.loads((RESULTS_DIR / "scale.json").read_text())
        update_markdown_section(HEADING, markdown(report, json.loads((RESULTS_DIR / RUNS_FILE).read_text())))
        return report
    torch.set_num_threads(2)
    n = 4096 if args.quick else 60_000
    windows, epochs = (1, 2) if args.quick else (args.windows, args.epochs)
    X, data_name = mnist_or_random(n)
    parts = args.parts.split(",")
    report: dict = {"machine": machine_info(), "data": data_name, "n_rows": n, "epochs": epochs}
    if "batch" in parts:
        report["batch"] = part_batch(X, windows, args.max_wait)
    if "precision" in parts:
        report["precision"] = part_precision(X, epochs, windows, args.max_wait)
    if "ddp" in parts:
        report["ddp"] = part_ddp(X, epochs, windows, args.max_wait)
    if "inference" in parts:
        report["inference"] = part_inference(X, windows, args.max_wait)
    measured = {p: report[p] for p in parts if p in report}
    previous = RESULTS_DIR / "scale.json"
    if not args.quick and set(parts) != set(PARTS) and previous.exists():
        old = json.loads(previous.read_text())
        kept = {k: v for k, v in old.items() if k in PARTS and k not in parts}
        dates = {k: old.get("measured", {}).get(k, old["machine"]["date"]) for k in kept}
        report = {**report, **kept, "measured": {**dates, **{k: report["machine"]["date"] for k in parts}}}
    print(summarize(report)[0])
    if not args.quick:
        write_json("scale.json", report)
        runs = record_run({"machine": report["machine"], **measured}, windows, args.note)
        update_markdown_section(HEADING, markdown(report, runs))
    return report


if __name__ == "__main__":
    main()
