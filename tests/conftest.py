"""Shared fixtures (sklearn's digits scaled to [0, 1] with a fixed held-out split) and helpers."""

from __future__ import annotations

import os
from html.parser import HTMLParser

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def pytest_configure(config):
    """Under pytest-xdist (`make test` runs one worker per core) each worker, and every process
    it starts, computes on one thread: two workers with two threads each would oversubscribe
    the cores, and the tests' small models train fastest on one thread anyway. OpenBLAS (numpy's
    and scipy's) read OMP_NUM_THREADS when this module imported numpy, before it was set, so
    threadpoolctl limits them too: with two threads each, sklearn's IterativeImputer on digits
    took 200 s of CPU instead of 3 s."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ["OMP_NUM_THREADS"] = "1"
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(1)
        config._aekit_thread_limits = threadpool_limits(limits=1)


FIRST = "test_docs_site.py"


def pytest_collection_modifyitems(config, items):
    """Collect the documentation site's tests first: its build (minutes on one core) is by far the
    longest item, and in collection order pytest-xdist's worksteal queued it a third of the way
    into the second worker's half, so it started minutes in and ran on alone at the end."""
    items[:] = sorted(items, key=lambda item: item.path.name != FIRST)


@pytest.fixture(scope="session")
def digits():
    """(X_train, X_test, y_train, y_test) of sklearn's 8x8 digits, pixels in [0, 1]."""
    data = load_digits()
    X = (data.data / 16.0).astype(np.float64)
    return train_test_split(X, data.target, test_size=0.25, random_state=0, stratify=data.target)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium for a test module (tests.harness.chromium); skips where none is installed."""
    from tests.harness.chromium import Chromium, find_browser

    executable = find_browser()
    if executable is None:
        pytest.skip("no Chromium found (install the Debian packages chromium and chromium-driver; .ci/run does)")
    chromium = Chromium(executable, tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run torch on one intra-op thread for a test module (module scope, so module-scoped fitted
    fixtures train under it too): the tiny test models train fastest so, and stay fast when
    other processes compete for the cores. numpy's and scipy's BLAS too: sklearn's
    IterativeImputer on digits took 85-107 s on two OpenBLAS threads of a busy machine, 3 s on one."""
    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1, user_api="blas"):
        yield
    torch.set_num_threads(previous)


def write_random_npy(path, rows: int, cols: int):
    """Write a (rows, cols) float32 .npy of uniform noise in 250,000-row pieces (for files too
    big to build in memory first); returns path."""
    import numpy as np

    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, cols))
    rng = np.random.default_rng(0)
    for start in range(0, rows, 250_000):
        X[start : start + 250_000] = rng.random((min(250_000, rows - start), cols), dtype=np.float32)
    X.flush()
    del X
    return path


class ReportPage(HTMLParser):
    """What a report page shows: its h2 headings, <img> (src, alt) pairs, tables as rows of cell
    text (header first) and all visible text, whitespace collapsed."""

    def __init__(self, path) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.images: list[tuple[str, str]] = []
        self.tables: list[list[list[str]]] = []
        self._open: str | None = None
        self._words: list[str] = []
        self.feed(path.read_text(encoding="utf-8"))
        self.text = " ".join(" ".join(self._words).split())

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append((dict(attrs)["src"], dict(attrs)["alt"]))
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th", "h2"):
            self._open = tag
            if tag != "h2":
                self.tables[-1][-1].append("")

    def handle_endtag(self, tag):
        if tag == self._open:
            self._open = None

    def handle_data(self, data):
        self._words.append(data)
        if self._open == "h2":
            self.headings.append(data)
        elif self._open in ("td", "th"):
            self.tables[-1][-1][-1] += data


@pytest.fixture(scope="session")
def onnx_registry_built_once():
    """Build torch.onnx's table of ATen-to-ONNX functions once per session instead of once per
    exported graph (1.6 s each, half of an export's time here): torch.onnx.export rebuilds it on
    every call, and only a custom_translation_table, which aekit does not pass, would change it."""
    from torch.onnx._internal.exporter import _registration

    built = {}
    build = _registration.ONNXRegistry.from_torchlib.__func__

    def from_torchlib(cls, *args, **kwargs):
        key = (cls, args, tuple(sorted(kwargs.items())))
        if key not in built:
            built[key] = build(cls, *args, **kwargs)
        return built[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_registration.ONNXRegistry, "from_torchlib", classmethod(from_torchlib))
        yield
