"""Run configurations: YAML (or flags) validated against a pydantic schema.

A config has a `model` section (`name` picks a registered estimator; every other key is one
of its parameters), a `data` section, and run settings (an example: `aekit train --help`).

The model schema is built from each registered estimator's signature and its
`_parameter_constraints`, so every parameter of every estimator can be set, and an estimator
defined later is configurable as soon as it is registered. Errors name the key path and the
allowed values (`model.loss: Input should be 'auto', 'bce', ... or 'student_t'; got 'l3'`).
"""

from __future__ import annotations

import difflib
import inspect
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import cache, lru_cache, partial
from numbers import Integral
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

__all__ = [
    "ConfigError",
    "DataConfig",
    "RunConfig",
    "apply_overrides",
    "build_estimator",
    "dump_config",
    "estimator_schema",
    "model_registry",
    "read_config",
    "validate_config",
    "validate_params",
]

DEFAULT_MODEL = "autoencoder"
MODEL_ALIASES = {"vae": "VariationalAutoEncoder"}
RUN_ONLY_PARAMS = ("verbose", "max_epochs", "max_time")  # progress and budgets: not what an epoch learns
MAX_CONFIG_VALUES = 100_000  # values in a config file, counting each use of a YAML alias


class ConfigError(ValueError):
    """A config was refused; `errors` holds one 'key.path: problem' line per problem.

    Parameters
    ----------
    errors : sequence of str
        The problems, one 'key.path: problem' line each; the message lists them all.
    """

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("invalid config:\n  " + "\n  ".join(self.errors))


def short_name(class_name: str) -> str:
    """The command-line name of an estimator class: DenoisingAutoEncoder -> 'denoising'."""
    stem = class_name.removesuffix("AutoEncoder")
    return stem.lower() if stem else "autoencoder"


def model_registry() -> dict[str, type]:
    """Model name -> estimator class, for every registered `BaseAutoEncoder` subclass (plus
    the aliases in MODEL_ALIASES, e.g. 'vae')."""
    import aekit.estimators  # noqa: F401  (defines, and so registers, the estimators)
    from aekit.estimators.base import BaseAutoEncoder
    from aekit.saving.persistence import ESTIMATORS

    names = {short_name(n): cls for n, cls in ESTIMATORS.items() if issubclass(cls, BaseAutoEncoder)}
    names.update({alias: ESTIMATORS[n] for alias, n in MODEL_ALIASES.items() if n in ESTIMATORS})
    return dict(sorted(names.items()))


# ---- estimator parameters as pydantic fields ------------------------------------------------


def _bounds(interval) -> dict:
    bounds = {}
    if interval.left is not None and math.isfinite(interval.left):
        bounds["ge" if interval.closed in ("left", "both") else "gt"] = interval.left
    if interval.right is not None and math.isfinite(interval.right):
        bounds["le" if interval.closed in ("right", "both") else "lt"] = interval.right
    return bounds


def _whole_float_as_int(value: object) -> object:
    """A float that is a whole number (`8.0`, `1e4`, as YAML written by hand or by a script has it) as that int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_Int = Annotated[int, BeforeValidator(_whole_float_as_int)]


_SWITCH_TEXTS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def _switch_as_bool(value: object) -> object:
    """1 or 0, or a quoted 'true', 'yes', 'on', '1' (or their opposites, any case), as the boolean
    they write; any other value as it is."""
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _SWITCH_TEXTS:
        return _SWITCH_TEXTS[value.strip().lower()]
    return value


_Bool = Annotated[bool, BeforeValidator(_switch_as_bool)]


def _whole_number_as_option(value: object, options: tuple[str, ...]) -> object:
    """A whole number whose text is one of `options` (YAML reads `precision: 32` as the int 32) as that text."""
    value = _whole_float_as_int(value)
    if isinstance(value, int) and not isinstance(value, bool) and str(value) in options:
        return str(value)
    return value


def _comma_separated_ints(value: object) -> object:
    """'64,32' or '64,' (YAML reads them as text) as the list [64, 32] or [64], and one whole
    number (`hidden_dims: 64`) as the list of it; any other value as it is."""
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]+(\s*,\s*[0-9]+)*\s*,?\s*", value) and "," in value:
        return [int(part) for part in value.split(",") if part.strip()]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value]
    return value


def _column_name(value: object) -> object:
    """A column name YAML read as a number or a date (`target: 2020`, `id_column: 2021-01-01`) as the
    text of the header it names; a boolean (YAML reads an unquoted yes, no, on, off so) is refused."""
    if isinstance(value, bool):
        raise ValueError("YAML reads an unquoted yes, no, on, off, true or false as a boolean; quote a column named "
                         "so, e.g. 'yes'")
    if isinstance(value, _LeadingZeros):
        return value.written
    if isinstance(value, (int, float, date)):
        return str(value)
    return value


_ColumnName = Annotated[str, BeforeValidator(_column_name)]
_PositiveInts = Annotated[list[Annotated[_Int, Field(gt=0)]], BeforeValidator(_comma_separated_ints)]


def _constraint_type(constraint, default, names_columns: bool = False) -> Any:
    """The pydantic type that accepts what one scikit-learn parameter constraint accepts (from
    YAML: numbers, strings, booleans, lists, mappings, null); a list of column names when
    `names_columns`."""
    from sklearn.utils._param_validation import Interval, StrOptions

    if constraint is None:
        return type(None)
    if isinstance(constraint, StrOptions):
        options = tuple(sorted(constraint.options))
        return Annotated[Literal[options], BeforeValidator(partial(_whole_number_as_option, options=options))]
    if isinstance(constraint, Interval):
        kind = _Int if constraint.type is Integral else float
        return Annotated[kind, Field(**_bounds(constraint))]
    simple = {"boolean": _Bool, "random_state": Union[_Int, None], "verbose": Union[bool, _Int]}
    if isinstance(constraint, str) and constraint in simple:
        return simple[constraint]
    if constraint == "array-like" and names_columns:
        return list[_ColumnName]
    if constraint == "array-like":
        is_ints = isinstance(default, (tuple, list)) and all(isinstance(v, int) for v in default)
        return _PositiveInts if is_ints else Annotated[list[Any], BeforeValidator(_comma_separated_ints)]
    if constraint is dict:
        return dict[str, Any]
    if constraint is bool:
        return _Bool
    if constraint is str:
        return str
    if isinstance(constraint, type) and issubclass(constraint, Integral):
        return _Int
    if isinstance(constraint, type) and constraint.__module__ == "numbers":
        return float
    return None


def _field_type(constraints: Iterable, default, names_columns: bool = False) -> Any:
    types = []
    for constraint in constraints:
        t = _constraint_type(constraint, default, names_columns)
        if t is None:
            continue
        if t not in types:
            types.append(t)
    if not types:
        return Any
    return types[0] if len(types) == 1 else Union[tuple(types)]


@cache
def estimator_schema(cls: type, names: tuple[str, ...] = ()) -> type[BaseModel]:
    """A pydantic model of `cls`'s parameters (types from its `_parameter_constraints`,
    defaults from its signature). With `names`, it also has a `name` field taking those values.

    Parameters
    ----------
    names : tuple of str, default=()
        Model names that select `cls` in a config; the first is the `name` field's default.

    Returns
    -------
    type of pydantic.BaseModel
        The schema; it refuses unknown keys and values of the wrong type (strict mode).
    """
    constraints = getattr(cls, "_parameter_constraints", {})
    fields: dict[str, Any] = {}
    if names:
        fields["name"] = (Literal[names], names[0])
    for param in inspect.signature(cls.__init__).parameters.values():
        if param.name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        default = list(param.default) if isinstance(param.default, tuple) else param.default
        names_columns = param.name.endswith("_columns")  # ignore_columns: a table's column names
        fields[param.name] = (_field_type(constraints.get(param.name, ()), param.default, names_columns), default)
    return create_model(
        f"{cls.__name__}Config",
        __config__=ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True),
        **fields,
    )


def _sklearn_check(cls: type, params: dict, prefix: str) -> None:
    """Run the estimator's own parameter validation, naming the key on failure."""
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        cls(**params)._validate_params()
    except InvalidParameterError as err:
        match = re.search(r"The '(\w+)' parameter", str(err))
        key = f"{prefix}{match.group(1)}" if match else prefix.rstrip(".")
        raise ConfigError([f"{key}: {err}"]) from None


def _as_estimator_params(values: dict, cls: type) -> dict:
    """Validated config values as constructor arguments (lists back to tuples where the
    default is a tuple)."""
    defaults = {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values()}
    return {
        k: tuple(v) if isinstance(v, list) and isinstance(defaults.get(k), tuple) else v
        for k, v in values.items()
        if k != "name"
    }


def validate_params(cls: type, params: dict, prefix: str = "") -> dict:
    """Check `params` (e.g. from `--set`) against `cls`'s parameters; returns constructor kwargs.
    Raises ConfigError naming `prefix` + key.

    Parameters
    ----------
    params : dict
        Parameter values by name, as read from YAML.
    prefix : str, default=''
        Prepended to each key in error messages, e.g. 'model.'.

    Returns
    -------
    dict
        The parameters as `cls(**kwargs)` takes them (lists become tuples where the default is
        a tuple), after the estimator's own parameter validation.
    """
    schema = estimator_schema(cls)
    try:
        values = schema(**params)
    except ValidationError as err:
        raise ConfigError(_explain(err, prefix, allowed=lambda loc: schema.model_fields)) from None
    kwargs = _as_estimator_params({k: getattr(values, k) for k in params}, cls)
    _sklearn_check(cls, kwargs, prefix)
    return kwargs


# ---- the run config ---------------------------------------------------------------------------


_STRICT = ConfigDict(extra="forbid", strict=True)


class DataConfig(BaseModel):
    """Where the rows come from and how they are split and scaled.

    Parameters
    ----------
    source : str, default='digits'
        'digits', 'mnist', 'fashion-mnist', a .csv, .parquet or .npy file, or a folder of
        images or of .txt files.
    target : str, default=None
        Tables: the label column, kept out of the features.
    id_column : str, default=None
        Tables: a column of row identifiers, kept out of the features and written beside codes.
    ignore_columns : 'auto', None or list of str, default='auto'
        Tables: columns kept out of the features; 'auto' also leaves out identifier, date,
        duration and constant columns (with a warning naming them; a free-text column is
        refused); null keeps every column.
    header : {'infer', True, False}, default='infer'
        CSV: whether the first row names the columns; 'infer' does unless it is all numbers.
    labels : str, default=None
        .npy: a file of labels, one per row.
    test_fraction : float, default=0.2
        Held-out share of the rows, in (0, 1); MNIST-style sets use their own test files.
    max_rows : int, default=None
        Use at most this many rows of each split (at least 1); None uses all.
    scale : {'auto', 'none', 'minmax', 'standard'}, default='auto'
        Per-feature scaling fitted on the training rows; 'auto' is 'none' for data in [0, 1],
        for word counts and under a count loss (multinomial, poisson), else 'standard'.
    image_size : list of int, default=None
        Image folders: (height, width) every image is resized to.
    image_mode : {'auto', 'L', 'RGB'}, default='auto'
        Image folders: 'L' grey, 'RGB' colour; 'auto' is 'L' only when every file is grey.
    channels_last : bool or None, default=None
        4-D .npy: True moves (n, height, width, channels) to channels-first (see `load_npy`).
    data_home : str, default=None
        Folder of the MNIST-style files; None uses `$AEKIT_DATA`, else ``~/.cache/aekit``.
    download : bool, default=False
        Fetch missing MNIST-style files from the official mirrors.
    max_words : int, default=2000
        Text folders: count the most frequent words (at least 1), stop words left out.
    encoding : str, default=None
        Text folders and CSV files: the text encoding, e.g. 'latin-1'; None reads UTF-8 (a
        CSV's byte-order mark is followed).
    """

    model_config = _STRICT

    source: str = "digits"  # digits | mnist | fashion-mnist | a .csv, .parquet or .npy file | a folder of images or .txt files
    target: _ColumnName | None = None  # tables: the label column (kept out of the features)
    id_column: _ColumnName | None = None  # tables: a column of row identifiers (kept out of the features, written beside codes)
    ignore_columns: Literal["auto"] | list[_ColumnName] | None = "auto"  # tables: columns kept out; auto: identifiers, dates, durations, constants too
    header: _Bool | Literal["infer"] = "infer"  # CSV: whether the first row names the columns; infer: unless numbers
    labels: str | None = None  # .npy: a file of labels, one per row
    test_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.2  # held-out share; MNIST-style sets use their test files
    max_rows: Annotated[_Int, Field(ge=1)] | None = None  # use at most this many rows of each split
    scale: Literal["auto", "none", "minmax", "standard"] = "auto"  # auto: none for data in [0, 1], else standard
    image_size: Annotated[_PositiveInts, Field(min_length=2, max_length=2)] | None = None
    image_mode: Literal["auto", "L", "RGB"] = "auto"  # image folders: L grey, RGB colour; auto: L only when every file is grey
    channels_last: _Bool | None = None  # 4-D .npy: true moves (n, H, W, C) to channels-first; see load_npy
    data_home: str | None = None  # MNIST-style files; default $AEKIT_DATA, else ~/.cache/aekit
    download: _Bool = False  # fetch MNIST-style files from the official mirrors when absent
    max_words: Annotated[_Int, Field(ge=1)] = 2000  # text folders: count the most frequent words, stop words left out
    encoding: str | None = None  # text folders and CSV files, e.g. latin-1; default UTF-8 (a CSV's byte-order mark is followed)


class RunConfig(BaseModel):
    """The whole run; `model` is the section of the chosen estimator.

    Parameters
    ----------
    model : pydantic.BaseModel, default=None
        The estimator's section: `name` (the registered model) and its parameters (see
        `estimator_schema`); `validate_config` builds it from a mapping.
    data : DataConfig, default=DataConfig()
        Where the rows come from and how they are split and scaled.
    seed : int, default=0
        Seeds the split, and the model unless `model.random_state` is set; in [0, 2**32 - 1].
    out : str, default=None
        The run folder.
    tensorboard : bool, default=True
        Write TensorBoard event files beside metrics.csv.
    """

    model_config = _STRICT

    model: Any = None
    data: DataConfig = Field(default_factory=DataConfig)
    seed: Annotated[_Int, Field(ge=0, le=2**32 - 1)] = 0  # seeds the split, and the model unless model.random_state is set
    out: str | None = None  # the run folder
    tensorboard: _Bool = True  # write TensorBoard event files beside metrics.csv

    def estimator_class(self) -> type:
        """The estimator class that `model.name` selects."""
        return model_registry()[self.model.name]


@lru_cache(maxsize=8)
def _run_schema(registry_key: tuple[tuple[str, str], ...]) -> type[BaseModel]:
    registry = model_registry()
    by_class: dict[type, list[str]] = {}
    for name, cls in registry.items():
        by_class.setdefault(cls, []).append(name)
    members = [
        estimator_schema(cls, tuple(sorted(names, key=lambda n: n != short_name(cls.__name__))))
        for cls, names in by_class.items()
    ]
    section = members[0] if len(members) == 1 else Annotated[Union[tuple(members)], Field(discriminator="name")]
    return create_model("RunConfigSchema", __base__=RunConfig, model=(section, Field(default_factory=dict)))


def _schema() -> type[BaseModel]:
    return _run_schema(tuple((n, c.__name__) for n, c in model_registry().items()))


_TYPE_TAGS = {"bool", "int", "float", "str", "none", "any", "dict", "list", "literal"}


def _is_type_tag(part: object) -> bool:
    """Whether a location part names a union member (pydantic adds them) rather than a key."""
    return isinstance(part, str) and (
        "[" in part or part.split("-")[0] in _TYPE_TAGS or part.startswith(("function-", "constrained-"))
    )


def _nearest(key: str, options: Iterable[str]) -> str | None:
    """The option `key` most likely misspells, shortens or lengthens: the same in another case, its
    first word ('target_column' -> 'target'), the one option of its first word ('test_size' ->
    'test_fraction'), the closest spelling ('latnt_dim' -> 'latent_dim'), initials ('lr' ->
    'learning_rate') or a first word ('id' -> 'id_column'); None when none is close."""
    options = list(options)
    lower = {option.lower(): option for option in options}
    first = key.lower().split("_")[0]
    for word in (key.lower(), first):
        if word in lower:
            return lower[word]
    same_first = [option for low, option in lower.items() if "_" in key and len(first) > 2 and low.split("_")[0] == first]
    if len(same_first) == 1:
        return same_first[0]
    close = difflib.get_close_matches(key.lower(), list(lower), n=1, cutoff=0.6)
    if close:
        return lower[close[0]]
    return next((o for o in options if "_" in o and key in ("".join(w[0] for w in o.split("_")), o.split("_")[0])), None)


def _explain(
    err: ValidationError, prefix: str = "", tags: Iterable[str] = (), allowed=lambda loc: (), home=lambda key: None
) -> list[str]:
    """One 'key.path: problem' line per problem key; `allowed(loc)` lists the keys allowed
    beside an unknown one, `home(key)` the path where an unknown key belongs, if any."""
    tags = set(tags)
    problems: dict[str, list[str]] = {}
    nullable: set[str] = set()
    for e in err.errors():
        loc = list(e["loc"])
        if len(loc) > 1 and loc[0] == "model" and loc[1] in tags:
            del loc[1]
        loc = loc[:1] + [part for part in loc[1:] if not _is_type_tag(part)]
        key = prefix + ".".join(str(part) for part in loc)
        if e["type"] == "extra_forbidden":
            keys = sorted(allowed(loc))
            moved, hint = home(loc[-1]), ""
            if loc[-1] == "loss" and "likelihood" in keys:
                hint = "; this model's reconstruction term is model.likelihood (--set model.likelihood=gaussian, say)"
            elif moved and moved != key:
                hint = f" here; it is {moved}"
            elif near := _nearest(str(loc[-1]), keys):
                hint = f" (did you mean {near}?)"
            problem = f"unknown key{hint}; allowed keys: {', '.join(keys)}"
        elif e["type"] == "value_error":
            problem = f"{e['ctx']['error']}; got {e['input']!r}"
        elif e["type"] == "bool_type":
            problem = f"Input should be true or false (or yes/no, on/off, 1/0); got {e['input']!r}"
        elif e["type"] == "int_type" and isinstance(e.get("input"), float):
            problem = f"Input should be a whole number; got {e['input']!r}"
        elif "input" in e and not isinstance(e["input"], dict) and len(repr(e["input"])) <= 80:
            problem = f"{e['msg']}; got {e['input']!r}"
            listed = e["type"] in ("list_type", "too_short") and not isinstance(e["input"], list)
            problem += " (write a list as [64, 32] or 64,32)" if listed else ""
        else:
            problem = e["msg"]
        if problem not in problems.setdefault(key, []):
            problems[key].append(problem)
        if e["type"] != "extra_forbidden" and e.get("input") is not None and _accepts_null(allowed(loc), loc[-1]):
            nullable.add(key)
    return [f"{key}: {' | '.join(found)}{' | or null' * (key in nullable)}" for key, found in problems.items()]


def _accepts_null(fields, name: object) -> bool:
    """Whether the field `name` among a schema's `fields` (name to FieldInfo) takes null."""
    info = fields.get(name) if isinstance(fields, dict) else None
    return info is not None and type(None) in get_args(info.annotation)


def validate_config(raw: dict) -> RunConfig:
    """Validate a config mapping; fills every default (so the result is the resolved config)
    and sets model.random_state from `seed` when it is unset. Raises ConfigError.

    Parameters
    ----------
    raw : dict
        The config as read (`read_config`), with any overrides applied; a missing
        `model.name` is 'autoencoder'.

    Returns
    -------
    RunConfig
        The validated, resolved config.
    """
    if not isinstance(raw, dict):
        raise ConfigError([f"the config must be a mapping of sections, got {type(raw).__name__}"])
    raw = {k: v for k, v in raw.items() if not (k in ("model", "data") and v is None)}  # an empty section: defaults
    model = raw.get("model", {})
    if not isinstance(model, dict):
        raise ConfigError([f"model: must be a mapping (name: ..., parameters), got {model!r}"])
    raw["model"] = {"name": DEFAULT_MODEL, **model}
    registry = model_registry()
    name = raw["model"]["name"]
    errors: list[str] = []
    if not isinstance(name, str):
        errors.append(f"model.name: must be one model name, got {name!r}; allowed: {', '.join(registry)}")
        raw["model"], name = {"name": DEFAULT_MODEL}, DEFAULT_MODEL
    elif name not in registry:
        near = _nearest(name, registry)
        errors.append(f"model.name: unknown model {name!r}{f' (did you mean {near!r}?)' if near else ''}; allowed: "
                      f"{', '.join(registry)}")
        raw["model"] = {"name": DEFAULT_MODEL}

    def allowed(loc: list) -> Iterable[str]:
        if loc[0] == "model":
            return estimator_schema(registry.get(name, registry[DEFAULT_MODEL])).model_fields
        return DataConfig.model_fields if loc[0] == "data" else RunConfig.model_fields

    def home(key: object) -> str | None:
        sections = (("model.", allowed(["model"])), ("data.", DataConfig.model_fields), ("", RunConfig.model_fields))
        return next((f"{path}{key}" for path, keys in sections if key in keys and key not in ("model", "data")), None)

    try:
        config = _schema()(**raw)
    except ValidationError as err:
        errors += _explain(err, tags=registry, allowed=allowed, home=home)
    if errors:
        raise ConfigError(errors)
    cls = registry[config.model.name]
    if config.model.random_state is None:
        config.model.random_state = config.seed
    _sklearn_check(cls, _as_estimator_params(dict(config.model), cls), "model.")
    return config


class _LeadingZeros(int):
    """A whole number written with leading zeros (`010`), read as decimal; `written` keeps its text,
    which names a column such as '010'."""

    written: str

    def __new__(cls, text: str) -> _LeadingZeros:
        number = super().__new__(cls, text.replace("_", ""), 10)
        number.written = text
        return number


class _ConfigLoader(yaml.SafeLoader):
    """Safe YAML loading that reads exponents without a dot as numbers (`1e-3`, as YAML 1.2 and
    Python do; PyYAML's YAML 1.1 keeps them as strings), whole numbers with leading zeros as
    decimal (`010` is 10, as in YAML 1.2 and `--seed 010`; YAML 1.1 reads octal 8, and `08` as
    text), Python's `None` as null, and refuses a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_yaml_int(self, node):
        text = self.construct_scalar(node)
        if _LEADING_ZEROS.fullmatch(text):
            return _LeadingZeros(text)
        return super().construct_yaml_int(node)

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.MarkedYAMLError(
                    problem=f"the key {key!r} is given twice in one mapping (the second would replace the first)",
                    problem_mark=key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"), list("-+0123456789")
)
_ConfigLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^None$"), ["N"])
_LEADING_ZEROS = re.compile(r"[-+]?0[0-9_]*[0-9][0-9_]*")
_ConfigLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(f"^{_LEADING_ZEROS.pattern}$"), list("-+0"))
_ConfigLoader.add_constructor("tag:yaml.org,2002:int", _ConfigLoader.construct_yaml_int)


def _load_yaml(text: str, name: str) -> Any:
    """`text` read as YAML; an error's line and column are placed in `name` (a file, say) rather than '<unicode string>'."""
    try:
        return yaml.load(text, Loader=_ConfigLoader)
    except yaml.MarkedYAMLError as err:
        for mark in (err.context_mark, err.problem_mark):
            if mark is not None:
                mark.name = name
        raise


def read_config(path: str | Path) -> dict:
    """The mapping in a YAML file; ConfigError for unreadable YAML or a non-mapping.

    Parameters
    ----------
    path : str or pathlib.Path
        The UTF-8 YAML file, read with safe loading (no Python object tags); a key given twice
        in one mapping is refused.

    Returns
    -------
    dict
        Its mapping; {} for an empty file.
    """
    path = Path(path)
    try:
        raw = _load_yaml(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        raise ConfigError([f"{str(path)!r}: no such config file"]) from None
    except IsADirectoryError:
        saved = path / "config.yaml"
        instead = f"; a run folder's config is {str(saved)!r}" if saved.is_file() else ""
        raise ConfigError([f"{str(path)!r} is a folder, not a YAML config file{instead}"]) from None
    except UnicodeDecodeError as err:
        raise ConfigError([f"{str(path)!r} is not UTF-8 text: {err.reason} at byte {err.start}"]) from None
    except yaml.constructor.ConstructorError as err:
        raise ConfigError(
            [
                f"{str(path)!r} is refused: {err.problem}{_line(err.problem_mark)}. Configs are read with safe "
                "loading only: plain values, lists and mappings, no tags that build Python objects (!!python/...)"
            ]
        ) from None
    except yaml.YAMLError as err:
        tabs = "\n(a tab at the mark: YAML indents and spaces with spaces, not tabs)" if "'\\t' that cannot start any token" in str(err) else ""
        raise ConfigError([f"{str(path)!r} is not valid YAML: {err}{tabs}"]) from None
    except RecursionError:
        raise ConfigError([f"{str(path)!r} is nested too deeply to be a config"]) from None
    if raw is None:
        return {}
    if _too_many_values(raw):
        raise ConfigError(
            [f"{str(path)!r} expands to more than {MAX_CONFIG_VALUES} values (YAML aliases?); refused as a config"]
        )
    if not isinstance(raw, dict):
        raise ConfigError([f"{str(path)!r} must hold a mapping (model:, data:, ...), got {type(raw).__name__}"])
    return raw


def _too_many_values(raw: object) -> bool:
    """Whether `raw` holds more than MAX_CONFIG_VALUES values, each alias use counted again;
    stops counting there, so an alias bomb is caught without expanding it."""
    stack, count = [raw], 0
    while stack:
        value = stack.pop()
        count += 1
        if count > MAX_CONFIG_VALUES:
            return True
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _line(mark: yaml.Mark | None) -> str:
    return "" if mark is None else f" (line {mark.line + 1})"


def apply_overrides(raw: dict, assignments: Iterable[str], values: Mapping[str, object] | None = None) -> dict:
    """A copy of `raw` with `values` ({'key.path': value}, already typed) set, then each
    'key.path=value' assignment (its value parsed as YAML).

    Parameters
    ----------
    raw : dict
        The config mapping; it is not modified.
    assignments : iterable of str
        'key.path=value' strings (from `--set`), applied in order after `values`.
    values : mapping of str to object, default=None
        Typed values by 'key.path' (from dedicated flags).

    Returns
    -------
    dict
        The updated copy; missing sections on a key's path are created.
    """
    items = [(key, value, f"{key}={value!r}") for key, value in (values or {}).items()]
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep or not key.strip():
            raise ConfigError([f"--set {assignment!r}: expected key.path=value, e.g. model.latent_dim=8"])
        if not all(part.strip() for part in key.split(".")):
            raise ConfigError([f"--set {assignment!r}: the key path {key.strip()!r} has an empty part; expected "
                               "key.path=value, e.g. model.latent_dim=8"])
        if text.strip().startswith("#"):
            raise ConfigError([f"--set {assignment!r}: YAML reads a value starting with # as a comment, that is no "
                               f"value; quote it for the text: {key.strip()}='{text.strip()}'"])
        try:
            items.append((key.strip(), _load_yaml(text, f"the value {text!r}"), assignment))
        except yaml.YAMLError as err:
            raise ConfigError([f"--set {assignment!r}: the value is not valid YAML ({err})"]) from None
    result = _deep_copy(raw)
    for key, value, given in items:
        node, parts = result, key.split(".")
        for i, part in enumerate(parts[:-1]):
            if node.get(part) is None:
                node[part] = {}
            if not isinstance(node[part], dict):
                raise ConfigError([f"--set {given!r}: {'.'.join(parts[: i + 1])} is not a section"])
            node = node[part]
        node[parts[-1]] = value
    return result


def _deep_copy(raw: dict) -> dict:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in raw.items()}


def build_estimator(config: RunConfig):
    """A fresh, unfitted estimator with the config's model parameters.

    Parameters
    ----------
    config : RunConfig
        A validated config (`validate_config`).

    Returns
    -------
    estimator
        An instance of the class `config.model.name` selects.
    """
    cls = config.estimator_class()
    return cls(**_as_estimator_params(dict(config.model), cls))


def dump_config(config: RunConfig) -> str:
    """The resolved config as YAML (every key, defaults included), in the sections' order.

    Parameters
    ----------
    config : RunConfig
        A validated config.

    Returns
    -------
    str
        The YAML text.
    """
    data = config.model_dump(mode="json")
    return yaml.safe_dump(data, sort_keys=False)


def fingerprint(config: RunConfig) -> dict:
    """What a checkpoint must match to be resumed: the model and data settings, leaving out
    the run-only ones (verbosity, the epoch budget, where files are found or written)."""
    data = config.model_dump(mode="json")
    for key in RUN_ONLY_PARAMS:
        data["model"].pop(key, None)
    for key in ("data_home", "download"):
        data["data"].pop(key)
    return {"model": data["model"], "data": data["data"], "seed": data["seed"]}
