"""Mixed-precision training: `torch.autocast` for the forward pass and, for float16, a
GradScaler, chosen by one `precision` setting; on the CPU, bfloat16 copies of the matrix
weights that persist between steps (`BFloat16Weights`)."""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from aekit._choices import PRECISIONS


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


MATRIX_LAYERS = (nn.Linear, nn.modules.conv._ConvNd)


class BFloat16Weights:
    """bfloat16 copies of the weights and biases of a module's linear and convolution layers,
    which the forward and backward passes use while the float32 originals stay the optimizer's
    master copy.

    Under autocast alone every step casts each weight to bfloat16 and each weight gradient back
    to float32, a new tensor per layer each way. Here the copies persist: after `backward`,
    `gradients_to_master` copies the bfloat16 gradients into reused float32 buffers in one
    foreach call, and after the optimizer step `refresh` copies the updated weights back in
    another. Other parameters (normalisation, learned likelihood or prior scalars) stay float32.
    """

    def __init__(self, module: nn.Module) -> None:
        self.names: list[str] = []
        self.master: list[nn.Parameter] = []
        for prefix, layer in module.named_modules():
            if isinstance(layer, MATRIX_LAYERS):
                for name, param in layer.named_parameters(recurse=False):
                    if param.requires_grad and param.dtype == torch.float32:
                        self.names.append(f"{prefix}.{name}" if prefix else name)
                        self.master.append(param)
        self.low = [p.detach().to(torch.bfloat16).requires_grad_() for p in self.master]
        self.buffers = [torch.empty_like(p) for p in self.master]

    def __call__(self, module: nn.Module, *args, **kwargs):
        """`module(*args, **kwargs)` computed with the bfloat16 weights."""
        return torch.func.functional_call(module, dict(zip(self.names, self.low)), args, kwargs, strict=False)

    def gradients_to_master(self) -> None:
        """Set each float32 weight's `.grad` to its bfloat16 copy's gradient, widened."""
        used = [i for i, p in enumerate(self.low) if p.grad is not None]
        torch._foreach_copy_([self.buffers[i] for i in used], [self.low[i].grad for i in used])
        for i in used:
            self.master[i].grad = self.buffers[i]
            self.low[i].grad = None

    @torch.no_grad()
    def refresh(self) -> None:
        """Copy the float32 weights (after an optimizer step) into the bfloat16 copies."""
        torch._foreach_copy_(self.low, [p.detach() for p in self.master])


def bfloat16_weights(precision: str, module: nn.Module, device: torch.device, distributed: bool) -> BFloat16Weights | None:
    """Persistent bfloat16 weights for 'bf16-mixed' training on the CPU in one process, else
    None (autocast alone: under DistributedDataParallel the gradients must reach the wrapped
    module's own parameters)."""
    if check_precision(precision) != "bf16-mixed" or device.type != "cpu" or distributed:
        return None
    weights = BFloat16Weights(module)
    return weights if weights.master else None
