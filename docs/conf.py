"""Sphinx configuration of the alphacast documentation.

Built with ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (``tox -e
docs``): only Sphinx's own extensions plus the local ``_ext/alphacast_cli.py``, which
renders the command line from the argparse parsers so that page cannot drift.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

import alphacast  # noqa: E402

project = "alphacast"
author = "Alphacast.io"
copyright = "Alphacast.io"  # noqa: A001 - Sphinx's setting name
release = alphacast.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.graphviz",
    "sphinx.ext.viewcode",
    "alphacast_cli",
]

# Diagrams are drawn from source at build time (Graphviz's ``dot``; .ci/run installs it).
graphviz_output_format = "svg"

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []
# Furo: responsive, with a light and a dark mode (it follows the reader's system
# setting, and a button in the header switches). docs/_static/alphacast.css keeps
# code blocks within the content column; tests/test_docs_browser.py measures that in
# a real browser at 1280 px.
html_theme = "furo"
html_static_path = ["_static"]
html_css_files = ["alphacast.css"]
html_title = f"alphacast {release}"
pygments_style = "friendly"
pygments_dark_style = "monokai"  # furo's dark mode

# Every cross-reference must resolve: -W turns a broken one into a failed build.
nitpicky = True
nitpick_ignore = [
    # Standard-library and third-party types in signatures (no intersphinx offline).
    ("py:class", "datetime.datetime"),
    ("py:class", "datetime.date"),
    ("py:class", "pathlib.Path"),
    ("py:class", "os.PathLike"),
    ("py:class", "typing.IO"),
    ("py:class", "IO"),
    ("py:class", "Path"),
    ("py:class", "pytest.MonkeyPatch"),
    ("py:class", "requests.Session"),
    ("py:class", "threading.Lock"),
    ("py:class", "collections.abc.Iterable"),
    ("py:class", "collections.abc.Sequence"),
    ("py:class", "collections.abc.Mapping"),
    ("py:class", "collections.abc.Iterator"),
    ("py:class", "collections.abc.Callable"),
    ("py:class", "pluggy.HookimplMarker"),
    ("py:class", "ClassVar"),
    ("py:class", "logging.LogRecord"),
    ("py:class", "logging.Filter"),
    ("py:class", "argparse.ArgumentParser"),
    # The resource classes take the client's transport; users never build one.
    ("py:class", "Transport"),
    ("py:class", "alphacast._transport.Transport"),
]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_default_options = {"undoc-members": False, "show-inheritance": True}
autodoc_preserve_defaults = False

default_role = "literal"

# A block without a language (``::``) is plain text, never guessed as Python.
highlight_language = "text"


def _resolve_by_suffix(app, env, node, contnode):  # noqa: ANN001, ANN202 - Sphinx event
    """Resolve a Python reference the code's docstrings write relative to their own
    module (``CredentialError`` in :mod:`alphacast.chain`, ``Dataset.download_data``
    in :mod:`alphacast.resources.series`) to the one documented object whose full
    name ends with it, e.g. ``alphacast.CredentialError``. Ambiguous names stay
    unresolved, so ``-W`` still reports them."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "").lstrip("~.")
    if not target:
        return None
    domain = env.get_domain("py")
    # autodoc also records an object under its canonical (defining) module's name:
    # entries with the same node are one object.
    matches = {
        (entry.docname, entry.node_id): name
        for name, entry in sorted(domain.objects.items(), key=lambda item: item[1].aliased)
        if name == target or name.endswith("." + target)
    }
    if len(matches) != 1:
        return None
    (name,) = matches.values()
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], name, node, contnode
    )


def setup(app):  # noqa: ANN001, ANN201 - Sphinx entry point
    app.connect("missing-reference", _resolve_by_suffix)
