"""
Convolutional autoencoders: three ways up
=========================================

The convolutional lecture's decoder has to undo the encoder's downsampling, and names three
ways: transposed convolutions, interpolation followed by a convolution, and max-unpooling with
the positions the encoder's pooling kept. Transposed convolutions whose kernels overlap
unevenly are known to print checkerboard patterns. Here :class:`aekit.ConvAutoEncoder` is fitted
with ``upsampling="transposed"``, ``"interpolate"`` and ``"unpool"`` and compared by held-out
error with PCA at the same code size (16), by their reconstructions, and by how much of each
reconstruction is a checkerboard.

Data: MNIST through :func:`aekit.data.datasets.load_mnist` (``$AEKIT_DATA``), or scikit-learn's
8 x 8 digits where MNIST is not available.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from aekit import ConvAutoEncoder
from aekit.data.datasets import load_digits, load_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")

try:
    X, side = load_mnist().X, 28
except FileNotFoundError:
    X, side = load_digits().X, 8
rng = np.random.default_rng(0)
rows = rng.permutation(len(X))[: 800 if QUICK else 4500]
images = X[rows].reshape(-1, side, side)
train, test = images[:-500], images[-500:]
print(f"{len(train)} training and {len(test)} test images of {side} x {side}")

# %%
# Fit one model per way up, and PCA
# ---------------------------------
# The same encoder (strided convolutions with 32 and 64 channels), a dense 16-unit code and the
# same budget for each; only the decoder's upsampling differs. Unpooling is not a fair
# contest at the same code size: the decoder also receives where each pooling window's maximum
# was, a map as large as the image's downsampled copy, so far more than 16 numbers reach it and
# its error falls well below the others'. It belongs to models whose decoder may see the
# encoder's activations (segmentation, denoising), not to compression.
pca = PCA(n_components=16).fit(train.reshape(len(train), -1))
pca_recon = pca.inverse_transform(pca.transform(test.reshape(len(test), -1))).reshape(test.shape)
pca_mse = np.mean((pca_recon - test) ** 2)
reconstructions = {"PCA": pca_recon}
for way in ("transposed", "interpolate", "unpool"):
    cae = ConvAutoEncoder(
        latent_dim=16, channels=(32, 64), upsampling=way, batch_size=32, max_epochs=2 if QUICK else 8,
        learning_rate=2e-3, random_state=0,
    ).fit(train)
    reconstructions[way] = cae.reconstruct(test)


def checkerboard(batch: np.ndarray) -> float:
    """Mean amplitude of the (-1)^(i+j) pattern in images (n, H, W), relative to their mean value."""
    sign = (-1.0) ** np.add.outer(np.arange(batch.shape[1]), np.arange(batch.shape[2]))
    return float(np.mean(np.abs((batch * sign).mean(axis=(1, 2)))) / np.mean(batch))


print(f"{'input':>11s}: checkerboard {checkerboard(test):.4f}")
for name, recon in reconstructions.items():
    mse = np.mean((recon - test) ** 2)
    print(f"{name:>11s}: held-out MSE {mse:.4f} ({mse / pca_mse:.2f} x PCA's), checkerboard {checkerboard(recon):.4f}")

# %%
# Reconstructions
# ---------------
# Each row shows held-out images and, in the last column, one enlarged corner of the first
# reconstruction, where an uneven overlap of transposed kernels shows as a grid.
fig, axes = plt.subplots(5, 9, figsize=(8.5, 5))
for r, (label, batch) in enumerate([("input", test)] + list(reconstructions.items())):
    for c in range(8):
        axes[r, c].imshow(np.clip(batch[c], 0, 1), cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_axis_off()
    half = side // 2
    axes[r, 8].imshow(np.clip(batch[0, :half, :half], 0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes[r, 8].set_axis_off()
    axes[r, 0].set_title(label, loc="left", fontsize=9)
fig.tight_layout()
plt.show()
