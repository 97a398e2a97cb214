"""Data in: one reader per source kind, fitted and saved with a run (`aekit.data.readers`), named
data sets, files and folders as arrays (`aekit.data.datasets`), document collections
(`aekit.data.text`), mixed tables encoded and decoded (`aekit.data.tabular`), the image layout
(`aekit.data.images`)."""

__all__ = []  # a package of modules; its names live in them
