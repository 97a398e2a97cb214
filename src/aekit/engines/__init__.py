"""Running a fitted estimator over partitioned data on an existing engine: `aekit.engines.dask`
(a `distributed` cluster; `pip install aekit[dask]`) and `aekit.engines.spark` (`mapInPandas`
over a Spark DataFrame; `pip install aekit[spark]`). The model travels as packed JSON and
safetensors bytes, once per worker, never as a pickle."""

__all__ = []  # a package of modules; its names live in them
