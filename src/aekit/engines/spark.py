"""A fitted estimator's method over a Spark DataFrame with `mapInPandas`.

The model is packed once (`aekit.saving.packed`: JSON and safetensors, no pickle) and sent as a
Spark broadcast variable, so each executor receives it once; each Python worker unpacks it the
first time it runs a batch and keeps it for the next ones. Rows keep their order within each
partition; `keep` columns (an id, say) are copied beside the outputs to join them back
(`pip install aekit[spark]`).

    from aekit.engines.spark import apply

    rows = spark.read.parquet("rows/")
    apply(detector, "score_samples", rows, keep=["id"]).write.parquet("scores/")
"""

from __future__ import annotations

from functools import partial

from aekit.engines.partitions import ShippedModel, apply_to_frame, check_method, checked_columns, loaded

__all__ = ["apply"]


def _batches(batches, broadcast, digest: str, method: str, features: list[str], keep: list[str], kwargs: dict):
    est = loaded(digest, broadcast.value)
    for frame in batches:
        yield apply_to_frame(est, method, frame, features, keep, kwargs)


def _schema(est, method: str, df, features: list[str], keep: list[str], kwargs: dict):
    """The output's Spark schema, from the method run on the driver over a few of `df`'s rows."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    sample = df.limit(2).toPandas()
    if sample.empty:
        raise ValueError("the DataFrame has no rows to infer the output schema from: pass schema=")
    out = apply_to_frame(est, method, sample, features, keep, kwargs)
    return from_arrow_schema(pa.Schema.from_pandas(out, preserve_index=False))


def apply(est, method: str, df, *, features: list[str] | None = None, keep: list[str] = (), schema=None, **kwargs):
    """`est.<method>(batch, **kwargs)` on every Arrow batch of Spark DataFrame `df`, lazily.

    Parameters
    ----------
    est : estimator
        A fitted aekit estimator; `aekit.engines.partitions.METHODS` lists the methods.
    method : str
        The method's name.
    df : pyspark.sql.DataFrame
        The rows.
    features : list of str, default=None
        The columns the model reads (default: every column not in `keep`).
    keep : list of str, default=()
        Columns copied unchanged in front of the outputs.
    schema : pyspark.sql.types.StructType or str, default=None
        The output's schema (default: inferred by running the method on two rows on the driver).
    **kwargs
        Passed to the method.

    Returns
    -------
    pyspark.sql.DataFrame
        The `keep` columns, then the outputs named as in `aekit.engines.partitions`.
    """
    try:
        import pyspark  # noqa: F401
    except ImportError as err:
        raise ImportError("aekit.engines.spark needs pyspark: pip install 'aekit[spark]'") from err
    method, keep = check_method(est, method), list(keep)
    features = checked_columns(list(df.columns), features, keep)
    if schema is None:
        schema = _schema(est, method, df, features, keep, kwargs)
    shipped = ShippedModel.of(est)
    broadcast = df.sparkSession.sparkContext.broadcast(shipped.data)
    return df.mapInPandas(partial(_batches, broadcast=broadcast, digest=shipped.digest, method=method,
                                  features=features, keep=keep, kwargs=kwargs), schema)
