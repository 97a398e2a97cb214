"""
The homework: another loss, and a sigmoid on the code
=====================================================

The lecture's homework asks two questions about a simple MNIST autoencoder: is there an error
function that fits the problem better than the mean squared error (pixels in [0, 1] invite the
binary cross-entropy, ``loss="bce"``), and what happens when the latent layer gets a
non-linearity such as a sigmoid (``latent_activation="sigmoid"``)? Four
:class:`aekit.AutoEncoder` models with a 16-number code answer both, each scored on held-out
images by both errors and compared with PCA with 16 components.

Data: MNIST through :func:`aekit.data.datasets.load_mnist` (``$AEKIT_DATA``), or scikit-learn's
8 x 8 digits through :func:`aekit.data.datasets.load_digits` where MNIST is not available.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from aekit import AutoEncoder
from aekit.data.datasets import load_digits, load_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")
LATENT_DIM = 16

try:
    X, side = load_mnist().X, 28
except FileNotFoundError:
    X, side = load_digits().X, 8
rng = np.random.default_rng(0)
rows = rng.permutation(len(X))[: 2000 if QUICK else 12000]
X_train, X_test = X[rows[:-500]], X[rows[-500:]]
print(f"{len(X_train)} training and {len(X_test)} test images of {side} x {side} pixels")


def bce(X_true, X_hat):
    """Mean binary cross-entropy per pixel, the reconstruction clipped away from 0 and 1."""
    p = np.clip(X_hat, 1e-6, 1 - 1e-6)
    return float(-np.mean(X_true * np.log(p) + (1 - X_true) * np.log(1 - p)))


# %%
# MSE or BCE, with a linear or a sigmoid code
# -------------------------------------------
# The same 784-256-16 network (mirrored decoder, sigmoid output) four times; PCA reconstructs
# from 16 linear components (clipped to [0, 1] to score its cross-entropy).
pca = PCA(n_components=LATENT_DIM).fit(X_train)
reconstructions = {f"PCA ({LATENT_DIM})": np.clip(pca.inverse_transform(pca.transform(X_test)), 0, 1)}
codes = {}
for loss in ("mse", "bce"):
    for code in (None, "sigmoid"):
        name = f"{loss.upper()}, {'sigmoid' if code else 'linear'} code"
        ae = AutoEncoder(latent_dim=LATENT_DIM, hidden_dims=(256,), loss=loss, latent_activation=code, batch_size=64,
                         learning_rate=2e-3, max_epochs=5 if QUICK else 30, random_state=0).fit(X_train)
        codes[name] = ae.transform(X_test)
        reconstructions[name] = ae.inverse_transform(codes[name])
for name, X_hat in reconstructions.items():
    print(f"{name:>22}: held-out MSE {np.mean((X_hat - X_test) ** 2):.4f}, BCE {bce(X_test, X_hat):.4f}")

# %%
# What the sigmoid does to the code
# ---------------------------------
# A sigmoid bounds every code number to (0, 1); the share of values within 0.05 of either bound
# says how many units saturate. A saturated unit passes almost no gradient back to the encoder,
# so a code that saturates early in training tends to stay there. If nearly all values sit at a
# bound, the code no longer tells the images apart and the decoder falls back to an average
# digit (short runs on few images come close to that); the share printed below says how far this
# run went. The linear code has no such bound.
for name, Z in codes.items():
    if "sigmoid" in name:
        saturated = np.mean((Z < 0.05) | (Z > 0.95))
        print(f"{name:>22}: code values in [{Z.min():.3f}, {Z.max():.3f}], {saturated:.1%} within 0.05 of 0 or 1")
    else:
        print(f"{name:>22}: code values in [{Z.min():.2f}, {Z.max():.2f}]")

# %%
# Reconstructions, and the distribution of code values
# ----------------------------------------------------
n = 8
fig = plt.figure(figsize=(11, 4.6))
grid = fig.add_gridspec(1, 2, width_ratios=[1.5, 1])
ax = fig.add_subplot(grid[0])
shown = [X_test[:n]] + [r[:n] for r in reconstructions.values()]
tiles = np.stack([np.clip(r, 0, 1).reshape(n, side, side) for r in shown])
ax.imshow(tiles.transpose(0, 2, 1, 3).reshape(len(tiles) * side, n * side), cmap="gray", vmin=0, vmax=1)
ax.set_yticks(side * np.arange(len(tiles)) + side / 2 - 0.5, ["input", *reconstructions], fontsize=8)
ax.set_xticks([])
hist = fig.add_subplot(grid[1])
for name, Z in codes.items():
    if "sigmoid" in name:
        hist.hist(Z.ravel(), bins=40, range=(0, 1), histtype="step", linewidth=1.5, label=name)
hist.set_xlabel("code value (sigmoid code)")
hist.set_ylabel("count")
hist.legend(fontsize=8)
fig.tight_layout()
plt.show()
