"""Reconstruction terms, each an elementwise -log p(x | x_hat) up to a constant.

A likelihood owns the decoder's output non-linearity: the decoder returns pre-activations
and `mean` turns them into reconstructions, so BCE can be computed from logits.
Terms are returned per element, shape (batch, features), so callers choose the reduction
(the autoencoder averages over features; a VAE sums to get nats) and can apply a mask of
observed entries.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

OUTPUT_ACTIVATIONS = ("linear", "sigmoid")


class Likelihood(nn.Module):
    """Base class: `mean(pre)` gives reconstructions, `elementwise(pre, x)` the loss terms."""

    def __init__(self, output_activation: str = "linear") -> None:
        super().__init__()
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"output_activation must be one of {OUTPUT_ACTIVATIONS}, got {output_activation!r}"
            )
        self.output_activation = output_activation

    def mean(self, pre: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(pre) if self.output_activation == "sigmoid" else pre

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class MSE(Likelihood):
    """Squared error: the Gaussian negative log-likelihood with unit variance, up to scale."""

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return (self.mean(pre) - x).square()


class L1(Likelihood):
    """Absolute error: the Laplace negative log-likelihood, robust to outlying pixels."""

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return (self.mean(pre) - x).abs()


class BCE(Likelihood):
    """Binary cross-entropy for targets in [0, 1], computed from logits (needs a sigmoid output)."""

    def __init__(self, output_activation: str = "sigmoid") -> None:
        if output_activation != "sigmoid":
            raise ValueError(
                f"loss='bce' needs output_activation='sigmoid' (or 'auto'), got {output_activation!r}"
            )
        super().__init__(output_activation)

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(pre, x, reduction="none")


class Gaussian(Likelihood):
    """Gaussian negative log-likelihood with a learned per-feature variance.

    The log-variance is clamped to [`min_log_var`, `max_log_var`] so a feature the decoder fits
    exactly cannot drive the loss to minus infinity.
    """

    def __init__(
        self,
        n_features: int,
        output_activation: str = "linear",
        min_log_var: float = -9.0,
        max_log_var: float = 9.0,
    ) -> None:
        super().__init__(output_activation)
        self.log_var = nn.Parameter(torch.zeros(n_features))
        self.min_log_var = min_log_var
        self.max_log_var = max_log_var

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        log_var = self.log_var.clamp(self.min_log_var, self.max_log_var)
        return 0.5 * (math.log(2 * math.pi) + log_var + (x - self.mean(pre)).square() * torch.exp(-log_var))


LIKELIHOODS: dict[str, type[Likelihood]] = {"bce": BCE, "gaussian": Gaussian, "l1": L1, "mse": MSE}


def make_likelihood(name: str, n_features: int, output_activation: str) -> Likelihood:
    """Build the likelihood registered as `name` for data with `n_features` columns."""
    if name not in LIKELIHOODS:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LIKELIHOODS)}")
    if name == "gaussian":
        return Gaussian(n_features, output_activation)
    return LIKELIHOODS[name](output_activation)
