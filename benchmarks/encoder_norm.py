"""Would unit-norm encoder rows make a better default for every autoencoder? `AutoEncoder()` beside
`AutoEncoder(unit_norm=True)` (and PCA with as many components) on digits, MNIST, Fashion-MNIST and
every table in shared/data/tabular: held-out MSE per entry at several code sizes and seeds.

SparseAutoEncoder holds its encoder rows at unit norm since its defaults table showed the constraint
lowering error; this measures the same switch on the dense autoencoder before any default changes.

Usage: .venv/bin/python benchmarks/encoder_norm.py [--seeds 2] [--image-rows 20000] [--image-epochs 10]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from common import machine_info, machine_line, markdown_table, update_markdown_section, write_json
from sklearn.decomposition import PCA
from sparse import datasets

from aekit import AutoEncoder

HEADING = "## Unit-norm encoder rows on the dense autoencoder (benchmarks/encoder_norm.py)"
LATENT_DIMS = (2, 8)


def mse(X_hat: np.ndarray, X: np.ndarray) -> float:
    return float(np.mean((X_hat - X) ** 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--image-rows", type=int, default=20000)
    parser.add_argument("--image-epochs", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for name, X_train, X_test, epochs in datasets(args.image_rows, args.image_epochs):  # as in the sparse defaults table
        for latent in LATENT_DIMS:
            pca = PCA(latent).fit(X_train)
            pca_mse = mse(pca.inverse_transform(pca.transform(X_test)), X_test)
            for seed in range(args.seeds):
                shape = {"latent_dim": latent, "max_epochs": epochs, "random_state": seed}
                plain = AutoEncoder(**shape).fit(X_train)
                norm = AutoEncoder(unit_norm=True, **shape).fit(X_train)
                row = {"data": name, "latent_dim": latent, "seed": seed, "epochs": epochs, "n_train": len(X_train),
                       "plain_mse": mse(plain.reconstruct(X_test), X_test), "unit_norm_mse": mse(norm.reconstruct(X_test), X_test),
                       "pca_mse": pca_mse, "plain_epochs": plain.n_epochs_, "unit_norm_epochs": norm.n_epochs_}  # fmt: skip
                row["ratio"] = row["unit_norm_mse"] / row["plain_mse"]
                rows.append(row)
                print(row, flush=True)
    info = machine_info()
    write_json("encoder-norm.json", {"machine": info, "rows": rows})
    table = [["data", "code size", "seed", "epochs run (plain / unit-norm)", "MSE plain", "MSE unit-norm", "unit-norm / plain", "MSE PCA"]]
    for r in rows:
        table.append([r["data"], r["latent_dim"], r["seed"], f"{r['plain_epochs']} / {r['unit_norm_epochs']}", f"{r['plain_mse']:.4g}",
                      f"{r['unit_norm_mse']:.4g}", f"{r['ratio']:.3f}", f"{r['pca_mse']:.4g}"])  # fmt: skip
    ratios = np.array([r["ratio"] for r in rows])
    section = (
        f"{HEADING}\n\n`AutoEncoder(latent_dim=k)` with its defaults beside the same with `unit_norm=True` (every encoder weight "
        f"row rescaled to unit norm after each step), trained for {rows[0]['epochs']} epochs on digits and the tables with its "
        f"early stopping ({args.image_epochs} on {args.image_rows:,} MNIST / Fashion-MNIST training images), held-out rows as in the "
        f"sparse defaults table; PCA with k components for reference. Unit-norm rows lowered the error in {int((ratios < 1).sum())} "
        f"of {len(ratios)} fits (ratio median {np.median(ratios):.3f}, range {ratios.min():.3f}-{ratios.max():.3f}). The machine "
        f"was shared with other jobs.\n\n{markdown_table(table)}\n\n{machine_line(info)}\n"
    )
    update_markdown_section(HEADING, section)


if __name__ == "__main__":
    main()
