"""The training hooks the benchmark scripts plug into the estimators keep working with the training
loop (the learning-rate schedule of benchmarks/hinton2006.py and latent_mnist.py once broke
silently when the checkpoint protocol grew a method)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def hinton2006(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import hinton2006

    yield hinton2006
    sys.modules.pop("hinton2006", None)


def test_the_cosine_over_a_time_budget_sets_the_learning_rate_and_probes_the_module(hinton2006):
    from aekit import AutoEncoder

    X = np.random.default_rng(0).uniform(size=(64, 6)).astype(np.float32)
    probed = []
    schedule = hinton2006.CosineOverBudget(1e-2, 1e-4, budget_s=1e-9, probe=lambda m: probed.append(m) or 0.5, probe_every_s=0.0)
    ae = AutoEncoder(latent_dim=2, hidden_dims=(4,), max_epochs=3, batch_size=16, validation_fraction=0.0, random_state=0)
    ae.fit(X, callbacks=[schedule])
    assert [group["lr"] for group in ae._train_state.optimizer.param_groups] == [pytest.approx(1e-4)]  # budget spent: the final rate
    assert [point["epoch"] for point in schedule.curve] == [1, 2, 3] and probed[0] is ae.module_
