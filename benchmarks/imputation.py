"""Imputation benchmark: AutoEncoderImputer against scikit-learn's imputers.

    python benchmarks/imputation.py tabular [--datasets spam,letter] [--seeds 5]
    python benchmarks/imputation.py mnist
    python benchmarks/imputation.py report      # merge results, write the BENCHMARKS.md section
    python benchmarks/imputation.py field [--datasets ...] [--seeds 1] [--masks mcar20,mar30,mnar30] [--methods ...]
                    # missForest, IterativeImputer(BayesianRidge, 20 rounds) and aekit variants, all in one run,
                    # written to imputation-field-*.json (new methods join the rows already there)
    <env>/bin/python benchmarks/imputation.py tabular --methods hyperimpute [--first-seed 2] --seeds 5
                    # HyperImpute joins the rows of the earlier run (same seeds, same masks); it needs
                    # pandas < 3 and scikit-learn < 1.8, so it runs in an environment of its own

Tabular: every set in ../shared/data/tabular, standardised with the complete data's mean and
std, then masked: MCAR 20% and 50%, MAR 30% (logistic in 30% always-observed columns) and MNAR
30% (logistic self-masking: large values go missing more often). RMSE over the masked entries
on the standardised scale; each imputer sees the same masked table (transductive: fit_transform).
Where the set has a target, the imputed table feeds a downstream model (logistic regression
accuracy or ridge R^2 on a 70/30 split). MNIST: pixels missing at random (25/50/75%) and one
random half of each image missing; imputers are fitted on masked training images and applied
to masked test images; RMSE over the missing pixels and SSIM of the whole images.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from common import RESULTS_DIR, SHARED_DATA, machine_info, machine_line, markdown_table, measured_by, update_markdown_section, write_json
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from aekit import AutoEncoderImputer
from aekit.data.datasets import read_idx
from aekit.analysis.metrics import masked_rmse, ssim

HEADING = "## Imputation (benchmarks/imputation.py)"
TABULAR = SHARED_DATA / "tabular"
MASKS = {"mcar20": ("mcar", 0.2), "mcar50": ("mcar", 0.5), "mar30": ("mar", 0.3), "mnar30": ("mnar", 0.3)}
CLASSIFICATION = {"breast_cancer", "credit_default", "wine_quality_red"}
METHODS = ("mean", "knn", "iterative", "aekit")
# Run only when named in --methods, in an environment where they work; their rows join the
# existing ones (same seeds, so the same masks) and the report compares them on those rows.
EXTRA_METHODS = ("hyperimpute",)
OPTION_METHODS = ("aekit_before", "aekit_one_member", "aekit_missingness")  # aekit with non-default options: shown, never ranked
OPTION_BASELINE = {"aekit_before": "aekit", "aekit_one_member": "aekit_before", "aekit_missingness": "aekit_one_member"}  # what each is set beside
# The field part: missForest and a longer BayesianRidge IterativeImputer beside aekit's default and the variants tried
# to beat them (each an AutoEncoderImputer with these options), all measured in one run.
FOREST_TREES = 30
# The imputer's defaults before 2026-12-06 (no blend partner, 300 epochs): aekit_before, and the base of the variants
# measured then, whose options are spelled out in full so their numbers stay those of what they name.
BEFORE = {"blend": None, "max_epochs": 300}
VARIANTS: dict[str, dict] = {
    "aekit_before": BEFORE,
    "aekit_one_member": {**BEFORE, "n_members": 1},
    "aekit_blend_linear": {**BEFORE, "blend": "linear"},
    "aekit_blend_trees": {**BEFORE, "blend": "trees"},
    "aekit_corrupt30": {**BEFORE, "corruption_level": 0.3},
    "aekit_members10": {**BEFORE, "n_members": 10},
    "aekit_epochs100": {**BEFORE, "max_epochs": 100},
}
# RMSE scores the conditional mean, so aekit runs with plausible_values='range' (clipped to the observed range,
# not snapped to a column's few levels); on these standardised tables it is what the default did before snapping.
AEKIT_BENCH = {"plausible_values": "range"}
FIELD_BASELINES = ("mean", "knn", "iterative", "iterative_br20", "missforest", "missforest_rf")
FIELD_EXTRA = ("missforest100", "missforest_again")  # ExtraTrees at sklearn's default 100 trees; missforest re-run beside a new aekit
FIELD_METHODS = (*FIELD_BASELINES, *FIELD_EXTRA, "aekit", *VARIANTS)
FIELD_MASKS = ("mcar20", "mar30", "mnar30")


# ---- masks ---------------------------------------------------------------------------------


def _logistic_rate(logits: np.ndarray, rate: float) -> np.ndarray:
    """Probabilities sigmoid(logits + b) with b found by bisection so their mean is `rate`."""
    lo, hi = -50.0, 50.0
    for _ in range(100):
        b = (lo + hi) / 2
        if (1 / (1 + np.exp(-(logits + b)))).mean() > rate:
            hi = b
        else:
            lo = b
    return 1 / (1 + np.exp(-(logits + b)))


def make_mask(X: np.ndarray, kind: str, rate: float, rng: np.random.Generator) -> np.ndarray:
    """(n, d) bool, True = missing. X is standardised."""
    n, d = X.shape
    if kind == "mcar":
        return rng.random((n, d)) < rate
    mask = np.zeros((n, d), dtype=bool)
    if kind == "mar":
        observed = rng.choice(d, max(1, int(round(0.3 * d))), replace=False)
        others = np.setdiff1d(np.arange(d), observed)
        rate_others = min(0.95, rate * d / len(others))
        for j in others:
            w = rng.normal(size=len(observed))
            logits = X[:, observed] @ (w / np.linalg.norm(w))
            mask[:, j] = rng.random(n) < _logistic_rate(3 * logits, rate_others)
        return mask
    for j in range(d):
        mask[:, j] = rng.random(n) < _logistic_rate(2 * X[:, j], rate)
    return mask


# ---- imputers ------------------------------------------------------------------------------


class HyperImputeTables:
    """HyperImpute's default imputer (`Imputers().get('hyperimpute')`) with fit_transform on arrays."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        import pandas as pd
        from hyperimpute.plugins.imputers import Imputers

        return np.asarray(Imputers().get("hyperimpute", random_state=self.seed).fit_transform(pd.DataFrame(X)), dtype=np.float64)


def make_imputer(method: str, seed: int, image: bool = False):
    if method == "hyperimpute":
        return HyperImputeTables(seed)
    if method in VARIANTS:
        return AutoEncoderImputer(random_state=seed, **AEKIT_BENCH, **VARIANTS[method])
    if method == "iterative_br20":
        return IterativeImputer(max_iter=20, random_state=seed)
    if method in ("missforest", "missforest_rf", "missforest100", "missforest_again"):
        forest = RandomForestRegressor if method == "missforest_rf" else ExtraTreesRegressor
        trees = 100 if method == "missforest100" else FOREST_TREES
        return IterativeImputer(estimator=forest(n_estimators=trees, max_features="sqrt", random_state=seed), max_iter=10, random_state=seed)
    if method == "aekit_missingness":
        return AutoEncoderImputer(model_missingness=True, n_members=1, random_state=seed, **BEFORE)
    if method == "mean":
        return SimpleImputer()
    if method == "knn":
        return KNNImputer(n_neighbors=5)
    if method == "iterative":
        if image:
            return IterativeImputer(max_iter=5, n_nearest_features=30, skip_complete=True, random_state=seed)
        return IterativeImputer(max_iter=10, random_state=seed)
    if image:
        return AutoEncoderImputer(scale=False, hidden_dims=(512,), latent_dim=128, batch_size=128, max_epochs=40, n_members=1, random_state=seed)
    return AutoEncoderImputer(random_state=seed, **AEKIT_BENCH)


def downstream(X: np.ndarray, y: np.ndarray, name: str, seed: int) -> float:
    """Accuracy (classification sets) or R^2 (regression sets) of a linear model on a 70/30 split."""
    classify = name in CLASSIFICATION
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y if classify else None
    )
    model = LogisticRegression(max_iter=3000) if classify else RidgeCV()
    return float(model.fit(X_tr, y_tr).score(X_te, y_te))


def run_tabular(names: list[str], seeds: int, max_rows: int, methods: tuple[str, ...] = METHODS, first_seed: int = 0,
                part: str = "tabular", masks: tuple[str, ...] = tuple(MASKS)) -> None:
    """Impute every set with `methods` under `masks`; with other methods than the default four
    (or in the field part), the rows of an earlier run are kept and the new methods' numbers
    join them (its max_rows is reused, so the subsamples and masks are the same)."""
    all_methods = METHODS + EXTRA_METHODS + OPTION_METHODS if part == "tabular" else FIELD_METHODS
    for name in names:
        data = np.load(TABULAR / f"{name}.npz", allow_pickle=False)
        X_full, y_full = data["X"], data["y"] if "y" in data else None
        path = RESULTS_DIR / f"imputation-{part}-{name}.json"
        old = json.loads(path.read_text()) if (methods != METHODS or part != "tabular") and path.exists() else {}
        main_run = RESULTS_DIR / f"imputation-tabular-{name}.json"
        if part != "tabular" and not old and main_run.exists():
            max_rows = json.loads(main_run.read_text())["max_rows"]  # the main run's subsample, so the same masks
        earlier = {(r["seed"], r["mask"]): r for r in old.get("rows", [])}
        max_rows = old.get("max_rows", max_rows)
        rows = []
        for seed in range(first_seed, seeds):
            rng = np.random.default_rng(seed)
            idx = np.sort(rng.choice(len(X_full), max_rows, replace=False)) if len(X_full) > max_rows else np.arange(len(X_full))
            X, y = X_full[idx], None if y_full is None else y_full[idx]
            std = X.std(axis=0)
            X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
            for mask_name, (kind, rate) in MASKS.items():
                mask = make_mask(X, kind, rate, rng)
                if mask_name not in masks:
                    continue
                mask[mask.all(axis=1), 0] = False
                X_missing = np.where(mask, np.nan, X)
                row = {**earlier.pop((seed, mask_name), {}), "seed": seed, "mask": mask_name, "n": len(X), "missing_share": float(mask.mean())}
                if y is not None and mask_name == "mcar20":
                    row["downstream_complete"] = downstream(X, y, name, seed)
                for method in methods:
                    start, cpu = time.perf_counter(), time.process_time()
                    X_hat = make_imputer(method, seed).fit_transform(X_missing)
                    row[f"{method}_seconds"] = time.perf_counter() - start
                    row[f"{method}_cpu_seconds"] = time.process_time() - cpu  # this process's CPU time: steadier than wall time on a shared host
                    row[f"{method}_rmse"] = masked_rmse(X, X_hat, mask)
                    if y is not None:
                        row[f"{method}_downstream"] = downstream(X_hat, y, name, seed)
                rows.append(row)
                print(name, seed, mask_name, {m: round(row[f"{m}_rmse"], 3) for m in methods}, flush=True)
        rows += list(earlier.values())
        rows.sort(key=lambda r: (r["seed"], list(MASKS).index(r["mask"])))
        write_json(
            f"imputation-{part}-{name}.json",
            {"machine": old.get("machine", machine_info()), "machines": measured_by(old, all_methods, methods, "rmse"), "dataset": name,
             "n_total": len(X_full), "max_rows": max_rows, "rows": rows},
        )


# ---- MNIST ---------------------------------------------------------------------------------


def image_mask(n: int, mode: str, rng: np.random.Generator) -> np.ndarray:
    """(n, 784) bool: pixels missing at random, or one random half (top/bottom/left/right)."""
    if mode.startswith("mcar"):
        return rng.random((n, 784)) < int(mode[4:]) / 100
    grid = np.zeros((4, 28, 28), dtype=bool)
    grid[0, :14], grid[1, 14:], grid[2, :, :14], grid[3, :, 14:] = True, True, True, True
    return grid[rng.integers(0, 4, n)].reshape(n, 784)


def _impute_images(method: str, A_tr: np.ndarray, A_te: np.ndarray) -> np.ndarray:
    imputer = make_imputer(method, 0, image=True)
    return imputer.fit(A_tr[:2000] if method == "iterative" else A_tr).transform(A_te)


def _within(seconds: float, fn, *args):
    """fn(*args) in a child process, or None when it has not finished within `seconds`."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        job = pool.apply_async(fn, args)
        try:
            return job.get(timeout=seconds)
        except multiprocessing.TimeoutError:
            return None


def run_mnist(n_train: int, n_test: int, budget_seconds: float) -> None:
    folder = SHARED_DATA / "mnist"
    rng = np.random.default_rng(0)
    X_tr = read_idx(folder / "train-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0
    X_te = read_idx(folder / "t10k-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0
    X_tr = X_tr[rng.choice(len(X_tr), n_train, replace=False)]
    X_te = X_te[rng.choice(len(X_te), n_test, replace=False)]
    rows, timed_out = [], set()
    for mode in ("mcar25", "mcar50", "mcar75", "half"):
        m_tr, m_te = image_mask(n_train, mode, rng), image_mask(n_test, mode, rng)
        m_tr[:, m_tr.all(axis=0)] = False
        A_tr, A_te = np.where(m_tr, np.nan, X_tr), np.where(m_te, np.nan, X_te)
        row = {"mode": mode}
        for method in METHODS:
            if method in timed_out:
                row[f"{method}_skipped"] = f"did not finish within {budget_seconds:.0f} s on an earlier mask"
                continue
            start = time.perf_counter()
            slow = method in ("knn", "iterative")
            X_hat = _within(budget_seconds, _impute_images, method, A_tr, A_te) if slow else _impute_images(method, A_tr, A_te)
            if X_hat is None:
                timed_out.add(method)
                row[f"{method}_skipped"] = f"did not finish within {budget_seconds:.0f} s"
                print(mode, method, "timed out", flush=True)
                continue
            row[f"{method}_seconds"] = time.perf_counter() - start
            row[f"{method}_rmse"] = masked_rmse(X_te, X_hat, m_te)
            row[f"{method}_ssim"] = float(ssim(X_te.reshape(-1, 28, 28), X_hat.reshape(-1, 28, 28)).mean())
            print(mode, method, round(row[f"{method}_rmse"], 4), round(row[f"{method}_ssim"], 4), round(row[f"{method}_seconds"], 1), flush=True)
        rows.append(row)
    write_json(
        "imputation-mnist.json",
        {"machine": machine_info(), "n_train": n_train, "n_test": n_test, "budget_seconds": budget_seconds, "rows": rows},
    )


# ---- report --------------------------------------------------------------------------------


def _fmt(values: list[float], digits: int = 3) -> str:
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


class Ranking(NamedTuple):
    """Methods ranked by mean RMSE in each (dataset, mask) cell."""

    cells: list[tuple[dict, str, list[dict], dict[str, float], str]]  # (result, mask, rows, mean RMSE per method, best)
    ranks: dict[str, list[int]]  # per method, its rank in each cell (1 = lowest RMSE)
    wins: dict[str, int]  # cells won
    dataset_wins: dict[str, int]  # datasets won on the mean RMSE over their cells


def rank_cells(results: list[dict], methods: tuple[str, ...], keep=lambda row: True) -> Ranking:
    """Rank `methods` in every (dataset, mask) cell on the rows that `keep` accepts; cells with
    no such row are left out."""
    ranking = Ranking([], {m: [] for m in methods}, dict.fromkeys(methods, 0), dict.fromkeys(methods, 0))
    for res in results:
        dataset_means: dict[str, list[float]] = {m: [] for m in methods}
        for mask_name in MASKS:
            cell = [r for r in res["rows"] if r["mask"] == mask_name and keep(r)]
            if not cell:
                continue
            means = {m: float(np.mean([r[f"{m}_rmse"] for r in cell])) for m in methods}
            best = min(means, key=means.get)
            order = sorted(methods, key=means.get)
            for m in methods:
                ranking.ranks[m].append(order.index(m) + 1)
                dataset_means[m].append(means[m])
            ranking.wins[best] += 1
            ranking.cells.append((res, mask_name, cell, means, best))
        if dataset_means[methods[0]]:
            ranking.dataset_wins[min(methods, key=lambda m: np.mean(dataset_means[m]))] += 1
    return ranking


def mean_rows(ranking: Ranking, methods) -> list[list[str]]:
    """One table row per ranked cell: dataset, mask, the seeds it holds, and each method's mean
    RMSE (the lowest in bold)."""
    return [
        [res["dataset"], mask_name, ",".join(str(r["seed"]) for r in cell),
         *[f"**{means[m]:.3f}**" if m == best else f"{means[m]:.3f}" for m in methods]]
        for res, mask_name, cell, means, best in ranking.cells
    ]


EXTRA_NOTES = {
    "hyperimpute": (
        "HyperImpute 0.1.17 (`Imputers().get('hyperimpute', random_state=seed)`, its default iterative imputer with "
        "model search) ran in a separate environment (pandas 2.3.3, scikit-learn 1.6.1, the same torch and aekit), "
        "installed with `pip --no-deps` plus the dependencies it imports. It does not run in this project's own "
        "environment: under pandas 3.1 its chained assignments are silent no-ops (in a toy check its hyperimpute, ice "
        "and missforest imputers all returned plain mean imputation, the same RMSE as SimpleImputer), and under "
        "scikit-learn 1.9 it fails (LogisticRegression no longer takes `multi_class`). Command, in that environment: "
        "`python benchmarks/imputation.py tabular --methods hyperimpute [--first-seed K] --seeds N [--datasets ...]`."
    ),
}


OPTION_NOTES = {
    "aekit_before": (
        "aekit_before = the imputer's defaults before 2026-12-06 (`blend=None, max_epochs=300`: the autoencoders alone), "
        "beside aekit, today's defaults (`blend='auto'`, here the trees partner, and 100 epochs). aekit_before's numbers "
        "are those the table above showed as aekit until then (measured 2026-11-30, same seeds and masks). "
        "Command: `python benchmarks/imputation.py tabular --methods aekit`."
    ),
    "aekit_one_member": (
        "aekit with `n_members=1` (one autoencoder, the default before 2026-11-30) beside aekit_before (the defaults "
        "until 2026-12-06), which averages the reconstructions of 5 autoencoders trained side by side; both with "
        "`blend=None, max_epochs=300`. Same seeds and masks as above; **bold** = lowest of the columns shown. Command: "
        "`python benchmarks/imputation.py tabular --methods aekit_before,aekit_one_member` (both in the same run, so "
        "their seconds compare)."
    ),
    "aekit_missingness": (
        "aekit with `model_missingness=True` and `n_members=1` (with `blend=None, max_epochs=300`; an option, not the default; shown, not ranked: the mask "
        "kind is unknown to a user), beside aekit with `n_members=1`: each column with missing entries gets a binary "
        "indicator column that the autoencoder encodes and reconstructs with the data. Same seeds and masks as above; "
        "**bold** = lowest of the columns shown. Command: `python benchmarks/imputation.py tabular --methods aekit_missingness`."
    ),
}


def extra_methods_report(results: list[dict]) -> list[str]:
    """A table per extra method (EXTRA_METHODS) on the rows it ran on, beside the four methods
    on the same rows, with the mean rank among all five."""
    lines: list[str] = []
    for extra in EXTRA_METHODS:
        done = [res for res in results if any(f"{extra}_rmse" in r for r in res["rows"])]
        if not done:
            continue
        methods = (*METHODS, extra)
        ranking = rank_cells(done, methods, keep=lambda r, extra=extra: f"{extra}_rmse" in r)
        ranks, wins, dataset_wins, cells = ranking.ranks, ranking.wins, ranking.dataset_wins, len(ranking.cells)
        table = [["dataset", "mask", "seeds", *methods], *mean_rows(ranking, methods)]
        summary = [["method", f"mean rank among {len(methods)}", "cells won", "datasets won (mean RMSE over the masks)"]]
        summary += [[m, f"{np.mean(ranks[m]):.2f}", f"{wins[m]} / {cells}", f"{dataset_wins[m]} / {len(done)}"] for m in methods]
        lines += [
            f"Beside {extra}: mean RMSE on the seeds it ran on (the other columns are the rows above, restricted to those seeds). "
            + EXTRA_NOTES.get(extra, ""),
            "",
            markdown_table(table),
            "",
            markdown_table(summary),
            "",
        ]
        best = min(methods, key=lambda m: np.mean(ranks[m]))
        lines += [
            f"Target with {extra} in the field, on these rows: best mean rank **{'met' if best == 'aekit' else 'missed'}** "
            f"(aekit {np.mean(ranks['aekit']):.2f}; best {best} {np.mean(ranks[best]):.2f}); most datasets won: "
            f"**{'met' if dataset_wins['aekit'] > len(done) / 2 else 'missed'}** (aekit {dataset_wins['aekit']} of {len(done)}, "
            f"{extra} {dataset_wins[extra]}). Mean RMSE ties go to the method listed first.",
            "",
        ]
    return lines


def option_report(results: list[dict]) -> list[str]:
    """aekit with each OPTION_METHODS option beside its OPTION_BASELINE, per cell (and HyperImpute
    where it ran on the same rows): shown, not ranked, since a user cannot know the mask kind."""
    lines: list[str] = []
    for option in OPTION_METHODS:
        base = OPTION_BASELINE[option]
        done = [res for res in results if any(f"{option}_rmse" in r and f"{base}_rmse" in r for r in res["rows"])]
        if not done:
            continue
        keep = lambda r, option=option, base=base: f"{option}_rmse" in r and f"{base}_rmse" in r  # noqa: E731
        others = [base, option] + [m for m in EXTRA_METHODS if all(f"{m}_rmse" in r for res in done for r in res["rows"] if keep(r))]
        ranking = rank_cells(done, tuple(others), keep=keep)
        table = [["dataset", "mask", "seeds", *others], *mean_rows(ranking, others)]
        lower = {mask_name: [] for mask_name in MASKS}
        below = {m: {mask_name: 0 for mask_name in MASKS} for m in others[2:]}
        for _, mask_name, _, means, _ in ranking.cells:
            lower[mask_name].append(means[option] / means[base] - 1)
            for m in others[2:]:
                below[m][mask_name] += means[option] < means[m]
        summary = [["mask", "cells", f"{option} below {base}", "mean change of RMSE", *[f"{option} below {m}" for m in others[2:]]]]
        for mask_name, changes in lower.items():
            if changes:
                summary.append([mask_name, str(len(changes)), str(sum(c < 0 for c in changes)), f"{100 * np.mean(changes):+.1f}%",
                                *[str(below[m][mask_name]) for m in others[2:]]])
        machines = done[0].get("machines", {})
        info = machines.get(option)
        measured = f" Measured {info['date'][:10]} on {info['cpu_model']}, 1 thread." if info else ""
        lines += [OPTION_NOTES[option] + measured, "", markdown_table(table), "", markdown_table(summary), ""]
        same_run = all(res.get("machines", {}).get(option, {}).get("date") == res.get("machines", {}).get(base, {}).get("date") for res in done)
        if same_run:
            seconds = {m: sum(r[f"{m}_seconds"] for res in done for r in res["rows"] if keep(r)) for m in (base, option)}
            lines += [f"Seconds to fit and fill, summed over these cells (same run): {base} {seconds[base]:,.0f}, {option} "
                      f"{seconds[option]:,.0f} ({seconds[base] / seconds[option]:.2f}x).", ""]
    return lines


def field_results() -> list[dict]:
    """The field part's results per set, rows of its parallel runs (imputation-field*-<set>.json)
    merged by (seed, mask)."""
    merged: dict[str, dict] = {}
    for path in sorted(RESULTS_DIR.glob("imputation-field*.json")):
        res = json.loads(path.read_text())
        into = merged.setdefault(res["dataset"], {"dataset": res["dataset"], "n_total": res["n_total"], "rows": {}, "machines": {}})
        into["machines"].update(res.get("machines", {}))
        for row in res["rows"]:
            into["rows"].setdefault((row["seed"], row["mask"]), {}).update(row)
    return [{**res, "rows": sorted(res["rows"].values(), key=lambda r: (r["seed"], list(MASKS).index(r["mask"])))}
            for res in merged.values()]


def _cpu(rows: list[dict], method: str) -> float:
    return sum(r[f"{method}_cpu_seconds"] for r in rows)


BEFORE_NOTE = (
    "The largest change, breast_cancer mar30 seed 0 (+6.6%), is not the stacking: the main branch of 2026-12-06 (members "
    "trained in a loop) gave 0.522 on that cell against 0.523 stacked, and `n_members=1`, whose code the stacking does not "
    "touch, gave 0.557 in both against the table's 0.528 (measured 2026-11-30 by older code)."
)


def batched_against_before(results: list[dict], main: list[dict]) -> list[str]:
    """aekit_before's RMSE in the field run (members stacked) beside the main table's (the same seeds
    and masks, members trained one after another), and its rank among the main table's mean, knn and iterative."""
    before = {(res["dataset"], r["seed"], r["mask"]): r for res in main for r in res["rows"]}
    changes, moved = [], 0
    for res in results:
        for r in res["rows"]:
            old = before.get((res["dataset"], r["seed"], r["mask"]))
            if old is None or "aekit_before_rmse" not in r or "aekit_before_rmse" not in old:
                continue
            changes.append(r["aekit_before_rmse"] / old["aekit_before_rmse"] - 1)
            others = [old[f"{m}_rmse"] for m in METHODS if m != "aekit"]
            moved += sum(v < r["aekit_before_rmse"] for v in others) != sum(v < old["aekit_before_rmse"] for v in others)
    if not changes:
        return []
    return [f"Stacked members against the loop they replaced (both with the defaults before 2026-12-06): aekit_before's RMSE "
            f"in the field run against the main table's on the "
            f"same {len(changes)} cells (same seed, subsample and mask): mean change {100 * np.mean(changes):+.1f}% "
            f"(from {100 * min(changes):+.1f}% to {100 * max(changes):+.1f}%); its rank among mean, knn and iterative "
            f"changed in {moved} of {len(changes)} cells. {BEFORE_NOTE}", ""]


def field_report(results: list[dict], main: list[dict]) -> list[str]:
    """missForest and the aekit variants: RMSE per cell, each variant's mean rank among the
    baselines on the cells it ran in (beside the default's on those cells), its CPU time beside
    missForest's, and the 5-member ensemble's time beside one member's."""
    variants = [m for m in ("aekit", *VARIANTS) if m != "aekit_one_member"]
    ran = [m for m in variants if any(f"{m}_rmse" in r for res in results for r in res["rows"])]
    base = (*FIELD_BASELINES, "aekit")
    keep = lambda r: all(f"{m}_rmse" in r for m in base)  # noqa: E731
    done = [res for res in results if any(keep(r) for r in res["rows"])]
    if not done:
        return []
    ranking = rank_cells(done, base, keep=keep)
    rows = [r for res in done for r in res["rows"] if keep(r)]
    dates = sorted({info["date"][:10] for res in done for info in res["machines"].values()})
    table = [["dataset", "mask", "seeds", *base, *ran[1:]]]
    for (res, mask_name, cell, means, best), line in zip(ranking.cells, mean_rows(ranking, base)):
        extra = [f"{np.mean([r[f'{v}_rmse'] for r in cell]):.3f}" if all(f"{v}_rmse" in r for r in cell) else "-" for v in ran[1:]]
        table.append([*line, *extra])
    lines = [
        "### Beside missForest (`python benchmarks/imputation.py field`)",
        "",
        f"Measured {', '.join(dates)} on {done[0]['machines'][base[0]]['cpu_model']}, 1 thread per method, on a host shared "
        "with other jobs (load average 2 to 14 on 2 cores during the runs), so wall seconds are not comparable; seconds below are each "
        "fit_transform's CPU time (`time.process_time`). Same subsamples and masks as the table above (same seeds), "
        f"sets {', '.join(res['dataset'] for res in done)}, masks {', '.join(sorted({r['mask'] for r in rows}, key=list(MASKS).index))}, "
        f"seeds {', '.join(sorted({str(r['seed']) for r in rows}))} (a subset: on this shared host the forests took minutes of wall "
        f"time per cell). missforest = `IterativeImputer(estimator=ExtraTreesRegressor(n_estimators={FOREST_TREES}, max_features='sqrt'), "
        f"max_iter=10)`, missforest_rf the same with `RandomForestRegressor`; iterative_br20 = `IterativeImputer(max_iter=20)` "
        "(BayesianRidge); aekit = `AutoEncoderImputer(plausible_values='range')`, otherwise its defaults (since 2026-12-06 "
        "`blend='auto'`, which is the trees partner on these tables, and `max_epochs=100`); the variants, measured "
        "earlier, with their options in full (aekit_before = the defaults until 2026-12-06; its numbers were this table's "
        f"aekit column until then): {'; '.join(f'{m}: {VARIANTS[m]}' for m in ran if m in VARIANTS)}. **Bold** = lowest "
        "among the baselines and aekit; '-' = the variant did not run on that cell.",
        "",
        markdown_table(table),
        "",
    ]
    summary = [["aekit variant", "cells", f"its mean rank among {len(FIELD_BASELINES) + 1}", "the default's there",
                "best baseline's there", "cells won", "CPU s (sum)", "x missforest's CPU s"]]
    verdicts = []
    for variant in ran:
        has = lambda r, v=variant: keep(r) and f"{v}_rmse" in r  # noqa: E731
        cells = [r for r in rows if has(r)]
        alone = rank_cells(done, (*FIELD_BASELINES, variant), keep=has)
        default = rank_cells(done, base, keep=has)
        rank = {m: float(np.mean(alone.ranks[m])) for m in alone.ranks}
        best_other = min(FIELD_BASELINES, key=rank.get)
        ratio = _cpu(cells, variant) / _cpu(cells, "missforest")
        summary.append([variant, str(len(alone.cells)), f"{rank[variant]:.2f}", f"{np.mean(default.ranks['aekit']):.2f}",
                        f"{best_other} {rank[best_other]:.2f}", f"{alone.wins[variant]} / {len(alone.cells)}",
                        f"{_cpu(cells, variant):,.0f}", f"{ratio:.2f}"])
        first = rank[variant] < rank[best_other]
        verdicts.append(f"{variant}: best mean rank **{'met' if first else 'missed'}**, time <= 2x missforest "
                        f"**{'met' if ratio <= 2 else 'missed'}** ({ratio:.2f}x)")
    lines += [markdown_table(summary), "", "Targets (first on mean rank among the baselines, at no more than 2x missforest's "
              "CPU time): " + "; ".join(verdicts) + ". Baselines' CPU seconds (sum): "
              + ", ".join(f"{m} {_cpu(rows, m):,.0f}" for m in FIELD_BASELINES) + ".", ""]
    hundred = [r for r in rows if "missforest100_rmse" in r]
    if hundred:
        lines += [f"missforest100 (ExtraTrees at scikit-learn's default of 100 trees, otherwise as missforest) on the "
                  f"{len(hundred)} of these cells it ran in: RMSE {np.mean([r['missforest100_rmse'] for r in hundred]):.3f} against "
                  f"missforest's {np.mean([r['missforest_rmse'] for r in hundred]):.3f} (mean over the cells), CPU seconds "
                  f"{_cpu(hundred, 'missforest100'):,.1f} against {_cpu(hundred, 'missforest'):,.1f}; on these cells "
                  + ", ".join(f"{v} took {_cpu(both, v) / _cpu(both, 'missforest100'):.2f}x its CPU time ({len(both)} cells)"
                              for v in ran if (both := [r for r in hundred if f"{v}_cpu_seconds" in r])) + ".", ""]
    lines += batched_against_before(results, main)
    again = [r for r in rows if "missforest_again_cpu_seconds" in r and "aekit_cpu_seconds" in r]
    if again:
        same = sum(np.isclose(r["missforest_again_rmse"], r["missforest_rmse"]) for r in again)
        lines += [f"Same-run CPU check: missforest ran again right beside the new default aekit in the same process on "
                  f"{len(again)} cells (missforest_again; the same RMSE as the earlier missforest run in {same} of them): "
                  f"aekit {_cpu(again, 'aekit'):,.1f} CPU s against missforest_again {_cpu(again, 'missforest_again'):,.1f}, "
                  f"**{_cpu(again, 'aekit') / _cpu(again, 'missforest_again'):.2f}x** (against the earlier missforest run's "
                  f"{_cpu(again, 'missforest'):,.1f}: {_cpu(again, 'aekit') / _cpu(again, 'missforest'):.2f}x).", ""]
    pairs = [r for res in results for r in res["rows"] if "aekit_before_cpu_seconds" in r and "aekit_one_member_cpu_seconds" in r]
    if pairs:
        five, one = _cpu(pairs, "aekit_before"), _cpu(pairs, "aekit_one_member")
        walls = sum(r["aekit_before_seconds"] for r in pairs) / sum(r["aekit_one_member_seconds"] for r in pairs)
        lines += [f"Batched ensemble (both with the defaults before 2026-12-06, aekit_before): `n_members=5` (the default) "
                  "against `n_members=1`, one after the other in each of "
                  f"{len(pairs)} cells of the same run: CPU seconds {five:,.1f} against {one:,.1f}, **{five / one:.2f}x** "
                  f"(target <= 1.6x: **{'met' if five / one <= 1.6 else 'missed'}**; wall-clock {walls:.2f}x under the shared "
                  "load). Before the members were stacked, the same comparison on all 140 cells gave 3.59x (wall, above).", ""]
    return lines


def report() -> None:
    files = sorted(RESULTS_DIR.glob("imputation-tabular-*.json"))
    results = [json.loads(p.read_text()) for p in files]
    merged = {"tabular": results}
    lines = [HEADING, ""]
    if results:
        info = results[0]["machine"]
        by_run: dict[str, list[str]] = {}
        for method, m_info in results[0].get("machines", {}).items():
            by_run.setdefault(f"{m_info['date'][:10]} on {m_info['cpu_model']}", []).append(method)
        runs = "; ".join(f"{', '.join(methods)}: {run}" for run, methods in by_run.items())
        lines += [machine_line(info) + " Every method ran with 1 BLAS/torch thread." + (f" Measured per method: {runs}." if len(by_run) > 1 else ""), "", "Command: `python benchmarks/imputation.py tabular && python benchmarks/imputation.py mnist && python benchmarks/imputation.py report`", ""]
        lines += [
            "RMSE over the masked entries of the standardised data (mean ± std over seeds; lower is better; **bold** = lowest mean). "
            "aekit = `AutoEncoderImputer(random_state=seed)` with its defaults (5 autoencoders averaged, `n_members=5`, since 2026-11-30; "
            "blended per column with a missForest-style partner, `blend='auto'`, and 100 epochs instead of 300, since 2026-12-06: "
            "the autoencoders alone, aekit_before below, ranked behind missForest in the field part; "
            "on these standardised tables the default `plausible_values=True` only clipped to the observed range, which the script now "
            "asks for by name, `plausible_values='range'`, since the default also snaps columns with at most 10 levels); baselines: `SimpleImputer()` (mean), "
            "`KNNImputer(n_neighbors=5)`, `IterativeImputer(max_iter=10)` (BayesianRidge). Masks: MCAR 20%/50%; MAR 30% "
            "(30% of the columns always observed, the others missing through a logistic model of them); MNAR 30% "
            "(each entry missing with probability sigmoid(2x + b_j): self-masking of large values). Transductive: each imputer "
            "is fitted on the masked table and fills it. The imputer's defaults (corruption_level, refinement, epochs, width) "
            "were chosen in short trials on breast_cancer, energy, letter, wine_quality_red and spam at 20% MCAR (seed 0), "
            "so they were tuned on these same tables; `n_members=5` was chosen from a trial on the seed-5 and seed-6 splits "
            "(not among the seeds below) of all seven tables and four masks, where averaging 3 and 5 separately fitted "
            "imputers lowered the RMSE by 2.4% and 2.9% on average (56 cells); the trees blend with 100 epochs was chosen on "
            "the field part's seed-0 cells (20% MCAR, 30% MAR and 30% MNAR of all seven tables, so on these same tables and "
            "seed); the baselines ran with scikit-learn's defaults.",
            "",
        ]
        ranking = rank_cells(results, METHODS)
        ranks, wins, per_dataset_wins, cell_count = ranking.ranks, ranking.wins, ranking.dataset_wins, len(ranking.cells)
        table = [["dataset", "rows used", "mask", *METHODS]]
        for res, mask_name, cell, _, best in ranking.cells:
            cells = [
                (f"**{_fmt([r[f'{m}_rmse'] for r in cell])}**" if m == best else _fmt([r[f"{m}_rmse"] for r in cell]))
                for m in METHODS
            ]
            n_used = res["rows"][0]["n"]
            rows_note = f"{n_used} of {res['n_total']}" if n_used < res["n_total"] else str(n_used)
            table.append([res["dataset"], rows_note, f"{mask_name} ({len(cell)} seeds)", *cells])
        lines += [markdown_table(table), ""]
        summary = [["method", "mean rank (1 = best)", "cells won", "datasets won (mean RMSE over the 4 masks)"]]
        summary += [[m, f"{np.mean(ranks[m]):.2f}", f"{wins[m]} / {cell_count}", f"{per_dataset_wins[m]} / {len(results)}"] for m in METHODS]
        lines += [markdown_table(summary), ""]
        best_rank = min(METHODS, key=lambda m: np.mean(ranks[m]))
        most = max(per_dataset_wins, key=per_dataset_wins.get)
        lines += [
            f"Target (lowest mean RMSE on most datasets and best mean rank): best mean rank **{'met' if best_rank == 'aekit' else 'missed'}** "
            f"(aekit {np.mean(ranks['aekit']):.2f}, best {best_rank} {np.mean(ranks[best_rank]):.2f}); most datasets won: "
            f"**{'met' if most == 'aekit' and per_dataset_wins['aekit'] > len(results) / 2 else 'missed'}** "
            f"(aekit wins {per_dataset_wins['aekit']} of {len(results)}).",
            "",
        ]
        lines += extra_methods_report(results)
        lines += option_report(results)
        lines += field_report(field_results(), results)
        down = [["dataset", "metric", "mask", "complete data", *METHODS]]
        for res in results:
            rows = res["rows"]
            if "aekit_downstream" not in rows[0]:
                continue
            metric = "accuracy" if res["dataset"] in CLASSIFICATION else "R^2"
            complete = [r["downstream_complete"] for r in rows if "downstream_complete" in r]
            for mask_name in MASKS:
                cell = [r for r in rows if r["mask"] == mask_name]
                down.append([res["dataset"], metric, mask_name, f"{np.mean(complete):.3f}", *[f"{np.mean([r[f'{m}_downstream'] for r in cell]):.3f}" for m in METHODS]])
        lines += [
            "Downstream: the imputed (standardised) table, 70/30 split per seed, `LogisticRegression` accuracy "
            "(classification targets) or `RidgeCV` R^2 (regression targets); mean over seeds; 'complete data' is the "
            "same model on the table before masking.",
            "",
            markdown_table(down),
            "",
        ]
        seconds = [["method", *[res["dataset"] for res in results]]]
        seconds += [[m, *[f"{np.mean([r[f'{m}_seconds'] for r in res['rows']]):.1f}" for res in results]] for m in METHODS]
        lines += ["Mean seconds per fit_transform (1 thread, shared machine):", "", markdown_table(seconds), ""]
    mnist_path = RESULTS_DIR / "imputation-mnist.json"
    if mnist_path.exists():
        mn = json.loads(mnist_path.read_text())
        merged["mnist"] = mn
        lines += [
            f"MNIST missing pixels ({mn['machine']['date']}): imputers fitted on {mn['n_train']} masked training images "
            f"(IterativeImputer on 2,000 of them, `max_iter=5, n_nearest_features=30`; KNNImputer and IterativeImputer are "
            f"stopped after {mn['budget_seconds']:.0f} s and skipped on later masks once stopped), applied to {mn['n_test']} masked test "
            "images; one seed. aekit = `AutoEncoderImputer(scale=False, hidden_dims=(512,), latent_dim=128, batch_size=128, max_epochs=40, n_members=1)` (one autoencoder: this run predates the 5-member default). "
            "RMSE over the missing pixels (pixels in [0, 1]) and mean SSIM of the whole 28x28 images (Gaussian window, sigma 1.5); "
            "'half' = one of the four halves of each image missing.",
            "",
        ]
        table = [["mask", *[f"{m} RMSE" for m in METHODS], *[f"{m} SSIM" for m in METHODS]]]
        for row in mn["rows"]:
            get = lambda key: f"{row[key]:.4f}" if key in row else f"> {mn['budget_seconds']:.0f} s"  # noqa: E731
            table.append([row["mode"], *[get(f"{m}_rmse") for m in METHODS], *[get(f"{m}_ssim") for m in METHODS]])
        lines += [markdown_table(table), ""]
        secs = [["mask", *METHODS]] + [[row["mode"], *[f"{row[f'{m}_seconds']:.0f}" if f"{m}_seconds" in row else "-" for m in METHODS]] for row in mn["rows"]]
        lines += ["Seconds (fit + transform):", "", markdown_table(secs), ""]
        verdicts = []
        for row in mn["rows"]:
            done = [m for m in METHODS if f"{m}_rmse" in row]
            best_rmse = min(done, key=lambda m: row[f"{m}_rmse"])
            best_ssim = max(done, key=lambda m: row[f"{m}_ssim"])
            verdicts.append(f"{row['mode']}: lowest RMSE {best_rmse}, highest SSIM {best_ssim}")
        lines += ["Per mask: " + "; ".join(verdicts) + ". Outputs are not clipped to [0, 1] for any method.", ""]
    lines += [
        "Not compared: MIDASpy 1.2.3 needs TensorFlow and tensorflow-addons, whose metadata limits it to TensorFlow "
        "2.13-2.15; installing such a TensorFlow next to the project's numpy 2.4 and torch was not attempted. "
        "Multiple imputation here is by stochastic denoising-autoencoder draws (`sample_imputations`); its calibration is "
        "not benchmarked. The downstream test rows were imputed in the same transductive fit (their labels were never seen).",
        "",
        "Raw numbers: `benchmarks/results/imputation.json` (merged) and `benchmarks/results/imputation-*.json`.",
    ]
    write_json("imputation.json", merged)
    update_markdown_section(HEADING, "\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("part", choices=["tabular", "field", "mnist", "report"])
    parser.add_argument("--datasets", default=None, help="comma-separated tabular sets (default: all)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0, help="tabular: run seeds first-seed .. seeds-1 (with --methods, to extend an earlier run)")
    parser.add_argument("--max-rows", type=int, default=2000, help="subsample larger tabular sets to this many rows")
    parser.add_argument("--methods", default=None, help=f"tabular: comma-separated subset of {','.join(METHODS + EXTRA_METHODS + OPTION_METHODS)}; "
                        f"field: of {','.join(FIELD_METHODS)}")
    parser.add_argument("--tag", default="", help="field only: results go to imputation-field<tag>-<set>.json, so runs in parallel "
                        "write separate files (the report merges them row by row)")
    parser.add_argument("--masks", default=",".join(FIELD_MASKS), help=f"field only: comma-separated subset of {','.join(MASKS)}")
    parser.add_argument("--n-train", type=int, default=10000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--budget-seconds", type=float, default=600.0, help="time budget per baseline on MNIST")
    args = parser.parse_args(argv)
    if not SHARED_DATA.is_dir():
        print(f"no data folder at {SHARED_DATA}", file=sys.stderr)
        return 1
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    with threadpool_limits(1):
        if args.part == "tabular":
            names = args.datasets.split(",") if args.datasets else sorted(p.stem for p in TABULAR.glob("*.npz"))
            methods = tuple(args.methods.split(",")) if args.methods else METHODS
            unknown = set(methods) - set(METHODS + EXTRA_METHODS + OPTION_METHODS)
            if unknown:
                parser.error(f"--methods: unknown {sorted(unknown)}; choose from {METHODS + EXTRA_METHODS + OPTION_METHODS}")
            run_tabular(names, args.seeds, args.max_rows, methods, args.first_seed)
        elif args.part == "field":
            names = args.datasets.split(",") if args.datasets else sorted(p.stem for p in TABULAR.glob("*.npz"))
            methods = tuple(args.methods.split(",")) if args.methods else FIELD_METHODS
            masks = tuple(args.masks.split(","))
            unknown = (set(methods) - set(FIELD_METHODS)) | (set(masks) - set(MASKS))
            if unknown:
                parser.error(f"--methods/--masks: unknown {sorted(unknown)}; methods {FIELD_METHODS}, masks {tuple(MASKS)}")
            run_tabular(names, args.seeds, args.max_rows, methods, args.first_seed, part=f"field{args.tag}", masks=masks)
        elif args.part == "mnist":
            run_mnist(args.n_train, args.n_test, args.budget_seconds)
        else:
            report()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
