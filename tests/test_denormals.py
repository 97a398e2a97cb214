"""Denormal floats are flushed to zero on every torch CPU thread while a model trains or infers, and only then."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aekit import AutoEncoder
from aekit.training._denormals import _loaded_openmp_runtimes, denormals_flushed, flushed_denormals, set_flush_denormal_everywhere

DENORMAL = 1e-39  # below float32's smallest normal number, 1.18e-38


def denormal_products() -> int:
    """How many entries of a large product of denormals stay non-zero; torch splits the
    multiplication across its threads, so any thread that does not flush leaves some."""
    return int(torch.count_nonzero(torch.full((1 << 20,), DENORMAL) * 1.0))


@pytest.fixture
def two_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    set_flush_denormal_everywhere(False)
    torch.set_num_threads(previous)


def test_flushing_reaches_every_thread_and_stops_after_the_block(two_threads):
    if not torch.set_flush_denormal(False):
        pytest.skip("this CPU cannot flush denormals")
    assert denormal_products() == 1 << 20
    with flushed_denormals(torch.device("cpu")):
        assert denormal_products() == 0
    assert denormal_products() == 1 << 20


def test_torch_s_own_openmp_runtime_comes_first():
    import sklearn.cluster  # noqa: F401 - scikit-learn may load a second OpenMP runtime

    runtimes = _loaded_openmp_runtimes()
    if not runtimes:
        pytest.skip("no OpenMP runtime found in this process")
    torch_dir = str(torch.__file__).rsplit("/", 1)[0]
    if any(p.startswith(torch_dir) for p in runtimes):
        assert runtimes[0].startswith(torch_dir)


def test_training_flushes_and_leaves_the_default_behind_even_when_it_fails(two_threads):
    if not torch.set_flush_denormal(False):
        pytest.skip("this CPU cannot flush denormals")
    seen = []

    class Probe:
        def on_epoch_end(self, est, epoch, logs):
            seen.append(denormal_products())

    X = np.random.default_rng(0).random((128, 6))
    AutoEncoder(latent_dim=2, max_epochs=2, random_state=0).fit(X, callbacks=[Probe()])
    assert seen == [0, 0] and denormal_products() == 1 << 20

    class Failing:
        def on_epoch_end(self, est, epoch, logs):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        AutoEncoder(latent_dim=2, max_epochs=2, random_state=0).fit(X, callbacks=[Failing()])
    assert denormal_products() == 1 << 20


def test_a_caller_who_flushes_still_flushes_after_training(two_threads):
    if not torch.set_flush_denormal(True):
        pytest.skip("this CPU cannot flush denormals")
    assert denormals_flushed()
    AutoEncoder(latent_dim=2, max_epochs=1, random_state=0).fit(np.random.default_rng(0).random((64, 6)))
    assert denormals_flushed() and denormal_products() == 0
    set_flush_denormal_everywhere(False)
    assert not denormals_flushed()


def test_inference_flushes_on_every_thread_and_restores_the_default(two_threads):
    rng = np.random.default_rng(0)
    ae = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(rng.normal(size=(64, 5)))
    seen = []
    encode = ae.module_.encode

    def spying(x):
        seen.append(denormal_products())
        return encode(x)

    ae.module_.encode = spying
    ae.transform(rng.normal(size=(10, 5)).astype(np.float32))
    assert seen == [0]  # every thread flushed inside transform
    assert not denormals_flushed() and denormal_products() > 0
