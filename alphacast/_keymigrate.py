"""Moving keys out of scripts, notebooks and ``.env`` files (``alphacast keys migrate``).

Python is rewritten with libcst (:mod:`alphacast._keyrewrite`: formatting and
comments survive), notebooks are read and written with nbformat, ``.env`` files are
split into entries by python-dotenv's parser: never a regular expression over
source. For a key stored under profile ``P``:

- ``Alphacast("ak_...")``, ``Alphacast(api_key="ak_...")`` and ``Alphacast(KEY)``
  where ``KEY = "ak_..."`` become ``Alphacast(profile="P")``;
- ``KEY = "ak_..."`` is removed when it only feeds such calls; otherwise its value
  (as any other string that is exactly the key) becomes
  ``Alphacast(profile="P").api_key``, importing ``Alphacast`` where needed;
- a key in a comment or a notebook's text cell is replaced by a note naming the profile;
- a notebook cell's saved outputs holding a key are cleared;
- a ``.env`` entry whose value is the key is removed.

Each rewrite is checked by scanning its result: a file that would still hold a key,
or that cannot be parsed, is left as it is and the reason reported. A changed file
is first backed up under ``~/.alphacast/backups/`` (created exclusively, 0600, so a
later scan of the project is clean) and then replaced atomically, keeping its mode.
"""

from __future__ import annotations

import io
import os
import re
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alphacast._keyscan import Finding, Scanner, file_kind, read_text
from alphacast.config import config_dir
from alphacast.redact import looks_like_key
from alphacast.secrets import atomic_write, check_profile_name

#: What an installation without the optional libraries is told.
INSTALL_HINT = "pip install 'alphacast[migrate]'"
#: Words of a variable name that say nothing about whose key it is.
_NOISE = frozenset({"alphacast", "api", "apikey", "key", "keys", "token", "secret", "ak", "my"})


class CannotRewrite(Exception):
    """The file is left as it is; the message (key-free) says why."""


@dataclass
class Rewrite:
    """What one file becomes (``after``), or why it stays as it is (``problem``)."""

    path: Path
    before: str
    after: str | None = None
    problem: str | None = None
    backup: Path | None = field(default=None, repr=False)


def missing_libraries() -> list[str]:
    """The libraries ``keys migrate`` needs that are not installed."""
    import importlib.util

    return [name for name in ("libcst", "nbformat") if importlib.util.find_spec(name) is None]


# -- profiles -------------------------------------------------------------------------


def name_profiles(
    findings: Iterable[Finding],
    first: str,
    ask: Callable[[Finding, str], str] | None = None,
) -> dict[str, str]:
    """One profile per distinct key, in order of first appearance: ``first`` for the
    first key; the others named from the variable or ``.env`` entry that holds them
    (``PROD_API_KEY`` -> ``prod``), else from the file (``report.py`` -> ``report``);
    ``ask(finding, suggestion)``, when given, chooses instead."""
    by_key: dict[str, list[Finding]] = {}
    for finding in findings:
        by_key.setdefault(finding.key, []).append(finding)
    profiles: dict[str, str] = {}
    for key, found in by_key.items():
        if not profiles:
            profiles[key] = check_profile_name(first)
            continue
        suggestion = _unique(_suggest(found), set(profiles.values()))
        name = ask(found[0], suggestion) if ask is not None else suggestion
        if name in profiles.values():
            raise CannotRewrite(f"profile {name!r} is already given to another key")
        profiles[key] = check_profile_name(name)
    return profiles


def _suggest(found: list[Finding]) -> str:
    for finding in found:
        if finding.hint:
            words = re.split(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])", finding.hint)
            name = "-".join(w.lower() for w in words if w and w.lower() not in _NOISE)
            if name and not looks_like_key(name):
                return name
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(found[0].path).stem.lstrip(".")).strip("-")
    return stem.lower() if stem and not looks_like_key(stem) else "migrated"


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    return candidate


# -- rewriting ------------------------------------------------------------------------


def plan(paths: Iterable[Path], profiles: dict[str, str], scanner: Scanner) -> list[Rewrite]:
    """The rewrite of each file under ``paths`` that holds a key of ``profiles``."""
    from alphacast._keyscan import files_under

    rewrites = []
    for top in paths:
        for path in files_under(top) if top.is_dir() else [top]:
            text = read_text(path)
            if text is None or not any(key in text for key in profiles):
                continue
            rewrite = Rewrite(path, text)
            if path.is_symlink():
                rewrite.problem = "a symbolic link: migrate the file it points to"
            else:
                try:
                    rewrite.after = rewrite_text(path, text, profiles, scanner)
                except CannotRewrite as exc:
                    rewrite.problem = str(exc)
            rewrites.append(rewrite)
    return rewrites


def rewrite_text(path: Path, text: str, profiles: dict[str, str], scanner: Scanner) -> str:
    """``text`` (of ``path``) without the keys of ``profiles``, or CannotRewrite."""
    from alphacast import _keyrewrite

    kind = file_kind(path)
    if kind == "python":
        after = _keyrewrite.PythonRewriter(profiles).rewrite([text])[0]
    elif kind == "notebook":
        after = _rewrite_notebook(text, profiles)
    elif kind == "env file":
        after = _rewrite_env(text, profiles)
    elif kind == "key file":
        raise CannotRewrite("a key file: delete it once no script reads it")
    else:
        raise CannotRewrite("a key in a text file: remove it by hand")
    for finding in scanner.scan_text(path, after):
        if finding.key in profiles:
            where = f"cell {finding.cell}" if finding.cell else f"line {finding.line}"
            raise CannotRewrite(
                f"the key {finding.fingerprint} at {where} ({finding.kind}) cannot be "
                "moved automatically: move it by hand"
            )
    return after


def _rewrite_env(text: str, profiles: dict[str, str]) -> str:
    from dotenv.parser import parse_stream

    kept = []
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        if not any(key in original for key in profiles):
            kept.append(original)
        elif binding.error or (binding.value or "").strip() not in profiles:
            raise CannotRewrite(
                f"line {binding.original.line} holds a key but is not an entry whose "
                "value is the key"
            )
    return "".join(kept)


def _rewrite_notebook(text: str, profiles: dict[str, str]) -> str:
    import nbformat

    from alphacast._keyrewrite import PythonRewriter, note

    try:
        notebook: Any = nbformat.reads(text, as_version=nbformat.NO_CONVERT)  # type: ignore[no-untyped-call]
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        raise CannotRewrite(f"cannot be read as a notebook ({type(exc).__name__})") from None
    cells = list(notebook.get("cells", []))
    code = [i for i, cell in enumerate(cells) if cell.get("cell_type") == "code"]
    try:
        sources = PythonRewriter(profiles).rewrite_cells([cells[i].source for i in code])
    except CannotRewrite as exc:
        raise CannotRewrite(f"a code cell {exc}") from None
    for index, source in zip(code, sources, strict=True):
        cells[index].source = source
    for cell in cells:
        if cell.get("cell_type") != "code":
            for key, profile in profiles.items():
                cell.source = cell.source.replace(key, note(profile))
        elif any(key in str(cell.get("outputs") or []) for key in profiles):
            cell.outputs = []
            cell.execution_count = None
    written: str = nbformat.writes(notebook)  # type: ignore[no-untyped-call]
    return written if written.endswith("\n") else written + "\n"


# -- writing --------------------------------------------------------------------------


def backup_dir() -> Path:
    """A new folder under ``~/.alphacast/backups/`` for this run's copies."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    return config_dir() / "backups" / f"{stamp}-{os.getpid()}"


def back_up(path: Path, data: bytes, folder: Path) -> Path:
    """A copy of ``data`` (``path``'s content) under ``folder``, at ``path``'s absolute
    location, created exclusively with mode 0600 in folders of mode 0700."""
    target = folder / path.resolve().relative_to(path.resolve().anchor)
    old = os.umask(0o077)
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    finally:
        os.umask(old)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags | getattr(os, "O_BINARY", 0), 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return target


def apply(rewrite: Rewrite, folder: Path) -> None:
    """Back ``rewrite.path`` up under ``folder``, then replace it atomically with
    ``rewrite.after``, keeping its permission bits."""
    assert rewrite.after is not None
    data = rewrite.path.read_bytes()
    if data.decode("utf-8-sig") != rewrite.before:
        raise CannotRewrite("changed while being migrated: run keys migrate again")
    mode = stat.S_IMODE(rewrite.path.stat().st_mode)
    rewrite.backup = back_up(rewrite.path, data, folder)
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    atomic_write(rewrite.path, bom + rewrite.after.encode("utf-8"))
    os.chmod(rewrite.path, mode)
