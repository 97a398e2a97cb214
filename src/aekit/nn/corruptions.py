"""Input (or code) corruptions for denoising autoencoders.

Each corruption maps a batch x of shape (batch, features) to `(x_tilde, mask)`, where `mask`
(bool, same shape) marks the entries it changed. Randomness comes only from the
`torch.Generator` passed in, so training is reproducible under `random_state`.
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "BlockMasking",
    "CORRUPTIONS",
    "ClippedGaussianNoise",
    "Corruption",
    "GaussianNoise",
    "Masking",
    "SaltPepper",
    "UNIT_RANGE",
    "check_unit_range",
    "make_corruption",
]


BLOCK_POSITIONS = ("center", "random")


def _uniform(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)


class Corruption:
    """Base class; `level` is the noise strength in [0, 1] (or the std for Gaussian noise).

    Parameters
    ----------
    level : float
        Noise strength, finite and >= 0.
    """

    fraction: str | None = None  # what `level` is a fraction of, for the corruptions where it is one

    def __init__(self, level: float) -> None:
        if not (level >= 0 and math.isfinite(level)):
            raise ValueError(f"corruption_level must be a finite number >= 0, got {level!r}")
        if self.fraction is not None and level > 1:
            raise ValueError(f"corruption_level is the fraction of {self.fraction} to corrupt, a number in [0, 1], got {level!r}")
        self.level = level

    def __call__(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(level={self.level})"


class GaussianNoise(Corruption):
    """Add N(0, level^2) noise to every entry.

    Parameters
    ----------
    level : float
        Standard deviation of the noise.
    """

    def __call__(self, x, generator=None):
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return x + self.level * noise, torch.ones_like(x, dtype=torch.bool)


class ClippedGaussianNoise(GaussianNoise):
    """Add N(0, level^2) noise, then clip to [`low`, `high`]: noisy pixels of images in [0, 1].

    Parameters
    ----------
    level : float
        Standard deviation of the noise.
    low : float, default=0.0
        Lower clip bound.
    high : float, default=1.0
        Upper clip bound.
    """

    def __init__(self, level: float, low: float = 0.0, high: float = 1.0) -> None:
        super().__init__(level)
        self.low, self.high = low, high

    def __call__(self, x, generator=None):
        noisy, mask = super().__call__(x, generator)
        return noisy.clamp(self.low, self.high), mask


class Masking(Corruption):
    """Set each entry to zero with probability `level` (dropout noise, no rescaling).

    Parameters
    ----------
    level : float
        Probability that an entry is zeroed.
    """

    fraction = "entries"

    def __call__(self, x, generator=None):
        mask = _uniform(x, generator) < self.level
        return x.masked_fill(mask, 0.0), mask


class SaltPepper(Corruption):
    """Set a fraction `level` of entries to `low` or `high` (half each on average).

    Parameters
    ----------
    level : float
        Probability that an entry is replaced.
    low : float, default=0.0
        The "pepper" value.
    high : float, default=1.0
        The "salt" value.
    """

    fraction = "entries"

    def __init__(self, level: float, low: float = 0.0, high: float = 1.0) -> None:
        super().__init__(level)
        self.low, self.high = low, high

    def __call__(self, x, generator=None):
        mask = _uniform(x, generator) < self.level
        salt = _uniform(x, generator) < 0.5
        values = torch.where(salt, torch.full_like(x, self.high), torch.full_like(x, self.low))
        return torch.where(mask, values, x), mask


class BlockMasking(Corruption):
    """Zero one block per sample: a patch of about `level` of the area (or `size` = (height,
    width) pixels) when `shape` = (height, width) or (channels, height, width) is given, the
    same pixels in every channel; else a contiguous run of about `level` of the features. A
    level above 0 zeroes at least one entry (one pixel) per sample.

    `position` 'random' draws each block's place uniformly; 'center' centres it (no randomness).

    Parameters
    ----------
    level : float
        Fraction in [0, 1] of the area (or of the features) the block covers; not used when
        `size` is given.
    shape : tuple of int or None, default=None
        The image shape of a row, (height, width) or (channels, height, width); None treats a
        row as a run of features.
    position : {'random', 'center'}, default='random'
        Where the block goes.
    size : (int, int) or None, default=None
        The block's (height, width) in pixels; needs `shape`.
    """

    fraction = "the image area (of the features for rows)"

    def __init__(
        self,
        level: float,
        shape: tuple[int, ...] | None = None,
        position: str = "random",
        size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(level)
        if position not in BLOCK_POSITIONS:
            raise ValueError(f"block position must be one of {BLOCK_POSITIONS}, got {position!r}")
        if shape is not None and len(shape) not in (2, 3):
            raise ValueError(f"block corruption shape must be (height, width) or (channels, height, width), got {shape}")
        if size is not None and (shape is None or not all(1 <= s <= m for s, m in zip(size, shape[-2:]))):
            raise ValueError(f"block size {size} needs an image shape that holds it, got shape {shape}")
        self.shape, self.position, self.size = shape, position, size

    def _block(self, height: int, width: int, n_features: int) -> tuple[int, int]:
        if self.size is not None:
            return self.size
        if self.level == 0:
            return 0, 0
        if self.shape is None:
            return 1, max(1, round(n_features * self.level))
        return max(1, round(height * math.sqrt(self.level))), max(1, round(width * math.sqrt(self.level)))

    def __call__(self, x, generator=None):
        n, d = x.shape
        if self.shape is None:
            channels, height, width = 1, 1, d
        else:
            channels, height, width = (1, *self.shape) if len(self.shape) == 2 else self.shape
        if channels * height * width != d:
            raise ValueError(f"block corruption shape {self.shape} does not match {d} features")
        side_h, side_w = self._block(height, width, d)
        if self.position == "center":
            top = torch.full((n, 1, 1), (height - side_h) // 2, device=x.device)
            left = torch.full((n, 1, 1), (width - side_w) // 2, device=x.device)
        else:
            top = torch.randint(0, height - side_h + 1, (n, 1, 1), generator=generator, device=x.device)
            left = torch.randint(0, width - side_w + 1, (n, 1, 1), generator=generator, device=x.device)
        rows = torch.arange(height, device=x.device).view(1, height, 1)
        cols = torch.arange(width, device=x.device).view(1, 1, width)
        block = (rows >= top) & (rows < top + side_h) & (cols >= left) & (cols < left + side_w)  # (n, height, width)
        mask = block.unsqueeze(1).expand(n, channels, height, width).reshape(n, d)
        return x.masked_fill(mask, 0.0), mask

    def __repr__(self) -> str:
        return f"BlockMasking(level={self.level}, shape={self.shape}, position={self.position!r}, size={self.size})"


CORRUPTIONS: dict[str, type[Corruption]] = {
    "block": BlockMasking,
    "clipped_gaussian": ClippedGaussianNoise,
    "gaussian": GaussianNoise,
    "mask": Masking,
    "salt_pepper": SaltPepper,
}


UNIT_RANGE = {  # the corruptions that write values of [0, 1], what they do, and the one to use on other values
    "clipped_gaussian": ("clips the noisy values to [0, 1]", "gaussian"),
    "salt_pepper": ("sets the corrupted entries to 0 (pepper) or 1 (salt)", "mask"),
}


def check_unit_range(name: str | None, low: float, high: float) -> None:
    """Refuse corruption `name` 'clipped_gaussian' or 'salt_pepper' for inputs beyond [0, 1], the
    values they write (8-bit pixels, 0..255, would train as near-binary images, or with 'salt'
    that is nearly black).

    Parameters
    ----------
    name : str or None
        The estimator's `corruption`.
    low, high : float
        The smallest and largest input value.
    """
    if name in UNIT_RANGE and not (low >= 0 and high <= 1):
        does, other = UNIT_RANGE[name]
        raise ValueError(
            f"corruption={name!r} {does}, but X holds values in [{low:.4g}, {high:.4g}]: scale X to [0, 1] (8-bit "
            f"pixels / 255) or use corruption={other!r}"
        )


def make_corruption(name: str | None, level: float, **options) -> Corruption | None:
    """Build the corruption registered as `name` (None gives no corruption).

    Parameters
    ----------
    name : str or None
        A key of `CORRUPTIONS`, or None.
    level : float
        The corruption's `level`.
    **options : dict
        Further constructor arguments (e.g. `shape` for 'block').

    Returns
    -------
    corruption : Corruption or None
    """
    if name is None:
        return None
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; choose one of {sorted(CORRUPTIONS)} or None")
    return CORRUPTIONS[name](level, **options)
