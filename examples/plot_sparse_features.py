"""
Sparse autoencoders: few active units, and the codes as features
================================================================

The lectures' sparse autoencoder adds an L1 penalty on the code to the reconstruction loss, so
that each image is described by a few active units out of many. This example trains two
:class:`aekit.SparseAutoEncoder` models with 128 code units on MNIST, one with that L1 penalty
and one with the preset's default TopK code (32 active units per image), measures how sparse
their codes are (:mod:`aekit.analysis.features`), and uses the codes as features for a
logistic regression, against PCA features of the same width (at most the number of pixels) and of 32 components.

Data: MNIST through :func:`aekit.data.datasets.load_mnist` (``$AEKIT_DATA``), or scikit-learn's
8 x 8 digits through :func:`aekit.data.datasets.load_digits` where MNIST is not available.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aekit import SparseAutoEncoder
from aekit.analysis.features import sparse_code_summary, top_activating, unit_frequencies
from aekit.data.datasets import load_digits, load_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")

try:
    data, side = load_mnist(), 28
except FileNotFoundError:
    data, side = load_digits(), 8
rng = np.random.default_rng(0)
rows = rng.permutation(len(data.X))[: 2500 if QUICK else 15000]
X, y = data.X[rows], data.y[rows]
n_test = min(1000, len(X) // 4)
X_train, y_train, X_test, y_test = X[:-n_test], y[:-n_test], X[-n_test:], y[-n_test:]
print(f"{len(X_train)} training and {len(X_test)} test images of {side} x {side} pixels")

# %%
# An L1 penalty on the code, and a TopK code
# ------------------------------------------
# The L1 model has a ReLU code (units are 0 or positive) and pays for the size of every active
# unit; the TopK model keeps the 32 largest of its 128 code entries for each image and sets the
# others to exactly 0.
common = dict(latent_dim=128, hidden_dims=(256,), batch_size=64, max_epochs=5 if QUICK else 25, random_state=0)
models = {
    "L1": SparseAutoEncoder(sparsity_kind="l1", latent_activation="relu", sparsity=3e-4, **common).fit(X_train),
    "TopK": SparseAutoEncoder(**common).fit(X_train),
}
codes = {name: (model.transform(X_train), model.transform(X_test)) for name, model in models.items()}
pca_mse = {}
widths = (32, min(128, X.shape[1]))  # PCA as wide as the code, or as the images (64 pixels on 8 x 8 digits)
for n_components in widths:
    pca = PCA(n_components=n_components).fit(X_train)
    codes[f"PCA {n_components}"] = (pca.transform(X_train), pca.transform(X_test))
    pca_mse[n_components] = np.mean((pca.inverse_transform(codes[f"PCA {n_components}"][1]) - X_test) ** 2)

for name, model in models.items():
    Z = codes[name][1]
    active = unit_frequencies(Z)
    print(f"{name:>4} code: {active.sum():5.1f} of 128 units active per test image on average "
          f"({active.mean():.1%}), {int((active == 0).sum())} units never active, held-out MSE "
          f"{np.mean((model.inverse_transform(Z) - X_test) ** 2):.4f} (PCA {widths[0]}: {pca_mse[widths[0]]:.4f}, "
          f"PCA {widths[1]}: {pca_mse[widths[1]]:.4f})")
print(sparse_code_summary(models["TopK"], codes["TopK"][1]))

# %%
# The codes as features for a classifier
# --------------------------------------
# A logistic regression on standardised features, trained on the training images' labels and
# scored on the test images.
accuracy = {}
for name, (Z_train, Z_test) in codes.items():
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(Z_train, y_train)
    accuracy[name] = classifier.score(Z_test, y_test)
    print(f"logistic regression on {name:>8} features ({Z_train.shape[1]:3d} columns): "
          f"test accuracy {accuracy[name]:.3f}")

# %%
# How often each unit fires, and what it fires on
# -----------------------------------------------
# Left: the share of test images on which each code unit is active, units sorted. Right: the
# eight test images that activate six of the TopK model's units most, one unit per row
# (:func:`aekit.analysis.features.top_activating`).
units = np.argsort(-unit_frequencies(codes["TopK"][1]))[::21][:6]
top = top_activating(codes["TopK"][1], n=8, units=units)  # (6, 8) row indices
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [1, 1.3]})
for name in models:
    left.plot(np.sort(unit_frequencies(codes[name][1]))[::-1], label=name)
left.set_xlabel("code unit (sorted)")
left.set_ylabel("share of test images it is active on")
left.legend()
tiles = np.clip(X_test[top], 0, 1).reshape(len(units), 8, side, side)
right.imshow(tiles.transpose(0, 2, 1, 3).reshape(len(units) * side, 8 * side), cmap="gray", vmin=0, vmax=1)
right.set_yticks(side * np.arange(len(units)) + side / 2 - 0.5, [f"unit {u}" for u in units], fontsize=8)
right.set_xticks([])
right.set_title("TopK: most activating test images", fontsize=10)
fig.tight_layout()
plt.show()
