# `make demo` and `make test` each set up .venv on a fresh machine, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench docs docs-quick clean

# pyspark (about 460 MB to download) only where Java is there to run it; tests/test_engines.py
# skips its Spark tests, saying so, elsewhere.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	if command -v java >/dev/null 2>&1; then $(BIN)/python -m pip install --quiet -e '.[spark]'; fi
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/aekit demo --out runs/demo

# Compiled test and package modules are cached (__pycache__, git-ignored) even where the
# environment sets PYTHONDONTWRITEBYTECODE: each pytest-xdist worker imports them again. Tests are
# spread one by one and an idle worker takes from the other's queue (worksteal): a file of many
# small tests no longer runs on one core while the other waits (251 s with loadfile, 174 s here).
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto --dist worksteal

# The documentation site (docs/_build/html), built offline; the gallery runs every example in
# full (docs-quick: on few rows and epochs, as the tests do). Data come from $AEKIT_DATA, else
# ../shared/data where it exists.
DATA := $(firstword $(AEKIT_DATA) $(wildcard $(abspath ../shared/data)))
SPHINX = AEKIT_DATA=$(DATA) MPLBACKEND=Agg $(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

docs: $(STAMP)
	$(SPHINX)

docs-quick: $(STAMP)
	AEKIT_QUICK=1 $(SPHINX)

bench: $(STAMP)
	$(BIN)/python benchmarks/speed.py

clean:
	rm -rf $(VENV) runs build src/*.egg-info docs/_build docs/api docs/gallery
