"""Sparse codes: TopK and BatchTopK, dead-unit accounting, the scale-proof L1 penalty, the
dead-unit auxiliary loss, and the SparseAutoEncoder defaults."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aekit import AutoEncoder, SparseAutoEncoder
from aekit.nn import CodeActivity, MLPDecoder, MLPEncoder, SparseCode, TopK
from aekit.nn.likelihoods import MSE
from aekit.nn.models import AutoEncoderModule
from aekit.nn.regularizers import DeadUnitAux, L1Sparsity

pytestmark = pytest.mark.usefixtures("one_torch_thread")
FAST = {"hidden_dims": (32,), "max_epochs": 15, "random_state": 0}


def active(Z: np.ndarray) -> np.ndarray:
    return np.abs(Z) > 1e-6


def test_topk_codes_have_exactly_k_nonzeros_per_row(digits):
    X_train, X_test, _, _ = digits
    ae = AutoEncoder(latent_dim=16, sparsity_kind="topk", k=5, **FAST).fit(X_train)
    Z = ae.transform(X_test)
    assert Z.shape == (len(X_test), 16)
    assert (active(Z).sum(axis=1) == 5).all()
    assert ae.history_["l0"] == [5.0] * ae.n_epochs_
    np.testing.assert_allclose(ae.transform(X_test[:7]), Z[:7], rtol=1e-6)  # rows do not depend on their batch


def test_batch_topk_keeps_k_per_sample_on_average_and_codes_rows_alone(digits):
    X_train, X_test, _, _ = digits
    ae = AutoEncoder(latent_dim=16, sparsity_kind="batch_topk", k=4, **FAST).fit(X_train)
    Z = ae.transform(X_test)
    per_row = active(Z).sum(axis=1)
    assert per_row.min() != per_row.max()  # the batch shares its budget unevenly between samples
    assert 3 <= per_row.mean() <= 6  # k=4 on average: the inference threshold tracks training
    np.testing.assert_allclose(ae.transform(X_test[:3]), Z[:3], rtol=1e-6)


def test_units_a_strong_l1_penalty_kills_are_counted_dead(digits):
    X_train, _, _, _ = digits
    ae = AutoEncoder(latent_dim=8, latent_activation="relu", sparsity=30.0, **FAST).fit(X_train)
    never = np.flatnonzero(~active(ae.transform(X_train)).any(axis=0))
    assert len(never) >= 6  # the penalty is cheapest to pay by switching units off
    np.testing.assert_array_equal(ae.dead_units_, never)
    assert ae.history_["dead_fraction"][-1] >= 6 / 8
    assert ae.history_["l0"][-1] < 2


def test_dead_units_after_partial_fit_count_every_piece_since_the_network_was_built():
    """dead_units_ after partial_fit read the last piece only: a unit active on the first piece
    alone was listed dead. Now a unit is dead when active on no piece since the build; a new fit
    starts the record anew."""
    first = 3.0 + 0.01 * np.random.default_rng(0).normal(size=(40, 6))
    ae = AutoEncoder(latent_dim=8, hidden_dims=(), latent_activation="relu", sparsity=0.1, random_state=0)
    on_first = active(ae.partial_fit(first).transform(first)).any(axis=0)
    on_second = active(ae.partial_fit(-first).transform(-first)).any(axis=0)
    assert (on_first & ~on_second).any()  # units that fired on the first piece only
    np.testing.assert_array_equal(ae.dead_units_, np.flatnonzero(~on_first & ~on_second))
    ae.set_params(max_epochs=1).fit(-first)
    np.testing.assert_array_equal(ae.dead_units_, np.flatnonzero(~active(ae.transform(-first)).any(axis=0)))


def test_a_contractive_penalty_leaves_the_sparse_codes_record_to_the_training_step(digits):
    """The contractive penalty encodes each batch again (replicated, plus one row) in training
    mode, and each pass counted as a step of the sparse code's record: units counted dead three
    times as fast as `dead_after` says, and BatchTopK's inference threshold and balancing moved
    three times a step; given first (regularizers={'contractive': w}) it handed the dead-unit loss a
    replicated batch, which crashed in torch. With a negligible weight the record is now the one
    without it."""
    X = digits[0][:256]
    fits = [AutoEncoder(latent_dim=16, hidden_dims=(32,), sparsity_kind="batch_topk", k=2, contractive=weight, batch_size=32,
                        max_epochs=1, validation_fraction=0.0, random_state=0).fit(X) for weight in (0.0, 1e-9)]
    (plain, top), (contractive, top_c) = [(f.module_.encoder.latent_activation, f.module_.encoder.latent_activation[0]) for f in fits]
    assert plain[1].steps_since_active.max() <= 8 and contractive[1].steps_since_active.max() <= 8  # 256 / 32 steps
    np.testing.assert_allclose(float(top_c.threshold), float(top.threshold), rtol=1e-4)
    np.testing.assert_allclose(top_c.selection_bias, top.selection_bias, atol=1e-4)
    given_first = AutoEncoder(latent_dim=16, hidden_dims=(32,), sparsity_kind="topk", k=2, regularizers={"contractive": 0.01},
                              dead_after=1, batch_size=32, max_epochs=1, random_state=0).fit(X)  # its replicated input fed AuxK: a crash
    assert np.isfinite(given_first.history_["loss"]).all()


def test_code_activity_records_steps_and_epoch_numbers():
    activity = CodeActivity(4, dead_after=3).train()
    z = torch.tensor([[1.0, 0.0, 2.0, 0.0], [0.5, 0.0, 0.0, 0.0]])
    for _ in range(3):
        activity(z)
    assert activity.dead_mask().tolist() == [False, True, False, True]
    assert activity.epoch_logs() == {"l0": 1.5, "dead_fraction": 0.5}
    assert activity.epoch_logs() == {}  # reset after each epoch
    activity.eval()(torch.ones(2, 4))
    assert activity.dead_mask().tolist() == [False, True, False, True]  # inference does not count


@pytest.mark.slow
def test_topk_balancing_keeps_every_unit_in_use(digits):
    X_train, _, _, _ = digits
    ae = AutoEncoder(latent_dim=32, sparsity_kind="topk", k=8, hidden_dims=(64,), max_epochs=60, random_state=0).fit(X_train)
    assert len(ae.dead_units_) <= 3
    assert ae.history_["dead_fraction"][-1] <= 0.1
    assert ae.history_["dead_fraction"][0] > ae.history_["dead_fraction"][-1]


def _module(latent: int = 6, k: int = 2) -> AutoEncoderModule:
    encoder = MLPEncoder(10, latent, (8,), latent_activation=SparseCode(TopK(k, latent), latent, dead_after=10))
    return AutoEncoderModule(encoder, MLPDecoder(latent, 10, (8,)), MSE(), regularizers=[DeadUnitAux(1.0)])


def test_dead_unit_aux_loss_trains_only_dead_units_encoder_rows():
    torch.manual_seed(0)
    module = _module().train()
    x = torch.randn(32, 10)
    activity = module.encoder.latent_activation[1]
    activity.steps_since_active[:] = torch.tensor([0, 0, 50, 50, 0, 0])  # units 2 and 3 dead
    module.encoder.latent_activation[0].selection_bias[:] = torch.tensor([9.0, 9.0, -9.0, -9.0, 0.0, 0.0])
    out = module(x)
    assert out.terms["dead_unit_aux"] > 0
    module.zero_grad()
    out.terms["dead_unit_aux"].backward()
    rows = module.encoder.linears[-1].weight.grad.abs().sum(dim=1)
    assert (rows[[2, 3]] > 0).all()
    assert (rows[[0, 1, 4, 5]] == 0).all()


def test_l1_penalty_is_unchanged_when_codes_shrink_and_decoder_columns_grow():
    torch.manual_seed(0)
    module = AutoEncoderModule(MLPEncoder(10, 4), MLPDecoder(4, 10, (8,)), MSE())
    z = torch.rand(16, 4)
    before = L1Sparsity().penalty(module, None, z)
    with torch.no_grad():
        module.decoder.linears[0].weight.mul_(10.0)
    after = L1Sparsity().penalty(module, None, z / 10.0)
    torch.testing.assert_close(before, after)


def test_save_and_load_keep_k_and_the_dead_unit_record(digits, tmp_path):
    X_train, X_test, _, _ = digits
    ae = SparseAutoEncoder(latent_dim=16, k=3, **FAST).fit(X_train)
    ae.dead_units_ = np.array([4, 9])  # a record to carry over, whatever the fit found
    ae.save(tmp_path / "sae")
    back = SparseAutoEncoder.load(tmp_path / "sae")
    assert (back.k, back.sparsity_kind) == (3, "topk")
    np.testing.assert_array_equal(back.dead_units_, [4, 9])
    assert back.history_["l0"] == ae.history_["l0"]
    np.testing.assert_array_equal(back.transform(X_test), ae.transform(X_test))


def test_plain_autoencoder_has_no_dead_unit_record(digits):
    ae = AutoEncoder(latent_dim=4, **FAST).fit(digits[0])
    assert not hasattr(ae, "dead_units_") and "l0" not in ae.history_


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sparsity_kind": "topk", "k": 40}, r"k=40 is larger than latent_dim=32"),
        ({"sparsity_kind": "topk", "latent_activation": "sigmoid"}, r"latent_activation None .* or 'relu'"),
        ({"sparsity_kind": "topk", "k": 0}, r"'k' parameter .* must be .* None"),
        ({"sparsity_kind": "top_k"}, r"'sparsity_kind' parameter"),
        ({"sparsity_kind": "topk", "regularizers": {"unit_decoder_columns": 1.0}}, r"sparsity_kind='topk' and regularizers\['unit_decoder_columns'\]"),
        ({"sparsity_kind": "kl", "sparsity": 0.1}, r"sparsity_kind='kl' needs codes in \(0, 1\), but latent_activation=None"),
        ({"regularizers": {"kl_sparsity": 0.1}, "latent_activation": "tanh"}, r"regularizers\['kl_sparsity'\] needs .* latent_activation='tanh'"),  # was taken, silently
    ],
)
def test_bad_sparse_parameters_are_refused_by_name(digits, params, message):
    with pytest.raises(ValueError, match=message):
        AutoEncoder(latent_dim=32, **{**FAST, **params}).fit(digits[0][:50])


@pytest.mark.slow
def test_default_sparse_autoencoder_keeps_units_alive_on_digits(digits):
    # one seed here; benchmarks/sparse.py --part defaults holds more seeds and sets
    seed = 0
    X_train, X_test, _, _ = digits
    sae = SparseAutoEncoder(random_state=seed).fit(X_train)
    plain = AutoEncoder(latent_dim=sae.latent_dim, hidden_dims=sae.hidden_dims, random_state=seed, loss=sae.loss, activation=sae.activation).fit(X_train)
    Z = sae.transform(X_test)
    assert len(sae.dead_units_) / sae.latent_dim < 0.10
    assert 1 - active(Z).any(axis=0).mean() < 0.10  # held-out rows too
    assert active(Z).sum(axis=1).mean() <= sae.latent_dim / 4
    mse = np.mean((sae.inverse_transform(Z) - X_test) ** 2)
    assert mse <= 1.2 * np.mean((plain.reconstruct(X_test) - X_test) ** 2)  # 0.66-0.74 seen on these seeds


def test_a_short_default_sparse_fit_keeps_its_units_alive(digits):
    """The balancing needs about 100 optimizer steps (docs/guide/sparse.md): on the 1,347 digits in batches
    of 64 (19 steps an epoch) a fifth to two fifths of the units are silent in each of the first three
    epochs (0.195 in the first since the output starts at the mean row) and none from the sixth, so 10 epochs
    leave none dead."""
    sae = SparseAutoEncoder(max_epochs=10, random_state=0).fit(digits[0])
    dead = sae.history_["dead_fraction"]
    assert sae.history_["settings"]["batch_size"] == 64 and len(sae.dead_units_) == 0
    assert all(0.15 <= d <= 0.45 for d in dead[:3]) and not any(dead[5:])


def test_a_resumed_sparse_fit_keeps_its_l0_and_dead_fraction_history(digits, tmp_path):
    from aekit.training.checkpoint import Checkpointer

    class StopAfter:
        def on_epoch_end(self, est, epoch, logs):
            if epoch == 1:
                raise KeyboardInterrupt

    def make():
        return AutoEncoder(latent_dim=16, sparsity_kind="topk", k=4, hidden_dims=(32,), max_epochs=4, random_state=0)

    X = digits[0][:400]
    full = make().fit(X)
    path = tmp_path / "ckpt.safetensors"
    with pytest.raises(KeyboardInterrupt):
        make().fit(X, checkpoint=Checkpointer(path, fingerprint={"run": 1}), callbacks=[StopAfter()])
    resumed = make().fit(X, checkpoint=Checkpointer(path, fingerprint={"run": 1}, resume=True))
    assert resumed.history_["l0"] == full.history_["l0"] and len(full.history_["l0"]) == 4
    assert resumed.history_["dead_fraction"] == full.history_["dead_fraction"]
    np.testing.assert_array_equal(resumed.dead_units_, full.dead_units_)


@pytest.mark.slow
def test_run_report_shows_the_sparse_code(tmp_path):
    from aekit.cli import main
    from tests.conftest import ReportPage

    run = tmp_path / "run"
    assert main(["train", "--model", "sparse", "--data", "digits", "--epochs", "3", "--out", str(run)]) == 0
    assert main(["report", str(run)]) == 0
    page = ReportPage(run / "report.html")
    assert "Sparse code" in page.headings
    assert "of its 128 units active on average" in page.text
    from aekit import SparseAutoEncoder

    # the page gave '25.0% of the units active on no training row' beside 'never active on the training rows
    # (dead_units_): 27', two figures for one thing: now each is a count out of 128, named with what it counts
    dead = len(SparseAutoEncoder.load(run / "model").dead_units_)
    assert f"(dead_units_): {dead} of the 128 units active on none of them" in page.text
    assert any("Top-activating" in alt for _, alt in page.images)
    import csv

    rows = list(csv.DictReader((run / "metrics.csv").read_text().splitlines()))
    assert len(rows) == 3 and list(rows[0])[4:] == ["dead_fraction", "l0"]
    assert all(float(r["l0"]) == 32.0 and 0 <= float(r["dead_fraction"]) <= 1 for r in rows)
    epoch_dead = round(float(rows[-1]["dead_fraction"]) * 128)
    assert "During the last training epoch (history_)" in page.text and f"and {epoch_dead} of the 128 units active on none" in page.text


def test_weights_saved_before_the_activity_record_still_load(digits):
    ae = AutoEncoder(latent_dim=4, latent_activation="relu", sparsity=1e-3, **FAST).fit(digits[0][:200])
    older = {k: v for k, v in ae.module_.state_dict().items() if "steps_since_active" not in k}
    ae.module_.load_state_dict(older)  # strict: an L1 SparseAutoEncoder saved before this record existed
    assert (ae.module_.encoder.latent_activation[1].steps_since_active == 0).all()
