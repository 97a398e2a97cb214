"""
Contractive autoencoder: a locally flat code
============================================

The lectures' contractive autoencoder adds the norm of the encoder's Jacobian to the loss, so
that the code becomes locally flat: invariant to small changes of the input. This example
trains a plain :class:`aekit.AutoEncoder` and a :class:`aekit.ContractiveAutoEncoder` of the same
shape on MNIST, adds small Gaussian noise to test images and measures how far their codes move,
relative to the typical distance between the codes of two different images (so that a code that
is merely smaller does not count as flatter). PCA with as many components is the linear
baseline, for the code's movement and for the reconstruction error.

Data: MNIST through :func:`aekit.data.datasets.load_mnist` (``$AEKIT_DATA``), or scikit-learn's
8 x 8 digits through :func:`aekit.data.datasets.load_digits` where MNIST is not available.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from aekit import AutoEncoder, ContractiveAutoEncoder
from aekit.data.datasets import load_digits, load_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")
LATENT_DIM = 16

try:
    X, side = load_mnist().X, 28
except FileNotFoundError:
    X, side = load_digits().X, 8
rng = np.random.default_rng(0)
rows = rng.permutation(len(X))[: 1500 if QUICK else 10000]
X_train, X_test = X[rows[:-500]], X[rows[-500:]]
print(f"{len(X_train)} training and {len(X_test)} test images of {side} x {side} pixels")

# %%
# A plain and a contractive autoencoder of the same shape
# -------------------------------------------------------
# The contractive penalty (the squared Frobenius norm of the encoder's Jacobian, computed
# exactly) makes each training step several times as expensive; its weight trades flatness
# against reconstruction error.
common = dict(latent_dim=LATENT_DIM, hidden_dims=(256,), batch_size=64, learning_rate=3e-3,
              max_epochs=3 if QUICK else 15, random_state=0)
models = {
    "plain AE": AutoEncoder(**common).fit(X_train),
    "contractive AE": ContractiveAutoEncoder(contractive=0.01, **common).fit(X_train),
    f"PCA ({LATENT_DIM})": PCA(n_components=LATENT_DIM).fit(X_train),
}
for name, model in models.items():
    mse = np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2)
    print(f"{name:>14}: held-out reconstruction MSE {mse:.4f}")

# %%
# How far the code moves under small input noise
# ----------------------------------------------
# For each noise level, the mean distance between the code of a test image and the code of the
# same image with noise added, divided by the mean distance between the codes of two different
# test images. A locally flat code moves little under noise while still telling images apart.
levels = np.array([0.01, 0.02, 0.05, 0.1, 0.2])
other = rng.permutation(len(X_test))
movement = {}
for name, model in models.items():
    Z = model.transform(X_test)
    spread = np.linalg.norm(Z - Z[other], axis=1).mean()
    movement[name] = np.array([
        np.linalg.norm(model.transform(X_test + s * rng.standard_normal(X_test.shape)) - Z, axis=1).mean() / spread
        for s in levels
    ])
    print(f"{name:>14}: code moves {movement[name][1]:.3f} (noise std 0.02) and {movement[name][3]:.3f} "
          "(noise std 0.1) of the distance between two images' codes")

# %%
# The same numbers as curves
# --------------------------
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
for name, values in movement.items():
    left.plot(levels, values, marker="o", label=name)
left.set_xscale("log")
left.set_yscale("log")
left.set_xlabel("std of the Gaussian noise added to the pixels")
left.set_ylabel("code movement / distance between codes")
left.legend()
shown = X_test[:6]
noisy = np.clip(shown + 0.1 * rng.standard_normal(shown.shape), 0, 1)
rows_shown = [shown, noisy] + [np.clip(m.inverse_transform(m.transform(noisy)), 0, 1) for m in models.values()]
tiles = np.stack([r.reshape(6, side, side) for r in rows_shown])
right.imshow(tiles.transpose(0, 2, 1, 3).reshape(len(tiles) * side, 6 * side), cmap="gray", vmin=0, vmax=1)
right.set_yticks(side * np.arange(len(tiles)) + side / 2 - 0.5, ["clean", "noise 0.1", *models], fontsize=8)
right.set_xticks([])
right.set_title("reconstructions of the noisy images", fontsize=10)
fig.tight_layout()
plt.show()
