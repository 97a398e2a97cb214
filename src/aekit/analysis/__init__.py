"""What a fitted autoencoder tells: why a row is an outlier (`explanations`), outlier thresholds,
the latent space as a tool (`latent`), scores of its outputs (`metrics`) and a sparse code's units
as features (`features`)."""

__all__ = []  # a package of modules; its names live in them
