"""Priors p(z) over the code of a variational autoencoder, with their KL to a Gaussian posterior.

`kl(mu, log_var, z)` returns the per-dimension KL(q(z|x) || p(z)), shape (batch, latent_dim):
analytic where a closed form exists (the normal prior), otherwise the one-sample Monte Carlo
estimate log q(z|x) - log p(z) at the reparameterised draw z, which is unbiased.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from aekit.nn.likelihoods import student_t_log_norm

__all__ = ["NormalPrior", "PRIORS", "Prior", "StudentTPrior", "make_prior"]

LOG_2PI = math.log(2 * math.pi)


def gaussian_log_prob(z: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Elementwise log N(z; mu, exp(log_var)), same shape as z."""
    return -0.5 * (LOG_2PI + log_var + (z - mu).square() * torch.exp(-log_var))


class Prior(nn.Module):
    """Base class: `log_prob(z)` elementwise, `sample(n, latent_dim)`, `kl(mu, log_var, z)`.

    Parameters
    ----------
    *args, **kwargs
        Passed to `torch.nn.Module` (the prior itself takes no arguments).
    """

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def sample(self, n: int, latent_dim: int, generator: torch.Generator | None = None, **like) -> torch.Tensor:
        raise NotImplementedError

    def kl(self, mu: torch.Tensor, log_var: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return gaussian_log_prob(z, mu, log_var) - self.log_prob(z)


class NormalPrior(Prior):
    """N(0, I), with the closed-form KL to a diagonal Gaussian posterior.

    Parameters
    ----------
    *args, **kwargs
        Passed to `torch.nn.Module` (the prior itself takes no arguments).
    """

    def log_prob(self, z):
        return -0.5 * (LOG_2PI + z.square())

    def sample(self, n, latent_dim, generator=None, **like):
        return torch.randn(n, latent_dim, generator=generator, **like)

    def kl(self, mu, log_var, z=None):
        return 0.5 * (mu.square() + torch.exp(log_var) - 1.0 - log_var)


class StudentTPrior(Prior):
    """Independent standard Student-t coordinates with `df` degrees of freedom, fixed or learned
    (Abiri & Ohlsson 2020): heavier tails than N(0, I) let outlying data sit far from the
    origin without a large KL cost. KL by Monte Carlo (no closed form).

    Parameters
    ----------
    df : float, default=3.0
        Degrees of freedom (at the start, when learned); must exceed `min_df`.
    learn_df : bool, default=False
        Learn the degrees of freedom with the rest of the model.
    min_df : float, default=0.5
        Lower bound of the degrees of freedom.
    """

    def __init__(self, df: float = 3.0, learn_df: bool = False, min_df: float = 0.5) -> None:
        super().__init__()
        if not df > min_df:
            raise ValueError(f"prior_df must be > {min_df}, got {df!r}")
        excess = df - min_df
        raw = torch.tensor(excess + math.log(-math.expm1(-excess)))  # softplus(raw) == excess
        if learn_df:
            self.raw_df = nn.Parameter(raw)
        else:
            self.register_buffer("raw_df", raw)
        self.min_df = min_df

    def df(self) -> torch.Tensor:
        return self.min_df + F.softplus(self.raw_df)

    def log_prob(self, z):
        df = self.df()
        log_norm = student_t_log_norm(df)
        return log_norm - (df + 1) / 2 * torch.log1p(z.square() / df)

    def sample(self, n, latent_dim, generator=None, **like):
        """t = normal / sqrt(chi2_df / df); torch's chi-square sampler takes no generator, so it
        runs under a global seed drawn from `generator` and the global RNG state is restored.

        Parameters
        ----------
        n : int
            Number of draws.
        latent_dim : int
            Size of each draw.
        generator : torch.Generator or None, default=None
            Source of the draws; None uses torch's global one.
        **like : dict
            `device` and `dtype` of the draws.

        Returns
        -------
        z : torch.Tensor
            (n, latent_dim).
        """
        df = self.df().detach().to(**like) if like else self.df().detach()
        normal = torch.randn(n, latent_dim, generator=generator, **like)
        seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=normal.device).item())
        with torch.random.fork_rng(devices=[normal.device] if normal.device.type == "cuda" else []):
            torch.manual_seed(seed)
            chi2 = torch.distributions.Chi2(df).sample((n, latent_dim))
        return normal / torch.sqrt(chi2 / df)


PRIORS: dict[str, type[Prior]] = {"normal": NormalPrior, "student_t": StudentTPrior}


def make_prior(name: str, **options) -> Prior:
    """Build the prior registered as `name`.

    Parameters
    ----------
    name : {'normal', 'student_t'}
        A key of `PRIORS`.
    **options : dict
        Constructor arguments of 'student_t' (`df`, `learn_df`, `min_df`); ignored for
        'normal'.

    Returns
    -------
    prior : Prior
    """
    if name not in PRIORS:
        raise ValueError(f"unknown prior {name!r}; choose one of {sorted(PRIORS)}")
    return PRIORS[name](**options) if name != "normal" else NormalPrior()
