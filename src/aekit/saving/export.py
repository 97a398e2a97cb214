"""ONNX export of a fitted estimator's encoder and decoder, for serving without Python or torch.

`to_onnx(est, folder)` writes `encoder.onnx` (input `x`: (batch, n_features) float32 ->
output `code`: (batch, latent_dim)) and `decoder.onnx` (`code` -> `reconstruction`:
(batch, n_outputs), n_features unless the model predicts other targets, e.g. colour from
gray), both with a free batch dimension, plus `onnx.json` describing them. They compute what
`est.transform` and `est.inverse_transform` compute (for a VAE, the posterior mean and the
decoded mean; for chroma colorization the decoder gives the chroma, which onnx.json says how to
turn into colour around the gray input). Needs the `onnx` and `onnxscript` packages
(`pip install aekit[onnx]`).
"""

from __future__ import annotations

import copy
import logging
import os
import warnings
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import torch
from torch import nn

from aekit.data.chroma import LUMA_STANDARDS
from aekit.nn.models import DecodeOf, EncodeOf
from aekit.saving.json_files import json_bytes
from aekit.saving.persistence import atomic_write_bytes

__all__ = ["ONNX_OPSET", "RawInput", "to_onnx"]

ONNX_OPSET = 18
ONNX_ML_OPSET = 3  # ai.onnx.ml: LabelEncoder (string -> index) for categorical columns


@dataclass
class RawInput:
    """How raw rows become the model's input: features (in `feature_names` order) scaled as
    (x - offset) / scale (None: no scaling), and the text columns of a table one-hot encoded
    over `categories` ({column: levels}, the features 'column=level' in place of the column).

    Parameters
    ----------
    feature_names : list of str
        The model's features, in order.
    offset : sequence of float or None, default=None
        Subtracted from each feature; None (or no `scale`) means no scaling.
    scale : sequence of float or None, default=None
        Positive divisors of each feature after the offset; None (or no `offset`) means no
        scaling.
    categories : mapping of str to sequence, default={}
        Each text column's levels, in the order of its one-hot features.
    """

    feature_names: list[str]
    offset: Sequence[float] | None = None
    scale: Sequence[float] | None = None
    categories: Mapping[str, Sequence] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.feature_names)
        for name in ("offset", "scale"):
            values = getattr(self, name)
            if values is not None and len(values) != n:
                raise ValueError(f"RawInput: {name} has {len(values)} values for {n} features")
        if self.scale is not None and not (np.isfinite(self.scale).all() and np.min(self.scale) > 0):
            raise ValueError("RawInput: scale must hold finite positive values")

    @property
    def scaled(self) -> bool:
        return self.offset is not None and self.scale is not None

    def layout(self) -> list[tuple[str, list[str] | None]]:
        """The raw columns in feature order: (name, None) for a numeric feature, (column, levels)
        for a categorical column's group of one-hot features."""
        names, out, i = self.feature_names, [], 0
        while i < len(names):
            for column, levels in self.categories.items():
                group = [f"{column}={level}" for level in levels]
                if levels and names[i : i + len(group)] == group:
                    out.append((str(column), [str(level) for level in levels]))
                    i += len(group)
                    break
            else:
                out.append((names[i], None))
                i += 1
        return out


    def spellings(self, column: str) -> list[list[str]]:
        """The strings that stand for each of `column`'s levels in a table: the level as text,
        and for a true/false level also the other ways a CSV writes it (true, TRUE), which a
        reader parses to the same value.

        Parameters
        ----------
        column : str
            A text column of `categories`.

        Returns
        -------
        list of list of str
            Per level, in one-hot order, the strings that mean it.
        """
        levels = next(levels for name, levels in self.categories.items() if str(name) == column)
        return [[str(level), *((str(level).lower(), str(level).upper()) if isinstance(level, (bool, np.bool_)) else ())]
                for level in levels]


class _Scaled(nn.Module):
    """`encode` of rows in the data's units ((x - offset) / scale first), or `decode` back to
    them (reconstruction * scale + offset)."""

    def __init__(self, module: nn.Module, offset, scale, decode: bool) -> None:
        super().__init__()
        self.module, self.decode = module, decode
        self.register_buffer("offset", torch.as_tensor(np.asarray(offset, dtype=np.float32)))
        self.register_buffer("scale", torch.as_tensor(np.asarray(scale, dtype=np.float32)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.decode:
            return self.module.decode(x) * self.scale + self.offset
        return self.module.encode((x - self.offset) / self.scale)


@contextmanager
def _quiet_exporter():
    """Keep torch's exporter from printing its internal notices at the user: deprecations inside
    torch, a log line per optional torchvision operator, onnx_ir's line on an empty attribute of
    torch's own graph, and dynamo's note that an unpooling encoder keeps its indices for the
    decoder (a side effect the graphs do not need). Under warnings-as-errors that note failed
    the export."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "onnx_ir")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", category=FutureWarning)
            warnings.filterwarnings("ignore", message="While compiling, we found certain side effects", category=UserWarning)
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _export(wrapper: nn.Module, example: torch.Tensor, input_name: str, output_name: str) -> bytes:
    batch = torch.export.Dim("batch")
    with _quiet_exporter():
        program = torch.onnx.export(
            wrapper,
            (example,),
            input_names=[input_name],
            output_names=[output_name],
            dynamic_shapes=({0: batch},),
            opset_version=ONNX_OPSET,
            dynamo=True,
            external_data=False,
            verbose=False,
        )
    return program.model_proto.SerializeToString()


def _categorical_front(raw: RawInput, template) -> tuple[object, list[tuple[str, list, str]]]:
    """An ONNX model taking a table's raw columns (`numeric` (batch, n_numeric) float32 and one
    string input (batch,) per categorical column) and giving `aekit_raw_features` (batch,
    n_features): the numeric columns as they are and each categorical column one-hot over its
    levels in place, NaN across its group for a value outside them (a missing or unseen
    category). Also returns the inputs as (name, shape, type) for onnx.json."""
    import onnx
    from onnx import TensorProto, helper

    layout = raw.layout()
    numeric = [name for name, levels in layout if levels is None]
    inputs, nodes, initializers, pieces, described = [], [], [], [], []
    if numeric:
        inputs.append(helper.make_tensor_value_info("numeric", TensorProto.FLOAT, ["batch", len(numeric)]))
        inputs[-1].doc_string = f"the numeric columns {numeric} in the data's units"
        pieces.append("numeric")
        described.append(("numeric", ["batch", len(numeric)], "float32"))
    initializers.append(helper.make_tensor("aekit_raw/values", TensorProto.FLOAT, [2], [0.0, 1.0]))
    initializers.append(helper.make_tensor("aekit_raw/nan", TensorProto.FLOAT, [], [float("nan")]))
    initializers.append(helper.make_tensor("aekit_raw/axis1", TensorProto.INT64, [1], [1]))
    where = {name: j for j, name in enumerate(numeric)}  # numeric feature -> its column in `numeric`
    order = []
    for k, (name, levels) in enumerate(layout):
        if levels is None:
            order.append(where[name])
            continue
        m, t = len(levels), f"aekit_raw/c{k}"
        keys = [(spelling, index) for index, spellings in enumerate(raw.spellings(name)) for spelling in spellings]
        name = _input_name(name)
        inputs.append(helper.make_tensor_value_info(name, TensorProto.STRING, ["batch"]))
        inputs[-1].doc_string = f"text column {name!r}, one-hot encoded over {levels}; any other value gives NaN codes"
        described.append((name, ["batch"], "string"))
        initializers.append(helper.make_tensor(f"{t}/depth", TensorProto.INT64, [], [m]))
        nodes += [
            helper.make_node("LabelEncoder", [name], [f"{t}/index"], domain="ai.onnx.ml",
                             keys_strings=[key for key, _ in keys], values_int64s=[index for _, index in keys], default_int64=m),
            helper.make_node("OneHot", [f"{t}/index", f"{t}/depth", "aekit_raw/values"], [f"{t}/hot"], axis=-1),
            helper.make_node("Equal", [f"{t}/index", f"{t}/depth"], [f"{t}/unseen"]),
            helper.make_node("Unsqueeze", [f"{t}/unseen", "aekit_raw/axis1"], [f"{t}/unseen2"]),
            helper.make_node("Where", [f"{t}/unseen2", "aekit_raw/nan", f"{t}/hot"], [f"{t}/group"]),
        ]  # fmt: skip
        start = len(numeric) + sum(len(lv) for _, lv in layout[:k] if lv is not None)
        order.extend(range(start, start + m))
        pieces.append(f"{t}/group")
    initializers.append(helper.make_tensor("aekit_raw/order", TensorProto.INT64, [len(order)], order))
    nodes += [
        helper.make_node("Concat", pieces, ["aekit_raw/columns"], axis=1),
        helper.make_node("Gather", ["aekit_raw/columns", "aekit_raw/order"], ["aekit_raw_features"], axis=1),
    ]
    output = helper.make_tensor_value_info("aekit_raw_features", TensorProto.FLOAT, ["batch", len(raw.feature_names)])
    graph = helper.make_graph(nodes, "aekit_raw_columns", inputs, [output], initializer=initializers)
    opsets = [helper.make_opsetid("", ONNX_OPSET), helper.make_opsetid("ai.onnx.ml", ONNX_ML_OPSET)]
    model = helper.make_model(graph, opset_imports=opsets, ir_version=template.ir_version)
    onnx.checker.check_model(model)
    return model, described


def _input_name(column: str) -> str:
    """The graph input of a categorical column: its name, unless that is taken ('numeric',
    'code' or a name of aekit's own), then 'column:NAME'."""
    return f"column:{column}" if column in ("numeric", "code") or column.startswith("aekit_") else column


def _with_front(front, body_bytes: bytes, body_input: str, body_output: str) -> bytes:
    """`front` feeding the exported model in `body_bytes` (through its input `body_input`),
    the body's names prefixed so that no column name can clash with them, its output kept."""
    import onnx
    from onnx import compose

    body = compose.add_prefix(onnx.load_from_string(body_bytes), "aekit_body/")
    merged = compose.merge_models(front, body, io_map=[("aekit_raw_features", f"aekit_body/{body_input}")])
    prefixed = f"aekit_body/{body_output}"
    for node in merged.graph.node:
        node.output[:] = [body_output if name == prefixed else name for name in node.output]
        node.input[:] = [body_output if name == prefixed else name for name in node.input]
    for output in merged.graph.output:
        if output.name == prefixed:
            output.name = body_output
    onnx.checker.check_model(merged)
    return merged.SerializeToString()


def _check_exportable(estimator) -> None:
    """Refuse an estimator without an encoder and a decoder (a detector, an imputer, a classifier)."""
    module = getattr(estimator, "module_", None)
    missing = [what for what, ok in (("encoder", hasattr(module, "encode")), ("decoder", hasattr(module, "decode")),
                                     ("code size (code_dim_)", hasattr(estimator, "code_dim_"))) if not ok]
    if not missing:
        return
    name = type(estimator).__name__
    hint = ""
    if hasattr(getattr(estimator, "autoencoder_", None), "module_") and not hasattr(module, "encode"):
        hint = ("; its fitted autoencoder can be: to_onnx(est.autoencoder_, path) gives the codes and reconstructions "
                "it scores with (the anomaly score itself is not exported)")
    raise ValueError(f"{name} cannot be exported to ONNX: the export writes an autoencoder's encoder and decoder, and "
                     f"{name} is not one (it has no {' or '.join(missing)}){hint}")


def to_onnx(estimator, path: str | os.PathLike, raw: RawInput | None = None) -> dict[str, Path]:
    """Write `path`/encoder.onnx, decoder.onnx and onnx.json for a fitted aekit estimator;
    returns {'encoder': Path, 'decoder': Path, ...}.

    With `raw` (a run's preparation of its rows, see `RawInput`) the encoder takes raw rows and
    the decoder gives rows in the data's units, and the graphs on the model's own (scaled,
    encoded) features are written too, as encoder_scaled.onnx and decoder_scaled.onnx; without
    it, those of an earlier export into the same folder are removed.

    Parameters
    ----------
    estimator : fitted aekit estimator
        Has `module_` with `encode` and `decode`, `n_features_in_` and `code_dim_`; another
        (a detector, an imputer, a classifier) is refused with a ValueError.
    path : str or PathLike
        The folder to write into (created when missing).
    raw : RawInput or None, default=None
        How raw rows become the model's input; None exports the model's own features only.

    Returns
    -------
    paths : dict of str to Path
        The ONNX files written, by graph name: 'encoder' and 'decoder', plus
        'encoder_scaled' and 'decoder_scaled' when `raw` scales or encodes the rows.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    _check_exportable(estimator)
    try:
        import onnxscript  # noqa: F401  (torch's exporter needs it)
    except ImportError as err:
        raise ImportError("ONNX export needs the onnx and onnxscript packages: pip install 'aekit[onnx]'") from err
    n_features, latent_dim = int(estimator.n_features_in_), int(estimator.code_dim_)
    if raw is not None and len(raw.feature_names) != n_features:
        raise ValueError(f"raw: {len(raw.feature_names)} feature names for a model of {n_features} features")
    if raw is not None and not raw.scaled and not raw.categories:
        raw = None  # raw rows are the model's input: one pair of graphs says it all
    out = Path(path)
    module = copy.deepcopy(estimator.module_).to("cpu", torch.float32).eval()
    x = torch.zeros(2, n_features)
    with torch.no_grad():
        code = module.encode(x)
        n_outputs = int(module.decode(code).shape[1])  # an image-to-image model's targets, not its input
    suffix = "" if raw is None else "_scaled"
    files = {
        f"encoder{suffix}": (EncodeOf(module).eval(), x, "x", "code"),
        f"decoder{suffix}": (DecodeOf(module).eval(), torch.zeros_like(code), "code", "reconstruction"),
    }
    if raw is not None:
        offset = raw.offset if raw.scaled else np.zeros(n_features)
        scale = raw.scale if raw.scaled else np.ones(n_features)
        files["encoder"] = (_Scaled(module, offset, scale, decode=False).eval(), x, "x", "code")
        files["decoder"] = (_Scaled(module, offset, scale, decode=True).eval(), torch.zeros_like(code), "code", "reconstruction")
    encoder_inputs = [["x", ["batch", n_features], "float32"]]
    graphs = {}
    for name, (wrapper, example, input_name, output_name) in files.items():
        graph = _export(wrapper, example, input_name, output_name)
        if name == "encoder" and raw is not None and raw.categories:
            import onnx

            front, described = _categorical_front(raw, onnx.load_from_string(graph))
            graph = _with_front(front, graph, input_name, output_name)
            encoder_inputs = [list(d) for d in described]
        graphs[name] = graph
    out.mkdir(parents=True, exist_ok=True)  # only once every graph is built: a failed export leaves the folder as it was
    written = {}
    for name, graph in graphs.items():
        atomic_write_bytes(out / f"{name}.onnx", graph)
        written[name] = out / f"{name}.onnx"
    info = {
        "estimator": type(estimator).__name__,
        "opset": ONNX_OPSET,
        "encoder": {
            "file": "encoder.onnx",
            "input": ["x", ["batch", n_features]],
            "input_dtype": "float32",
            "output": ["code", ["batch", latent_dim]],
        },
        "decoder": {
            "file": "decoder.onnx",
            "input": ["code", ["batch", latent_dim]],
            "input_dtype": "float32",
            "output": ["reconstruction", ["batch", n_outputs]],
        },
        "dtype": "float32",
    }
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:  # fitted on a DataFrame: which column goes where in x and in the reconstruction
        info["feature_names"] = [str(name) for name in names]
    if getattr(estimator, "colorization_", None) == "chroma":
        info["decoder"]["gives"] = (
            f"the chroma (2, height, width) of colour around the gray input, B - Y then R - Y with Y the {estimator.luma_} "
            f"luma of weights {list(LUMA_STANDARDS[estimator.luma_])} (R, G, B), not colour: "
            "aekit.data.chroma.colour_from_chroma(gray, chroma, weights) rebuilds the colour images"
        )
    if raw is not None:
        info["encoder"]["inputs"] = encoder_inputs
        if raw.categories:
            del info["encoder"]["input_dtype"]  # one per input in 'inputs'
        if len(encoder_inputs) > 1 or encoder_inputs[0][0] != "x":
            info["encoder"]["input"] = encoder_inputs[0][:2]
        info["encoder"]["takes"] = "raw rows in the data's units" + (
            ": the numeric columns in 'numeric' (in the order of 'numeric_columns'), each categorical column as "
            "strings in its own input (a value outside its categories gives NaN codes)" if raw.categories else ""
        )
        if raw.categories:
            info["encoder"]["numeric_columns"] = [n for n, levels in raw.layout() if levels is None]
            info["encoder"]["categories"] = {n: levels for n, levels in raw.layout() if levels is not None}
        info["decoder"]["gives"] = "rows in the data's units (one-hot columns as their values)"
        info["feature_names"] = list(raw.feature_names)
        for name in ("encoder", "decoder"):
            scaled = dict(info[name], file=f"{name}_scaled.onnx")
            for key in ("inputs", "takes", "gives", "numeric_columns", "categories"):
                scaled.pop(key, None)
            scaled["input"] = ["x", ["batch", n_features]] if name == "encoder" else scaled["input"]
            scaled["input_dtype"] = "float32"
            scaled["note"] = "works on the model's scaled, encoded features (apply data.json's scaling first)"
            info[f"{name}_scaled"] = scaled
    atomic_write_bytes(out / "onnx.json", json_bytes(info, indent=2))
    for stale in ("encoder_scaled", "decoder_scaled"):
        if stale not in written:  # an earlier export's, for another model: onnx.json no longer describes it
            (out / f"{stale}.onnx").unlink(missing_ok=True)
    return written
