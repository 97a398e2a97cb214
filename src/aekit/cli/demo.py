"""`aekit demo`: a built-in run config, the digits AutoEncoder vs PCA, trained and reported by the
same code as `aekit train` and `aekit report`."""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import yaml

from aekit.cli.common import CLIError, add_command, folder, int_in_range, print_table, seed

__all__ = ["add_parser", "run_demo"]

DEMO_CONFIG = """\
model:
  name: autoencoder
  latent_dim: 2
  hidden_dims: [256, 64]
  loss: bce              # pixels are in [0, 1]
  batch_size: 64
  max_epochs: 150
data:
  source: digits         # scikit-learn's 1797 8x8 digits
  test_fraction: 0.25    # held out, stratified by digit
seed: 0
"""
DEMO = yaml.safe_load(DEMO_CONFIG)
N_DIGIT_FEATURES = 64

DESCRIPTION = """\
Train an AutoEncoder on scikit-learn's 8x8 handwritten digits (pixels scaled to [0, 1],
BCE loss), compare it with PCA using the same number of components on a held-out,
class-stratified split, and write a run folder with the fitted model and an HTML report to
--out. The demo is this built-in config, trained by 'aekit train' and reported by 'aekit
report' (an earlier demo run in --out is replaced, its compare-Nd runs with it; another run
there is refused); each option below overrides its key:

""" + "\n".join("  " + line for line in DEMO_CONFIG.splitlines())

EXAMPLES = """\
  aekit demo                                  # writes runs/demo/report.html
  aekit demo --out /tmp/digits --epochs 50    # quicker, rougher
  aekit demo --latent-dim 3 --seed 1          # scatter shows the first two code dimensions
  aekit demo --compare-dim 0                  # skip the second (8-d) run

the same by hand, with the config above in demo.yaml:
  aekit train demo.yaml --out runs/demo
  aekit train demo.yaml --latent-dim 8 --out runs/demo/compare-8d
  aekit report runs/demo --compare runs/demo/compare-8d

output in --out: report.html (open it in a browser), explorer.html (the latent map: click to
decode, drag to interpolate), figures/ (its PNGs), model/ (load with
aekit.AutoEncoder.load), config.yaml, metrics.csv, TensorBoard events, compare-8d/ (the 8-d
run). About 10-40 s on two CPU cores."""


def add_parser(commands) -> None:
    """Add `aekit demo` to the subcommands.

    Parameters
    ----------
    commands : argparse subparsers action
        What `ArgumentParser.add_subparsers` returned.
    """
    demo = add_command(
        commands, "demo", "train on the digits data set and write an HTML report", DESCRIPTION, EXAMPLES, run_demo
    )
    demo.add_argument(
        "--out", type=folder, default=Path("runs/demo"), metavar="DIR", help="the run folder (default: %(default)s)"
    )
    for flag, low, high, default, what in (
        ("--epochs", 1, None, DEMO["model"]["max_epochs"], "training epochs, model.max_epochs"),
        ("--latent-dim", 1, N_DIGIT_FEATURES, DEMO["model"]["latent_dim"],
         "code size, model.latent_dim, also PCA's number of components"),
        ("--compare-dim", 0, N_DIGIT_FEATURES, 8,
         "also train a run with this code size into DIR/compare-Nd and add it to the table; 0 skips"),
    ):  # fmt: skip
        demo.add_argument(flag, type=int_in_range(low, high), default=default, metavar="N", help=f"{what} (default: %(default)s)")
    demo.add_argument(
        "--seed", type=seed, default=DEMO["seed"], metavar="N", help="seeds the split and model (default: %(default)s)"
    )


def _demo_config(out: Path, latent_dim: int, epochs: int, seed: int):
    """The demo's validated run config with these options."""
    from aekit.app.config import validate_config

    model = {**DEMO["model"], "latent_dim": latent_dim, "max_epochs": epochs, "verbose": True}
    return validate_config({**DEMO, "model": model, "seed": seed, "out": str(out)})


def _saved_config(out: Path) -> tuple:
    """The config of the run in `out` (None when there is none readable) and whether the demo
    wrote it (the demo's model, data and settings at some code size, epochs and seed)."""
    from aekit.app.config import fingerprint
    from aekit.app.runs import Run

    try:
        saved = Run(out).read_config()
    except (OSError, ValueError):
        return None, False
    latent_dim = getattr(saved.model, "latent_dim", None)
    return saved, isinstance(latent_dim, int) and fingerprint(_demo_config(out, latent_dim, 1, saved.seed)) == fingerprint(saved)


def _refuse_to_replace_another_run(out: Path) -> None:
    """Refuse an --out holding a run the demo did not write (one of another model, data or
    settings than the demo's at some code size, epochs and seed), which replacing would discard."""
    from aekit.app.runs import Run

    if not Run(out).has_started():
        return
    saved, demo = _saved_config(out)
    if demo:
        return
    what = f" ({saved.model.name} on {saved.data.source!r})" if saved is not None else ""
    raise CLIError(f"{out} holds a run that 'aekit demo' did not write{what}; the demo replaces only its own runs, so "
                   f"give another --out, or remove {out} first")


def _remove_earlier_comparisons(out: Path, kept: list[Path]) -> None:
    """Delete the compare-Nd runs an earlier demo wrote into `out` other than the `kept` ones; a
    folder of that name holding anything else stays."""
    from aekit.app.runs import remove_entry

    for path in sorted(out.glob("compare-*d")):
        if re.fullmatch(r"compare-\d+d", path.name) and path.is_dir() and path not in kept and _saved_config(path)[1]:
            remove_entry(path)


def run_demo(args: argparse.Namespace) -> int:
    """`aekit demo`: train on the digits into `--out` (and, unless `--compare-dim` is 0 or the
    same size, a second run of that code size into DIR/compare-Nd), then write the report and
    explorer page and print the held-out numbers.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: `out`, `epochs`, `latent_dim`, `compare_dim` and `seed`.

    Returns
    -------
    int
        The exit status, 0 on success.
    """
    from aekit.cli.training import train_new_run
    from aekit.app.explore import EXPLORER_FILE
    from aekit.app.run_report import metrics_table, write_run_report

    start = time.perf_counter()
    runs = {args.out: args.latent_dim}
    if args.compare_dim and args.compare_dim != args.latent_dim:
        runs[args.out / f"compare-{args.compare_dim}d"] = args.compare_dim
    configs = [_demo_config(out, latent_dim, args.epochs, args.seed) for out, latent_dim in runs.items()]
    for config in configs:
        _refuse_to_replace_another_run(Path(config.out))
    # threads follow the model (n_threads='auto'): the demo's small network trains on one
    for config in configs:
        status = train_new_run(config, replace=True)
        if status:
            return status
    _remove_earlier_comparisons(args.out, list(runs))
    report = write_run_report(args.out, list(runs)[1:])
    print("held-out numbers (pixels in [0, 1]; PCA with the same number of components):")
    print_table(metrics_table(report.scores))
    print(f"model saved to {args.out / 'model'}")
    print(f"report written to {report.path}  ({time.perf_counter() - start:.1f} s)")
    print(f"latent-space explorer written to {args.out / EXPLORER_FILE}")
    return 0
