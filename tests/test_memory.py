"""Inference in bounded memory: `aekit.estimators._blockwise.apply_in_batches` gives the estimator's results
and, over a memory-mapped file, stays within an address-space limit far below the file's size
(peak-RSS figures for 2 million rows: `benchmarks/reliability.py --memory`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from aekit import AutoEncoder
from aekit.estimators._blockwise import apply_in_batches
from aekit.data.readers import open_source
from tests.conftest import write_random_npy

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_apply_in_batches_gives_the_estimators_results(tmp_path):
    X = np.random.default_rng(0).random((1000, 6)).astype(np.float32)
    est = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(X)
    np.save(tmp_path / "X.npy", X)
    source = open_source(np.load(tmp_path / "X.npy", mmap_mode="r"))
    with torch.inference_mode():
        codes = apply_in_batches(est.module_.encode, [(0, X)], len(X), 128)
        losses = apply_in_batches(
            est.module_.sample_losses, ((s, source.read(s, e)) for s, e in source.chunks(300)), len(X), 128
        )
    np.testing.assert_allclose(codes, est.transform(X), rtol=1e-6)
    np.testing.assert_allclose(-losses, est.score_samples(X), rtol=1e-6)
    with pytest.raises(ValueError, match="no rows"):
        apply_in_batches(est.module_.encode, [], 0, 128)


CHILD = textwrap.dedent(
    """
    import resource, sys
    import numpy as np, torch
    torch.set_num_threads(1)
    from aekit import AutoEncoder
    from aekit.estimators._blockwise import apply_in_batches
    from aekit.data.readers import open_source

    X = np.load(sys.argv[1], mmap_mode="r")
    est = AutoEncoder(latent_dim=8, hidden_dims=(32,), max_epochs=1, random_state=0).fit(np.array(X[:300]))
    size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize"))
    limit = size + 120 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if sys.argv[2] == "estimator":
        print(est.transform(X).shape, est.score_samples(X).shape)
    else:
        source = open_source(X)
        with torch.inference_mode():
            shapes = [
                apply_in_batches(fn, ((s, source.read(s, e)) for s, e in source.chunks(65536)), source.n_rows, 4096).shape
                for fn in (est.module_.encode, est.module_.sample_losses)
            ]
        print(*shapes)
    """
)


@pytest.fixture(scope="module")
def million_rows(tmp_path_factory):
    """A 256 MB .npy: 1,000,000 rows x 64 float32."""
    return write_random_npy(tmp_path_factory.mktemp("memory") / "X.npy", 1_000_000, 64)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux's RLIMIT_AS and /proc")
@pytest.mark.parametrize("how", ["apply_in_batches", "estimator"])
def test_inference_on_a_memmap_runs_under_an_address_space_limit(million_rows, how):
    """The process may grow by 120 MB of address space while it encodes and scores a 256 MB
    memory-mapped file (whose mapping was made before the limit)."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(million_rows), how], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-1500:]
    assert result.stdout.split() == ["(1000000,", "8)", "(1000000,)"]
