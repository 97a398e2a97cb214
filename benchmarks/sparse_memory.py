"""Sparse input in bounded memory at the issue's size: a 300,000 x 20,000 CSR matrix of word
counts at 0.2 % density (12 million non-zeros; dense float32 would take 24 GB) is fitted for one
epoch (`AutoEncoder(loss="multinomial")`, 20000-64-16) and transformed, with the process's address
space limited to 4 GB (RLIMIT_AS, set after the matrix is built). Reports the peak resident
memory and the times. Usage: .venv/bin/python benchmarks/sparse_memory.py [--rows 300000]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import scipy.sparse as sp
import torch
from common import machine_info, machine_line, markdown_table, update_markdown_section, write_json

from aekit import AutoEncoder

HEADING = "## Sparse input in bounded memory (benchmarks/sparse_memory.py)"
LIMIT = 4 * 2**30


def counts(rows: int, words: int, per_row: int, seed: int = 0) -> sp.csr_matrix:
    """`rows` documents of `per_row` distinct-ish word positions each, counts 1 to 3."""
    rng = np.random.default_rng(seed)
    cols = rng.integers(0, words, size=(rows, per_row), dtype=np.int32)
    data = rng.integers(1, 4, size=rows * per_row).astype(np.float32)
    X = sp.csr_matrix((data, cols.ravel(), np.arange(0, rows * per_row + 1, per_row, dtype=np.int64)), shape=(rows, words))
    X.sum_duplicates()
    return X


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--words", type=int, default=20_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    X = counts(args.rows, args.words, int(0.002 * args.words))
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))
    started = time.perf_counter()
    est = AutoEncoder(latent_dim=16, hidden_dims=(64,), loss="multinomial", max_epochs=1, random_state=0).fit(X)
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    Z = est.transform(X)
    transform_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    info = machine_info()
    row = {
        "rows": args.rows, "words": args.words, "nonzeros": int(X.nnz), "dense_float32_gb": round(args.rows * args.words * 4 / 1e9, 1),
        "address_space_limit_gb": LIMIT / 2**30, "fit_one_epoch_s": round(fit_s, 1), "transform_s": round(transform_s, 1),
        "peak_rss_mb": round(peak_mb), "codes_shape": list(Z.shape), "finite": bool(np.isfinite(Z).all()),
    }  # fmt: skip
    print(row, flush=True)
    write_json("sparse-memory.json", {"machine": info, "result": row})
    table = [["rows x words", "non-zeros", "dense float32", "address-space limit", "fit 1 epoch", "transform", "peak RSS"],
             [f"{args.rows:,} x {args.words:,}", f"{X.nnz:,}", f"{row['dense_float32_gb']} GB", "4 GB",
              f"{row['fit_one_epoch_s']} s", f"{row['transform_s']} s", f"{row['peak_rss_mb']} MB"]]  # fmt: skip
    update_markdown_section(HEADING, "\n".join([
        HEADING, "", machine_line(info) + " Shared with other jobs: times are indicative.", "",
        "A scipy.sparse CSR matrix of word counts fitted for one epoch (AutoEncoder, loss='multinomial', "
        "20000-64-16, batch 256) and transformed, the process limited to 4 GB of address space.", "",
        markdown_table(table), "",
    ]))  # fmt: skip


if __name__ == "__main__":
    main()
