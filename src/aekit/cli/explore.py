"""`aekit explore`: a run's latent space as one interactive HTML page."""

from __future__ import annotations

import argparse
from pathlib import Path

from aekit.cli.common import RUN_HEADER, add_command, add_encoding_option, add_header_option, check_header_given_with, int_in_range

__all__ = ["add_parser", "run_explore"]

DESCRIPTION = """\
Write one self-contained HTML page (no server, nothing fetched; open it from disk) that maps the
codes of up to --max-points rows, coloured by their labels. Hover a point to see its input;
click anywhere to see what the decoder makes of that place; drag to see the decoded outputs
along the path. A 2-d code is the map itself; longer codes are shown on the plane of their two
leading principal components. An MLP decoder runs in the page from its embedded weights; any
other decoder (convolutional) is replaced by a grid of outputs decoded beforehand.
Without --data the run's held-out rows are shown."""

EXAMPLES = """\
  aekit explore runs/vae                                  # runs/vae/explorer.html, held-out rows
  aekit explore runs/vae --data mnist:test --out runs/vae/explorer.html
  aekit explore runs/table --data new_rows.csv --max-points 2000"""


def add_parser(commands) -> None:
    """Add `aekit explore` to the subcommands.

    Parameters
    ----------
    commands : argparse subparsers action
        What `ArgumentParser.add_subparsers` returned.
    """
    explore = add_command(
        commands, "explore", "write an interactive page of the latent space", DESCRIPTION, EXAMPLES, run_explore
    )
    explore.add_argument("run", metavar="RUN", help="a run folder from 'aekit train' (or a folder saved with est.save)")
    explore.add_argument(
        "--data", metavar="SOURCE", help="rows to map (default: the run's held-out rows); any source 'aekit train' reads"
    )
    add_header_option(explore, None, RUN_HEADER)
    add_encoding_option(explore, "--data")
    explore.add_argument("--out", type=Path, metavar="FILE", help="the page to write (default: RUN/explorer.html)")
    explore.add_argument(
        "--max-points", type=int_in_range(1), default=5000, metavar="N", help="points on the map (default: %(default)s)"
    )
    explore.add_argument(
        "--grid-size",
        type=int_in_range(2, 256),
        metavar="N",
        help="resolution of the decoded grid for decoders the page cannot run (default: the largest up to 64 in 4 MB)",
    )


def run_explore(args: argparse.Namespace) -> int:
    """`aekit explore`: write the latent-space explorer page of a run or model folder for its
    held-out rows or the rows of `--data`.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: `run`, `data`, `out`, `max_points` and `grid_size`.

    Returns
    -------
    int
        The exit status, 0 on success.
    """
    from aekit.app.run_report import write_run_explorer
    from aekit.app.runs import open_model

    check_header_given_with(args, args.data, "--data")
    model = open_model(args.run)
    rows = model.rows(args.data, "map", args.header, args.encoding)
    where = "the run's held-out rows" if args.data is None else args.data
    path = write_run_explorer(
        model, rows.X, rows.y, rows.feature_names, where, args.out, image_shape=rows.image_shape,
        class_names=rows.class_names, ids=rows.row_ids(), max_points=args.max_points, grid_size=args.grid_size,
    )  # fmt: skip
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, {min(len(rows), args.max_points)} of {len(rows)} rows)")
    return 0
