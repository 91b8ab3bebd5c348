"""Finding Alphacast keys in files and in git history (``alphacast keys scan``).

A finding says where a key is (path, line, notebook cell, commit), what holds it
(``kind``) and the key's fingerprint; the key itself is kept on the finding for
``keys migrate`` but never shown (not in its ``repr`` either).

Keys are found by their shape (``ak_`` and at least eight letters, digits, ``_`` or
``-``, the shape :mod:`alphacast.redact` masks), and in Python code also as any
string passed as the key to ``Alphacast(...)``. Python is parsed with :mod:`ast` to
say what holds the key; this module only reads, so the standard library suffices
(``keys migrate`` rewrites with libcst and nbformat).

Allowed keys (clearly fake values of examples and tests) are not reported: a line
with the comment ``# alphacast: allow-key`` (on the line, or alone on the line
above), or a key matching a pattern of ``allow_keys`` in the ``[keys]`` section of
``~/.alphacast/config`` (shell-style patterns, comma- or line-separated).
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import json
import os
import re
import stat
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from alphacast._credentials import _fingerprint
from alphacast.config import config_path, parse_ini
from alphacast.errors import CredentialError
from alphacast.secrets import display_path, read_secret_file

KEY = re.compile(r"(?<![A-Za-z0-9_\-])ak_[A-Za-z0-9_\-]{8,}")
ALLOW_COMMENT = "alphacast: allow-key"

#: Folders never entered: version control, virtualenvs, caches, dependencies.
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "__pycache__", "node_modules"}
    | {".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages", ".eggs"}
)
#: Other text files (key files, README, config) are read up to this size.
SMALL_FILE = 1 << 20
#: Python files and notebooks are read up to this size.
LARGE_FILE = 32 << 20
KEY_FILE_SUFFIXES = frozenset({"", ".txt", ".csv", ".tsv", ".key", ".secret", ".secrets"})


@dataclass(frozen=True)
class Finding:
    """One key in one place. ``line`` is 1-based (within the cell for a notebook)."""

    path: str
    line: int | None
    kind: str
    fingerprint: str
    cell: int | None = None
    commit: str | None = None
    #: A name the key was given in the file (variable, ``.env`` entry), for profile names.
    hint: str | None = None
    key: str = field(default="", repr=False, compare=False)

    def where(self) -> str:
        place = self.path
        if self.cell is not None:
            place += f": cell {self.cell}"
        if self.line is not None:
            place += f", line {self.line}" if self.cell is not None else f":{self.line}"
        return f"{self.commit[:12]} {place}" if self.commit else place

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "cell": self.cell,
            "kind": self.kind,
            "fingerprint": self.fingerprint,
            "commit": self.commit,
        }


class ScanError(Exception):
    """A history that cannot be read; the message says why (and holds no key)."""


def fingerprint(key: str) -> str:
    """The key's fingerprint, as ``auth which`` shows it (without checking the key's
    shape: a scan reports what it finds)."""
    return _fingerprint(key)


def allowed_patterns() -> list[str]:
    """The ``allow_keys`` patterns of the config file's ``[keys]`` section."""
    path = config_path()
    raw = read_secret_file(path, provider="config")
    if raw is None:
        return []
    try:
        parser = parse_ini(raw.decode("utf-8"), source=str(path))
    except (UnicodeDecodeError, configparser.Error):
        raise CredentialError(
            f"{display_path(path)} is not a valid INI file; fix it to read [keys] allow_keys",
            provider="config",
        ) from None
    if not parser.has_section("keys"):
        return []
    value = parser.get("keys", "allow_keys", fallback="")
    return [p.strip() for p in re.split(r"[,\n]", value) if p.strip()]


class Scanner:
    """Finds keys in files; ``allow`` holds the allowed keys' patterns."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.allow = list(allow)

    def allowed(self, key: str, line_text: str = "", previous: str = "") -> bool:
        if ALLOW_COMMENT in line_text or previous.strip().lstrip("#").strip() == ALLOW_COMMENT:
            return True
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.allow)

    # -- walking -------------------------------------------------------------------

    def scan(self, paths: Iterable[Path]) -> Iterator[Finding]:
        for path in paths:
            if path.is_dir():
                for file in files_under(path):
                    yield from self.scan_file(file)
            else:
                yield from self.scan_file(path)

    def scan_file(self, path: Path) -> Iterator[Finding]:
        text = read_text(path)
        if text is None:
            return
        yield from self.scan_text(path, text)

    def scan_text(self, path: Path, text: str) -> Iterator[Finding]:
        shown = str(path)
        kind = file_kind(path)
        if kind == "notebook":
            yield from self._notebook(shown, text)
        elif kind == "python":
            yield from self._python(shown, text)
        else:
            for number, key, line in self._lines(text):
                hint = line.split("=", 1)[0].strip().removeprefix("export ").strip()
                yield _finding(shown, number, kind, key, hint=hint if kind == "env file" else None)

    def _lines(self, text: str, extra: Iterable[str] = ()) -> Iterator[tuple[int, str, str]]:
        """(line number, key, line) of every key in ``text`` not allowed."""
        lines = text.splitlines()
        wanted = set(extra)
        for index, line in enumerate(lines):
            previous = lines[index - 1] if index else ""
            keys = [m.group() for m in KEY.finditer(line)]
            keys += [k for k in wanted if k in line and k not in keys]
            for key in keys:
                if not self.allowed(key, line, previous):
                    yield index + 1, key, line

    def _python(self, shown: str, text: str, cell: int | None = None) -> Iterator[Finding]:
        kinds, extra = classify_python(text)
        for number, key, _ in self._lines(text, extra):
            kind, hint = kinds.get((number, key), ("comment" if kinds else "code", None))
            yield _finding(shown, number, kind, key, cell=cell, hint=hint)

    def _notebook(self, shown: str, text: str) -> Iterator[Finding]:
        try:
            notebook = json.loads(text)
            cells = notebook["cells"] if isinstance(notebook, dict) else None
        except (ValueError, KeyError):
            cells = None
        if not isinstance(cells, list):
            # Not a notebook we can read: report the keys by line of the file.
            for number, key, _ in self._lines(text):
                yield _finding(shown, number, "text", key)
            return
        for index, cell in enumerate(cells, start=1):
            if not isinstance(cell, dict):
                continue
            source = _joined(cell.get("source", ""))
            if cell.get("cell_type") == "code":
                yield from self._python(shown, source, cell=index)
            else:
                for number, key, _ in self._lines(source):
                    yield _finding(shown, number, "markdown", key, cell=index)
            outputs = cell.get("outputs") or []
            dumped = json.dumps(outputs, ensure_ascii=False).replace("\\n", "\n")
            seen: set[str] = set()
            for _, key, _ in self._lines(dumped):
                if key not in seen:
                    seen.add(key)
                    yield _finding(shown, None, "output", key, cell=index)

    # -- git history ---------------------------------------------------------------

    def scan_git(self, repo: Path) -> Iterator[Finding]:
        """Keys added by any commit of the repository at ``repo`` (every ref)."""
        top = _git(repo, "rev-parse", "--show-toplevel").strip()
        log = _git(
            Path(top),
            "-c",
            "core.quotePath=false",
            "log",
            "--all",
            "-p",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--unified=1",
            "-G",
            "ak_[A-Za-z0-9_-]",
            "--format=format:%x00commit %H",
        )
        commit = path = ""
        number = 0
        previous = ""
        for line in log.splitlines():
            if line.startswith("\x00commit "):
                commit, path = line.split()[1], ""
            elif line.startswith("+++ "):
                path = line[6:] if line.startswith("+++ b/") else ""
            elif line.startswith("@@"):
                match = re.search(r"\+(\d+)", line)
                number = int(match.group(1)) if match else 0
                previous = ""
            elif line.startswith(("+", " ")) and path:
                body = line[1:]
                if line.startswith("+"):
                    for key in dict.fromkeys(m.group() for m in KEY.finditer(body)):
                        if not self.allowed(key, body, previous):
                            yield _finding(path, number, "git history", key, commit=commit)
                previous = body
                number += 1


def _finding(
    path: str,
    line: int | None,
    kind: str,
    key: str,
    *,
    cell: int | None = None,
    commit: str | None = None,
    hint: str | None = None,
) -> Finding:
    return Finding(path, line, kind, fingerprint(key), cell=cell, commit=commit, hint=hint, key=key)


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH, as a user runs it
            capture_output=True,
            check=False,
            timeout=600,
        )
    except FileNotFoundError:
        raise ScanError("--git needs git, which is not installed") from None
    if done.returncode:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["failed"]
        raise ScanError(f"cannot read the git history of {repo}: {reason[0]}")
    return done.stdout.decode("utf-8", "replace")


def _joined(source: object) -> str:
    if isinstance(source, list):
        return "".join(str(part) for part in source)
    return str(source)


def file_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".ipynb"):
        return "notebook"
    if name.endswith((".py", ".pyw")):
        return "python"
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env file"
    if path.suffix.lower() in KEY_FILE_SUFFIXES or "key" in name:
        return "key file"
    return "text"


def files_under(top: Path) -> Iterator[Path]:
    """The regular files under ``top``, skipping version control, virtualenvs and caches,
    never following a symlink."""
    for root, dirs, files in os.walk(top):
        here = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIPPED_DIRS
            and not (here / d / "pyvenv.cfg").exists()
            and not (here / d / "conda-meta").is_dir()
            and not (here / d).is_symlink()
        )
        for name in sorted(files):
            file = here / name
            try:
                info = file.lstat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                yield file


def read_text(path: Path) -> str | None:
    """The text of ``path``; None for a binary, non-UTF-8, oversized or irregular file."""
    limit = LARGE_FILE if file_kind(path) in ("python", "notebook") else SMALL_FILE
    try:
        with open(path, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return None
            data = stream.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit or b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _is_alphacast(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "Alphacast") or (
        isinstance(func, ast.Attribute) and func.attr == "Alphacast"
    )


def classify_python(text: str) -> tuple[dict[tuple[int, str], tuple[str, str | None]], set[str]]:
    """What holds each key in Python ``text``: ``{(line, key): (kind, hint)}``, and the
    strings passed as keys to ``Alphacast(...)`` whatever their shape. Empty when
    ``text`` does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}, set()
    kinds: dict[tuple[int, str], tuple[str, str | None]] = {}
    extra: set[str] = set()

    def mark(node: ast.AST, kind: str, hint: str | None = None, *, any_shape: bool = False) -> None:
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            return
        value = node.value
        keys = [m.group() for m in KEY.finditer(value)]
        if any_shape and not keys and len(value.strip()) >= 8 and " " not in value.strip():
            keys = [value.strip()]
            extra.add(value.strip())
        end = node.end_lineno or node.lineno
        for key in keys:
            for line in range(node.lineno, end + 1):
                kinds.setdefault((line, key), (kind, hint))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_alphacast(node.func):
            for arg in node.args[:1]:
                mark(arg, "call argument", any_shape=True)
            for keyword in node.keywords:
                if keyword.arg == "api_key":
                    mark(keyword.value, "call argument", any_shape=True)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            mark(node.value, "assignment", names[0] if names else None)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            mark(node, "string")
    return kinds, extra
