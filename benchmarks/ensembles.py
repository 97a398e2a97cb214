"""Where an ensemble's time goes (issue 31, item 1): `AutoEncoderImputer`'s members are stacked
into one batched module, so n members cost the operations of one on n times the rows. This
script separates the two parts of the cost on the imputation benchmark's tables (first
2,000 rows, standardised, 20 % of entries missing at random, the imputer's defaults):

  one member        n_members=1, batch 64 (the defaults' batch)
  m members         n_members=m, batch 64: each step runs m copies of 64 rows
  one member, m x   n_members=1, batch 64 * m: the same rows per step as m members, no stacking

CPU seconds per optimizer step (`time.process_time`, one torch thread), the median of --repeats
alternating rounds, of the autoencoders alone (blend=None: no trees partner). "m members / one member" is the issue's ratio (target <= 1.6 at m = 5);
"m members / one member, m x" is what the stacking itself adds over the arithmetic of m times
the rows, which no batching removes.

A second table times whole fits as a user runs them, `AutoEncoderImputer()` with every default
(the trees partner of blend='auto', shared by all members, and max_epochs='auto') against the same
with n_members=1: CPU seconds of `fit`, median of --repeats alternating rounds.

Usage: PYTHONPATH=src .venv/bin/python benchmarks/ensembles.py [--members 5,10] [--epochs 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
import torch
from common import SHARED_DATA, machine_info, machine_line, markdown_table, update_markdown_section, write_json

from aekit import AutoEncoderImputer

HEADING = "## Batched ensembles: where the time goes (benchmarks/ensembles.py)"
EARLIER = ("Where the float32 products are slower, they are a larger share of a step and the ratio grows: the run of 2026-12-06 "
           "on a 2-core Intel Xeon gave 5 members 2.17x one member (1.80x one member on 5x the rows), whole fits 1.31x.")
TABLES = ("energy", "diabetes", "wine_quality_red", "breast_cancer", "letter", "credit_default", "spam")
MAX_ROWS = 2000
BATCH = 64
MISSING = 0.2


def table(name: str) -> np.ndarray:
    """The first MAX_ROWS rows of a shared tabular set, standardised, MISSING of entries set to NaN."""
    X = np.load(SHARED_DATA / "tabular" / f"{name}.npz", allow_pickle=False)["X"][:MAX_ROWS].astype(np.float64)
    std = X.std(axis=0)
    X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    X[np.random.default_rng(0).random(X.shape) < MISSING] = np.nan
    return X


def cpu_seconds_of_fit(est: AutoEncoderImputer, X: np.ndarray) -> float:
    """CPU seconds of `est.fit(X)`, its warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.process_time()
        est.fit(X)
        return time.process_time() - started


def ms_per_step(X: np.ndarray, members: int, batch: int, epochs: int) -> float:
    est = AutoEncoderImputer(n_members=members, batch_size=batch, max_epochs=epochs, blend=None, n_threads=1, random_state=0)
    return 1e3 * cpu_seconds_of_fit(est, X) / (epochs * math.ceil(len(X) / batch))


def fit_seconds(X: np.ndarray, members: int) -> float:
    """CPU seconds of `AutoEncoderImputer(n_members=members).fit(X)`, every other default kept."""
    return cpu_seconds_of_fit(AutoEncoderImputer(n_members=members, n_threads=1, random_state=0), X)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", default="5,10")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--no-whole-fits", dest="whole_fits", action="store_false", help="skip the whole-fit table")
    args = parser.parse_args()
    torch.set_num_threads(1)
    member_counts = [int(m) for m in args.members.split(",")]
    rows = []
    for name in args.tables.split(","):
        X = table(name)
        setups = {"one member": (1, BATCH)}
        for m in member_counts:
            setups[f"{m} members"] = (m, BATCH)
            setups[f"one member, {m}x rows"] = (1, BATCH * m)
        times: dict[str, list[float]] = {label: [] for label in setups}
        for _ in range(args.repeats):
            for label, (members, batch) in setups.items():
                times[label].append(ms_per_step(X, members, batch, args.epochs))
        whole: dict[str, list[float]] = {"fit, 1 member": [], "fit, 5 members": []}
        for _ in range(args.repeats if args.whole_fits else 0):
            for members in (1, 5):
                whole[f"fit, {members} member{'s' if members > 1 else ''}"].append(fit_seconds(X, members))
        row = {"table": name, "shape": list(X.shape), **{label: float(np.median(v)) for label, v in times.items()},
               **{label: float(np.median(v)) for label, v in whole.items() if v}}
        rows.append(row)
        print(row, flush=True)
    result = {"machine": machine_info(), "epochs": args.epochs, "repeats": args.repeats, "batch": BATCH, "members": member_counts, "rows": rows}
    write_json("ensembles.json", result)
    header = ["table", "rows x columns", "one member ms/step"]
    for m in member_counts:
        header += [f"{m} members ms/step", f"{m} members / one member", f"{m} members / one member on {m}x rows"]
    body = []
    for row in rows:
        line = [row["table"], f"{row['shape'][0]} x {row['shape'][1]}", f"{row['one member']:.3f}"]
        for m in member_counts:
            many, wide = row[f"{m} members"], row[f"one member, {m}x rows"]
            line += [f"{many:.3f}", f"{many / row['one member']:.2f}", f"{many / wide:.2f}"]
        body.append(line)
    medians = []
    for m in member_counts:
        ratio = np.median([r[f"{m} members"] / r["one member"] for r in rows])
        stacking = np.median([r[f"{m} members"] / r[f"one member, {m}x rows"] for r in rows])
        floor = np.median([r[f"one member, {m}x rows"] / r["one member"] for r in rows])
        medians.append(f"{m} members: {ratio:.2f}x one member (median over tables), of which {floor:.2f}x is one member "
                       f"on {m}x the rows and {stacking:.2f}x what the stacking adds to that")
    target = np.median([r["5 members"] / r["one member"] for r in rows]) if 5 in member_counts else None
    verdict = "" if target is None else f" Target (issue 31): 5 members <= 1.6x one member: **{'met' if target <= 1.6 else 'missed'}** ({target:.2f}x)."
    whole = []
    if all("fit, 5 members" in r for r in rows):
        fits = [["table", "fit, 1 member (CPU s)", "fit, 5 members (CPU s)", "5 members / 1 member"]]
        fits += [[r["table"], f"{r['fit, 1 member']:.1f}", f"{r['fit, 5 members']:.1f}", f"{r['fit, 5 members'] / r['fit, 1 member']:.2f}"] for r in rows]
        ratio = np.median([r["fit, 5 members"] / r["fit, 1 member"] for r in rows])
        whole = ["Whole fits as a user runs them: `AutoEncoderImputer()` (every default: the trees partner of blend='auto', which all "
                 f"members share, and max_epochs='auto') against `AutoEncoderImputer(n_members=1)`, CPU seconds of fit, median of {args.repeats} rounds:", "",
                 markdown_table(fits), "",
                 f"Whole fit, 5 members / 1 member: {ratio:.2f}x (median over tables; target <= 1.6x: "
                 f"{'met' if ratio <= 1.6 else 'missed'} for the default imputer, whose shared trees partner is part of both fits; "
                 "the autoencoders alone are the table above).", ""]  # fmt: skip
    section = "\n".join([
        HEADING, "",
        machine_line(result["machine"]) + f" One torch thread, CPU time, median of {args.repeats} alternating rounds, "
        f"{args.epochs} epochs per fit, `AutoEncoderImputer(blend=None)` (the autoencoders alone: d-256-64-256-d denoising autoencoders, batch {BATCH}).", "",
        markdown_table([header, *body]), "",
        "; ".join(medians) + "." + verdict, "",
        *whole,
        "An ensemble of m members makes m times the arithmetic of one (each member sees every row with its own corruption), "
        "so it cannot cost less than one member on m times the rows; the stacked module stays within the last column of that. "
        + EARLIER, "",
    ])  # fmt: skip
    update_markdown_section(HEADING, section)
    print(section)



if __name__ == "__main__":
    main()
