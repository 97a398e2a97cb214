"""Data-parallel training under torchrun: two gloo ranks on the CPU train the same weights as
one process with the same global batch and seed; a dying rank fails the run instead of hanging;
`torchrun -m aekit train` writes one run folder."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from aekit import AutoEncoder

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FIT = dict(latent_dim=3, hidden_dims=(16,), batch_size=64, max_epochs=4, validation_fraction=0.0, random_state=0)


def data() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.random((512, 3)) @ rng.random((3, 12))


def torchrun(tmp_path: Path, script: str, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(script))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "AEKIT_DIST_TIMEOUT": "60"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", str(path), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp_path)


@pytest.mark.slow
def test_two_ranks_eager_or_compiled_train_the_weights_of_one_process_only_when_asked(tmp_path):
    result = torchrun(
        tmp_path,
        f"""
        import functools, sys, warnings
        import numpy as np
        import torch
        from aekit import AutoEncoder
        from aekit.training import distributed
        assert distributed.init_from_env("cpu") and distributed.world_size() == 2
        rng = np.random.default_rng(0)
        X = rng.random((512, 3)) @ rng.random((3, 12))
        ae = AutoEncoder(**{FIT!r}, distributed=True).fit(X)
        local = AutoEncoder(**{FIT!r}).fit(X * (1 + distributed.rank()))
        warnings.simplefilter("error", RuntimeWarning)  # a fallback to eager would warn
        torch.compile = functools.partial(torch.compile, backend="aot_eager")  # Dynamo's DDP graph split and AOTAutograd; no C++ codegen
        compiled = AutoEncoder(**{FIT!r}, distributed=True, compile=True).fit(X)
        if distributed.is_main():
            ae.save(sys.argv[1])
            local.save(sys.argv[2])
            compiled.save(sys.argv[3])
        """,
        str(tmp_path / "ddp"),
        str(tmp_path / "local"),
        str(tmp_path / "compiled"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ddp = AutoEncoder.load(tmp_path / "ddp")
    single = AutoEncoder(**FIT).fit(data())
    for (name, a), b in zip(single.module_.state_dict().items(), ddp.module_.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-4, err_msg=name)
    np.testing.assert_allclose(single.history_["loss"], ddp.history_["loss"], rtol=1e-4)
    local = AutoEncoder.load(tmp_path / "local")  # a process group exists, but distributed=False: rank 0 alone
    np.testing.assert_array_equal(local.history_["loss"], single.history_["loss"])
    compiled = AutoEncoder.load(tmp_path / "compiled")
    assert compiled.compile is True
    np.testing.assert_allclose(compiled.history_["loss"], single.history_["loss"], rtol=1e-4)


def test_a_rank_that_dies_fails_the_run_instead_of_hanging(tmp_path):
    result = torchrun(
        tmp_path,
        """
        import os, threading
        import numpy as np
        from aekit import AutoEncoder
        from aekit.training import distributed
        distributed.init_from_env("cpu")
        if distributed.rank() == 1:
            threading.Timer(2.0, os._exit, (3,)).start()
        X = np.random.default_rng(0).random((4096, 20))
        AutoEncoder(latent_dim=2, batch_size=32, max_epochs=100000, random_state=0, distributed=True).fit(X)
        """,
    )
    assert result.returncode != 0
    assert "exitcode" in result.stderr and "3" in result.stderr


@pytest.mark.slow
def test_torchrun_aekit_train_writes_one_run_and_resumes(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "aekit", "train"]
    first = launch + ["--data", "digits", "--epochs", "2", "--out", str(out), "--quiet"]
    result = subprocess.run(first, capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("trained AutoEncoder") == 1
    assert AutoEncoder.load(out / "model").n_epochs_ == 2
    assert (out / "metrics.csv").read_text().count("\n") == 3
    result = subprocess.run(launch + ["--resume", str(out), "--epochs", "3", "--quiet"], capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resumed after epoch 2" in result.stdout
    assert AutoEncoder.load(out / "model").n_epochs_ == 3



def test_aekit_train_leaves_the_process_group_also_on_error(monkeypatch, tmp_path):
    """`aekit train` destroys the process group itself, before interpreter teardown (where a gloo
    worker thread releasing its last work aborts the rank), on the error path too."""
    from aekit.cli import main, training
    from aekit.cli.training import CLIError
    from aekit.training import distributed

    left = []
    monkeypatch.setattr(distributed, "leave", lambda: left.append(True))
    monkeypatch.setattr(training, "_join_process_group", lambda config: None)

    def fail(config):
        raise CLIError("boom")

    monkeypatch.setattr(training, "train_new_run", fail)
    assert main(["train", "--data", "digits", "--out", str(tmp_path / "run"), "--quiet"]) != 0
    assert left == [True]


def test_exit_launched_ends_only_a_process_that_joined_a_group(monkeypatch):
    from aekit.training import distributed

    exits = []
    monkeypatch.setattr(distributed.os, "_exit", exits.append)
    distributed.exit_launched(0)  # no group joined here (a test, or a command that trains nothing)
    assert exits == []
    monkeypatch.setattr(distributed, "_joined", True)
    distributed.exit_launched(3)
    assert exits == [3]
