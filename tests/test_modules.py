"""The torch building blocks on their own: shapes, corruptions, regularizers, likelihoods, own loop."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from aekit.nn.corruptions import BlockMasking, GaussianNoise, Masking, SaltPepper, make_corruption
from aekit.nn.likelihoods import BCE, MSE, Gaussian, make_likelihood
from aekit.nn.models import AutoEncoderModule
from aekit.nn import MLPDecoder, MLPEncoder, TiedMLPDecoder
from aekit.nn.regularizers import REGULARIZERS, KLSparsity, Orthogonality, jacobian_frobenius_sq, make_regularizers


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_encoder_decoder_shapes():
    enc = MLPEncoder(20, 4, (16, 8))
    dec = MLPDecoder(4, 20, (8, 16))
    x = torch.rand(5, 20)
    assert enc(x).shape == (5, 4) and dec(enc(x)).shape == (5, 20)
    tied = TiedMLPDecoder(enc)
    assert tied(enc(x)).shape == (5, 20)
    assert [p.shape for p in tied.parameters()] == [(8,), (16,), (20,)]


def test_module_in_a_users_own_loop():
    torch.manual_seed(0)
    x = torch.rand(64, 10) @ torch.rand(10, 10)
    module = AutoEncoderModule(MLPEncoder(10, 3, (16,)), MLPDecoder(3, 10, (16,)), MSE(), GaussianNoise(0.05))
    opt = torch.optim.SGD(module.parameters(), lr=0.05, momentum=0.9)
    first = None
    for _ in range(200):
        out = module(x, generator=gen())
        first = first if first is not None else out.loss.item()
        out.loss.backward()
        opt.step()
        opt.zero_grad()
    assert out.loss.item() < 0.3 * first
    assert out.code.shape == (64, 3) and out.reconstruction.shape == (64, 10)


def test_corruption_only_in_training_mode():
    module = AutoEncoderModule(MLPEncoder(6, 2), MLPDecoder(2, 6), MSE(), Masking(0.9))
    x = torch.rand(8, 6)
    module.eval()
    assert torch.equal(module(x).reconstruction, module.reconstruct(x))
    module.train()
    assert not torch.equal(module(x, generator=gen()).reconstruction, module.reconstruct(x))


@pytest.mark.parametrize("level", [0.1, 0.5])
def test_masking_rate(level):
    x = torch.ones(200, 100)
    x_tilde, mask = Masking(level)(x, gen())
    assert abs(mask.float().mean().item() - level) < 0.02
    assert torch.equal(x_tilde == 0, mask)


def test_gaussian_noise_std():
    x_tilde, mask = GaussianNoise(0.3)(torch.zeros(400, 100), gen())
    assert abs(x_tilde.std().item() - 0.3) < 0.01 and mask.all()


def test_salt_pepper_values():
    x = torch.full((300, 100), 0.5)
    x_tilde, mask = SaltPepper(0.2)(x, gen())
    assert abs(mask.float().mean().item() - 0.2) < 0.02
    assert set(x_tilde[mask].unique().tolist()) == {0.0, 1.0}
    assert (x_tilde[~mask] == 0.5).all()


def test_block_masking_is_one_contiguous_block():
    x_tilde, mask = BlockMasking(0.25)(torch.ones(50, 40), gen())
    assert (mask.sum(dim=1) == 10).all()
    for row in mask:
        idx = row.nonzero().flatten()
        assert (idx.diff() == 1).all()
    _, mask2d = BlockMasking(0.25, shape=(8, 8))(torch.ones(30, 64), gen())
    for row in mask2d.reshape(30, 8, 8):
        rows, cols = row.nonzero(as_tuple=True)
        assert row.sum() == 16 and rows.max() - rows.min() == 3 and cols.max() - cols.min() == 3


def test_make_corruption_errors():
    assert make_corruption(None, 0.3) is None
    with pytest.raises(ValueError, match="unknown corruption"):
        make_corruption("fog", 0.3)
    with pytest.raises(ValueError, match="fraction"):
        BlockMasking(1.5)


def test_contractive_jacobian_is_exact_for_a_deep_encoder():
    torch.manual_seed(0)
    enc = MLPEncoder(7, 3, (11, 5), activation="tanh", latent_activation="sigmoid")
    x = torch.randn(4, 7)
    expected = torch.stack([torch.autograd.functional.jacobian(enc, xi[None]).square().sum() for xi in x])
    torch.testing.assert_close(jacobian_frobenius_sq(enc, x), expected)


def test_contractive_penalty_has_gradients():
    module = AutoEncoderModule(MLPEncoder(5, 2, (4,)), MLPDecoder(2, 5, (4,)), MSE(), regularizers=make_regularizers({"contractive": 1.0}))
    out = module(torch.rand(6, 5))
    out.terms["contractive"].backward()
    assert module.encoder.linears[0].weight.grad.abs().sum() > 0
    assert module.decoder.linears[0].weight.grad is None


def test_orthogonality_zero_for_orthonormal_rows():
    module = AutoEncoderModule(MLPEncoder(6, 3), MLPDecoder(3, 6), MSE())
    with torch.no_grad():
        module.encoder.linears[0].weight.copy_(torch.eye(6)[:3])
    z = torch.zeros(2, 3)
    assert Orthogonality().penalty(module, None, z).item() == pytest.approx(0.0)
    with torch.no_grad():
        module.encoder.linears[0].weight.mul_(2)
    assert Orthogonality().penalty(module, None, z).item() == pytest.approx(3 * 9.0)


def test_kl_sparsity_is_zero_at_target():
    z = torch.full((10, 4), 0.05)
    assert KLSparsity(target=0.05).penalty(None, None, z).item() == pytest.approx(0.0, abs=1e-6)
    assert KLSparsity(target=0.05).penalty(None, None, torch.full((10, 4), 0.5)).item() > 0.5


def test_decorrelation_penalty():
    reg = REGULARIZERS["decorrelation"]()
    a = torch.randn(1000, 1, generator=gen())
    assert reg.penalty(None, None, torch.cat([a, a], 1)).item() > 0.5
    assert reg.penalty(None, None, torch.cat([a, torch.randn(1000, 1, generator=gen(1))], 1)).item() < 0.01


def test_decorrelation_penalty_is_the_mean_squared_correlation_whatever_the_codes_scale():
    """The penalty was the summed squared covariance, growing with the fourth power of the code's
    scale: decorrelation=1.0 held a LinearAutoEncoder on 500 digits in [0, 1] at 1.6 times PCA's
    error, 89 degrees off its subspace, pulled towards low-variance directions. Now it is the mean
    squared correlation between code units, in [0, 1]."""
    reg = REGULARIZERS["decorrelation"]()
    z = torch.randn(64, 4, generator=gen(), dtype=torch.float64) @ torch.randn(4, 4, generator=gen(1), dtype=torch.float64)
    corr = torch.corrcoef(z.t())
    expected = (corr - torch.diag(torch.diagonal(corr))).square().sum() / (4 * 3)
    for scale in (1.0, 16.0, 1 / 16):
        torch.testing.assert_close(reg.penalty(None, None, scale * z), expected)


def test_make_regularizers_drops_zero_weights_and_refuses_bad_ones():
    assert [r.name for r in make_regularizers({"contractive": 0.0, "l1_sparsity": 0.1})] == ["l1_sparsity"]
    with pytest.raises(ValueError, match="must be a number >= 0"):
        make_regularizers({"l1_sparsity": -1})


def test_likelihoods_match_their_formulas():
    pre, x = torch.randn(4, 3), torch.rand(4, 3)
    torch.testing.assert_close(BCE().elementwise(pre, x), F.binary_cross_entropy(torch.sigmoid(pre), x, reduction="none"))
    torch.testing.assert_close(MSE("sigmoid").elementwise(pre, x), (torch.sigmoid(pre) - x) ** 2)
    gauss = Gaussian(3)
    torch.testing.assert_close(gauss.elementwise(pre, x), 0.5 * math.log(2 * math.pi) + 0.5 * (x - pre) ** 2)
    with torch.no_grad():
        gauss.log_var.fill_(-100.0)
    assert torch.isfinite(gauss.elementwise(pre, x)).all()  # the variance is clamped
    with pytest.raises(ValueError, match="unknown loss"):
        make_likelihood("hinge", 3, "linear")


@pytest.mark.parametrize("likelihood", [MSE("sigmoid"), MSE("linear"), BCE(), Gaussian(3)], ids=["mse-sigmoid", "mse", "bce", "gaussian"])
def test_fused_loss_equals_mean_of_elementwise(likelihood):
    pre, x = torch.randn(6, 3), torch.rand(6, 3)
    torch.testing.assert_close(likelihood.loss(pre, x), likelihood.elementwise(pre, x).mean())
    torch.testing.assert_close(likelihood.loss(pre, x, likelihood.mean(pre)), likelihood.elementwise(pre, x).mean())


def test_a_trimmed_loss_averages_the_lowest_per_sample_losses_in_training_only():
    torch.manual_seed(0)
    module = AutoEncoderModule(MLPEncoder(6, 2, (8,)), MLPDecoder(2, 6, (8,)), MSE(), loss_trim=0.25)
    x = torch.randn(8, 6)
    per_sample = module.sample_losses(x)
    module.train()
    assert torch.allclose(module(x).loss, per_sample.sort().values[:6].mean())
    module.eval()
    assert torch.allclose(module(x).loss, per_sample.mean())


@pytest.mark.parametrize("kwargs, message", [({"loss_trim": 1.0}, "loss_trim must be in"), ({"loss_trim": 0.1, "uncorrupted_weight": 0.0}, "cannot be combined")])
def test_bad_trim_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AutoEncoderModule(MLPEncoder(6, 2), MLPDecoder(2, 6), MSE(), **kwargs)
