"""`TableInput`: how an estimator that takes DataFrames reads one, the way `aekit detect`
does: the columns that are not features (identifiers, constants, those named in
`ignore_columns`) left out with a warning, the others encoded by `DetectionEncoding`
(numeric columns standardised, text and category columns one-hot). Saved as plain JSON."""

from __future__ import annotations

import numpy as np

from aekit.data.columns import leave_out
from aekit.data.tabular import DetectionEncoding, TableLayout

__all__ = ["TableInput"]


def _string_columns(frame):
    return frame.set_axis([str(c) for c in frame.columns], axis=1)


class TableInput:
    """The columns left out (`dropped`, {name: why}) and the fitted `encoding` of the others.

    Parameters
    ----------
    dropped : dict of str to str
        Each column left out of the model, with why.
    encoding : DetectionEncoding
        The fitted encoding of the columns the model uses.
    """

    def __init__(self, dropped: dict[str, str], encoding: DetectionEncoding):
        self.dropped = dict(dropped)
        self.encoding = encoding

    @classmethod
    def fit(cls, frame, ignore_columns, owner: str) -> TableInput:
        """Find the columns of DataFrame `frame` to leave out (see `aekit.data.columns`), warn
        about those found, and fit the encoding of the others; ValueError if none is left.

        Parameters
        ----------
        frame : pandas.DataFrame
            The training table; its column names are read as strings.
        ignore_columns : 'auto', None or list of str
            Which columns to leave out (see `aekit.data.columns.non_features`).
        owner : str
            Who reads the table (e.g. the estimator's class name), to start the warning.

        Returns
        -------
        TableInput
            The fitted table input.
        """
        frame = _string_columns(frame)
        dropped = leave_out(frame, ignore_columns, owner)
        return cls(dropped, DetectionEncoding().fit(frame.drop(columns=list(dropped))))

    @property
    def columns(self) -> list[str]:
        """The columns the model uses, in order."""
        return [str(c) for c in self.encoding.feature_names_in_]

    @property
    def n_encoded(self) -> int:
        """Width of the encoded rows."""
        return self.encoding.layout_.n_encoded

    def kept(self, frame):
        """The used columns of DataFrame `frame`, named by strings.

        Parameters
        ----------
        frame : pandas.DataFrame
            A table with (at least) the columns seen in fit; a missing one raises a ValueError.

        Returns
        -------
        pandas.DataFrame
            Those columns, in the fitted order.
        """
        frame = _string_columns(frame)
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise ValueError(f"X lacks the columns {missing} seen in fit")
        return frame[self.columns]

    def transform(self, frame) -> np.ndarray:
        """The encoded rows (n, n_encoded) float32 of DataFrame `frame`.

        Parameters
        ----------
        frame : pandas.DataFrame of shape (n, n_columns)
            A table with the columns seen in fit (others are ignored).

        Returns
        -------
        ndarray of shape (n, n_encoded)
            The encoded rows, float32.
        """
        return self.encoding.transform(self.kept(frame))

    def feature_names(self) -> list[str]:
        """Names of the encoded columns (`DetectionEncoding.get_feature_names_out`)."""
        return [str(n) for n in self.encoding.get_feature_names_out()]

    def feature_sources(self) -> list[str]:
        """The table column each encoded column comes from."""
        return [str(n) for n in self.encoding.get_feature_sources_out()]

    def inverse(self, encoded: np.ndarray) -> np.ndarray:
        """Encoded rows (n, n_encoded) back in the used columns' units (n, n_columns).

        Parameters
        ----------
        encoded : ndarray of shape (n, n_encoded)
            Encoded rows, e.g. reconstructions.

        Returns
        -------
        ndarray of shape (n, n_columns)
            The rows in the used columns' units (see `DetectionEncoding.inverse_transform`).
        """
        return self.encoding.inverse_transform(encoded)

    def to_json(self) -> dict:
        """The table input as JSON-ready values (read back by `from_json`)."""
        return {"dropped": self.dropped, "columns": self.columns, "layout": self.encoding.layout_.to_json(),
                "group_scale": self.encoding.group_scale_.tolist()}

    @classmethod
    def from_json(cls, data: object) -> TableInput:
        """The table input `to_json` wrote, checked (ValueError otherwise).

        Parameters
        ----------
        data : object
            What `to_json` returned, as read back from JSON.

        Returns
        -------
        TableInput
            The table input, its encoding fitted.
        """
        if not isinstance(data, dict) or set(data) != {"dropped", "columns", "layout", "group_scale"}:
            raise ValueError("table_ must be an object with dropped, columns, layout and group_scale")
        dropped, columns, scale = data["dropped"], data["columns"], data["group_scale"]
        if not isinstance(dropped, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in dropped.items()):
            raise ValueError("table_.dropped must map column names to reasons")
        if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
            raise ValueError("table_.columns must be a non-empty list of column names")
        layout = TableLayout.from_json(data["layout"])
        if len(layout.categorical_mask) != len(columns):
            raise ValueError(f"table_.layout has {len(layout.categorical_mask)} columns, table_.columns {len(columns)}")
        n_groups = len(layout.categories)
        if (not isinstance(scale, list) or len(scale) != n_groups
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in scale)):
            raise ValueError(f"table_.group_scale must list {n_groups} positive numbers")
        encoding = DetectionEncoding()
        encoding.layout_, encoding.group_scale_ = layout, np.asarray(scale, dtype=np.float64)
        encoding.n_features_in_, encoding.feature_names_in_ = len(columns), np.asarray(columns, dtype=object)
        return cls(dropped, encoding)
