"""Label-free thresholds: AutoEncoderOutlierDetector(contamination="auto") on the ADBench sets.

    python benchmarks/thresholds.py collect [--seeds 0-59] [--datasets 42_WBC,4_breastw]
    python benchmarks/thresholds.py pythresh [--seeds 0-9]   # pythresh's thresholders on the cached scores
    python benchmarks/thresholds.py report [--seeds 0-39] [--check-seeds 40-59]

`collect` fits one default detector per set and seed on the stratified 70/30 split of
benchmarks/outliers.py (training part subsampled to --max-train rows) and caches its training
and test anomaly scores (results/threshold-scores.json, not committed), with the test labels
and IsolationForest(contamination="auto")'s test flags. Every rule then sets its threshold
from the same training scores without labels: aekit's "auto" rule, the rules it replaced (the
generalized ESD test on raw scores; upper quartile + k interquartile ranges), the grid "auto"
was chosen from, the training part's true share (which a user does not know), and the
thresholders of pythresh. Measured on the test part: flagged / true anomalies
and F1; the target band is 0.5-2x on at least 8 of the 11 sets for every seed."""

from __future__ import annotations

import argparse
import itertools
import json
import sys

import numpy as np
from common import RESULTS_DIR, SHARED_DATA, machine_info, markdown_table, update_markdown_section, write_json
from sklearn.ensemble import IsolationForest
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from aekit import AutoEncoderOutlierDetector
from aekit.analysis.thresholds import (
    AUTO_ALPHA,
    AUTO_LEVEL_POWER,
    AUTO_LEVEL_ROWS,
    AUTO_MAX_SHARE,
    AUTO_SHIFT,
    _below_top,
    _esd_outliers,
    _log_esd_threshold,
    auto_threshold,
)

HEADING = "## Label-free thresholds (benchmarks/thresholds.py)"
ANOMALY = SHARED_DATA / "anomaly"
RESULT = "thresholds.json"
SCORES = "threshold-scores.json"  # cached training and test anomaly scores (not committed: several MB)


def split(X, y, seed: int, max_train: int):
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    if len(X_tr) > max_train:
        keep = np.random.default_rng(seed).choice(len(X_tr), max_train, replace=False)
        X_tr, y_tr = X_tr[keep], y_tr[keep]
    return X_tr, X_te, y_tr, y_te


def collect(names: list[str], seeds: list[int], max_train: int) -> None:
    """Fit one default detector per set and seed; cache its training and test anomaly scores,
    the test labels, and IsolationForest(contamination='auto')'s test flags, so that label-free
    rules can be compared on the same scores without refitting."""
    path = RESULTS_DIR / SCORES
    old = json.loads(path.read_text()) if path.exists() else {"rows": []}
    rows = [r for r in old["rows"] if not (r["dataset"] in names and r["seed"] in seeds)]
    for seed in seeds:
        for name in names:
            data = np.load(ANOMALY / f"{name}.npz", allow_pickle=False)
            X, y = data["X"].astype(np.float64), data["y"].astype(int)
            X_tr, X_te, y_tr, y_te = split(X, y, seed, max_train)
            detector = make_pipeline(StandardScaler(), AutoEncoderOutlierDetector(random_state=seed)).fit(X_tr)
            forest = IsolationForest(contamination="auto", random_state=seed).fit(X_tr)
            rows.append({
                "dataset": name, "seed": seed, "train_share": float(y_tr.mean()),
                "train": [float(f"{v:.6g}") for v in -detector.score_samples(X_tr)],
                "test": [float(f"{v:.6g}") for v in -detector.score_samples(X_te)],
                "y_test": y_te.tolist(), "iforest_auto": (forest.predict(X_te) == -1).astype(int).tolist(),
            })
            print(name, seed, flush=True)
            write_json(SCORES, {"machine": machine_info(), "max_train": max_train, "rows": rows})


PYTHRESH = ("AUCP", "BOOT", "CHAU", "CLF", "DECOMP", "DSN", "EB", "FGD", "FILTER", "FWFM", "GESD", "HIST", "IQR", "KARCH",
            "MAD", "MCST", "MIXMOD", "MOLL", "MTT", "OCSVM", "QMCD", "REGR", "WIND", "YJ", "ZSCORE")
# left out: GAMGMM (83 s) and VAE (25 s) on one set's 5,000 training scores; CLUST, CPD, META need packages pythresh
# does not install (pyclustering, ruptures, sklego)
PYTHRESH_RESULT = "thresholds-pythresh.json"


def pythresh_thresholds(train: np.ndarray, seed: int) -> dict:
    """{method: (threshold, seconds)} for each pythresh thresholder fitted on the training
    anomaly scores: the lowest training score it flags (inf when it flags none), applied to the
    test scores as any fitted threshold is."""
    import importlib
    import time
    import warnings

    out = {}
    for method in PYTHRESH:
        cls = getattr(importlib.import_module(f"pythresh.thresholds.{method.lower()}"), method)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kwargs = {"random_state": seed} if "random_state" in cls.__init__.__code__.co_varnames else {}
            labels = np.asarray(cls(**kwargs).fit(train).labels_, dtype=bool)
        seconds = time.perf_counter() - start
        out[method] = (float(train[labels].min()) if labels.any() else float("inf"), seconds)
    return out


def run_pythresh(seeds: list[int]) -> None:
    """pythresh's thresholds for every cached set of the given seeds (`collect` first)."""
    from importlib.metadata import version

    rows = [r for r in json.loads((RESULTS_DIR / SCORES).read_text())["rows"] if r["seed"] in seeds]
    found = []
    for row in rows:
        thresholds = pythresh_thresholds(np.asarray(row["train"]), row["seed"])
        found.append({"dataset": row["dataset"], "seed": row["seed"],
                      "thresholds": {m: t for m, (t, _) in thresholds.items()},
                      "seconds": {m: round(s, 3) for m, (_, s) in thresholds.items()}})
        print(row["dataset"], row["seed"], flush=True)
        write_json(PYTHRESH_RESULT, {"machine": machine_info(), "version": version("pythresh"), "rows": found})


FENCES = (1.5, 3.0, 6.0)
LOW, HIGH = 0.5, 2.0  # the target band of flagged / true anomalies
# the grid contamination='auto' was chosen from (on the tuning seeds): the generalized ESD test on
# log(score - lowest + shift * IQR) at `level` for up to `rows` scores and level * (rows / n) ** power beyond
# (0: the same level for any n), setting aside at most AUTO_MAX_SHARE, flagging at least `floor`
GRID = {"shift": (0.75, 1.0, 1.5), "level": (0.2, 0.3, 0.4), "rows": (250, 500, 1000), "floor": (0.02, 0.03),
        "power": (0.5, 0.75, 1.0)}
BEFORE = (1.0, 0.3, 500, 0.03, 0.5)  # the 'auto' rule before (2026-12-07): level 0.3 x sqrt(500 / n), shift 1 IQR
FIXED_LEVEL = (1.0, 0.2, 0, 0.03, 0.5)  # the 'auto' rule before the level shrank with n (2026-12-06)


def grid_keys() -> list[tuple]:
    return list(itertools.product(*GRID.values()))


def rule_thresholds(row: dict, pythresh: dict | None, grid: bool = False) -> dict:
    """{rule: threshold on the test anomaly scores} for one cached set and seed, every rule
    read off the same training scores (IsolationForest's flags are cached instead)."""
    train = np.asarray(row["train"])
    q1, q3 = np.percentile(train, [25, 75])
    truth = min(row["train_share"], 0.5)
    out = {"aekit_auto": auto_threshold(train), "aekit_true": float(np.percentile(train, 100 * (1 - truth))),
           "esd_raw": _below_top(train, _esd_outliers(train, 0.05, 0.5)),
           "auto_no_floor": _log_esd_threshold(train, AUTO_SHIFT, AUTO_ALPHA, AUTO_LEVEL_ROWS, 0.0, AUTO_LEVEL_POWER),
           "auto_before": _log_esd_threshold(train, *BEFORE), "auto_fixed_level": _log_esd_threshold(train, *FIXED_LEVEL)}
    out.update({f"fence_{k:g}": q3 + k * (q3 - q1) for k in FENCES})
    out.update({f"pythresh_{m}": t for m, t in (pythresh or {}).items()})
    if grid:
        out.update({f"grid_{'_'.join(f'{v:g}' for v in point)}": _log_esd_threshold(train, *point) for point in grid_keys()})
    return out


def measures(rows: list[dict], pythresh: dict, grid: bool = False) -> list[dict]:
    """Per set and seed, per rule: flagged / true anomalies on the test part, and F1."""
    out = []
    for row in rows:
        y, test = np.asarray(row["y_test"]), np.asarray(row["test"])
        flags = {k: test > t for k, t in rule_thresholds(row, pythresh.get((row["dataset"], row["seed"])), grid).items()}
        flags["iforest_auto"] = np.asarray(row["iforest_auto"], dtype=bool)
        out.append({"dataset": row["dataset"], "seed": row["seed"], "true_share": float(y.mean()),
                    **{k: {"ratio": float(f.mean() / y.mean()), "f1": float(f1_score(y, f, zero_division=0.0))}
                       for k, f in flags.items()}})
    return out


LABELS = {"aekit_auto": "aekit 'auto' (ESD on log scores, level shrinking with n, at least 3 %)",
          "auto_before": "ESD on log(score - lowest + IQR) at 0.3 x sqrt(500 / n), at least 3 % (the 'auto' rule before)",
          "auto_fixed_level": "ESD on log scores at level 0.2 for any n, at least 3 % (the rule before that)",
          "esd_raw": "generalized ESD on raw scores, 0.05 (an earlier rule)",
          "auto_no_floor": "aekit 'auto' without the 3 % floor", "fence_3": "Q3 + 3 IQR (the first rule)",
          "aekit_true": "aekit told the true share", "iforest_auto": "IsolationForest 'auto'",
          **{f"fence_{k:g}": f"Q3 + {k:g} IQR" for k in FENCES if k != 3}}


def label(key: str) -> str:
    return LABELS.get(key, f"pythresh {key.removeprefix('pythresh_')}")


def within(rows: list[dict], key: str, seed: int) -> int:
    return sum(LOW <= r[key]["ratio"] <= HIGH for r in rows if r["seed"] == seed and key in r)


def count_table(rows: list[dict], keys: list[str], seeds: list[int], per_seed: int = 10) -> str:
    """Per rule: the seeds with 8 or more sets within the band, the sets within it per seed (listed
    for up to `per_seed` seeds, else their spread), and the mean F1 over sets and seeds."""
    listed = len(seeds) <= per_seed
    table = [["rule", "seeds with 8 or more", *((f"seed {s}" for s in seeds) if listed else ["sets within, per seed"]),
              "fewest", "mean F1"]]

    def rank(key: str) -> tuple:
        counts = [within(rows, key, s) for s in seeds]
        return -sum(c >= 8 for c in counts), -min(counts), -np.mean([r[key]["f1"] for r in rows])

    for key in sorted(keys, key=rank):
        counts = [within(rows, key, s) for s in seeds]
        spread = map(str, counts) if listed else [", ".join(f"{v}: {counts.count(v)}" for v in sorted(set(counts), reverse=True))]
        table.append([label(key), f"{sum(c >= 8 for c in counts)} of {len(seeds)}", *spread, str(min(counts)),
                      f"{np.mean([r[key]['f1'] for r in rows]):.3f}"])
    return markdown_table(table)


def set_table(rows: list[dict], keys: list[str]) -> str:
    """Per set: the flagged / true ratio (mean and range over seeds) and F1 (mean), per rule."""
    names = sorted({r["dataset"] for r in rows}, key=lambda n: int(n.split("_")[0]))
    table = [["dataset", "true share", *(f"{label(k)}: flagged/true (min-max), F1" for k in keys)]]
    for name in names:
        mine = [r for r in rows if r["dataset"] == name]
        cells = []
        for key in keys:
            ratios = [r[key]["ratio"] for r in mine if key in r]
            cells.append(f"{np.mean(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}), {_mean_f1(mine, key):.3f}")
        table.append([name, f"{np.mean([r['true_share'] for r in mine]):.3f}", *cells])
    return markdown_table(table)


def grid_table(rows: list[dict], seeds: list[int], check: list[int], top: int) -> tuple[str, list[dict]]:
    """The GRID points ranked on `seeds` by the number of seeds with 8 or more sets within the band,
    then their fewest sets within it, then mean F1; the
    first `top` as a table with their check-seed figures, and every point as JSON rows."""
    points = []
    for point in grid_keys():
        key = f"grid_{'_'.join(f'{v:g}' for v in point)}"
        tune, held = [r for r in rows if r["seed"] in seeds], [r for r in rows if r["seed"] in check]
        points.append({**dict(zip(GRID, point)), "tuning": [within(tune, key, s) for s in seeds],
                       "check": [within(held, key, s) for s in check], "tuning_f1": _mean_f1(tune, key),
                       "check_f1": _mean_f1(held, key)})
    points.sort(key=lambda p: (-sum(c >= 8 for c in p["tuning"]), -min(p["tuning"]), -p["tuning_f1"]))
    table = [["shift (IQR)", "level", "level shrinks beyond (rows)", "floor", "power", f"seeds {seeds[0]}-{seeds[-1]}: 8 or more",
              "fewest", "mean F1", f"check seeds {check[0]}-{check[-1]}: 8 or more", "fewest", "mean F1"]]
    for p in points[:top]:
        table.append([f"{p['shift']:g}", f"{p['level']:g}", f"{p['rows']:g}" if p["rows"] else "never", f"{p['floor']:g}",
                      f"{p['power']:g}", f"{sum(c >= 8 for c in p['tuning'])} of {len(seeds)}", str(min(p["tuning"])),
                      f"{p['tuning_f1']:.3f}", f"{sum(c >= 8 for c in p['check'])} of {len(check)}", str(min(p["check"])),
                      f"{p['check_f1']:.3f}"])
    return markdown_table(table), points


def report(seeds: list[int], check: list[int]) -> None:
    cache = json.loads((RESULTS_DIR / SCORES).read_text())
    found = json.loads((RESULTS_DIR / PYTHRESH_RESULT).read_text())
    pythresh = {(r["dataset"], r["seed"]): r["thresholds"] for r in found["rows"]}
    seconds = {m: float(np.mean([r["seconds"][m] for r in found["rows"]])) for m in PYTHRESH}
    rows = [r for r in measures(cache["rows"], pythresh, grid=True) if r["seed"] in seeds + check]
    grid, points = grid_table(rows, seeds, check, top=12)
    rows = [{k: v for k, v in r.items() if not k.startswith("grid_")} for r in rows]
    write_json(RESULT, {"machine": cache["machine"], "pythresh_machine": found["machine"], "max_train": cache["max_train"],
                        "pythresh_seconds": seconds, "grid": points, "rows": rows})
    main_rows, check_rows = [r for r in rows if r["seed"] in seeds], [r for r in rows if r["seed"] in check]
    thresh_seeds = sorted({s for _, s in pythresh} & set(seeds + check))
    thresh_rows = [r for r in rows if r["seed"] in thresh_seeds]
    keys = ["aekit_auto", "auto_before", "auto_fixed_level", "esd_raw", "auto_no_floor", "fence_3", "aekit_true", "iforest_auto",
            *(f"fence_{k:g}" for k in FENCES if k != 3)]
    pythresh_keys = [f"pythresh_{m}" for m in PYTHRESH]
    best = sorted(pythresh_keys, key=lambda k: -min(within(thresh_rows, k, s) for s in thresh_seeds))[:2]
    every = seeds + check

    def counts(key: str) -> list[int]:
        return [within(rows, key, s) for s in every]

    def counted(key: str) -> str:
        c = counts(key)
        return (f"{min(c)}-{max(c)} (8 or more on {sum(v >= 8 for v in c[:len(seeds)])} of the {len(seeds)} tuning seeds "
                f"and {sum(v >= 8 for v in c[len(seeds):])} of the {len(check)} check seeds)")

    def f1s(key: str) -> str:
        return f"{_mean_f1(main_rows, key):.3f} / {_mean_f1(check_rows, key):.3f}"

    auto = counts("aekit_auto")
    met = min(auto) >= 8
    names = sorted({r["dataset"] for r in rows}, key=lambda n: int(n.split("_")[0]))
    misses = [n for n in names if sum(LOW <= r["aekit_auto"]["ratio"] <= HIGH for r in rows if r["dataset"] == n) < len(auto) / 2]
    chosen = (AUTO_SHIFT, AUTO_ALPHA, AUTO_LEVEL_ROWS, 0.03, AUTO_LEVEL_POWER)
    rank = next(i for i, p in enumerate(points) if tuple(p[k] for k in GRID) == chosen) + 1
    short = [f"seed {r['seed']} on {r['dataset']} ({r['aekit_auto']['ratio']:.2f}x)" for r in rows
             if r["dataset"] not in misses and not LOW <= r["aekit_auto"]["ratio"] <= HIGH and within(rows, "aekit_auto", r["seed"]) < 8]
    section = "\n".join([
        HEADING, "",
        f"Measured {cache['machine']['date']} (detectors, the last seeds collected) and {found['machine']['date']} (pythresh) "
        f"on {cache['machine']['cpu_model']}, one thread, shared machine. Commands: `python benchmarks/thresholds.py collect "
        f"--seeds {_seed_ranges(every)} && python benchmarks/thresholds.py pythresh --seeds {_seed_ranges(thresh_seeds)} && "
        f"python benchmarks/thresholds.py report --seeds {_seed_ranges(seeds)} --check-seeds {_seed_ranges(check)}` (pythresh "
        "from the `bench` extra: `pip install -e .[bench]`). Every seed was collected with "
        "the detector of the measuring day. The rule before (a level shrinking as the square root) was chosen on seeds 0-29 "
        "(checked on 30-39); the rule below was chosen on seeds 0-39 by the grid below and checked on seeds 40-59, first "
        "collected on 2026-12-07 and not looked at in the choice, and on seeds 60-79, first collected after the choice "
        "(2026-12-07, 23:23).", "",
        "The 11 ADBench sets of benchmarks/outliers.py, same stratified 70/30 splits (training part at most "
        f"{cache['max_train']} rows). Per set and seed one `make_pipeline(StandardScaler(), AutoEncoderOutlierDetector())` is "
        "fitted on the unlabelled training part; its training and test anomaly scores are cached, and every rule below sets "
        "a threshold from the *same training scores* (no labels) and flags the test rows above it. 'told the true share' "
        "thresholds at the training part's anomaly share (at most 0.5), which a user does not know. IsolationForest "
        "(contamination='auto') is fitted on the same training part. pythresh (PyOD's thresholding library, "
        f"{_pythresh_version(found)}) thresholders are fitted on the training scores of seeds {thresh_seeds[0]}-{thresh_seeds[-1]}; "
        "their threshold is the lowest training score they flag. Target (issue 33): flagged / true anomalies on the test part "
        f"within {LOW:g}-{HIGH:g}x on at least 8 of 11 sets for every seed.", "",
        f"**Result: target {'met' if met else 'missed'}"
        + ("" if met else f" on {sum(c < 8 for c in auto)} of {len(auto)} seeds") + ".** contamination='auto' is "
        f"Rosner's generalized extreme studentized deviate test (one-sided) on log(score - lowest score + {AUTO_SHIFT:g} "
        f"IQR), at level {AUTO_ALPHA:g} for up to {AUTO_LEVEL_ROWS} training scores and {AUTO_ALPHA:g} x ({AUTO_LEVEL_ROWS} / n)"
        f"{'' if AUTO_LEVEL_POWER == 1 else f' ** {AUTO_LEVEL_POWER:g}'} for n more, setting aside at most {AUTO_MAX_SHARE:.0%} of them, and flagging at least the top 3 % "
        f"(`aekit.analysis.thresholds.auto_threshold`): {counted('aekit_auto')} of 11 sets within the band, against "
        f"{counted('auto_before')} for the rule it replaces (shift 1 IQR, level 0.3 x sqrt(500 / n)), "
        f"{counted('auto_fixed_level')} for the rule before that (level 0.2 for any n), {counted('esd_raw')} for the "
        f"test on raw scores (level 0.05, at most half) and {counted('fence_3')} for the Q3 + 3 IQR fence. Mean F1 (tuning "
        f"seeds / check seeds): {f1s('aekit_auto')} for 'auto', {f1s('auto_before')} for the rule before, {f1s('esd_raw')} "
        f"for the raw-score test, {f1s('fence_3')} for the fence, {f1s('iforest_auto')} for IsolationForest 'auto' and "
        f"{f1s('aekit_true')} told the true share." + (f" Short of 8: {'; '.join(short)}." if short else ""), "",
        "Why the pieces: reconstruction errors are skewed, and on raw scores the test kept peeling a heavy upper tail "
        f"(mammography {_set_mean(rows, 'esd_raw', '23_mammography', 'ratio'):.2f}x the true number over the {len(auto)} seeds, "
        f"now {_set_mean(rows, 'aekit_auto', '23_mammography', 'ratio'):.2f}x). The log scores of normal rows still have a "
        "longer upper tail than the test's normal model, and with thousands of rows the test at a fixed level peeled into "
        f"it (shuttle up to {_set_max(rows, 'auto_fixed_level', '32_shuttle'):.2f}x with level 0.2 for any n, now up to "
        f"{_set_max(rows, 'aekit_auto', '32_shuttle'):.2f}x), hence the level shrinking with n (tests/test_explanations.py: "
        "5,000 scores with a skewed log tail and no outliers). On log scores the test finds almost nothing where the "
        f"anomalies sit in a long gradual tail (pendigits {_set_mean(rows, 'auto_no_floor', '28_pendigits', 'ratio'):.2f}x "
        f"without the floor, {_set_mean(rows, 'aekit_auto', '28_pendigits', 'ratio'):.2f}x with it; without the floor "
        f"'auto' keeps {counted('auto_no_floor')} sets). Costs: on data without outliers 'auto' flags 3 % of the training "
        "rows, and on symmetric scores the log narrows a gap: two Gaussian groups of scores need 8 standard deviations "
        "between them to be told apart (tests/test_explanations.py).", "",
        f"How it was chosen: the {len(points)} points of a grid (shift {', '.join(f'{v:g}' for v in GRID['shift'])} IQR; level "
        f"{', '.join(f'{v:g}' for v in GRID['level'])}; the level shrinking as (rows / n) ** power beyond "
        f"{', '.join(f'{v:g}' for v in GRID['rows'] if v)} rows, power {', '.join(f'{v:g}' for v in GRID['power'])}; floor "
        f"{', '.join(f'{v:g}' for v in GRID['floor'])}; at most {AUTO_MAX_SHARE:.0%} set aside) ranked on seeds "
        f"{seeds[0]}-{seeds[-1]} by the number of seeds with 8 or more sets within the band, then their fewest, then mean "
        f"F1; the chosen point ranks {rank}. Earlier grids (shift up to 3 IQR, levels 0.1-0.5, the level shrinking as the "
        "square root beyond 250-2,000 rows or never, at most 30 % or 50 % set aside, floors down to 0) found nothing better "
        "than the rule before on seeds 0-29. The check seeds re-split and refit the same 11 "
        "sets, so they test stability across splits and fits, not other data: constants chosen on these 11 sets should be "
        "expected to do less well elsewhere. Also tried on the same scores, without a floor, and not better than the test "
        "on raw scores (seeds 0-4, a scratch script not kept): a power or Yeo-Johnson transform in place of the log, robust "
        "z (median/MAD) on log scores, a BIC-chosen two-component Gaussian mixture on raw or log scores, a share estimated "
        "from the upper tail's excess over the mirrored lower one. Tried on seeds 0-39 against the rule before (scratch "
        "scripts, not kept) and reaching no more seeds: Box-Cox in place of the log; the median ESD share over bootstrap "
        "resamples; the median ESD count over three log shifts; cutting the flagged scores again at their largest gap or "
        "at their best two-group split (Otsu).", "",
        f"Where it misses (mean flagged / true over the {len(auto)} seeds): " + "; ".join(
            f"{n} {_set_mean(rows, 'aekit_auto', n, 'ratio'):.2f}x" for n in misses)
        + ". Two of them (Pima, satellite) hide most anomalies among the normal rows (the detector's AUROC there is about "
        "0.7), so no threshold on these scores flags half of them without flagging many normal rows; on WBC (156 training "
        "rows) the upper tail is long on any scale and the test sets aside a quarter to a third of the training scores. "
        f"The two best pythresh thresholders on seeds {thresh_seeds[0]}-{thresh_seeds[-1]} keep "
        f"{' and '.join(f'{min(within(thresh_rows, k, s) for s in thresh_seeds)} ({label(k)})' for k in best)} sets on "
        "their worst seed.", "",
        f"The grid, first 12 points by the ranking on seeds {seeds[0]}-{seeds[-1]} (all points in results/thresholds.json):",
        "", grid, "",
        f"Sets within the band, tuning seeds {seeds[0]}-{seeds[-1]} (per seed: 'v: m' is m seeds with v sets within; rules ranked by the seeds with 8 or more):", "",
        count_table(main_rows, keys, seeds), "",
        f"Check seeds {_seed_ranges(check)}:", "", count_table(check_rows, keys, check), "",
        f"pythresh's thresholders beside aekit 'auto', seeds {', '.join(map(str, thresh_seeds))} (the seeds they were run on):",
        "", count_table(thresh_rows, ["aekit_auto", *pythresh_keys], thresh_seeds), "",
        f"Per set, all seeds {every[0]}-{every[-1]} (pythresh: seeds {thresh_seeds[0]}-{thresh_seeds[-1]}): flagged / true "
        "(mean, min-max over seeds) and F1 (mean):", "",
        set_table(rows, ["aekit_auto", "auto_before", "esd_raw", "auto_no_floor", "fence_3", "aekit_true", "iforest_auto", *best]), "",
        "Mean seconds per fit of each pythresh thresholder on one set's training scores (at most 5,000): "
        + ", ".join(f"{m} {seconds[m]:.2f}" for m in PYTHRESH) + ". Left out: GAMGMM (83 s) and VAE (25 s) on one "
        "set's 5,000 scores; CLUST, CPD and META need packages pythresh does not install.", "",
    ])
    update_markdown_section(HEADING, section)


def _set_max(rows: list[dict], key: str, dataset: str) -> float:
    return float(max(r[key]["ratio"] for r in rows if r["dataset"] == dataset))


def _set_mean(rows: list[dict], key: str, dataset: str, measure: str) -> float:
    return float(np.mean([r[key][measure] for r in rows if r["dataset"] == dataset]))


def _mean_f1(rows: list[dict], key: str) -> float:
    return float(np.mean([r[key]["f1"] for r in rows if key in r]))


def _seed_ranges(seeds: list[int]) -> str:
    """'0-19,41' for [0, ..., 19, 41]: runs of consecutive seeds as ranges."""
    ordered, runs, start = sorted(seeds), [], None
    for i, seed in enumerate(ordered):
        if start is None:
            start = seed
        if i + 1 == len(ordered) or ordered[i + 1] != seed + 1:
            runs.append(f"{start}-{seed}" if seed > start else f"{start}")
            start = None
    return ",".join(runs)


def _parse_seeds(text: str) -> list[int]:
    """[0, ..., 19, 41] for '0-19,41' (the inverse of `_seed_ranges`)."""
    seeds = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        seeds.extend(range(int(first), int(last or first) + 1))
    return seeds


def _pythresh_version(found: dict) -> str:
    """pythresh's version when its thresholds were computed (recorded by `pythresh`)."""
    return f"version {found['version']}" if "version" in found else "version not recorded"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("collect", "pythresh", "report"))
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--seeds", default="0-39", help="collect: the seeds to fit; pythresh: the seeds to threshold; report: the tuning seeds")
    parser.add_argument("--check-seeds", default="40-59", help="report: seeds kept to check the choice")
    parser.add_argument("--max-train", type=int, default=5000)
    args = parser.parse_args(argv)
    seeds = _parse_seeds(args.seeds)
    if args.what == "report":
        report(seeds, _parse_seeds(args.check_seeds))
        return 0
    if args.what == "pythresh":
        with threadpool_limits(1):
            run_pythresh(seeds)
        return 0
    names = args.datasets.split(",") if args.datasets else sorted(p.stem for p in ANOMALY.glob("*.npz"))
    with threadpool_limits(1):
        import torch

        torch.set_num_threads(1)
        collect(names, seeds, args.max_train)
    return 0


if __name__ == "__main__":
    sys.exit(main())
