"""
Generating, interpolating and walking in the latent space
=========================================================

The lecture's "autoencoder as generative model": fit a simple density to the codes, sample
there and decode the draws; pick two test digits and decode the points on the line between
their codes; and walk over a grid of a 2-D code. Here a single Gaussian (the normal prior of the
lecture, which it calls too simple) is compared with a 10-component Gaussian mixture
(:class:`aekit.analysis.latent.LatentSampler`), and linear and spherical interpolation in the
code (:func:`aekit.analysis.latent.interpolate`) with the pixel-space blend of the two images.
The decoded 2-D grid comes from :func:`aekit.analysis.latent.latent_grid`.

Data: MNIST through :func:`aekit.data.datasets.load_mnist` (``$AEKIT_DATA``), or scikit-learn's
8 x 8 digits through :func:`aekit.data.datasets.load_digits` where MNIST is not available.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.neighbors import NearestNeighbors

from aekit import AutoEncoder
from aekit.analysis.latent import LatentSampler, interpolate, latent_grid
from aekit.data.datasets import load_digits, load_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")

try:
    data, side = load_mnist(), 28
except FileNotFoundError:
    data, side = load_digits(), 8
rng = np.random.default_rng(0)
rows = rng.permutation(len(data.X))[: 2000 if QUICK else 12000]
X, y = data.X[rows], data.y[rows]
X_train, X_test, y_test = X[:-500], X[-500:], y[-500:]
print(f"{len(X_train)} training and {len(X_test)} test images of {side} x {side} pixels")


def mosaic(ax, images, title=None, col_labels=None):
    """Draw images (n_rows, n_cols, side * side) as one grey picture, 0 black."""
    n_rows, n_cols = images.shape[:2]
    tiles = np.clip(images.reshape(n_rows, n_cols, side, side), 0, 1)
    ax.imshow(tiles.transpose(0, 2, 1, 3).reshape(n_rows * side, n_cols * side), cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    if col_labels is not None:
        ax.set_xticks(side * np.arange(n_cols) + side / 2 - 0.5, col_labels, fontsize=7)
    if title:
        ax.set_title(title, loc="left", fontsize=10)


nearest = NearestNeighbors(n_neighbors=1).fit(X_train)


def distance_to_data(images):
    """Mean Euclidean distance from each image to its nearest training image: how far from real digits."""
    return float(nearest.kneighbors(np.asarray(images).reshape(-1, X_train.shape[1]))[0].mean())


# %%
# An autoencoder with an 8-number code
# ------------------------------------
ae = AutoEncoder(latent_dim=8, hidden_dims=(256, 64), max_epochs=8 if QUICK else 40, random_state=0).fit(X_train)
print(f"held-out reconstruction MSE {np.mean((ae.reconstruct(X_test) - X_test) ** 2):.4f}; "
      f"test images are {distance_to_data(X_test):.2f} from their nearest training image")

# %%
# Sampling: a normal density against a Gaussian mixture on the codes
# ------------------------------------------------------------------
# Each sampler standardises the training codes, fits its density and decodes draws from it.
# The held-out log-density says how well each density describes codes it has not seen; the
# distance to the nearest training image how close the decoded draws come to real digits
# (decoded images are smoother than real ones, which alone brings them closer: compare the
# densities, and below the paths, with each other rather than with the test images).
samplers = {
    "gaussian": LatentSampler(ae, density="gaussian").fit(X_train),
    "gmm": LatentSampler(ae, density="gmm", n_components=10, random_state=0).fit(X_train),
}
samples = {}
for name, sampler in samplers.items():
    samples[name] = sampler.sample(100, random_state=0)
    print(f"{name:>8} density: held-out log-density of test codes {sampler.score_samples(X_test).mean():7.2f}, "
          f"samples {distance_to_data(samples[name]):.2f} from the nearest training image")

fig, axes = plt.subplots(2, 1, figsize=(8, 4.2))
for ax, (name, images) in zip(axes, samples.items()):
    mosaic(ax, images[:24].reshape(2, 12, -1), f"decoded draws, {name} density")
fig.tight_layout()
plt.show()

# %%
# Interpolating between two test digits
# -------------------------------------
# Linear interpolation moves on the straight line between the two codes, slerp on the arc
# about the mean training code; the pixel baseline blends the two images themselves, which
# fades one digit out while the other fades in. Five pairs of test digits of different classes
# are interpolated in 9 steps and the inner frames compared with the training images.
first = {digit: np.flatnonzero(y_test == digit)[0] for digit in np.unique(y_test)}
pairs = [(first[a], first[b]) for a, b in ((2, 7), (3, 8), (4, 9), (0, 6), (1, 5)) if a in first and b in first]
x_a, x_b = X_test[[a for a, _ in pairs]], X_test[[b for _, b in pairs]]
center = ae.transform(X_train).mean(axis=0)
paths = {
    "linear": interpolate(ae, x_a, x_b, steps=9, method="linear"),
    "slerp": interpolate(ae, x_a, x_b, steps=9, method="slerp", center=center),
    "pixel": interpolate(ae, x_a, x_b, steps=9, method="pixel"),
}
for name, path in paths.items():
    print(f"{name:>6} path: inner frames {distance_to_data(path[:, 1:-1]):.2f} from the nearest training image")

fig, ax = plt.subplots(figsize=(8, 3))
mosaic(ax, np.stack([path[0] for path in paths.values()]), "linear / slerp / pixel, top to bottom",
       col_labels=[f"t={t:.2f}" for t in np.linspace(0, 1, 9)])
fig.tight_layout()
plt.show()

# %%
# Walking over a 2-D code
# -----------------------
# For the walk the code has two numbers: a second autoencoder, whose decoded 15 x 15 grid spans
# the 5 % to 95 % quantiles of the training codes in each dimension.
ae2 = AutoEncoder(latent_dim=2, hidden_dims=(256, 64), max_epochs=8 if QUICK else 40, random_state=0).fit(X_train)
n = 10 if QUICK else 15
grid, grid_codes = latent_grid(ae2, n=n, X=X_train, return_codes=True)
print(f"2-D code: held-out MSE {np.mean((ae2.reconstruct(X_test) - X_test) ** 2):.4f} (8-D code above); "
      f"grid over code 0 in [{grid_codes[0, 0, 0]:.2f}, {grid_codes[0, -1, 0]:.2f}], "
      f"code 1 in [{grid_codes[-1, 0, 1]:.2f}, {grid_codes[0, 0, 1]:.2f}]")

fig, ax = plt.subplots(figsize=(6.5, 6.5))
mosaic(ax, grid, "decoded 2-D code grid (code 0 to the right, code 1 upwards)")
fig.tight_layout()
plt.show()
