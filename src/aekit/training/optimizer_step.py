"""`OptimizerStep`: one training step, with what precision and stability need around it
(autocast, GradScaler, persistent bfloat16 weights, gradient clipping, weight constraints),
so the training loop only calls `step(x, y, generator)`."""

from __future__ import annotations

import torch
from torch import nn

from aekit.training._precision import autocast, bfloat16_weights, check_precision, grad_scaler
from aekit.training.compiled import CompiledBatches

__all__ = ["OptimizerStep"]


class OptimizerStep:
    """Forward, backward and update of `module` (run through `model`, its DDP wrapper or
    itself) on one batch; returns the batch's loss, detached (0-d float32 tensor).

    Parameters
    ----------
    module : nn.Module
        The module whose parameters are updated (and constraints applied).
    model : nn.Module
        What the forward pass runs through: the module's DDP wrapper, or the module.
    optimizer : torch.optim.Optimizer
        The module's optimizer.
    precision : {'32', 'bf16-mixed', '16-mixed'}, default='32'
        Forward pass in float32 or under autocast (with a GradScaler for float16).
    grad_clip : float or None, default=None
        Max global gradient norm.
    distributed : bool, default=False
        Whether the module trains under DistributedDataParallel (then 'bf16-mixed' on the CPU
        uses autocast alone).
    compile : bool, default=False
        Run the forward pass (and so its backward) through `torch.compile` for full-size
        batches (`CompiledBatches`); 'bf16-mixed' then casts inside the compiled graph instead
        of keeping bfloat16 weight copies.
    """

    def __init__(
        self,
        module: nn.Module,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        precision: str = "32",
        grad_clip: float | None = None,
        distributed: bool = False,
        compile: bool = False,
    ) -> None:
        device = next(module.parameters()).device
        self.module, self.model, self.optimizer = module, model, optimizer
        self.precision, self.device, self.grad_clip = check_precision(precision), device, grad_clip
        self.scaler = grad_scaler(precision, device)
        self.low_weights = None if compile else bfloat16_weights(precision, module, device, distributed)
        self.compiled = CompiledBatches(model) if compile else None
        self.constrained = any(r.constrains for r in getattr(module, "regularizers", ()))

    def __call__(self, x: torch.Tensor, y: torch.Tensor | None, generator: torch.Generator) -> torch.Tensor:
        if self.compiled is not None and self.compiled.uses_compiled(x):
            return self.compiled.run_first(
                lambda forward: self._step(forward, x, y, generator),
                before_retry=lambda: self.optimizer.zero_grad(set_to_none=True),  # what a failed attempt left
            )
        return self._step(self.model, x, y, generator)

    def _step(self, forward, x: torch.Tensor, y: torch.Tensor | None, generator: torch.Generator) -> torch.Tensor:
        with autocast(self.precision, self.device):
            if self.low_weights is None:
                out = forward(x, y, generator=generator)
            else:
                out = self.low_weights(forward, x, y, generator=generator)
        if self.scaler is not None:
            self.scaler.scale(out.loss).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            out.loss.backward()
        if self.low_weights is not None:
            self.low_weights.gradients_to_master()
        if self.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.module.parameters(), self.grad_clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.constrained:
            self.module.apply_constraints()
        if self.low_weights is not None:
            self.low_weights.refresh()
        return out.loss.detach().float()
