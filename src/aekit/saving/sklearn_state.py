"""Fitted scikit-learn estimators kept inside an aekit model (the `IterativeImputer` blend partner
of `AutoEncoderImputer`, a `PCA` an outlier detector wraps) as a folder of `sklearn.json` + `arrays.safetensors`, never pickle.

The JSON describes the object tree: each estimator by class name, constructor parameters and
the attributes `fit` added (its fitted state, taken from the object's `__dict__`), each value
tagged with its kind; every numpy array lives in the safetensors file under a numbered key (a
column-major one transposed, so that it loads with its layout and computes the same), and
the JSON holds that file's SHA-256. A decision tree is stored as its node fields (one array per
field of scikit-learn's node record) and leaf values, and rebuilt through `Tree.__setstate__`
after its child links and split features are checked to stay inside the tree and its inputs.
Only the classes in `known_classes()` are written or read; anything else is refused by name.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

from aekit.saving.checksums import file_entry, read_checked_safetensors
from aekit.saving.json_files import json_bytes, read_json

__all__ = ["ARRAYS_FILE", "STATE_FILE", "dump_sklearn", "known_classes", "load_sklearn"]

STATE_FILE = "sklearn.json"
ARRAYS_FILE = "arrays.safetensors"
FORMAT = "aekit-sklearn"
FORMAT_VERSION = 1
ARRAY_KINDS = "biuf"  # bool, signed, unsigned, float: what safetensors stores and a fitted estimator holds
TAGS = frozenset({"json", "array", "fortran_array", "scalar", "dtype", "list", "tuple", "dict", "triplet", "random_state", "tree", "estimator"})


def known_classes() -> dict[str, type]:
    """The scikit-learn classes this module saves and loads, by class name.

    Returns
    -------
    classes : dict of str to type
        IterativeImputer, SimpleImputer, BayesianRidge, ExtraTreesRegressor,
        ExtraTreeRegressor and PCA (the model an outlier detector may wrap).
    """
    from sklearn.decomposition import PCA
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer, SimpleImputer
    from sklearn.linear_model import BayesianRidge
    from sklearn.tree import ExtraTreeRegressor

    return {cls.__name__: cls for cls in (BayesianRidge, ExtraTreeRegressor, ExtraTreesRegressor, IterativeImputer, PCA, SimpleImputer)}


def dump_sklearn(estimator) -> dict[str, bytes]:
    """The files that store fitted `estimator`: {STATE_FILE: JSON bytes, ARRAYS_FILE: safetensors bytes}.

    Parameters
    ----------
    estimator : object
        A fitted instance of one of `known_classes()`, whose parts are themselves such
        estimators, numbers, strings, numpy arrays, lists, tuples, dicts and random states.

    Returns
    -------
    files : dict of str to bytes
        File name to content, to write side by side in one folder.
    """
    writer = _Writer(known_classes())
    root = writer.encode(estimator, "estimator")
    if "estimator" not in root:
        raise TypeError(f"cannot save a {type(estimator).__name__}: only {sorted(writer.classes)} are saved")
    arrays = save_arrays(writer.arrays)
    from sklearn import __version__ as sklearn_version

    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "sklearn_version": sklearn_version,
           "arrays": file_entry(ARRAYS_FILE, arrays), "root": root}
    return {STATE_FILE: json_bytes(doc), ARRAYS_FILE: arrays}


def load_sklearn(folder: str | os.PathLike):
    """The estimator `dump_sklearn` stored in `folder`, rebuilt without unpickling.

    Raises FileNotFoundError naming a missing file and ValueError naming the file for anything
    corrupt, altered or of a class outside `known_classes()`.

    Parameters
    ----------
    folder : str or PathLike
        The folder holding STATE_FILE and ARRAYS_FILE.

    Returns
    -------
    estimator : object
        The fitted estimator.
    """
    folder = Path(folder)
    state_path, arrays_path = folder / STATE_FILE, folder / ARRAYS_FILE
    for path in (state_path, arrays_path):
        if not path.is_file():
            raise FileNotFoundError(f"{str(path)!r} is missing")
    doc = read_json(state_path)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{str(state_path)!r} is not a version-{FORMAT_VERSION} {FORMAT!r} file")
    entry = doc.get("arrays")
    named = isinstance(entry, dict) and set(entry) == {"file", "sha256"} and entry["file"] == ARRAYS_FILE
    arrays = read_checked_safetensors(arrays_path, entry["sha256"] if named else None, STATE_FILE, load_arrays)
    from sklearn import __version__ as sklearn_version

    if doc.get("sklearn_version") != sklearn_version:
        warnings.warn(f"{str(state_path)!r} was saved with scikit-learn {doc.get('sklearn_version')}, "
                      f"this is {sklearn_version}; its estimator may not load or predict the same", UserWarning, stacklevel=2)
    reader = _Reader(known_classes(), arrays)
    try:
        estimator = reader.decode(doc.get("root"))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as err:
        raise ValueError(f"{str(state_path)!r}: {err}") from err
    if type(estimator).__name__ not in reader.classes:
        raise ValueError(f"{str(state_path)!r}: its root is not an estimator")
    return estimator


def _init_names(obj) -> set[str]:
    """The attributes a fresh `obj` gets from its constructor (its parameters and defaults)."""
    return set(vars(type(obj)(**obj.get_params(deep=False))))


class _Writer:
    """Turns an object tree into tagged JSON, collecting its arrays under numbered keys."""

    def __init__(self, classes: dict[str, type]):
        self.classes = classes
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, value: np.ndarray, where: str) -> str:
        if value.dtype.kind not in ARRAY_KINDS:
            raise TypeError(f"cannot save {where}: an array of dtype {value.dtype} (numbers and booleans only)")
        key = str(len(self.arrays))
        self.arrays[key] = np.require(value, requirements="C")  # ascontiguousarray would make a 0-d array 1-d
        return key

    def encode(self, value, where: str) -> dict:
        from sklearn.impute._iterative import _ImputerTriplet
        from sklearn.tree._tree import Tree

        if isinstance(value, np.generic):  # before the Python types: np.float64 is a float
            return {"scalar": self.array(np.asarray(value), where)}
        if value is None or isinstance(value, (bool, int, float, str)):
            return {"json": value}
        if isinstance(value, np.ndarray):
            if value.ndim > 1 and value.flags.f_contiguous and not value.flags.c_contiguous:  # PCA's components_
                return {"fortran_array": self.array(value.T, where)}  # the layout kept: it orders a product's sums
            return {"array": self.array(value, where)}
        if isinstance(value, np.dtype):
            if value.kind not in ARRAY_KINDS:
                raise TypeError(f"cannot save {where}: dtype {value}")
            return {"dtype": value.str}
        if isinstance(value, _ImputerTriplet):
            return {"triplet": [self.encode(v, f"{where}.{i}") for i, v in enumerate(value)]}
        if isinstance(value, (list, tuple)):
            return {"list" if isinstance(value, list) else "tuple": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"dict": {k: self.encode(v, f"{where}.{k}") for k, v in value.items()}}
        if isinstance(value, np.random.RandomState):
            _, key, pos, has_gauss, gauss = value.get_state(legacy=True)
            return {"random_state": {"key": self.array(key, where), "pos": int(pos), "has_gauss": int(has_gauss), "gauss": float(gauss)}}
        if isinstance(value, Tree):
            return {"tree": self.tree(value, where)}
        if type(value).__name__ in self.classes and type(value) is self.classes[type(value).__name__]:
            init = _init_names(value)
            state = {k: v for k, v in vars(value).items() if k not in init}
            return {"estimator": {
                "class": type(value).__name__,
                "params": {k: self.encode(v, f"{where}.{k}") for k, v in value.get_params(deep=False).items()},
                "state": {k: self.encode(v, f"{where}.{k}") for k, v in state.items()},
            }}
        raise TypeError(f"cannot save {where}: a {type(value).__name__} is not among the known estimators "
                        f"{sorted(self.classes)} and the values they hold")

    def tree(self, tree, where: str) -> dict:
        _, (n_features, n_classes, n_outputs), state = tree.__reduce__()
        nodes = state["nodes"]
        return {"n_features": int(n_features), "n_classes": self.array(np.asarray(n_classes), where), "n_outputs": int(n_outputs),
                "max_depth": int(state["max_depth"]), "node_count": int(state["node_count"]),
                "nodes": {field: self.array(nodes[field], f"{where}.{field}") for field in nodes.dtype.names},
                "values": self.array(state["values"], f"{where}.values")}


class _Reader:
    """Rebuilds the object tree from tagged JSON and the arrays, refusing unknown classes and tags."""

    def __init__(self, classes: dict[str, type], arrays: dict[str, np.ndarray]):
        self.classes = classes
        self.arrays = arrays

    def array(self, key) -> np.ndarray:
        if not isinstance(key, str) or key not in self.arrays:
            raise ValueError(f"names array {key!r}, which {ARRAYS_FILE} does not hold")
        return self.arrays[key]

    def decode(self, node):
        if not isinstance(node, dict) or len(node) != 1 or next(iter(node)) not in TAGS:
            raise ValueError(f"expected one of the tags {sorted(TAGS)} as a one-key object, got {str(node)[:80]!r}")
        tag, value = next(iter(node.items()))
        if tag == "json":
            if value is not None and not isinstance(value, (bool, int, float, str)):
                raise ValueError(f"a 'json' value must be a number, string, boolean or null, got {type(value).__name__}")
            return value
        if tag == "array":
            return self.array(value).copy()
        if tag == "fortran_array":
            return self.array(value).T.copy(order="F")
        if tag == "scalar":
            scalar = self.array(value)
            if scalar.ndim != 0:
                raise ValueError(f"scalar {value!r} has shape {scalar.shape}")
            return scalar[()]
        if tag == "dtype":
            dtype = np.dtype(str(value))
            if dtype.kind not in ARRAY_KINDS:
                raise ValueError(f"dtype {value!r} is not a number or boolean type")
            return dtype
        if tag in ("list", "tuple", "triplet"):
            if not isinstance(value, list):
                raise ValueError(f"a {tag!r} must hold a list")
            items = [self.decode(v) for v in value]
            if tag == "triplet":
                from sklearn.impute._iterative import _ImputerTriplet

                return _ImputerTriplet(*items)
            return items if tag == "list" else tuple(items)
        if tag == "dict":
            if not isinstance(value, dict):
                raise ValueError("a 'dict' must hold an object")
            return {k: self.decode(v) for k, v in value.items()}
        if tag == "random_state":
            state = np.random.RandomState()
            state.set_state(("MT19937", self.array(value["key"]), value["pos"], value["has_gauss"], value["gauss"]))
            return state
        if tag == "tree":
            return self.tree(value)
        return self.estimator(value)

    def estimator(self, value: dict):
        name = value.get("class")
        if name not in self.classes:
            raise ValueError(f"class {name!r} is not one aekit loads; known: {sorted(self.classes)}")
        cls = self.classes[name]
        params, state = value.get("params"), value.get("state")
        if not isinstance(params, dict) or not isinstance(state, dict):
            raise ValueError(f"a {name} needs 'params' and 'state' objects")
        est = cls(**{k: self.decode(v) for k, v in params.items()})
        est._validate_params()
        init = set(vars(est))
        for key, item in state.items():
            if not key.isidentifier() or key.startswith("__") or key in init or hasattr(cls, key):
                raise ValueError(f"a {name} cannot take the attribute {key!r}")
            setattr(est, key, self.decode(item))
        CHECKS.get(name, lambda est: None)(est)
        return est

    def tree(self, value: dict):
        from sklearn.tree._tree import NODE_DTYPE, TREE_LEAF, Tree

        n_features, n_outputs, node_count = (value[k] for k in ("n_features", "n_outputs", "node_count"))
        n_classes = self.array(value["n_classes"]).astype(np.intp)
        if not all(isinstance(v, int) and v >= 1 for v in (n_features, n_outputs, node_count)) or n_classes.shape != (n_outputs,) \
                or (n_classes < 1).any():
            raise ValueError("a tree needs positive n_features, n_outputs and node_count, and n_classes per output")
        fields = value["nodes"]
        if not isinstance(fields, dict) or list(fields) != list(NODE_DTYPE.names):
            raise ValueError(f"a tree's nodes must have the fields {list(NODE_DTYPE.names)}, in order")
        columns = {field: self.array(key) for field, key in fields.items()}
        for field, column in columns.items():
            if column.shape != (node_count,):
                raise ValueError(f"tree node field {field!r} has shape {column.shape} for {node_count} nodes")
        nodes = np.zeros(node_count, dtype=NODE_DTYPE)
        for field, column in columns.items():
            nodes[field] = column
        left, right, feature = nodes["left_child"], nodes["right_child"], nodes["feature"]
        leaf = left == TREE_LEAF
        index = np.arange(node_count)
        inner_ok = (left > index) & (left < node_count) & (right > index) & (right < node_count) & (feature >= 0) & (feature < n_features)
        if not np.where(leaf, right == TREE_LEAF, inner_ok).all():
            raise ValueError("a tree's child links or split features point outside the tree or its inputs")
        values = self.array(value["values"])
        if values.dtype != np.float64 or values.shape != (node_count, n_outputs, int(n_classes.max())):
            raise ValueError(f"a tree's values must be float64 of shape {(node_count, n_outputs, int(n_classes.max()))}")
        if not isinstance(value["max_depth"], int) or value["max_depth"] < 0:
            raise ValueError("a tree's max_depth must be a non-negative integer")
        tree = Tree(n_features, n_classes, n_outputs)
        tree.__setstate__({"max_depth": value["max_depth"], "node_count": node_count, "nodes": nodes, "values": values})
        return tree


def _check_tree(est) -> None:
    tree = getattr(est, "tree_", None)
    if tree is not None and (tree.n_features != est.n_features_in_ or tree.n_outputs != est.n_outputs_):
        raise ValueError(f"a tree takes {tree.n_features} features, its {type(est).__name__} {est.n_features_in_}")


def _check_forest(est) -> None:
    trees = getattr(est, "estimators_", [])
    if not all(type(t).__name__ == "ExtraTreeRegressor" and t.n_features_in_ == est.n_features_in_ for t in trees):
        raise ValueError(f"the trees of an {type(est).__name__} must be ExtraTreeRegressors taking its {est.n_features_in_} features")


def _check_linear(est) -> None:
    if hasattr(est, "coef_") and np.shape(est.coef_) != (est.n_features_in_,):
        raise ValueError(f"a BayesianRidge's coef_ has shape {np.shape(est.coef_)} for {est.n_features_in_} features")


def _check_iterative(est) -> None:
    n = est.n_features_in_
    for feat_idx, neighbors, step in getattr(est, "imputation_sequence_", []):
        neighbors = np.asarray(neighbors)
        if not (0 <= feat_idx < n and neighbors.ndim == 1 and ((neighbors >= 0) & (neighbors < n)).all()
                and getattr(step, "n_features_in_", None) == len(neighbors)):
            raise ValueError(f"an imputation step's columns or estimator do not fit the imputer's {n} features")
    statistics = getattr(getattr(est, "initial_imputer_", None), "statistics_", np.zeros(n))
    if np.shape(statistics) != (n,):
        raise ValueError(f"the initial imputer has {np.shape(statistics)} statistics for {n} features")


CHECKS = {"ExtraTreeRegressor": _check_tree, "ExtraTreesRegressor": _check_forest, "BayesianRidge": _check_linear,
          "IterativeImputer": _check_iterative}
