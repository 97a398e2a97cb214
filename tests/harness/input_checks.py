"""Hostile-input checks shared by the contract suite (tests/test_contract.py) and
`benchmarks/reliability.py --inputs`; they need hypothesis, a development dependency.

`hostile_inputs()` is a hypothesis strategy of things users pass as X (random shapes and
dtypes, NaN/inf, empty arrays, single rows, constant and duplicate columns, huge and tiny
magnitudes, 1-D and 3-D arrays, lists, DataFrames with text columns); `outcome(estimator, X)`
fits and uses the estimator on one of them and says whether it worked or refused cleanly,
raising AssertionError for anything else (a raw error type, a message that does not name
the argument, a non-finite or misshapen result).
"""

from __future__ import annotations

import re

import numpy as np

NAMES_AN_ARGUMENT = re.compile(r"\bX\b|n_samples|n_features|\bfeature|\bcolumn")


def hostile_inputs():
    """A hypothesis strategy of (description, X) pairs."""
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    floats = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True, width=64),
        st.sampled_from([0.0, 1.0, -1.0, 1e-300, 1e300, 1e16, -1e16, 1e-8]),
        st.floats(-10, 10),
    )
    shapes = st.tuples(st.integers(0, 12), st.integers(0, 5))
    numeric = st.one_of(
        shapes.flatmap(lambda s: arrays(np.float64, s, elements=floats)),
        shapes.flatmap(lambda s: arrays(np.float32, s, elements=st.floats(-1e3, 1e3, width=32))),
        shapes.flatmap(lambda s: arrays(np.int64, s, elements=st.integers(-(2**40), 2**40))),
        shapes.flatmap(lambda s: arrays(np.bool_, s)),
    )
    constant = st.tuples(st.integers(1, 10), st.integers(1, 4), st.floats(-5, 5)).map(
        lambda t: np.full(t[:2], t[2])
    )
    duplicated = st.tuples(st.integers(2, 10), st.integers(1, 3)).map(
        lambda t: np.repeat(np.random.default_rng(0).random((t[0], t[1])), 2, axis=1)
    )
    odd_shapes = st.one_of(
        arrays(np.float64, st.integers(0, 8), elements=st.floats(-5, 5)),
        arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3)), elements=st.floats(-5, 5)),
        st.floats(-5, 5),
    )
    lists = shapes.flatmap(lambda s: arrays(np.float64, s, elements=st.floats(-5, 5))).map(lambda a: a.tolist())
    strings = st.lists(st.lists(st.sampled_from(["a", "1.5", "", "=SUM(A1)", "nan"]), min_size=2, max_size=2), min_size=1, max_size=6)
    return st.one_of(
        numeric.map(lambda a: (f"array {a.dtype} {a.shape}", a)),
        constant.map(lambda a: (f"constant {a.shape}", a)),
        duplicated.map(lambda a: (f"duplicate columns {a.shape}", a)),
        odd_shapes.map(lambda a: (f"odd shape {np.shape(a)}", a)),
        lists.map(lambda a: ("list of rows", a)),
        strings.map(lambda a: ("strings", np.array(a, dtype=object))),
        st.integers(1, 6).map(lambda n: ("frame with a text column", _frame_with_text(n))),
    )


def _frame_with_text(n: int):
    import pandas as pd

    return pd.DataFrame({"a": np.arange(n, dtype=float), "city": ["x"] * n})


TINY = {"hidden_dims": (4,), "channels": (4,), "latent_dim": 2, "max_epochs": 2, "pretrain_epochs": 2, "n_members": 2, "random_state": 0}


def own_parameters(cls: type, backbone: str | None = None) -> set[str]:
    """The parameter names of `cls` that apply: a VAE's without the other backbone's options (refused
    off their defaults), for its `backbone` (default its own default)."""
    from aekit.estimators.vae import BACKBONE_OPTIONS, VariationalAutoEncoder

    names = set(cls().get_params(deep=False))
    if issubclass(cls, VariationalAutoEncoder):
        chosen = backbone or cls().backbone
        names -= {o for b, options in BACKBONE_OPTIONS.items() if b != chosen for o in options}
    return names


def tiny_estimators() -> dict:
    """Every registered estimator (a subclass of `AekitEstimator`; registering enrols it) as
    name -> a factory of a tiny instance: the hostile-input harness (tests/test_contract.py,
    benchmarks/reliability.py) runs each. Wrapper estimators get a tiny `AutoEncoder`."""
    import aekit.estimators  # noqa: F401  (importing the estimators fills the registry)
    from aekit import AutoEncoder
    from aekit.saving.persistence import ESTIMATORS

    def tiny(cls: type):
        names = own_parameters(cls)
        if "autoencoder" in names:
            return cls(tiny(AutoEncoder), random_state=0)
        return cls(**{k: v for k, v in TINY.items() if k in names})

    return {name: (lambda cls=cls: tiny(cls)) for name, cls in sorted(ESTIMATORS.items())}


def _rows_and_width(X) -> tuple[int, int]:
    """Samples and values per sample of X (a DataFrame, an array or nested lists)."""
    shape = np.shape(X)
    return int(shape[0]), int(np.prod(shape[1:]))


def _labels(X) -> np.ndarray:
    """Alternating classes 0, 1 for each row of X (one label when X has no rows to count)."""
    shape = np.shape(X)
    return np.arange(shape[0] if shape else 1) % 2


def outcome(estimator, X) -> str:
    """'worked' or 'refused'; AssertionError when the estimator misbehaves on X. A classifier is
    fitted with alternating labels and may also refuse naming y. Training stopped by the
    divergence guard (e.g. on unscaled values near 1e6) counts as refused when its message
    names X, as its advice to scale X does."""
    from sklearn.base import is_classifier
    from sklearn.exceptions import ConvergenceWarning

    import warnings

    classifier = is_classifier(estimator)
    try:
        with warnings.catch_warnings():  # a constant or identifier column of a frame is left out with this warning
            warnings.filterwarnings("ignore", message=".*columns left out of the model", category=UserWarning)
            # a fit on a few hostile rows may end worse than its untrained start, and says so
            warnings.filterwarnings("ignore", message="training ended worse than it started", category=ConvergenceWarning)
            estimator.fit(X, _labels(X)) if classifier else estimator.fit(X)
    except (ValueError, TypeError, FloatingPointError) as err:
        message = str(err)
        names = NAMES_AN_ARGUMENT.search(message) or (classifier and re.search(r"\by\b", message))
        assert names, f"{type(err).__name__} does not name the argument: {message!r}"
        return "refused"
    n, width = _rows_and_width(X)
    use = next(getattr(estimator, m) for m in ("transform", "predict_proba", "score_samples") if hasattr(estimator, m))
    out = np.asarray(use(X))
    numeric = out.dtype.kind in "fiub"
    assert out.shape[0] == n and (not numeric or np.isfinite(out).all()), "transform gave a misshapen or non-finite result"
    if hasattr(estimator, "score_samples"):
        scores = estimator.score_samples(X)
        assert scores.shape == (n,) and np.isfinite(scores).all(), "score_samples gave a non-finite result"
    wrong = np.zeros((1, width + 1))  # one value more per sample (images: than C*H*W)
    if hasattr(X, "columns"):
        import pandas as pd

        wrong = pd.DataFrame(wrong, columns=[*map(str, X.columns), "extra"])
    try:
        use(wrong)
    except ValueError as err:
        assert NAMES_AN_ARGUMENT.search(str(err)), str(err)
    else:
        raise AssertionError("transform accepted the wrong number of features")
    return "worked"
