"""
The latent space, interactive: an explorer page
===============================================

The lectures look at a 2-D latent space as a static scatter and as a decoded walk over a grid.
:func:`aekit.app.explore.write_explorer` turns the same model into one self-contained HTML page:
the test digits placed by their codes, the decoder running in the page so that a click anywhere
shows the image decoded at that point, and a dragged path its decoded strip. This example trains
a 784-256-64-2 autoencoder on MNIST, writes the page to a temporary folder, and draws the code
scatter the page shows, beside 2-D PCA as the baseline.

Data: MNIST through :func:`aekit.data.datasets.load_mnist` (``$AEKIT_DATA``), or scikit-learn's
8 x 8 digits through :func:`aekit.data.datasets.load_digits` where MNIST is not available.
"""

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from aekit import AutoEncoder
from aekit.app.explore import write_explorer
from aekit.data.datasets import load_digits, load_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")

try:
    data = load_mnist()
except FileNotFoundError:
    data = load_digits()
side = data.image_shape[-1]
rng = np.random.default_rng(0)
rows = rng.permutation(len(data.X))[: 3000 if QUICK else 12000]
X, y = data.X[rows], data.y[rows]
n_test = min(1000, len(X) // 4)
X_train, X_test, y_test = X[:-n_test], X[-n_test:], y[-n_test:]
print(f"{len(X_train)} training and {len(X_test)} test images of {side} x {side} pixels")

# %%
# A 2-D autoencoder and 2-D PCA
# -----------------------------
ae = AutoEncoder(latent_dim=2, hidden_dims=(256, 64), max_epochs=15 if QUICK else 40, random_state=0).fit(X_train)
pca = PCA(n_components=2).fit(X_train)
for name, model in (("autoencoder", ae), ("PCA", pca)):
    mse = np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2)
    print(f"{name:>11}: held-out MSE from a 2-D code {mse:.4f}")

# %%
# Write the page
# --------------
# One HTML file with the codes of the test images, their thumbnails and the decoder's weights;
# it needs no server and fetches nothing. Open it in a browser from the printed path.
folder = Path(tempfile.gettempdir()) / "aekit-gallery"
page = write_explorer(
    ae, X_test, y=y_test, path=folder / f"explorer_{data.name.split(':')[0]}.html", image_shape=data.image_shape,
    title=f"{data.name}: test digits in a 2-D autoencoder code",
)
print(f"explorer page written to {page} ({page.stat().st_size / 1e6:.1f} MB)")

# %%
# The map the page shows
# ----------------------
# The page draws these codes coloured by digit; the PCA plane beside it is the linear baseline.
fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.6))
colors = plt.get_cmap("tab10")
for ax, (name, model) in zip(axes, (("autoencoder (the page's map)", ae), ("PCA", pca))):
    Z = model.transform(X_test)
    for digit in range(10):
        ax.scatter(*Z[y_test == digit].T, s=5, alpha=0.7, color=colors(digit), label=str(digit))
    ax.set_title(name)
    ax.set_xlabel("code 0")
    ax.set_ylabel("code 1")
axes[1].legend(title="digit", markerscale=3, fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
fig.tight_layout()
plt.show()
