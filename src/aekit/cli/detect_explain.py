"""The reasons `aekit detect --explain K` writes: for each row, its K features that add most to
its anomaly score, in the table's own columns and units."""

from __future__ import annotations

import numpy as np

from aekit.app.detection_report import reason_text
from aekit.analysis.explanations import DEFAULT_METHOD, feature_contributions, grouped_values, source_names, summed, top_reasons

__all__ = ["row_reasons"]


def row_reasons(detector, X: np.ndarray, frame, encoding, top: int) -> list[list[str]]:
    """Per row of `frame`, the texts of its `top` reasons: the detector fitted on X (`frame`
    through the `aekit.data.tabular.DetectionEncoding` `encoding`), categorical columns as one,
    observed values from `frame`, expected ones mapped back to the table's units."""
    names, groups = encoding.feature_names, encoding.groups
    sources = source_names(names, groups)
    contributions, _, expected = feature_contributions(detector, X, DEFAULT_METHOD, sources)
    table = summed(contributions, sources)
    expected = grouped_values(encoding.to_units(expected), names, sources)
    observed = frame.rename(columns=str)[list(table.columns)].reset_index(drop=True)
    top = min(top, table.shape[1])
    reasons = top_reasons(table, observed, expected, top)
    fields = ("feature", "observed", "expected", "share")
    return [
        [reason_text(*(reasons.iloc[i][f"{what}_{k}"] for what in fields)) for k in range(1, top + 1)]
        for i in range(len(reasons))
    ]
