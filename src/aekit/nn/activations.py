"""Activation functions by name, so estimators and configs can refer to them as strings."""

from __future__ import annotations

from torch import nn

__all__ = ["ACTIVATIONS", "make_activation"]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "linear": nn.Identity,
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
}


def make_activation(name: str | nn.Module | None) -> nn.Module:
    """Return a fresh activation module for `name`; None means linear (identity), and a module
    (such as `aekit.nn.TopK(k)`) is used as it is.

    Parameters
    ----------
    name : str, nn.Module or None
        A key of `ACTIVATIONS`, a module, or None.

    Returns
    -------
    activation : nn.Module
    """
    if isinstance(name, nn.Module):
        return name
    key = "linear" if name is None else name
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)} or None")
    return ACTIVATIONS[key]()
