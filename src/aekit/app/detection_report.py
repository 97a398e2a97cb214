"""The one-page HTML report of an outlier-detection run (`aekit detect --report DIR`): the
threshold and how it was set, the histogram of anomaly scores with the threshold, and the most
abnormal rows with the features that made them so."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["reason_texts", "write_detection_report"]

N_SHOWN = 20
HISTOGRAM = "scores.png"


def reason_texts(reasons) -> list[list[str]]:
    """Each row's reasons, from `explain(..., top=k)`'s frame, as lines of text:
    'income = 91250 (expected 42871; 63% of the score)', four significant digits or every digit
    before the point.

    Parameters
    ----------
    reasons : pandas.DataFrame
        What `aekit.analysis.explanations.explain` returned: per row, columns feature_k,
        observed_k, expected_k and share_k for k = 1, 2, ...

    Returns
    -------
    list of list of str
        Per row, one line per reason, most important first.
    """

    def show(value) -> str:
        if isinstance(value, (bool, np.bool_)):
            return str(bool(value))
        if not isinstance(value, (int, float, np.floating, np.integer)):
            return str(value)
        whole_digits = int(np.floor(np.log10(abs(value)))) + 1 if np.isfinite(value) and 1 <= abs(value) < 1e15 else 0
        return f"{value:.{max(4, whole_digits)}g}"  # every digit before the point: 10742, not 1.074e+04

    ranks = range(1, sum(str(c).startswith("feature_") for c in reasons.columns) + 1)
    return [[f"{r[f'feature_{k}']} = {show(r[f'observed_{k}'])} (expected {show(r[f'expected_{k}'])}; "
             f"{r[f'share_{k}']:.0%} of the score)" for k in ranks] for _, r in reasons.iterrows()]


def write_detection_report(
    out_dir: str | Path,
    source: str,
    scores: np.ndarray,
    threshold: float,
    rule: str,
    probabilities: np.ndarray,
    reasons: list[list[str]],
    ids: tuple[str, list[str]] | None = None,
    row_labels: list | None = None,
) -> Path:
    """Write out_dir/report.html: anomaly `scores` (n,) with their `threshold` (set by `rule`,
    e.g. 'contamination 0.05'), and the N_SHOWN highest-scoring rows with their outlier
    `probabilities` (n,), `reasons` (per row, the texts of its top features) and, given
    `ids` = (the identifier column's name, its n values), their identifiers.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The report folder; it is created if needed, and gets the histogram scores.png.
    source : str
        The table's name or path, for the title and summary.
    scores : ndarray of shape (n,)
        Anomaly scores, higher is more abnormal.
    threshold : float
        The score above which a row is flagged.
    rule : str
        How the threshold was set, as a phrase, e.g. 'contamination 0.05'.
    probabilities : ndarray of shape (n,)
        Each row's outlier probability.
    reasons : list of list of str
        Per row, the texts of its top features (`reason_texts`).
    ids : tuple of (str, sequence), optional
        The identifier column's name and its n values, shown beside the row numbers.
    row_labels : list, optional
        The table's own n row labels (a Parquet file's index), shown as its rows; None numbers
        the rows from 1, the first after the header being 1, as aekit's messages count data rows.

    Returns
    -------
    pathlib.Path
        The path of report.html.
    """
    from aekit.app import plot
    from aekit.app.report import Section, write_report

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plot.plot_score_histogram(scores, threshold, title=f"Anomaly scores of {len(scores)} rows", path=out_dir / HISTOGRAM)
    flagged = scores > threshold
    order = np.argsort(-scores, kind="stable")[:N_SHOWN]
    id_name, id_values = ids if ids is not None else (None, None)
    table = [["row", *([id_name] if ids else []), "anomaly score", "outlier probability", "flagged", "why"]]
    table += [
        [int(i) + 1 if row_labels is None else row_labels[i], *([id_values[i]] if ids else []), float(scores[i]),
         float(probabilities[i]), "yes" if flagged[i] else "no", "; ".join(reasons[i])]
        for i in order
    ]
    summary = (
        f"{int(flagged.sum())} of {len(scores)} rows of {source!r} are flagged as outliers: their anomaly score "
        f"(higher = more abnormal) exceeds the threshold {threshold:.4g}, set by {rule}. The outlier probability "
        "comes from where the score falls among the training scores and is 0.5 at the threshold."
    )
    why = (
        "Each reason names a feature, its value, the value the autoencoder expected there (its reconstruction; the "
        "most likely category for a categorical column) and the feature's share of the row's anomaly score "
        "(AutoEncoderOutlierDetector.explain). Rows are "
        + ("the table's row labels" if row_labels is not None else "data rows of the table, counted from 1 (the first after the header)")
        + (f", each shown with its {id_name}." if ids else ".")
    )
    sections = [
        Section("Summary", text=summary, images=[(HISTOGRAM, "Anomaly scores; the red line is the threshold")]),
        Section(f"The {len(order)} most abnormal rows", text=why, table=table),
    ]
    return write_report(out_dir, f"aekit detect: {source}", sections, embed_images=True)
