"""
Training under torchrun
=======================

Bigger data calls for more processes: under ``torchrun`` each rank takes its slice of every
global batch and PyTorch's ``DistributedDataParallel`` averages the gradients, so two ranks
should train the very weights one process trains with the same global batch and seed. This
example launches ``torchrun --nproc-per-node 2`` (as ``python -m torch.distributed.run``) twice
as a subprocess on the CPU (gloo): once on a short script whose estimator has
``distributed=True``, once on ``aekit train``; it then loads what they wrote and compares it
with a fit in this one process, the baseline.

Data: scikit-learn's digits through :func:`aekit.data.datasets.load_digits` (``digits`` on the
command line).
"""

# %%
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from aekit import AutoEncoder
from aekit.data.datasets import load_digits

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")
epochs = 3 if QUICK else 20
folder = Path(tempfile.mkdtemp(prefix="aekit-torchrun-"))
launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
env = {**os.environ, "OMP_NUM_THREADS": "1"}  # one thread per rank on a 2-core machine

# %%
# A script with ``distributed=True``
# ----------------------------------
# Every rank runs the whole script; the estimator joins torchrun's process group when it fits,
# and only rank 0 saves. The settings are the baseline's below. The script trains on the first
# 1,792 digits, 28 global batches of 64: with a short last batch (all 1,797 digits end on 5
# rows) each rank averages its own unequal share before the ranks average their gradients, so
# that step weighs the rows differently from one process and the weights end about 1e-2 apart.
settings = dict(
    latent_dim=8, hidden_dims=(64,), batch_size=64, max_epochs=epochs, validation_fraction=0.0, random_state=0
)
script = f"""
import sys
from aekit import AutoEncoder
from aekit.data.datasets import load_digits
from aekit.training import distributed

ae = AutoEncoder(**{settings!r}, distributed=True).fit(load_digits().X[:1792])
if distributed.is_main():
    print(f"trained on {{distributed.world_size()}} ranks")
    ae.save(sys.argv[1])
"""
(folder / "train_digits.py").write_text(script)
start = time.perf_counter()
result = subprocess.run(
    launch + [str(folder / "train_digits.py"), str(folder / "ddp")], capture_output=True, text=True, env=env, cwd=folder
)
if result.returncode != 0:
    raise RuntimeError(result.stderr[-2000:])
print(result.stdout.strip(), f"({time.perf_counter() - start:.1f} s including the start of both processes)")

# %%
# Against one process
# -------------------
X = load_digits().X[:1792]
start = time.perf_counter()
single = AutoEncoder(**settings).fit(X)
print(f"one process: {time.perf_counter() - start:.1f} s")
ddp = AutoEncoder.load(folder / "ddp")
difference = max(
    float(np.abs(a.numpy() - b.numpy()).max())
    for a, b in zip(single.module_.state_dict().values(), ddp.module_.state_dict().values())
)
mse = {name: np.mean((model.reconstruct(X) - X) ** 2) for name, model in (("2 ranks", ddp), ("1 process", single))}
print(f"largest weight difference between 2 ranks and 1 process: {difference:.2e}")
print(f"training MSE: 2 ranks {mse['2 ranks']:.5f}, 1 process {mse['1 process']:.5f}")

# %%
# ``aekit train`` under torchrun
# ------------------------------
# The command line does the same for a configured run: one run folder, written by rank 0, with
# the model, its per-epoch metrics and the data's scaling.
run = folder / "run"
# sphinx_gallery_start_ignore
# The docs tests' quick build (AEKIT_QUICK=1) runs this command line in one process: a second
# torchrun costs three more interpreters importing torch, and tests/test_distributed.py already
# runs `aekit train` under torchrun.
if QUICK:
    launch = [sys.executable]
# sphinx_gallery_end_ignore
result = subprocess.run(
    launch + ["-m", "aekit", "train", "--data", "digits", "--epochs", str(epochs), "--out", str(run), "--quiet"],
    capture_output=True, text=True, env=env, cwd=folder,
)
if result.returncode != 0:
    raise RuntimeError(result.stderr[-2000:])
print(result.stdout.strip())
trained = AutoEncoder.load(run / "model")
metrics = np.genfromtxt(run / "metrics.csv", delimiter=",", names=True)
print(f"run folder: {sorted(p.name for p in run.iterdir() if not p.name.startswith('.'))}; {trained.n_epochs_} epochs")

fig, ax = plt.subplots(figsize=(5.5, 3.4))
epochs_axis = np.arange(1, epochs + 1)
ax.plot(epochs_axis, single.history_["loss"], "o-", label="script, 1 process")
ax.plot(epochs_axis, ddp.history_["loss"], "x--", label="script, 2 ranks")
ax.plot(np.atleast_1d(metrics["epoch"]), np.atleast_1d(metrics["loss"]), "s:", label="aekit train, 2 ranks")
ax.xaxis.get_major_locator().set_params(integer=True)
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.legend()
fig.tight_layout()
plt.show()
shutil.rmtree(folder)
