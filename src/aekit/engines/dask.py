"""A fitted estimator's method over a Dask DataFrame or Array, on a `distributed` cluster.

The model is packed once (`aekit.saving.packed`: JSON and safetensors, no pickle), scattered to
every worker once, and unpacked once per worker process; each partition then runs the method
locally. The result is lazy, partitioned like the input with the same index and order, so it
can be computed, joined back or written with `to_parquet` (`pip install aekit[dask]`).

    from distributed import Client
    import dask.dataframe as dd
    from aekit.engines.dask import apply

    client = Client("tcp://scheduler:8786")
    rows = dd.read_parquet("rows/")
    apply(detector, "score_samples", rows).to_parquet("scores/")

To gather the scores into the client, take them as an array
(`apply(...)["score_samples"].to_dask_array().compute()`): computing the frame also concatenates
its index of every row.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np

from aekit.engines.partitions import ShippedModel, apply_to_frame, check_method, checked_columns, loaded
from aekit.engines.worker_malloc import roomy_malloc

__all__ = ["LEAN_WORKER_CONFIG", "apply"]

LEAN_WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}
"""Dask settings for a cluster that scores on few cores: no statistical profiler (a stack sample
of every worker thread each 10 ms) and slower monitoring ticks (20 ms, 500 ms and 100 ms by
default), which otherwise take CPU from the partitions. Set them where the cluster starts:
``with dask.config.set(LEAN_WORKER_CONFIG): LocalCluster(...)``, or in its dask configuration
file; the dashboard's profile page and system plots are then empty or coarser."""


def _client(client):
    try:
        from distributed import get_client
    except ImportError as err:
        raise ImportError("aekit.engines.dask needs dask and distributed: pip install 'aekit[dask]'") from err
    if client is not None:
        return client
    try:
        return get_client()
    except ValueError as err:
        raise ValueError("no Dask client: pass client=, or create a distributed.Client first") from err


def _frame_partition(frame, data: bytes, digest: str, method: str, features: list[str], keep: list[str], kwargs: dict, *, empty):
    if len(frame) == 0:  # an empty Parquet file, say: estimators refuse 0 rows
        return empty
    with roomy_malloc():
        return apply_to_frame(loaded(digest, data), method, frame, features, keep, kwargs)


def _array_block(block: np.ndarray, data: bytes, digest: str, method: str, kwargs: dict, empty: np.ndarray) -> np.ndarray:
    if block.shape[0] == 0:
        return empty
    with roomy_malloc():
        return np.asarray(getattr(loaded(digest, data), method)(block, **kwargs))


def apply(est, method: str, data, *, client=None, features: list[str] | None = None, keep: list[str] = (), **kwargs):
    """`est.<method>(part, **kwargs)` on every partition of `data`, lazily, on `client`'s
    cluster (default: the current client).

    Parameters
    ----------
    est : estimator
        A fitted aekit estimator (`transform`, `score_samples`, `predict`, ...; `explain` for a
        DataFrame only); METHODS in `aekit.engines.partitions` lists them.
    method : str
        The method's name.
    data : dask.dataframe.DataFrame or dask.array.Array
        The rows; a 2-D Array is rechunked to whole rows.
    client : distributed.Client, default=None
        The cluster to scatter the model to; None takes the current client.
    features : list of str, default=None
        The DataFrame's columns the model reads (default: every column not in `keep`).
    keep : list of str, default=()
        DataFrame columns copied unchanged in front of the outputs (an id, say).
    **kwargs
        Passed to the method (e.g. ``top`` for `explain`).

    Returns
    -------
    dask.dataframe.DataFrame or dask.array.Array
        For a DataFrame: `data`'s index and divisions, the `keep` columns, then the outputs
        named as in `aekit.engines.partitions`. For an Array: (n,) or (n, k) with the same row
        chunks.
    """
    import dask.array as da

    client = _client(client)
    method, keep = check_method(est, method), list(keep)
    if isinstance(data, da.Array):
        if method == "explain":
            raise ValueError("method='explain' gives a table: pass a dask DataFrame (e.g. dask.dataframe.from_dask_array)")
        if data.ndim != 2:
            raise ValueError(f"data must be 2-D (rows, features), got {data.ndim} dimensions")
    else:
        features = checked_columns(list(data.columns), features, keep)
        with warnings.catch_warnings():  # the made-up row Dask gives (text 'a', say) is not the user's data
            warnings.simplefilter("ignore", UserWarning)
            made_up = data._meta_nonempty.iloc[:1]  # its second row holds missing values, which a detector refuses
            meta = apply_to_frame(est, method, made_up, features, keep, kwargs).iloc[:0]
    shipped = ShippedModel.of(est)
    future = client.scatter(shipped.data, broadcast=True, hash=False)  # hashed: the key an earlier apply's future releases
    if isinstance(data, da.Array):
        return _apply_array(est, method, data.rechunk({1: -1}), future, shipped.digest, kwargs)
    return data.map_partitions(  # the empty frame inside the partial: an argument frame would be aligned with `data`
        partial(_frame_partition, empty=meta), future, shipped.digest, method, features, keep, kwargs, meta=meta,
        align_dataframes=False,
    )


def _apply_array(est, method: str, data, future, digest: str, kwargs: dict):
    """map_blocks over whole-row chunks; the output's shape and dtype from the method run on one row of zeros."""
    probe = np.asarray(getattr(est, method)(np.zeros((1, data.shape[1]), dtype=data.dtype), **kwargs))
    fn = partial(_array_block, method=method, kwargs=kwargs, empty=probe[:0])
    if probe.ndim == 1:
        return data.map_blocks(fn, future, digest, drop_axis=1, dtype=probe.dtype, meta=np.empty((0,), probe.dtype))
    return data.map_blocks(fn, future, digest, chunks=(data.chunks[0], (probe.shape[1],)), dtype=probe.dtype,
                           meta=np.empty((0, 0), probe.dtype))
