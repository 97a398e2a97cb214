"""Convolutional autoencoders on MNIST and Fashion-MNIST (issue 3): reconstruction, the
upsampling ablation, denoising and inpainting; and on colour photo patches (issue 34,
benchmarks/conv_photos.py): conv against PCA at 16/32/64, colorization against the gray copy,
denoising and inpainting against their baselines.

    .venv/bin/python benchmarks/conv_images.py                 # both parts
    .venv/bin/python benchmarks/conv_images.py --part mnist    # about 20-25 min on 2 cores
    .venv/bin/python benchmarks/conv_images.py --part photos   # the photo patches, its own section
    .venv/bin/python benchmarks/conv_images.py --quick         # smoke run on tiny subsets; leaves BENCHMARKS.md alone

Data: the IDX files in ../shared/data. Every model trains on the first `--n-train` training
images (default all 60,000; 10% of them held out for the validation loss) under a wall-clock
budget per model (`--budget`, `--mlp-budget`; checked after each epoch, at most 30 epochs),
and is scored on the first `--n-test` test images (default the whole 10,000-image test set).

1. Reconstruction, code size 16: ConvAutoEncoder (channels (16, 32), dense bottleneck,
   nearest-neighbour interpolation + conv) vs the MLP AutoEncoder (784-512-256-16) vs
   PCA(16): test MSE per pixel and SSIM (scikit-image, Gaussian window sigma 1.5).
2. Upsampling ablation on Fashion-MNIST: interpolate+conv vs transposed conv vs max-unpooling,
   same code size: test MSE and a checkerboard measure, the share of the reconstruction
   residual's energy (DC excluded) at the Nyquist frequencies (pi, pi), (pi, 0), (0, pi); a
   white residual has 3 / 783 = 0.0038.
3. Denoising MNIST: Gaussian noise sigma 0.5 clipped to [0, 1], and masking of 50% of the
   pixels (set to 0). Conv DAE vs MLP DAE (both code size 64, trained on the same corruption:
   'clipped_gaussian' 0.5 or 'mask' 0.5) vs a median filter and a Gaussian blur whose size /
   sigma is picked on 500 noisy training images (best PSNR). PSNR (dB) and SSIM. Target: the
   conv DAE best on both noises.
4. Inpainting a 12x12 centre block on Fashion-MNIST: ContextEncoder (mask='center',
   mask_size=12, loss on the block only) vs mean-fill (the per-pixel training mean) vs
   `skimage.restoration.inpaint_biharmonic`. MSE over the block's pixels and SSIM of the whole
   image (outside the block all methods return the original pixels). Target: the context
   encoder best.

Figures (rows of test images): benchmarks/results/conv-images-{reconstruction-mnist,
reconstruction-fashion-mnist,upsampling,denoising-gaussian,denoising-masking,inpainting}.png.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from common import RESULTS_DIR, SHARED_DATA, machine_info, machine_line, markdown_table, update_markdown_section, write_json
from scipy import ndimage
from skimage.filters import gaussian
from skimage.restoration import inpaint_biharmonic
from sklearn.decomposition import PCA

import conv_photos
from aekit.data.datasets import load_fashion_mnist, load_mnist
from aekit.estimators.autoencoder import AutoEncoder
from aekit.estimators.conv import ContextEncoder, ConvAutoEncoder
from aekit.analysis.metrics import psnr, ssim
from aekit.app.plot import plot_image_rows

HEADING = "## Convolutional autoencoders (benchmarks/conv_images.py)"
CHANNELS = (16, 32)
MAX_EPOCHS = 30
SIGMA = 0.5
MASK_RATE = 0.5
HOLE = 12
COLORIZATION_SECONDS = 60.0
MEDIAN_SIZES = (2, 3, 5)
BLUR_SIGMAS = (0.5, 0.75, 1.0, 1.5, 2.0)
LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}


# ---- measures ------------------------------------------------------------------------------


def nyquist_share(residuals: np.ndarray) -> float:
    """Mean share of each residual's energy, DC excluded, at the Nyquist frequencies
    (pi, pi), (pi, 0) and (0, pi): residuals (n, H, W) with H and W even."""
    power = np.abs(np.fft.fft2(residuals)) ** 2
    h, w = residuals.shape[1] // 2, residuals.shape[2] // 2
    nyquist = power[:, h, w] + power[:, h, 0] + power[:, 0, w]
    total = power.sum(axis=(1, 2)) - power[:, 0, 0]
    return float(np.mean(nyquist / np.maximum(total, 1e-20)))


def image_scores(clean: np.ndarray, estimate: np.ndarray) -> dict:
    """MSE per pixel, PSNR and SSIM of images (n, 28, 28), means over the images."""
    return {
        "mse": float(np.mean((estimate - clean) ** 2)),
        "psnr": float(np.mean(psnr(clean, estimate))),
        "ssim": float(np.mean(ssim(clean, estimate))),
    }


# ---- models --------------------------------------------------------------------------------


class Budget:
    def __init__(self, conv_seconds: float, mlp_seconds: float, max_epochs: int, seed: int) -> None:
        self.conv_seconds, self.mlp_seconds, self.max_epochs, self.seed = conv_seconds, mlp_seconds, max_epochs, seed

    def conv(self, cls=ConvAutoEncoder, **params):
        defaults = dict(latent_dim=16, channels=CHANNELS, learning_rate=2e-3, batch_size=128)
        return cls(**{**defaults, **params}, max_epochs=self.max_epochs, max_time=self.conv_seconds, random_state=self.seed)

    def mlp(self, **params):
        defaults = dict(latent_dim=16, hidden_dims=(512, 256), learning_rate=1e-3, batch_size=128)
        return AutoEncoder(**{**defaults, **params}, max_epochs=self.max_epochs, max_time=self.mlp_seconds, random_state=self.seed)


def fit_timed(model, X, row: dict, Y=None):
    start = time.perf_counter()
    model.fit(X, Y)
    row.update(seconds=round(time.perf_counter() - start, 1), epochs=model.n_epochs_)
    return model


def load(name: str, n_train: int, n_test: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and test images (n, 28, 28), float32 in [0, 1]."""
    train = LOADERS[name]("train", data_home=SHARED_DATA, max_rows=n_train).X.reshape(-1, 28, 28)
    test = LOADERS[name]("test", data_home=SHARED_DATA, max_rows=n_test).X.reshape(-1, 28, 28)
    return train, test


def log(*parts) -> None:
    print(*parts, flush=True)


# ---- parts ---------------------------------------------------------------------------------


def reconstruction(data: dict, budget: Budget, suffix: str) -> tuple[list[dict], dict]:
    rows, conv_models = [], {}
    for name, (train, test) in data.items():
        flat_train, flat_test = train.reshape(len(train), -1), test.reshape(len(test), -1)
        pca_row = {"dataset": name, "method": "PCA(16)"}
        start = time.perf_counter()
        pca = PCA(16, random_state=budget.seed).fit(flat_train)
        pca_row["seconds"] = round(time.perf_counter() - start, 1)
        estimates = {"PCA(16)": pca.inverse_transform(pca.transform(flat_test)).reshape(test.shape)}
        conv_row = {"dataset": name, "method": "ConvAutoEncoder"}
        conv = fit_timed(budget.conv(), train, conv_row)
        conv_models[name] = conv
        estimates["ConvAutoEncoder"] = conv.reconstruct(test)
        mlp_row = {"dataset": name, "method": "AutoEncoder (MLP)"}
        estimates["AutoEncoder (MLP)"] = fit_timed(budget.mlp(), flat_train, mlp_row).reconstruct(flat_test).reshape(test.shape)
        for row in (conv_row, mlp_row, pca_row):
            row.update(image_scores(test, estimates[row["method"]]))
            row["checkerboard"] = nyquist_share(estimates[row["method"]] - test)
            rows.append(row)
            log("reconstruction", name, row)
        plot_image_rows(
            {"original": test, **estimates}, n=10, title=f"{name} test images and reconstructions (code size 16)",
            path=RESULTS_DIR / f"conv-images-reconstruction-{name}{suffix}.png",
        )
    return rows, conv_models


def ablation(train: np.ndarray, test: np.ndarray, interpolate: ConvAutoEncoder, budget: Budget, suffix: str) -> list[dict]:
    rows, estimates = [], {}
    for mode in ("interpolate", "transposed", "unpool"):
        row = {"upsampling": mode}
        if mode == "interpolate":
            model = interpolate
            row.update(seconds=None, epochs=interpolate.n_epochs_, note="the reconstruction model")
        else:
            model = fit_timed(budget.conv(upsampling=mode), train, row)
        estimates[mode] = model.reconstruct(test)
        row.update(image_scores(test, estimates[mode]), checkerboard=nyquist_share(estimates[mode] - test))
        rows.append(row)
        log("ablation", row)
    residuals = {f"{k} residual": np.abs(v - test) for k, v in estimates.items()}
    plot_image_rows(
        {"original": test, **estimates, **residuals}, n=10, title="Fashion-MNIST: upsampling modes and |residual|",
        path=RESULTS_DIR / f"conv-images-upsampling{suffix}.png",
    )
    return rows


def _best_filter(noisy: np.ndarray, clean: np.ndarray) -> tuple[dict, dict]:
    """Median size and blur sigma with the best mean PSNR on (noisy, clean) validation images."""
    median = {s: np.mean(psnr(clean, ndimage.median_filter(noisy, size=(1, s, s)))) for s in MEDIAN_SIZES}
    blur = {s: np.mean(psnr(clean, gaussian(noisy, sigma=(0, s, s)))) for s in BLUR_SIGMAS}
    return {"size": max(median, key=median.get)}, {"sigma": max(blur, key=blur.get)}


def denoising(train: np.ndarray, test: np.ndarray, budget: Budget, suffix: str) -> list[dict]:
    rng = np.random.default_rng(budget.seed)
    noises = {
        f"gaussian {SIGMA} (clipped)": (lambda x: np.clip(x + SIGMA * rng.normal(size=x.shape), 0, 1).astype(np.float32), "clipped_gaussian", SIGMA),
        f"masking {int(MASK_RATE * 100)}%": (lambda x: np.where(rng.random(x.shape) < MASK_RATE, 0, x).astype(np.float32), "mask", MASK_RATE),
    }
    rows = []
    for noise, (corrupt, corruption, level) in noises.items():
        noisy_test, noisy_val = corrupt(test), corrupt(train[-500:])
        median, blur = _best_filter(noisy_val, train[-500:])
        estimates, extra = {}, {}
        conv_row = {"noise": noise, "method": "conv DAE"}
        conv = fit_timed(budget.conv(latent_dim=64, corruption=corruption, corruption_level=level), train, conv_row)
        estimates["conv DAE"] = conv.reconstruct(noisy_test)
        mlp_row = {"noise": noise, "method": "MLP DAE"}
        mlp = fit_timed(budget.mlp(latent_dim=64, corruption=corruption, corruption_level=level), train.reshape(len(train), -1), mlp_row)
        estimates["MLP DAE"] = mlp.reconstruct(noisy_test.reshape(len(test), -1)).reshape(test.shape)
        estimates["median filter"] = ndimage.median_filter(noisy_test, size=(1, median["size"], median["size"]))
        estimates["Gaussian blur"] = gaussian(noisy_test, sigma=(0, blur["sigma"], blur["sigma"]))
        extra = {"median filter": median, "Gaussian blur": blur}
        for row in (conv_row, mlp_row, {"noise": noise, "method": "median filter"}, {"noise": noise, "method": "Gaussian blur"}):
            row.update(image_scores(test, estimates[row["method"]]), **extra.get(row["method"], {}))
            rows.append(row)
            log("denoising", row)
        rows.append({"noise": noise, "method": "noisy input", **image_scores(test, noisy_test)})
        name = "gaussian" if corruption == "clipped_gaussian" else "masking"
        plot_image_rows(
            {"noisy": noisy_test, **estimates, "clean": test}, n=10, title=f"MNIST denoising: {noise}",
            path=RESULTS_DIR / f"conv-images-denoising-{name}{suffix}.png",
        )
    return rows


def inpainting(train: np.ndarray, test: np.ndarray, budget: Budget, suffix: str) -> list[dict]:
    hole = np.zeros((28, 28), dtype=bool)
    start = (28 - HOLE) // 2
    hole[start : start + HOLE, start : start + HOLE] = True
    masked = np.where(hole, 0, test)
    ce_row = {"method": "ContextEncoder"}
    ce = fit_timed(budget.conv(ContextEncoder, latent_dim=64, mask="center", mask_size=HOLE), train, ce_row)
    estimates = {"ContextEncoder": ce.inpaint(masked, hole)}
    estimates["mean-fill"] = np.where(hole, train.mean(axis=0), test)
    t0 = time.perf_counter()
    estimates["biharmonic"] = np.stack([inpaint_biharmonic(img, hole) for img in masked]).astype(np.float32)
    rows = [ce_row, {"method": "mean-fill"}, {"method": "biharmonic", "seconds": round(time.perf_counter() - t0, 1)}]
    for row in rows:
        estimate = estimates[row["method"]]
        row.update(hole_mse=float(np.mean((estimate - test)[:, hole] ** 2)), ssim=float(np.mean(ssim(test, estimate))))
        log("inpainting", row)
    plot_image_rows(
        {"masked": masked, **estimates, "original": test}, n=10, title=f"Fashion-MNIST: {HOLE}x{HOLE} centre block filled",
        path=RESULTS_DIR / f"conv-images-inpainting{suffix}.png",
    )
    return rows


# ---- report --------------------------------------------------------------------------------


def _best(rows: list[dict], key: str, higher: bool = True) -> str:
    return (max if higher else min)(rows, key=lambda r: r[key])["method"]


def markdown(report: dict, command: str) -> str:
    f3 = lambda v: f"{v:.4f}"  # noqa: E731
    lines = [HEADING, "", machine_line(report["machine"]), "", f"Command: `{command}`", ""]
    lines += [
        f"Training on the first {report['n_train']} training images (10% held out for the validation loss), "
        f"scores on the first {report['n_test']} test images. Budgets: {report['budget_seconds']:.0f} s per "
        f"convolutional model, {report['mlp_budget_seconds']:.0f} s per MLP (checked after each epoch, at most "
        f"{report['max_epochs']} epochs; the epochs reached are listed). Conv models: channels {list(CHANNELS)}, "
        "Adam lr 2e-3, batch 128, MSE loss; MLPs: 784-512-256-code, Adam lr 1e-3. SSIM and PSNR from scikit-image.",
        "",
        "Reconstruction at code size 16 (lower MSE, higher SSIM is better):",
        "",
    ]
    table = [["dataset", "method", "test MSE", "SSIM", "epochs", "seconds"]]
    for r in report["reconstruction"]:
        table.append([r["dataset"], r["method"], f3(r["mse"]), f3(r["ssim"]), r.get("epochs", "-"), r.get("seconds", "-")])
    lines += [markdown_table(table), ""]
    lines += [
        "Upsampling ablation on Fashion-MNIST, code size 16. Checkerboard = share of the residual's energy at the "
        "Nyquist frequencies (white residual: 0.0038; higher = more period-2 artefacts). Unpool's decoder also "
        "receives the encoder's max-pooling indices (where each maximum was, per channel and stage), information "
        "that is not in the 16-number code, so its MSE is not a like-for-like comparison with the other two:",
        "",
    ]
    table = [["upsampling", "test MSE", "SSIM", "checkerboard", "epochs"]]
    for r in report["ablation"]:
        table.append([r["upsampling"], f3(r["mse"]), f3(r["ssim"]), f3(r["checkerboard"]), r["epochs"]])
    lines += [markdown_table(table), ""]
    lines += ["Denoising MNIST (PSNR in dB; higher is better for both):", ""]
    table = [["noise", "method", "PSNR", "SSIM", "setting"]]
    verdicts = []
    for noise in dict.fromkeys(r["noise"] for r in report["denoising"]):
        rows = [r for r in report["denoising"] if r["noise"] == noise]
        for r in rows:
            setting = f"size {r['size']}" if "size" in r else f"sigma {r['sigma']}" if "sigma" in r else f"{r.get('epochs', '-')} epochs" if "epochs" in r else ""
            table.append([noise, r["method"], f"{r['psnr']:.2f}", f3(r["ssim"]), setting])
        methods = [r for r in rows if r["method"] != "noisy input"]
        best = {_best(methods, "psnr"), _best(methods, "ssim")}
        verdicts.append(f"{noise}: {'met' if best == {'conv DAE'} else 'missed'} (best PSNR {_best(methods, 'psnr')}, best SSIM {_best(methods, 'ssim')})")
    lines += [markdown_table(table), "", "Target, conv DAE best on both noises: " + "; ".join(verdicts) + ".", ""]
    lines += [f"Inpainting a {HOLE}x{HOLE} centre block, Fashion-MNIST test (MSE over the block's pixels; SSIM of the whole image):", ""]
    table = [["method", "block MSE", "SSIM", "epochs / seconds"]]
    for r in report["inpainting"]:
        table.append([r["method"], f3(r["hole_mse"]), f3(r["ssim"]), f"{r.get('epochs', '-')} / {r.get('seconds', '-')}"])
    rows = report["inpainting"]
    met = _best(rows, "hole_mse", higher=False) == "ContextEncoder" and _best(rows, "ssim") == "ContextEncoder"
    lines += [
        markdown_table(table), "",
        f"Target, context encoder best: {'met' if met else 'missed'} (lowest block MSE {_best(rows, 'hole_mse', higher=False)}, "
        f"highest SSIM {_best(rows, 'ssim')}).", "",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000/300 images, 10 s budgets, 2 epochs")
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--n-test", type=int, default=10000)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per convolutional model")
    parser.add_argument("--mlp-budget", type=float, default=60.0, help="seconds per MLP")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--part", choices=("all", "mnist", "photos"), default="all")
    parser.add_argument("--patches", type=int, default=2000, help="training photo patches (as many again held out: --held-out)")
    parser.add_argument("--held-out", type=int, default=500, help="held-out patches of the training photos, and of the others")
    parser.add_argument("--fashion", type=int, default=20000, help="Fashion-MNIST training images for the photos part's defaults check")
    parser.add_argument("--fashion-budget", type=float, default=120.0, help="seconds per model of that check")
    parser.add_argument("--photo-parts", default=",".join(conv_photos.PARTS),
                        help="the photos part's figures to (re)measure, comma-separated; the others are kept from the "
                        "last conv-photos JSON (default: all of them)")  # fmt: skip
    parser.add_argument("--before", default=None, help="an earlier run's conv-photos JSON whose reconstruction and Fashion-MNIST "
                        "figures the section shows beside the new ones")  # fmt: skip
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    max_epochs = MAX_EPOCHS
    if args.quick:
        args.n_train, args.n_test, args.budget, args.mlp_budget, max_epochs = 2000, 300, 10.0, 5.0, 2
        args.patches, args.held_out, args.fashion, args.fashion_budget = 200, 50, 1000, 5.0
    suffix = "-quick" if args.quick else ""
    command = "python benchmarks/conv_images.py" + (f" --part {args.part}" if args.part != "all" else "") + (" --quick" if args.quick else "")
    command += f" --before {args.before}" if args.before else ""
    command += f" --photo-parts {args.photo_parts}" if args.photo_parts != ",".join(conv_photos.PARTS) else ""
    if args.part in ("all", "photos"):
        photos(args, suffix, command)
    if args.part in ("all", "mnist"):
        mnist(args, max_epochs, suffix, command)
    return 0


def photos(args, suffix: str, command: str) -> None:
    started = time.perf_counter()
    fashion = (args.fashion, min(args.n_test, 10000), args.fashion_budget)
    before = conv_photos.earlier_figures(args.before) if args.before else None
    parts = tuple(part for part in args.photo_parts.split(",") if part)
    unknown = sorted(set(parts) - set(conv_photos.PARTS))
    if unknown:
        raise SystemExit(f"--photo-parts: unknown {unknown}; known: {list(conv_photos.PARTS)}")
    report = {}
    if set(parts) != set(conv_photos.PARTS):
        with open(RESULTS_DIR / f"conv-photos{suffix}.json") as f:
            report = json.load(f)
        report["remeasured"] = {"parts": list(parts), "other_parts_measured": report["machine"]["date"]}
    report.update({"machine": machine_info(), "quick": args.quick, "seed": args.seed,
                   **conv_photos.run(args.patches, args.held_out, args.seed, fashion, parts)})  # fmt: skip
    if before is not None:
        report["before"] = before
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    path = write_json(f"conv-photos{suffix}.json", report)
    section = conv_photos.markdown(report, command)
    if args.quick:
        print(section)
    else:
        update_markdown_section(conv_photos.HEADING, section)
    log(f"wrote {path} in {report['total_seconds']:.0f} s")


def mnist(args, max_epochs: int, suffix: str, command: str) -> None:
    budget = Budget(args.budget, args.mlp_budget, max_epochs, args.seed)
    started = time.perf_counter()
    data = {name: load(name, args.n_train, args.n_test) for name in LOADERS}
    report = {
        "machine": machine_info(),
        "quick": args.quick,
        "n_train": len(data["mnist"][0]),
        "n_test": len(data["mnist"][1]),
        "budget_seconds": args.budget,
        "mlp_budget_seconds": args.mlp_budget,
        "max_epochs": max_epochs,
        "seed": args.seed,
        "channels": list(CHANNELS),
    }
    report["reconstruction"], conv_models = reconstruction(data, budget, suffix)
    report["ablation"] = ablation(*data["fashion-mnist"], conv_models["fashion-mnist"], budget, suffix)
    report["denoising"] = denoising(*data["mnist"], budget, suffix)
    report["inpainting"] = inpainting(*data["fashion-mnist"], budget, suffix)
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    path = write_json(f"conv-images{suffix}.json", report)
    section = markdown(report, command)
    if args.quick:
        print(section)
    else:
        update_markdown_section(HEADING, section)
    log(f"wrote {path} in {report['total_seconds']:.0f} s")


if __name__ == "__main__":
    raise SystemExit(main())
