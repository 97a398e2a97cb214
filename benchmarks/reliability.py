"""Reliability figures: hostile inputs tried per estimator (hypothesis), with how many worked and
how many were refused cleanly; any misbehaviour is counted and printed, not hidden.

Usage: .venv/bin/python benchmarks/reliability.py [--examples 300]
"""

from __future__ import annotations

import argparse
import collections
import time

from hypothesis import HealthCheck, given, settings

from aekit import (
    AutoEncoder,
    ContractiveAutoEncoder,
    DenoisingAutoEncoder,
    LinearAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)
from aekit.input_checks import hostile_inputs, outcome
from common import machine_info, machine_line, markdown_table, update_markdown_section, write_json

HEADING = "## Reliability: hostile inputs (benchmarks/reliability.py)"
ESTIMATORS = [AutoEncoder, ContractiveAutoEncoder, DenoisingAutoEncoder, LinearAutoEncoder, SparseAutoEncoder, VariationalAutoEncoder]


def run(cls, examples: int) -> dict:
    counts: collections.Counter = collections.Counter()
    failures: list[str] = []

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=hostile_inputs())
    def probe(case):
        kind, X = case
        try:
            counts[outcome(cls(hidden_dims=(4,), max_epochs=2, random_state=0), X)] += 1
        except AssertionError as err:
            counts["misbehaved"] += 1
            failures.append(f"{kind}: {err}")
        except Exception as err:  # noqa: BLE001 - counting every other escape is the point
            counts["raw error"] += 1
            failures.append(f"{kind}: {type(err).__name__}: {err}")

    probe()
    return {"counts": dict(counts), "failures": failures[:20]}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=300)
    args = parser.parse_args(argv)
    results, rows = {}, [["estimator", "cases", "worked", "refused cleanly", "misbehaved", "raw errors", "seconds"]]
    for cls in ESTIMATORS:
        start = time.perf_counter()
        res = run(cls, args.examples)
        res["seconds"] = time.perf_counter() - start
        results[cls.__name__] = res
        c = res["counts"]
        total = sum(c.values())
        rows.append([cls.__name__, total, c.get("worked", 0), c.get("refused", 0), c.get("misbehaved", 0), c.get("raw error", 0), f"{res['seconds']:.0f}"])
        print(rows[-1], *res["failures"][:5], sep="\n  ", flush=True)
    info = machine_info()
    write_json("reliability.json", {"machine": info, "examples_per_estimator": args.examples, "results": results})
    section = "\n".join(
        [
            HEADING,
            "",
            machine_line(info),
            "",
            f"```\n.venv/bin/python benchmarks/reliability.py --examples {args.examples}\n```",
            "",
            "Random hostile X from `aekit.input_checks.hostile_inputs` (random shapes and dtypes, NaN/inf, empty, one row, "
            "constant and duplicate columns, magnitudes from 1e-300 to 1e300, 1-D/3-D arrays, scalars, lists, text, "
            "DataFrames with a text column). A case *worked* when fit, transform and score_samples gave finite results of "
            "the right shape and a wrong feature count was then refused; *refused cleanly* when fit raised ValueError or "
            "TypeError naming the argument. Anything else is counted as misbehaved or a raw error.",
            "",
            markdown_table(rows),
            "",
            "Raw numbers and the first failures: `benchmarks/results/reliability.json`.",
        ]
    )
    update_markdown_section(HEADING, section)
    return results


if __name__ == "__main__":
    main()
