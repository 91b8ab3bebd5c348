"""The public face: what users may import is exactly what the docs document.

``alphacast/__init__.py`` is the face; every other module either starts with an
underscore (an implementation detail) or is named in the documentation.
"""

from __future__ import annotations

import ast
import pkgutil
import re
from pathlib import Path

import alphacast

ROOT = Path(__file__).resolve().parent.parent
DOCS = "\n".join(page.read_text(encoding="utf-8") for page in (ROOT / "docs").rglob("*.rst"))


def _public_modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(alphacast.__path__, "alphacast.")
        if not any(part.startswith("_") for part in info.name.split(".")[1:])
    ]


def test_every_public_module_is_documented():
    undocumented = [name for name in _public_modules() if not re.search(rf"{re.escape(name)}\b", DOCS)]
    assert not undocumented, f"public by name but not in docs/ (document them or add a leading _): {undocumented}"


def test_retry_policy_is_exported_from_the_face():
    from alphacast import RetryPolicy

    assert "RetryPolicy" in alphacast.__all__
    assert RetryPolicy().next_wait("GET", 1, status=503) is not None


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_transport_does_not_reach_up_to_the_chain():
    imported = _imports(ROOT / "alphacast" / "_transport.py")
    assert not {name for name in imported if name.startswith(("alphacast.chain", "alphacast.plugins", "alphacast.providers"))}


def test_the_emulator_depends_on_nothing_above_it():
    above = ("alphacast.cli", "alphacast._client", "alphacast.chain", "alphacast.plugins", "alphacast.providers", "alphacast.resources")
    for path in (ROOT / "alphacast" / "emulator").glob("*.py"):
        reaching_up = {name for name in _imports(path) if name.startswith(above)}
        assert not reaching_up, f"{path.name} imports {reaching_up}"


def test_built_in_providers_use_only_what_a_plugin_may_import():
    private = re.compile(r"^alphacast\.(_|.*\._)")
    for path in (ROOT / "providers").glob("*.py"):
        used = {name for name in _imports(path) if private.match(name) and not name.startswith("alphacast.providers")}
        assert not used, f"providers/{path.name} imports private {sorted(used)}"
