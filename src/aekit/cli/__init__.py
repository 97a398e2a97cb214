"""The `aekit` command line; `main(argv) -> int` so tests call it directly.

Each subcommand lives in the module named for what it does (training, inference, outputs,
explore, tabular, demo). Heavy imports (torch, scikit-learn, matplotlib) happen inside the commands'
handlers, never while the parser is built, so `aekit --help` answers at once and without torch.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import warnings

try:
    from aekit.cli import demo, explore, inference, outputs, tabular, training
    from aekit.cli.common import CLIError
    from aekit.cli.scheduled import check_scheduler_options
except KeyboardInterrupt:  # Ctrl-C while `aekit` starts: exit as main would, without a traceback
    print("\naekit: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

__all__ = ["build_parser", "main"]

EPILOG = """\
a first session:
  aekit demo                                           # digits, AutoEncoder vs PCA, runs/demo/report.html
  aekit train --model vae --data mnist --latent-dim 2 --epochs 20 --out runs/vae
  aekit evaluate runs/vae && aekit report runs/vae     # numbers, then runs/vae/report.html
  aekit explore runs/vae                               # runs/vae/explorer.html: click to decode, drag to interpolate
  aekit export runs/vae --onnx exported/vae

Run 'aekit COMMAND --help' for a command's options and examples."""


def build_parser() -> argparse.ArgumentParser:
    """The `aekit` parser with its subcommands.

    Returns
    -------
    argparse.ArgumentParser
        The parser; each subcommand sets `handler` in the parsed namespace.
    """
    parser = argparse.ArgumentParser(
        prog="aekit",
        description="Autoencoders as practical tools.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    training.add_parser(commands)
    inference.add_parsers(commands)
    tabular.add_parsers(commands)
    outputs.add_parsers(commands)
    explore.add_parser(commands)
    demo.add_parser(commands)
    return parser


def _stdout_closed() -> bool:
    """Whether stdout is a pipe whose reader has closed it (False when it has no file behind it;
    True where that cannot be asked, as on Windows)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    if not hasattr(select, "poll"):
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & select.POLLERR for _, events in poller.poll(0))


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null after its reader closed it, so that flushing it again at exit
    prints no 'Exception ignored ... BrokenPipeError'."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no file behind stdout (captured in tests)
        pass


class _Diagnostics:
    """sys.stderr for a command's run: once its reader has gone (`2>&1 | head -1`), a write or
    flush that meets the closed pipe drops it and every later one (pointing the stream's file at
    /dev/null, so the interpreter's last flush is quiet too), so a warning never stops a
    command before it has written its output file."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self._gone = False

    def _closed(self) -> None:
        self._gone = True
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())
        except (OSError, ValueError, AttributeError):  # no file behind it (captured in tests)
            pass

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._closed()
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._closed()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    """Run `aekit` with `argv` (default: sys.argv[1:]) and return the exit status; with no
    command, print the help and return 0. Bad options exit with status 2, as argparse does;
    a refused input or config (ConfigError is a ValueError) or a diverged training
    (TrainingDivergedError, a FloatingPointError) prints one 'aekit COMMAND: error: ...'
    message and returns 1; Ctrl-C prints one line and returns 130. A warning prints as one
    'aekit COMMAND: warning: ...' line. Building the parser
    imports no torch, so every --help is quick.

    Parameters
    ----------
    argv : list of str, default=None
        The command line after the program name; None reads `sys.argv[1:]`.

    Returns
    -------
    int
        The exit status.
    """
    try:
        parser = build_parser()
        args, unknown = parser.parse_known_args(argv)
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
        if unknown:  # argparse names them under the top level's usage; the command's usage shows what it takes
            (commands[args.command] if args.command else parser).error(f"unrecognized arguments: {' '.join(unknown)}")
        refused = check_scheduler_options(args)
        if refused:
            commands[args.command].error(refused)
    except KeyboardInterrupt:
        print("\naekit: interrupted", file=sys.stderr)
        return 130
    if args.version:
        from aekit import __version__

        print(__version__)
        return 0
    if args.command is None:
        parser.print_help()
        return 0
    shown = warnings.formatwarning
    warnings.formatwarning = lambda message, *_, **__: f"aekit {args.command}: warning: {message}\n"
    stderr, sys.stderr = sys.stderr, _Diagnostics(sys.stderr)
    try:
        status = args.handler(args)
        sys.stdout.flush()  # a closed pipe (| head) is met here, not at the interpreter's exit
        return status
    except BrokenPipeError as err:
        if _stdout_closed():  # stdout's reader (| head) closed it, having read all it wanted
            _stdout_to_devnull()
            return 141  # as a process that SIGPIPE ended
        print(f"aekit {args.command}: error: {err}", file=sys.stderr)  # another pipe: a cluster's connection, say
        return 1
    except CLIError as err:
        print(f"aekit {args.command}: error: {err}", file=sys.stderr)
        return err.status
    except (OSError, ValueError, ImportError, FloatingPointError) as err:  # OSError: a missing input, a full disk, no permission
        print(f"aekit {args.command}: error: {err}", file=sys.stderr)
        return 1
    except MemoryError:
        print(
            f"aekit {args.command}: error: out of memory; try fewer rows (aekit train: --set data.max_rows=N), fewer "
            "words for a text folder (--set data.max_words=N), or a smaller model or batch size",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print(f"\naekit {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.formatwarning = shown
        sys.stderr = stderr


if __name__ == "__main__":
    sys.exit(main())
