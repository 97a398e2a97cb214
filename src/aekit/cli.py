"""The `aekit` command line; `main(argv) -> int` so tests call it directly."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aekit", description="Autoencoders as practical tools.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    args = parser.parse_args(argv)
    if args.version:
        from aekit import __version__

        print(__version__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
