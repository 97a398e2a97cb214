"""Training: the one-screen loop and everything around it (callbacks, the optimizer step with its
precision handling, checkpoints, torchrun processes, batching, TensorBoard files)."""

from aekit.training.loop import History, TrainConfig, TrainingDivergedError, TrainState, evaluate_loss, make_optimizer, train

__all__ = ["History", "TrainConfig", "TrainState", "TrainingDivergedError", "evaluate_loss", "make_optimizer", "train"]
