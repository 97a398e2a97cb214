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
    source = (draws.unsqueeze(0) == each).all(dim=2)  # (3, 50)
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
