"""
Inpainting a centre hole with a context encoder
===============================================

The image lectures' context encoder (Pathak et al. 2016): a convolutional autoencoder sees
images whose centre block is blanked and learns to paint the block from what surrounds it. Here
:class:`aekit.ContextEncoder` fills a 12 x 12 hole in held-out images and is compared with two
fills that learn nothing: the training images' mean and scikit-image's biharmonic inpainting
(``skimage.restoration.inpaint_biharmonic``, a smooth continuation of the hole's border), by
PSNR and SSIM on the hole.

Data: Fashion-MNIST through :func:`aekit.data.datasets.load_fashion_mnist` (``$AEKIT_DATA``), or
scikit-learn's 8 x 8 digits (with a 4 x 4 hole) where it is not available.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from skimage.restoration import inpaint_biharmonic

from aekit import ContextEncoder
from aekit.analysis.metrics import psnr, ssim
from aekit.data.datasets import load_digits, load_fashion_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")

try:
    X, side, hole = load_fashion_mnist().X, 28, 12
except FileNotFoundError:
    X, side, hole = load_digits().X, 8, 4
rng = np.random.default_rng(0)
rows = rng.permutation(len(X))[: 900 if QUICK else 5300]
images = X[rows].reshape(-1, side, side)
n_test = 100 if QUICK else 300
train, test = images[:-n_test], images[-n_test:]
top = (side - hole) // 2
block = (slice(top, top + hole), slice(top, top + hole))
mask = np.zeros((side, side), dtype=bool)
mask[block] = True
print(f"{len(train)} training and {len(test)} test images of {side} x {side}, a {hole} x {hole} hole in the centre")

# %%
# Train the context encoder
# -------------------------
# Its loss is counted on the hole only (``context_weight=0``): the rest of the image is given.
encoder = ContextEncoder(
    mask="center", mask_size=hole, channels=(32, 64), latent_dim=64, batch_size=32,
    max_epochs=2 if QUICK else 10, learning_rate=2e-3, random_state=0,
).fit(train)

# %%
# Three fills of the same holes
# -----------------------------
filled = {
    "mean fill": np.where(mask, train.mean(axis=0), test),
    "biharmonic": np.stack([inpaint_biharmonic(np.where(mask, 0, image), mask) for image in test]),
    "context encoder": encoder.inpaint(test, mask),
}
true_hole = test[:, block[0], block[1]]
for name, result in filled.items():
    fill = np.clip(result[:, block[0], block[1]], 0, 1)
    quality = f"PSNR {psnr(true_hole, fill).mean():.2f} dB, SSIM {ssim(true_hole, fill).mean():.3f}"
    print(f"{name:>15s}: on the hole {quality}")

# %%
# The filled images
# -----------------
fig, axes = plt.subplots(5, 8, figsize=(8, 5.4))
shown = [("original", test), ("with the hole", np.where(mask, 0.0, test))] + list(filled.items())
for r, (label, batch) in enumerate(shown):
    for c in range(8):
        axes[r, c].imshow(np.clip(batch[c], 0, 1), cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_axis_off()
    axes[r, 0].set_title(label, loc="left", fontsize=9)
fig.tight_layout()
plt.show()
