"""Training: the one-screen loop and everything around it (callbacks, the optimizer step with its
precision handling, checkpoints, torchrun processes, batching, TensorBoard files, the thread rule)."""

from aekit.training.loop import History, TrainConfig, TrainingDivergedError, TrainState, evaluate_loss, make_optimizer, train
from aekit.training.threads import pick_threads, threads_for, work_per_row

__all__ = [
    "History", "TrainConfig", "TrainState", "TrainingDivergedError", "evaluate_loss", "make_optimizer",
    "pick_threads", "threads_for", "train", "work_per_row",
]  # fmt: skip
