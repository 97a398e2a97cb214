"""How long the documentation site takes to build on this host: `make docs-quick` (every gallery
example on few rows and epochs) and `make docs` (the full gallery), each timed from a clean
copy of docs/ and examples/ with Sphinx's warnings as errors, with the slowest examples named.

    python benchmarks/docs_build.py [--skip-full]

Targets (issue 32): full site <= 30 minutes, quick site <= 3 minutes on this 2-core host.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, SHARED_DATA, machine_info, machine_line, markdown_table, update_markdown_section, write_json

TARGETS = {"quick": 180.0, "full": 1800.0}


def build(quick: bool, keep: Path | None = None) -> dict:
    """Build the site from a fresh copy; its wall time, exit status and each example's seconds
    (the built site copied to `keep` if given)."""
    with tempfile.TemporaryDirectory(prefix="aekit-docs-") as tmp:
        for folder in ("docs", "examples"):
            shutil.copytree(ROOT / folder, Path(tmp) / folder, ignore=shutil.ignore_patterns("_build", "api", "gallery", "sg_*"))
        env = {**os.environ, "MPLBACKEND": "Agg", "AEKIT_QUICK": "1" if quick else ""}
        if SHARED_DATA.is_dir():
            env.setdefault("AEKIT_DATA", str(SHARED_DATA))
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", f"{tmp}/docs", f"{tmp}/html"],
            capture_output=True, text=True, env=env,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        examples = {}
        for page in sorted(Path(tmp, "html", "gallery").glob("plot_*.html")):
            found = re.search(r"Total running time of the script:.*?(?:(\d+) minutes? )?([\d.]+) seconds", page.read_text(), re.S)
            if found:
                examples[page.stem] = 60 * int(found.group(1) or 0) + float(found.group(2))
        if keep is not None:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(Path(tmp, "html"), keep)
    return {"seconds": seconds, "returncode": result.returncode, "stderr_tail": result.stderr[-2000:], "examples": examples}


def report(runs: dict, info: dict) -> None:
    rows = [["build", "wall time", "target", "met", "examples run", "slowest examples (seconds)"]]
    for kind, run in runs.items():
        slowest = sorted(run["examples"].items(), key=lambda item: -item[1])[:3]
        rows.append([
            f"make docs{'-quick' if kind == 'quick' else ''}", f"{run['seconds'] / 60:.1f} min", f"{TARGETS[kind] / 60:.0f} min",
            "yes" if run["seconds"] <= TARGETS[kind] and run["returncode"] == 0 else "no", str(len(run["examples"])),
            ", ".join(f"{name} {s:.0f}" for name, s in slowest),
        ])  # fmt: skip
    section = (
        "## Documentation build (benchmarks/docs_build.py)\n\n"
        f"{machine_line(info)} Command: `python benchmarks/docs_build.py`. Each build starts from a clean copy "
        "of docs/ and examples/ (no cached gallery), with Sphinx's warnings as errors; the quick build runs every "
        "example with AEKIT_QUICK=1.\n\n" + markdown_table(rows) + "\n"
    )
    update_markdown_section("## Documentation build (benchmarks/docs_build.py)", section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-full", action="store_true", help="time the quick build only")
    parser.add_argument("--keep", type=Path, help="copy the last build's site here (e.g. docs/_build/html)")
    args = parser.parse_args()
    info = machine_info()
    runs = {"quick": build(quick=True, keep=args.keep if args.skip_full else None)}
    if not args.skip_full:
        runs["full"] = build(quick=False, keep=args.keep)
    for kind, run in runs.items():
        print(f"{kind}: {run['seconds']:.0f} s, exit {run['returncode']}, {len(run['examples'])} examples")
        if run["returncode"]:
            print(run["stderr_tail"])
    write_json("docs-build.json", {"machine": info, "runs": runs})
    report(runs, info)


if __name__ == "__main__":
    main()
