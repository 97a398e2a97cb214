"""`compile=True` (torch.compile of the training step and of inference) and inference under the
estimator's mixed precision."""

from __future__ import annotations

import functools
import pickle
import warnings

import numpy as np
import pytest
import torch

import aekit.training.compiled as compiled
from aekit import AutoEncoder, AutoEncoderOutlierDetector
from aekit.estimators import base

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def frames() -> int:
    """Frames torch.compile has compiled so far in this process."""
    return int(torch._dynamo.utils.counters["frames"]["ok"])


def ae(**kw) -> AutoEncoder:
    return AutoEncoder(**{"latent_dim": 8, "hidden_dims": (32,), "max_epochs": 4, "batch_size": 64, "random_state": 0, **kw})


@pytest.fixture(scope="module")
def split(digits):
    X = np.concatenate([digits[0], digits[1]]).astype(np.float32)
    return X[:1400], X[1400:]


def test_a_compiled_fit_learns_what_an_eager_fit_learns(split):
    train, test = split
    assert train.shape[0] % 64 != 0  # a last partial batch, run eagerly
    eager = ae(hidden_dims=(31,)).fit(train)
    before = frames()
    fast = ae(compile=True, hidden_dims=(31,)).fit(train)  # an architecture no earlier test compiles
    assert frames() - before == 1  # one graph for the full batches, no recompile for the partial one
    assert fast.history_["loss"][-1] == pytest.approx(eager.history_["loss"][-1], rel=0.02)
    assert fast.score(test) == pytest.approx(eager.score(test), rel=0.02)
    assert fast.get_params()["compile"] is True


def test_compiled_inference_equals_eager_inference_on_the_same_weights(monkeypatch, split):
    train, test = split
    monkeypatch.setattr(base, "INFERENCE_BATCH", 128)  # several full inference batches and a partial one
    fast = ae(compile=True, max_epochs=1).fit(train)  # ae()'s training graph, compiled once per process
    before = frames()
    codes, scores = fast.transform(test), fast.score_samples(test)
    assert frames() - before == 2  # encode and sample_losses, each compiled once
    eager = pickle.loads(pickle.dumps(fast)).set_params(compile=False)
    np.testing.assert_allclose(codes, eager.transform(test), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores, eager.score_samples(test), rtol=1e-5, atol=1e-6)
    fast.transform(test)
    assert frames() - before == 2  # the second call reuses the compiled functions


def test_a_compiled_model_pickles_saves_and_reloads_with_its_setting(tmp_path, split):
    train, test = split
    fitted = ae(compile=True, max_epochs=1).fit(train)
    fitted.transform(test)
    again = AutoEncoder.load(fitted.save(tmp_path / "model"))
    assert again.compile is True
    np.testing.assert_allclose(again.transform(test), fitted.transform(test), rtol=1e-5, atol=1e-6)
    copy = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(copy.transform(test), fitted.transform(test), rtol=1e-5, atol=1e-6)


def test_a_failing_compiler_warns_once_and_trains_eagerly(monkeypatch, split):
    train, _ = split

    def broken(fn, **kwargs):
        def fails(*args, **kw):
            raise RuntimeError("no C++ compiler found")

        return fails

    monkeypatch.setattr(compiled.torch, "compile", broken)
    with pytest.warns(RuntimeWarning, match=r"compile=True: torch.compile failed \(RuntimeError: no C\+\+ compiler found\); the training step runs eagerly") as caught:
        fallen = ae(compile=True).fit(train)
    assert sum("compile=True" in str(w.message) for w in caught) == 1
    eager = ae().fit(train)
    assert fallen.history_["loss"] == eager.history_["loss"]  # the failed attempt changed nothing


def test_an_unsupported_platform_warns_and_trains_eagerly(monkeypatch, split):
    train, _ = split
    monkeypatch.setattr(compiled.torch._dynamo, "is_dynamo_supported", lambda: False)
    with pytest.warns(RuntimeWarning, match="not supported on this Python or platform"):
        fitted = ae(compile=True, max_epochs=1).fit(train)
    assert fitted.history_["loss"] == ae(max_epochs=1).fit(train).history_["loss"]


def test_many_compiled_architectures_in_one_process_stay_compiled(monkeypatch, split):
    train, _ = split
    monkeypatch.setattr(compiled.torch, "compile", functools.partial(torch.compile, backend="aot_eager"))  # the limit is Dynamo's
    before = frames()
    with torch._dynamo.config.patch(recompile_limit=1):  # torch's limit (8) made small: 2 fits pass it
        for width in range(40, 42):
            ae(compile=True, max_epochs=1, hidden_dims=(width,)).fit(train[:256])
        assert frames() - before == 2  # each architecture compiled, none left eager at the limit
        assert torch._dynamo.config.recompile_limit == compiled.RECOMPILE_LIMIT


def test_compile_is_validated():
    with pytest.raises(ValueError, match="compile"):
        ae(compile="yes").fit(np.zeros((10, 3), dtype=np.float32))


def test_compiled_bf16_training_reaches_the_float32_loss(split):
    train, _ = split
    fp32 = ae(max_epochs=6).fit(train)
    mixed = ae(max_epochs=6, compile=True, precision="bf16-mixed").fit(train)
    assert {p.dtype for p in mixed.module_.parameters()} == {torch.float32}
    assert mixed.history_["loss"][-1] == pytest.approx(fp32.history_["loss"][-1], rel=0.05)


def test_bf16_inference_is_close_to_float32_and_float64_input_stays_exact(split):
    train, test = split
    mixed = ae(precision="bf16-mixed", max_epochs=2).fit(train)
    as_fp32 = pickle.loads(pickle.dumps(mixed)).set_params(precision="32")
    low, high = mixed.transform(test), as_fp32.transform(test)
    assert low.dtype == np.float32
    assert not np.array_equal(low, high)  # bfloat16 products: not the float32 result
    np.testing.assert_allclose(low, high, rtol=0.05, atol=0.05 * np.abs(high).max())
    scores, exact = mixed.score_samples(test), as_fp32.score_samples(test)
    assert np.corrcoef(scores, exact)[0, 1] > 0.999
    test64 = test.astype(np.float64)
    np.testing.assert_array_equal(mixed.transform(test64), as_fp32.transform(test64))


def test_a_compiled_detector_flags_what_the_eager_one_flags(split):
    train, test = split
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fast = AutoEncoderOutlierDetector(ae(compile=True)).fit(train)
    eager = AutoEncoderOutlierDetector(ae()).fit(train)
    agree = np.mean(fast.predict(test) == eager.predict(test))
    assert agree > 0.97


def test_aekit_train_compile_records_the_setting_and_trains(tmp_path):
    from aekit.app.runs import load_estimator
    from aekit.cli import main

    out = tmp_path / "run"
    as_ae = ["--set", "model.hidden_dims=[32]", "--set", "model.latent_dim=8", "--set", "model.batch_size=64"]  # reuses ae()'s graph
    assert main(["train", "--data", "digits", "--epochs", "2", "--compile", "--out", str(out), "--quiet", *as_ae,
                 "--seed", "1"]) == 0  # fmt: skip
    assert "compile: true" in (out / "config.yaml").read_text()
    fitted = load_estimator(out / "model")
    assert fitted.compile is True and len(fitted.history_["loss"]) == 2
