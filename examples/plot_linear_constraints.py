"""
A constrained linear autoencoder finds PCA's subspace
=====================================================

The lecture lists the constraints under which a linear autoencoder does what PCA does: tied
weights (the decoder is the encoder's transpose), orthogonal weights, uncorrelated codes and
unit-norm weight rows. This example adds them one at a time (:class:`aekit.LinearAutoEncoder`
and :class:`aekit.AutoEncoder` with ``tied_weights=``, ``orthogonality=``, ``decorrelation=``
and ``unit_norm=``) and compares each fit with PCA: the principal angles between the subspace
the decoder writes into and PCA's components (0 degrees: the same subspace), the reconstruction
error against PCA's, the correlation between the code's dimensions, and how far each code axis
is from the nearest principal axis.

Data: scikit-learn's wine table (178 x 13, standardised) with a 2-number code, as in the
lecture's small example, and (not in the quick run) its 8 x 8 digits
(:func:`aekit.data.datasets.load_digits`, 1797 x 64) with a 5-number code.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from scipy.linalg import subspace_angles
from sklearn.datasets import load_wine
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from aekit import AutoEncoder, LinearAutoEncoder
from aekit.data.datasets import load_digits

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")

tables = {"wine": (StandardScaler().fit_transform(load_wine().data), 2, 200)}
if not QUICK:
    tables["digits"] = (load_digits().X.astype(np.float64), 5, 200)

# %%
# Five linear autoencoders, from no constraint to all four
# --------------------------------------------------------
# All are one linear layer each way with biases, trained on every row (no validation split,
# as PCA sees every row). The untied one starts from random weights, not from PCA
# (``init="random"``; the default would start it as PCA).


def linear_models(k: int, epochs: int) -> dict:
    train = dict(validation_fraction=0.0, max_epochs=epochs, random_state=0)
    return {
        "untied": AutoEncoder(latent_dim=k, hidden_dims=(), output_activation="linear", init="random",
                              learning_rate=1e-2, batch_size=64, **train),
        "tied": LinearAutoEncoder(latent_dim=k, orthogonality=0.0, **train),
        "tied + orthogonal": LinearAutoEncoder(latent_dim=k, orthogonality=1.0, **train),
        "+ uncorrelated": LinearAutoEncoder(latent_dim=k, orthogonality=1.0, decorrelation=0.1, **train),
        "+ unit norm": LinearAutoEncoder(latent_dim=k, orthogonality=1.0, decorrelation=0.1, unit_norm=True, **train),
    }


def directions(model, k: int, d: int):
    """The encoder's directions (d, k) and the decoder's (d, k), read through transform and
    inverse_transform (both maps are affine)."""
    encoder = model.transform(np.eye(d)) - model.transform(np.zeros((1, d)))
    decoder = (model.inverse_transform(np.eye(k)) - model.inverse_transform(np.zeros((1, k)))).T
    return encoder, decoder


results = {}
for table, (X, k, epochs) in tables.items():
    d = X.shape[1]
    pca = PCA(n_components=k).fit(X)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2)
    print(f"{table} ({X.shape[0]} x {d}), code of {k}: PCA's MSE {pca_mse:.4f}")
    for name, model in linear_models(k, epochs).items():
        model.fit(X)
        encoder, decoder = directions(model, k, d)
        Z = model.transform(X)
        corr = np.corrcoef(Z.T)
        unit_axes = encoder / np.linalg.norm(encoder, axis=0)
        axis_angle = np.degrees(np.arccos(np.clip(np.abs(pca.components_ @ unit_axes).max(axis=0), 0, 1))).max()
        results[table, name] = row = {
            "decoder angle": np.degrees(subspace_angles(decoder, pca.components_.T)).max(),
            "encoder angle": np.degrees(subspace_angles(encoder, pca.components_.T)).max(),
            "MSE / PCA": np.mean((model.inverse_transform(Z) - X) ** 2) / pca_mse,
            "max |corr|": np.abs(corr - np.diag(np.diag(corr))).max(),
            "axis angle": axis_angle,
        }
        print(f"  {name:<18} largest principal angle to PCA: decoder {row['decoder angle']:5.2f} deg, encoder "
              f"{row['encoder angle']:5.2f} deg; MSE {row['MSE / PCA']:.4f} x PCA's; code correlation "
              f"{row['max |corr|']:.3f}; code axes {row['axis angle']:5.2f} deg from principal axes")

# %%
# The same as bars
# ----------------
# Left: the subspace (0 degrees is PCA's subspace). Right: the code axes themselves. Without
# the decorrelation penalty any rotation of PCA's axes within the subspace reconstructs as well,
# so the axes land anywhere in it; the penalty turns them towards PCA's own axes, slowly where
# components have close variances (as on the digits, whose 5-number code reaches the subspace
# but not the axes in 200 epochs).
names = list(linear_models(2, 1))
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
for ax, what in zip(axes, ("decoder angle", "axis angle")):
    for i, table in enumerate(tables):
        height = 0.8 / len(tables)
        ax.barh(np.arange(len(names)) + height * (i - (len(tables) - 1) / 2), [results[table, n][what] for n in names],
                height=height, label=table)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel({"decoder angle": "largest principal angle to PCA's subspace (deg)",
                   "axis angle": "worst code axis to nearest principal axis (deg)"}[what])
axes[0].set_yticks(np.arange(len(names)), names)
axes[0].invert_yaxis()
axes[1].legend()
fig.tight_layout()
plt.show()
