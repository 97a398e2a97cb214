"""`aekit train`: fit a registered estimator from a YAML config and/or flags into a run folder,
with a checkpoint every epoch, `--resume`, metrics.csv and TensorBoard event files."""

from __future__ import annotations

import argparse
import math
import re
import shutil
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aekit._choices import PRECISIONS
from aekit.cli.common import GUESSED_HEADER, CLIError, add_command, add_header_option, int_in_range, positive_float, seed

if TYPE_CHECKING:
    from aekit.app.config import RunConfig

__all__ = ["add_parser", "run_train", "table_not_images", "takes_images"]

DESCRIPTION = """\
Train an autoencoder and write a run folder: the resolved config (config.yaml), the data's
layout and scaling (data.json), a checkpoint after every epoch (checkpoint.safetensors,
replaced atomically), metrics.csv, TensorBoard event files and, at the end, the fitted model
(model/). A progress bar shows the loss and the time left. A table's identifier, date,
duration and constant columns are left out of the features with a warning naming them
(data.ignore_columns: a list leaves out more, null keeps every column); a free-text column is
refused.

Settings come from CONFIG (YAML), then the flags, then each --set KEY=VALUE (a dotted key into
the config, the value read as YAML: 1e-3 is a number, 010 is 10 (not octal), null or None is
None, [64,32] or 64,32 a list, and 64 for a list the list [64]). Every estimator parameter can
be set under `model:`; run `aekit train --list-models` for the model names. Relative paths in
CONFIG (data.source, out) are read from the folder 'aekit train' runs in, not the config's; a
run's config.yaml, passed back as CONFIG with another --out, trains the same run again; a
CONFIG that is --out's config.yaml, which training replaces with the resolved config, is
refused (keep a hand-written config outside the run folder). After
an interruption (Ctrl-C, a crash, a lost machine), `aekit train --resume RUN` continues from
the last checkpoint exactly as if training had never stopped."""

EXAMPLES = """\
  aekit train --model vae --data mnist --latent-dim 2 --epochs 20 --out runs/vae
  aekit train --data digits --epochs 50 --set model.loss=bce --set model.hidden_dims=[256,64]
  aekit train config.yaml --set data.max_rows=5000
  aekit train --data table.csv --set data.target=label --model denoising --out runs/table
  aekit train --data photos/ --model conv      # an image folder: colour if any file is, as images (3, H, W)
  aekit train --data photos/ --model conv --image-mode L   # read as grey
  aekit train --resume runs/vae                # continue after an interruption
  aekit train --resume runs/vae --epochs 40    # or train further
  aekit train config.yaml --device cuda --precision bf16-mixed
  torchrun --nproc-per-node 2 -m aekit train config.yaml   # data-parallel (gloo on CPU, NCCL on GPUs)

a config file:
  model:
    name: vae              # autoencoder, denoising, sparse, contractive, linear, vae, ...
    latent_dim: 2
    hidden_dims: [256, 64]
    max_epochs: 20
  data:
    source: mnist          # digits | mnist | fashion-mnist | .csv | .parquet | .npy | image folder
    image_mode: auto       # image folders: auto (grey only when every file is grey), L or RGB
    max_rows: 10000        # per split
  seed: 0
  out: runs/vae

then: aekit evaluate RUN, aekit report RUN, tensorboard --logdir RUN"""

COUNTS_AUTO = {"loss": "mse", "likelihood": "gaussian"}  # what 'auto' gives rows beyond [0, 1]: a word-count run's, always
FLAG_KEYS = {
    "model": ("model", "name"),
    "data": ("data", "source"),
    "header": ("data", "header"),
    "image_mode": ("data", "image_mode"),
    "latent_dim": ("model", "latent_dim"),
    "loss": ("model", "loss"),
    "epochs": ("model", "max_epochs"),
    "batch_size": ("model", "batch_size"),
    "learning_rate": ("model", "learning_rate"),
    "device": ("model", "device"),
    "precision": ("model", "precision"),
    "compile": ("model", "compile"),
    "seed": ("seed",),
    "out": ("out",),
}


def add_parser(commands) -> None:
    """Add `aekit train` to the subcommands.

    Parameters
    ----------
    commands : argparse subparsers action
        What `ArgumentParser.add_subparsers` returned.
    """
    parser = add_command(
        commands,
        "train",
        "train a model into a run folder (config, checkpoints, metrics)",
        DESCRIPTION,
        EXAMPLES,
        run_train,
    )
    parser.add_argument("config", nargs="?", metavar="CONFIG", help="a YAML config file")
    parser.add_argument("--config", dest="config_option", metavar="CONFIG", help="the same as CONFIG")
    parser.add_argument("--model", metavar="NAME", help="model name (default: autoencoder); see --list-models")
    parser.add_argument(
        "--data",
        metavar="SOURCE",
        help="digits (default), mnist, fashion-mnist, a .csv/.parquet/.npy file, or a folder of images (subfolders "
        "are labels; colour when any file has colour, see --image-mode) or of .txt files",
    )
    parser.add_argument(
        "--image-mode",
        choices=("auto", "L", "RGB"),
        help="image folders: auto (default) reads grey only when every file is grey, else colour (3, height, width); "
        "L forces grey, RGB colour (data.image_mode). Conv models train on the images at their shape, any aspect ratio",
    )
    add_header_option(parser, None, f"data.header, else {GUESSED_HEADER}")
    parser.add_argument("--latent-dim", type=int_in_range(1), metavar="N", help="code size (model.latent_dim)")
    parser.add_argument("--loss", metavar="NAME", help="reconstruction loss (model.loss), e.g. bce, mse, multinomial")
    parser.add_argument("--epochs", type=int_in_range(1), metavar="N", help="training epochs (model.max_epochs)")
    parser.add_argument("--batch-size", type=int_in_range(1), metavar="N", help="mini-batch size (model.batch_size)")
    parser.add_argument("--learning-rate", "--lr", type=positive_float, metavar="X", help="model.learning_rate")
    parser.add_argument("--device", metavar="DEV", help="auto, cpu, cuda or cuda:N (model.device)")
    parser.add_argument("--precision", choices=PRECISIONS, help="forward-pass precision (model.precision)")
    parser.add_argument(
        "--compile",
        action="store_const",
        const=True,
        help="torch.compile the training step and inference: pays from tens of thousands of rows (model.compile)",
    )
    parser.add_argument("--seed", type=seed, metavar="N", help="seeds the split and the model (default: 0)")
    parser.add_argument("--out", metavar="DIR", help="the run folder (default: runs/MODEL-DATA-TIME)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set any config key, e.g. model.beta=4 (repeatable)",
    )
    parser.add_argument(
        "--resume", metavar="RUN", help="continue the interrupted run in RUN (its saved config is used)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar (model.verbose=false)")
    parser.add_argument("--list-models", action="store_true", help="print the model names and exit")


def _config_from_args(args: argparse.Namespace) -> dict:
    """The raw config: CONFIG, then the flags (already typed; --seed seeds the split and the model,
    --quiet sets model.verbose false), then each --set (--set seed=N seeds the model too, as --seed
    does, unless a --set gives model.random_state); model.verbose is true (a progress bar) unless
    one of them sets it."""
    from aekit.app.config import apply_overrides, read_config

    flags = {".".join(keys): getattr(args, flag) for flag, keys in FLAG_KEYS.items() if getattr(args, flag) is not None}
    if args.seed is not None:
        flags["model.random_state"] = args.seed  # also over CONFIG's (a saved run's config.yaml holds one)
    if args.quiet:
        flags["model.verbose"] = False
    given = read_config(args.config) if args.config else {}
    raw = apply_overrides(given, args.set, flags)
    if args.config:
        _refuse_paths_meant_beside_the_config(raw, given, args.config)
    if raw.get("model") is None:
        raw["model"] = {}
    if isinstance(raw["model"], dict):
        raw["model"].setdefault("verbose", True)
        keys = {item.partition("=")[0].strip() for item in args.set}
        seed = raw.get("seed")
        whole = isinstance(seed, int) and not isinstance(seed, bool) or isinstance(seed, float) and seed.is_integer()
        if "seed" in keys and "model.random_state" not in keys and whole:
            raw["model"]["random_state"] = seed  # also over CONFIG's, as --seed; another value is refused as seed
        _leave_out_other_models_defaults(raw["model"], given.get("model"), args.config)
    return raw


def _refuse_paths_meant_beside_the_config(raw: dict, given: dict, config: str) -> None:
    """Refuse a relative data.source or data.labels of the CONFIG file that is missing from the
    folder 'aekit train' runs in, where it is read (not from the config's folder), saying so and
    where it is when it is beside the config."""
    from aekit.app.config import ConfigError
    from aekit.data.datasets import IDX_SETS

    data, written = raw.get("data"), given.get("data")
    if not (isinstance(data, dict) and isinstance(written, dict)):
        return
    for key in ("source", "labels"):
        value = data.get(key)
        if not isinstance(value, str) or value != written.get(key) or value == "digits" or value.partition(":")[0] in IDX_SETS:
            continue
        path, folder = Path(value).expanduser(), Path(config).parent
        if path.is_absolute() or path.exists():
            continue
        where = f"data.{key}: no {value!r} in {str(Path.cwd())!r}, where 'aekit train' reads the relative paths of {config!r}"
        if (folder / path).exists():
            raise ConfigError([f"{where}, not from its folder; {str(folder / path)!r} is there: run from "
                               f"{str(folder)!r}, or give --set data.{key}={folder / path}"])
        raise ConfigError([f"{where} (a run's config.yaml holds them as its 'aekit train' was given them): run from the "
                           f"folder {value!r} is in, or give its absolute path with --set data.{key}=PATH"])


def _leave_out_other_models_defaults(model: dict, given: object, path: str | None) -> None:
    """When --model (or --set model.name) replaces CONFIG's model with another estimator, CONFIG's
    model parameters at the old one's defaults (a run's config.yaml lists every one) are left out,
    so the new model's defaults apply; one set away from them that the new model does not take is refused."""
    from aekit.app.config import DEFAULT_MODEL, ConfigError, estimator_schema, model_registry

    registry = model_registry()
    old, new = (given.get("name", DEFAULT_MODEL) if isinstance(given, dict) else None), model.get("name", DEFAULT_MODEL)
    if not (isinstance(old, str) and isinstance(new, str) and {old, new} <= set(registry)) or registry[old] is registry[new]:
        return
    defaults, taken = estimator_schema(registry[old]).model_fields, estimator_schema(registry[new]).model_fields
    from_config = [k for k, v in given.items() if k in defaults and k not in ("name", "verbose") and model.get(k) == v]
    lost = [k for k in from_config if k not in taken and given[k] != defaults[k].default]
    if lost:
        raise ConfigError([f"model.name: {new!r} replaces the model {old!r} of {path!r}, and does not take its "
                           f"{', '.join(f'model.{k}={given[k]!r}' for k in lost)}; remove "
                           f"{'them' if len(lost) > 1 else 'it'} from the config, or keep {old!r}"])
    for k in from_config:
        if given[k] == defaults[k].default:
            del model[k]


def _settle_distributed(config, raw: dict, sets: list[str]) -> None:
    """Set model.distributed to how `aekit train` was started (data-parallel under torchrun),
    refusing a --set that asks for the other; a CONFIG file's value (a saved run's config.yaml
    records how that run was started) gives way to the launch with a warning."""
    from aekit.app.config import ConfigError
    from aekit.training import distributed

    launched = distributed.is_launched()
    given = raw["model"].get("distributed")
    if given is not None and bool(given) != launched:
        why = ("trains data-parallel over the processes torchrun starts, and this 'aekit train' was not started by "
               "torchrun: start it with 'torchrun --nproc-per-node N -m aekit train ...'" if given else
               "would train every process alone, and this 'aekit train' was started by torchrun, whose processes train "
               "one model together: start it without torchrun to train in one process")
        if any(item.partition("=")[0].strip() == "model.distributed" for item in sets):
            raise ConfigError([f"model.distributed={str(bool(given)).lower()} {why}; or remove the setting ('aekit train' "
                               "sets it from how it is started)"])
        print(f"aekit train: warning: the config's model.distributed={str(bool(given)).lower()} gives way to how this "
              f"'aekit train' was started: {'one process' if not launched else 'data-parallel under torchrun'}", file=sys.stderr)
    config.model.distributed = launched


def _say_the_config_is_quiet(config, args: argparse.Namespace) -> None:
    """Say on stderr that CONFIG's model.verbose=false (which every run's config.yaml recorded before
    model.verbose took effect) leaves out the progress bar, when neither --quiet nor --set asked for that."""
    asked = args.quiet or any(item.partition("=")[0].strip() == "model.verbose" for item in args.set)
    if not config.model.verbose and not asked:
        print(f"aekit train: model.verbose is false in {args.config!r}, so no progress is shown; --set "
              "model.verbose=true shows it", file=sys.stderr)


def _default_out(config) -> Path:
    source = Path(config.data.source.partition(":")[0]).stem or "data"
    return Path("runs") / f"{config.model.name}-{source}-{datetime.now():%Y%m%d-%H%M%S}"


def _list_models() -> int:
    from aekit.app.config import model_registry

    registry = model_registry()
    width = max(map(len, registry))
    for name, cls in registry.items():
        paragraph = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        sentence = re.split(r"\. (?=[A-Z])", paragraph)[0].rstrip(".")  # 'Pathak et al. 2016' is not a sentence's end
        print(f"  {name:<{width}} {cls.__name__}: {sentence}")
    return 0


def _refuse_unused_data_options(config) -> None:
    """Refuse a `data:` option set away from its default that the source's reader does not take
    (`data.target` for 'digits' or a .npy file, say), which the read would drop unseen."""
    from dataclasses import fields

    from aekit.app.config import ConfigError, DataConfig
    from aekit.data.readers import reader_for

    everywhere = {"source", "test_fraction", "max_rows", "scale", "data_home", "download"}
    taken = {f.name for f in fields(reader_for(config.data.source))} & set(DataConfig.model_fields) | everywhere
    unused = [k for k, f in DataConfig.model_fields.items() if k not in taken and getattr(config.data, k) != f.default]
    if unused:
        applies = ", ".join(f"data.{k}" for k in DataConfig.model_fields if k in taken - everywhere) or "none"
        raise ConfigError(
            [f"data.{k}: {getattr(config.data, k)!r} does not apply to {config.data.source!r}, which would ignore it "
             f"(the options it takes beyond source, test_fraction, max_rows and scale: {applies})" for k in unused]
        )


def _check_device(config) -> None:
    """Refuse, before any file is written, a model.device that names no device or one absent here
    (a GPU run's config passed back on a machine without CUDA, say), naming the key."""
    from aekit.app.config import ConfigError
    from aekit.training._devices import resolve_device

    try:
        resolve_device(getattr(config.model, "device", "auto"))
    except ValueError as err:
        raise ConfigError([f"model.device: {err}"]) from None


def _join_process_group(config) -> None:
    """Under torchrun, join the process group on the config's device type."""
    from aekit.training import distributed
    from aekit.training._devices import resolve_device

    if distributed.is_launched():
        distributed.init_from_env(resolve_device(getattr(config.model, "device", "auto")))


def run_train(args: argparse.Namespace) -> int:
    """`aekit train`: build the config from CONFIG, the flags and each `--set`, and train it
    into its run folder, or continue the run of `--resume` (under torchrun, on every rank).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (see `aekit train --help`).

    Returns
    -------
    int
        The exit status, 0 on success.
    """
    from aekit.training import distributed
    from aekit.app.config import validate_config
    from aekit.app.runs import Run

    if args.list_models:
        return _list_models()
    if args.config_option is not None:
        if args.config is not None:
            raise CLIError(f"give one config: CONFIG {args.config!r} or --config {args.config_option!r}", status=2)
        args.config = args.config_option
    if args.resume:
        others = [f"--{f.replace('_', '-')}" for f in FLAG_KEYS if f != "epochs" and getattr(args, f) is not None]
        if args.config or args.set or others:
            given = ([args.config] if args.config else []) + others + (["--set"] if args.set else [])
            raise CLIError(
                f"--resume continues a run with its saved config; drop {', '.join(given)} (only --epochs may change)"
            )
        run, config = Run(args.resume), None
        if not run.path.is_dir():
            raise CLIError(f"no run folder at {str(run.path)!r}")
    else:
        raw = _config_from_args(args)
        config = validate_config(raw)
        _settle_distributed(config, raw, args.set or [])
        _refuse_unused_data_options(config)
        if config.out is not None and not config.out.strip():
            raise CLIError("--out (out) is empty, which would make the working folder the run folder; give a folder, or "
                           "leave it out for runs/MODEL-DATA-TIME")
        if config.out is None:
            if distributed.is_launched():
                raise CLIError("under torchrun, give the run folder with --out (every rank must agree on it)")
            config.out = str(_default_out(config))
        run = Run(config.out)
        _refuse_writing_over_config(args.config, run, config)
    _check_device(config or run.read_config())
    _join_process_group(config or run.read_config())
    try:
        if not distributed.is_main():
            status = _follow(run, config, args)
        elif config is not None:
            _say_the_config_is_quiet(config, args)
            status = train_new_run(config)
        else:
            with _locked(run):
                status = _resume(run, args)
        distributed.wait_for_all()
    finally:
        distributed.leave()  # on every rank, errors included: not left to atexit during interpreter teardown
    return status


def _refuse_writing_over_config(source: str | None, run, config: RunConfig) -> None:
    """Refuse a CONFIG file that is the config.yaml the run writes (the resolved config, every
    key filled in), unless it already says exactly that: it would replace the user's own file."""
    from aekit.app.config import dump_config
    from aekit.app.runs import Run

    written = run.file(Run.CONFIG)
    if source is None or not written.is_file() or not Path(source).is_file() or not Path(source).samefile(written):
        return
    if Path(source).read_text(encoding="utf-8") != dump_config(config):
        raise CLIError(
            f"CONFIG {source!r} is the {Run.CONFIG} that training writes into --out {run.path} (the resolved config, "
            f"every setting filled in), which would replace it and its comments: keep your config outside the run "
            f"folder, or give another --out"
        )


@contextmanager
def _locked(run) -> Iterator[None]:
    """Hold the run's training lock, its stale temporaries removed; another process's lock is a CLIError."""
    from aekit.app.runs import RunInUseError

    try:
        with run.training_lock():
            run.remove_stale_temporaries()
            yield
    except RunInUseError as err:
        raise CLIError(str(err)) from None


def _follow(run, config, args: argparse.Namespace) -> int:
    """A rank other than 0 under torchrun: train its shard; rank 0 does the checks and writes."""
    if config is None:
        config = run.read_config()
        if args.epochs is not None:
            config.model.max_epochs = args.epochs
        elif run.has_model():
            return 0
    return _fit(run, config, resume=bool(args.resume), quiet=True)


def _budget_note(history: dict) -> str:
    """' (batches of 16, PCA start, ...)': what the fit chose, from history_['settings']."""
    settings = history.get("settings", {})
    parts = [f"batches of {settings['batch_size']}"] if "batch_size" in settings else []
    if settings.get("init") == "pca":
        parts.append("PCA start")
    if settings.get("early_stopping"):
        patience = settings["early_stopping"]
        parts.append(f"patience {patience} epoch{'s' * (patience != 1)}")
    return f" ({', '.join(parts)})" if parts else ""


def _objective_name(model, history: dict) -> str:
    """"; loss='auto' chose 'bce'" (or "; loss='mse'"): the loss (a VAE's likelihood) the fit
    trained with, from history_['settings'], so a user who left the config's `model` at 'auto'
    sees which; '' when not recorded."""
    settings = history.get("settings", {})
    key = next((k for k in ("loss", "likelihood") if k in settings), None)
    if key is None:
        return ""
    chosen = settings[key]
    return f"; {key}='auto' chose {chosen!r}" if getattr(model, key, None) == "auto" else f"; {key}={chosen!r}"


def _kept_note(history: dict) -> str:
    """'; kept epoch 12 (validation 0.1)' when early stopping restored earlier weights."""
    from aekit.training.callbacks import kept_weights

    kept = kept_weights(history)
    return f"; kept {kept}" if kept else ""


def train_new_run(config: RunConfig, *, replace: bool = False) -> int:
    """Train a validated RunConfig into the run folder `config.out`, under its lock, as
    `aekit train` does, quietly unless `config.model.verbose`. A run already there is refused or,
    with `replace`, discarded first (`aekit demo` replaces its own); when training fails before
    saving an epoch, a folder this call made is removed again and an existing one loses what the
    call added. Returns the exit status."""
    from aekit.app.config import dump_config
    from aekit.app.runs import Run

    run = Run(config.out)
    if run.path.exists() and not run.path.is_dir():
        raise CLIError(f"--out {config.out!r} is a file, and a run is a folder (config.yaml, model/, ...): give a new folder")
    held, status = (sorted(p.name for p in run.path.iterdir()) if run.path.is_dir() else None), 1
    try:
        with _locked(run):
            if run.has_started() and not replace:
                raise CLIError(
                    f"{run.path} already holds a run; continue it with 'aekit train --resume {run.path}' "
                    "or choose another --out"
                )
            if run.file(Run.CONFIG).is_file():  # an earlier run's, whose files are discarded; not a folder of other files
                run.discard_training()
            elif run.file(Run.METRICS).exists():
                raise CLIError(f"{run.path} is no run folder and holds a {Run.METRICS}, which training would write "
                               "over: give a new or empty folder")
            run.write_config(dump_config(config))
            status = _fit(run, config, resume=False, quiet=not config.model.verbose)
            return status
    finally:
        if status != 0 and not run.has_started():  # refused or stopped before a first epoch was saved
            _remove_all_but(run.path, held)


def _remove_all_but(folder: Path, held: list[str] | None) -> None:
    """Leave `folder` as training found it: remove it when it did not exist (`held` None), else
    whatever it holds beyond the names it `held` (the config, data.json and .lock of a refused run)."""
    if held is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    from aekit.app.runs import remove_entry

    for path in folder.iterdir() if folder.is_dir() else ():
        if path.name not in held:
            remove_entry(path, ignore_errors=True)


def _resume(run, args: argparse.Namespace) -> int:
    """Continue the run from its checkpoint (or train a finished one further with --epochs)."""
    from aekit.app.config import dump_config
    from aekit.app.runs import Run

    config = run.read_config()
    config.model.verbose = not args.quiet
    if args.epochs is not None:
        config.model.max_epochs = args.epochs
    elif run.has_model():
        print(f"{run.path} has finished training; pass --epochs N to train further")
        return 0
    if not run.file(Run.CHECKPOINT).is_file():
        raise CLIError(f"{run.path} has no checkpoint to resume from; start it again without --resume")
    if args.epochs is not None:
        _check_more_epochs(run, args.epochs, config.model)
    run.write_config(dump_config(config))
    return _fit(run, config, resume=True, quiet=args.quiet)


def _check_more_epochs(run, epochs: int, model) -> None:
    """Refuse `--epochs` that would train no further epoch (or one): no more than the run's
    checkpoint has, a run whose early stopping has spent the patience it would have at
    `epochs`, or one that has spent its `max_time` (`model` is the run config's model part)."""
    from aekit.app.runs import Run
    from aekit.training.budget import AUTO, auto_patience
    from aekit.training.checkpoint import read_checkpoint

    try:
        info, _ = read_checkpoint(run.file(Run.CHECKPOINT))
    except ValueError as err:
        raise CLIError(str(err)) from None
    done, waited = int(info["epoch"]), int(info["since_best"])
    if epochs <= done:
        raise CLIError(f"{run.path} has trained {done} epochs and --epochs counts all of them; "
                       f"give more than {done} to train it further")  # fmt: skip
    saved = info["history"].get("settings", {}).get("early_stopping")
    early_stopping, max_time = getattr(model, "early_stopping", None), getattr(model, "max_time", None)
    patience = None if saved is None else auto_patience(epochs) if early_stopping == AUTO else saved
    if patience is not None and waited >= patience:
        raise CLIError(
            f"early stopping ended {run.path} after epoch {done} ({waited} epoch{'s' * (waited != 1)} without a better "
            f"validation loss, "
            f"patience {patience}), so more --epochs would stop at once; to train further, start a new run with a "
            "larger model.early_stopping"
        )
    if max_time is not None and info.get("elapsed", 0.0) >= max_time:
        raise CLIError(
            f"{run.path} has spent its model.max_time of {max_time:g} s ({info['elapsed']:.1f} s of training), so more "
            "--epochs would stop after one; to train further, start a new run with a larger model.max_time"
        )


def takes_images(est) -> bool:
    """Whether `est` reads X as images: a conv estimator (autoencoder, context encoder) or a
    VAE with the conv backbone, which all have `input_shape`.

    Parameters
    ----------
    est : estimator
        The estimator, fitted or not.
    """
    params = est.get_params(deep=False)
    return "input_shape" in params and params.get("backbone", "conv") == "conv"


def _as_images(est, X: np.ndarray, image_shape) -> np.ndarray:
    """The rows X (n, C*H*W) as images (n, C, H, W), or (n, H, W) for grey, when `est` reads
    images and the reader knows their `image_shape`, as a Python user hands them over; else X."""
    if image_shape is None or not takes_images(est):
        return X
    return X.reshape(X.shape[0], *(int(s) for s in image_shape))


def table_not_images(source: str, model: str, key: str, n_features: int | None = None) -> str:
    """The refusal of a conv `model` without an input shape for the table `source`, whose rows
    are images only when the user gives their shape with the setting `key`.

    Parameters
    ----------
    source : str
        The table's path, named in the message.
    model : str
        The model's name ('conv').
    key : str
        The setting that takes the shape ('model.input_shape' for train).
    n_features : int, default=None
        The width of the table's encoded rows, named as the shape's product; None when unknown.

    Returns
    -------
    str
        The message.
    """
    side = math.isqrt(n_features or 0)
    product = f" (product {n_features}" + (f", e.g. [1,{side},{side}]" if side * side == n_features else "") + ")"
    return (f"{source!r} is a table, whose rows a {model!r} model reads as images only when told their shape: give "
            f"--set {key}=[channels,height,width]{product if n_features else ''}, or choose a model for tables")


def _check_image_shape_known(est, config, n_features: int, image_shape, table: bool) -> None:
    """Refuse, before training, rows that a conv model cannot read as images: no image shape
    from the reader, no model.input_shape, and a `table` (images only when the user says so)
    or a width that is no square grey image."""
    if image_shape is not None or not takes_images(est) or est.get_params(deep=False)["input_shape"] is not None:
        return
    if table:
        raise CLIError(table_not_images(config.data.source, config.model.name, "model.input_shape", n_features))
    if math.isqrt(n_features) ** 2 != n_features:
        raise CLIError(
            f"{config.data.source!r} has rows of {n_features} values and no image shape, which a {config.model.name!r} "
            f"model needs: give --set model.input_shape=[channels,height,width] (product {n_features}), or train on "
            "an image folder or a 4-D .npy of images"
        )


def _layout(est, X: np.ndarray, image_shape) -> str:
    """'1,000 rows x 64 features', or '1,000 images of 3x32x32' for a model that reads images."""
    if image_shape is not None and takes_images(est):
        from aekit.estimators.base import image_shape as channels_first

        shape = channels_first(image_shape, "image_shape")
        return f"{len(X)} images of {'x'.join(map(str, shape))} (channels x height x width)"
    return f"{len(X)} rows x {X.shape[1]} features"


def _warn_left_out(reader, source: str) -> None:
    """Warn on stderr about the table columns the run's reader found to leave out of the features
    (identifiers, dates, durations, constants: `aekit.data.columns.non_features`; free text is refused), naming them
    and why, and how to keep them."""
    from aekit.data.columns import IGNORED

    found = {c: why for c, why in (getattr(reader, "left_out", None) or {}).items() if why != IGNORED}
    if found:
        listed = "; ".join(f"{c!r} is {why}" for c, why in found.items())
        print(f"aekit train: warning: columns of {str(source)!r} left out of the model: {listed} "
              "(--set data.ignore_columns=null keeps them)", file=sys.stderr)


def _guards_a_wide_code(params: dict) -> bool:
    """Whether an estimator with these parameters keeps a code wider than its input from copying it:
    a sparsity penalty or top-k code, input noise, a contractive penalty, or a VAE's noisy code."""
    return ((params.get("sparsity") or 0) > 0 or params.get("sparsity_kind") == "topk"
            or params.get("corruption") not in (None, "auto") or (params.get("contractive") or 0) > 0 or "beta" in params)


def _warn_wide_code(est, n_features: int, source: str) -> None:
    """Warn on stderr when the code is at least as wide as the rows it encodes and nothing keeps it
    from holding them as they are instead of summarising them."""
    params = est.get_params(deep=False)
    latent_dim = params.get("latent_dim")
    if isinstance(latent_dim, int) and latent_dim >= n_features and not _guards_a_wide_code(params):
        print(f"aekit train: warning: model.latent_dim={latent_dim} is not smaller than the {n_features} features of "
              f"{str(source)!r}, so the code can hold each row as it is rather than a summary of it; give a "
              f"model.latent_dim below {n_features}, or a model that keeps a wide code from copying (sparse, "
              "denoising, contractive, vae)", file=sys.stderr)


class _Terminated(KeyboardInterrupt):
    """SIGTERM during training, ended as Ctrl-C ends it."""


@contextmanager
def _terminate_as_interrupt(launched: bool) -> Iterator[None]:
    """While training, SIGTERM (`kill`, a batch scheduler's stop before its kill) stops as Ctrl-C
    does, with the resume hint and the loggers closed, instead of ending the process on the spot.
    Not under a launcher (torchrun stops its ranks by SIGTERM and must see them go at once) nor
    outside the main thread, where Python cannot take signals."""
    import signal
    import threading

    if launched or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _check_same_rows(run, split, source: str) -> None:
    """Refuse to resume a run on training rows other than those it started on (the source
    changed since): its checkpoint, scaling and validation losses belong to the old rows."""
    saved = run.read_data_info().get("train_sha256")
    if saved is not None and saved != split.train_sha256():
        raise CLIError(
            f"{source!r} has changed since {run.path} started training: its training rows ({split.X_train.shape[0]} x "
            f"{split.X_train.shape[1]} now) are not the ones the checkpoint was trained on. Put the data back as it "
            "was to resume, or train a new run on the new data (another --out)"
        )


def _fit(run, config, *, resume: bool, quiet: bool) -> int:
    from aekit.training import distributed
    from aekit.training.callbacks import CSVLogger, TensorBoardLogger
    from aekit.training.checkpoint import Checkpointer
    from aekit.app.config import build_estimator, fingerprint
    from aekit.app.runs import Run, Scaling, prepare_data, refuse_gaps
    from aekit.nn.likelihoods import COUNT_LIKELIHOODS

    main_rank = distributed.is_main()
    split = prepare_data(config)
    for part, data in (("training", split.train), ("held-out", split.test)):
        try:
            refuse_gaps(data, config.data.source, part)
        except ValueError as error:  # the held-out rows too: evaluate, report and encode would refuse them
            try:  # the split is shuffled: name the source's first row with a gap, read in its order
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # the reading's warnings were given once already
                    refuse_gaps(split.reader.read(config.data.source), config.data.source)
            except ValueError as whole:
                error = whole
            raise CLIError(str(error)) from None
    count_loss = next((f"{key}={getattr(config.model, key)!r}" for key in ("loss", "likelihood")
                       if getattr(config.model, key, None) in COUNT_LIKELIHOODS), None)  # the VAE's is its likelihood
    if count_loss and config.data.scale in ("standard", "minmax") and not resume:
        what = "gives negative values" if config.data.scale == "standard" else "divides each column by its range, so rows stop being counts"
        raise CLIError(f"data.scale={config.data.scale!r} {what}, which {count_loss} cannot score (it "
                       "reads counts); leave data.scale at 'auto' (counts stay as they are) or 'none'")
    counts = split.train.counts or count_loss is not None  # a count loss reads the rows as counts: 'auto' leaves them unscaled
    if resume:
        _check_same_rows(run, split, config.data.source)
    scaling = Scaling(**run.read_data_info()["scaling"]) if resume else Scaling.fit(config.data.scale, split.X_train, counts=counts)
    if not resume and main_rank:
        run.write_data_info(split, scaling)
        _warn_left_out(split.reader, config.data.source)
    X_train = scaling.transform(split.X_train)
    est = build_estimator(config).set_params(verbose=not quiet, distributed=distributed.is_launched())
    if split.train.counts:  # 'auto' as for counts beyond [0, 1], not the Bernoulli of a corpus where no word repeats in a document
        params = est.get_params()
        est.set_params(**{key: value for key, value in COUNTS_AUTO.items() if params.get(key) == "auto"})
    _check_image_shape_known(est, config, X_train.shape[1], split.image_shape, split.reader.kind == "table")
    if not resume and main_rank:
        _warn_wide_code(est, X_train.shape[1], config.data.source)
    identity = {
        **fingerprint(config),
        "estimator": type(est).__name__,
        "n_train": len(X_train),
        "n_features": X_train.shape[1],
    }
    loggers = [CSVLogger(run.file(Run.METRICS)), *([TensorBoardLogger(run.path)] if config.tensorboard else [])]
    checkpoint = Checkpointer(run.file(Run.CHECKPOINT), fingerprint=identity, resume=resume)
    if not quiet and main_rank:
        what = f"resuming {run.path}" if resume else f"training {type(est).__name__} ({config.model.name})"
        print(
            f"{what} on {_layout(est, X_train, split.image_shape)} of {config.data.source!r} -> {run.path}",
            flush=True,
        )
    start = time.perf_counter()
    try:
        with _terminate_as_interrupt(distributed.is_launched()):
            est.fit(_as_images(est, X_train, split.image_shape), checkpoint=checkpoint, callbacks=loggers)
    except KeyboardInterrupt as stop:
        what = "terminated (SIGTERM)" if isinstance(stop, _Terminated) else "interrupted"
        if checkpoint.path.is_file():
            print(
                f"\n{what}; the last finished epoch is saved. Continue with: aekit train --resume {run.path}",
                file=sys.stderr,
            )
        else:
            print(f"\n{what} before the first epoch finished; nothing was saved to resume from", file=sys.stderr)
        return 143 if isinstance(stop, _Terminated) else 130
    finally:
        for logger in loggers:  # an interrupted fit skips on_fit_end, which closes the event file
            logger.on_fit_end(est)
    if not main_rank:
        return 0
    if split.image_shape is not None and hasattr(est, "_fitted_state") and "image_shape_" in est._fitted_state:
        from aekit.estimators.base import image_shape

        est.image_shape_ = image_shape(split.image_shape, "image_shape_")  # the reader's: the model folder alone knows it
    est.set_params(verbose=False).save(run.model_dir)
    if resume:  # the report of the model trained before, which the new one replaces
        run.discard_report()
    history = est.history_
    val = f", validation {history['val_loss'][-1]:.4g}" if history["val_loss"] else ""
    continued = f" (resumed after epoch {checkpoint.restored_epoch})" if checkpoint.restored_epoch else ""
    print(
        f"trained {type(est).__name__} for {est.n_epochs_} epoch{'s' * (est.n_epochs_ != 1)}{continued}{_budget_note(history)}: "
        f"loss {history['loss'][-1]:.4g}{val} (the training objective, on rows {scaling.units}){_objective_name(config.model, history)}{_kept_note(history)} "
        f"({time.perf_counter() - start:.1f} s)"
    )
    print(f"run folder: {run.path}  (model/, config.yaml, metrics.csv, TensorBoard events)")
    print(f"next: aekit evaluate {run.path}   aekit report {run.path}")
    return 0
