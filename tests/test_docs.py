"""The documentation's promises that can be checked without building it: every object the API
reference documents (docs/api_pages.py) documents each of its parameters in numpydoc style."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
CHECKS = ("PR01", "PR02", "PR10")  # a parameter undocumented, documented but absent, or misformatted


def api_objects() -> list[str]:
    numpydoc = pytest.importorskip("numpydoc", reason="the docs extra (numpydoc) is not installed")
    del numpydoc
    sys.path.insert(0, str(DOCS))
    try:
        from api_pages import documented_objects
    finally:
        sys.path.remove(str(DOCS))
    return documented_objects()


def test_every_documented_object_documents_its_parameters():
    from numpydoc.validate import validate

    problems = []
    for name in api_objects():
        errors = [f"{code} {message}" for code, message in validate(name)["errors"] if code in CHECKS]
        problems += [f"{name}: {e}" for e in errors]
    assert not problems, f"{len(problems)} docstring problems:\n" + "\n".join(problems)


def modules_with_examples() -> list[str]:
    """Public modules whose docstrings hold `>>>` examples."""
    sys.path.insert(0, str(DOCS))
    try:
        from api_pages import public_modules
    finally:
        sys.path.remove(str(DOCS))
    import importlib
    import inspect

    found = []
    for name in public_modules():
        source = inspect.getsource(importlib.import_module(name))
        if ">>> " in source:
            found.append(name)
    return found


@pytest.mark.parametrize("module", modules_with_examples())
def test_docstring_examples_run(module, one_torch_thread):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0, f"{result.failed} of {result.attempted} examples failed"


ROOT = DOCS.parent


def test_the_readme_is_a_landing_page_whose_links_resolve():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    assert readme.index("make demo") < readme.index("make test") < readme.index("## ")
    targets = re.findall(r"\]\(([^)#\s]+)", readme)
    assert targets and [t for t in targets if not t.startswith("http") and not (ROOT / t).exists()] == []
    examples = {f"examples/{p.name}" for p in (ROOT / "examples").glob("plot_*.py")}
    assert examples <= set(targets), f"gallery examples the README's table leaves out: {sorted(examples - set(targets))}"
