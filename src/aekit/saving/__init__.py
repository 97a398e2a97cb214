"""A fitted estimator on disk (a folder of JSON and safetensors, never pickle) and as ONNX graphs."""

__all__ = []  # a package of modules; its names live in them
