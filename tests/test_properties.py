"""Property-based: every public estimator either works on hostile input or refuses it with a
ValueError/TypeError naming the argument; never a raw traceback or a NaN result."""

from __future__ import annotations

import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from aekit import (  # noqa: E402
    AutoEncoder,
    ContractiveAutoEncoder,
    DenoisingAutoEncoder,
    LinearAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)
from aekit.input_checks import hostile_inputs, outcome  # noqa: E402

ESTIMATORS = [AutoEncoder, ContractiveAutoEncoder, DenoisingAutoEncoder, LinearAutoEncoder, SparseAutoEncoder, VariationalAutoEncoder]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hostile_inputs())
def test_hostile_input(cls, case):
    _, X = case
    assert outcome(cls(hidden_dims=(4,), max_epochs=2, random_state=0), X) in ("worked", "refused")
