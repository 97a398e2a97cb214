"""
A 2-D code of the digits 1, 5 and 6 against 2-D PCA
===================================================

The lecture projects MNIST images of the digits 1, 5 and 6 onto a two-dimensional latent space
and looks at how the three classes separate there. This example trains a 784-256-64-2
autoencoder on those digits and draws its test codes beside the first two principal components,
the linear baseline. The separation is measured by clustering each embedding with KMeans
(:func:`aekit.analysis.metrics.cluster_codes`) and scoring the clusters against the true digits
(NMI and ARI, 1 for a perfect match).

Data: MNIST through :func:`aekit.data.datasets.load_mnist` (``$AEKIT_DATA``), or scikit-learn's
8 x 8 digits through :func:`aekit.data.datasets.load_digits` where MNIST is not available.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from aekit import AutoEncoder
from aekit.analysis.metrics import cluster_codes
from aekit.data.datasets import load_digits, load_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")
DIGITS = (1, 5, 6)

try:
    train, test = load_mnist("train"), load_mnist("test")
    side = 28
except FileNotFoundError:
    data = load_digits()
    half = len(data.X) // 2
    train, test = data.rows(slice(0, half)), data.rows(slice(half, None))
    side = 8
rng = np.random.default_rng(0)
keep_train = rng.permutation(np.flatnonzero(np.isin(train.y, DIGITS)))[: 2000 if QUICK else 10000]
keep_test = rng.permutation(np.flatnonzero(np.isin(test.y, DIGITS)))[:1000]
X_train, y_train = train.X[keep_train], train.y[keep_train]
X_test, y_test = test.X[keep_test], test.y[keep_test]
print(f"{len(X_train)} training and {len(X_test)} test images of the digits {DIGITS}, {side} x {side} pixels")

# %%
# Two embeddings with two dimensions each
# ---------------------------------------
# PCA keeps the two directions of largest variance; the autoencoder learns a nonlinear map to
# two numbers and back. Both are fitted on the training images and applied to the test images.
pca = PCA(n_components=2).fit(X_train)
ae = AutoEncoder(latent_dim=2, hidden_dims=(256, 64), max_epochs=8 if QUICK else 40, random_state=0).fit(X_train)
codes = {"autoencoder": ae.transform(X_test), "PCA": pca.transform(X_test)}
errors = {
    "autoencoder": np.mean((ae.inverse_transform(codes["autoencoder"]) - X_test) ** 2),
    "PCA": np.mean((pca.inverse_transform(codes["PCA"]) - X_test) ** 2),
}
print(f"held-out reconstruction MSE from 2 numbers: autoencoder {errors['autoencoder']:.4f}, PCA {errors['PCA']:.4f}")

# %%
# How well do the digits separate?
# --------------------------------
# Three clusters on each embedding, scored against the digit labels: KMeans (round clusters)
# and a Gaussian mixture (elongated ones, which a nonlinear code often makes).
scores = {}
for method in ("kmeans", "gmm"):
    for name, Z in codes.items():
        s = cluster_codes(Z, y_test, n_clusters=len(DIGITS), method=method)
        scores[name, method] = s
        print(f"{name:>11} test codes, {method:>6} clusters: NMI {s['nmi']:.3f}, ARI {s['ari']:.3f}")

# %%
# The two latent spaces side by side
# ----------------------------------
fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
for ax, (name, Z) in zip(axes, codes.items()):
    for digit, color in zip(DIGITS, ("tab:blue", "tab:orange", "tab:green")):
        ax.scatter(*Z[y_test == digit].T, s=6, alpha=0.6, color=color, label=str(digit))
    s = scores[name, "kmeans"]
    ax.set_title(f"{name} (KMeans NMI {s['nmi']:.2f}, ARI {s['ari']:.2f})")
    ax.set_xlabel("code 0")
    ax.set_ylabel("code 1")
axes[1].legend(title="digit", markerscale=3)
fig.tight_layout()
plt.show()
