"""
PCA against an autoencoder on MNIST
===================================

The lectures' first claim: at the same code size, a nonlinear autoencoder reconstructs
better than PCA. Here a 784-256-64-k autoencoder and PCA with k components are fitted on the
same MNIST training images and compared by held-out mean squared error.

Data: MNIST through :func:`aekit.data.datasets.load_mnist` (``$AEKIT_DATA``), or scikit-learn's
8 x 8 digits where MNIST is not available.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from aekit import AutoEncoder
from aekit.data.datasets import load_digits, load_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")

try:
    X, side = load_mnist().X, 28
except FileNotFoundError:
    X, side = load_digits().X, 8
rng = np.random.default_rng(0)
rows = rng.permutation(len(X))[: 3000 if QUICK else 20000]
X_train, X_test = X[rows[:-1000]], X[rows[-1000:]]
print(f"{len(X_train)} training and {len(X_test)} test images of {side} x {side} pixels")

# %%
# Fit both at code sizes 2 and 16
# -------------------------------
results = {}
for k in (2, 16):
    pca = PCA(n_components=k).fit(X_train)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    ae = AutoEncoder(latent_dim=k, hidden_dims=(256, 64), max_epochs=5 if QUICK else "auto", random_state=0)
    ae.fit(X_train)
    ae_mse = np.mean((ae.reconstruct(X_test) - X_test) ** 2)
    results[k] = (pca, ae)
    print(f"k={k:2d}: held-out MSE autoencoder {ae_mse:.4f}, PCA {pca_mse:.4f} (ratio {ae_mse / pca_mse:.2f})")

# %%
# Reconstructions at k = 16
# -------------------------
pca, ae = results[16]
shown = X_test[:8]
rows_shown = [shown, pca.inverse_transform(pca.transform(shown)), ae.reconstruct(shown)]
fig, axes = plt.subplots(3, 8, figsize=(8, 3.3))
for r, (images, label) in enumerate(zip(rows_shown, ["input", "PCA", "autoencoder"])):
    for c in range(8):
        axes[r, c].imshow(np.clip(images[c], 0, 1).reshape(side, side), cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_axis_off()
    axes[r, 0].set_title(label, loc="left", fontsize=9)
fig.tight_layout()
plt.show()
