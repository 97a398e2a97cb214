"""Every registered estimator crossed with every loss, option and input kind it accepts.

The combinations come from the registry (`aekit.saving.persistence.ESTIMATORS`) and each class's
declared `_parameter_constraints`, so a new estimator, loss or option enrols itself. For each
combination: fit two epochs on tiny data; every answer (transform, scores, reconstructions,
predictions) finite and of the right shape on the same kind of input; save and load to equal
answers; `explain` where the estimator explains; ONNX where it exports; the explorer page's
payload where it explores. A combination aekit does not support must be refused when `fit`
starts (before the training loop runs) with a ValueError or TypeError naming every parameter
crossed, never an error from inside torch nor a silently wrong result.

The crossings: estimator x loss (quick); estimator x input kind, estimator x option, loss x
the options that shape the autoencoder, ONNX for every exporter and every loss, and the commands
(train, evaluate, encode) over every kind of source a reader reads, ids kept (slow).
"""

from __future__ import annotations

import functools
import traceback
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone, is_classifier
from sklearn.utils._param_validation import Interval, StrOptions

import aekit.estimators  # noqa: F401  (defines, and so registers, the estimators)
from aekit import (
    AutoEncoder,
    AutoEncoderClassifier,
    AutoEncoderImputer,
    AutoEncoderOutlierDetector,
    ConvAutoEncoder,
    VariationalAutoEncoder,
)
from aekit.app.explore import explorer_payload
from aekit.nn.count_inputs import INPUT_TRANSFORMS
from aekit.nn.likelihoods import COUNT_LIKELIHOODS, LIKELIHOODS
from aekit.saving.persistence import ESTIMATORS
from tests.harness.input_checks import own_parameters

REGISTERED = dict(sorted(ESTIMATORS.items()))
LOSS_PARAMETERS = ("loss", "likelihood")
NOT_CROSSED = {
    "device": "'cuda' needs a GPU; every combination runs on the CPU",
    "distributed": "needs a torchrun process group (tests/test_distributed.py)",
    "warm_start": "changes a second fit, not the first (tests/test_training.py)",
    "verbose": "draws a progress bar",
    "contamination": "a threshold on the scores, not the model (tests/test_outlier.py)",
}
TINY = {"hidden_dims": (8,), "latent_dim": 2, "max_epochs": 2, "pretrain_epochs": 2, "n_members": 2,
        "channels": (4,), "batch_size": 16, "random_state": 0}  # fmt: skip
IMAGE = (1, 6, 6)
N = 40
INPUT_KINDS = ("float64", "float32", "frame", "csr", "npy")
ANSWERS = ("transform", "reconstruct", "score_samples", "predict", "predict_proba", "decision_function")


@pytest.fixture(autouse=True)
def compile_without_inductor(monkeypatch):
    """`compile=True` crossings compile with backend='aot_eager': Dynamo's tracing and AOTAutograd,
    where an option that does not compile fails (the fallback to eager warns, an error here),
    without inductor's C++ code generation (seconds per graph). tests/test_compile.py uses inductor."""
    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend="aot_eager"))


def tiny(cls: type, **params):
    """A two-epoch instance of `cls` with `params`; the detector's autoencoder gets them."""
    if cls is AutoEncoderOutlierDetector:
        inner = {k: v for k, v in params.items() if k not in cls().get_params(deep=False)}
        outer = {k: v for k, v in params.items() if k in cls().get_params(deep=False)}
        return cls(tiny(AutoEncoder, **inner), **outer)
    names = own_parameters(cls, params.get("backbone"))
    images = {"input_shape": IMAGE} if "input_shape" in names else {}
    if cls is AutoEncoderImputer and params and set(params) <= set(AutoEncoder._parameter_constraints) - {"random_state"}:
        params = {"blend": None, **params}  # the trees partner never sees the autoencoder's options (and costs 2-3 s)
    return cls(**{**{k: v for k, v in TINY.items() if k in names}, **images, **params})


def loss_parameter(cls: type) -> str | None:
    names = (AutoEncoder if cls is AutoEncoderOutlierDetector else cls)._parameter_constraints
    return next((p for p in LOSS_PARAMETERS if p in names), None)


def choices(constraints: list, default) -> list:
    """The values a constraint list allows that differ from the default: each string option,
    the other boolean, None, and a positive weight for a number that is off (0) by default."""
    values: list = []
    for c in constraints:
        if isinstance(c, StrOptions):
            values += sorted(c.options)
        elif c == "boolean" and isinstance(default, bool):
            values.append(not default)
        elif c is None:
            values.append(None)
        elif isinstance(c, Interval) and c.type in (Real, "real_not_int") and default == 0:
            values.append(0.1)
    return [v for v in dict.fromkeys(values) if not (v == default and type(v) is type(default))]


STRUCTURE = ("tied_weights", "input_transform", "output_activation", "binary_code", "sparsity_kind", "sparsity",
             "unit_norm", "orthogonality", "contractive", "decorrelation", "loss_trim", "corrupt_on", "corruption",
             "latent_activation")  # fmt: skip  (the options that change what the model computes)


def options(cls: type) -> list[tuple[str, object]]:
    """(parameter, value) for every option of `cls` that the suite crosses: all of a base
    estimator's; of a preset or subclass, those it adds or gives another default and the
    structural ones (its other options are its parent's, crossed there). The detector's own:
    its autoencoder's are the autoencoder's."""
    parent = next((base for base in cls.__mro__[1:] if base in REGISTERED.values()), None)
    found = []
    for name, constraints in cls._parameter_constraints.items():
        if name in NOT_CROSSED or name in LOSS_PARAMETERS:
            continue
        inherited = parent is not None and name in parent._parameter_constraints and parent._default(name) == cls._default(name)
        if not inherited or name in STRUCTURE:
            found += [(name, value) for value in choices(constraints, cls._default(name))]
    return sorted(found, key=repr)


def losses(cls: type) -> list[str]:
    name = loss_parameter(cls)
    if name is None:
        return []
    owner = AutoEncoder if cls is AutoEncoderOutlierDetector else cls
    return sorted(next(c.options for c in owner._parameter_constraints[name] if isinstance(c, StrOptions)))


def data_for(est) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) the estimator's loss can score: counts for the count losses and input transforms,
    values in [0, 1] for Bernoulli losses and images, low-rank real values otherwise; missing
    entries for the imputer."""
    rng = np.random.default_rng(0)
    params = (est.autoencoder if isinstance(est, AutoEncoderOutlierDetector) else est).get_params(deep=False)
    loss = next((params[p] for p in LOSS_PARAMETERS if p in params), "mse")
    d = int(np.prod(IMAGE)) if "input_shape" in params else 6
    latent = rng.normal(size=(N, 2))
    bernoulli = loss in ("bce", "bernoulli") or "input_shape" in params or params.get("binarize") is not None
    if loss in COUNT_LIKELIHOODS or params.get("input_transform") in INPUT_TRANSFORMS:
        X = rng.poisson(np.exp(latent @ rng.normal(size=(2, d)) * 0.5)).astype(float)
        X = np.minimum(X, 1) if bernoulli else X
    else:
        X = latent @ rng.normal(size=(2, d)) + 0.1 * rng.normal(size=(N, d))
        X = 1 / (1 + np.exp(-X)) if bernoulli else X
    if isinstance(est, VariationalAutoEncoder) and loss == "bernoulli" and params["binarize"] is None:
        X = (X > 0.5).astype(float)  # a Bernoulli likelihood warns on grey values
    y = (latent[:, 0] > 0).astype(int)
    if isinstance(est, AutoEncoderImputer):
        X[::4, 1] = np.nan
    return X, y


def as_kind(X: np.ndarray, kind: str, folder: Path):
    if kind == "float32":
        return X.astype(np.float32)
    if kind == "frame":
        return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    if kind == "csr":
        return sp.csr_matrix(np.nan_to_num(X))
    if kind == "npy":
        path = folder / f"X{len(list(folder.glob('X*.npy')))}.npy"
        np.save(path, X)
        return str(path)
    return X


def answers(est, X) -> dict[str, np.ndarray]:
    return {m: np.asarray(getattr(est, m)(X), dtype=float) for m in ANSWERS if hasattr(est, m)}


def refused_up_front(err: BaseException, names: list[str]) -> str | None:
    """Why a refusal does not meet the rule (None when it does): a ValueError or TypeError,
    raised before the training loop ran and outside torch, whose message names `names`."""
    if not isinstance(err, (ValueError, TypeError)):
        return f"{type(err).__name__} is not a refusal"
    files = [frame.filename for frame in traceback.extract_tb(err.__traceback__)]
    deep = [f for f in files if "training/loop.py" in f or "/torch/" in f]
    if deep:
        return f"raised from inside {deep[-1]}"
    missing = [n for n in names if n not in str(err)]
    return f"message does not name {missing}" if missing else None


def fit(est, X, y):
    return est.fit(X, y) if is_classifier(est) else est.fit(X)


def check_combination(est, X, y, tmp_path: Path, crossed: list[str], *, export: bool = False, explore: bool = False):
    """Fit, answer, save/load, explain, export and explore `est` on X, or see it refused as the
    suite's rule asks; `crossed` names the parameters (or 'X') the combination set."""
    try:
        fit(est, X, y)
    except Exception as err:  # noqa: BLE001  (the rule says which exceptions are allowed)
        problem = refused_up_front(err, crossed)
        assert problem is None, f"{est!r} failed badly ({problem}): {type(err).__name__}: {err}"
        return "refused"
    before = answers(est, X)
    assert before, f"{type(est).__name__} answers nothing"
    for name, values in before.items():
        assert len(values) == N and np.isfinite(values).all(), f"{name} of {est!r}: shape {values.shape} or not finite"
    loaded = type(est).load(est.save(tmp_path / "model"))
    for name, values in answers(loaded, X).items():
        np.testing.assert_allclose(values, before[name], rtol=1e-5, atol=1e-6, err_msg=f"{name} after save/load")
    if hasattr(est, "explain"):
        table = est.explain(X)
        assert table.shape[0] == N and np.isfinite(np.asarray(table, dtype=float)).all()
    if export and hasattr(est, "to_onnx") and not isinstance(X, str | sp.spmatrix):
        import onnxruntime

        session = onnxruntime.InferenceSession(str(est.to_onnx(tmp_path / "onnx")["encoder"]))
        given = session.get_inputs()[0]
        rows = np.asarray(X, dtype=np.float32).reshape(N, *[int(s) for s in given.shape[1:]])
        np.testing.assert_allclose(session.run(None, {given.name: rows})[0], before["transform"], rtol=1e-4, atol=1e-4)
    if explore and hasattr(est, "inverse_transform") and not isinstance(est, AutoEncoderImputer):
        payload = explorer_payload(est, X, y)
        assert payload["decoder"]["kind"] in ("mlp", "grid") and payload["n_points"] == N
    return "worked"


@pytest.mark.slow
@pytest.mark.parametrize("kind", INPUT_KINDS)
@pytest.mark.parametrize("name", REGISTERED)
def test_every_estimator_takes_every_input_kind_or_refuses_it_naming_X(name, kind, tmp_path):
    est = tiny(REGISTERED[name])
    X, y = data_for(est)
    if kind == "csr" and not getattr(est, "_sparse_input", False) and not isinstance(est, AutoEncoderOutlierDetector):
        with pytest.raises((ValueError, TypeError), match=r"\bX\b"):
            fit(est, as_kind(X, kind, tmp_path), y)
        return
    check_combination(est, as_kind(X, kind, tmp_path), y, tmp_path, ["X"], explore=kind == "frame")


LOSS_CASES = [(name, loss) for name, cls in REGISTERED.items() for loss in losses(cls)]


@pytest.mark.parametrize(("name", "loss"), LOSS_CASES, ids=[f"{n}-{loss}" for n, loss in LOSS_CASES])
def test_every_estimator_fits_every_loss_it_lists(name, loss, tmp_path):
    assert check_loss(name, loss, tmp_path, explore=True) == "worked"


def check_loss(name: str, loss: str, tmp_path: Path, **checks) -> str:
    """`check_combination` of estimator `name` with its loss (or likelihood) set to `loss`."""
    cls = REGISTERED[name]
    est = tiny(cls, **{loss_parameter(cls): loss})
    X, y = data_for(est)
    return check_combination(est, X, y, tmp_path, [loss_parameter(cls)], **checks)


PAIR_LOSSES = {LIKELIHOODS[loss]: loss for loss in reversed(losses(AutoEncoder)) if loss != AutoEncoder._default("loss")}
INFERENCE = {"tied_weights", "sparsity_kind", "binary_code", "latent_activation", "hidden_dims"}  # what changes the graph


def exports_its_own_graph(cls: type) -> bool:
    """An exporter that is not a preset, or a preset that changes what inference computes (a
    TopK code, tied weights); a preset that changes training only exports its parent's graph."""
    return hasattr(cls, "to_onnx") and ("_preset_defaults" not in cls.__dict__ or bool(INFERENCE & set(cls._preset_defaults)))


EXPORT_CASES = [(n, cls._default(loss_parameter(cls))) for n, cls in REGISTERED.items() if exports_its_own_graph(cls)]
EXPORT_CASES += [("AutoEncoder", loss) for loss in sorted(PAIR_LOSSES.values())]  # each likelihood's decoder output


@pytest.mark.slow
@pytest.mark.usefixtures("onnx_registry_built_once")
@pytest.mark.parametrize(("name", "loss"), EXPORT_CASES, ids=[f"{n}-{loss}" for n, loss in EXPORT_CASES])
def test_every_exporter_and_loss_exports_to_onnx_giving_its_codes(name, loss, tmp_path):
    assert check_loss(name, loss, tmp_path, export=True) == "worked"


COMPANIONS = {  # what an option needs to take effect (alone it is refused as having none)
    ("sparsity_kind", "kl"): {"sparsity": 0.1, "latent_activation": "sigmoid"},
    ("corrupt_on", "code"): {"corruption": "gaussian"},
    ("learn_prior_df", True): {"prior": "student_t"},
}


def with_companions(param: str, value) -> dict:
    """{param: value} and the options it needs to take effect."""
    return {param: value, **COMPANIONS.get((param, value), {})}


OPTION_CASES = [(name, param, value) for name, cls in REGISTERED.items() for param, value in options(cls)]
OPTION_PARAMS = [pytest.param(n, p, v, id=f"{n}-{p}={v!r}") for n, p, v in OPTION_CASES]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "param", "value"), OPTION_PARAMS)
def test_every_estimator_option_works_or_is_refused_naming_it(name, param, value, tmp_path):
    est = tiny(REGISTERED[name], **with_companions(param, value))
    X, y = data_for(est)
    check_combination(est, X, y, tmp_path, [param])


FAMILY_OPTIONS = [(p, v) for p, v in options(AutoEncoder) if p in STRUCTURE[:-2]] + [("corruption", "mask"), ("latent_activation", "sigmoid")]
PAIR_CASES = [(loss, p, v) for loss in sorted(PAIR_LOSSES.values()) for p, v in FAMILY_OPTIONS]  # one name per likelihood; mse is crossed above


@pytest.mark.slow
@pytest.mark.parametrize(("loss", "param", "value"), PAIR_CASES, ids=[f"{loss}-{p}={v!r}" for loss, p, v in PAIR_CASES])
def test_every_loss_meets_every_autoencoder_option(loss, param, value, tmp_path):
    est = tiny(AutoEncoder, loss=loss, **with_companions(param, value))
    X, y = data_for(est)
    check_combination(est, X, y, tmp_path, ["loss", param])


@pytest.mark.parametrize("name", REGISTERED)
def test_every_declared_constraint_is_a_parameter(name):
    cls = REGISTERED[name]
    assert set(cls._parameter_constraints) == set(cls().get_params(deep=False))


def test_the_suite_derives_its_cases_from_the_registry():
    assert set(REGISTERED) >= {"AutoEncoder", "SparseAutoEncoder", "VariationalAutoEncoder", "AutoEncoderImputer"}
    assert ("SparseAutoEncoder", "multinomial") in LOSS_CASES and ("LinearAutoEncoder", "poisson") in LOSS_CASES
    assert ("AutoEncoder", "tied_weights", True) in OPTION_CASES and ("SparseAutoEncoder", "unit_norm", False) in OPTION_CASES
    assert ("multinomial", "unit_norm", True) in PAIR_CASES and ("VariationalAutoEncoder", "auto") in EXPORT_CASES
    assert ("SparseAutoEncoder", "mse") in EXPORT_CASES and ("DenoisingAutoEncoder", "mse") not in EXPORT_CASES


def test_a_count_loss_with_a_conflicting_output_activation_is_refused_naming_both():
    X = np.random.default_rng(0).poisson(1.0, (N, 6)).astype(float)
    with pytest.raises(ValueError, match=r"loss='multinomial'.*'softmax'.*output_activation='sigmoid'.*'auto'"):
        tiny(AutoEncoder, loss="multinomial", output_activation="sigmoid").fit(X)


def test_count_models_decode_in_the_explorer_page_through_their_likelihood():
    X = np.random.default_rng(0).poisson(2.0, (N, 6)).astype(float)
    for loss, output in (("multinomial", "softmax"), ("poisson", "exp")):
        est = tiny(AutoEncoder, loss=loss).fit(X)
        assert est.output_activation_ == output
        decoder = explorer_payload(est, X)["decoder"]
        assert decoder["kind"] == "mlp" and decoder["output"] == output


def write_source(kind: str, folder: Path) -> tuple[str, list[str], list[str]]:
    """A small data source of `kind` on disk: (its path, the `aekit train` options it needs,
    the row ids `aekit encode` must write for it)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    if kind in ("images", "documents"):
        files = [f"{label}/{name}{i}.{'png' if kind == 'images' else 'txt'}" for label in ("a", "b") for i, name in
                 enumerate(("z", "m", "c", "x", "k", "q"))]  # fmt: skip
        words = ["apple", "banana", "cherry", "grape", "lemon", "mango"]
        for file in files:
            (folder / kind / file).parent.mkdir(parents=True, exist_ok=True)
            if kind == "images":
                Image.fromarray(rng.integers(0, 256, (6, 5), dtype=np.uint8)).save(folder / kind / file)
            else:
                (folder / kind / file).write_text(" ".join(rng.choice(words, 12)))
        return str(folder / kind), [], files
    if kind == "npy":
        np.save(folder / "rows.npy", rng.random((24, 5)).astype(np.float32))
        return str(folder / "rows.npy"), [], [str(i) for i in range(24)]
    latent = rng.normal(size=(24, 2))
    frame = pd.DataFrame(latent @ rng.normal(size=(2, 4)), columns=["a", "b", "c", "d"])
    frame.insert(0, "patient", [f"p{i:03d}" for i in rng.permutation(24)])
    frame["strength"] = latent.sum(axis=1)  # a continuous target
    frame.to_csv(folder / "table.csv", index=False)
    return str(folder / "table.csv"), ["--set", "data.id_column=patient", "--set", "data.target=strength"], list(frame["patient"])


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["table", "images", "documents", "npy"])
def test_every_source_trains_evaluates_and_encodes_with_its_row_ids_on_the_command_line(kind, tmp_path, capsys):
    """The commands over each reader: `aekit train`, `evaluate` (k-NN R^2 for a continuous
    target, accuracy for labels) and `encode`, whose rows carry the source's ids."""
    import json

    from aekit.cli import main

    source, options, ids = write_source(kind, tmp_path)
    run = tmp_path / "run"
    args = ["train", "--data", source, "--out", str(run), "--epochs", "2", "--quiet", "--set", "model.hidden_dims=[8]", *options]
    assert main(args) == 0, capsys.readouterr().err
    assert main(["evaluate", str(run), "--json", str(tmp_path / "eval.json")]) == 0, capsys.readouterr().err
    scores = json.loads((tmp_path / "eval.json").read_text())["scores"]
    assert all(np.isfinite(s["mse"]) for s in scores)
    if kind == "table":
        assert all(s["knn_accuracy"] is None and np.isfinite(s["knn_r2"]) for s in scores)
    assert main(["encode", str(run), source, str(tmp_path / "codes.csv")]) == 0, capsys.readouterr().err
    codes = pd.read_csv(tmp_path / "codes.csv", dtype={"id": str})
    assert sorted(codes["id"]) == sorted(ids) and np.isfinite(codes.drop(columns="id").to_numpy()).all()


DETECTOR_LOSSES = [loss for loss in losses(AutoEncoder) if loss not in ("auto",)]


@pytest.mark.parametrize("loss", DETECTOR_LOSSES)
def test_the_detector_scores_sparse_rows_as_it_scores_the_same_dense_rows_for_every_loss(loss):
    """AutoEncoderOutlierDetector over each loss its autoencoder lists, fitted on the CSR form of
    X: the same scores as on the dense X. (loss='bce' is scored by squared error, which
    subtracted the reconstructions from a sparse matrix and failed in numpy's matrix product.)"""
    est = tiny(AutoEncoderOutlierDetector, loss=loss, criterion="reconstruction")
    X, _ = data_for(est)
    dense = clone(est).fit(X).score_samples(X)
    sparse = est.fit(sp.csr_matrix(X)).score_samples(sp.csr_matrix(X))
    np.testing.assert_allclose(sparse, dense, rtol=1e-5, atol=1e-6)


RAW_VALUE_CASES = [(AutoEncoder, "loss", "bce"), (AutoEncoder, "loss", "poisson"), (AutoEncoder, "loss", "multinomial"),
                   (AutoEncoder, "input_transform", "log1p"), (VariationalAutoEncoder, "likelihood", "bernoulli"),
                   (VariationalAutoEncoder, "binarize", "dynamic"), (VariationalAutoEncoder, "likelihood", "poisson")]  # fmt: skip


@pytest.mark.parametrize(("cls", "param", "value"), RAW_VALUE_CASES, ids=[f"{c.__name__}-{p}={v}" for c, p, v in RAW_VALUE_CASES])
def test_the_detector_refuses_a_dataframe_for_an_autoencoder_that_reads_raw_values_naming_both(cls, param, value):
    """The detector standardises a DataFrame's columns; an autoencoder whose loss or input needs
    pixels in [0, 1] or counts was refused with '...needs X in [0, 1], got values in [-2.5, 2.6]'
    about values the user never passed. Now the refusal names X's DataFrame and the parameter;
    the same values as an array still fit."""
    X = (np.random.default_rng(0).random((N, 6)) > 0.5).astype(float)
    det = AutoEncoderOutlierDetector(tiny(cls, **{param: value}))
    with pytest.raises(ValueError, match=rf"X is a DataFrame.*{param}='{value}'.*X\.to_numpy\(\)"):
        det.fit(pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]))
    assert np.isfinite(det.fit(X).score_samples(X)).all()


@pytest.mark.parametrize("name", [n for n, cls in REGISTERED.items() if hasattr(cls, "set_output")])
def test_set_output_pandas_survives_save_and_load(name, tmp_path):
    """transform of an estimator set to pandas output gave a DataFrame before save/load and a
    bare array after (the choice was not saved); now the loaded one gives the same DataFrame."""
    est = tiny(REGISTERED[name]).set_output(transform="pandas")
    X, y = data_for(est)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    before = fit(est, frame, y).transform(frame)
    after = type(est).load(est.save(tmp_path / "model")).transform(frame)
    assert isinstance(before, pd.DataFrame) and isinstance(after, pd.DataFrame)
    pd.testing.assert_frame_equal(after, before, rtol=1e-5, atol=1e-6)
    assert list(after.columns) == list(est.get_feature_names_out())


@pytest.mark.parametrize("name", REGISTERED)
def test_every_estimator_fits_a_npy_path_or_refuses_it_as_a_file_path(name, tmp_path):
    """The detector and the classifier refused a .npy path with 'X: could not convert string to
    float: '/tmp/.../X0.npy''; the estimators that read rows in memory now say X is a file path
    to load first, the others stream it."""
    est = tiny(REGISTERED[name])
    X, y = data_for(est)
    path = as_kind(X, "npy", tmp_path)
    try:
        fit(est, path, y)
    except ValueError as err:
        assert "file path" in str(err) and "could not convert" not in str(err), str(err)
        return
    assert all(np.isfinite(values).all() for values in answers(est, X).values())


def as_numpy(value):
    """`value` as a parameter grid built with NumPy holds it: np.int64 scalars (in tuples too)."""
    return tuple(np.int64(v) for v in value) if isinstance(value, tuple) else np.int64(value)


@pytest.mark.parametrize("name", REGISTERED)
def test_numpy_scalar_parameters_fit_save_and_load_to_the_same_answers(name, tmp_path):
    """Parameters from a NumPy grid (GridSearchCV over np.arange / np.logspace values) fitted, but
    `save` failed with json's 'Object of type int64 is not JSON serializable'."""
    cls = REGISTERED[name]
    names = AutoEncoder().get_params(deep=False) if cls is AutoEncoderOutlierDetector else own_parameters(cls)
    params = {k: as_numpy(v) for k, v in TINY.items() if k in names}
    params.update({"learning_rate": np.float32(1e-3)} if "learning_rate" in names else {})
    est = tiny(cls, **params)
    X, y = data_for(est)
    before = answers(fit(est, X, y), X)
    loaded = type(est).load(est.save(tmp_path / "model"))
    for method, values in answers(loaded, X).items():
        np.testing.assert_allclose(values, before[method], rtol=1e-5, atol=1e-6, err_msg=method)


WITHOUT_EFFECT = [  # (parameters, the names the refusal must give): one option set, the option it needs off
    ({"k": 3, "sparsity_kind": "l1"}, ["k=3", "sparsity_kind='l1'"]),
    ({"k": 3, "sparsity_kind": "kl", "sparsity": 0.1, "latent_activation": "sigmoid"}, ["k=3", "sparsity_kind='kl'"]),
    ({"sparsity_kind": "kl", "sparsity": 0.0, "latent_activation": "sigmoid"}, ["sparsity_kind='kl'", "sparsity"]),
    ({"corrupt_on": "code", "corruption": None}, ["corrupt_on='code'", "corruption=None"]),
    ({"corruption_level": 0.5, "corruption": None}, ["corruption_level=0.5", "corruption=None"]),
]
AUTOENCODERS = [name for name, cls in REGISTERED.items() if issubclass(cls, AutoEncoder)]
VAE_WITHOUT_EFFECT = [
    ({"learn_prior_df": True}, ["learn_prior_df=True", "prior='normal'"]),
    ({"prior_df": 5.0}, ["prior_df=5.0", "prior='normal'"]),
    ({"likelihood": "student_t", "gaussian_variance": "sample"}, ["gaussian_variance='sample'", "likelihood='student_t'"]),
    ({"likelihood": "bernoulli", "gaussian_variance": "fixed"}, ["gaussian_variance='fixed'", "likelihood='bernoulli'"]),
    ({"channels": (4,), "input_shape": IMAGE}, ["channels=(4,)", f"input_shape={IMAGE}", "backbone='mlp'"]),
    ({"backbone": "conv", "hidden_dims": (8,)}, ["hidden_dims=(8,)", "backbone='conv'"]),
]


@pytest.mark.parametrize("name", AUTOENCODERS)
@pytest.mark.parametrize(("params", "names"), WITHOUT_EFFECT, ids=[" ".join(n) for _, n in WITHOUT_EFFECT])
def test_an_option_the_others_leave_without_effect_is_refused_naming_both(name, params, names):
    """k without a TopK kind, the KL kind with sparsity=0, and corrupt_on='code' or a corruption_level
    without a corruption trained exactly as if they were not set (the same weights), silently."""
    est = tiny(REGISTERED[name], **params)
    X, y = data_for(est)
    with pytest.raises(ValueError) as err:
        fit(est, X, y)
    assert refused_up_front(err.value, []) is None and all(n in str(err.value) for n in names), str(err.value)


WITH_MOMENTUM = [name for name, cls in REGISTERED.items() if "momentum" in cls().get_params(deep=False)]


@pytest.mark.parametrize("name", WITH_MOMENTUM)
def test_momentum_with_an_adam_optimizer_is_refused_naming_both(name):
    """momentum feeds SGD and RMSprop only: with optimizer='adam' (the default) or 'adamw' a
    momentum off its default trained exactly as if unset, silently."""
    for optimizer in ("adam", "adamw"):
        est = tiny(REGISTERED[name], momentum=0.5, optimizer=optimizer)
        X, y = data_for(est)
        with pytest.raises(ValueError) as err:
            fit(est, X, y)
        assert all(n in str(err.value) for n in ("momentum=0.5", f"optimizer={optimizer!r}")), str(err.value)


@pytest.mark.parametrize(("params", "names"), VAE_WITHOUT_EFFECT, ids=[" ".join(n) for _, n in VAE_WITHOUT_EFFECT])
def test_a_vae_option_its_prior_likelihood_or_backbone_leaves_without_effect_is_refused_naming_both(params, names):
    """prior_df and learn_prior_df with the normal prior, gaussian_variance with another
    likelihood, channels and input_shape with the MLP backbone, hidden_dims with the conv one:
    trained exactly as if unset (the same weights), silently."""
    est = tiny(VariationalAutoEncoder, **params)
    X, y = data_for(est)
    with pytest.raises(ValueError) as err:
        fit(est, X, y)
    assert refused_up_front(err.value, []) is None and all(n in str(err.value) for n in names), str(err.value)


CONV_IMAGES = [name for name, cls in REGISTERED.items() if issubclass(cls, ConvAutoEncoder)]


@pytest.mark.parametrize("name", CONV_IMAGES)
@pytest.mark.parametrize("upsampling", sorted({"transposed", "unpool"}))
def test_an_interpolation_without_interpolating_upsampling_is_refused_naming_both(name, upsampling):
    """interpolation='bilinear' beside upsampling='transposed' or 'unpool' trained exactly as
    if unset (the same weights), silently."""
    est = tiny(REGISTERED[name], upsampling=upsampling, interpolation="bilinear")
    X, y = data_for(est)
    with pytest.raises(ValueError) as err:
        fit(est, X, y)
    names = ["interpolation='bilinear'", f"upsampling={upsampling!r}"]
    assert refused_up_front(err.value, []) is None and all(n in str(err.value) for n in names), str(err.value)
    fit(tiny(REGISTERED[name], upsampling="interpolate", interpolation="bilinear"), X, y)


@pytest.mark.parametrize("param", ["loss", "corruption"])
@pytest.mark.parametrize("skipped", ["pretrain_epochs=0", "pretrained"])
def test_a_classifier_pretraining_option_without_pretraining_is_refused_naming_both(param, skipped):
    """The classifier's loss and corruption set its autoencoder's pretraining; with
    pretrain_epochs=0 or an already pretrained autoencoder they trained as if unset, silently."""
    value = {"loss": "l1", "corruption": "gaussian"}[param]
    est = tiny(AutoEncoderClassifier, **{param: value}, **({"pretrain_epochs": 0} if skipped == "pretrain_epochs=0" else {}))
    X, y = data_for(est)
    extra = {"pretrained": tiny(AutoEncoder).fit(X)} if skipped == "pretrained" else {}
    with pytest.raises(ValueError) as err:
        est.fit(X, y, **extra)
    names = [f"{param}={value!r}", "pretrain_epochs=0" if skipped == "pretrain_epochs=0" else "pretrained"]
    assert refused_up_front(err.value, []) is None and all(n in str(err.value) for n in names), str(err.value)
    est.set_params(**{param: AutoEncoderClassifier._default(param)}).fit(X, y, **extra)
