"""Writes the API reference's pages (docs/api/) from the package itself: one page per public
module (no leading underscore in its dotted name) with an autosummary table of its `__all__`,
and one page per class or function it defines, so a name added to a module's `__all__` gets its
entry without editing the docs."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil
from pathlib import Path

import aekit

SECTIONS = {
    "aekit.estimators": "Estimators",
    "aekit.nn": "Building blocks (torch modules)",
    "aekit.training": "Training",
    "aekit.analysis": "Analysis of fitted models",
    "aekit.data": "Data",
    "aekit.saving": "Saving and export",
    "aekit.engines": "Scoring on Dask and Spark",
    "aekit.app": "Runs, reports and figures",
    "aekit.cli": "The command line's modules",
}


def public_modules() -> list[str]:
    """Dotted names of the modules whose `__all__` is public API, in walking order."""
    names = []
    for info in pkgutil.walk_packages(aekit.__path__, "aekit."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        if getattr(importlib.import_module(info.name), "__all__", None):
            names.append(info.name)
    return names


def documented_objects() -> list[str]:
    """Dotted names of everything the API reference documents: each public object at its home
    module, and the public methods of its classes defined in aekit (not inherited from torch or
    scikit-learn, nor scikit-learn's generated `set_*_request` setters)."""
    modules = public_modules()
    homes = canonical_homes(modules)
    names = []
    for name in modules:
        module = importlib.import_module(name)
        for item in module.__all__:
            obj = getattr(module, item)
            if homes[id(obj)] != name or not has_page(item, obj):
                continue
            names.append(f"{name}.{item}")
            if isinstance(obj, type):
                names += [f"{name}.{item}.{method}" for method in aekit_methods(obj)]
    return names


def has_page(item: str, obj) -> bool:
    """Whether a public name gets a generated page (a class or function), not a constants entry."""
    return isinstance(obj, type) or (callable(obj) and not item.isupper())


def aekit_methods(cls: type) -> list[str]:
    """Public methods of `cls` that the reference shows (as the Sphinx hook `is_foreign` decides):
    functions, class and static methods defined in aekit, its own or inherited."""
    methods = []
    for attr in sorted(dir(cls)):
        owner = next((c for c in cls.__mro__ if attr in vars(c)), None)
        if attr.startswith("_") or owner is None:
            continue
        member = vars(owner)[attr]
        if isinstance(member, (classmethod, staticmethod)) or inspect.isfunction(member):
            if not is_foreign(attr, getattr(cls, attr)):  # the bound member, as autodoc hands it over
                methods.append(attr)
    return methods


def is_foreign(name: str, member) -> bool:
    """Whether a class member is left out of the reference: scikit-learn's generated
    `set_*_request` setters, and functions or properties defined outside aekit."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    if inspect.ismethoddescriptor(member) or inspect.isbuiltin(member):
        return True  # a method of a builtin base such as tuple's count and index
    function = getattr(member, "fget", None) or getattr(member, "__func__", None) or member
    module = getattr(function, "__module__", None)
    return module is not None and not module.startswith("aekit")


def canonical_homes(modules: list[str]) -> dict[int, str]:
    """For each public object (by id), the one module whose page documents it: the module that
    defines it when that module lists it, else the deepest public module listing it."""
    homes: dict[int, str] = {}
    for name in sorted(modules, key=lambda m: m.count(".")):
        module = importlib.import_module(name)
        for item in module.__all__:
            obj = getattr(module, item)
            defined_in = getattr(obj, "__module__", None)
            if defined_in in modules and item in importlib.import_module(defined_in).__all__:
                homes[id(obj)] = defined_in
            else:
                homes[id(obj)] = name
    return homes


def module_page(name: str, homes: dict[int, str]) -> str:
    """An automodule summary, the module's own names with generated pages, links to the names
    it re-exports, and its constants."""
    module = importlib.import_module(name)
    own, elsewhere, constants = [], [], []
    for item in module.__all__:
        obj = getattr(module, item)
        home = homes[id(obj)]
        if home != name:
            shown = home[len(name) + 1 :] if home.startswith(name + ".") else home
            elsewhere.append(f"   ~{shown}.{item}")
        elif has_page(item, obj):
            own.append(f"   {item}")
        else:
            constants.append(item)
    title = f"``{name}``"
    lines = [title, "=" * len(title), "", f".. automodule:: {name}", "", f".. currentmodule:: {name}", ""]
    if own:
        lines += [".. autosummary::", "   :nosignatures:", "", *own, ""]
    if elsewhere:
        lines += ["Also importable from here:", "", ".. autosummary::", "   :nosignatures:", "", *elsewhere, ""]
    if constants:
        lines += ["Constants", "---------", ""]
        lines += [f".. autodata:: {item}\n   :no-value:\n" for item in constants]
    return "\n".join(lines) + "\n"


def object_page(module: str, item: str, obj) -> str:
    """The page of one class (with its members) or function. An orphan: the module pages' tables
    link to it, and leaving ~300 such pages out of the navigation tree, which the theme renders
    into every page, halves the build."""
    title = f"{module}.{item}"
    lines = [":orphan:", "", title.replace("_", r"\_"), "=" * len(title.replace("_", r"\_")), "", f".. currentmodule:: {module}", ""]
    if isinstance(obj, type):
        lines += [f".. autoclass:: {item}", "   :members:", "   :inherited-members:", "   :show-inheritance:"]
    else:
        lines += [f".. autofunction:: {item}"]
    return "\n".join(lines) + "\n"


def command_line_page() -> str:
    """The `aekit` command's help and every subcommand's, as `aekit COMMAND --help` prints them."""
    import argparse
    import os

    from aekit.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal's width; the page has a fixed one
    try:
        helps = [("", parser.format_help())] + [(f"aekit {name}", command.format_help()) for name, command in commands.items()]
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    lines = ["The command line", "================", "", "What ``aekit --help`` and ``aekit COMMAND --help`` print, command by command.", ""]
    for title, text in helps:
        lines += [title, "-" * len(title), ""] if title else []
        lines += ["::", "", *("    " + line for line in text.splitlines()), ""]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def write_pages(folder: Path) -> None:
    """docs/api/index.rst and one page per public module, rewritten only where changed."""
    shutil.rmtree(folder / "generated", ignore_errors=True)  # rewritten whole: no page outlives its object
    (folder / "generated").mkdir(parents=True)
    modules = public_modules()
    index = ["API reference", "=============", "",
             "Every public module of aekit (a module whose dotted name has no leading underscore) and "
             "every name in its ``__all__``. The estimators are also importable from ``aekit`` itself.", ""]
    for package, heading in SECTIONS.items():
        members = [m for m in modules if m == package or m.startswith(package + ".")]
        if not members:
            continue
        index += [heading, "-" * len(heading), "", ".. toctree::", "   :maxdepth: 1", ""]
        index += [f"   {m}" for m in members] + [""]
    index += ["The command line", "----------------", "", ".. toctree::", "   :maxdepth: 1", "", "   cli", ""]
    pages = {"index.rst": "\n".join(index), "cli.rst": command_line_page()}
    homes = canonical_homes(modules)
    pages.update({f"{m}.rst": module_page(m, homes) for m in modules})
    for m in modules:
        module = importlib.import_module(m)
        for item in module.__all__:
            obj = getattr(module, item)
            if homes[id(obj)] == m and has_page(item, obj):
                pages[f"generated/{m}.{item}.rst"] = object_page(m, item, obj)
    for file, text in pages.items():
        path = folder / file
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
