"""`aekit report` and `aekit export`: what a trained run gives to people and to other programs."""

from __future__ import annotations

import argparse
import shutil
from typing import TYPE_CHECKING

from aekit.cli.common import add_command, print_table

if TYPE_CHECKING:
    from aekit.saving.export import RawInput

__all__ = ["add_parsers", "raw_input_of", "run_export", "run_report"]


def add_parsers(commands) -> None:
    """Add `aekit report` and `aekit export` to the subcommands.

    Parameters
    ----------
    commands : argparse subparsers action
        What `ArgumentParser.add_subparsers` returned.
    """
    report = add_command(
        commands,
        "report",
        "write a run's HTML report (one self-contained page)",
        "Write RUN/report.html: the config, loss curves, metrics beside the PCA baseline,\n"
        "reconstructions, the latent scatter, decoded samples, interpolations and, for a model that\n"
        "can sample (a VAE), draws from its prior. Every figure is embedded in the page (the PNGs are\n"
        "also kept in RUN/figures, where an earlier report's figures this one does not draw are\n"
        "removed), so the one file can be mailed or opened anywhere. The page links the latent map of\n"
        "the held-out rows, written beside it as RUN/explorer.html (replacing one 'aekit explore' wrote\n"
        "there). Each --compare run, trained on the same data and seed, adds its model and PCA to the\n"
        "table and error chart.",
        "  aekit report runs/vae\n  xdg-open runs/vae/report.html\n"
        "  aekit report runs/ae2 --compare runs/ae8   # both trained on one data split",
        run_report,
    )
    report.add_argument("run", metavar="RUN", help="a run folder from 'aekit train'")
    report.add_argument(
        "--compare", action="append", default=[], metavar="RUN", help="another run of the same data (repeatable)"
    )

    export = add_command(
        commands,
        "export",
        "export the encoder and decoder to ONNX",
        "Write DIR/encoder.onnx (rows -> code: (batch, latent_dim)) and DIR/decoder.onnx (code ->\n"
        "reconstruction), with DIR/onnx.json describing them. For a run the graphs hold its data\n"
        "preparation: the encoder takes raw rows in the data's own units (input x: (batch, n_features)\n"
        "float32; for a table with text columns, 'numeric': (batch, n_numeric) float32 plus one string\n"
        "input (batch,) per text column, named as the column) and gives the codes 'aekit encode' gives;\n"
        "the decoder gives flat rows in the data's units, the features as decoded (one-hot groups as\n"
        "they come, whole numbers unrounded: what 'aekit reconstruct' writes to a table's .csv, it\n"
        "rounds and turns into categories outside the graph). For a run on an integer .npy both graphs\n"
        "work on its integers divided by the scale aekit read them with (255 for uint8). The graphs on the\n"
        "scaled features stay beside them (encoder_scaled.onnx, decoder_scaled.onnx), with\n"
        "DIR/data.json holding the scaling they expect. The command prints what each graph takes.",
        "  aekit export runs/vae --onnx exported/vae\n"
        "  python -c \"import onnxruntime as ort; print(ort.InferenceSession('exported/vae/encoder.onnx').get_inputs())\"",
        run_export,
    )
    export.add_argument("run", metavar="RUN", help="a run folder from 'aekit train' (or a folder saved with est.save)")
    export.add_argument("--onnx", required=True, metavar="DIR", help="the folder to write the ONNX files into")


def run_report(args: argparse.Namespace) -> int:
    """`aekit report`: write RUN/report.html and print its table of held-out numbers.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: `run` and `compare` (a list of run folders).

    Returns
    -------
    int
        The exit status, 0 on success.
    """
    from aekit.app.run_report import metrics_table, write_run_report

    report = write_run_report(args.run, args.compare)
    print_table(metrics_table(report.scores))
    print(f"wrote {report.path}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """`aekit export`: write the model's encoder and decoder as ONNX graphs into `--onnx` (for
    a run, graphs on raw rows as well as on scaled ones), and print what each graph takes.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line: `run` and `onnx` (the output folder).

    Returns
    -------
    int
        The exit status, 0 on success.
    """
    from aekit.app.runs import Run, open_model
    from aekit.saving.export import to_onnx
    from aekit.saving.json_files import read_json

    model = open_model(args.run, run_of_model=True)
    raw = raw_input_of(model)
    files = to_onnx(model.estimator, args.onnx, raw)
    target = files["encoder"].parent / Run.DATA
    if (model.path / Run.DATA).is_file():
        if not target.exists() or not target.samefile(model.path / Run.DATA):  # --onnx RUN: it is there already
            shutil.copyfile(model.path / Run.DATA, target)
    elif not (target.parent / Run.CONFIG).is_file():  # an earlier export's, whose scaling is another model's (not a run's own)
        target.unlink(missing_ok=True)
    info = read_json(files["encoder"].parent / "onnx.json")
    for name, path in files.items():
        part = info[name]
        inputs = part.get("inputs") or [part["input"]]
        takes = ", ".join(f"{i[0]} {_shape(i[1])}" + (f" {i[2]}" if len(i) > 2 and i[2] != "float32" else "") for i in inputs)
        rows = _rows_as_read(model.reader)
        units = {"encoder": f"raw rows in the data's units{rows}", "decoder": "gives rows in the data's units"}
        if getattr(model.estimator, "output_activation_", None) == "softmax":
            units["decoder"] = "gives word proportions; times a document's length they are its expected counts, what aekit reconstruct writes"
        note = f" ({units[name]})" if raw is not None and name in units else ""
        names = info.get("feature_names", [])
        columns = {"encoder": part["input"][0], "decoder": part["output"][0]}.get(name)
        if raw is None and columns and len(names) == (part["input"] if name == "encoder" else part["output"])[1][1]:
            shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
            note = f" ({columns}: the columns {shown}, in onnx.json's feature_names order)"  # a model fitted on a DataFrame
        if name.endswith("_scaled"):
            note = " (on scaled features: apply data.json's scaling first)"
        print(f"wrote {path}: takes {takes} -> {part['output'][0]} {_shape(part['output'][1])}{note}")
    return 0


def _rows_as_read(reader) -> str:
    """What a run's rows are where its reader turned files into numbers (images, integer
    arrays), for the export's message; '' for rows read as stored."""
    if reader.kind == "images":
        shape = tuple(int(s) for s in reader.image_shape)
        layout = f"images {shape}, channels-first" if len(shape) == 3 else f"grey images {shape}"
        return f": pixels in [0, 1] (8-bit values / 255, 16-bit / 65535) of {layout}, flattened"
    if reader.kind == "text":
        return (": each document's counts of the run's words, in the order of data.json's feature_names (lower-cased "
                "words of two or more letters or digits, as scikit-learn's CountVectorizer splits them)")
    if reader.kind == "digits":
        return ": scikit-learn's digits (values 0 to 16) divided by 16, as aekit reads them"
    if reader.kind == "idx":
        return ": the 8-bit pixels divided by 255 of 28 x 28 images, flattened, as aekit reads them"
    if getattr(reader, "int_scale", None):
        return f": the .npy's integers divided by {reader.int_scale:g}, as aekit reads the file"
    return ""


def _shape(dims: list) -> str:
    return "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"


def raw_input_of(model) -> RawInput | None:
    """The run's preparation of its rows (feature names, scaling, a table's categories) for
    `to_onnx`, None for a model folder (which reads rows as they are).

    Parameters
    ----------
    model : Model
        The opened run or model folder (`aekit.app.runs.open_model`).

    Returns
    -------
    RawInput or None
        The feature names, the scaling's offset and scale (None when unscaled) and a table's
        categories.
    """
    from aekit.saving.export import RawInput

    if model.config is None:
        return None
    names = model.reader.feature_names or [f"x{i}" for i in range(int(model.estimator.n_features_in_))]
    scaling = model.scaling
    scaled = scaling.kind != "none"
    categories = getattr(model.reader, "categories", None) or {}
    return RawInput(list(names), scaling.offset if scaled else None, scaling.scale if scaled else None, categories)
