"""Penalties and constraints added to the reconstruction loss.

A regularizer sees the autoencoder module, the encoder's input x (batch, features) and the
code z (batch, latent_dim), and returns an unweighted scalar penalty; the module multiplies it
by `weight` and reports it under `name`. A constraint (such as unit-norm weights) is applied
by `constrain` after each optimizer step instead. What a regularizer reads of the module it
declares in `needs` (the accessors the building blocks offer: an encoder's `weight_layers()`, a
decoder's `affine_layers()`), checked when the module is built. A new regularizer is one class
here plus one line in `REGULARIZERS`; estimators then accept it as `regularizers={"name": weight}`.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from aekit.nn.sparse_codes import CodeActivity, TopK, find_submodule, records_paused

__all__ = [
    "Contractive",
    "DeadUnitAux",
    "Decorrelation",
    "KLSparsity",
    "L1Sparsity",
    "Orthogonality",
    "REGULARIZERS",
    "Regularizer",
    "UnitDecoderColumns",
    "UnitNorm",
    "make_regularizers",
]


def _encoder_weights(module: nn.Module) -> list[torch.Tensor]:
    return [layer.weight for layer in module.encoder.weight_layers()]


class Regularizer:
    """Base class. `penalty` returns a scalar tensor; `constrain` edits weights in place.

    Parameters
    ----------
    weight : float, default=1.0
        Multiplies the penalty in the module's loss.
    """

    name = "regularizer"
    constrains = False  # True when `constrain` must run after every optimizer step
    needs: tuple[tuple[str, str], ...] = ()  # (part, accessor) pairs, e.g. ("encoder", "weight_layers")

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = float(weight)

    def check(self, module: nn.Module) -> None:
        """Refuse, before training, a module whose parts lack what this regularizer reads.

        Parameters
        ----------
        module : nn.Module
            The autoencoder module, with `encoder` and `decoder` parts.

        Raises
        ------
        ValueError
            When a part lacks an accessor named in `needs`.
        """
        for part, accessor in self.needs:
            if not callable(getattr(getattr(module, part), accessor, None)):
                raise ValueError(f"the {self.name!r} regularizer needs a {part} that offers {accessor}(); "
                                 f"{type(getattr(module, part)).__name__} does not")

    def penalty(self, module: nn.Module, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return z.new_zeros(())

    @torch.no_grad()
    def constrain(self, module: nn.Module) -> None:
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight})"


def decoder_column_norms(module: nn.Module) -> torch.Tensor:
    """L2 norm of the decoder's first weight column for each code unit: (latent_dim,)."""
    return module.decoder.affine_layers()[0][0].norm(dim=0)


class L1Sparsity(Regularizer):
    """Mean over the batch of ``sum_i |z_i| * ||decoder column i||``: the L1 norm of the code, each
    unit weighted by the norm of the decoder weights it writes through, so shrinking a code
    while the decoder's weights grow leaves the penalty unchanged (scale-proof).

    Parameters
    ----------
    weight : float, default=1.0
        Multiplies the penalty in the module's loss.
    """

    name = "l1_sparsity"
    needs = (("decoder", "affine_layers"),)

    def penalty(self, module, x, z):
        return (z.abs() * decoder_column_norms(module)).sum(dim=1).mean()


class KLSparsity(Regularizer):
    """Sum over code units of KL(target || mean activation), for codes in (0, 1) (sigmoid).

    Parameters
    ----------
    weight : float, default=1.0
        Multiplies the penalty in the module's loss.
    target : float, default=0.05
        Target mean activation of each code unit, in (0, 1).
    """

    name = "kl_sparsity"

    def __init__(self, weight: float = 1.0, target: float = 0.05) -> None:
        super().__init__(weight)
        if not 0 < target < 1:
            raise ValueError(f"sparsity_target must be in (0, 1), got {target!r}")
        self.target = target

    def penalty(self, module, x, z):
        rho = self.target
        rho_hat = z.mean(dim=0).clamp(1e-6, 1 - 1e-6)
        return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


class DeadUnitAux(Regularizer):
    """Auxiliary loss that revives dead units of a TopK code (AuxK, Gao et al. 2024, "Scaling and
    evaluating sparse autoencoders", section A.2): the `aux_k` largest pre-activations among the
    units dead for `CodeActivity.dead_after` steps are added to the detached code, and the
    reconstruction loss of that code trains them to explain what the live code misses.

    Parameters
    ----------
    weight : float, default=1/32
        Multiplies the auxiliary loss in the module's loss.
    aux_k : int or None, default=None
        How many dead units' pre-activations are added per sample (at most the number of dead
        units); None is twice the TopK's `k`.
    """

    name = "dead_unit_aux"

    def __init__(self, weight: float = 1 / 32, aux_k: int | None = None) -> None:
        super().__init__(weight)
        if aux_k is not None and not (isinstance(aux_k, int) and aux_k >= 1):
            raise ValueError(f"aux_k must be a positive integer or None, got {aux_k!r}")
        self.aux_k = aux_k

    def check(self, module):
        if find_submodule(module.encoder, TopK) is None or find_submodule(module.encoder, CodeActivity) is None:
            raise ValueError("the 'dead_unit_aux' regularizer needs an encoder whose code is SparseCode(TopK(k), latent_dim)")

    def penalty(self, module, x, z):
        topk, activity = find_submodule(module.encoder, TopK), find_submodule(module.encoder, CodeActivity)
        dead = activity.dead_mask()
        n_dead = int(dead.sum())
        if n_dead == 0 or topk.last_input is None:
            return z.new_zeros(())
        k = min(self.aux_k or 2 * topk.k, n_dead)
        values, indices = topk.last_input.masked_fill(~dead, float("-inf")).topk(k, dim=1, sorted=False)
        revived = z.detach() + torch.zeros_like(z).scatter(1, indices, values)
        return module.likelihood.loss(module.decoder(revived), x)


class Contractive(Regularizer):
    """Mean squared Frobenius norm of the encoder Jacobian dz/dx, computed exactly.

    The batch is replicated once per code unit and one backward pass yields every Jacobian
    row, so this is exact for any encoder whose samples do not interact (no batch norm). The
    replicated pass records nothing in a sparse code (`records_paused`): the training step's
    own pass did.

    Parameters
    ----------
    weight : float, default=1.0
        Multiplies the penalty in the module's loss.
    """

    name = "contractive"

    def penalty(self, module, x, z):
        with records_paused(module.encoder):
            return jacobian_frobenius_sq(module.encode, x, create_graph=True, latent_dim=z.shape[1]).mean()


def jacobian_frobenius_sq(encode, x: torch.Tensor, create_graph: bool = False, latent_dim: int | None = None) -> torch.Tensor:
    """Per-sample squared Frobenius norm of the Jacobian of `encode` at x: (batch,); `latent_dim`
    is the code's size (None: found by encoding one row)."""
    with torch.enable_grad():
        n = x.shape[0]
        x0 = x.detach()
        k = latent_dim if latent_dim is not None else encode(x0[:1]).shape[1]
        x_rep = x0.unsqueeze(0).expand(k, *x0.shape).reshape(k * n, *x0.shape[1:]).requires_grad_(True)
        z_rep = encode(x_rep).reshape(k, n, k)
        picked = z_rep.diagonal(dim1=0, dim2=2)  # (n, k): unit j of replica j
        (grad,) = torch.autograd.grad(picked.sum(), x_rep, create_graph=create_graph)
        return grad.reshape(k, n, -1).square().sum(dim=(0, 2))


class Orthogonality(Regularizer):
    """Squared Frobenius distance of each encoder weight's Gram matrix from the identity
    (W W^T = I for wide W): with linear layers the code axes become orthonormal directions.

    Parameters
    ----------
    weight : float, default=1.0
        Multiplies the penalty in the module's loss.
    """

    name = "orthogonality"
    needs = (("encoder", "weight_layers"),)

    def penalty(self, module, x, z):
        total = z.new_zeros(())
        for w in _encoder_weights(module):
            gram = w @ w.t() if w.shape[0] <= w.shape[1] else w.t() @ w
            total = total + (gram - torch.eye(gram.shape[0], device=w.device, dtype=w.dtype)).square().sum()
        return total


class Decorrelation(Regularizer):
    """Mean squared correlation between the code's units over the batch, in [0, 1]: uncorrelated
    codes. Unlike their covariance, it cannot be lowered by shrinking the code or by moving it
    to low-variance directions, so its weight does not depend on the data's scale; sampling
    alone leaves each pair a squared correlation of about 1 / batch size.

    Parameters
    ----------
    weight : float, default=1.0
        Multiplies the penalty in the module's loss.
    """

    name = "decorrelation"

    def penalty(self, module, x, z):
        if z.shape[0] < 2:
            return z.new_zeros(())
        zc = z - z.mean(dim=0)
        zc = zc / zc.norm(dim=0).clamp_min(1e-12)
        corr = zc.t() @ zc
        k = z.shape[1]
        return (corr - torch.diag(torch.diagonal(corr))).square().sum() / max(k * (k - 1), 1)


class UnitNorm(Regularizer):
    """Constraint: after every step each encoder weight row is rescaled to unit L2 norm.

    Parameters
    ----------
    weight : float, default=1.0
        Not used in the loss (a constraint adds no penalty); `make_regularizers` drops the
        constraint when it is 0.
    """

    name = "unit_norm"
    constrains = True
    needs = (("encoder", "weight_layers"),)

    @torch.no_grad()
    def constrain(self, module):
        for w in _encoder_weights(module):
            w.div_(w.norm(dim=1, keepdim=True).clamp_min(1e-12))


class UnitDecoderColumns(Regularizer):
    """Constraint: after every step the decoder's first weight column of each code unit is
    rescaled to unit L2 norm, so a code value's size is what that unit writes into the decoder
    (as in Gao et al. 2024): a code cannot shrink or grow against its decoder weights.

    Parameters
    ----------
    weight : float, default=1.0
        Not used in the loss (a constraint adds no penalty); `make_regularizers` drops the
        constraint when it is 0.
    """

    name = "unit_decoder_columns"
    constrains = True
    needs = (("decoder", "affine_layers"),)

    @torch.no_grad()
    def constrain(self, module):
        weight = module.decoder.affine_layers()[0][0]
        weight.div_(weight.norm(dim=0, keepdim=True).clamp_min(1e-12))


REGULARIZERS: dict[str, type[Regularizer]] = {
    cls.name: cls
    for cls in (
        Contractive, DeadUnitAux, Decorrelation, KLSparsity, L1Sparsity, Orthogonality, UnitDecoderColumns, UnitNorm
    )
}


def make_regularizers(spec: Mapping[str, float | Mapping] | None) -> list[Regularizer]:
    """Build regularizers from `{name: weight}` or `{name: {"weight": w, **options}}`;
    entries with weight 0 are dropped.

    Parameters
    ----------
    spec : mapping or None
        `{name: weight}` or `{name: {"weight": w, **options}}`, names from `REGULARIZERS`,
        options those of the regularizer's class (weight 1.0 when the dict omits it); None
        gives no regularizer.

    Returns
    -------
    regularizers : list of Regularizer
        One per entry of positive weight.
    """
    regularizers = []
    for name, value in (spec or {}).items():
        if name not in REGULARIZERS:
            raise ValueError(f"unknown regularizer {name!r}; choose from {sorted(REGULARIZERS)}")
        options = dict(value) if isinstance(value, Mapping) else {"weight": value}
        weight = options.get("weight", 1.0)
        if not (isinstance(weight, (int, float)) and weight >= 0):
            raise ValueError(f"weight of regularizer {name!r} must be a number >= 0, got {weight!r}")
        if weight > 0:
            regularizers.append(REGULARIZERS[name](**options))
    return regularizers
