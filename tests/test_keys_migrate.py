"""``alphacast keys migrate`` on a corpus of 0.1.9-style scripts and notebooks: after it,
no file holds a key, each script runs as before against the emulator with its key from
the shared credentials file, ``keys scan`` is clean, and no key is ever printed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tests.cli_helpers import emulator_env, run_cli
from tests.conftest import ALICE_KEY, BOB_KEY

CORPUS = Path(__file__).parent / "keys_corpus"
KEYS = (ALICE_KEY, BOB_KEY)


def migrate(*args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("keys", "migrate", *args, secrets=KEYS, check=check, stdin=stdin)


def write_notebooks(project: Path) -> None:
    research = new_notebook(
        cells=[
            new_markdown_cell("# Weekly research report\nRuns with the research account."),
            new_code_cell("from alphacast import Alphacast"),
            new_code_cell(
                f'RESEARCH_KEY = "{BOB_KEY}"\nRESEARCH_KEY',
                execution_count=2,
                outputs=[new_output("execute_result", data={"text/plain": repr(BOB_KEY)}, execution_count=2)],
            ),
            new_code_cell(
                "client = Alphacast(RESEARCH_KEY)\n"
                'repo = client.repository.create("Notebook", returnIdIfExists=True)\n'
                'print("nb1", repo["id"], repo["name"])',
                execution_count=3,
                outputs=[new_output("stream", name="stdout", text=f"using {BOB_KEY}\n")],
            ),
        ]
    )
    nbformat.write(research, project / "05_research.ipynb")
    magic = new_notebook(
        cells=[
            new_code_cell("%matplotlib inline"),
            new_code_cell(
                "import alphacast\n"
                f'client = alphacast.Alphacast("{ALICE_KEY}")  # pasted from the web UI\n'
                'print("nb2", client.repository.create("Magic", returnIdIfExists=True)["name"])',
                execution_count=1,
                outputs=[new_output("stream", name="stdout", text="nb2 Magic\n")],
            ),
        ]
    )
    nbformat.write(magic, project / "06_magic.ipynb")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The corpus with the emulator's keys filled in, as a user's project holds it."""
    root = tmp_path / "project"
    root.mkdir()
    for source in CORPUS.glob("*.py"):
        text = source.read_text().replace("{{ALICE}}", ALICE_KEY).replace("{{BOB}}", BOB_KEY)
        (root / source.name).write_text(text)
    (root / "01_literal_call.py").chmod(0o750)
    env = (CORPUS / "dot.env.template").read_text().replace("{{ALICE}}", ALICE_KEY)
    (root / ".env").write_text(env)
    write_notebooks(root)
    return root


def as_script(path: Path) -> Path:
    """A notebook's code cells as one script (IPython magics left out), else ``path``."""
    if path.suffix != ".ipynb":
        return path
    notebook = nbformat.read(path, as_version=4)
    code = [c.source for c in notebook.cells if c.cell_type == "code" and not c.source.startswith(("%", "!"))]
    script = path.with_name(f"_{path.stem}_run.py")
    script.write_text("\n".join(code) + "\n")
    return script


def run_all(project: Path, env: dict[str, str]) -> dict[str, str]:
    outputs = {}
    for path in sorted([*project.glob("*.py"), *project.glob("*.ipynb")]):
        if path.name.startswith("_"):
            continue
        script = as_script(path)
        result = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, cwd=project,
            env={**os.environ, **env}, timeout=120,
        )
        script.unlink() if script != path else None
        assert result.returncode == 0, f"{path.name}:\n{result.stderr[-3000:]}"
        outputs[path.name] = result.stdout
    return outputs


def every_file(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_migrate_the_corpus(project: Path, emulator, isolated_env: Path):
    env = {
        **emulator_env(emulator),
        # The key can only come from the store keys migrate writes.
        "ALPHACAST_CREDENTIAL_CHAIN": "shared-file",
        # Scripts that read the key from .env pass None: the implicit profile then.
        "ALPHACAST_PROFILE": "prod",
    }
    before = run_all(project, env)
    assert set(before) == {
        "01_literal_call.py", "02_module_constant.py", "03_keyword_and_reuse.py",
        "04_dotenv.py", "05_research.ipynb", "06_magic.ipynb",
    }
    original = every_file(project)

    # A dry run: the diff with keys masked, and nothing stored or changed.
    dry = migrate(str(project), "--profile", "prod", "--store", "shared-file")
    assert "-API_KEY=***" in dry.stdout
    assert '+alphacast = Alphacast(profile="prod")' in dry.stdout
    assert "profile 'research' in shared-file (would store)" in dry.stdout
    assert "dry run" in dry.stdout
    assert every_file(project) == original
    credentials = isolated_env / ".alphacast" / "credentials"
    assert not credentials.exists()

    done = migrate(str(project), "--profile", "prod", "--store", "shared-file", "--yes")
    assert "profile 'prod' in shared-file (stored)" in done.stdout

    # No file holds a key; keys scan is clean.
    after = every_file(project)
    for name, data in after.items():
        for key in KEYS:
            assert key.encode() not in data, f"{name} still holds a key"
    assert run_cli("keys", "scan", str(project), secrets=KEYS, check=False).returncode == 0
    assert after[".env"] == b"REGION=ar\n"
    assert stat.S_IMODE((project / "01_literal_call.py").stat().st_mode) == 0o750

    # The keys are in the chosen store, one profile per key.
    stored = credentials.read_text()
    assert f"[prod]\napi_key = {ALICE_KEY}" in stored
    assert f"[research]\napi_key = {BOB_KEY}" in stored

    # The rewrites, formatting and comments kept.
    literal = (project / "01_literal_call.py").read_text()
    assert literal == original["01_literal_call.py"].decode().replace(f'"{ALICE_KEY}"', 'profile="prod"')
    constant = (project / "02_module_constant.py").read_text()
    assert "API_KEY" not in constant
    assert "# The production key.\n\n\ndef main():" in constant
    assert 'client = alphacast.alphacast.Alphacast(profile="prod")' in constant
    assert "  # same id on every run" in constant
    reuse = (project / "03_keyword_and_reuse.py").read_text()
    assert 'RESEARCH_KEY: str = Alphacast(profile="research").api_key' in reuse
    assert 'client = Alphacast(profile="research", timeout=30)' in reuse
    research = nbformat.read(project / "05_research.ipynb", as_version=4)
    assert [c.get("outputs") for c in research.cells if c.cell_type == "code"] == [[], [], []]
    assert research.cells[3].source.startswith('client = Alphacast(profile="research")\n')
    magic = nbformat.read(project / "06_magic.ipynb", as_version=4)
    assert magic.cells[0].source == "%matplotlib inline"
    assert magic.cells[1].source.splitlines()[1] == 'client = alphacast.Alphacast(profile="prod")  # pasted from the web UI'

    # Every changed file was backed up first, outside the project, 0600.
    backups = [p for p in (isolated_env / ".alphacast" / "backups").rglob("*") if p.is_file()]
    assert sorted(p.name for p in backups) == sorted(
        [".env", "01_literal_call.py", "02_module_constant.py", "03_keyword_and_reuse.py", "05_research.ipynb", "06_magic.ipynb"]
    )
    for backup in backups:
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600
        assert backup.read_bytes() == original[backup.name]

    # Each script still runs, unchanged otherwise, with its key from the store.
    assert run_all(project, env) == before

    # Run again: nothing left to do.
    again = migrate(str(project), "--profile", "prod", "--store", "shared-file", "--yes")
    assert "changed" not in again.stdout


def test_a_file_that_cannot_be_parsed_is_reported_and_left_untouched(tmp_path: Path, isolated_env: Path):
    broken = tmp_path / "broken.py"
    broken.write_text(f'client = Alphacast("{ALICE_KEY}"\nprint(\n')
    inside = tmp_path / "url.py"
    inside.write_text(f'URL = "https://api.alphacast.io/datasets?apiKey={ALICE_KEY}"\n')
    fine = tmp_path / "fine.py"
    fine.write_text(f'from alphacast import Alphacast\nclient = Alphacast("{ALICE_KEY}")\n')
    broken_before, inside_before = broken.read_bytes(), inside.read_bytes()

    result = migrate(str(tmp_path), "--profile", "prod", "--store", "shared-file", "--yes", check=False)
    assert result.returncode == 1
    assert f"left untouched {broken}: cannot be parsed as Python (line" in result.stdout
    assert f"left untouched {inside}: line 1: the key is part of a longer string" in result.stdout
    assert broken.read_bytes() == broken_before
    assert inside.read_bytes() == inside_before
    assert fine.read_text().endswith('Alphacast(profile="prod")\n')
    assert run_cli("keys", "scan", str(tmp_path), secrets=KEYS, check=False).returncode == 1


def test_a_profile_holding_another_key_is_not_overwritten(tmp_path: Path, isolated_env: Path):
    run_cli("auth", "set", "prod", "--store", "shared-file", stdin=BOB_KEY, secrets=KEYS)
    script = tmp_path / "job.py"
    script.write_text(f'from alphacast import Alphacast\nclient = Alphacast("{ALICE_KEY}")\n')
    before = script.read_bytes()
    result = migrate(str(tmp_path), "--profile", "prod", "--store", "shared-file", "--yes", check=False)
    assert result.returncode == 1
    assert "profile 'prod' already holds another key in shared-file (fingerprint …3210)" in result.stderr
    assert script.read_bytes() == before
    assert BOB_KEY in (isolated_env / ".alphacast" / "credentials").read_text()


def test_migrate_says_how_to_install_what_it_needs(tmp_path: Path):
    (tmp_path / "job.py").write_text(f'Alphacast("{ALICE_KEY}")\n')
    code = (
        "import sys; sys.modules['libcst'] = None; from alphacast.cli import main; "
        f"sys.exit(main(['keys', 'migrate', {str(tmp_path)!r}, '--profile', 'p', '--store', 'shared-file']))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == (
        "alphacast: error: keys migrate needs libcst, which is not installed: "
        "pip install 'alphacast[migrate]'\n"
    )
