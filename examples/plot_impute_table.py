"""
Imputing a real table: autoencoder, mean fill and IterativeImputer
==================================================================

The lectures' imputation with a denoising autoencoder, on a table rather than images: a fifth
of the entries of a real data set are removed completely at random (MCAR) and filled by
:class:`aekit.AutoEncoderImputer`, by each column's mean, and by scikit-learn's
``IterativeImputer`` (a chained Bayesian ridge regression per column, the usual strong
baseline). The error is the RMSE on the removed entries, in each column's standard deviations.

Data: scikit-learn's breast cancer table (``sklearn.datasets.load_breast_cancer``, 569 tumours,
30 measurements), as a pandas DataFrame.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, SimpleImputer
from sklearn.linear_model import BayesianRidge

from aekit import AutoEncoderImputer
from aekit.analysis.metrics import masked_rmse

table = load_breast_cancer(as_frame=True).data
rng = np.random.default_rng(0)
mask = rng.random(table.shape) < 0.2
incomplete = table.mask(mask)
print(f"breast cancer table {table.shape}, {mask.mean():.1%} of the entries removed at random")

# %%
# Three imputers
# --------------
# Each is fitted on the incomplete table and fills its gaps. The autoencoder imputer averages
# the fills of several denoising autoencoders (``n_members``) and keeps its values within each
# column's observed range (``plausible_values="range"``, which does not round the columns
# holding whole numbers).
imputers = {
    "mean fill": SimpleImputer(strategy="mean"),
    "IterativeImputer": IterativeImputer(estimator=BayesianRidge(), max_iter=15, random_state=0),
    "autoencoder imputer": AutoEncoderImputer(n_members=5, max_epochs=300, plausible_values="range", random_state=0),
}
# sphinx_gallery_start_ignore
import os

# The docs tests' quick build (AEKIT_QUICK=1) only checks that this page runs and draws its
# figure: one shorter member, and a linear partner instead of the default's 30 trees per column.
if os.environ.get("AEKIT_QUICK", "") not in ("", "0"):
    imputers["IterativeImputer"].set_params(max_iter=10)
    imputers["autoencoder imputer"].set_params(n_members=1, max_epochs=100, blend="linear")
# sphinx_gallery_end_ignore
warnings.filterwarnings("ignore", category=ConvergenceWarning)  # IterativeImputer's rounds stop before its tolerance
std = table.std().to_numpy()
filled = {}
for name, imputer in imputers.items():
    start = time.perf_counter()
    filled[name] = np.asarray(imputer.fit_transform(incomplete), dtype=np.float64)
    seconds = time.perf_counter() - start
    rmse = masked_rmse(table.to_numpy(), filled[name], mask, scale=std)
    print(f"{name:>19s}: RMSE on the removed entries {rmse:.3f} standard deviations ({seconds:.1f} s)")

# %%
# RMSE per column
# ---------------
per_column = {
    name: np.array([masked_rmse(table.iloc[:, [j]].to_numpy(), X[:, [j]], mask[:, [j]], scale=std[[j]])
                    for j in range(table.shape[1])])
    for name, X in filled.items()
}
better = np.sum(per_column["autoencoder imputer"] < per_column["IterativeImputer"])
print(f"autoencoder imputer below IterativeImputer in {better} of {table.shape[1]} columns")

fig, ax = plt.subplots(figsize=(10, 3.8))
width = 0.27
for i, (name, values) in enumerate(per_column.items()):
    ax.bar(np.arange(table.shape[1]) + (i - 1) * width, values, width=width, label=name)
ax.set_xticks(range(table.shape[1]), table.columns, rotation=70, ha="right", fontsize=7)
ax.set_ylabel("RMSE (column std)")
ax.legend(ncol=3)
fig.tight_layout()
plt.show()
