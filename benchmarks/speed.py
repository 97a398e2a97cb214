"""Training speed of `aekit.AutoEncoder.fit` against the tutorial loop and the fp32 roofline.

What is measured, on random 60,000 x 784 float32 data in [0, 1] (`torch.rand`, fixed seed), for the
"standard model" 784-512-256-32-256-512-784 (ReLU hidden, linear code, sigmoid output, MSE, Adam,
batch 256, fp32):

  A  `aekit.AutoEncoder(...).fit(X)`: samples/s of every epoch, from `history_["epoch_seconds"]`
     (the training loop's wall time only; the fit's set-up cost is reported apart).
  B  the tutorial loop: the same layers as a hand-written `nn.Sequential`, `TensorDataset` +
     `DataLoader(shuffle=True)`, default `torch.optim.Adam`, `nn.MSELoss` on sigmoid outputs.
  C  the roofline: the best fp32 matmul rate measured here (square 2048 matmuls, and the model's
     own forward/backward GEMMs at batch 256), divided by 6 x (weight-matrix entries) FLOP per
     training sample (2 for the forward pass, 4 for the backward pass).

Why this shape: the host's speed drifts by up to 2x over tens of seconds, so a bare samples/s is
not comparable between runs. Each window therefore runs C, A, C, B, C (A and B swap places in
every other window), and only ratios within a window are reported: A / roofline
(target: >= 0.70) and A / B. The summary is the median over windows.

Other processes on this 2-core machine distort the numbers badly (oversubscribed OpenMP threads
lose whole scheduler slices at every barrier), so each window records the CPU time used by other
processes meanwhile; the script waits for a quiet machine before a window and repeats a window
that was disturbed (the discarded ones are kept in the JSON).

Usage:  .venv/bin/python benchmarks/speed.py [--windows 8] [--epochs 1] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import aekit
from common import BENCHMARKS_MD, ROOT, machine_info, markdown_table, update_markdown_section, write_json

HEADING = "## Training speed (benchmarks/speed.py)"

N_ROWS, N_FEATURES = 60_000, 784
HIDDEN, LATENT, BATCH = (512, 256), 32, 256
TARGET = 0.70  # AutoEncoder.fit at >= 70 % of the roofline measured in the same run
NOISY_CORES = 0.2  # a window during which other processes used more CPU than this is flagged


# ---- the machine -----------------------------------------------------------------------------


def busy_cpu_seconds() -> float:
    """CPU seconds spent busy by the whole machine since boot (all cores, from /proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


class ForeignLoad:
    """Cores used on average by *other* processes between `start()` and `cores()`."""

    def start(self) -> None:
        self.t0, self.busy0, self.own0 = time.perf_counter(), busy_cpu_seconds(), own_cpu_seconds()

    def cores(self) -> float:
        wall = time.perf_counter() - self.t0
        foreign = (busy_cpu_seconds() - self.busy0) - (own_cpu_seconds() - self.own0)
        return max(foreign, 0.0) / wall


def wait_for_quiet(max_wait: float, probe: float = 1.0) -> float:
    """Sleep until other processes use < NOISY_CORES (or max_wait passes); return the seconds waited."""
    waited, load = 0.0, ForeignLoad()
    while True:
        load.start()
        time.sleep(probe)
        if load.cores() < NOISY_CORES or waited >= max_wait:
            return waited
        waited += probe
        if waited == probe:
            print("  (other processes are busy; waiting for a quiet machine)", flush=True)


# ---- C: the roofline -------------------------------------------------------------------------


def best_seconds(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def square_matmul_gflops(size: int, repeats: int = 5) -> float:
    """Best fp32 GFLOP/s of one size x size matmul."""
    a, b = torch.rand(size, size), torch.rand(size, size)
    a @ b  # warm-up
    return 2 * size**3 / best_seconds(lambda: a @ b, repeats) / 1e9


def model_gemm_gflops(layer_dims: list[tuple[int, int]], batch: int, repeats: int = 5, steps: int = 10) -> float:
    """Best fp32 GFLOP/s of the model's training GEMMs: per layer the forward product, the input
    gradient and the weight gradient, 3 x 2 x batch x in x out FLOP, `steps` times over."""
    xs = [torch.rand(batch, i) for i, _ in layer_dims]
    gs = [torch.rand(batch, o) for _, o in layer_dims]
    ws = [torch.rand(o, i) for i, o in layer_dims]

    def run() -> None:
        for _ in range(steps):
            for x, g, w in zip(xs, gs, ws):
                torch.mm(x, w.t()), torch.mm(g, w), torch.mm(g.t(), x)

    run()  # warm-up
    flop = steps * sum(6 * batch * i * o for i, o in layer_dims)
    return flop / best_seconds(run, repeats) / 1e9


def matmul_probe(layer_dims: list[tuple[int, int]], square: int) -> dict:
    square_rate = square_matmul_gflops(square)
    gemm_rate = model_gemm_gflops(layer_dims, BATCH)
    return {"square_gflops": square_rate, "model_gemm_gflops": gemm_rate, "gflops": max(square_rate, gemm_rate)}


# ---- the standard model ----------------------------------------------------------------------


def layer_dims() -> list[tuple[int, int]]:
    dims = [N_FEATURES, *HIDDEN, LATENT, *HIDDEN[::-1], N_FEATURES]
    return list(zip(dims[:-1], dims[1:]))


def tutorial_model() -> nn.Sequential:
    """784-512-256-32-256-512-784: ReLU after hidden layers, linear code, sigmoid output."""
    layers: list[nn.Module] = []
    pairs = layer_dims()
    for k, (i, o) in enumerate(pairs):
        layers.append(nn.Linear(i, o))
        if k == len(pairs) - 1:
            layers.append(nn.Sigmoid())
        elif o != LATENT:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def weight_entries(model: nn.Module) -> int:
    """Entries of the weight matrices (biases excluded): the multiply-adds per sample and pass."""
    return sum(p.numel() for p in model.parameters() if p.dim() == 2)


# ---- A: aekit.AutoEncoder.fit ----------------------------------------------------------------


def run_aekit(X: torch.Tensor, epochs: int, seed: int) -> dict:
    est = aekit.AutoEncoder(
        latent_dim=LATENT,
        hidden_dims=HIDDEN,
        activation="relu",
        output_activation="sigmoid",
        loss="mse",
        optimizer="adam",
        batch_size=BATCH,
        validation_fraction=0.0,
        max_epochs=epochs,
        random_state=seed,
    )
    start = time.perf_counter()
    est.fit(X.numpy())
    fit_seconds = time.perf_counter() - start
    epoch_seconds = list(est.history_["epoch_seconds"])
    return {"epoch_seconds": epoch_seconds, "outside_epochs_seconds": fit_seconds - sum(epoch_seconds)}


# ---- B: the tutorial loop --------------------------------------------------------------------


def run_tutorial(X: torch.Tensor, epochs: int, seed: int) -> dict:
    torch.manual_seed(seed)
    model = tutorial_model()
    loader = DataLoader(TensorDataset(X), batch_size=BATCH, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    epoch_seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        running = 0.0
        for (xb,) in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), xb)
            loss.backward()
            optimizer.step()
            running += loss.item() * xb.shape[0]
        epoch_seconds.append(time.perf_counter() - start)
    return {"epoch_seconds": epoch_seconds}


# ---- one window: C, A and B (order alternating), a C after each -------------------------------


def samples_per_second(n_rows: int, epoch_seconds: list[float]) -> float:
    return n_rows * len(epoch_seconds) / sum(epoch_seconds)


def run_window(index: int, X: torch.Tensor, epochs: int, flop_per_sample: float, square: int, max_wait: float) -> dict:
    waited = wait_for_quiet(max_wait)
    load = ForeignLoad()
    load.start()
    runs = {"A": lambda: run_aekit(X, epochs, seed=index), "B": lambda: run_tutorial(X, epochs, seed=index)}
    order = "AB" if index % 2 == 0 else "BA"
    probes, results = [matmul_probe(layer_dims(), square)], {}
    for name in order:
        results[name] = runs[name]()
        probes.append(matmul_probe(layer_dims(), square))
    gflops = statistics.mean(p["gflops"] for p in probes)
    roofline = gflops * 1e9 / flop_per_sample
    a = samples_per_second(X.shape[0], results["A"]["epoch_seconds"])
    b = samples_per_second(X.shape[0], results["B"]["epoch_seconds"])
    return {
        "window": index + 1,
        "order": order,
        "probes": probes,
        "gflops": gflops,
        "roofline_sps": roofline,
        "aekit": results["A"] | {"sps": a},
        "tutorial": results["B"] | {"sps": b},
        "a_over_roofline": a / roofline,
        "b_over_roofline": b / roofline,
        "a_over_b": a / b,
        "foreign_cores": load.cores(),
        "waited_seconds": waited,
    }


def warm_up(X: torch.Tensor, square: int) -> None:
    """One small run of everything, so the first window does not pay for first-call costs."""
    small = X[: 8 * BATCH]
    run_aekit(small, 1, seed=0)
    run_tutorial(small, 1, seed=0)
    matmul_probe(layer_dims(), square)


# ---- reporting -------------------------------------------------------------------------------

COLUMNS = [
    ("window", "{}"),
    ("matmul GFLOP/s", "{:.0f}"),
    ("roofline samples/s", "{:,.0f}"),
    ("A aekit samples/s", "{:,.0f}"),
    ("B tutorial samples/s", "{:,.0f}"),
    ("A / roofline", "{:.2f}"),
    ("B / roofline", "{:.2f}"),
    ("A / B", "{:.2f}"),
    ("other procs (cores)", "{:.2f}"),
]


def row_values(w: dict) -> list:
    return [
        w["window"],
        w["gflops"],
        w["roofline_sps"],
        w["aekit"]["sps"],
        w["tutorial"]["sps"],
        w["a_over_roofline"],
        w["b_over_roofline"],
        w["a_over_b"],
        w["foreign_cores"],
    ]


def is_quiet(w: dict) -> bool:
    return w["foreign_cores"] <= NOISY_CORES


def summarize(windows: list[dict]) -> dict:
    """Medians over the quiet windows (over all of them when none was quiet)."""
    used = [w for w in windows if is_quiet(w)] or windows

    def median(get: Callable[[dict], float]) -> float:
        return statistics.median(get(w) for w in used)

    return {
        "windows_used": [w["window"] for w in used],
        "gflops": median(lambda w: w["gflops"]),
        "roofline_sps": median(lambda w: w["roofline_sps"]),
        "aekit_sps": median(lambda w: w["aekit"]["sps"]),
        "tutorial_sps": median(lambda w: w["tutorial"]["sps"]),
        "a_over_roofline": median(lambda w: w["a_over_roofline"]),
        "a_over_roofline_range": [min(w["a_over_roofline"] for w in used), max(w["a_over_roofline"] for w in used)],
        "windows_meeting_target": sum(w["a_over_roofline"] >= TARGET for w in used),
        "b_over_roofline": median(lambda w: w["b_over_roofline"]),
        "a_over_b": median(lambda w: w["a_over_b"]),
        "foreign_cores": median(lambda w: w["foreign_cores"]),
        "aekit_outside_epochs_seconds": median(lambda w: w["aekit"]["outside_epochs_seconds"]),
    }


def table_rows(windows: list[dict], summary: dict) -> list[list[str]]:
    rows = [[fmt.format(v) for (_, fmt), v in zip(COLUMNS, row_values(w))] for w in windows]
    for row, w in zip(rows, windows):
        row[0] += "" if is_quiet(w) else " (noisy)"
    medians = [
        "median",
        summary["gflops"],
        summary["roofline_sps"],
        summary["aekit_sps"],
        summary["tutorial_sps"],
        summary["a_over_roofline"],
        summary["b_over_roofline"],
        summary["a_over_b"],
        summary["foreign_cores"],
    ]
    rows.append([medians[0]] + [fmt.format(v) for (_, fmt), v in zip(COLUMNS[1:], medians[1:])])
    return rows


def text_table(rows: list[list[str]]) -> str:
    header = [name for name, _ in COLUMNS]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.rjust(wd) for c, wd in zip(r, widths)) for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    return "\n".join(lines)


def bold_median(rows: list[list[str]]) -> list[list[str]]:
    return [[f"**{c}**" for c in r] if r[0] == "median" else r for r in rows]


def markdown_section(report: dict, rows: list[list[str]]) -> str:
    m, s, cfg = report["machine"], report["summary"], report["config"]
    verdict = "met" if report["target_met"] else "NOT met"
    noisy = [w["window"] for w in report["windows"] if not is_quiet(w)]
    lines = [
        HEADING,
        "",
        f"Measured {m['date']} on {m['cpu_model']}, {m['nproc']} cores, torch {m['torch']}, "
        f"{m['torch_threads']} threads, with:",
        "",
        "```",
        report["command"],
        "```",
        "",
        f"Standard model 784-512-256-32-256-512-784 (ReLU, linear code, sigmoid output, MSE, Adam, "
        f"batch {BATCH}, fp32) on {cfg['rows']:,} x {N_FEATURES} `torch.rand` data; "
        f"{cfg['epochs_per_window']} epoch(s) of A and of B per window. A = `aekit.AutoEncoder.fit` "
        f"(from `history_['epoch_seconds']`), B = the tutorial loop (`TensorDataset` + "
        f"`DataLoader(shuffle=True)`, default Adam), roofline = best fp32 matmul GFLOP/s "
        f"(mean of the probes before, between and after A and B) / (6 x {cfg['weights']:,} weights) FLOP per sample. "
        "Only ratios within a window are comparable: the host's speed drifts.",
        "",
        markdown_table([[name for name, _ in COLUMNS], *bold_median(rows)]),
        "",
        f"Target A / roofline >= {TARGET:.2f}: **{verdict}** (median {s['a_over_roofline']:.3f}; windows "
        f"{s['a_over_roofline_range'][0]:.3f} to {s['a_over_roofline_range'][1]:.3f}, "
        f"{s['windows_meeting_target']} of {len(s['windows_used'])} at or above the target). "
        f"A / B (aekit vs the tutorial loop): median {s['a_over_b']:.2f}. "
        f"`fit` time outside the epochs (input checks, copy to a tensor): median {s['aekit_outside_epochs_seconds']:.2f} s.",
    ]
    if report["discarded_noisy_windows"]:
        n = len(report["discarded_noisy_windows"])
        lines += ["", f"{n} window(s) disturbed by other processes were repeated (kept in the JSON, not in the table)."]
    if noisy and len(noisy) < len(report["windows"]):
        lines += ["", f"Windows {noisy} ran while other processes used > {NOISY_CORES} cores; the medians leave them out."]
    elif noisy:
        lines += ["", f"**Every window ran while other processes used > {NOISY_CORES} cores: these numbers are unreliable.**"]
    lines += ["", "Raw numbers: `benchmarks/results/speed.json`.", ""]
    return "\n".join(lines)


# ---- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=8, help="interleaved measurement windows (default 8)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs of A and of B per window (default 1)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--max-wait", type=float, default=60.0, help="seconds to wait for a quiet machine per window")
    parser.add_argument("--retries", type=int, default=3, help="repeats of a window disturbed by other processes")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 4,096 rows, 1 window, 1 epoch; leaves BENCHMARKS.md alone"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    rows, windows, epochs = (4096, 1, 1) if args.quick else (N_ROWS, args.windows, args.epochs)
    square = 512 if args.quick else 2048
    flop_per_sample = 6 * weight_entries(tutorial_model())

    torch.manual_seed(0)
    X = torch.rand(N_ROWS, N_FEATURES)[:rows]  # the 60,000 x 784 data set
    machine = machine_info()
    print(f"{machine['cpu_model']}, {machine['nproc']} cores, torch {machine['torch']}, {machine['torch_threads']} threads")
    print(f"data {rows:,} x {N_FEATURES}; {flop_per_sample / 1e6:.2f} MFLOP per training sample; {windows} window(s)")
    warm_up(X, square)

    results: list[dict] = []
    discarded: list[dict] = []
    for index in range(windows):
        for attempt in range(args.retries + 1):
            w = run_window(index, X, epochs, flop_per_sample, square, args.max_wait)
            noisy = not is_quiet(w)
            print(
                f"window {w['window']} ({w['order']}): roofline {w['roofline_sps']:,.0f}/s  A {w['aekit']['sps']:,.0f}/s  "
                f"B {w['tutorial']['sps']:,.0f}/s  A/roof {w['a_over_roofline']:.2f}  A/B {w['a_over_b']:.2f}  "
                f"other procs {w['foreign_cores']:.2f} cores" + ("  -> noisy, repeated" if noisy and attempt < args.retries else ""),
                flush=True,
            )
            if not noisy or attempt == args.retries:
                break
            discarded.append(w)
        results.append(w)

    summary = summarize(results)
    interpreter = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else "python"
    report = {
        "date": machine["date"],
        "command": " ".join([interpreter, "benchmarks/speed.py", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine,
        "config": {
            "rows": rows,
            "features": N_FEATURES,
            "layers": layer_dims(),
            "batch_size": BATCH,
            "epochs_per_window": epochs,
            "windows": windows,
            "weights": flop_per_sample // 6,
            "flop_per_sample": flop_per_sample,
            "square_matmul_size": square,
            "quick": args.quick,
        },
        "windows": results,
        "discarded_noisy_windows": discarded,
        "summary": summary,
        "target": {"a_over_roofline": TARGET},
        "target_met": summary["a_over_roofline"] >= TARGET,
    }
    rows_ = table_rows(results, summary)
    print()
    print(text_table(rows_))
    print(
        f"\ntarget A/roofline >= {TARGET:.2f}: {'met' if report['target_met'] else 'NOT met'} "
        f"(median {summary['a_over_roofline']:.3f}, {summary['windows_meeting_target']} of "
        f"{len(summary['windows_used'])} windows); A/B median {summary['a_over_b']:.2f}"
    )

    json_path = write_json("speed-quick.json" if args.quick else "speed.json", report)
    print(f"wrote {json_path.relative_to(ROOT)}")
    if not args.quick:
        update_markdown_section(HEADING, markdown_section(report, rows_))
        print(f"updated {BENCHMARKS_MD.relative_to(ROOT)}")
    return report


if __name__ == "__main__":
    main()
