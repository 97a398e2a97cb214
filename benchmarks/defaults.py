"""The library's defaults against PCA (issue 30, "Done when"): whatever defaults the imported aekit has,
with nothing set but the code size (and, for the Hinton and newsgroups networks, the architecture and
a time budget).

  panel       every table in shared/data/tabular (X), the inlier rows (y == 0) of shared/data/anomaly,
              scikit-learn's wine and diabetes (all standardised on the training rows; a column constant
              there is left to StandardScaler, which maps it to 0), aekit's digits (pixels / 16), MNIST
              and Fashion-MNIST (the first 20,000 training images, scored on the 10,000 test images;
              pixels in [0, 1], not standardised). A fixed 75/25 split per data set (split seed 0; the
              images use their own test set), code sizes k = 2 and 8 where k < columns, seeds 0..--seeds-1
              for the models: held-out MSE over PCA(k)'s and fit seconds of `AutoEncoder(latent_dim=k)`,
              `DenoisingAutoEncoder(latent_dim=k)` and `SparseAutoEncoder(k=k)` (its default latent_dim,
              so k active code units per row: matched with PCA(k) by active code size), plus `n_epochs_`,
              the scalar entries of `history_` and the scalar fitted attributes (what fit chose).
  speed       `AutoEncoder(latent_dim=8)` on a 5,000 x 50 table (rank 10 plus noise, standardised, seed 0),
              fit seconds quiet and beside one busy process (`while True: pass`).
  hinton      `AutoEncoder(hidden_dims=(1000, 500, 250), latent_dim=30, max_time=--hinton-time)` on the
              60,000 MNIST training images: squared error summed over pixels per test image (as in
              benchmarks/hinton2006.py) against PCA(30); target <= 3.00.
  newsgroups  `AutoEncoder(latent_dim=10, hidden_dims=(250, 125), loss="multinomial", max_time=--news-time)`
              (benchmarks/documents.py's architecture, nothing else of its recipe) on 20 Newsgroups as
              documents.py loads it, against tf-idf LSA-50: precision at 1, 15 and 255.

Every model also gets random_state (the seed) for reproducibility. Results go to
benchmarks/results/defaults-<label>.json (merged: parts and panel cells not run keep their earlier
numbers). The BENCHMARKS.md section shows this run's label (`current` by default; after a `baseline`
run, `current` if it exists) with `baseline` figures beside it ("baseline -> current") when
defaults-baseline.json exists; a baseline is an older commit's run:
PYTHONPATH=<older checkout>/src python benchmarks/defaults.py --label baseline.
--quick (1 seed, three small tables, 1,000 MNIST / 500 test images, 5,000 Hinton training images,
2,000 newsgroups documents, 20 s budgets) writes defaults-<label>-quick.json and only prints the section.

Usage: PYTHONPATH=src .venv/bin/python benchmarks/defaults.py [--part panel|speed|hinton|newsgroups|all]
       [--seeds 3] [--only NAME] [--models ae,dae,sae] [--jobs N] [--label current] [--repeats 3]
       [--hinton-time 1800] [--news-time 600] [--quick]
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from common import RESULTS_DIR, SHARED_DATA, machine_info, machine_line, markdown_table, update_markdown_section, write_json
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import aekit

HEADING = "## Defaults against PCA (benchmarks/defaults.py)"
CODE_SIZES = (2, 8)
FLOAT32_TIE = 1e-6  # a ratio this close above 1 is a float32 model computing PCA (a refitted PCA start), not a loss
MODELS = {"ae": aekit.AutoEncoder, "dae": aekit.DenoisingAutoEncoder, "sae": aekit.SparseAutoEncoder}
QUICK_DATA = ("wine (sklearn)", "42_WBC (inliers)", "diabetes", "MNIST")
IMAGE_ROWS, QUICK_IMAGE_ROWS = (20_000, 10_000), (1_000, 500)
NEWS_KS = (1, 15, 255)


def model(name: str, k: int, seed: int, overrides: tuple = ()):
    """The estimator with its defaults at code size k: latent_dim=k, or for the sparse one k active
    units; `overrides` ((parameter, value) pairs from --set) make an ablation of one default."""
    return MODELS[name](**{"k" if name == "sae" else "latent_dim": k}, random_state=seed, **dict(overrides))


def data_names() -> list[str]:
    tables = [p.stem for p in sorted((SHARED_DATA / "tabular").glob("*.npz"))]
    anomaly = [f"{p.stem} (inliers)" for p in sorted((SHARED_DATA / "anomaly").glob("*.npz"))]
    return tables + anomaly + ["wine (sklearn)", "diabetes (sklearn)", "digits", "MNIST", "Fashion-MNIST"]


def standardised(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    train, test = train_test_split(np.asarray(X, dtype=np.float64), test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(train)
    return scaler.transform(train), scaler.transform(test)


@functools.lru_cache(maxsize=2)
def load_data(name: str, quick: bool) -> tuple[np.ndarray, np.ndarray]:
    """(X_train, X_test) of a panel data set; cached per process."""
    from aekit.data.datasets import load_digits, load_fashion_mnist, load_mnist

    if name in ("MNIST", "Fashion-MNIST"):
        loader, home = (load_mnist, "mnist") if name == "MNIST" else (load_fashion_mnist, "fashion-mnist")
        n_train, n_test = QUICK_IMAGE_ROWS if quick else IMAGE_ROWS
        return tuple(loader(split, data_home=SHARED_DATA / home, max_rows=n).X for split, n in (("train", n_train), ("test", n_test)))
    if name == "digits":
        return tuple(train_test_split(load_digits().X, test_size=0.25, random_state=0))
    if name.endswith("(sklearn)"):
        import sklearn.datasets

        return standardised(getattr(sklearn.datasets, f"load_{name.split()[0]}")().data)
    if name.endswith("(inliers)"):
        data = np.load(SHARED_DATA / "anomaly" / f"{name.split()[0]}.npz", allow_pickle=False)
        return standardised(data["X"][data["y"] == 0])
    return standardised(np.load(SHARED_DATA / "tabular" / f"{name}.npz", allow_pickle=False)["X"])


def mse(X_hat, X) -> float:
    return float(np.mean((np.asarray(X_hat, np.float64) - X) ** 2))


@functools.lru_cache(maxsize=4)
def pca_mse(name: str, k: int, quick: bool) -> float:
    X_train, X_test = load_data(name, quick)
    pca = PCA(k, svd_solver="full").fit(X_train)
    return mse(pca.inverse_transform(pca.transform(X_test)), X_test)


def chosen(est) -> dict:
    """What fit recorded about its budget: n_epochs_, scalar history_ entries, scalar fitted attributes."""
    scalar = (int, float, str, bool, dict)
    history = {k: v for k, v in getattr(est, "history_", {}).items() if isinstance(v, scalar) or k == "settings"}
    fitted = {k: v for k, v in vars(est).items()
              if k.endswith("_") and not k.startswith("_") and k not in ("history_", "n_epochs_") and isinstance(v, scalar)}
    return json.loads(json.dumps({"n_epochs": getattr(est, "n_epochs_", None), "history": history, "fitted": fitted}, default=str))


def timed_fit(est, X) -> float:
    start = time.perf_counter()
    est.fit(X)
    return time.perf_counter() - start


def run_cell(name: str, k: int, kind: str, seed: int, quick: bool, overrides: tuple = ()) -> dict:
    X_train, X_test = load_data(name, quick)
    est = model(kind, k, seed, overrides)
    seconds = timed_fit(est, X_train)
    error, reference = mse(est.reconstruct(X_test), X_test), pca_mse(name, k, quick)
    return {"data": name, "k": k, "model": kind, "seed": seed, "n_train": len(X_train), "n_test": len(X_test),
            "n_columns": X_train.shape[1], "mse": error, "pca_mse": reference, "ratio": error / reference,
            "fit_seconds": round(seconds, 2), **chosen(est)}  # fmt: skip


def run_panel(args, store: dict) -> None:
    names = [n for n in (QUICK_DATA if args.quick else data_names()) if not args.only or args.only.lower() in n.lower()]
    names = [n for n in names if n.lower() == (args.only or "").lower()] or names  # an exact name picks that one
    cells = []
    for name in names:
        columns = load_data(name, args.quick)[0].shape[1]
        cells += [(name, k, m, s, args.quick, args.overrides) for k in CODE_SIZES if k < columns for m in args.models for s in range(args.seeds)]
    panel = store.setdefault("panel", {"rows": []})
    panel.update(machine=machine_info(), seeds=args.seeds, jobs=args.jobs, overrides=dict(args.overrides))
    key = lambda r: (r["data"], r["k"], r["model"], r["seed"])  # noqa: E731
    done = {key(r): r for r in panel["rows"]}

    def record(row: dict) -> None:
        done[key(row)] = row
        panel["rows"] = list(done.values())
        save(args, store, "panel")
        print(f"{row['data']} k={row['k']} {row['model']} seed {row['seed']}: ratio {row['ratio']:.3f}, "
              f"{row['fit_seconds']:.1f} s, {row['n_epochs']} epochs {row['history']} {row['fitted']}", flush=True)  # fmt: skip

    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            for future in [pool.submit(run_cell, *cell) for cell in cells]:
                record(future.result())
    else:
        for cell in cells:
            record(run_cell(*cell))


def speed_table() -> np.ndarray:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5000, 10)) @ rng.standard_normal((10, 50)) + 0.5 * rng.standard_normal((5000, 50))
    return StandardScaler().fit_transform(X)


def run_speed(args, store: dict) -> None:
    X, seconds = speed_table(), {}
    for condition in ("quiet", "busy"):
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if condition == "busy" else None
        try:
            seconds[condition] = []
            for repeat in range(args.repeats):
                est = aekit.AutoEncoder(latent_dim=8, random_state=repeat)
                seconds[condition].append(round(timed_fit(est, X), 2))
        finally:
            if busy is not None:
                busy.kill()
                busy.wait()
        print(f"5000 x 50, {condition}: {seconds[condition]} s", flush=True)
    store["speed"] = {"machine": machine_info(), "shape": list(X.shape), "seconds": seconds, **chosen(est)}


def run_hinton(args, store: dict) -> None:
    from hinton2006 import HIDDEN, fit_pca, mnist, summed_squared_error

    X, X_test, _ = mnist(args.quick)
    est = aekit.AutoEncoder(hidden_dims=HIDDEN, latent_dim=30, max_time=args.hinton_time, random_state=0, **dict(args.overrides))
    seconds = timed_fit(est, X)
    pca = fit_pca(30, X, X_test, 0)
    store["hinton"] = {"machine": machine_info(), "max_time": args.hinton_time, "overrides": dict(args.overrides), "n_train": len(X), "n_test": len(X_test),
                       "test_error": summed_squared_error(est.reconstruct(X_test), X_test), "pca_test_error": pca["test_error"],
                       "fit_seconds": round(seconds, 1), **chosen(est)}  # fmt: skip
    print({k: v for k, v in store["hinton"].items() if k != "machine"}, flush=True)


def run_newsgroups(args, store: dict) -> None:
    from documents import KS, curve, load
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfTransformer

    C_tr, C_te, y_tr, y_te, _ = load("20newsgroups", args.quick)
    at = lambda values: [values[KS.index(k)] for k in NEWS_KS]  # noqa: E731
    tfidf = TfidfTransformer().fit(C_tr)
    svd = TruncatedSVD(50, random_state=0).fit(tfidf.transform(C_tr))
    lsa = at(curve(svd.transform(tfidf.transform(C_te)), y_te, svd.transform(tfidf.transform(C_tr)), y_tr))
    est = aekit.AutoEncoder(latent_dim=10, hidden_dims=(250, 125), loss="multinomial", max_time=args.news_time, random_state=0)
    seconds = timed_fit(est, C_tr)
    ae = at(curve(est.transform(C_te), y_te, est.transform(C_tr), y_tr))
    store["newsgroups"] = {"machine": machine_info(), "max_time": args.news_time, "n_train": C_tr.shape[0], "n_test": C_te.shape[0],
                           "ks": list(NEWS_KS), "autoencoder": ae, "lsa50_tfidf": lsa, "fit_seconds": round(seconds, 1), **chosen(est)}  # fmt: skip
    print({k: v for k, v in store["newsgroups"].items() if k != "machine"}, flush=True)


CORPUS_SIZES = (200, 500, 1000, 2000, 5000)
CORPUS_KS = (1, 15)


def run_corpus(args, store: dict) -> None:
    """From what corpus size does the default 10-d multinomial autoencoder beat LSA? Random
    subsets of the 20 Newsgroups training documents (the vocabulary of the whole training set),
    every test document a query against the subset; tf-idf LSA-10 and LSA-50 fitted on the same
    subset. The autoencoder gets nothing but its shape: no time budget, its own epochs and early
    stopping, whose kept epoch is recorded."""
    from documents import load
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfTransformer

    from aekit.analysis.metrics import retrieval_precision

    C_tr, C_te, y_tr, y_te, _ = load("20newsgroups", args.quick)

    def precision(Z_te, Z_tr, labels) -> list[float]:
        found = retrieval_precision(Z_te, y_te, Z_tr, labels, k=list(CORPUS_KS), metric="cosine")
        return [round(float(found[k]), 4) for k in CORPUS_KS]

    rows = []
    sizes = [n for n in CORPUS_SIZES if n < C_tr.shape[0]] + [C_tr.shape[0]]
    for n in sizes:
        keep = np.sort(np.random.default_rng(0).permutation(C_tr.shape[0])[:n])
        docs, labels = C_tr[keep], y_tr[keep]
        tfidf = TfidfTransformer().fit(docs)
        row = {"n_train": n}
        for dims in (10, 50):
            svd = TruncatedSVD(min(dims, n - 1), random_state=0).fit(tfidf.transform(docs))
            row[f"lsa{dims}_tfidf"] = precision(svd.transform(tfidf.transform(C_te)), svd.transform(tfidf.transform(docs)), labels)
        est = aekit.AutoEncoder(latent_dim=10, hidden_dims=(250, 125), loss="multinomial", random_state=0)
        row["fit_seconds"] = round(timed_fit(est, docs), 1)
        row["autoencoder"] = precision(est.transform(C_te), est.transform(docs), labels)
        row.update(chosen(est), val_loss_last=est.history_["val_loss"][-1] if est.history_["val_loss"] else None)
        best = est.history_["best_epoch"]
        row["val_loss_kept"] = est.history_["val_loss"][best] if best is not None else est.history_["settings"].get("start_val_loss")
        rows.append(row)
        print(row, flush=True)
    store["corpus"] = {"machine": machine_info(), "ks": list(CORPUS_KS), "n_test": C_te.shape[0], "rows": rows}


def results_path(label: str, quick: bool) -> Path:
    return RESULTS_DIR / f"defaults-{label}{'-quick' if quick else ''}.json"


def load_results(label: str, quick: bool) -> dict:
    path = results_path(label, quick)
    return json.loads(path.read_text()) if path.exists() else {}


@functools.cache
def aekit_source() -> str:
    """Where the imported aekit comes from, with its git commit if it is a checkout."""
    where = Path(aekit.__file__).resolve().parent
    git = lambda *cmd: subprocess.run(["git", "-C", str(where), *cmd], capture_output=True, text=True, timeout=10).stdout.strip()  # noqa: E731
    try:
        commit, changed = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain", "--", ".")
    except (OSError, subprocess.SubprocessError):
        return str(where)
    return f"{where} at {commit or 'no commit'}{' with uncommitted changes' if changed else ''}"


def save(args, store: dict, part: str) -> None:
    """Write `part` of `store` into the results file as it is on disk now, so parts run by
    separate processes at the same time (say hinton beside the panel) do not overwrite each other."""
    on_disk = load_results(args.label, args.quick)
    if part in store:
        on_disk[part] = {**store[part], "aekit_source": aekit_source()}
    on_disk.update(label=args.label, aekit=aekit.__version__)
    write_json(results_path(args.label, args.quick).name, on_disk)


def cell_means(store: dict) -> dict:
    """{(data, k): {"columns": ..., model: (mean ratio, mean fit seconds)}} over seeds."""
    groups: dict = {}
    for r in store.get("panel", {}).get("rows", []):
        groups.setdefault((r["data"], r["k"]), {"columns": r["n_columns"]}).setdefault(r["model"], []).append(r)
    return {cell: {m: v if m == "columns" else (np.mean([r["ratio"] for r in v]), np.mean([r["fit_seconds"] for r in v]))
                   for m, v in models.items()} for cell, models in groups.items()}  # fmt: skip


def verdicts(store: dict) -> list[str]:
    verdict = lambda ok, figure: "met" if ok else f"missed ({figure})"  # noqa: E731
    out, ae = [], {cell: m["ae"][0] for cell, m in cell_means(store).items() if "ae" in m}
    if ae:
        worst = max(ae, key=ae.get)
        above = sum(v > 1 + FLOAT32_TIE for v in ae.values())
        ties = sum(1 < v <= 1 + FLOAT32_TIE for v in ae.values())
        tied = f" ({ties} equal to PCA's to float32 rounding, within {FLOAT32_TIE:g})" if ties else ""
        out.append(f"every AE cell mean ratio <= 1{tied}: {verdict(not above, f'{above} of {len(ae)} cells above 1, worst {ae[worst]:.3f} on {worst[0]} k={worst[1]}')}")
        median = float(np.median(list(ae.values())))
        out.append(f"median AE ratio <= 0.80 (over {len(ae)} cells): {verdict(median <= 0.80, f'{median:.3f}')}")
    else:
        out.append("AE ratios: not measured")
    if "speed" in store:
        busy = store["speed"]["seconds"]["busy"]
        out.append(f"5000x50 fit <= 5 s beside a busy process (median of {len(busy)}): {verdict(np.median(busy) <= 5, f'{np.median(busy):.1f} s')}")
    if "hinton" in store:
        h = store["hinton"]
        error = f"{h['test_error']:.2f} against PCA's {h['pca_test_error']:.2f}"
        out.append(f"Hinton network <= 3.00 (max_time {h['max_time']:g} s): {verdict(h['test_error'] <= 3.0, error)}")
    if "newsgroups" in store:
        n = store["newsgroups"]
        pairs = ", ".join(f"P@{k} {a:.3f} vs {b:.3f}" for k, a, b in zip(n["ks"], n["autoencoder"], n["lsa50_tfidf"]))
        ok = all(a > b for a, b in zip(n["autoencoder"], n["lsa50_tfidf"]))
        out.append(f"newsgroups 10-d above tf-idf LSA-50 at 1, 15, 255 (max_time {n['max_time']:g} s): {verdict(ok, pairs)}")
    return out


def details(store: dict) -> list[str]:
    """The figures behind the speed, Hinton and newsgroups verdicts, for the parts measured."""
    out = []
    if "speed" in store:
        out.append(f"5000 x 50 fit seconds: quiet {store['speed']['seconds']['quiet']}, busy {store['speed']['seconds']['busy']}")
    if "hinton" in store:
        h = store["hinton"]
        out.append(f"Hinton network: {h['test_error']:.2f} per test image (PCA(30) {h['pca_test_error']:.2f}), "
                   f"{h['n_epochs']} epochs in {h['fit_seconds']:.0f} s on {h['n_train']:,} images")  # fmt: skip
    if "newsgroups" in store:
        n = store["newsgroups"]
        out.append(f"newsgroups ({n['n_train']:,} train / {n['n_test']:,} test documents): P@{n['ks']} autoencoder "
                   f"{n['autoencoder']}, tf-idf LSA-50 {n['lsa50_tfidf']}; {n['n_epochs']} epochs in {n['fit_seconds']:.0f} s")  # fmt: skip
    if "corpus" in store:
        c = store["corpus"]
        for r in c["rows"]:
            figures = lambda key: "/".join(f"{v:.3f}" for v in r[key])  # noqa: E731
            kept = f"kept epoch {r['history']['best_epoch'] + 1}" if r["history"].get("best_epoch") is not None else "kept its start"
            out.append(f"corpus of {r['n_train']:,} training documents: P@{'/'.join(map(str, c['ks']))} autoencoder "
                       f"{figures('autoencoder')}, tf-idf LSA-10 {figures('lsa10_tfidf')}, LSA-50 {figures('lsa50_tfidf')}; "
                       f"{r['n_epochs']} epochs, {kept} (validation {r['val_loss_kept']:.3f}, last {r['val_loss_last']:.3f}), "
                       f"{r['fit_seconds']:.0f} s")  # fmt: skip
    return out or ["speed, Hinton, newsgroups and corpus sizes: not measured"]


def source(store: dict, part: str) -> str:
    """Where the aekit that measured `part` came from (recorded when that process started)."""
    return store.get(part, {}).get("aekit_source", store.get("aekit_source", "?"))


def both(now, before, fmt: str) -> str:
    """'before -> now' when a baseline figure exists."""
    if now is None:
        return "-"
    return f"{before:{fmt}} -> {now:{fmt}}" if before is not None else f"{now:{fmt}}"


def ablations(quick: bool) -> dict[str, dict]:
    """{label: results} of the ablation runs (--set ... --label NAME) beside current and baseline."""
    found = {}
    for path in sorted(RESULTS_DIR.glob(f"defaults-*{'-quick' if quick else ''}.json")):
        label = path.stem[len("defaults-") :].removesuffix("-quick")
        store = json.loads(path.read_text())
        if label not in ("current", "baseline") and "panel" in store and (quick or not path.stem.endswith("-quick")):
            found[label] = store
    return found


def hinton_probes(quick: bool) -> list[str]:
    """One line per ablation of the Hinton part (--part hinton --set ... --label NAME)."""
    lines = []
    for path in sorted(RESULTS_DIR.glob(f"defaults-*{'-quick' if quick else ''}.json")):
        h = json.loads(path.read_text()).get("hinton")
        if h is not None and path.stem not in ("defaults-current", "defaults-baseline"):
            changed = ", ".join(f"{k}={v}" for k, v in h.get("overrides", {}).items()) or "defaults"
            lines.append(f"Hinton network, {changed}, max_time {h['max_time']:g} s (`{path.name}`): {h['test_error']:.2f} "
                         f"per test image, {h['n_epochs']} epochs")  # fmt: skip
    if lines:
        lines.insert(0, "Probes of the Hinton network's defaults, one at a time changed (run three at once on the 2 cores, "
                        "one torch thread each, so their budgets bought less than the 1800 s run's):")
    return lines


def section(current: dict, baseline: dict, extra: dict | None = None) -> str:
    now, before = cell_means(current), cell_means(baseline)
    extra = {label: (store, cell_means(store)) for label, store in (extra or {}).items()}
    models = ("ae", "dae", "sae")
    header = ["data", "columns", "k", *[f"{m.upper()} / PCA" for m in models]]
    header += [f"AE {', '.join(f'{k}={v}' for k, v in store['panel'].get('overrides', {}).items()) or label} / PCA" for label, (store, _) in extra.items()]
    header += [f"{m.upper()} fit s" for m in models]
    rows = [header]
    for cell, m in sorted(now.items()):
        b = before.get(cell, {})
        get = lambda d, model, i: d[model][i] if model in d else None  # noqa: E731
        rows.append([cell[0], m["columns"], cell[1], *[both(get(m, x, 0), get(b, x, 0), ".3f") for x in models],
                     *[both(get(means.get(cell, {}), "ae", 0), None, ".3f") for _, means in extra.values()],
                     *[both(get(m, x, 1), get(b, x, 1), ".1f") for x in models]])  # fmt: skip
    parts = [HEADING, "", (
        "Held-out MSE of each estimator with its defaults over PCA(k)'s (mean over seeds) and mean fit seconds: "
        "`AutoEncoder(latent_dim=k)`, `DenoisingAutoEncoder(latent_dim=k)`, `SparseAutoEncoder(k=k)` (default latent_dim, "
        "k active units), `random_state` = seed. Tables and anomaly inliers standardised on a fixed 75/25 split, digits, "
        "MNIST and Fashion-MNIST as pixels in [0, 1] (20,000 training images, the 10,000 test images); see the script's "
        "docstring." + (" Cells read 'baseline -> current' (`defaults-baseline.json`, "
        f"aekit from {source(baseline, 'panel')})." if baseline else "") +
        f" Current: aekit from {source(current, 'panel')}, cells fitted in "
        f"{current.get('panel', {}).get('jobs', 1)} process(es) at once. The machine was shared with other jobs.")]  # fmt: skip
    parts += ["", markdown_table(rows) if now else "Panel: not measured.", "", "Targets (issue 30):", ""] + [f"- {v}" for v in verdicts(current)]
    for label, (store, _) in extra.items():
        parts += ["", f"Ablation `{label}` ({store['panel'].get('overrides', {})}):", ""] + [f"- {v}" for v in verdicts(store)[:2]]
    if baseline:
        parts += ["", "Baseline:", ""] + [f"- {v}" for v in verdicts(baseline)]
    parts += ["", "Details:", ""] + [f"- {line}" for line in details(current) + hinton_probes(False)] + [""]
    for part in ("panel", "speed", "hinton", "newsgroups", "corpus"):
        if part in current:
            parts.append(f"{part}: {machine_line(current[part]['machine'])} aekit from {source(current, part)}.")
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("panel", "speed", "hinton", "newsgroups", "corpus", "all", "report"), default="panel",
                        help="report: only rewrite the BENCHMARKS.md section from the results files")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", default=None, help="panel data sets whose name contains this (case-insensitive); an exact name picks only that one")
    parser.add_argument("--models", default="ae,dae,sae", help="panel models, a subset of ae,dae,sae")
    parser.add_argument("--jobs", type=int, default=1, help="panel cells fitted in this many worker processes")
    parser.add_argument("--label", default="current", help="results file defaults-<label>.json; 'baseline' for an older commit")
    parser.add_argument("--repeats", type=int, default=3, help="speed: fits per condition")
    parser.add_argument("--hinton-time", type=float, default=1800.0)
    parser.add_argument("--news-time", type=float, default=600.0)
    parser.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE",
                        help="ablation (panel and hinton parts): give every model this parameter (value read as YAML), e.g. init=random; use with --label")
    parser.add_argument("--quick", action="store_true", help="smoke test; defaults-<label>-quick.json, section printed only")
    args = parser.parse_args()
    aekit_source()  # the code this process imported, recorded before anything can change the checkout
    args.models = args.models.split(",")
    import yaml

    args.overrides = tuple((key, yaml.safe_load(value)) for key, value in (item.split("=", 1) for item in args.set))
    if args.overrides and args.label in ("current", "baseline"):
        parser.error("--set makes an ablation: give it its own --label")
    if not set(args.models) <= set(MODELS):
        parser.error(f"--models takes a subset of {','.join(MODELS)}")
    if args.quick:
        args.seeds, args.hinton_time, args.news_time = 1, min(args.hinton_time, 20.0), min(args.news_time, 20.0)
    store = load_results(args.label, args.quick)
    parts = {"all": ("panel", "speed", "hinton", "newsgroups", "corpus"), "report": ()}.get(args.part, (args.part,))
    for part in parts:
        globals()[f"run_{part}"](args, store)
        save(args, store, part)
    shown = "current" if results_path("current", args.quick).exists() else args.label
    text = section(load_results(shown, args.quick), load_results("baseline", args.quick) if shown != "baseline" else {},
                   ablations(args.quick))
    if args.quick:
        print(text)
    else:
        update_markdown_section(HEADING, text)
    print(f"wrote {results_path(args.label, args.quick)}")


if __name__ == "__main__":
    main()
