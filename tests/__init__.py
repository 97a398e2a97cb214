"""aekit's test suite. A package, so that `tests.harness` and `tests.conftest` import by one
name from pytest (which puts the repository root on sys.path) and from the benchmark scripts."""
