"""Docs that cannot rot.

1. Every example runs as written (issue 14, item 4): page by page, each page's
   examples in order, in a fresh HOME and an empty working folder, with only what
   the page itself tells the reader to do. The one thing every page may assume is
   what the quick start's "Follow along with the emulator" section sets up: an
   emulator with the demo accounts ``alice`` and ``bob`` running, and
   ``ALPHACAST_API_URL`` / ``ALPHACAST_WORKSPACE_URL`` pointing at it. No profile,
   no ``.env``, no credentials file: a page that needs one stores it itself.

   ``.. code-block:: python`` blocks run in one namespace per page. A
   ``.. code-block:: console`` block runs too when an RST comment right before it
   says ``.. doc-test: run``: each ``$ `` command (with ``\\`` continuation lines),
   in bash, in the page's working folder, stopping at the first failure. A python
   example may be skipped only with a stated reason: ``.. doc-test: skip -- why``.
2. Code blocks are highlighted as what they are (``console``/``text``/``ini``, never
   Python for a shell), INI samples parse as the SDK parses them, and the CLI
   reference shows option names as literals (``--fail-status``, not an en dash).
3. Every hookspec, every public name in ``alphacast.__all__`` and every command of
   the command line has an entry in the docs; every ``ALPHACAST_*`` variable the code
   reads is mentioned; every error class is on the troubleshooting page.

``sphinx-build -W`` and the browser check (``tests/test_docs_browser.py``) run in CI
and ``tox -e docs``.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import alphacast
from alphacast import hookspecs
from tests.conftest import ALICE_KEY, BOB_KEY

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.rst") if "_build" not in p.parts)

sys.path.insert(0, str(DOCS / "_ext"))
import cli_reference  # noqa: E402 - the docs extension's renderer (no Sphinx needed)

#: The emulator's demo accounts, as the quick start starts it.
DEMO_ACCOUNTS = {"alice": ALICE_KEY, "bob": BOB_KEY}

_CODE_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block::[ \t]*(?P<lang>\S+)[ \t]*$")
_ANY_CODE = re.compile(r"^\s*\.\. (?:code-block|code|sourcecode)::\s*(?P<lang>\S*)")
_MARKER = re.compile(r"^\s*\.\. doc-test:\s*(?P<what>\S+)\s*(?:--\s*(?P<reason>.*))?$")


@dataclass
class Example:
    page: Path
    line: int  # 1-based line of the first line of code
    code: str
    skip: str | None
    lang: str = "python"

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def page_examples(page: Path) -> list[Example]:
    """The ``python`` blocks of ``page`` and the ``console`` blocks marked
    ``.. doc-test: run``, in page order, with their skip markers."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Example] = []
    pending: tuple[str, str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        marker = _MARKER.match(line)
        if marker:
            what, reason = marker["what"], (marker["reason"] or "").strip()
            assert what in ("skip", "run"), f"{page}:{index + 1}: unknown doc-test marker {what!r}"
            assert what == "run" or reason, (
                f"{page}:{index + 1}: a skipped example needs a reason (-- why)"
            )
            pending = (what, reason)
            index += 1
            continue
        block = _CODE_BLOCK.match(line)
        wanted = block is not None and (
            block["lang"] == "python"
            or (block["lang"] == "console" and pending is not None and pending[0] == "run")
        )
        if not wanted:
            # A marker must be followed (after blank lines) by the block it applies to.
            assert not (line.strip() and pending), (
                f"{page}:{index + 1}: `doc-test: skip` must come right before a python "
                "block, `doc-test: run` right before a console block"
            )
            index += 1
            continue
        assert block is not None
        if block["lang"] == "python":
            assert pending is None or pending[0] == "skip", (
                f"{page}:{index + 1}: python blocks always run; `doc-test: run` is for console"
            )
        indent = len(block["indent"])
        index += 1
        while index < len(lines) and re.match(r"^\s+:[\w-]+:", lines[index]):
            index += 1  # directive options such as :caption:
        body: list[str] = []
        start = index + 1
        while index < len(lines):
            text = lines[index]
            if text.strip() and len(text) - len(text.lstrip()) <= indent:
                break
            body.append(text)
            index += 1
        while body and not body[0].strip():
            body.pop(0)
            start += 1
        code = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
        skip = pending[1] if pending is not None and pending[0] == "skip" else None
        found.append(Example(page, start, code, skip, block["lang"]))
        pending = None
    return found


def python_examples(page: Path) -> list[Example]:
    return [example for example in page_examples(page) if example.lang == "python"]


def console_commands(code: str) -> list[str]:
    """The commands of a console block: ``$ `` lines, ``\\`` continuations joined."""
    commands: list[str] = []
    lines = code.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.startswith("$ "):
            continue  # output
        command = line[2:]
        while command.endswith("\\") and index < len(lines):
            command = command[:-1] + "\n" + lines[index]
            index += 1
        commands.append(command)
    return commands


EXAMPLES = {page: page_examples(page) for page in PAGES}
PAGES_WITH_EXAMPLES = [
    page for page, found in EXAMPLES.items() if any(not example.skip for example in found)
]


@pytest.fixture(scope="module")
def docs_emulator() -> Iterator[object]:
    """The emulator of the quick start: the demo accounts alice and bob (a fresh one
    for the docs, since examples create repositories and datasets)."""
    from alphacast.emulator import Emulator

    with Emulator(accounts=DEMO_ACCOUNTS) as emu:
        yield emu


@pytest.fixture
def docs_environment(
    docs_emulator: object, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh HOME and working folder (``isolated_env``), and the two variables the
    quick start exports to point examples at the emulator. Nothing else."""
    home = isolated_env
    monkeypatch.setenv("ALPHACAST_API_URL", docs_emulator.api_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("ALPHACAST_WORKSPACE_URL", docs_emulator.workspace_url)  # type: ignore[attr-defined]
    # The reader's shell finds the `alphacast` command of the environment they installed.
    scripts = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", scripts + os.pathsep + os.environ.get("PATH", ""))
    assert not any(home.iterdir()) and not any(Path.cwd().iterdir())
    environ = dict(os.environ)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield home
    finally:
        # Examples may set variables or configure logging: undo it for the next test.
        os.environ.clear()
        os.environ.update(environ)
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)


def run_console(example: Example) -> None:
    """Run a console example's commands in bash, in the working folder."""
    from alphacast import chain

    script = "set -euo pipefail\n" + "\n".join(console_commands(example.code)) + "\n"
    done = subprocess.run(
        ["bash", "-c", script],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"{example.where}: the console example failed (exit {done.returncode}):\n"
        f"{example.code}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    )
    # The commands may have changed stores this process has cached.
    chain.clear_cache()


def _close_clients(namespace: dict[str, object]) -> None:
    from alphacast._client import Alphacast

    for value in list(namespace.values()):
        if isinstance(value, Alphacast):
            value.close()
        elif isinstance(value, dict):
            for item in value.values():
                if isinstance(item, Alphacast):
                    item.close()


@pytest.mark.parametrize(
    "page", PAGES_WITH_EXAMPLES, ids=[str(p.relative_to(DOCS)) for p in PAGES_WITH_EXAMPLES]
)
def test_examples_run_as_written(page: Path, docs_environment: Path) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_example_{page.stem}"}
    try:
        for example in EXAMPLES[page]:
            if example.skip:
                continue
            if example.lang == "console":
                run_console(example)
                continue
            # Pad so tracebacks point at the page's own line numbers.
            source = "\n" * (example.line - 1) + example.code
            exec(compile(source, str(example.page), "exec"), namespace)  # noqa: S102
    finally:
        _close_clients(namespace)


def test_console_commands_are_read_as_a_shell_reads_them() -> None:
    code = "$ echo a \\\n    b\noutput line\n$ true\n"
    assert console_commands(code) == ["echo a \n    b", "true"]


def test_examples_are_found_and_skips_are_rare() -> None:
    every = [example for found in EXAMPLES.values() for example in found]
    assert len(every) >= 20, "the example parser finds too few python blocks"
    skipped = [example.where for example in every if example.skip]
    assert len(skipped) <= 3, f"too many examples skipped: {skipped}"


def test_every_code_block_is_one_the_runner_understands() -> None:
    """A python example written as ``.. code::`` or ``py`` would silently escape the runner."""
    for page in PAGES:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            found = _ANY_CODE.match(line)
            if found is None:
                continue
            lang = found["lang"].lower()
            assert not line.lstrip().startswith((".. code::", ".. sourcecode::")), (
                f"{page}:{number}: use `.. code-block:: LANG`"
            )
            assert lang, f"{page}:{number}: name the language of the code block"
            assert lang == "python" or "py" not in lang or lang in ("pycon",), (
                f"{page}:{number}: write Python examples as `.. code-block:: python`"
            )


#: What code blocks may be highlighted as: a shell session is ``console``, its output
#: or a diagram ``text``, an INI file ``ini``; never Python for anything but Python.
HIGHLIGHT_LANGUAGES = {"python", "console", "text", "ini", "json", "toml", "yaml", "diff"}


def _code_blocks(lang: str) -> Iterator[Example]:
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            block = _CODE_BLOCK.match(line)
            if block and block["lang"] == lang:
                indent = len(block["indent"])
                body = []
                for text in lines[number + 1 :]:
                    if text.strip() and len(text) - len(text.lstrip()) <= indent:
                        break
                    body.append(text)
                code = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
                yield Example(page, number + 1, code, None, lang)


def test_code_blocks_are_highlighted_as_what_they_are() -> None:
    for page in PAGES:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            found = _CODE_BLOCK.match(line)
            if found:
                assert found["lang"] in HIGHLIGHT_LANGUAGES, (
                    f"{page}:{number}: highlight as one of {sorted(HIGHLIGHT_LANGUAGES)}"
                )
            # A paragraph ending in "::" starts a literal block of no stated language.
            assert not re.search(r"\w::\s*$", line) or line.lstrip().startswith(".. "), (
                f"{page}:{number}: use `.. code-block:: LANG` (text, console ...), not `::`"
            )
    for console in _code_blocks("console"):
        assert console.code.startswith("$ "), f"{console.where}: a console block starts with $"
    conf = (DOCS / "conf.py").read_text(encoding="utf-8")
    assert re.search(r'^highlight_language = "text"$', conf, re.M)


def test_ini_samples_parse_and_hold_no_inline_comments() -> None:
    """INI has no inline comments: ``vault_mount = secret  # mine`` sets ``secret  # mine``."""
    from alphacast.config import parse_ini

    samples = list(_code_blocks("ini"))
    assert len(samples) >= 5
    for sample in samples:
        if sample.page.name == "dotenv.rst":
            continue  # a .env file, highlighted as INI
        parsed = parse_ini(sample.code, source=sample.where)
        for section in parsed.sections():
            for name, value in parsed.items(section, raw=True):
                assert not re.search(r"\s[#;]", value) or "sh -c" in value, (
                    f"{sample.where}: [{section}] {name} = {value!r}: INI has no inline "
                    "comments, put the comment on a line of its own"
                )


def test_the_cli_reference_shows_option_names_as_typed() -> None:
    """In running text, docutils' smart quotes turn ``--fail-status`` into an en dash:
    the generated reference puts every option name it mentions in a literal."""
    rendered = "\n".join(cli_reference.render_rst(_cli_tree()))
    assert "``--fail-status``" in rendered
    assert "``--`` before the command" in rendered or "Put ``--``" in rendered
    for line in rendered.splitlines():
        stripped = line.strip()
        if stripped.startswith((".. ", "alphacast ")) or re.fullmatch(r"[-=~^\"]*", stripped):
            continue  # directives (.. option:: --json) and usage lines are literal already
        prose = re.sub(r"``.*?``", "", stripped)
        assert not re.search(r"(?<![\w-])--", prose), f"an option name as plain text: {line!r}"


# -- drift: everything public has an entry -------------------------------------------

ALL_TEXT = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)
_DOCUMENTED = re.compile(
    r"^\s*\.\. (?:auto)?(?:py:)?(?:class|exception|function|data|attribute|decorator|method)"
    r"::\s+(?P<name>[\w.]+)",
    re.M,
)
DOCUMENTED = {m["name"] for m in _DOCUMENTED.finditer(ALL_TEXT)}


def _hookspec_names() -> list[str]:
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return [
        name
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, marker)
    ]


def test_every_hookspec_is_documented() -> None:
    names = _hookspec_names()
    assert names, "no hookspec found in alphacast.hookspecs"
    for name in names:
        assert f"alphacast.hookspecs.{name}" in DOCUMENTED, (
            f"hook {name} has no `.. autofunction:: alphacast.hookspecs.{name}` in docs/"
        )
        assert name.startswith("alphacast_"), f"hook {name} must be named alphacast_*"


def test_every_public_name_is_documented() -> None:
    for name in alphacast.__all__:
        assert f"alphacast.{name}" in DOCUMENTED or (
            name in DOCUMENTED and ".. py:module:: alphacast" in ALL_TEXT
        ), f"alphacast.{name} is in __all__ but has no entry in docs/ (e.g. in api.rst)"


def _cli_tree() -> cli_reference.Command:
    directive = re.search(
        r"^\.\. alphacast-cli:: (?P<spec>\S+)\n(?P<options>(?:[ ]+:.*\n)*)", ALL_TEXT, re.M
    )
    assert directive, "no `.. alphacast-cli::` directive in docs/"
    assert directive["spec"] == "alphacast.cli._parser:build_parser"
    delegates = cli_reference.delegates_option(
        "\n".join(
            line.split(":delegate:", 1)[1]
            for line in directive["options"].splitlines()
            if ":delegate:" in line
        )
    )
    assert delegates == {"emulator": "alphacast.emulator.cli:build_parser"}
    from alphacast.cli._parser import build_parser

    return cli_reference.command_tree(build_parser(), delegates=delegates)


def test_every_cli_command_is_in_the_generated_reference_and_described_by_hand() -> None:
    tree = _cli_tree()
    commands = list(tree.walk())
    rendered = "\n".join(cli_reference.render_rst(tree))
    paths = [command.path for command in commands]
    # The whole parser reaches the reference, nested subcommands included.
    assert {"alphacast auth set", "alphacast datasets upload", "alphacast search"} <= set(paths)
    for command in commands:
        assert f"\n{command.path}\n" in rendered, f"{command.path} missing from the reference"
        for action in command.parser._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f".. option:: {option}" in rendered or f", {option}" in rendered, (
                        f"{command.path} {option} missing from the reference"
                    )
        if command is not tree:
            assert command.help, f"`{command.path}` has no help text in build_parser()"
            # And a person wrote about it somewhere, beyond the generated reference.
            assert f"``{command.path}" in ALL_TEXT, (
                f"`{command.path}` is not described anywhere in docs/ (add it to cli.rst)"
            )


def test_the_emulator_options_are_rendered_from_its_own_parser() -> None:
    tree = _cli_tree()
    emulator = next(c for c in tree.walk() if c.path == "alphacast emulator")
    assert emulator.missing_delegate is None, emulator.missing_delegate
    assert emulator.delegated_from == "alphacast.emulator.cli:build_parser"
    rendered = "\n".join(cli_reference.render_rst(emulator))
    for option in ("--account", "--tls", "--fail-rate", "--json"):
        assert f".. option:: {option}" in rendered


def _variables_read_by_the_code() -> set[str]:
    found: set[str] = set()
    for directory in (ROOT / "alphacast", ROOT / "providers"):
        for path in directory.rglob("*.py"):
            if "emulator" in path.parts:
                continue
            found |= set(re.findall(r"\bALPHACAST_[A-Z][A-Z0-9_]*\b", path.read_text()))
    vault = "\n".join(path.read_text() for path in (ROOT / "providers").glob("*vault*.py"))
    found |= {f"VAULT_{s}" for s in re.findall(r'\b_?env\("([A-Z_]+)"\)', vault)}
    found |= {f"BAO_{s}" for s in re.findall(r'\b_?env\("([A-Z_]+)"\)', vault)}
    found |= set(re.findall(r'"((?:VAULT|BAO)_[A-Z_]+)"', vault))
    return found


def test_every_environment_variable_is_documented() -> None:
    variables = _variables_read_by_the_code()
    assert {"ALPHACAST_API_KEY", "ALPHACAST_PROFILE", "VAULT_ADDR"} <= variables
    missing = sorted(v for v in variables if f"``{v}``" not in ALL_TEXT)
    assert not missing, f"environment variables not documented in docs/: {missing}"


def test_every_error_class_is_on_the_troubleshooting_page() -> None:
    from alphacast import errors

    page = (DOCS / "troubleshooting.rst").read_text(encoding="utf-8")
    for name in errors.__all__:
        assert name in page, f"{name} is not explained in docs/troubleshooting.rst"


def test_performance_page_keeps_the_benchmark_markers() -> None:
    """``python bench/run.py`` writes its figures between these two lines."""
    page = (DOCS / "performance.rst").read_text(encoding="utf-8")
    begin = page.index("\n.. begin-benchmark-results")
    end = page.index("\n.. end-benchmark-results")
    assert begin < end
    assert "python bench/run.py" in page
