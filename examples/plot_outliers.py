"""
Outlier detection: autoencoder against IsolationForest
======================================================

The lectures list outlier detection among an autoencoder's uses: rows it reconstructs badly, or
whose code lands far from the training codes, are unlike the data it learned. Here
:class:`aekit.AutoEncoderOutlierDetector` (behind a ``StandardScaler``) is fitted on unlabelled
rows that contain anomalies, as in practice, and compared on held-out rows with scikit-learn's
``IsolationForest`` by ROC AUC and average precision, and by the histograms of their scores.

Data: the ADBench tables in ``$AEKIT_DATA/anomaly/*.npz`` (arrays X and y, 1 for an anomaly), read
with numpy; where they are missing, scikit-learn's digits with a few zeros as the anomalies
among the other digits (:func:`aekit.data.datasets.load_digits`).
"""

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aekit import AutoEncoderOutlierDetector
from aekit.data.datasets import load_digits

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")
folder = Path(os.environ.get("AEKIT_DATA", "")) / "anomaly"
names = ["28_pendigits"] if QUICK else ["28_pendigits", "30_satellite", "18_Ionosphere", "2_annthyroid", "42_WBC"]
tables = {}
for name in names:
    if (folder / f"{name}.npz").exists():
        with np.load(folder / f"{name}.npz") as npz:
            tables[name] = (npz["X"].astype(np.float64), npz["y"].astype(int))
if not tables:
    digits = load_digits()
    rng = np.random.default_rng(0)
    zeros = rng.choice(np.flatnonzero(digits.y == 0), size=40, replace=False)
    rows = np.concatenate([np.flatnonzero(digits.y != 0), zeros])
    tables["digits, zeros as anomalies"] = (digits.X[rows].astype(np.float64), (digits.y[rows] == 0).astype(int))
for name, (X, y) in tables.items():
    print(f"{name}: {X.shape[0]} rows, {X.shape[1]} columns, {y.mean():.1%} anomalies")

# %%
# Fit both on unlabelled training rows, score held-out rows
# ---------------------------------------------------------
# Each detector gets the share of anomalies as its contamination (which sets only the
# threshold of ``predict``; the scores ranked here do not depend on it). Higher scores are
# more anomalous: the negated ``score_samples`` of each.
scores = {}
for name, (X, y) in tables.items():
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)
    share = float(y_train.mean())
    autoencoder = make_pipeline(StandardScaler(), AutoEncoderOutlierDetector(contamination=share, random_state=0))
    forest = IsolationForest(contamination=share, random_state=0)
    scores[name] = {"y": y_test}
    for label, detector in (("autoencoder", autoencoder), ("IsolationForest", forest)):
        score = -detector.fit(X_train).score_samples(X_test)
        scores[name][label] = score
        print(f"{name}, {label:>15s}: ROC AUC {roc_auc_score(y_test, score):.3f}, "
              f"average precision {average_precision_score(y_test, score):.3f} (anomaly share {y_test.mean():.3f})")

# %%
# Score histograms
# ----------------
# Normal and anomalous held-out rows of the first table; the further apart the two histograms,
# the better the ranking. The autoencoder's scores have a long tail, so scores above their 97th
# percentile are drawn in the last bin.
name = next(iter(scores))
y_test = scores[name]["y"]
fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.4))
for ax, label in zip(axes, ("autoencoder", "IsolationForest")):
    top = np.quantile(scores[name][label], 0.97)
    score = np.minimum(scores[name][label], top)
    bins = np.linspace(score.min(), top, 40)
    ax.hist(score[y_test == 0], bins=bins, alpha=0.6, density=True, label="normal")
    ax.hist(score[y_test == 1], bins=bins, alpha=0.6, density=True, label="anomaly")
    ax.set_title(f"{label}: {name}")
    ax.set_xlabel("anomaly score (held-out rows)")
    ax.legend()
axes[0].set_ylabel("density")
fig.tight_layout()
plt.show()
