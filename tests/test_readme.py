"""The README's commands are the ones CI runs, word for word."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [line for line in re.findall(r"```\n(.*?)\n```", text, re.S) if line.startswith("python3 -m venv")]


def test_readme_has_the_demo_and_the_test_command() -> None:
    commands = readme_commands()
    assert any(command.endswith("alphacast demo") for command in commands)
    assert any(command.endswith("python -m pytest") for command in commands)


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    (test_command,) = [command for command in readme_commands() if command.endswith("python -m pytest")]
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert f"({test_command})" in ci_lines
