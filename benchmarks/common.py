"""What every benchmark script shares: machine facts, the shared data folder, JSON results and
the per-script section of BENCHMARKS.md."""

from __future__ import annotations

import datetime
import json
import os
import platform
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "benchmarks" / "results"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
SHARED_DATA = ROOT.parent / "shared" / "data"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict:
    """CPU, cores, torch and aekit versions, and the time, for every result file."""
    import aekit

    return {
        "cpu_model": cpu_model(),
        "nproc": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "aekit": aekit.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def machine_line(info: dict) -> str:
    return (
        f"Measured {info['date']} on {info['cpu_model']}, {info['nproc']} cores, torch {info['torch']}, "
        f"{info['torch_threads']} thread{'s' if info['torch_threads'] != 1 else ''}."
    )


def measured_by(old: dict, all_methods, methods, metric: str = "auc") -> dict:
    """The machine that measured each method: an earlier results file's record (its `machines`,
    else its one `machine` for every method whose `{method}_{metric}` its rows hold), with this
    machine for `methods`."""
    rows = old.get("rows", [])
    held = {m: old["machine"] for m in all_methods if rows and f"{m}_{metric}" in rows[0]}
    return {**held, **old.get("machines", {}), **{m: machine_info() for m in methods}}


def write_json(name: str, payload: dict | list) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / name
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def markdown_table(rows: list[list[str]]) -> str:
    """rows[0] is the header."""
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def update_markdown_section(heading: str, section: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace the text from `heading` up to the next `## ` heading in BENCHMARKS.md, or append.
    `section` starts with `heading`."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        new_text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        new_text = "".join(lines[:start]) + section.rstrip("\n") + "\n" + ("\n" + tail if tail else "")
    path.write_text(new_text)
