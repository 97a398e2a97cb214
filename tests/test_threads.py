"""Threads that follow the model: the rule, the caller's setting restored, the override, the record."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

from aekit import AutoEncoder, VariationalAutoEncoder
from aekit.nn.mlp import MLPDecoder, MLPEncoder
from aekit.training.threads import pick_threads, threads_for, work_per_row


@pytest.fixture
def caller_threads():
    """Run the test with torch at 2 threads (the caller's setting), restoring the original after."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(before)


def mlp(n_features: int, hidden: tuple[int, ...], latent: int) -> torch.nn.Module:
    return torch.nn.Sequential(MLPEncoder(n_features, latent, hidden), MLPDecoder(latent, n_features, tuple(reversed(hidden))))


class Record:
    """A callback that notes torch's thread count at every epoch end, and may raise."""

    def __init__(self, fail: bool = False):
        self.threads, self.fail = [], fail

    def on_epoch_end(self, est, epoch, logs):
        self.threads.append(torch.get_num_threads())
        if self.fail:
            raise RuntimeError("callback failed")


def table(n: int = 60, d: int = 5) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, d)).astype(np.float32)


def test_rule_gives_a_small_table_one_thread_and_a_wide_model_more(caller_threads, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    small, wide = mlp(11, (128, 64), 2), mlp(784, (1000, 500, 250), 30)
    assert work_per_row(small) < work_per_row(wide)
    assert pick_threads(small, 256) == 1
    assert pick_threads(wide, 256) == caller_threads
    assert pick_threads(small, 256, 3) == 3 and pick_threads(small, 256, None) is None
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # 'auto' never exceeds it
    assert pick_threads(wide, 256) == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    torch.set_num_threads(1)  # nor torch's current count (a torchrun rank's share, the caller's choice)
    assert pick_threads(wide, 256) == 1


def test_conv_work_counts_output_positions():
    from aekit import ConvAutoEncoder

    X = np.random.default_rng(0).random((8, 64), dtype=np.float32)
    est = ConvAutoEncoder(4, input_shape=(1, 8, 8), channels=(4, 8), max_epochs=1).fit(X)
    weights = sum(m.weight.numel() for m in est.module_.modules() if isinstance(m, torch.nn.Conv2d))
    assert work_per_row(est.module_) > weights  # each filter applies at many positions


def test_context_manager_restores_the_caller_setting_on_exit_and_on_error(caller_threads):
    wide = mlp(784, (1000, 500, 250), 30)
    with threads_for(wide, 256, 1) as n:
        assert n == 1 == torch.get_num_threads()
    assert torch.get_num_threads() == caller_threads
    with pytest.raises(ValueError), threads_for(wide, 256, 1):
        raise ValueError("inside")
    assert torch.get_num_threads() == caller_threads
    with threads_for(wide, 256, None) as n:
        assert n == caller_threads


def test_fit_and_transform_restore_the_caller_setting(caller_threads):
    record = Record()
    est = AutoEncoder(2, hidden_dims=(8,), max_epochs=2, n_threads=1, random_state=0).fit(table(), callbacks=[record])
    assert record.threads == [1, 1]  # n_threads=1 forces one thread while training
    assert est.n_threads_ == 1
    assert torch.get_num_threads() == caller_threads
    est.transform(table())
    est.score_samples(table())
    assert torch.get_num_threads() == caller_threads


def test_auto_gives_a_small_table_one_thread(caller_threads):
    record = Record()
    est = AutoEncoder(2, max_epochs=1, random_state=0).fit(table(), callbacks=[record])
    assert record.threads == [1] and est.n_threads_ == 1
    assert torch.get_num_threads() == caller_threads


def test_an_error_inside_fit_restores_the_caller_setting(caller_threads):
    with pytest.raises(RuntimeError, match="callback failed"):
        AutoEncoder(2, hidden_dims=(8,), max_epochs=2, n_threads=1).fit(table(), callbacks=[Record(fail=True)])
    assert torch.get_num_threads() == caller_threads


@pytest.mark.parametrize("caller", [1, 2])
def test_none_leaves_the_caller_setting(caller):
    before = torch.get_num_threads()
    torch.set_num_threads(caller)
    try:
        record = Record()
        est = AutoEncoder(2, hidden_dims=(8,), max_epochs=1, n_threads=None).fit(table(), callbacks=[record])
        assert record.threads == [caller] and est.n_threads_ == caller
        assert torch.get_num_threads() == caller
    finally:
        torch.set_num_threads(before)


def test_vae_sampling_restores_the_caller_setting(caller_threads):
    X = np.random.default_rng(0).random((40, 6), dtype=np.float32)
    vae = VariationalAutoEncoder(2, hidden_dims=(8,), max_epochs=1, n_threads=1).fit(X)
    vae.sample(5)
    vae.reconstruct(X, n_samples=2)
    vae.log_likelihood(X[:4], n_importance=5)
    assert torch.get_num_threads() == caller_threads


def test_n_threads_is_saved_and_loaded(tmp_path):
    est = AutoEncoder(2, hidden_dims=(8,), max_epochs=1, n_threads=1).fit(table())
    est.save(tmp_path / "m")
    loaded = AutoEncoder.load(tmp_path / "m")
    assert loaded.n_threads_ == 1 and loaded.n_threads == 1
    config_path = tmp_path / "m" / "config.json"  # a folder saved before fit recorded the count
    config = json.loads(config_path.read_text())
    del config["fitted"]["n_threads_"]
    del config["params"]["n_threads"]
    config_path.write_text(json.dumps(config))
    old = AutoEncoder.load(tmp_path / "m")
    assert not hasattr(old, "n_threads_") and old.n_threads == "auto"
    np.testing.assert_allclose(old.transform(table()), est.transform(table()))


@pytest.mark.parametrize("bad", [0, -1, "many", 1.5])
def test_bad_values_are_refused_naming_n_threads(bad):
    with pytest.raises(InvalidParameterError, match="n_threads"):
        AutoEncoder(n_threads=bad).fit(table())
