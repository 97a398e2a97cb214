"""
Denoising autoencoders on MNIST
===============================

The lectures' denoising autoencoder: corrupt the input, with added noise or with dropout after
the input layer, and train the network to give back the clean image. Two
:class:`aekit.DenoisingAutoEncoder` models are trained, one on Gaussian noise clipped to the
pixel range and one on dropped pixels (``corruption="mask"``), and each is applied to test
images corrupted the same way. The baselines are the noisy input itself and PCA with as many
components as the code has numbers, fitted on clean images and applied to the noisy ones.

Data: MNIST through :func:`aekit.data.datasets.load_mnist` (``$AEKIT_DATA``), or scikit-learn's
8 x 8 digits through :func:`aekit.data.datasets.load_digits` where MNIST is not available.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from aekit import DenoisingAutoEncoder
from aekit.analysis.metrics import psnr, ssim
from aekit.data.datasets import load_digits, load_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")
LATENT_DIM = 32

try:
    X, side = load_mnist().X, 28
except FileNotFoundError:
    X, side = load_digits().X, 8
rng = np.random.default_rng(0)
rows = rng.permutation(len(X))[: 2000 if QUICK else 12000]
X_train, X_test = X[rows[:-500]], X[rows[-500:]]
print(f"{len(X_train)} training and {len(X_test)} test images of {side} x {side} pixels")

# %%
# Two corruptions of the test images
# ----------------------------------
# Gaussian noise of standard deviation 0.4 clipped to [0, 1], and 40 % of the pixels set to 0
# (dropout on the input without rescaling). The models train on fresh draws of the same noise.
corruptions = {
    "clipped_gaussian": (0.4, np.clip(X_test + 0.4 * rng.standard_normal(X_test.shape), 0, 1)),
    "mask": (0.4, np.where(rng.random(X_test.shape) < 0.4, 0.0, X_test)),
}

# %%
# Train one denoising autoencoder per corruption and compare with the baselines
# -----------------------------------------------------------------------------
# Mean squared error, PSNR and SSIM are measured against the clean test images.
pca = PCA(n_components=LATENT_DIM).fit(X_train)


def images(flat_rows):
    """Rows (n, side * side) as images (n, side, side), as the image metrics take them."""
    return np.asarray(flat_rows, dtype=np.float64).reshape(-1, side, side)


shown = {}
for corruption, (level, noisy) in corruptions.items():
    dae = DenoisingAutoEncoder(
        latent_dim=LATENT_DIM, hidden_dims=(256,), corruption=corruption, corruption_level=level,
        batch_size=64, learning_rate=3e-3, max_epochs=5 if QUICK else 20, random_state=0,
    ).fit(X_train)
    outputs = {
        "noisy input": noisy,
        f"PCA ({LATENT_DIM})": pca.inverse_transform(pca.transform(noisy)).clip(0, 1),
        "denoising AE": dae.reconstruct(noisy),
    }
    for name, out in outputs.items():
        mse = np.mean((out - X_test) ** 2)
        print(f"{corruption:>16} | {name:<13}: MSE {mse:.4f}, PSNR {psnr(images(X_test), images(out)).mean():5.2f} dB, "
              f"SSIM {ssim(images(X_test), images(out)).mean():.3f}")
    shown[corruption] = {**outputs, "clean": X_test}

# %%
# Noisy, PCA, denoised and clean rows
# -----------------------------------
n = 10
fig, axes = plt.subplots(2, 1, figsize=(8, 7.2))
for ax, (corruption, rows_shown) in zip(axes, shown.items()):
    tiles = np.stack([np.clip(r[:n], 0, 1).reshape(n, side, side) for r in rows_shown.values()])
    ax.imshow(tiles.transpose(0, 2, 1, 3).reshape(len(tiles) * side, n * side), cmap="gray", vmin=0, vmax=1)
    ax.set_yticks(side * np.arange(len(tiles)) + side / 2 - 0.5, list(rows_shown), fontsize=8)
    ax.set_xticks([])
    ax.set_title(f"corruption {corruption!r}", loc="left", fontsize=10)
fig.tight_layout()
plt.show()
