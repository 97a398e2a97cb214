"""AutoEncoderEnsemble: averaged losses and reconstructions, per-row member draws, training."""

from __future__ import annotations

import pytest
import torch

from aekit.nn.corruptions import Masking
from aekit.nn._ensembles import AutoEncoderEnsemble
from aekit.nn.likelihoods import MSE
from aekit.nn.models import AutoEncoderModule, VariationalAutoEncoderModule
from aekit.nn import MLPDecoder, MLPEncoder
from aekit.nn.priors import NormalPrior


def member(corruption=None) -> AutoEncoderModule:
    return AutoEncoderModule(MLPEncoder(6, 2, (8,)), MLPDecoder(2, 6, (8,)), MSE(), corruption)


def test_loss_and_reconstruction_are_the_members_means():
    torch.manual_seed(0)
    members = [member() for _ in range(3)]
    ensemble = AutoEncoderEnsemble(members).eval()
    x = torch.randn(10, 6)
    out = ensemble(x)
    assert torch.allclose(out.loss, torch.stack([m(x).loss for m in members]).mean())
    assert torch.allclose(out.reconstruction, torch.stack([m.reconstruct(x) for m in members]).mean(0))
    assert torch.allclose(ensemble.reconstruct(x), out.reconstruction)
    assert ensemble.sample_losses(x).shape == (10,)


def test_each_sampled_row_comes_from_one_member():
    torch.manual_seed(0)
    members = [member() for _ in range(3)]
    ensemble = AutoEncoderEnsemble(members).eval()
    x = torch.randn(50, 6)
    draws = ensemble.reconstruct_sample(x, torch.Generator().manual_seed(0))
    each = torch.stack([m.reconstruct(x) for m in members])  # (3, 50, 6)
    source = torch.isclose(draws.unsqueeze(0), each, rtol=0, atol=1e-6).all(dim=2)  # (3, 50); stacked products round apart by ulps on some CPUs
    assert source.any(dim=0).all()
    assert len(set(source.float().argmax(dim=0).tolist())) == 3


def test_members_draw_their_own_corruption_in_training():
    torch.manual_seed(0)
    base = member(Masking(0.5))
    twin = member(Masking(0.5))
    twin.load_state_dict(base.state_dict())
    ensemble = AutoEncoderEnsemble([base, twin]).train()
    x = torch.randn(20, 6)
    same_draw = [m(x, generator=torch.Generator().manual_seed(1)).loss for m in (base, twin)]
    assert torch.allclose(same_draw[0], same_draw[1])
    out = ensemble(x, generator=torch.Generator().manual_seed(1))
    assert not torch.allclose(out.loss, same_draw[0])


def test_an_ensemble_of_vaes_averages_their_outputs():
    torch.manual_seed(0)
    vaes = [VariationalAutoEncoderModule(MLPEncoder(6, 4, (8,)), MLPDecoder(2, 6, (8,)), MSE(), NormalPrior(), 2) for _ in range(2)]
    out = AutoEncoderEnsemble(vaes).train()(torch.randn(10, 6), generator=torch.Generator().manual_seed(0))
    assert out.kl.shape == () and out.code.shape == (10, 2) and torch.isfinite(out.loss)


def test_training_lowers_every_members_loss():
    torch.manual_seed(0)
    ensemble = AutoEncoderEnsemble([member() for _ in range(3)])
    x = torch.randn(64, 2) @ torch.randn(2, 6)
    before = [m(x).loss.item() for m in ensemble.members]
    optimizer = torch.optim.Adam(ensemble.parameters(), lr=1e-2)
    for _ in range(200):
        optimizer.zero_grad()
        ensemble(x).loss.backward()
        optimizer.step()
    after = [m(x).loss.item() for m in ensemble.members]
    assert all(a < 0.2 * b for a, b in zip(after, before))


def test_an_empty_ensemble_is_refused():
    with pytest.raises(ValueError, match="members"):
        AutoEncoderEnsemble([])


def test_one_member_ensemble_trains_as_the_plain_module():
    torch.manual_seed(0)
    plain = member(Masking(0.3))
    ensemble = AutoEncoderEnsemble([plain])
    x = torch.randn(32, 6)
    for module in (plain, ensemble):
        module.train()
        optimizer = torch.optim.Adam(module.parameters(), lr=1e-2)
        generator = torch.Generator().manual_seed(3)
        for _ in range(20):
            optimizer.zero_grad()
            module(x, generator=generator).loss.backward()
            optimizer.step()
    trained = ensemble.members[0]
    assert torch.allclose(trained.reconstruct(x), plain.eval().reconstruct(x), atol=1e-5)


def test_members_differ_in_their_weights_and_reconstructions():
    torch.manual_seed(0)
    ensemble = AutoEncoderEnsemble([member() for _ in range(3)]).eval()
    x = torch.randn(10, 6)
    each = ensemble.member_reconstructions(x)  # (3, 10, 6)
    assert each.shape == (3, 10, 6)
    assert not torch.allclose(each[0], each[1]) and not torch.allclose(each[1], each[2])
    assert torch.allclose(each, torch.stack([m.reconstruct(x) for m in ensemble.members]), atol=1e-6)


def test_weights_saved_member_by_member_load_into_the_stacked_ensemble():
    torch.manual_seed(0)
    members = [member() for _ in range(3)]
    old_layout = {f"members.{k}": v for k, v in torch.nn.ModuleDict({str(i): m for i, m in enumerate(members)}).state_dict().items()}
    torch.manual_seed(1)
    ensemble = AutoEncoderEnsemble([member() for _ in range(3)]).eval()
    ensemble.load_state_dict(old_layout)
    x = torch.randn(10, 6)
    assert torch.allclose(ensemble.reconstruct(x), torch.stack([m.eval().reconstruct(x) for m in members]).mean(0), atol=1e-6)
    with pytest.raises(RuntimeError, match="3 members, the config 2"):
        AutoEncoderEnsemble([member() for _ in range(2)]).load_state_dict(old_layout)
