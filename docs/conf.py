"""Sphinx configuration: API reference from the numpydoc docstrings, the user guide in MyST
Markdown, and the gallery executed from examples/ by sphinx-gallery. Nothing is fetched at
build time: no intersphinx, and math is left as text instead of loading MathJax from a CDN."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "docs"))

import aekit  # noqa: E402
from api_pages import is_foreign, write_pages  # noqa: E402

project = "aekit"
author = "the aekit developers"
release = version = aekit.__version__
copyright = "2026, the aekit developers"  # noqa: A001

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "screenshots", "gallery/*.ipynb", "gallery/*.zip"]
autosummary_generate = False  # api_pages.write_pages writes each object's page
# Members inherited from aekit's own base classes are documented on each class; those defined by
# torch, scikit-learn or pydantic are not (skip_member below).
autodoc_default_options: dict = {}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = {"PR01", "PR02", "PR10"}

myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
suppress_warnings = ["myst.header"]

html_theme = "furo"
html_title = f"aekit {version}"
html_static_path: list[str] = []
html_math_renderer = None

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "gallery",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "write_computation_times": False,  # its tables load jQuery and DataTables from CDNs
    "plot_gallery": "True",
    "first_notebook_cell": None,
    "within_subsection_order": "FileNameSortKey",
}

write_pages(Path(__file__).parent / "api")


def skip_member(app, what, name, obj, skip, options):
    """Leave out members that torch, scikit-learn or pydantic define (aekit_methods' rule)."""
    return True if what == "class" and is_foreign(name, obj) else None


def compile_numpydoc_template_once() -> None:
    """numpydoc compiles its docstring template anew for every signature and docstring it
    formats, some 2,000 times in this build; reuse the first compilation per builder (the
    template is the same file each time)."""
    import numpydoc.numpydoc
    from numpydoc import docscrape_sphinx

    templates: dict[int, object] = {}

    def get_doc_object(obj, what=None, doc=None, config=None, builder=None):
        config = {} if config is None else config
        if id(builder) not in templates:
            result = docscrape_sphinx.get_doc_object(obj, what=what, doc=doc, config=config, builder=builder)
            templates[id(builder)] = config["template"]
            return result
        config["template"] = templates[id(builder)]
        return docscrape_sphinx.get_doc_object_orig(
            obj, what=what, doc=doc, config=config, class_doc=docscrape_sphinx.SphinxClassDoc,
            func_doc=docscrape_sphinx.SphinxFunctionDoc, obj_doc=docscrape_sphinx.SphinxObjDoc,
        )  # fmt: skip

    numpydoc.numpydoc.get_doc_object = get_doc_object


class OrphanNavigation:
    """furo renders the whole navigation tree into every page, a third of the build. A page that
    no toctree includes (each API object's page) has no entry marked current, so its tree is
    the same as every such page's in its folder (the links are relative): render it once per
    folder and keyword arguments."""

    def __init__(self) -> None:
        self.rendered: dict[tuple, str] = {}
        self.in_tree: set[str] | None = None

    def __call__(self, app, pagename, templatename, context, doctree) -> None:
        env = app.builder.env
        if self.in_tree is None:
            self.in_tree = {env.config.root_doc}.union(*env.toctree_includes.values())
        if pagename not in env.all_docs or pagename in self.in_tree or "toctree" not in context:
            return
        render = context["toctree"]
        folder = pagename.rpartition("/")[0]

        def toctree(**kwargs) -> str:
            key = (folder, tuple(sorted(kwargs.items())))
            if key not in self.rendered:
                self.rendered[key] = render(**kwargs)
            return self.rendered[key]

        context["toctree"] = toctree


def setup(app):
    app.connect("autodoc-skip-member", skip_member)
    app.connect("html-page-context", OrphanNavigation(), priority=400)
    compile_numpydoc_template_once()
