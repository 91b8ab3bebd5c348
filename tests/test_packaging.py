"""The built wheel: what a user installs from PyPI, not the editable checkout.

The providers live in ``providers/`` and install as ``alphacast.providers``; no
generic top-level ``providers`` module may be installed. Each built-in provider is
declared as an entry point of the ``alphacast`` group, like a third-party one.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    # A copy of the files git tracks (as a release is built from a clean checkout):
    # no build/ left from an earlier build can slip stale files into the wheel, no
    # untracked file (a developer's .env) is copied, and none is left in the checkout.
    source = tmp_path_factory.mktemp("source") / "alphacast"
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    # Built as `pip install .` builds it: in isolation, with the setuptools pyproject asks for.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (found,) = out.glob("alphacast-*.whl")
    return zipfile.ZipFile(found)


def test_providers_install_under_the_alphacast_namespace_only(wheel: zipfile.ZipFile):
    names = wheel.namelist()
    top_level = {
        name.split("/")[0]
        for name in names
        if not name.split("/")[0].endswith((".dist-info", ".data"))
    }
    assert top_level == {"alphacast"}
    built_in = {p.name for p in (ROOT / "providers").glob("*.py")}
    packaged = {
        name.removeprefix("alphacast/providers/")
        for name in names
        if name.startswith("alphacast/providers/")
    }
    assert built_in and built_in <= packaged
    assert "alphacast/py.typed" in names


def test_every_built_in_provider_is_an_entry_point(wheel: zipfile.ZipFile):
    (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    parser = configparser.ConfigParser()
    parser.read_string(wheel.read(entry_points).decode())
    group = dict(parser["alphacast"])
    modules = {p.stem for p in (ROOT / "providers").glob("*.py") if not p.stem.startswith("_")}
    assert set(group.values()) == {f"alphacast.providers.{m}" for m in modules}
    assert parser["console_scripts"]["alphacast"].startswith("alphacast.cli")
