"""The autoencoders as `nn.Module` objects: the deterministic one (encoder + decoder + likelihood +
corruption + regularizers) and the variational one (encoder + decoder + likelihood + prior).

Every deterministic variant (denoising, sparse, contractive, tied, constrained linear) is
`AutoEncoderModule` with different parts; the VAE differs in kind (a distribution over codes),
so it is the one other module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from aekit.nn.corruptions import Corruption
from aekit.nn.likelihoods import Likelihood
from aekit.nn.priors import gaussian_log_prob
from aekit.nn.regularizers import Regularizer

__all__ = ["AutoEncoderModule", "AutoEncoderOutput", "DecodeOf", "EncodeOf", "VAEOutput", "VariationalAutoEncoderModule"]

CORRUPT_ON = ("input", "code")
_HASH_PRIME = 2**31 - 1


class AutoEncoderOutput(NamedTuple):
    """What a training forward pass returns: the total loss and its named parts.

    Parameters
    ----------
    loss : torch.Tensor
        Scalar: the reconstruction loss plus the weighted penalties.
    reconstruction_loss : torch.Tensor
        Scalar.
    terms : dict of str to torch.Tensor
        Each regularizer's weighted scalar penalty, by its name.
    code : torch.Tensor
        The codes, (batch, latent_dim).
    reconstruction : torch.Tensor
        The reconstructions, (batch, features).
    """

    loss: torch.Tensor  # scalar: reconstruction + weighted penalties
    reconstruction_loss: torch.Tensor  # scalar
    terms: dict[str, torch.Tensor]  # regularizer name -> weighted scalar
    code: torch.Tensor  # (batch, latent_dim)
    reconstruction: torch.Tensor  # (batch, features)


class AutoEncoderModule(nn.Module):
    """x -> [corrupt] -> encoder -> z -> [corrupt] -> decoder -> likelihood.mean -> x_hat.

    `forward(x, target)` returns an `AutoEncoderOutput` whose `loss` is the per-feature mean of
    the likelihood's terms, averaged over the batch, plus the weighted regularizer penalties.
    Corruption is applied only in training mode. With `uncorrupted_weight` != 1 the terms are
    a weighted mean: weight 1 on the entries the input corruption changed, `uncorrupted_weight`
    on the rest (0 gives a context encoder's loss on the masked region only). With `loss_trim` > 0
    the training loss averages only the per-sample losses below the batch's (1 - loss_trim)
    quantile, so samples the model cannot reconstruct (outliers in the training data) stop
    pulling it towards them: a trimmed-mean, robust loss.

    Parameters
    ----------
    encoder : nn.Module
        Maps x (batch, features) to the code z (batch, latent_dim).
    decoder : nn.Module
        Maps z to the likelihood's parameters (batch, features).
    likelihood : Likelihood
        Scores the reconstruction (the loss) and gives its mean (x_hat).
    corruption : Corruption or None, default=None
        Noise applied in training mode only; None trains without noise.
    corrupt_on : {'input', 'code'}, default='input'
        Where the corruption is applied.
    regularizers : sequence of Regularizer, default=()
        Penalties added to the loss (each weighted by its `weight`) and constraints applied by
        `apply_constraints`; each checks the module when it is built.
    uncorrupted_weight : float, default=1.0
        Loss weight of the entries the input corruption left unchanged (those it changed
        weigh 1).
    loss_trim : float, default=0.0
        Share in [0, 1) of each training batch's largest per-sample losses left out of the
        loss; not combinable with `uncorrupted_weight` != 1.
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        likelihood: Likelihood,
        corruption: Corruption | None = None,
        corrupt_on: str = "input",
        regularizers: Sequence[Regularizer] = (),
        uncorrupted_weight: float = 1.0,
        loss_trim: float = 0.0,
    ) -> None:
        super().__init__()
        if corrupt_on not in CORRUPT_ON:
            raise ValueError(f"corrupt_on must be one of {CORRUPT_ON}, got {corrupt_on!r}")
        if not 0.0 <= loss_trim < 1.0:
            raise ValueError(f"loss_trim must be in [0, 1), got {loss_trim!r}")
        if loss_trim > 0 and uncorrupted_weight != 1.0:
            raise ValueError("loss_trim cannot be combined with a weighted loss on the corrupted entries (uncorrupted_weight != 1)")
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood
        self.corruption = corruption
        self.corrupt_on = corrupt_on
        self.regularizers = list(regularizers)
        for regularizer in self.regularizers:
            regularizer.check(self)
        self.uncorrupted_weight = uncorrupted_weight
        self.loss_trim = loss_trim

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)  # (batch, latent_dim)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.likelihood.mean(self.decoder(z))  # (batch, features)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))  # (batch, features)

    def sample_losses(self, x: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        """Per-sample reconstruction loss without corruption: (batch,).

        Parameters
        ----------
        x : torch.Tensor
            Inputs, (batch, features).
        target : torch.Tensor or None, default=None
            What the reconstruction is scored against, (batch, features); None is x.

        Returns
        -------
        losses : torch.Tensor
            The likelihood's terms averaged over the features, (batch,).
        """
        target = x if target is None else target
        return self.likelihood.elementwise(self.decoder(self.encoder(x)), target).mean(dim=1)

    def forward(
        self,
        x: torch.Tensor,
        target: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> AutoEncoderOutput:
        target = x if target is None else target
        noisy = self.training and self.corruption is not None
        x_in, changed = self.corruption(x, generator) if noisy and self.corrupt_on == "input" else (x, None)
        z = self.encoder(x_in)
        z_dec = self.corruption(z, generator)[0] if noisy and self.corrupt_on == "code" else z
        pre = self.decoder(z_dec)
        reconstruction = self.likelihood.mean(pre)
        if changed is not None and self.uncorrupted_weight != 1.0:
            weights = torch.where(changed, 1.0, self.uncorrupted_weight).to(pre.dtype)  # (batch, features)
            weighted = (self.likelihood.elementwise(pre, target) * weights).sum()
            reconstruction_loss = weighted / weights.sum().clamp_min(torch.finfo(pre.dtype).tiny)
        elif self.loss_trim > 0 and self.training:
            per_sample = self.likelihood.elementwise(pre, target).mean(dim=1)  # (batch,)
            kept = max(1, math.ceil((1.0 - self.loss_trim) * per_sample.shape[0]))
            reconstruction_loss = per_sample.topk(kept, largest=False, sorted=False).values.mean()
        else:
            reconstruction_loss = self.likelihood.loss(pre, target, reconstruction)
        terms = {r.name: r.weight * r.penalty(self, x_in, z) for r in self.regularizers}
        loss = reconstruction_loss + sum(terms.values()) if terms else reconstruction_loss
        return AutoEncoderOutput(loss, reconstruction_loss, terms, z, reconstruction)

    @torch.no_grad()
    def apply_constraints(self) -> None:
        """Project weights onto the regularizers' constraint sets (call after each optimizer step)."""
        for r in self.regularizers:
            r.constrain(self)

    def epoch_logs(self) -> dict[str, float]:
        """Per-epoch numbers its parts recorded during training (a sparse code's `l0` and
        `dead_fraction`), each part's record reset; the training loop adds them to the history."""
        logs: dict[str, float] = {}
        for part in self.modules():
            if part is not self and hasattr(part, "epoch_logs"):
                logs.update(part.epoch_logs())
        return logs


def _draws_of_rows(rows: torch.Tensor, n_draws: int, width: int) -> torch.Tensor:
    """Standard-normal draws (n_draws, batch, width), float32, fixed by each row's float32 values:
    a row gets the same draws in any batch and dtype, other rows unrelated ones. The row's bits,
    in 16-bit halves, are hashed by a float64 product that stays exact (below 2**53, so it does not
    depend on the summation order), and the hash indexes a seeded pairwise-independent family of
    uniforms.

    Parameters
    ----------
    rows : torch.Tensor
        The rows, (batch, ...).
    n_draws : int
        Draws per row.
    width : int
        Size of each draw.

    Returns
    -------
    eps : torch.Tensor
        (n_draws, batch, width), on the rows' device.
    """
    gen = torch.Generator().manual_seed(0)
    bits = rows.reshape(rows.shape[0], -1).float().contiguous().view(torch.int32)  # (batch, features)
    high = max(2, min(2**16, 2**37 // bits.shape[1]))
    weights = torch.randint(1, high, (2, bits.shape[1]), generator=gen).double().to(rows.device)
    row_hash = ((bits >> 16).double() @ weights[0] + (bits & 0xFFFF).double() @ weights[1]).long().cpu() % _HASH_PRIME
    a, b = torch.randint(1, _HASH_PRIME, (2, n_draws, 1, width), generator=gen)
    uniform = ((row_hash[:, None] * a + b) % _HASH_PRIME).double().add(0.5).div(_HASH_PRIME)
    return torch.special.ndtri(uniform).float().to(rows.device)


class VAEOutput(NamedTuple):
    """What a VAE training forward pass returns; per-sample terms are in nats.

    Parameters
    ----------
    loss : torch.Tensor
        Scalar: the batch mean of the reconstruction term plus the weighted KL.
    reconstruction_loss : torch.Tensor
        Scalar: the batch mean of -log p(x|z).
    kl : torch.Tensor
        Scalar: the batch mean of KL(q(z|x) || p(z)).
    code : torch.Tensor
        Posterior means, (batch, latent_dim).
    reconstruction : torch.Tensor
        Decoded mean of the sampled z, (batch, features).
    """

    loss: torch.Tensor  # scalar: mean over the batch of reconstruction + weighted KL
    reconstruction_loss: torch.Tensor  # scalar: mean -log p(x|z)
    kl: torch.Tensor  # scalar: mean KL(q(z|x) || p(z))
    code: torch.Tensor  # (batch, latent_dim) posterior means
    reconstruction: torch.Tensor  # (batch, features) decoded mean of the sampled z


class VariationalAutoEncoderModule(nn.Module):
    """Gaussian-posterior VAE: the encoder outputs (batch, 2 * latent_dim) = (mu, log_var), the
    decoder maps a reparameterised z to the likelihood's parameters, the prior supplies the KL.

    The training loss is the negative ELBO, -log p(x|z) + beta * kl_weight * KL, averaged over
    the batch; `kl_weight` is set by a warm-up schedule, `free_bits` (nats per code unit)
    stops the optimiser from pushing a unit's batch-mean KL below that floor, and
    `binarize=True` draws x ~ Bernoulli(x) afresh for each batch (dynamic binarisation), and a
    `corruption` (training only) makes the encoder see corrupted inputs while the likelihood
    scores the clean targets, as for a denoising autoencoder.

    Parameters
    ----------
    encoder : nn.Module
        Maps x (batch, features) to (batch, 2 * latent_dim): the posterior's means, then its
        log-variances.
    decoder : nn.Module
        Maps z (batch, latent_dim) to the likelihood's parameters.
    likelihood : Likelihood
        Gives -log p(x|z) and the decoded mean.
    prior : nn.Module
        The prior p(z), with `kl`, `log_prob` and `sample` (see `aekit.nn.priors`).
    latent_dim : int
        Size of the code.
    beta : float, default=1.0
        Weight of the KL term.
    free_bits : float, default=0.0
        Floor, in nats per code unit, under which a unit's batch-mean KL is not penalised.
    binarize : bool, default=False
        Train on x ~ Bernoulli(x), drawn afresh for each batch (data in [0, 1]).
    min_log_var : float, default=-12.0
        Lower clamp of the posterior log-variances.
    max_log_var : float, default=8.0
        Upper clamp of the posterior log-variances.
    corruption : Corruption or None, default=None
        Noise on the encoder's input in training mode only.
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        likelihood: Likelihood,
        prior: nn.Module,
        latent_dim: int,
        beta: float = 1.0,
        free_bits: float = 0.0,
        binarize: bool = False,
        min_log_var: float = -12.0,
        max_log_var: float = 8.0,
        corruption: Corruption | None = None,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood
        self.prior = prior
        self.corruption = corruption
        self.latent_dim = latent_dim
        self.beta = beta
        self.free_bits = free_bits
        self.binarize = binarize
        self.kl_weight = 1.0
        self.min_log_var, self.max_log_var = min_log_var, max_log_var

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z|x), each (batch, latent_dim).

        Parameters
        ----------
        x : torch.Tensor
            Inputs, (batch, features).

        Returns
        -------
        mu, log_var : torch.Tensor
            The log-variances clamped to [min_log_var, max_log_var].
        """
        mu, log_var = self.encoder(x).chunk(2, dim=1)
        return mu, log_var.clamp(self.min_log_var, self.max_log_var)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.posterior(x)[0]  # (batch, latent_dim)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.likelihood.mean(self.decoder(z))  # (batch, features)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    @staticmethod
    def draw(mu: torch.Tensor, log_var: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One reparameterised draw z = mu + sigma * eps per row: (batch, latent_dim).

        Parameters
        ----------
        mu : torch.Tensor
            Posterior means, (batch, latent_dim).
        log_var : torch.Tensor
            Posterior log-variances, (batch, latent_dim).
        generator : torch.Generator or None, default=None
            Source of eps; None uses torch's global one.

        Returns
        -------
        z : torch.Tensor
            The draws, (batch, latent_dim).
        """
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * log_var) * eps

    def reconstruct_sample(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decoded mean of one draw z ~ q(z|x) per row: (batch, features).

        Parameters
        ----------
        x : torch.Tensor
            Inputs, (batch, features).
        generator : torch.Generator or None, default=None
            Source of the draws; None uses torch's global one.

        Returns
        -------
        reconstruction : torch.Tensor
            (batch, features).
        """
        return self.decode(self.draw(*self.posterior(x), generator))

    def log_px_given_z(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(x|z) summed over features, in nats: (batch,).

        Parameters
        ----------
        z : torch.Tensor
            Codes, (batch, latent_dim).
        x : torch.Tensor
            The data scored, (batch, features).

        Returns
        -------
        log_px : torch.Tensor
            (batch,).
        """
        return -self.likelihood.elementwise(self.decoder(z), x).sum(dim=1)

    def forward(
        self, x: torch.Tensor, target: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> VAEOutput:
        if self.training and self.binarize:
            x = torch.bernoulli(x, generator=generator)
            target = x
        target = x if target is None else target
        if self.training and self.corruption is not None:
            x = self.corruption(x, generator)[0]
        mu, log_var = self.posterior(x)
        z = self.draw(mu, log_var, generator)
        pre = self.decoder(z)
        nll = self.likelihood.elementwise(pre, target).sum(dim=1)  # (batch,)
        kl_units = self.prior.kl(mu, log_var, z)  # (batch, latent_dim)
        kl = kl_units.sum(dim=1)
        penalty = kl.mean()
        if self.free_bits > 0:
            penalty = kl_units.mean(dim=0).clamp_min(self.free_bits).sum()
        loss = nll.mean() + self.beta * self.kl_weight * penalty
        return VAEOutput(loss, nll.mean(), kl.mean(), mu, self.likelihood.mean(pre))

    def elbo(self, x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """ELBO per sample in nats, averaged over the given standard-normal draws
        eps (n_draws, batch, latent_dim): (batch,).

        Parameters
        ----------
        x : torch.Tensor
            Inputs, (batch, features).
        eps : torch.Tensor
            Standard-normal draws for each sample, (n_draws, batch, latent_dim).

        Returns
        -------
        elbo : torch.Tensor
            (batch,).
        """
        mu, log_var = self.posterior(x)
        z = mu + torch.exp(0.5 * log_var) * eps  # (draws, batch, k)
        flat = z.reshape(-1, self.latent_dim)
        x_rep = x.unsqueeze(0).expand(eps.shape[0], *x.shape).reshape(-1, x.shape[1])
        log_px = self.log_px_given_z(flat, x_rep).reshape(eps.shape[0], -1)
        kl = self.prior.kl(mu.expand_as(z), log_var.expand_as(z), z).sum(dim=2)
        return (log_px - kl).mean(dim=0)

    def sample_losses(self, x: torch.Tensor, target: torch.Tensor | None = None, n_draws: int = 10) -> torch.Tensor:
        """Negative ELBO per sample in nats (batch,), from `n_draws` posterior draws fixed by the
        sample's values, so the value depends only on the sample (not on the batch or a global
        seed), while different samples draw independently and their errors average out.

        Parameters
        ----------
        x : torch.Tensor
            Inputs, (batch, features).
        target : torch.Tensor or None, default=None
            Scored in place of x when given (its ELBO is computed; x itself is then unused).
        n_draws : int, default=10
            Number of posterior draws (float32 draws for float32 and float64 inputs alike, so
            both score the same).

        Returns
        -------
        losses : torch.Tensor
            (batch,).
        """
        scored = x if target is None else target
        return -self.elbo(scored, _draws_of_rows(scored, n_draws, self.latent_dim).to(scored.dtype))

    def log_likelihood(self, x: torch.Tensor, n_importance: int, generator: torch.Generator, chunk: int = 100) -> torch.Tensor:
        """Importance-weighted estimate of log p(x) in nats with q(z|x) as the proposal (the IWAE
        bound; it tightens towards log p(x) as `n_importance` grows): (batch,).

        Parameters
        ----------
        x : torch.Tensor
            Inputs, (batch, features).
        n_importance : int
            Number of importance samples per row.
        generator : torch.Generator
            Source of the draws.
        chunk : int, default=100
            Draws computed at a time (memory grows with chunk * batch).

        Returns
        -------
        log_px : torch.Tensor
            (batch,).
        """
        mu, log_var = self.posterior(x)
        log_w = []
        for start in range(0, n_importance, chunk):
            k = min(chunk, n_importance - start)
            eps = torch.randn(k, *mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
            z = mu + torch.exp(0.5 * log_var) * eps  # (k, batch, latent)
            log_q = gaussian_log_prob(z, mu, log_var).sum(dim=2)
            log_p = self.prior.log_prob(z).sum(dim=2)
            x_rep = x.unsqueeze(0).expand(k, *x.shape).reshape(-1, x.shape[1])
            log_px = self.log_px_given_z(z.reshape(-1, self.latent_dim), x_rep).reshape(k, -1)
            log_w.append(log_px + log_p - log_q)
        return torch.logsumexp(torch.cat(log_w), dim=0) - math.log(n_importance)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decoded means of n draws from the prior: (n, features).

        Parameters
        ----------
        n : int
            Number of draws.
        generator : torch.Generator or None, default=None
            Source of the draws; None uses torch's global one.

        Returns
        -------
        samples : torch.Tensor
            (n, features).
        """
        p = next(self.parameters())
        z = self.prior.sample(n, self.latent_dim, generator, device=p.device, dtype=p.dtype)
        return self.decode(z)


def draw_reconstruction(module: nn.Module, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """One stochastic reconstruction of x (batch, features): a VAE's (or ensemble's)
    `reconstruct_sample`, else an autoencoder's reconstruction of a freshly corrupted x, else
    (no corruption) its plain reconstruction."""
    if hasattr(module, "reconstruct_sample"):
        return module.reconstruct_sample(x, generator)
    if module.corruption is None:
        return module.reconstruct(x)
    return module.reconstruct(module.corruption(x, generator)[0])


class EncodeOf(nn.Module):
    """A fitted module's `encode` (a VAE's posterior mean) as a forward: (batch, features) ->
    (batch, latent_dim), for what takes a module (a classifier head's encoder, ONNX export).

    Parameters
    ----------
    module : nn.Module
        A fitted autoencoder module (with `encode` and `decode`).
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module.encode(x)


class DecodeOf(EncodeOf):
    """A fitted module's `decode` as a forward: (batch, latent_dim) -> (batch, features).

    Parameters
    ----------
    module : nn.Module
        A fitted autoencoder module (with `encode` and `decode`).
    """

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.module.decode(code)
