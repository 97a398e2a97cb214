"""
Colorization of photo patches
=============================

The image lectures' colorization task: a convolutional network whose input is a grey image and
whose target is the colour one, so it has to guess the colours from shapes and textures. Here
:class:`aekit.ConvAutoEncoder` is fitted with ``fit(gray, colour)`` on 32 x 32 patches of real
photographs and compared, by PSNR and SSIM against the true colours, with the simplest baseline:
the grey patch copied into all three channels, which already has every brightness right.

Data: patches of scikit-learn's two sample photographs through
:func:`aekit.data.datasets.load_colorization_patches`, and, as a photograph the model never saw,
patches of scikit-image's ``skimage.data.coffee()``.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from skimage import data as skimage_data
from skimage.color import rgb2gray
from sklearn.feature_extraction.image import extract_patches_2d

from aekit import ConvAutoEncoder
from aekit.analysis.metrics import psnr, ssim
from aekit.data.datasets import load_colorization_patches

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")

gray, colour = load_colorization_patches(patch_size=32, n_patches=1000 if QUICK else 2500, random_state=0)
gray_test, colour_test = load_colorization_patches(patch_size=32, n_patches=300, random_state=1)
coffee = extract_patches_2d(skimage_data.coffee(), (32, 32), max_patches=300, random_state=0).astype(np.float32) / 255
coffee_colour = np.ascontiguousarray(coffee.transpose(0, 3, 1, 2))
coffee_gray = rgb2gray(coffee).astype(np.float32)[:, None]
print(f"{len(gray)} training patches {gray.shape[1:]} -> {colour.shape[1:]}; 300 test patches of the same photographs"
      " (new positions, which may overlap training ones) and 300 of an unseen photograph")

# %%
# Fit grey to colour
# ------------------
# A fully convolutional code (``bottleneck="conv"``) keeps the patch's layout, so the decoder
# needs to add colour rather than redraw the patch from a short vector.
model = ConvAutoEncoder(
    bottleneck="conv", batch_size=32, max_epochs=5 if QUICK else 12, random_state=0
).fit(gray, colour)

# %%
# Against the grey copy
# ---------------------
# Besides the network's output as it comes, the same output with its brightness replaced by
# the known grey value (the difference added to all three channels, as the grey is a weighted
# mean of the channels with weights summing to one): the network then only decides the colour.
luminance = np.array([0.2125, 0.7154, 0.0721], dtype=np.float32)[None, :, None, None]


def keep_gray(prediction: np.ndarray, gray_in: np.ndarray) -> np.ndarray:
    """Colour images (n, 3, H, W) shifted so that their luminance is gray_in (n, 1, H, W)."""
    shift = gray_in - (prediction * luminance).sum(axis=1, keepdims=True)
    return np.clip(prediction + shift, 0, 1)


results = {}
for where, g, c in (("same photographs", gray_test, colour_test), ("unseen photograph", coffee_gray, coffee_colour)):
    prediction = np.clip(model.reconstruct(g), 0, 1)
    candidates = {
        "gray copy": np.repeat(g, 3, axis=1),
        "network": prediction,
        "network, gray kept": keep_gray(prediction, g),
    }
    results[where] = (g, c, candidates)
    for name, guess in candidates.items():
        print(f"{where:>17s}, {name:>18s}: PSNR {psnr(c, guess).mean():.2f} dB, SSIM {ssim(c, guess).mean():.3f}")

# %%
# Patches
# -------
fig, axes = plt.subplots(8, 8, figsize=(9, 8.4))
for block, (where, (g, c, candidates)) in enumerate(results.items()):
    rows = [("colour", c)] + list(candidates.items())
    for r, (label, batch) in enumerate(rows):
        ax_row = axes[4 * block + r]
        for i in range(8):
            ax_row[i].imshow(batch[i].transpose(1, 2, 0).clip(0, 1))
            ax_row[i].set_axis_off()
        ax_row[0].text(
            -0.15, 0.5, f"{where}:\n{label}", transform=ax_row[0].transAxes, ha="right", va="center", fontsize=8
        )
fig.subplots_adjust(left=0.2, right=0.98, top=0.98, bottom=0.02, wspace=0.05, hspace=0.08)
plt.show()
