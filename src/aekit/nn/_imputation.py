"""The parts that turn `AutoEncoderModule` into an imputer (after Abiri et al. 2019 and
MIDAS): a likelihood that scores observed entries only (squared error on standardised
numeric columns, softmax cross-entropy on one-hot groups), a corruption that hides whole
columns, and iterative refinement that feeds the reconstructions of the missing entries
back in while the observed ones stay fixed.

Targets carry NaN where an entry is missing; inputs carry 0 there (the standardised mean,
and the same value the masking corruption writes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from aekit.nn.corruptions import Corruption
from aekit.nn.likelihoods import Likelihood
from aekit.nn.models import draw_reconstruction


class MaskedMixedLikelihood(Likelihood):
    """-log p(x | x_hat) on observed entries only, one term per column: squared error for the
    first `n_numeric` features, cross-entropy for each one-hot group (start, stop) in `groups`.

    `elementwise(pre, target)` returns (batch, n_numeric + len(groups)); entries whose target
    is NaN contribute 0 (and no gradient), so the autoencoder's mean over the batch is the
    loss over observed entries. `mean(pre)` gives numeric values and group probabilities.
    """

    def __init__(self, n_numeric: int, groups: Sequence[tuple[int, int]] = ()) -> None:
        super().__init__("linear")
        self.n_numeric = n_numeric
        self.groups = [(int(a), int(b)) for a, b in groups]

    def mean(self, pre: torch.Tensor) -> torch.Tensor:
        if not self.groups:
            return pre
        parts = [pre[:, : self.n_numeric]] + [torch.softmax(pre[:, a:b], dim=1) for a, b in self.groups]
        return torch.cat(parts, dim=1)  # (batch, n_encoded)

    def elementwise(self, pre: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        observed = ~torch.isnan(target)
        filled = torch.where(observed, target, torch.zeros((), dtype=target.dtype, device=target.device))
        num = slice(0, self.n_numeric)
        terms = [(pre[:, num] - filled[:, num]).square() * observed[:, num]]  # (batch, n_numeric)
        for a, b in self.groups:
            terms.append(-(filled[:, a:b] * F.log_softmax(pre[:, a:b], dim=1)).sum(dim=1, keepdim=True))
        return torch.cat(terms, dim=1)  # (batch, n_columns)


class ColumnMasking(Corruption):
    """Hide each column with probability `level` by zeroing all of its encoded features
    (a one-hot group at once); `column_of_feature` (n_encoded,) maps features to columns."""

    def __init__(self, level: float, column_of_feature: Sequence[int]) -> None:
        super().__init__(level)
        if level >= 1:
            raise ValueError(f"corruption_level must be below 1 (the share of columns hidden), got {level}")
        self.column_of_feature = torch.as_tensor(column_of_feature, dtype=torch.long)
        self.n_columns = int(self.column_of_feature.max()) + 1 if len(self.column_of_feature) else 0

    def __call__(self, x, generator=None):
        hidden = torch.rand((x.shape[0], self.n_columns), generator=generator, device=x.device) < self.level
        mask = hidden[:, self.column_of_feature.to(x.device)]  # (batch, n_encoded)
        return x.masked_fill(mask, 0.0), mask


@torch.no_grad()
def refine(
    reconstruct: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, observed: torch.Tensor, steps: int
) -> torch.Tensor:
    """Iterative refinement: `steps` times, reconstruct x and overwrite its missing entries
    (observed False) with the reconstruction. x (batch, n_encoded) starts with 0 there.

    With a stochastic `reconstruct` (a denoising autoencoder on freshly corrupted inputs, or a
    VAE decoding a posterior draw, i.e. pseudo-Gibbs sampling) repeated calls give different
    draws: multiple imputation."""
    for _ in range(steps):
        x = torch.where(observed, x, reconstruct(x))
    return x  # (batch, n_encoded)


def reconstructor(module: nn.Module, generator: torch.Generator | None) -> Callable[[torch.Tensor], torch.Tensor]:
    """The reconstruction `refine` iterates: the module's deterministic one without a
    generator; with one, a VAE's decoded posterior draw, or an autoencoder's reconstruction of
    a freshly corrupted input."""
    if generator is None:
        return module.reconstruct
    return lambda x: draw_reconstruction(module, x, generator)


@torch.no_grad()
def refinement_errors(
    module: nn.Module,
    x: torch.Tensor,
    target: torch.Tensor,
    observed: torch.Tensor,
    steps: int,
    hide: Corruption,
    generator: torch.Generator | None = None,
) -> list[float]:
    """Mean squared error on observed entries that `hide` removes, after each of 1..`steps`
    refinement steps: how far refinement helps before it drifts. x, target, observed are
    (batch, n_encoded) as for `refine`, target NaN where missing."""
    x_in, hidden = hide(x, generator)
    hidden = hidden & observed
    if not hidden.any():
        return [0.0] * steps
    keep = observed & ~hidden
    truth = target[hidden]
    errors = []
    for _ in range(steps):
        x_in = torch.where(keep, x_in, module.reconstruct(x_in))
        errors.append(float((x_in[hidden] - truth).square().mean()))
    return errors
