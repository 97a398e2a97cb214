"""The application around the estimators: run configs and run folders, evaluation against PCA,
figures, HTML reports and the latent-space explorer page."""

__all__ = []  # a package of modules; its names live in them
