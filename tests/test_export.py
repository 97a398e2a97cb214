"""ONNX export: encoder.onnx and decoder.onnx run in onnxruntime and match PyTorch to 1e-5."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from aekit import AutoEncoder, VariationalAutoEncoder

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def models():
    yield AutoEncoder(
        latent_dim=3,
        hidden_dims=(32, 16),
        tied_weights=True,
        latent_activation="tanh",
        loss="bce",
        max_epochs=2,
        random_state=0,
    )
    yield VariationalAutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=2, random_state=0)


@pytest.mark.slow
@pytest.mark.parametrize("est", list(models()), ids=lambda e: type(e).__name__)
def test_onnx_encoder_and_decoder_match_pytorch(est, digits, tmp_path):
    X_train, X_test = digits[0].astype(np.float32), digits[1][:37].astype(np.float32)
    est.fit(X_train)
    files = est.to_onnx(tmp_path / "onnx")
    assert set(files) == {"encoder", "decoder"}
    for path in files.values():
        onnx.checker.check_model(onnx.load(str(path)))
    encoder = ort.InferenceSession(str(files["encoder"]), providers=["CPUExecutionProvider"])
    decoder = ort.InferenceSession(str(files["decoder"]), providers=["CPUExecutionProvider"])
    codes = encoder.run(["code"], {"x": X_test})[0]
    np.testing.assert_allclose(codes, est.transform(X_test), atol=1e-5, rtol=1e-5)
    decoded = decoder.run(["reconstruction"], {"code": codes})[0]
    np.testing.assert_allclose(decoded, est.inverse_transform(codes), atol=1e-5, rtol=1e-5)
    assert encoder.run(None, {"x": X_test[:1]})[0].shape == (1, est.latent_dim)
    info = json.loads((tmp_path / "onnx" / "onnx.json").read_text())
    assert info["encoder"]["input"] == ["x", ["batch", X_test.shape[1]]]
    assert sorted(p.name for p in (tmp_path / "onnx").iterdir()) == ["decoder.onnx", "encoder.onnx", "onnx.json"]


def test_export_needs_a_fitted_model(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AutoEncoder().to_onnx(tmp_path)
