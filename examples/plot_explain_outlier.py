"""
Why is this row an outlier?
===========================

An outlier detector that only says "row 17 is odd" leaves the work to the reader; the lectures'
outlier-detection use of autoencoders becomes practical when it also says which values are odd.
Here a few rows of a real table get one value changed, either pushed far out of range or
replaced by an ordinary value that does not fit the rest of its row, and
:func:`aekit.explain` shares each row's anomaly score among its columns, naming the observed and
the expected value. The baseline is the simplest pointer: the column whose value is furthest
from its mean in standard deviations (the largest absolute z-score).

Data: scikit-learn's wine table (``sklearn.datasets.load_wine``, 178 wines, 13 measurements) as
a pandas DataFrame.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_wine
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aekit import AutoEncoderOutlierDetector, explain

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")

table = load_wine(as_frame=True).data
rng = np.random.default_rng(1)
rows = rng.choice(len(table), size=8, replace=False)
columns = rng.choice(table.shape[1], size=8)
corrupted = table.copy()
kinds = []
for i, (row, col) in enumerate(zip(rows, columns)):
    values = table.iloc[:, col]
    if i < 4:  # far out of range
        corrupted.iat[row, col] = values.mean() + 5 * values.std()
        kinds.append("out of range")
    else:  # an ordinary value, from the other end of the column
        own = values.iloc[row]
        corrupted.iat[row, col] = values.quantile(0.05 if own > values.median() else 0.95)
        kinds.append("swapped in")
print(f"wine table {table.shape}; changed one value in rows {sorted(rows.tolist())}")

# %%
# Fit a detector on the table, corrupted rows included
# ----------------------------------------------------
# The detector learns from unlabelled rows; ``contamination="auto"`` sets its threshold by an
# outlier test on the training scores instead of a guessed share of outliers.
detector = make_pipeline(
    StandardScaler(),
    AutoEncoderOutlierDetector(contamination="auto", random_state=0),
)
detector.fit(corrupted)
flags = detector.predict(corrupted)
print(f"flagged {np.sum(flags == -1)} of {len(corrupted)} rows; "
      f"{np.sum(flags[rows] == -1)} of the {len(rows)} changed rows are among them")

# %%
# Which value makes each changed row odd
# --------------------------------------
# ``top=3`` gives each row's three largest contributions: the column, its value, the value the
# autoencoder expects given the rest of the row, and the share of the row's anomaly score.
reasons = explain(detector, corrupted.iloc[rows], top=3)
reasons.insert(0, "changed", [f"{table.columns[c]} ({k})" for c, k in zip(columns, kinds)])
print(reasons[["changed", "feature_1", "observed_1", "expected_1", "share_1", "feature_2"]].to_string())

z = ((corrupted - table.mean()) / table.std()).abs()
for kind in ("out of range", "swapped in"):
    chosen = [i for i, k in enumerate(kinds) if k == kind]
    by_explain = sum(reasons["feature_1"].iloc[i] == table.columns[columns[i]] for i in chosen)
    by_z = sum(z.iloc[rows[i]].idxmax() == table.columns[columns[i]] for i in chosen)
    print(f"{kind:>12s} values named first: explain {by_explain} of {len(chosen)}, largest |z| {by_z} of {len(chosen)}")

# %%
# Contributions of every column
# -----------------------------
# Each row's contributions add up to its anomaly score minus one constant shared by all rows;
# the changed cell of each row is outlined.
contributions = explain(detector, corrupted.iloc[rows])
fig, ax = plt.subplots(figsize=(9, 4.2))
image = ax.imshow(contributions.to_numpy(), cmap="Reds", aspect="auto")
for i, col in enumerate(columns):
    ax.add_patch(plt.Rectangle((col - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2))
ax.set_xticks(range(table.shape[1]), table.columns, rotation=60, ha="right", fontsize=8)
ax.set_yticks(range(len(rows)), [f"row {r} ({k})" for r, k in zip(rows, kinds)], fontsize=8)
fig.colorbar(image, ax=ax, label="contribution")
fig.tight_layout()
plt.show()
