"""Mixed-precision training: `torch.autocast` for the forward pass and, for float16, a
GradScaler, chosen by one `precision` setting."""

from __future__ import annotations

import contextlib

import torch

PRECISIONS = ("32", "bf16-mixed", "16-mixed")


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return precision


def autocast(precision: str, device: torch.device):
    """The context the forward pass runs in: autocast to bfloat16/float16, or nothing for '32'."""
    if check_precision(precision) == "32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16-mixed" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler | None:
    """A GradScaler for float16 (whose small range underflows gradients), else None."""
    if check_precision(precision) != "16-mixed":
        return None
    return torch.amp.GradScaler(device.type)
