"""Binary codes for semantic hashing (Salakhutdinov & Hinton 2009): the code layer is a sigmoid
whose input gets Gaussian noise during training, so the only way for the decoder to read the
code reliably is for the encoder to push every unit to saturation; after training the code is
thresholded at 0.5 and documents are compared by Hamming distance."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["DEFAULT_CODE_NOISE", "NoisyBinaryCode"]

DEFAULT_CODE_NOISE = 4.0  # std of the noise added before the sigmoid (Salakhutdinov & Hinton use 4)


class NoisyBinaryCode(nn.Module):
    """Code activation: in training sigmoid(a + noise_std * eps) (eps ~ N(0, 1) from the module's
    own seeded generator, so a seeded fit repeats), in eval mode 1 where a > 0 else 0:
    (batch, bits) pre-activations to (batch, bits) codes. The generator's state is the module's
    extra state (`state_dict` key `_extra_state`), so a checkpoint resumes the same noise.

    Parameters
    ----------
    noise_std : float, default=4.0
        Standard deviation of the training noise added before the sigmoid.
    seed : int, default=0
        Seed of the module's own noise generator.
    """

    def __init__(self, noise_std: float = DEFAULT_CODE_NOISE, seed: int = 0) -> None:
        super().__init__()
        self.noise_std = float(noise_std)
        self.generator = torch.Generator().manual_seed(int(seed))

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return (a > 0).to(a.dtype)
        eps = torch.randn(a.shape, generator=self.generator, dtype=a.dtype).to(a.device)
        return torch.sigmoid(a + self.noise_std * eps)

    def get_extra_state(self) -> torch.Tensor:
        return self.generator.get_state()

    def set_extra_state(self, state: torch.Tensor) -> None:
        self.generator.set_state(state.cpu())

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # weights saved before the noise's state was kept load with the generator as it is
        state_dict.setdefault(prefix + "_extra_state", self.get_extra_state())
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
