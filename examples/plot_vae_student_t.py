"""
A VAE with a Student-t prior against the normal prior
=====================================================

The lecture's "imputation with variational autoencoder" slides follow Abiri & Ohlsson (2020),
who replaced the VAE's standard normal prior by a Student-t one, whose heavier tails leave room
for unusual images, and compared the two on Fashion-MNIST. Two
:class:`aekit.VariationalAutoEncoder` models that differ only in ``prior`` are compared by the
ELBO and the importance-weighted log-likelihood of test images, and by how well they fill in
missing pixels; the Student-t prior's degrees of freedom are learned (``prior_df_``).

Data: Fashion-MNIST through :func:`aekit.data.datasets.load_fashion_mnist` (``$AEKIT_DATA``), or
scikit-learn's 8 x 8 digits where it is not available.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from aekit import VariationalAutoEncoder
from aekit.analysis.metrics import masked_rmse, ssim
from aekit.data.datasets import load_digits, load_fashion_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")

try:
    X, side = load_fashion_mnist().X, 28
except FileNotFoundError:
    X, side = load_digits().X, 8
rng = np.random.default_rng(0)
rows = rng.permutation(len(X))[: 1300 if QUICK else 8500]
n_test = 300 if QUICK else 500
X_train, X_test = X[rows[:-n_test]], X[rows[-n_test:]]
X_test_binary = (rng.random(X_test.shape) < X_test).astype(np.float32)  # binarized once, for the likelihoods
print(f"{len(X_train)} training and {len(X_test)} test images of {side} x {side}")

# %%
# Two VAEs that differ only in the prior
# --------------------------------------
# Bernoulli likelihood on images binarized afresh in each epoch (``binarize="dynamic"``). The
# Student-t prior has no closed-form KL divergence to the Gaussian posterior, so it is estimated
# by Monte Carlo, and its degrees of freedom are fitted with the weights (``learn_prior_df``).
common = dict(
    latent_dim=20, hidden_dims=(256, 128) if QUICK else (512, 256), binarize="dynamic",
    batch_size=32 if QUICK else 128, max_epochs=4 if QUICK else 15, random_state=0,
)
vaes = {
    "normal prior": VariationalAutoEncoder(prior="normal", **common).fit(X_train),
    "Student-t prior": VariationalAutoEncoder(prior="student_t", learn_prior_df=True, **common).fit(X_train),
}
print(f"learned degrees of freedom of the Student-t prior: prior_df_ = {vaes['Student-t prior'].prior_df_:.2f}")

# %%
# ELBO and log-likelihood of the test images
# ------------------------------------------
# Both in nats per image, higher is better; the importance-weighted estimate of log p(x) is a
# tighter lower bound than the ELBO.
n_importance = 20 if QUICK else 200
for name, vae in vaes.items():
    elbo = vae.score_samples(X_test_binary).mean()
    log_p = vae.log_likelihood(X_test_binary, n_importance=n_importance).mean()
    print(f"{name:>15s}: test ELBO {elbo:.2f} nats, log p(x) {log_p:.2f} nats ({n_importance} importance samples), "
          f"active units {vae.active_units_} of {vae.latent_dim}")

# %%
# Filling in missing pixels
# -------------------------
# Half of each test image's pixels are hidden. Starting from the training mean, the image goes
# through the VAE (posterior mean, decoded) and the hidden pixels take the decoded values, five
# times; the observed pixels never change. Mean fill is the baseline.
mask = rng.random(X_test.shape) < 0.5
start = np.where(mask, X_train.mean(axis=0), X_test)
filled = {"mean fill": start}
for name, vae in vaes.items():
    X_hat = start
    for _ in range(5):
        X_hat = np.where(mask, vae.reconstruct(X_hat), X_test)
    filled[name] = X_hat
images_true = X_test.reshape(-1, side, side)
for name, X_hat in filled.items():
    quality = ssim(images_true, X_hat.reshape(-1, side, side)).mean()
    print(f"{name:>15s}: RMSE on the hidden pixels {masked_rmse(X_test, X_hat, mask):.4f}, SSIM {quality:.3f}")

fig, axes = plt.subplots(4, 8, figsize=(8, 4.6))
for r, (label, images) in enumerate([("complete", X_test)] + [(n, f) for n, f in filled.items() if n != "mean fill"]
                                    + [("half hidden (black)", np.where(mask, 0.0, X_test))]):
    for c in range(8):
        axes[r, c].imshow(np.clip(images[c], 0, 1).reshape(side, side), cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_axis_off()
    axes[r, 0].set_title(label, loc="left", fontsize=9)
fig.tight_layout()
plt.show()

# %%
# Samples from each prior
# -----------------------
fig, axes = plt.subplots(2, 8, figsize=(8, 2.4))
for r, (name, vae) in enumerate(vaes.items()):
    for c, image in enumerate(vae.sample(8, random_state=0)):
        axes[r, c].imshow(image.reshape(side, side), cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_axis_off()
    axes[r, 0].set_title(name, loc="left", fontsize=9)
fig.tight_layout()
plt.show()
