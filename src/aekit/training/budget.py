"""The training budget that follows the data: what `batch_size="auto"`, `max_epochs="auto"`,
`early_stopping="auto"`, `lr_schedule="auto"` and `learning_rate="auto"` become for a fit on
`n_rows` training rows.

Small tables get small batches and as many epochs as it takes to make at least `MIN_STEPS`
optimizer steps (a 400-row table with batches of 256 would otherwise get 200 steps from 100
epochs); large data keep batches of 256 and 100 epochs. A time budget (`max_time`) caps that
budget rather than replacing it, and the learning rate then follows a cosine over the epochs, or
over the time when that runs out first (the recipe of the Hinton 2006 figure and the documents
benchmark): a cosine stretched over a long budget left the learning rate high when the validation
loss stopped improving (benchmarks/defaults.py, MNIST, Hinton's network, max_time 1,800 s: 3.14
summed squared error per test image, against 2.97 with the cosine over the 100 epochs of the step
budget; 20 Newsgroups, 10-d, max_time 600 s: P@1 0.402 against 0.406, with ELU units too). Early
stopping waits a tenth of the epochs (at least 10) without a better validation loss and restores
the best weights, a PCA start's included, so such a fit never ends on weights worse than where it
started.

`learning_rate="auto"` follows the batch for a network that starts as PCA: 1e-3 for batches
of 256 rows or more, and 1e-3 * sqrt(batch / 256) for smaller ones, the square-root rule that
keeps the noise of Adam's steps what it is at 256 rows per batch (an update from 16 rows is a
noisier estimate of the gradient than one from 256). A PCA start is already a good model, and
with 1e-3 for every batch a 159-row table (42_WBC inliers, 9 columns, batches of 16) overfitted
its 143 training rows within a few dozen of its 445 epochs while its 16 validation rows kept
rewarding the overfit: held-out MSE 1.264 times PCA(2)'s (mean of 3 seeds) against 0.957 with
the rule; a paired test of each epoch against the kept weights on the validation rows, or a
larger validation share, did not fix it. The rule costs some PCA-start cells (25_musk inliers
k=2 0.440 to 0.475, energy k=2 0.505 to 0.562 of PCA's) and helps others (diabetes k=2 0.982
to 0.951). A random start has far to go and keeps 1e-3 (the estimator resolves it): with the
rule it trained less far (digits k=2 0.592 to 0.646 of PCA's, the 200-document corpus P@1
0.101 to 0.087; benchmarks/defaults.py, BENCHMARKS.md).
"""

from __future__ import annotations

import dataclasses
import math

__all__ = ["AUTO", "BASE_LEARNING_RATE", "MIN_STEPS", "auto_learning_rate", "resolve_budget"]

AUTO = "auto"
ROWS_PER_BATCH_STEP = 16  # batch = the power of two nearest n_rows / 16, within [MIN_BATCH, MAX_BATCH]
MIN_BATCH, MAX_BATCH = 16, 256
MIN_STEPS = 4000
MIN_EPOCHS, MAX_EPOCHS = 100, 1000
MIN_PATIENCE = 10
BASE_LEARNING_RATE, BASE_BATCH = 1e-3, 256  # Adam's rate at 256 rows per batch; smaller batches: square-root rule


def auto_batch_size(n_rows: int) -> int:
    """Rows per batch for `n_rows` training rows: n_rows / 16 rounded to a power of two, in [16, 256]."""
    target = max(n_rows, 1) / ROWS_PER_BATCH_STEP
    return int(min(MAX_BATCH, max(MIN_BATCH, 2 ** round(math.log2(max(target, 1))))))


def auto_epochs(n_rows: int, batch_size: int) -> int:
    """Epochs that make at least MIN_STEPS optimizer steps, in [100, 1000]."""
    steps_per_epoch = max(1, math.ceil(n_rows / batch_size))
    return int(min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(MIN_STEPS / steps_per_epoch))))


def auto_learning_rate(batch_size: int) -> float:
    """Adam's learning rate for batches of `batch_size` rows: 1e-3 * sqrt(batch_size / 256), at most 1e-3.

    Parameters
    ----------
    batch_size : int
        Rows per optimizer step.

    Returns
    -------
    learning_rate : float
    """
    return BASE_LEARNING_RATE * math.sqrt(min(batch_size, BASE_BATCH) / BASE_BATCH)


def auto_patience(max_epochs: int) -> int:
    return max(MIN_PATIENCE, max_epochs // 10)


def resolve_budget(config, n_rows: int, has_validation: bool):
    """`config` (a `TrainConfig`) with each "auto" field replaced by what it means for a fit
    on `n_rows` training rows; early stopping is off without a validation split.

    Parameters
    ----------
    config : TrainConfig
        The settings; left unchanged.
    n_rows : int
        Number of training rows.
    has_validation : bool
        Whether the fit has a validation split.

    Returns
    -------
    config : TrainConfig
        A copy with batch_size, max_epochs, early_stopping, lr_schedule and learning_rate resolved.
    """
    batch_size = auto_batch_size(n_rows) if config.batch_size == AUTO else config.batch_size
    max_epochs = config.max_epochs
    if max_epochs == AUTO:
        max_epochs = auto_epochs(n_rows, batch_size)
    early_stopping = config.early_stopping
    if early_stopping == AUTO:
        early_stopping = auto_patience(max_epochs) if has_validation else None
    lr_schedule = config.lr_schedule
    if lr_schedule == AUTO:
        lr_schedule = "cosine" if config.max_time is not None else None
    learning_rate = auto_learning_rate(batch_size) if config.learning_rate == AUTO else config.learning_rate
    return dataclasses.replace(
        config, batch_size=batch_size, max_epochs=max_epochs, early_stopping=early_stopping, lr_schedule=lr_schedule,
        learning_rate=learning_rate,
    )
