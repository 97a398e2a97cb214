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

gray, colour = load_colorization_patches(patch_size=32, n_patches=300 if QUICK else 2500, random_state=0)
gray_test, colour_test = load_colorization_patches(patch_size=32, n_patches=300, random_state=1)
coffee = extract_patches_2d(skimage_data.coffee(), (32, 32), max_patches=300, random_state=0).astype(np.float32) / 255
coffee_colour = np.ascontiguousarray(coffee.transpose(0, 3, 1, 2))
coffee_gray = rgb2gray(coffee).astype(np.float32)[:, None]
print(f"{len(gray)} training patches {gray.shape[1:]} -> {colour.shape[1:]}; 300 test patches of the same photographs"
      " (new positions, which may overlap training ones) and 300 of an unseen photograph")

# %%
# Fit grey to colour, two ways
# ----------------------------
# By default (``colorization="auto"``) a one-channel input with a three-channel target makes the
# network predict the colour only (two colour-difference channels) and keep the input's
# lightness exactly, as colorization practice does; ``colorization="direct"`` predicts the three
# channels and has to redraw the brightness too. A fully convolutional code
# (``bottleneck="conv"``) keeps the patch's layout.
settings = dict(bottleneck="conv", batch_size=32, max_epochs=2 if QUICK else 12, random_state=0)
models = {
    "colour only (default)": ConvAutoEncoder(**settings).fit(gray, colour),
    "three channels (direct)": ConvAutoEncoder(colorization="direct", **settings).fit(gray, colour),
}

# %%
# Against the grey copy
# ---------------------
results = {}
for where, g, c in (("same photographs", gray_test, colour_test), ("unseen photograph", coffee_gray, coffee_colour)):
    candidates = {"gray copy": np.repeat(g, 3, axis=1)}
    candidates.update({name: np.clip(m.reconstruct(g), 0, 1) for name, m in models.items()})
    results[where] = (g, c, candidates)
    for name, guess in candidates.items():
        print(f"{where:>17s}, {name:>23s}: PSNR {psnr(c, guess).mean():.2f} dB, SSIM {ssim(c, guess).mean():.3f}")

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
