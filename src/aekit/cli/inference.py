"""`aekit evaluate`, `encode`, `reconstruct` and `generate`: using a trained run (or any saved
model folder) on data."""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from aekit._wording import counted
from aekit.cli.common import (
    RUN_HEADER,
    CLIError,
    add_command,
    add_encoding_option,
    add_header_option,
    check_header_given_with,
    id_column_name,
    int_in_range,
    integer_ids,
    print_table,
    seed,
    typed_ids,
    write_array,
    write_images,
)
from aekit.cli.scheduled import add_scheduler_options
from aekit.saving.atomic import atomic_write_bytes
from aekit.saving.json_files import json_bytes

__all__ = ["add_parsers", "run_evaluate", "run_generate", "run_rows"]

RUN_HELP = "a run folder from 'aekit train' (or a folder saved with est.save)"
ROW_OUTPUTS = {"encode": ("transform", "codes"), "reconstruct": ("reconstruct", "reconstructions")}
SOURCE_HELP = (
    "digits, mnist[:train|:test], fashion-mnist[:train|:test], a .csv/.parquet/.npy file, or a folder of images or .txt files"
)


def add_parsers(commands) -> None:
    """Add `aekit evaluate`, `encode`, `reconstruct` and `generate` to the subcommands.

    Parameters
    ----------
    commands : argparse subparsers action
        What `ArgumentParser.add_subparsers` returned.
    """
    evaluate = add_command(
        commands,
        "evaluate",
        "reconstruction error vs PCA, and kNN accuracy on the codes",
        "Measure a trained model on held-out rows beside PCA with the same number of components:\n"
        "mean squared error per entry, squared error summed per sample, the model's mean score, and\n"
        "(when the data have labels) the accuracy of a 5-nearest-neighbour classifier on the codes,\n"
        "or for a numeric target the R^2 of a 5-nearest-neighbour regressor.\n"
        "Without --data the run's own held-out split is used; PCA is fitted on the run's training rows.",
        "  aekit evaluate runs/vae\n"
        "  aekit evaluate runs/vae --data mnist:test --json runs/vae/test.json\n"
        "  aekit evaluate runs/table --data new_rows.csv",
        run_evaluate,
    )
    evaluate.add_argument("run", metavar="RUN", help=RUN_HELP)
    evaluate.add_argument("--data", metavar="SOURCE", help=f"rows to evaluate on: {SOURCE_HELP}")
    evaluate.add_argument("--json", metavar="FILE", help="also write the numbers to FILE as JSON")
    add_header_option(evaluate, None, RUN_HEADER)
    add_encoding_option(evaluate, "--data")

    for name, summary, what, more in (
        ("encode", "write the codes of some rows", "the codes (n, latent_dim)", ""),
        ("reconstruct", "write the reconstructions of some rows", "the reconstructions (n, n_features), in the data's units,",
         "\nAn image run's .npy holds images in the layout the run read (channels-first, or (N, H, W, C) for\na .npy "
         "read with data.channels_last), as 'aekit generate' writes them; OUTPUT a folder\n(a path "
         "without a suffix, or ending in /) receives one PNG per image, named after the input's files\n(photos/a/1.jpg as "
         "a/1.png) or, for an array, its row numbers (a folder holding other PNGs is refused). A table\nrun's .csv or "
         ".parquet holds the columns it was trained on as 'aekit generate' writes them: each\ncategorical one as its "
         "most probable category, each column of whole numbers rounded within\nits training range."),
    ):
        written = ROW_OUTPUTS[name][1]
        parser = add_command(
            commands,
            name,
            summary,
            f"Write {what} of the rows of INPUT\nto OUTPUT: .npy, or .csv or .parquet with a header and a first column 'id' "
            "('_id' beside a column\nnamed 'id'): each row's file name for a folder; for a table its data.id_column,\nelse the "
            "identifier column training left out, else a Parquet file's named index (a MultiIndex's levels\njoined by '/'), else its row number.\nINPUT is laid out and scaled the way the run's training data were. With --scheduler ADDRESS the "
            "rows\nof a Parquet file or folder are processed partition by partition on a Dask cluster and OUTPUT\nis "
            "a new folder of Parquet files, the same rows in the same order." + more,
            f"  aekit {name} runs/vae mnist:test {written}.npy\n  aekit {name} runs/table new_rows.csv {written}.csv\n"
            f"  aekit {name} runs/table rows/ {written}/ --scheduler tcp://scheduler:8786"
            + ("\n  aekit reconstruct runs/conv photos/ reconstructed/" if name == "reconstruct" else ""),
            run_rows,
        )
        parser.add_argument("run", metavar="RUN", help=RUN_HELP)
        parser.add_argument("input", metavar="INPUT", help=SOURCE_HELP)
        pngs = ", or for an image run a folder of PNGs" if name == "reconstruct" else ""
        parser.add_argument("output", metavar="OUTPUT", help=f"a .npy, .csv or .parquet file{pngs} (with --scheduler: a folder)")
        add_header_option(parser, None, RUN_HEADER)
        add_encoding_option(parser)
        add_scheduler_options(parser, "OUTPUT")

    generate = add_command(
        commands,
        "generate",
        "decode new samples from a model (its prior, or a density fitted to its codes)",
        "Draw N samples from a model and write them to OUTPUT: .npy, .csv, .parquet, or .png (a grid of images\n"
        "for image data, else a heat map of the rows), or for images a folder of PNGs, one per sample (a folder holding other PNGs is refused). A model with a prior (the variational\n"
        "autoencoder) draws from it; any other autoencoder (plain, convolutional, ...) decodes draws\n"
        "from a density fitted to the codes of the run's training rows (aekit.analysis.latent's\n"
        "LatentSampler; for a model folder, of the rows given with --data). The image shape is the one\n"
        "saved with the model or its run, or --image-shape for a model that does not know it (one\n"
        "fitted on flat rows); a .npy of images holds them channels-first, (N, H, W) grey or\n"
        "(N, C, H, W), as aekit reads them, or (N, H, W, C) for a run on a .npy read with\n"
        "data.channels_last. A run's image folder, MNIST-style set or digits is drawn as stored\n"
        "(0 black, 1 white); other rows on the samples' own range. Samples are in the data's units:\n"
        "an integer .npy run's are integers of the file's dtype (uint8 pixels 0..255, as 'aekit reconstruct'\n"
        "writes them too); a text run's are word counts (never negative; a model decoding word proportions gives the\n"
        "expected counts of a document of the training documents' mean length); a .csv or .parquet of a table\n"
        "run holds the columns it was trained on in their order, each categorical one as its most probable\n"
        "category, and each column whose training values were all whole numbers (an age, a count, a\n"
        "0/1 flag) rounded to them within its training range (a .npy holds the model's features,\n"
        "one-hot groups as they are decoded).",
        "  aekit generate runs/vae samples.png -n 32\n  aekit generate runs/vae samples.npy -n 1000 --seed 1\n"
        "  aekit generate runs/vae samples/ -n 8\n"
        "  aekit generate saved_model samples.png --image-shape 28,28\n"
        "  aekit generate saved_conv_model samples.png --data mnist:test",
        run_generate,
    )
    generate.add_argument("run", metavar="RUN", help=RUN_HELP)
    generate.add_argument("output", metavar="OUTPUT", help="a .npy, .csv, .parquet or .png file, or for images a folder of PNGs")
    generate.add_argument(
        "-n", "--n-samples", type=int_in_range(1), default=16, metavar="N", help="how many (default: %(default)s)"
    )
    generate.add_argument("--seed", type=seed, default=0, metavar="N", help="seeds the draws (default: %(default)s)")
    generate.add_argument(
        "--image-shape",
        type=image_shape_argument,
        metavar="C,H,W",
        help="the shape of each sample as an image, C,H,W (channels 1 or 3 for a .png) or H,W, for a .png or .npy of a "
        "model that does not know it (default: the shape saved with the model or its run)",
    )
    generate.add_argument(
        "--data",
        metavar="SOURCE",
        help=f"for a model without a prior: rows whose codes the sampling density is fitted to "
        f"(default: the run's training rows; needed for a model folder): {SOURCE_HELP}",
    )
    generate.add_argument(
        "--density",
        choices=("gmm", "gaussian", "kde"),
        help="for a model without a prior: the density fitted to the codes, a Gaussian mixture of up to "
        "10 components, one Gaussian, or a kernel density (default: gmm)",
    )
    add_header_option(generate, None, RUN_HEADER)
    add_encoding_option(generate, "--data")


def image_shape_argument(text: str) -> tuple[int, ...]:
    """'C,H,W' or 'H,W' (also 'HxW') as a tuple of positive integers, for --image-shape."""
    parts = [p.strip() for p in text.replace("x", ",").split(",")]
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        dims = ()
    if len(dims) not in (2, 3) or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"expected C,H,W or H,W of positive integers, e.g. 1,28,28 or 28,28; got {text!r}")
    return dims


def run_evaluate(args: argparse.Namespace) -> int:
    """`aekit evaluate`: print the model's held-out numbers beside PCA's (`evaluate`), and
    write them as JSON with `--json`.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: `run`, `data` and `json`.

    Returns
    -------
    int
        The exit status, 0 on success.
    """
    from aekit.app.run_report import evaluate, metrics_table

    check_header_given_with(args, args.data, "--data")
    model = _autoencoder_model(args.run, "evaluate")
    test, train = model.rows(args.data, "evaluate on", args.header, args.encoding), model.training_rows()
    where = "the run's held-out rows" if args.data is None else repr(args.data)
    note = "PCA is fitted on the run's training rows"
    if train is None:
        train, note = test, "PCA and the k-NN model of the labels are fitted on the evaluated rows themselves"
    est = model.estimator
    with model.matched_by_name(train, test):
        evaluation = evaluate(est, train.X, test.X, train.y, test.y, test.class_names)
    print(f"{type(est).__name__} on {len(test)} of {where}, errors {model.scaling.units} ({note}):")
    print_table(metrics_table(evaluation.scores))
    print(f"  mean score_samples (higher is better): {evaluation.mean_score:.6g}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        measured = {**evaluation.as_dict(), "error_units": model.scaling.units}
        atomic_write_bytes(Path(args.json), json_bytes(measured, indent=2))
        print(f"wrote {args.json}")
    return 0


def run_rows(args: argparse.Namespace) -> int:
    """`aekit encode` (codes (n, latent_dim)) and `aekit reconstruct` (reconstructions (n,
    n_features) in the data's units), each row written after its id; with --scheduler, on a Dask
    cluster from a Parquet file or folder to a folder of Parquet files.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: `command` ('encode' or 'reconstruct'), `run`, `input`,
        `output`, `scheduler` and `connect_timeout`.

    Returns
    -------
    int
        The exit status, 0.
    """
    if args.scheduler:
        return _rows_on_cluster(args)
    model = _autoencoder_model(args.run, args.command)
    rows, est = model.rows(args.input, header=args.header, encoding=args.encoding), model.estimator
    if args.command == "reconstruct" and _names_a_folder(args.output):
        with model.matched_by_name(rows):
            reconstructions = model.reconstructions(rows.X)
        shape = _images_to_folder(model, reconstructions, Path(args.output), "reconstruct", rows.row_ids())
        print(f"wrote {len(reconstructions)} reconstructions as {'x'.join(map(str, shape))} PNG images to {args.output}")
        return 0
    if args.command == "reconstruct" and Path(args.output).suffix.lower() == ".png":
        raise CLIError(f"OUTPUT {args.output!r}: 'aekit reconstruct' writes images as one PNG per input into a folder: "
                       f"give a folder, e.g. {str(Path(args.output).with_suffix(''))!r}")
    what, shape = ROW_OUTPUTS[args.command][1], None
    if args.command == "encode":
        with model.matched_by_name(rows):
            out, columns = est.transform(rows.X), [str(c) for c in est.get_feature_names_out()]
    else:
        with model.matched_by_name(rows):
            reconstructions = model.reconstructions(rows.X)
        out, columns = _as_written(model, args.output, reconstructions, rows.feature_names)
        shape = _image_shape(model, None, out.shape[1], drawn=False) if Path(args.output).suffix.lower() == ".npy" else None
    written = out if shape is None else _as_images(out, shape, model.reader)
    write_array(args.output, written, columns, rows.row_ids())
    shown = f"{out.shape[1]} values" if shape is None else f"{'x'.join(map(str, written.shape[1:]))} images"
    print(f"wrote {out.shape[0]} {what} of {shown} to {args.output}")
    return 0


_OTHER_COMMANDS = {
    "AutoEncoderOutlierDetector": "score rows with 'aekit detect ROWS --fitted {path}'",
    "AutoEncoderImputer": "fill a table with 'aekit impute IN OUT --fitted {path}'",
    "AutoEncoderClassifier": "predict in Python with AutoEncoderClassifier.load({path!r}).predict(X)",
}


def _autoencoder_model(path: str, command: str):
    """The `Model` of run or model folder `path` (`open_model`), refused with a CLIError naming
    the estimator and what to use instead when it is not an autoencoder (a detector, an imputer,
    a classifier), which has no codes or reconstructions for `aekit command`."""
    from aekit.app.runs import open_model
    from aekit.estimators.base import BaseAutoEncoder

    model = open_model(path, run_of_model=True)
    if isinstance(model.estimator, BaseAutoEncoder):
        return model
    name = type(model.estimator).__name__
    instead = _OTHER_COMMANDS.get(name, "").format(path=str(path))
    raise CLIError(f"{str(path)!r} holds {name}, which is not an autoencoder: 'aekit {command}' needs an "
                   f"autoencoder's codes and reconstructions" + (f"; {instead}" if instead else ""))


def _names_a_folder(output: str) -> bool:
    """Whether OUTPUT names a folder: one that exists, ends in a slash, or has no suffix."""
    return Path(output).is_dir() or output.endswith(("/", os.sep)) or not Path(output).suffix


def _images_to_folder(model, X: np.ndarray, folder: Path, command: str, ids: list[str],
                      given: tuple[int, ...] | None = None, instead: str = "a .npy, .csv or .parquet file") -> tuple[int, ...]:
    """Rows X (n, n_features) in the data's units written into `folder` as one PNG each, named
    after `ids` (`write_images`), of the model's image shape (or `given`, --image-shape), pixels on
    [0, 1] drawn as stored, other values on their own range; the shape. Refused, naming 'aekit
    `command`' and what to give `instead`, when the rows are not images of 1 or 3 channels."""
    shape = _image_shape(model, given, X.shape[1], drawn=True)
    if shape is None:
        raise CLIError(
            f"OUTPUT {str(folder)!r} is a folder, which 'aekit {command}' fills with PNG images, but the run's rows "
            f"({X.shape[1]} values) are not images of 1 or 3 channels: give {instead}"
        )
    write_images(folder, X, shape, (0.0, 1.0) if model.reader.unit_pixels else None, ids)
    return shape


def _rows_on_cluster(args: argparse.Namespace) -> int:
    """`run_rows` partition by partition on the Dask cluster at --scheduler: each partition read
    and scaled as `Model.rows` reads a table, the model's method applied by
    `aekit.engines.dask.apply`, written with the same columns as the single-process .parquet."""
    from aekit.app.runs import allows_nan, decodes_proportions
    from aekit.cli.scheduled import dask_cluster, parquet_folder, parquet_index, read_parquet_lazily, write_parquet
    from aekit.data.datasets import feature_columns
    from aekit.engines.dask import apply

    folder = parquet_folder(args.output, "OUTPUT")
    table = read_parquet_lazily(args.input)
    index = parquet_index(args.input)
    model = _autoencoder_model(args.run, args.command)
    method, what = ROW_OUTPUTS[args.command]
    with dask_cluster(args) as client:
        starts, named = None, model.reader.id_source([c for c in table.columns if c not in index])
        if named is None and index:  # as Model.rows reads it: a named index names the rows, it is no column
            named = index[0] if len(index) == 1 else index
            integers = len(index) == 1 and _integer_ids(table, named)  # a MultiIndex's levels are joined as text
            table = table.map_partitions(lambda part: part.set_index(named), meta=table._meta.set_index(named))
        else:
            table = table.drop(columns=index) if index else table
            integers = _integer_ids(table, named)
        if named is None:  # rows are numbered: each partition's first number
            lengths = table.map_partitions(len).compute().to_numpy()  # every column: one column would merge partitions
            starts = np.concatenate([[0], np.cumsum(lengths)])
        names = list(model.reader.feature_names or [])
        ids = id_column_name([*names, *feature_columns(names, getattr(model.reader, "categories", None) or {})])
        prepare = (model.reader, model.scaling, str(args.input), starts, ids, integers,
                   not allows_nan(model.estimator))
        meta = _prepared_partition(_first_rows(table, args.input), *prepare, partition_info={"number": 0}).iloc[:0]
        rows = table.map_partitions(partial(_prepared_partition, empty=meta), *prepare, meta=meta)
        features = [c for c in meta.columns if c != ids]
        out = apply(model.estimator, method, rows, client=client, features=features, keep=[ids])
        if args.command == "reconstruct":
            proportions = decodes_proportions(model.estimator)
            meta = _in_data_units(out._meta, rows._meta, model.scaling, features, proportions)  # float64 once unscaled
            out = out.map_partitions(_in_data_units, rows, model.scaling, features, proportions, meta=meta,
                                     align_dataframes=False)
            if model.reader.kind == "table":
                meta = _as_table_partition(out._meta, model.reader, features, not proportions, ids)
                out = out.map_partitions(_as_table_partition, model.reader, features, not proportions, ids, meta=meta)
        out = out.rename(columns={ids: id_column_name([c for c in out.columns if c != ids])})  # as write_array names it
        (n_rows,) = write_parquet(out, folder, out.shape[0])
    print(f"wrote {n_rows} {what} of {out.shape[1] - 1} values to {folder}/ ({out.npartitions} Parquet files)")
    return 0


def _first_rows(table, source: str):
    """The first row of the first partition holding one, to lay out the prepared partitions."""
    for i in range(table.npartitions):
        rows = table.partitions[i].head(1, npartitions=1)
        if len(rows):
            return rows
    raise CLIError(f"{source!r} has no rows")


def _integer_ids(table, column: str | None) -> bool:
    """Whether the rows of the Dask frame `table` are identified by integers, as `write_array`
    decides for the whole table in one process: numbered rows (`column` None), or a `column` of
    identifiers whose values all are (`integer_ids`)."""
    if column is None or column not in table.columns:
        return column is None
    flags = table[column].map_partitions(_partition_integer_ids, meta=(column, bool))
    return bool(flags.compute().all())


def _partition_integer_ids(ids):
    import pandas as pd

    from aekit.data.readers import id_texts

    return pd.Series([integer_ids(id_texts(ids))], name=ids.name)


def _prepared_partition(frame, reader, scaling, source: str, starts, ids_name: str, integers: bool, complete: bool,
                        empty=None, partition_info=None):
    """One partition of the input as a frame: `ids_name` (its ID column, else the global row
    number from the partitions' `starts`; int64 when `integers`), then the features scaled into
    the model's space, refused as `Model.rows` refuses them when `complete` rows are needed and
    some value is missing; `empty` for a partition without rows."""
    import pandas as pd

    from aekit.app.runs import refuse_gaps

    if empty is not None and len(frame) == 0:
        return empty
    data = reader.read_frame(frame, source)
    data = replace(data, X=scaling.transform(data.X))
    first = 0 if starts is None else int(starts[partition_info["number"]])
    if complete:
        refuse_gaps(data, source, start=first)
    ids = data.ids if data.ids is not None else [str(i) for i in range(first, first + len(frame))]
    X = pd.DataFrame(data.X, columns=data.feature_names, index=frame.index)
    return pd.concat([pd.DataFrame({ids_name: typed_ids(ids, integers)}, index=frame.index), X], axis=1)


def _in_data_units(part, rows, scaling, features: list[str], proportions: bool):
    """A partition of reconstructions of `rows` in the data's units, as `Model.reconstructions` gives them."""
    from aekit.app.runs import in_data_units

    X_hat = in_data_units(scaling, rows[features].to_numpy(), part[features].to_numpy(), proportions)
    return part.assign(**dict(zip(features, X_hat.T)))


def _as_table_partition(part, reader, features: list[str], whole: bool, ids_name: str):
    """A partition of reconstructions (`ids_name` and the `features`) as the run's table columns
    after its identifiers, of their kinds (`aekit.app.written.table_rows`, `whole` as there)."""
    import pandas as pd

    from aekit.app.written import table_rows
    from aekit.cli.scheduled import text_dtype

    table = table_rows(reader, part[features].to_numpy(), whole).set_axis(part.index)
    labels = dict.fromkeys([column for column in table if table[column].dtype == object], text_dtype())
    return pd.concat([part[[ids_name]], table.astype(labels)], axis=1)


def run_generate(args: argparse.Namespace) -> int:
    """`aekit generate`: draws from a model's prior, or for an autoencoder without one from a
    `LatentSampler` fitted to the codes of the run's training rows (or --data), decoded and
    written as rows or, to a .png, as a grid of images of the model's (or --image-shape's) shape.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: `run`, `output`, `n_samples`, `seed`, `image_shape`, `data`
        and `density`.

    Returns
    -------
    int
        The exit status, 0.
    """
    from aekit.app.runs import open_model

    check_header_given_with(args, args.data, "--data")
    model = open_model(args.run)
    est = model.estimator
    output, folder = Path(args.output), _names_a_folder(args.output)
    if not folder and output.suffix.lower() not in (".png", ".npy", ".csv", ".parquet"):
        raise CLIError(f"OUTPUT {str(output)!r} must end in .png, .npy, .csv or .parquet, or name a folder (of PNGs, for "
                       "images)")
    n_features = math.prod(getattr(est, "output_shape_", None) or (est.n_features_in_,))  # a colorization model's are colour
    kind = output.suffix.lower()
    shape = _image_shape(model, args.image_shape, n_features, drawn=kind == ".png") if kind in (".png", ".npy") else None
    if callable(getattr(est, "sample", None)):
        given = [option for option, value in (("--density", args.density), ("--data", args.data)) if value is not None]
        if given:
            raise CLIError(f"{' and '.join(given)} choose{'s' if len(given) == 1 else ''} the density of a model without a "
                           f"prior; {type(est).__name__} draws from its prior: leave {' and '.join(given)} out")
        drawn, how = est.sample(args.n_samples, random_state=args.seed), "from its prior"
    elif callable(getattr(est, "transform", None)) and callable(getattr(est, "inverse_transform", None)):
        args.density = args.density or "gmm"
        drawn, how = _latent_samples(model, args), f"decoded from a {args.density} density fitted to its codes"
    else:
        raise CLIError(
            f"{type(est).__name__} cannot generate: it has no sample method (no prior to draw codes from) and no "
            "decoder (inverse_transform). Train a generative model, e.g. 'aekit train --model vae ...'"
        )
    samples = model.samples(drawn)
    if folder:
        instead = "a .npy, .csv, .parquet or .png file, or --image-shape H,W for rows that are images"
        shape = _images_to_folder(model, samples, output, "generate", [str(i) for i in range(len(samples))],
                                  args.image_shape, instead)
        print(f"wrote {counted(args.n_samples, 'sample')} {how} as {'x'.join(map(str, shape))} PNG images to {output}")
        return 0
    names = model.reader.feature_names or [str(c) for c in getattr(est, "feature_names_in_", [])] or None
    names = names if names and len(names) == samples.shape[1] else None
    if output.suffix.lower() == ".png":
        from aekit.app.plot import plot_samples

        title = f"{counted(args.n_samples, 'sample')} from {type(est).__name__}"
        drawn_as_stored = (0.0, 1.0) if model.reader.unit_pixels else None  # else the samples' own range
        plot_samples(samples, shape, title=title, value_range=drawn_as_stored, feature_names=names, path=output)
    else:
        written, names = _as_written(model, output, samples if shape is None else _as_images(samples, shape, model.reader), names)
        write_array(output, written, names)
        shape = shape if shape is None else written.shape[1:]
    shown = f" as {'x'.join(map(str, shape))} images" if shape is not None else ""
    print(f"wrote {counted(args.n_samples, 'sample')} {how}{shown} to {output}")
    return 0


def _as_written(model, output, X: np.ndarray, columns: list[str] | None):
    """Rows X (n, n_features) in the data's units as `output` holds them: for a run on a table,
    in a .csv or .parquet the table's own columns, of their kinds (`Model.as_table`); else X as
    the run's file held it (`Model.as_stored`: an integer .npy's integers) and `columns`."""
    table = model.as_table(X) if Path(output).suffix.lower() in (".csv", ".parquet") else None
    return (model.as_stored(X), columns) if table is None else (table, None)


def _as_images(rows: np.ndarray, shape: tuple[int, ...], reader) -> np.ndarray:
    """Flat rows (n, prod(shape)) as images in the layout the run's `reader` took them in:
    (n, H, W, C) from a .npy read with channels_last=True, else channels-first as aekit reads
    them, (n, H, W) for one grey channel and (n, C, H, W) for more."""
    images = rows.reshape(len(rows), *shape)
    if len(shape) == 3 and getattr(reader, "channels_last", None):
        return np.ascontiguousarray(images.transpose(0, 2, 3, 1))
    return images[:, 0] if len(shape) == 3 and shape[0] == 1 else images


def _image_shape(model, given: tuple[int, ...] | None, n_features: int, drawn: bool) -> tuple[int, ...] | None:
    """The shape to draw (`drawn`) or save each sample as: --image-shape, else the one saved with the
    model (a convolutional model's output shape, `image_shape_`) or its run's reader, else None
    (rows, drawn as a heat map). (1, H, W) is grey; drawn colour needs 3 channels, a saved image any."""
    from aekit.app.plot import drawable_image_shape

    est = model.estimator
    if given is not None:
        if math.prod(given) != n_features:
            raise CLIError(
                f"--image-shape {','.join(map(str, given))} holds {math.prod(given)} values, but "
                f"{type(est).__name__} gives samples of {n_features} features"
            )
        if drawn and drawable_image_shape(given) is None:
            raise CLIError(f"--image-shape {','.join(map(str, given))}: an image has 1 (grey) or 3 (colour) channels")
        return given
    for candidate in (
        getattr(est, "output_shape_", None),
        getattr(est, "image_shape_", None),
        getattr(est, "input_shape_", None),
        model.reader.image_shape,
    ):
        if candidate is not None and math.prod(candidate) == n_features and (not drawn or drawable_image_shape(candidate)):
            return tuple(int(s) for s in candidate)
    return None


def _latent_samples(model, args: argparse.Namespace):
    """Decoded draws from a `LatentSampler` fitted to the codes of the run's training rows
    (or of --data, already scaled like them)."""
    from aekit.analysis.latent import LatentSampler

    est = model.estimator
    if args.data is not None:
        data = model.rows(args.data, header=args.header, encoding=args.encoding)
    elif model.config is not None:
        data = model.training_rows()
    else:
        raise CLIError(
            f"{type(est).__name__} has no prior to draw from; it generates by decoding draws from a density "
            f"fitted to the codes of some rows. {str(model.path)!r} is a model folder, not a run: give those "
            "rows with --data SOURCE (e.g. the training data)"
        )
    rows = data.X
    if len(rows) < 2:
        which = f"--data {args.data!r} has {len(rows)} row" if args.data is not None else (
            f"the run {str(model.path)!r} has {len(rows)} training row")
        raise CLIError(f"fitting the density to the codes needs at least 2 rows, and {which}; give more with --data SOURCE")
    sampler = LatentSampler(est, density=args.density, n_components=10, random_state=args.seed)
    with model.matched_by_name(data):
        return sampler.fit(rows).sample(args.n_samples, random_state=args.seed)
