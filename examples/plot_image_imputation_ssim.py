"""
Imputing missing pixels with a denoising autoencoder, scored by SSIM
====================================================================

The lecture's "imputation with denoising autoencoder" (Abiri et al. 2019): a denoising
autoencoder trained to restore hidden entries fills the missing pixels of images, and the
result is judged by the structural similarity (SSIM, in [-1, 1]) to the complete image as well
as by the error on the missing pixels. :class:`aekit.AutoEncoderImputer` is compared with
filling each pixel with its mean and with scikit-learn's ``IterativeImputer`` (chained
regressions on the nearest pixels).

Data: MNIST through :func:`aekit.data.datasets.load_mnist` (``$AEKIT_DATA``), or scikit-learn's
8 x 8 digits where MNIST is not available; a random 30 % of each image's pixels are missing.
"""

# %%
import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, SimpleImputer

from aekit import AutoEncoderImputer
from aekit.analysis.metrics import masked_rmse, ssim
from aekit.data.datasets import load_digits, load_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")

try:
    X, side = load_mnist().X, 28
except FileNotFoundError:
    X, side = load_digits().X, 8
rng = np.random.default_rng(0)
rows = rng.permutation(len(X))[: 2300 if QUICK else 6300]
X_train, X_test = X[rows[:-300]], X[rows[-300:]]
missing_share = 0.3
mask_train = rng.random(X_train.shape) < missing_share
mask_test = rng.random(X_test.shape) < missing_share
X_train_missing = np.where(mask_train, np.nan, X_train)
X_test_missing = np.where(mask_test, np.nan, X_test)
print(f"{len(X_train)} training and {len(X_test)} test images of {side} x {side}, "
      f"{missing_share:.0%} of pixels missing")

# %%
# Three ways to fill the gaps
# ---------------------------
# All three are fitted on the incomplete training images and fill the test images' gaps. The
# imputer trains a denoising autoencoder on the observed pixels while hiding some more of them,
# then fills the missing ones by a few rounds of reconstruction; observed pixels stay as they are.
# ``IterativeImputer`` regresses each pixel on its 20 most correlated ones and is fitted on the
# first 1,000 images for two rounds, as its cost grows with the 784 columns.
filled = {}
seconds = {}
start = time.perf_counter()
mean_fill = SimpleImputer(strategy="mean", keep_empty_features=True).fit(X_train_missing)
filled["mean fill"] = mean_fill.transform(X_test_missing)
seconds["mean fill"] = time.perf_counter() - start

start = time.perf_counter()
imputer = AutoEncoderImputer(
    latent_dim=64, hidden_dims=(256,), n_members=1, max_epochs=10 if QUICK else 25, random_state=0
).fit(X_train_missing)
filled["autoencoder imputer"] = imputer.transform(X_test_missing)
seconds["autoencoder imputer"] = time.perf_counter() - start

start = time.perf_counter()
iterative = IterativeImputer(
    n_nearest_features=20, max_iter=2, skip_complete=True, keep_empty_features=True, random_state=0
)
n_fit = 1000
# sphinx_gallery_start_ignore
# The docs tests' quick build (AEKIT_QUICK=1) only checks that this page runs and draws its
# figures: one round of 10-pixel regressions on 500 images (a regression per pixel and round).
if QUICK:
    iterative.set_params(n_nearest_features=10, max_iter=1)
    n_fit = 500
# sphinx_gallery_end_ignore
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # a few rounds stop before its convergence criterion
    iterative.fit(X_train_missing[:n_fit])
    filled["IterativeImputer"] = np.clip(iterative.transform(X_test_missing), 0, 1)
seconds["IterativeImputer"] = time.perf_counter() - start

# %%
# SSIM of the whole image and RMSE on the missing pixels
# ------------------------------------------------------
images_true = X_test.reshape(-1, side, side)
scores = {}
for name, X_hat in filled.items():
    scores[name] = ssim(images_true, X_hat.reshape(-1, side, side))
    rmse = masked_rmse(X_test, X_hat, mask_test)
    print(f"{name:>19s}: SSIM {scores[name].mean():.3f}, RMSE on missing pixels {rmse:.4f} ({seconds[name]:.1f} s)")
observed_only = ssim(images_true, np.where(mask_test, 0.0, X_test).reshape(-1, side, side)).mean()
print(f"{'gaps left black':>19s}: SSIM {observed_only:.3f} (the damaged input, for reference)")

fig, ax = plt.subplots(figsize=(5.5, 3.2))
ax.hist(list(scores.values()), bins=30, range=(0, 1), label=list(scores), histtype="step", linewidth=1.5)
ax.set_xlabel("SSIM to the complete test image")
ax.set_ylabel("images")
ax.legend(loc="upper left")
fig.tight_layout()
plt.show()

# %%
# The filled images
# -----------------
# Missing pixels are shown in red in the damaged row.
shown = np.arange(8)
damaged = np.repeat(X_test[shown, :, None], 3, axis=2)
damaged[mask_test[shown]] = (1.0, 0.0, 0.0)
fig, axes = plt.subplots(5, 8, figsize=(8, 5.6))
rows_shown = [("complete", X_test[shown]), ("damaged", damaged)] + [(n, f[shown]) for n, f in filled.items()]
for r, (label, images) in enumerate(rows_shown):
    for c in range(8):
        if label == "damaged":
            axes[r, c].imshow(images[c].reshape(side, side, 3))
        else:
            axes[r, c].imshow(np.clip(images[c], 0, 1).reshape(side, side), cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_axis_off()
    axes[r, 0].set_title(label, loc="left", fontsize=9)
fig.tight_layout()
plt.show()
