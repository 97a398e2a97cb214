"""The latent space as a tool on MNIST, each use beside its baseline in the same run.

Autoencoders 784-512-256-d (ELU, linear code, sigmoid output, BCE loss, Adam, learning rate
annealed by a cosine over a wall-clock budget of `--budget-minutes` each; see hinton2006.py)
for d = 2, 10 and 30 are fitted on the 60,000 training images, and PCA with d components
beside each.
  knn          5-NN test accuracy on the 2-, 10- and 30-d codes vs PCA of the same size vs raw
               pixels (fitted on the training codes, scored on the 10,000 test codes).
  retrieval    Hinton & Salakhutdinov (2006, Fig. 4) retrieval precision at k = 1, 10, 100:
               each test image queries the 60,000 training images by the cosine between codes,
               both centred on the mean training code (PCA codes are centred already; an
               autoencoder's origin is arbitrary); 30-d codes vs PCA(30) vs raw pixels.
  clustering   KMeans(10) (scikit-learn, n_init=10) on the test images' 10-d codes vs PCA(10) vs
               pixels, scored by NMI and ARI against the digit labels.
  semi         AutoEncoderClassifier with 100 and 1,000 labelled training images (uniformly at
               random, `--seeds` draws), the rest unlabelled: the 30-d autoencoder above is the
               pretraining (it saw all 60,000 images, which is what X_unlabeled would give), and
               fine-tuning runs with the estimator's defaults; vs the same network trained from
               scratch on the labels alone (pretrain_epochs=0), vs logistic regression on PCA(30)
               codes (PCA fitted on all 60,000 images) and on the autoencoder's codes.

Usage: .venv/bin/python benchmarks/latent_mnist.py [--budget-minutes 8] [--seeds 3] [--threads N] [--quick]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from common import SHARED_DATA, machine_info, machine_line, markdown_table, update_markdown_section, write_json
from hinton2006 import CosineOverBudget
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from aekit import AutoEncoder
from aekit.data.datasets import load_mnist
from aekit.estimators.classifier import AutoEncoderClassifier
from aekit.analysis.metrics import clustering_scores, retrieval_precision

HEADING = "## Latent space on MNIST (benchmarks/latent_mnist.py)"
HIDDEN, ACTIVATION, LOSS, BATCH, LR, FINAL_LR = (512, 256), "elu", "bce", 256, 1e-3, 1e-5
DIMS = (2, 10, 30)
KNN, RETRIEVAL_K, RETRIEVAL_DIM, CLUSTER_DIM, SEMI_DIM = 5, (1, 10, 100), 30, 10, 30
LABELS = (100, 1000)


def fit_autoencoder(latent_dim: int, X: np.ndarray, budget_s: float, seed: int) -> tuple[AutoEncoder, float]:
    ae = AutoEncoder(
        latent_dim=latent_dim,
        hidden_dims=HIDDEN,
        activation=ACTIVATION,
        loss=LOSS,
        batch_size=BATCH,
        learning_rate=LR,
        max_epochs=1_000_000,
        max_time=budget_s,
        validation_fraction=0.0,
        random_state=seed,
    )
    start = time.perf_counter()
    ae.fit(X, callbacks=[CosineOverBudget(LR, FINAL_LR, budget_s, lambda m: None, probe_every_s=float("inf"))])
    return ae, time.perf_counter() - start


def knn_accuracy(Z_train: np.ndarray, y_train: np.ndarray, Z_test: np.ndarray, y_test: np.ndarray) -> float:
    return float(KNeighborsClassifier(KNN).fit(Z_train, y_train).score(Z_test, y_test))


def semi_supervised(ae: AutoEncoder, pca: PCA, X, y, X_test, y_test, n_labels: int, seed: int) -> dict:
    """Test accuracies of the four ways to use `n_labels` random labelled training images."""
    labelled = np.random.default_rng(seed).choice(len(y), n_labels, replace=False)
    X_lab, y_lab = X[labelled], y[labelled]
    result = {}
    start = time.perf_counter()
    clf = AutoEncoderClassifier(random_state=seed).fit(X_lab, y_lab, pretrained=ae)
    result["pretrained"] = (float(clf.score(X_test, y_test)), time.perf_counter() - start)
    start = time.perf_counter()
    scratch = AutoEncoderClassifier(
        latent_dim=ae.latent_dim, hidden_dims=HIDDEN, activation=ACTIVATION, pretrain_epochs=0, random_state=seed
    ).fit(X_lab, y_lab)
    result["scratch"] = (float(scratch.score(X_test, y_test)), time.perf_counter() - start)
    for name, encode in (("logistic_pca", pca.transform), ("logistic_codes", ae.transform)):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            logistic = LogisticRegression(max_iter=2000).fit(encode(X_lab), y_lab)
        result[name] = (float(logistic.score(encode(X_test), y_test)), time.perf_counter() - start)
    return {name: {"accuracy": acc, "seconds": sec} for name, (acc, sec) in result.items()}


SEMI_NAMES = {
    "pretrained": "AutoEncoderClassifier, pretrained",
    "scratch": "same network from scratch",
    "logistic_pca": "logistic regression on PCA(30)",
    "logistic_codes": "logistic regression on the AE codes",
}


def markdown(report: dict, command: str) -> str:
    knn = report["knn"]
    knn_rows = [["code size", "autoencoder", "PCA", "raw pixels (784)"]]
    knn_rows += [[str(d), f"{knn['autoencoder'][str(d)]:.4f}", f"{knn['pca'][str(d)]:.4f}", f"{knn['pixels']:.4f}"] for d in DIMS]
    ret = report["retrieval"]
    ret_rows = [["codes", *(f"precision@{k}" for k in RETRIEVAL_K)]]
    for name, label in (("autoencoder", f"autoencoder, {RETRIEVAL_DIM}-d"), ("pca", f"PCA({RETRIEVAL_DIM})"), ("pixels", "raw pixels")):
        ret_rows.append([label, *(f"{ret[name][str(k)]:.4f}" for k in RETRIEVAL_K)])
    clu = report["clustering"]
    clu_rows = [["KMeans(10) on", "NMI", "ARI"]]
    for name, label in (("autoencoder", f"autoencoder, {CLUSTER_DIM}-d"), ("pca", f"PCA({CLUSTER_DIM})"), ("pixels", "raw pixels")):
        clu_rows.append([label, f"{clu[name]['nmi']:.4f}", f"{clu[name]['ari']:.4f}"])
    semi_rows = [["method", *(f"{n} labels" for n in LABELS)]]
    for key, label in SEMI_NAMES.items():
        cells = []
        for n in LABELS:
            accs = [run[key]["accuracy"] for run in report["semi"][str(n)]]
            cells.append(f"{np.mean(accs):.4f} ± {np.std(accs):.4f}")
        semi_rows.append([label, *cells])
    fits = ", ".join(f"{d}-d {report['autoencoders'][str(d)]['epochs']} epochs in {report['autoencoders'][str(d)]['seconds'] / 60:.1f} min" for d in DIMS)
    return "\n".join([
        HEADING,
        "",
        machine_line(report["machine"]),
        "",
        "```",
        command,
        "```",
        "",
        f"MNIST, {report['n_train']:,} training and {report['n_test']:,} test images. Autoencoders "
        f"784-{'-'.join(map(str, HIDDEN))}-d, {ACTIVATION.upper()}, {LOSS.upper()}, Adam with a cosine learning rate "
        f"over the budget ({fits}). Details in the script's docstring.",
        "",
        f"**{KNN}-NN test accuracy**",
        "",
        markdown_table(knn_rows),
        "",
        "**Retrieval precision** (test queries against the training images, cosine between centred codes)",
        "",
        markdown_table(ret_rows),
        "",
        "**Clustering** of the test images",
        "",
        markdown_table(clu_rows),
        "",
        f"**Semi-supervised** test accuracy, mean ± std over {report['seeds']} random draws of the labelled images",
        "",
        markdown_table(semi_rows),
        "",
        "Raw numbers: `benchmarks/results/latent_mnist.json`.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget-minutes", type=float, default=8.0, help="training time of each autoencoder")
    parser.add_argument("--seeds", type=int, default=3, help="draws of the labelled images")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="smoke test: 5,000 rows, 10 s budgets; leaves BENCHMARKS.md alone")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    train, test = load_mnist("train", data_home=SHARED_DATA), load_mnist("test", data_home=SHARED_DATA)
    X, y, X_test, y_test = train.X, train.y, test.X, test.y
    budget, seeds, labels = args.budget_minutes * 60, args.seeds, LABELS
    if args.quick:
        X, y, X_test, y_test = X[:5000], y[:5000], X_test[:1000], y_test[:1000]
        budget, seeds = 10.0, 1
    report = {"machine": machine_info(), "quick": args.quick, "n_train": len(X), "n_test": len(X_test), "seeds": seeds}

    models, report["autoencoders"] = {}, {}
    for d in DIMS:
        print(f"training the {d}-d autoencoder for {budget / 60:.1f} min", flush=True)
        ae, seconds = fit_autoencoder(d, X, budget, seed=0)
        pca = PCA(d, svd_solver="full").fit(X)
        codes = {"autoencoder": (ae.transform(X), ae.transform(X_test)), "pca": (pca.transform(X), pca.transform(X_test))}
        models[d] = (ae, pca, codes)
        report["autoencoders"][str(d)] = {"epochs": ae.n_epochs_, "seconds": seconds}

    print("kNN", flush=True)
    report["knn"] = {name: {str(d): knn_accuracy(models[d][2][name][0], y, models[d][2][name][1], y_test) for d in DIMS} for name in ("autoencoder", "pca")}
    report["knn"]["pixels"] = knn_accuracy(X, y, X_test, y_test)

    print("retrieval", flush=True)
    report["retrieval"] = {}
    for name, (Z, Z_test) in {**models[RETRIEVAL_DIM][2], "pixels": (X, X_test)}.items():
        center = Z.mean(axis=0)
        precision = retrieval_precision(Z_test - center, y_test, Z - center, y, k=RETRIEVAL_K)
        report["retrieval"][name] = {str(k): v for k, v in precision.items()}

    print("clustering", flush=True)
    report["clustering"] = {}
    for name, Z_test in {**{k: v[1] for k, v in models[CLUSTER_DIM][2].items()}, "pixels": X_test}.items():
        assignments = KMeans(10, n_init=10, random_state=0).fit_predict(np.asarray(Z_test, dtype=np.float64))
        report["clustering"][name] = clustering_scores(y_test, assignments)

    print("semi-supervised", flush=True)
    ae, pca, _ = models[SEMI_DIM]
    report["semi"] = {str(n): [semi_supervised(ae, pca, X, y, X_test, y_test, n, seed) for seed in range(seeds)] for n in labels}

    for key in ("knn", "retrieval", "clustering"):
        print(key, report[key])
    for n in labels:
        print(f"semi {n} labels", {k: np.mean([r[k]["accuracy"] for r in report["semi"][str(n)]]).round(4) for k in SEMI_NAMES})
    path = write_json("latent_mnist-quick.json" if args.quick else "latent_mnist.json", report)
    print(f"wrote {path}")
    if not args.quick:
        command = f".venv/bin/python benchmarks/latent_mnist.py --budget-minutes {args.budget_minutes:g} --seeds {args.seeds}"
        update_markdown_section(HEADING, markdown(report, command))


if __name__ == "__main__":
    main()
