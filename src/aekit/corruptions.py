"""Input (or code) corruptions for denoising autoencoders.

Each corruption maps a batch x of shape (batch, features) to `(x_tilde, mask)`, where `mask`
(bool, same shape) marks the entries it changed. Randomness comes only from the
`torch.Generator` passed in, so training is reproducible under `random_state`.
"""

from __future__ import annotations

import math

import torch


def _uniform(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)


class Corruption:
    """Base class; `level` is the noise strength in [0, 1] (or the std for Gaussian noise)."""

    def __init__(self, level: float) -> None:
        if not (level >= 0 and math.isfinite(level)):
            raise ValueError(f"corruption_level must be a finite number >= 0, got {level!r}")
        self.level = level

    def __call__(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(level={self.level})"


class GaussianNoise(Corruption):
    """Add N(0, level^2) noise to every entry."""

    def __call__(self, x, generator=None):
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return x + self.level * noise, torch.ones_like(x, dtype=torch.bool)


class Masking(Corruption):
    """Set each entry to zero with probability `level` (dropout noise, no rescaling)."""

    def __call__(self, x, generator=None):
        mask = _uniform(x, generator) < self.level
        return x.masked_fill(mask, 0.0), mask


class SaltPepper(Corruption):
    """Set a fraction `level` of entries to `low` or `high` (half each on average)."""

    def __init__(self, level: float, low: float = 0.0, high: float = 1.0) -> None:
        super().__init__(level)
        self.low, self.high = low, high

    def __call__(self, x, generator=None):
        mask = _uniform(x, generator) < self.level
        salt = _uniform(x, generator) < 0.5
        values = torch.where(salt, torch.full_like(x, self.high), torch.full_like(x, self.low))
        return torch.where(mask, values, x), mask


class BlockMasking(Corruption):
    """Zero one random block per sample: a square patch of about `level` of the area when
    `shape=(height, width)` is given, else a contiguous run of about `level` of the features."""

    def __init__(self, level: float, shape: tuple[int, int] | None = None) -> None:
        super().__init__(level)
        if level > 1:
            raise ValueError(f"corruption_level for block masking is a fraction in [0, 1], got {level}")
        self.shape = shape

    def __call__(self, x, generator=None):
        n, d = x.shape
        height, width = self.shape if self.shape is not None else (1, d)
        if height * width != d:
            raise ValueError(f"block corruption shape {self.shape} does not match {d} features")
        side_h = round(height * math.sqrt(self.level)) if self.shape is not None else 1
        side_w = round(width * math.sqrt(self.level)) if self.shape is not None else round(d * self.level)
        top = torch.randint(0, height - side_h + 1, (n, 1, 1), generator=generator, device=x.device)
        left = torch.randint(0, width - side_w + 1, (n, 1, 1), generator=generator, device=x.device)
        rows = torch.arange(height, device=x.device).view(1, height, 1)
        cols = torch.arange(width, device=x.device).view(1, 1, width)
        mask = ((rows >= top) & (rows < top + side_h) & (cols >= left) & (cols < left + side_w)).reshape(n, d)
        return x.masked_fill(mask, 0.0), mask


CORRUPTIONS: dict[str, type[Corruption]] = {
    "block": BlockMasking,
    "gaussian": GaussianNoise,
    "mask": Masking,
    "salt_pepper": SaltPepper,
}


def make_corruption(name: str | None, level: float, **options) -> Corruption | None:
    """Build the corruption registered as `name` (None gives no corruption)."""
    if name is None:
        return None
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; choose one of {sorted(CORRUPTIONS)} or None")
    return CORRUPTIONS[name](level, **options)
