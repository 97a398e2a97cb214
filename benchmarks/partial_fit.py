"""What `partial_fit` costs beyond its optimizer steps: the standard model (784-512-256-32,
`AutoEncoder(hidden_dims=(512, 256), latent_dim=32)`) fed 256-row pieces of random pixels, one
`partial_fit` per piece, against the same steps in a plain PyTorch loop (a copy of the fitted
module, the same (fused) Adam as aekit's, the batch size `partial_fit` chose, nothing around it) on the same
pieces. CPU time per piece (`time.process_time`, one torch thread), the median of --rounds
alternating rounds of --pieces pieces each.

The difference is the estimator's work per call: validating the piece, the divergence guard's
copy of the weights and optimizer state (which lets a diverged call leave the model as it was),
the history and the fitted attributes.

Usage: PYTHONPATH=src .venv/bin/python benchmarks/partial_fit.py [--pieces 20] [--rounds 5]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time

import numpy as np
import torch
from common import RESULTS_DIR, machine_info, machine_line, markdown_table, update_markdown_section, write_json

from aekit import AutoEncoder
from aekit.training import make_optimizer

HEADING = "## The cost of partial_fit (benchmarks/partial_fit.py)"
PIECE = 256
EARLIER = (  # measured by hand: this script run with PYTHONPATH at the commit before, alternating with the runs after it
    "\nBefore the divergence guard reused its copy buffers (commit f82b872, the same host, runs alternated with this "
    "commit's): partial_fit 54.4 and 50.2 ms against a plain loop of 30.8 and 31.6 ms (1.76x, 1.59x); this commit's two "
    "runs: 47.0 and 47.1 ms against 32.1 and 31.7 ms (1.46x, 1.49x). partial_fit's rounds spread widely (35-72 ms) where "
    "the plain loop's stay within 30-35 ms.\n"
)


def plain_steps(module: torch.nn.Module, optimizer: torch.optim.Optimizer, piece: torch.Tensor, batch_size: int) -> None:
    """One epoch of optimizer steps over `piece`, (PIECE, 784), in order."""
    for start in range(0, piece.shape[0], batch_size):
        loss = module.sample_losses(piece[start : start + batch_size]).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pieces", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--report", action="store_true", help="only rewrite the BENCHMARKS.md section from results/partial_fit.json")
    args = parser.parse_args()
    if args.report:
        return report(json.loads((RESULTS_DIR / "partial_fit.json").read_text()))
    torch.set_num_threads(1)
    X = np.random.default_rng(0).random((PIECE * (args.pieces + 1), 784), dtype=np.float32)
    pieces = [X[PIECE * (i + 1) : PIECE * (i + 2)] for i in range(args.pieces)]
    est = AutoEncoder(hidden_dims=(512, 256), latent_dim=32, n_threads=1, random_state=0).partial_fit(X[:PIECE])
    batch_size = est.history_["settings"]["batch_size"]
    module = copy.deepcopy(est.module_).train()
    optimizer = make_optimizer(module.parameters(), "adam", est.history_["settings"]["learning_rate"])
    plain_steps(module, optimizer, torch.from_numpy(X[:PIECE]), batch_size)
    tensors = [torch.from_numpy(p) for p in pieces]
    times: dict[str, list[float]] = {"partial_fit": [], "plain loop": []}
    for _ in range(args.rounds):
        start = time.process_time()
        for piece in pieces:
            est.partial_fit(piece)
        times["partial_fit"].append((time.process_time() - start) / args.pieces * 1000)
        start = time.process_time()
        for piece in tensors:
            plain_steps(module, optimizer, piece, batch_size)
        times["plain loop"].append((time.process_time() - start) / args.pieces * 1000)
    medians = {k: statistics.median(v) for k, v in times.items()}
    result = {"machine": machine_info(), "piece_rows": PIECE, "batch_size": batch_size, "pieces": args.pieces,
              "rounds": args.rounds, "ms_per_piece": times, "median_ms": medians,
              "ratio": medians["partial_fit"] / medians["plain loop"]}  # fmt: skip
    write_json("partial_fit.json", result)
    report(result)


def report(result: dict) -> None:
    """Write the BENCHMARKS.md section of `result` (as main writes it to partial_fit.json) and print it."""
    times, medians = result["ms_per_piece"], result["median_ms"]
    rows = [["loop", "CPU ms per 256-row piece (median)", "rounds"]]
    rows += [[k, f"{medians[k]:.1f}", ", ".join(f"{t:.1f}" for t in times[k])] for k in times]
    section = (
        f"{HEADING}\n\n" + machine_line(result["machine"]) + f" One torch thread, CPU time; {result['pieces']} pieces of "
        f"{result['piece_rows']} random rows per round, batch {result['batch_size']}, {result['rounds']} alternating rounds. "
        "Command: `PYTHONPATH=src .venv/bin/python benchmarks/partial_fit.py`.\n\n" + markdown_table(rows)
        + f"\n\npartial_fit / plain loop: **{result['ratio']:.2f}x** (the estimator's work per call beyond its optimizer "
        "steps).\n" + EARLIER
    )  # fmt: skip
    update_markdown_section(HEADING, section)
    print(section)


if __name__ == "__main__":
    main()
