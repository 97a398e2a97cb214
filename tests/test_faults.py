"""Fault injection: `aekit train` killed with SIGKILL at random points, or half-way through a
checkpoint write, resumes and ends bit-identical to an uninterrupted run (one torch thread on
CPU); a failed checkpoint write keeps the previous checkpoint; damaged checkpoints and weight
files are refused, never resumed or loaded. The child processes and kills come from
tests/harness/fault_injection.py; the 10-trial version is `benchmarks/reliability.py --faults`."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from aekit import AutoEncoder
from aekit.training.checkpoint import Checkpointer, read_checkpoint
from aekit.cli import main
from tests.harness.fault_injection import (
    final_weights,
    kill_at_random_point,
    kill_during_checkpoint_write,
    training_args,
    weight_difference,
)
from aekit.saving.persistence import WEIGHTS_FILE

pytestmark = [
    pytest.mark.usefixtures("one_torch_thread"),
    pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs POSIX signals and /proc"),
]

EPOCHS = 12


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The final weights of an uninterrupted run (in this process, on one torch thread)."""
    run = tmp_path_factory.mktemp("faults") / "reference"
    assert main(training_args(run, EPOCHS)) == 0
    return final_weights(run)


def resume(run) -> None:
    assert main(["train", "--resume", str(run), "--quiet"]) == 0


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(3))
def test_a_run_killed_at_a_random_point_resumes_to_identical_weights(tmp_path, reference, trial):
    run = tmp_path / "run"
    found = kill_at_random_point(run, EPOCHS, np.random.default_rng(trial))
    assert found["checkpoint_epoch"] >= found["target_epoch"]
    resume(run)
    assert weight_difference(reference, final_weights(run)) == 0.0


@pytest.mark.slow
def test_a_run_stopped_by_sigterm_says_how_to_resume_and_resumes_to_identical_weights(tmp_path, reference):
    # SIGTERM (kill, a batch scheduler's stop) ended the process on the spot, without a word
    run = tmp_path / "run"
    rng = np.random.default_rng(0)
    found = kill_at_random_point(run, EPOCHS, rng, sig=signal.SIGTERM)
    assert found["target_epoch"] < EPOCHS - 1, "the signal lands while the model trains"
    assert found["returncode"] == 143, found["stderr"]
    assert f"terminated (SIGTERM); the last finished epoch is saved. Continue with: aekit train --resume {run}" in found["stderr"]
    resume(run)
    assert weight_difference(reference, final_weights(run)) == 0.0


@pytest.mark.slow
def test_a_checkpoint_write_killed_half_way_leaves_the_previous_one(tmp_path, reference):
    run = tmp_path / "run"
    found = kill_during_checkpoint_write(run, EPOCHS, at_epoch=3)
    assert found["checkpoint_epoch"] == 2
    ((name, size),) = found["left_over"].items()
    assert name.startswith(".checkpoint.safetensors.") and 0 < size < (run / "checkpoint.safetensors").stat().st_size
    resume(run)
    assert weight_difference(reference, final_weights(run)) == 0.0
    assert not list(run.glob(".*.tmp"))  # the half-written file was cleaned up on resume


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).random((96, 8))


def make() -> AutoEncoder:
    return AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=4, batch_size=32, random_state=0)


def test_a_failed_checkpoint_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch, X):
    """The disk fills half-way through the third checkpoint: fit raises, the second stays
    loadable, no temporary file is left, and resuming from it gives the uninterrupted result."""
    path = tmp_path / "ckpt.safetensors"
    real_fdopen = os.fdopen
    writes = []

    class HalfThenFull:
        def __init__(self, file):
            self.file = file

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.file.__exit__(*exc)

        def write(self, data):
            self.file.write(data[: len(data) // 2])
            raise OSError(28, "No space left on device")

    def fdopen(fd, *args, **kwargs):
        file = real_fdopen(fd, *args, **kwargs)
        if ".ckpt.safetensors." in os.readlink(f"/proc/self/fd/{fd}"):
            writes.append(fd)
            if len(writes) == 3:
                return HalfThenFull(file)
        return file

    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(OSError, match="No space left"):
        make().fit(X, checkpoint=Checkpointer(path))
    monkeypatch.undo()
    assert read_checkpoint(path)[0]["epoch"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.safetensors"]
    resumed = make().fit(X, checkpoint=Checkpointer(path, resume=True))
    np.testing.assert_array_equal(resumed.transform(X), make().fit(X).transform(X))


def test_every_bit_flip_or_truncation_of_a_checkpoint_is_refused(tmp_path, X):
    path = tmp_path / "ckpt.safetensors"
    make().set_params(max_epochs=1).fit(X, checkpoint=Checkpointer(path))
    data = path.read_bytes()
    rng = np.random.default_rng(0)
    positions = [*rng.choice(len(data), 60, replace=False), len(data) - 1]
    damaged = [bytes(data[:i]) + bytes([data[i] ^ (1 << int(rng.integers(8)))]) + data[i + 1 :] for i in positions]
    damaged += [data[:n] for n in (0, 7, 8, len(data) // 2, len(data) - 1)]
    for copy in damaged:
        path.write_bytes(copy)
        with pytest.raises(ValueError, match="not a readable aekit checkpoint|is damaged|checkpoint version"):
            make().fit(X, checkpoint=Checkpointer(path, resume=True))


def test_a_resume_from_a_flipped_checkpoint_is_refused_by_the_command(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(training_args(run, 2)) == 0
    data = bytearray((run / "checkpoint.safetensors").read_bytes())
    data[-9] ^= 0x04
    (run / "checkpoint.safetensors").write_bytes(bytes(data))
    assert main(["train", "--resume", str(run), "--epochs", "3", "--quiet"]) == 1
    assert "is damaged: its contents do not match the SHA-256" in capsys.readouterr().err


def test_every_bit_flip_of_a_weights_file_is_refused(tmp_path, X):
    path = make().set_params(max_epochs=1).fit(X).save(tmp_path / "model")
    data = (path / WEIGHTS_FILE).read_bytes()
    for i in np.random.default_rng(1).choice(len(data), 40, replace=False):
        (path / WEIGHTS_FILE).write_bytes(data[:i] + bytes([data[i] ^ 0x80]) + data[i + 1 :])
        with pytest.raises(ValueError, match="does not match the checksum"):
            AutoEncoder.load(path)


def test_a_checkpoint_whose_checksum_key_is_damaged_is_refused_as_damaged(tmp_path, X):
    path = tmp_path / "ckpt.safetensors"
    make().set_params(max_epochs=1).fit(X, checkpoint=Checkpointer(path))
    data = path.read_bytes()
    at = data.index(b'"sha256"') + 1
    path.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
    with pytest.raises(ValueError, match="has no checksum: it is damaged"):
        make().fit(X, checkpoint=Checkpointer(path, resume=True))


@pytest.mark.parametrize(
    "changed, message",
    [({"learning_rate": 0.01}, "learning_rate is 'auto' there, 0.01 here"),
     ({"weight_decay": 0.1}, "weight_decay is 0.0 there, 0.1 here"),
     ({"optimizer": "sgd"}, "optimizer is 'adam' there, 'sgd' here"),
     ({"random_state": 5}, "random_state is 0 there, 5 here")],
    ids=["learning_rate", "weight_decay", "optimizer", "random_state"],
)
def test_a_checkpoint_resumed_with_other_parameters_is_refused_naming_the_parameter(tmp_path, X, changed, message):
    """fit(checkpoint=Checkpointer(path, resume=True)) with learning_rate=0.01 or weight_decay=0.1 went on at the
    checkpoint's 0.001 and 0 (its optimizer's saved settings) while history_['settings'] said 0.01; optimizer='sgd'
    failed with KeyError: 'momentum' from inside torch, and another random_state was refused as 'other rows'."""
    path = tmp_path / "ckpt.safetensors"
    make().set_params(max_epochs=2).fit(X, checkpoint=Checkpointer(path))
    with pytest.raises(ValueError, match=f"{path}' does not fit this model: it was written while training with other parameters: {message}"):
        make().set_params(**changed).fit(X, checkpoint=Checkpointer(path, resume=True))
    resumed = make().set_params(max_epochs=4, verbose=False, n_threads=1).fit(X, checkpoint=Checkpointer(path, resume=True))
    np.testing.assert_array_equal(resumed.transform(X), make().fit(X).transform(X))
