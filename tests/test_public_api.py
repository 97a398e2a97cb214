"""The public API is what the README documents: every public module (no leading underscore)
lists its names in a sorted `__all__`, every `from aekit... import` in the README's examples and
every `aekit.name` it cites names one of them, and the package carries no test harness: no
module imports hypothesis, pytest or pickle, and no class defines a pickle hook (the hostile
files, fault injection and hostile inputs live in tests/harness)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import aekit

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(aekit.__file__).parent  # the package these tests import, wherever it is installed
HARNESS = ROOT / "tests" / "harness"
README = ROOT / "README.md"
PAGES = [README, *sorted(p for p in (ROOT / "docs").rglob("*.md") if "_build" not in p.parts)]  # README and user guide


def documentation_text() -> str:
    return "\n".join(page.read_text() for page in PAGES)

HARNESS_IMPORTS = {"hypothesis", "pytest", "pickle"}
PICKLE_HOOKS = {"__reduce__", "__reduce_ex__"}


def module_name(path: Path) -> str:
    """'aekit.nn.mlp' for src/aekit/nn/mlp.py, 'aekit.nn' for its __init__.py."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_public(name: str) -> bool:
    return not any(part.startswith("_") for part in name.split("."))


PACKAGE_FILES = sorted(PACKAGE.rglob("*.py"))
PUBLIC_MODULES = sorted(name for name in map(module_name, PACKAGE_FILES) if is_public(name))


def readme_python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", documentation_text(), re.S)


def readme_imports() -> list[tuple[str, str | None]]:
    """(module, name) for each `from aekit... import name` in the README's python blocks, and
    (module, None) for each `import aekit...`."""
    found: list[tuple[str, str | None]] = []
    for block in readme_python_blocks():
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "aekit":
                found += [(node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [(alias.name, None) for alias in node.names if alias.name.split(".")[0] == "aekit"]
    return list(dict.fromkeys(found))


def readme_references() -> list[str]:
    """Dotted names such as `aekit.analysis.metrics.ssim` or `aekit.train(...)` cited in the README's text."""
    return sorted(set(re.findall(r"`(aekit(?:\.\w+)+)", documentation_text())))


def split_reference(reference: str) -> tuple[str, list[str]]:
    """('aekit.analysis.metrics', ['ssim']) for 'aekit.analysis.metrics.ssim': the longest importable module, and
    the attribute path after it."""
    parts = reference.split(".")
    depth = 1
    while depth < len(parts):
        package = importlib.import_module(".".join(parts[:depth]))
        if not hasattr(package, "__path__") or importlib.util.find_spec(".".join(parts[: depth + 1])) is None:
            break
        depth += 1
    return ".".join(parts[:depth]), parts[depth:]


def imported_top_level(tree: ast.AST) -> set[str]:
    """Top-level names of every module the code imports, at module level or inside functions."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def pickle_hooks(tree: ast.AST) -> list[str]:
    """'Class.__reduce__' for each class that tells pickle how to rebuild it: a payload's hook."""
    return [
        f"{node.name}.{item.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for item in node.body
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in PICKLE_HOOKS
    ]


def parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(), filename=str(path))


def test_the_public_modules_are_found():
    assert {"aekit", "aekit.estimators", "aekit.nn", "aekit.training", "aekit.cli"} <= set(PUBLIC_MODULES)
    assert "aekit.training._denormals" not in PUBLIC_MODULES and "aekit.__main__" not in PUBLIC_MODULES


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_module_has_a_sorted_all_of_real_names(name):
    module = importlib.import_module(name)
    assert isinstance(getattr(module, "__all__", None), list), f"{name} has no __all__ list"
    assert module.__all__ == sorted(set(module.__all__)), f"{name}.__all__ is not sorted or repeats a name"
    assert [attr for attr in module.__all__ if not hasattr(module, attr)] == []
    assert [attr for attr in module.__all__ if attr.startswith("_") and attr != "__version__"] == []
    tree = ast.parse(Path(module.__file__).read_text())
    assigned = [n for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in n.targets)]
    assert len(assigned) == 1, f"{name} assigns __all__ {len(assigned)} times; the last one silently wins"


def test_readme_examples_import_aekit():
    imports = readme_imports()
    assert ("aekit", "AutoEncoder") in imports and ("aekit.analysis.latent", "LatentSampler") in imports


@pytest.mark.parametrize("module, name", readme_imports(), ids=[f"{m}:{n}" for m, n in readme_imports()])
def test_readme_import_names_a_public_name(module, name):
    assert is_public(module), f"the README imports the internal module {module}"
    imported = importlib.import_module(module)
    if name is not None:
        assert name in imported.__all__, f"the README imports {name} from {module}, whose __all__ lacks it"


@pytest.mark.parametrize("reference", readme_references())
def test_readme_reference_names_a_public_name(reference):
    module_path, rest = split_reference(reference)
    assert is_public(module_path), f"the README cites the internal module {module_path}"
    if rest:
        public = importlib.import_module(module_path).__all__
        assert rest[0] in public, f"`{reference}`: {rest[0]} is not in {module_path}.__all__"


def test_readme_cites_names_in_its_text():
    assert {"aekit.analysis.metrics.ssim", "aekit.train", "aekit.TrainingDivergedError"} <= set(readme_references())


@pytest.mark.parametrize("path", PACKAGE_FILES, ids=lambda path: str(path.relative_to(PACKAGE.parent)))
def test_package_module_carries_no_test_harness(path):
    tree = parsed(path)
    assert imported_top_level(tree) & HARNESS_IMPORTS == set(), "the package imports test-only or pickle modules"
    assert pickle_hooks(tree) == [], "a class in the package defines a pickle hook"


def test_the_harness_checks_catch_the_harness():
    assert "hypothesis" in imported_top_level(parsed(HARNESS / "input_checks.py"))
    assert "pickle" in imported_top_level(parsed(HARNESS / "hostile_files.py"))
    assert pickle_hooks(parsed(HARNESS / "hostile_files.py")) == ["_Payload.__reduce__"]


@pytest.mark.parametrize("name", ["fault_injection", "hostile_files", "input_checks"])
def test_harness_lives_in_tests_not_in_the_package(name):
    assert importlib.util.find_spec(f"aekit.{name}") is None
    assert (HARNESS / f"{name}.py").is_file()


ALL_MODULES = sorted(name for name in map(module_name, PACKAGE_FILES) if name != "aekit.__main__")  # __main__ runs the command line


def module_imports(name: str) -> set[str]:
    """The aekit modules `name` imports when it is loaded (module-level imports only): for
    `from aekit.x import y`, aekit.x.y where that is a module, else aekit.x."""
    tree = parsed(PACKAGE.parent / (name.replace(".", "/") + ("/__init__.py" if name in PACKAGES else ".py")))
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "aekit":
            found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in ALL_MODULES else node.module for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "aekit"}
    return found - {name}


PACKAGES = {module_name(p) for p in PACKAGE_FILES if p.name == "__init__.py"}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle of the directed graph found by a depth-first walk, as its modules in order."""
    cycles, state, path = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_import_cycles_are_found():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back_through_others():
    assert import_cycles({name: module_imports(name) for name in ALL_MODULES}) == []


def test_every_module_imports_first_in_a_fresh_interpreter():
    """Each module imported as the first aekit module of a process (torch stays loaded between
    them), so none depends on another having been imported before it."""
    script = (
        "import importlib, sys, torch\n"
        f"for name in {ALL_MODULES!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'aekit' or m.startswith('aekit.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as err:\n"
        "        print(name, type(err).__name__, err)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr
