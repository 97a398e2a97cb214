"""Property-based: every public estimator either works on hostile input or refuses it with a
ValueError/TypeError naming the argument; never a raw traceback or a NaN result. The inputs
and the verdict come from tests/harness/input_checks.py, shared with `benchmarks/reliability.py`."""

from __future__ import annotations

import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.harness.input_checks import hostile_inputs, outcome, tiny_estimators  # noqa: E402

ESTIMATORS = tiny_estimators()


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hostile_inputs())
def test_hostile_input(name, case):
    _, X = case
    assert outcome(ESTIMATORS[name](), X) in ("worked", "refused")
