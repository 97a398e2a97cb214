"""
Autoencoder, denoising autoencoder and VAE side by side
=======================================================

The lectures introduce three models in turn: the undercomplete autoencoder, the denoising
autoencoder (trained to restore corrupted inputs) and the variational autoencoder (a
probabilistic encoder and a prior to sample from). Here all three get the same 784-512-256-2
shape on MNIST and are compared by what the lectures show of them: reconstructions (with PCA's
two components as the baseline), new images, and the 2-D codes themselves.

Data: MNIST through :func:`aekit.data.datasets.load_mnist` (``$AEKIT_DATA``), or scikit-learn's
8 x 8 digits where MNIST is not available.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from aekit import AutoEncoder, DenoisingAutoEncoder, VariationalAutoEncoder
from aekit.analysis.latent import LatentSampler
from aekit.data.datasets import load_digits, load_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")

try:
    data, side = load_mnist(), 28
except FileNotFoundError:
    data, side = load_digits(), 8
rng = np.random.default_rng(0)
rows = rng.permutation(len(data.X))[: 1200 if QUICK else 11000]
X, y = data.X[rows], data.y[rows]
n_test = min(1000, len(X) // 3)
X_train, X_test, y_test = X[:-n_test], X[-n_test:], y[-n_test:]
print(f"{len(X_train)} training and {len(X_test)} test images of {side} x {side}")

# %%
# Three models with 2-D codes
# ---------------------------
# The same layers and budget for all three; the denoising one sees each training image with
# Gaussian noise (std 0.3) added, the VAE grey values through a Gaussian likelihood. With a
# linear output the two plain models start as PCA (``init="auto"``) and learn from there.
shape = dict(latent_dim=2, hidden_dims=(512, 256), random_state=0)
epochs = 3 if QUICK else 20
models = {
    "AE": AutoEncoder(output_activation="linear", max_epochs=epochs, **shape),
    "DAE": DenoisingAutoEncoder(
        output_activation="linear", corruption="gaussian", corruption_level=0.3, max_epochs=epochs, **shape
    ),
    "VAE": VariationalAutoEncoder(likelihood="gaussian", max_epochs=epochs, batch_size=64, **shape),
}
for model in models.values():
    model.fit(X_train)
pca = PCA(n_components=2).fit(X_train)
reconstructions = {"PCA": pca.inverse_transform(pca.transform(X_test))}
reconstructions.update({name: model.reconstruct(X_test) for name, model in models.items()})
pca_mse = np.mean((reconstructions["PCA"] - X_test) ** 2)
for name, X_hat in reconstructions.items():
    mse = np.mean((X_hat - X_test) ** 2)
    print(f"{name:>3s}: held-out reconstruction MSE {mse:.4f} ({mse / pca_mse:.2f} x PCA's with 2 components)")

# %%
# Reconstructions
# ---------------
fig, axes = plt.subplots(5, 10, figsize=(8, 4.4))
for r, (label, images) in enumerate([("input", X_test)] + list(reconstructions.items())):
    for c in range(10):
        axes[r, c].imshow(np.clip(images[c], 0, 1).reshape(side, side), cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_axis_off()
    axes[r, 0].set_title(label, loc="left", fontsize=9)
fig.tight_layout()
plt.show()

# %%
# New images
# ----------
# The VAE decodes draws from its prior. The other two have no prior, so a Gaussian is fitted to
# their training codes and its draws decoded (:class:`aekit.analysis.latent.LatentSampler`).
samples = {
    name: (model.sample(10, random_state=0) if name == "VAE"
           else LatentSampler(model, density="gaussian", random_state=0).fit(X_train).sample(10))
    for name, model in models.items()
}
fig, axes = plt.subplots(3, 10, figsize=(8, 2.8))
for r, (label, images) in enumerate(samples.items()):
    for c in range(10):
        axes[r, c].imshow(np.clip(images[c], 0, 1).reshape(side, side), cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_axis_off()
    axes[r, 0].set_title(label, loc="left", fontsize=9)
fig.tight_layout()
plt.show()

# %%
# The 2-D codes
# -------------
# Test images placed by their codes (the VAE's posterior means), coloured by digit, beside
# PCA's first two components.
fig, axes = plt.subplots(1, 4, figsize=(12, 3.2))
codes = {"PCA": pca.transform(X_test)}
codes.update({name: model.transform(X_test) for name, model in models.items()})
for ax, (name, Z) in zip(axes, codes.items()):
    points = ax.scatter(Z[:, 0], Z[:, 1], c=y_test, cmap="tab10", s=3, vmin=-0.5, vmax=9.5)
    ax.set_title(name)
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(points, ax=axes, ticks=range(10), label="digit")
plt.show()
