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

__all__ = [
    "BCE",
    "COUNT_LIKELIHOODS",
    "Gaussian",
    "L1",
    "LIKELIHOODS",
    "Likelihood",
    "MSE",
    "Multinomial",
    "OUTPUT_ACTIVATIONS",
    "Poisson",
    "StudentT",
    "check_counts",
    "check_targets_reachable",
    "likelihood_name",
    "make_likelihood",
    "output_activation_for",
]

OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "softmax", "exp")


class Likelihood(nn.Module):
    """Base class: `mean(pre)` gives reconstructions, `elementwise(pre, x)` the loss terms.

    `output_activation` says what `mean` applies to the decoder's outputs ('linear', 'sigmoid',
    'softmax' over each row, or 'exp'); a likelihood that always decodes through one sets it in
    `fixed_output` and ignores the argument. `outputs_per_feature` is how many decoder outputs
    each feature needs (2 when the decoder also predicts a variance); `pre` then has shape
    (batch, outputs_per_feature * features) with the mean's pre-activations first.

    Parameters
    ----------
    output_activation : {'linear', 'sigmoid'}, default='linear'
        What `mean` applies to the decoder's outputs; ignored by a likelihood with a
        `fixed_output`.
    """

    outputs_per_feature = 1
    fixed_output: str | None = None

    def __init__(self, output_activation: str = "linear") -> None:
        super().__init__()
        if self.fixed_output is None and output_activation not in ("linear", "sigmoid"):
            raise ValueError(f"output_activation must be 'linear' or 'sigmoid', got {output_activation!r}")
        self.output_activation = self.fixed_output or output_activation

    def mean(self, pre: torch.Tensor) -> torch.Tensor:
        if self.outputs_per_feature > 1:
            pre = pre[:, : pre.shape[1] // self.outputs_per_feature]
        return torch.sigmoid(pre) if self.output_activation == "sigmoid" else pre

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def loss(self, pre: torch.Tensor, x: torch.Tensor, mean: torch.Tensor | None = None) -> torch.Tensor:
        """Mean of `elementwise` over batch and features (a scalar); `mean` is `self.mean(pre)`
        when the caller has it already. Subclasses override it with a fused form.

        Parameters
        ----------
        pre : torch.Tensor
            The decoder's outputs, (batch, outputs_per_feature * features).
        x : torch.Tensor
            The targets, (batch, features).
        mean : torch.Tensor or None, default=None
            `self.mean(pre)`, when the caller has it (a fused override may use it).

        Returns
        -------
        loss : torch.Tensor
            Scalar.
        """
        return self.elementwise(pre, x).mean()


class MSE(Likelihood):
    """Squared error: the Gaussian negative log-likelihood with unit variance, up to scale.

    Parameters
    ----------
    output_activation : {'linear', 'sigmoid'}, default='linear'
        What `mean` applies to the decoder's outputs.
    """

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return (self.mean(pre) - x).square()

    def loss(self, pre, x, mean=None):
        return F.mse_loss(self.mean(pre) if mean is None else mean, x)


class L1(Likelihood):
    """Absolute error: the Laplace negative log-likelihood, robust to outlying pixels.

    Parameters
    ----------
    output_activation : {'linear', 'sigmoid'}, default='linear'
        What `mean` applies to the decoder's outputs.
    """

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return (self.mean(pre) - x).abs()


class BCE(Likelihood):
    """Binary cross-entropy for targets in [0, 1], computed from logits (needs a sigmoid output).

    Parameters
    ----------
    output_activation : str, default='linear'
        Ignored: the output activation is the sigmoid.
    """

    fixed_output = "sigmoid"

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(pre, x, reduction="none")

    def loss(self, pre, x, mean=None):
        return F.binary_cross_entropy_with_logits(pre, x)


GAUSSIAN_VARIANCES = ("feature", "fixed", "sample")


def student_t_log_norm(df: torch.Tensor) -> torch.Tensor:
    """log of the Student-t density's normaliser, computed in float64 because the difference
    of two large lgamma values loses all float32 precision when df is large."""
    d = df.double()
    return (torch.lgamma((d + 1) / 2) - torch.lgamma(d / 2) - 0.5 * torch.log(d * math.pi)).to(df.dtype)


class Gaussian(Likelihood):
    """Gaussian negative log-likelihood in nats per element.

    `variance`: 'feature' learns one variance per feature, 'fixed' uses exp(`fixed_log_var`),
    'sample' lets the decoder predict a variance for every element of every sample. The
    log-variance is clamped to [`min_log_var`, `max_log_var`] so a feature the decoder fits
    exactly cannot drive the loss to minus infinity.

    Parameters
    ----------
    n_features : int
        Number of features (the size of the learned per-feature log-variance).
    output_activation : {'linear', 'sigmoid'}, default='linear'
        What `mean` applies to the decoder's mean outputs.
    variance : {'feature', 'fixed', 'sample'}, default='feature'
        One learned variance per feature, a fixed one, or one predicted by the decoder for
        every element (then the decoder has 2 * n_features outputs).
    fixed_log_var : float, default=0.0
        The log-variance for variance='fixed'.
    min_log_var : float, default=-9.0
        Lower clamp of the log-variance.
    max_log_var : float, default=9.0
        Upper clamp of the log-variance.
    """

    def __init__(
        self,
        n_features: int,
        output_activation: str = "linear",
        variance: str = "feature",
        fixed_log_var: float = 0.0,
        min_log_var: float = -9.0,
        max_log_var: float = 9.0,
    ) -> None:
        super().__init__(output_activation)
        if variance not in GAUSSIAN_VARIANCES:
            raise ValueError(f"variance must be one of {GAUSSIAN_VARIANCES}, got {variance!r}")
        self.variance = variance
        self.outputs_per_feature = 2 if variance == "sample" else 1
        if variance == "feature":
            self.log_var = nn.Parameter(torch.zeros(n_features))
        self.fixed_log_var = fixed_log_var
        self.min_log_var = min_log_var
        self.max_log_var = max_log_var

    def _log_var(self, pre: torch.Tensor) -> torch.Tensor:
        if self.variance == "sample":
            log_var = pre[:, pre.shape[1] // 2 :]
        elif self.variance == "feature":
            log_var = self.log_var
        else:
            return pre.new_full((), self.fixed_log_var)
        return log_var.clamp(self.min_log_var, self.max_log_var)

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        log_var = self._log_var(pre)
        return 0.5 * (math.log(2 * math.pi) + log_var + (x - self.mean(pre)).square() * torch.exp(-log_var))


class StudentT(Likelihood):
    """Student-t negative log-likelihood in nats per element, with a learned per-feature scale
    and a learned degrees-of-freedom (kept above `min_df`): heavy tails make the fit robust
    to outlying pixels or values.

    Parameters
    ----------
    n_features : int
        Number of features (the size of the learned per-feature scale).
    output_activation : {'linear', 'sigmoid'}, default='linear'
        What `mean` applies to the decoder's outputs.
    min_df : float, default=0.5
        Lower bound of the learned degrees of freedom.
    """

    def __init__(self, n_features: int, output_activation: str = "linear", min_df: float = 0.5) -> None:
        super().__init__(output_activation)
        self.log_scale = nn.Parameter(torch.zeros(n_features))
        self.raw_df = nn.Parameter(torch.tensor(2.0))
        self.min_df = min_df

    def df(self) -> torch.Tensor:
        return self.min_df + F.softplus(self.raw_df)

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        df = self.df()
        log_scale = self.log_scale.clamp(-9.0, 9.0)
        u = (x - self.mean(pre)) * torch.exp(-log_scale)
        log_norm = student_t_log_norm(df)
        return -(log_norm - log_scale - (df + 1) / 2 * torch.log1p(u.square() / df))


class Multinomial(Likelihood):
    """Word counts x (batch, vocabulary) as draws from a multinomial over the vocabulary: the
    softmax of the decoder's outputs gives the word probabilities, drawn as many times as the
    document has words (Hinton & Salakhutdinov 2006; the replicated softmax of Salakhutdinov &
    Hinton 2009). Terms are -x_j log p_j in nats (the multinomial coefficient, which does not
    depend on the model, left out); `mean` gives the word proportions p, which times a
    document's length are its expected counts. The output activation is always the softmax.

    Parameters
    ----------
    output_activation : str, default='linear'
        Ignored: the output activation is the softmax.
    """

    fixed_output = "softmax"

    def mean(self, pre: torch.Tensor) -> torch.Tensor:
        return torch.softmax(pre, dim=1)

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return -x * torch.log_softmax(pre, dim=1)


class Poisson(Likelihood):
    """Counts as independent Poisson draws whose log-rates are the decoder's outputs: terms
    rate - x log(rate) + log(x!) in nats; `mean` gives the rates. The output activation is
    always the exponential.

    Parameters
    ----------
    output_activation : str, default='linear'
        Ignored: the output activation is the exponential.
    """

    fixed_output = "exp"
    max_log_rate = 20.0

    def mean(self, pre: torch.Tensor) -> torch.Tensor:
        return torch.exp(pre.clamp(max=self.max_log_rate))

    def elementwise(self, pre: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        log_rate = pre.clamp(max=self.max_log_rate)
        return torch.exp(log_rate) - x * log_rate + torch.lgamma(x + 1)


COUNT_LIKELIHOODS = ("multinomial", "poisson")


def check_counts(what: str, low: float) -> None:
    """Refuse data whose lowest value `low` is below zero for `what` (the option that reads
    them as counts, e.g. "loss='poisson'"), naming it and the value.

    Parameters
    ----------
    what : str
        The option, as the message names it.
    low : float
        The data's lowest value.
    """
    if low < 0:
        raise ValueError(f"{what} needs non-negative counts in X, got a value of {low:.4g}")


LIKELIHOODS: dict[str, type[Likelihood]] = {
    "bce": BCE,
    "bernoulli": BCE,
    "gaussian": Gaussian,
    "l1": L1,
    "mse": MSE,
    "multinomial": Multinomial,
    "poisson": Poisson,
    "student_t": StudentT,
}


def likelihood_name(name: str) -> str:
    """The name the estimators use for the likelihood `name` (a key of `LIKELIHOODS`): its first
    key, so that 'bernoulli' is 'bce' and meets every check 'bce' does.

    Parameters
    ----------
    name : str
        A key of `LIKELIHOODS`.

    Returns
    -------
    str
        The first key of `LIKELIHOODS` naming the same likelihood.
    """
    return next(key for key, likelihood in LIKELIHOODS.items() if likelihood is LIKELIHOODS[name])


def output_activation_for(loss: str, requested: str, targets, default: str = "auto") -> str:
    """The output activation `loss` decodes through when `requested` ('auto', 'linear' or
    'sigmoid'): the likelihood's own where it fixes one (a different request is refused naming
    both parameters; the estimator's `default`, e.g. a preset's, is not a request), else a
    sigmoid for 'auto' when every target lies in [0, 1].

    Parameters
    ----------
    loss : str
        Name of the likelihood (a key of `LIKELIHOODS`).
    requested : {'auto', 'linear', 'sigmoid'}
        The estimator's `output_activation` parameter.
    targets : array-like
        The reconstruction targets (anything with `min()` and `max()`), read for 'auto'.
    default : str, default='auto'
        The estimator's default `output_activation`, which is not taken as a request.

    Returns
    -------
    output_activation : str
        One of `OUTPUT_ACTIVATIONS`.
    """
    fixed = LIKELIHOODS[loss].fixed_output if loss in LIKELIHOODS else None
    if fixed is not None and requested not in ("auto", fixed, default):
        raise ValueError(f"loss={loss!r} decodes through its own output activation ({fixed!r}); "
                         f"output_activation={requested!r} cannot be combined with it: leave output_activation='auto'")
    if fixed is not None or requested != "auto":
        return fixed or requested
    return "sigmoid" if bool(targets.min() >= 0 and targets.max() <= 1) else "linear"


def check_targets_reachable(output_activation: str, targets, name: str = "X") -> None:
    """Refuse more training targets outside what a fitted model's `output_activation` decodes to:
    [0, 1] for a sigmoid, non-negative counts for 'softmax' and 'exp' (a warm start or
    `partial_fit` continues the model the first data chose; Bernoulli or count losses of
    other values are meaningless and fall below zero without bound).

    Parameters
    ----------
    output_activation : str
        One of `OUTPUT_ACTIVATIONS`, as the model was fitted.
    targets : array-like
        The new reconstruction targets (anything with `min()` and `max()`).
    name : str, default='X'
        What the message calls the targets.
    """
    if output_activation == "linear":
        return
    low, high = float(targets.min()), float(targets.max())
    if output_activation == "sigmoid" and not (low >= 0 and high <= 1):
        wanted = "[0, 1], the range of its sigmoid output"
    elif output_activation in ("softmax", "exp") and low < 0:
        wanted = "non-negative counts"
    else:
        return
    raise ValueError(
        f"{name} has values in [{low:.4g}, {high:.4g}], but the fitted model (output_activation_="
        f"{output_activation!r}) reconstructs {wanted}; warm_start and partial_fit continue it, so scale these "
        "rows as the first ones were, or fit a new model (warm_start=False)"
    )


def make_likelihood(name: str, n_features: int, output_activation: str, **options) -> Likelihood:
    """Build the likelihood registered as `name` for data with `n_features` columns;
    `options` go to its constructor (e.g. `variance` for 'gaussian').

    Parameters
    ----------
    name : str
        A key of `LIKELIHOODS`.
    n_features : int
        Number of features (used by 'gaussian' and 'student_t').
    output_activation : str
        Passed to the constructor.
    **options : dict
        Further constructor arguments.

    Returns
    -------
    likelihood : Likelihood
    """
    if name not in LIKELIHOODS:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LIKELIHOODS)}")
    cls = LIKELIHOODS[name]
    if cls in (Gaussian, StudentT):
        return cls(n_features, output_activation, **options)
    return cls(output_activation, **options)
