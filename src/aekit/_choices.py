"""Option values that both the estimators and the `aekit` parsers name, kept free of torch so
`aekit --help` lists them without importing it."""

PRECISIONS = ("32", "bf16-mixed", "16-mixed")
