"""Did a refactor move a quality figure? This code against an earlier commit, on a subset, in one run.

Each version (the earlier commit's `src/`, exported with `git archive`, and this checkout's) runs in
its own child process with 1 torch thread, on the same seeds and splits:

  digits    the demo's model (latent_dim=2, 256-64 hidden, BCE, batch 64, 150 epochs) on a 25%
            stratified hold-out of scikit-learn's digits: held-out MSE and 5-NN accuracy of the codes,
            beside PCA with 2 components.
  impute    `AutoEncoderImputer(random_state=seed)` (the defaults) as in benchmarks/imputation.py,
            on diabetes, energy and breast_cancer, MCAR 20% and MAR 30%: RMSE on the masked entries,
            and aekit's rank among the mean/kNN/iterative baselines stored in
            benchmarks/results/imputation-tabular-*.json for the same seed and mask.
  outliers  `StandardScaler + AutoEncoderOutlierDetector(random_state=seed)` as in
            benchmarks/outliers.py on five ADBench sets: ROC AUC and AP, and the rank among the
            IsolationForest/LOF/OneClassSVM/PCA numbers stored for the same split.

A figure is "unchanged within noise" when the two versions' means differ by less than the spread
(standard deviation) over seeds of the earlier version.

Usage:  .venv/bin/python benchmarks/recheck.py --baseline e359227 [--after COMMIT] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADING = "## Refactor check (benchmarks/recheck.py)"
IMPUTE_SETS = ("diabetes", "energy", "breast_cancer")
IMPUTE_MASKS = ("mcar20", "mar30")
IMPUTE_BASELINES = ("mean", "knn", "iterative")
OUTLIER_SETS = ("4_breastw", "18_Ionosphere", "29_Pima", "42_WBC", "2_annthyroid")
OUTLIER_BASELINES = ("iforest", "lof", "ocsvm", "pca")


def _rank(value: float, others: list[float], lower_is_better: bool) -> int:
    better = [o for o in others if (o < value if lower_is_better else o > value)]
    return 1 + len(better)


def worker(seeds: int) -> dict:
    """Every figure for the aekit importable here; runs inside the child process."""
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import aekit
    from aekit import AutoEncoder, AutoEncoderImputer, AutoEncoderOutlierDetector
    try:
        from aekit.analysis.metrics import masked_rmse
    except ImportError:  # a version from before the packages (commit bab5e4b)
        from aekit.metrics import masked_rmse
    from imputation import MASKS, TABULAR, make_mask
    from outliers import ANOMALY

    torch.set_num_threads(1)
    out: dict = {"aekit_file": aekit.__file__, "digits": [], "impute": [], "outliers": []}

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
        ae = AutoEncoder(latent_dim=2, hidden_dims=(256, 64), loss="bce", batch_size=64, max_epochs=150, random_state=seed).fit(X_tr)
        pca = PCA(2, random_state=seed).fit(X_tr)
        knn = lambda A, B: float(KNeighborsClassifier(5).fit(A, y_tr).score(B, y_te))  # noqa: E731
        out["digits"].append({
            "seed": seed,
            "ae_mse": float(np.mean((ae.inverse_transform(ae.transform(X_te)) - X_te) ** 2)),
            "pca_mse": float(np.mean((pca.inverse_transform(pca.transform(X_te)) - X_te) ** 2)),
            "ae_knn": knn(ae.transform(X_tr), ae.transform(X_te)),
            "pca_knn": knn(pca.transform(X_tr), pca.transform(X_te)),
        })
        print("digits", out["digits"][-1], flush=True)

    for name in IMPUTE_SETS:
        data = np.load(TABULAR / f"{name}.npz", allow_pickle=False)
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            Xs = data["X"]
            std = Xs.std(axis=0)
            Xs = (Xs - Xs.mean(axis=0)) / np.where(std > 0, std, 1.0)
            for mask_name, (kind, rate) in MASKS.items():
                mask = make_mask(Xs, kind, rate, rng)
                mask[mask.all(axis=1), 0] = False
                if mask_name not in IMPUTE_MASKS:
                    continue
                X_hat = AutoEncoderImputer(random_state=seed).fit_transform(np.where(mask, np.nan, Xs))
                out["impute"].append({"dataset": name, "seed": seed, "mask": mask_name, "rmse": masked_rmse(Xs, X_hat, mask)})
                print("impute", out["impute"][-1], flush=True)

    for name in OUTLIER_SETS:
        data = np.load(ANOMALY / f"{name}.npz", allow_pickle=False)
        Xa, ya = data["X"].astype(np.float64), data["y"].astype(int)
        for seed in range(seeds):
            X_tr, X_te, _, y_te = train_test_split(Xa, ya, test_size=0.3, stratify=ya, random_state=seed)
            if len(X_tr) > 5000:
                X_tr = X_tr[np.random.default_rng(seed).choice(len(X_tr), 5000, replace=False)]
            det = make_pipeline(StandardScaler(), AutoEncoderOutlierDetector(random_state=seed)).fit(X_tr)
            scores = -det.score_samples(X_te)
            out["outliers"].append({"dataset": name, "seed": seed, "auc": float(roc_auc_score(y_te, scores)),
                                    "ap": float(average_precision_score(y_te, scores))})
            print("outliers", out["outliers"][-1], flush=True)
    return out


def run_version(src: Path, seeds: int, log: Path) -> dict:
    """Run `worker` in a child process that imports aekit from `src` and the benchmark modules it
    borrows (masks, data paths) from the `benchmarks/` beside it, so each matches its version."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(src.parent / "benchmarks")]), "OMP_NUM_THREADS": "1"}
    with tempfile.NamedTemporaryFile(suffix=".json") as result, log.open("a") as log_file:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", result.name, "--seeds", str(seeds)],
                       env=env, check=True, stdout=log_file, stderr=subprocess.STDOUT)
        return json.loads(Path(result.name).read_text())


def export_src(ref: str, into: Path) -> Path:
    """The `src/` folder of commit `ref` (and its `benchmarks/` beside it), written under `into`."""
    into.mkdir(parents=True, exist_ok=True)
    archive = into / "src.tar"
    subprocess.run(["git", "-C", str(HERE.parent), "archive", "--format=tar", "-o", str(archive), ref, "src", "benchmarks"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _stored(kind: str, name: str) -> dict:
    from common import RESULTS_DIR

    prefix = "imputation-tabular" if kind == "impute" else "outliers-tabular"
    rows = json.loads((RESULTS_DIR / f"{prefix}-{name}.json").read_text())["rows"]
    return {(r["seed"], r.get("mask")): r for r in rows}


def compare(old: dict, new: dict) -> dict:
    """Per figure: both versions' mean over seeds, the earlier one's spread, and whether the gap is within it."""
    def summary(label: str, a: list[float], b: list[float], lower_is_better: bool) -> dict:
        spread = statistics.stdev(a) if len(a) > 1 else 0.0
        gap = statistics.mean(b) - statistics.mean(a)
        return {"figure": label, "before": statistics.mean(a), "after": statistics.mean(b), "spread": spread,
                "gap": gap, "within_noise": abs(gap) <= spread, "identical": a == b, "lower_is_better": lower_is_better}

    rows = []
    for key, lower in (("ae_mse", True), ("pca_mse", True), ("ae_knn", False), ("pca_knn", False)):
        rows.append(summary(f"digits {key}", [r[key] for r in old["digits"]], [r[key] for r in new["digits"]], lower))
    for name in IMPUTE_SETS:
        stored = _stored("impute", name)
        for mask in IMPUTE_MASKS:
            pick = lambda v: [r for r in v["impute"] if r["dataset"] == name and r["mask"] == mask]  # noqa: E731
            a, b = pick(old), pick(new)
            rows.append(summary(f"impute {name} {mask} rmse", [r["rmse"] for r in a], [r["rmse"] for r in b], True))
            for label, version in (("before", a), ("after", b)):
                rows[-1][f"rank_{label}"] = statistics.mean(
                    _rank(r["rmse"], [stored[(r["seed"], mask)][f"{m}_rmse"] for m in IMPUTE_BASELINES], True) for r in version)
    for name in OUTLIER_SETS:
        stored = _stored("outliers", name)
        pick = lambda v: [r for r in v["outliers"] if r["dataset"] == name]  # noqa: E731
        a, b = pick(old), pick(new)
        for metric in ("auc", "ap"):
            rows.append(summary(f"outliers {name} {metric}", [r[metric] for r in a], [r[metric] for r in b], False))
            for label, version in (("before", a), ("after", b)):
                rows[-1][f"rank_{label}"] = statistics.mean(
                    _rank(r[metric], [stored[(r["seed"], None)][f"{m}_{metric}"] for m in OUTLIER_BASELINES], False) for r in version)
    return {"rows": rows}


def report(payload: dict) -> str:
    from common import machine_line, markdown_table

    table = [["figure", "before (mean)", "after (mean)", "gap", "spread over seeds (before)", "within noise", "rank before", "rank after"]]
    for r in payload["rows"]:
        rank = lambda k: f"{r[k]:.2f}" if k in r else ""  # noqa: E731
        table.append([r["figure"], f"{r['before']:.4f}", f"{r['after']:.4f}", f"{r['gap']:+.4f}", f"{r['spread']:.4f}",
                      "identical" if r["identical"] else ("yes" if r["within_noise"] else "**no**"), rank("rank_before"), rank("rank_after")])
    moved = [r["figure"] for r in payload["rows"] if not r["within_noise"]]
    return "\n".join([
        HEADING, "",
        machine_line(payload["machine"]) + f" Each version ran in its own process, one after the other, with 1 torch thread.", "",
        "```", f".venv/bin/python benchmarks/recheck.py --baseline {payload['baseline']} --after {payload['head']} --seeds {payload['seeds']}", "```", "",
        f"Before = commit `{payload['baseline']}`, after = `{payload['head']}`; {payload['seeds']} seeds each (the same splits, masks "
        "and model seeds). Ranks are aekit's place among the baselines stored for the same seed and split (imputation: mean, "
        "kNN, iterative; outliers: IsolationForest, LOF, OneClassSVM, PCA), averaged over seeds. Within noise = the gap between the "
        "means is at most the standard deviation over seeds before.", "",
        markdown_table(table), "",
        ("Every figure is within noise." if not moved else "Moved beyond noise: " + ", ".join(moved) + "."), "",
        "Raw numbers: `benchmarks/results/recheck.json`.", "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="e359227", help="the earlier commit (default: the last before the one-house refactor)")
    parser.add_argument("--after", default=None, help="the later commit (default: this checkout's src/)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        sys.path.remove(str(HERE))  # the script's folder: the version's own benchmarks/ come from PYTHONPATH
        Path(args.worker).write_text(json.dumps(worker(args.seeds)))
        return 0

    sys.path.insert(0, str(HERE))
    from common import RESULTS_DIR, machine_info, update_markdown_section, write_json

    git = lambda *a: subprocess.run(["git", "-C", str(HERE.parent), *a], check=True, capture_output=True, text=True).stdout.strip()  # noqa: E731
    log = RESULTS_DIR / "recheck.log"
    log.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "shared").symlink_to(HERE.parents[1] / "shared")  # an exported version's ../shared

        def figures(ref: str | None, name: str) -> dict:
            """A commit's figures (kept under results/recheck-cache/, so a later check reuses them),
            or this checkout's."""
            if ref is None:
                return run_version(HERE.parent / "src", args.seeds, log)
            cached = RESULTS_DIR / "recheck-cache" / f"{git('rev-parse', ref)}-seeds{args.seeds}.json"
            if not cached.exists():
                cached.parent.mkdir(exist_ok=True)
                cached.write_text(json.dumps(run_version(export_src(ref, Path(tmp) / name), args.seeds, log)))
            return json.loads(cached.read_text())

        old = figures(args.baseline, "before")
        new = figures(args.after, "after")
    payload = {"machine": machine_info(), "baseline": git("rev-parse", "--short", args.baseline),
               "head": git("rev-parse", "--short", args.after or "HEAD"),
               "seeds": args.seeds, "before": old, "after": new, **compare(old, new)}
    write_json("recheck.json", payload)
    section = report(payload)
    update_markdown_section(HEADING, section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
