"""``alphacast completion bash|zsh|fish``: the printed script, loaded in the real shell,
completes commands, options, store names and profile names by calling the console
script back; no key is ever offered."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from .cli_helpers import console_script, run_cli
from .conftest import ALICE_KEY, BOB_KEY, require_tool


@pytest.fixture
def profiles(isolated_env: Path) -> dict[str, str]:
    """Profiles prod and staging in the shared file, prod-eu in the config file; and an
    environment whose PATH finds the console script (as a user's shell does)."""
    for profile, key in (("prod", ALICE_KEY), ("staging", BOB_KEY)):
        run_cli("auth", "set", profile, "--store", "shared-file", stdin=key, secrets=(key,))
    config = isolated_env / ".alphacast" / "config"
    config.write_text("[profile prod-eu]\napi_url = http://127.0.0.1:1\n")
    config.chmod(0o600)
    folder = str(Path(console_script()).parent)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"}


def _no_key(text: str) -> str:
    for key in (ALICE_KEY, BOB_KEY):
        assert key not in text and key[-12:] not in text, "a key was offered"
    return text


def _bash(line: str, env: dict[str, str]) -> list[str]:
    """What bash's Tab offers at the end of ``line`` (COMPREPLY of the loaded function)."""
    script = (
        "source <(alphacast completion bash) || exit 9\n"
        f"COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}\n"
        "read -ra COMP_WORDS <<< \"$COMP_LINE\"; COMP_CWORD=${#COMP_WORDS[@]}\n"
        "_python_argcomplete alphacast\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        [require_tool("bash"), "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return sorted(w.strip() for w in _no_key(result.stdout).splitlines() if w.strip())


def test_bash_completes_commands_options_stores_and_profiles(profiles: dict[str, str]):
    assert _bash("alphacast au", profiles) == ["auth"]
    assert {"completion", "datasets", "exec", "auth", "config"} <= set(_bash("alphacast ", profiles))
    assert _bash("alphacast auth ", profiles) == sorted(
        ["list", "login", "status", "which", "set", "delete", "test"]
    )
    assert _bash("alphacast datasets upload 1 f --de", profiles) == ["--debug", "--delete-missing"]
    assert _bash("alphacast auth set prod --store ", profiles) == [
        "encrypted-file", "keyring", "shared-file"
    ]
    # Profile names come from the stores, asked when Tab is pressed.
    assert _bash("alphacast --profile ", profiles) == ["default", "prod", "prod-eu", "staging"]
    assert _bash("alphacast auth which --profile pro", profiles) == ["prod", "prod-eu"]
    assert _bash("alphacast auth delete st", profiles) == ["staging"]
    assert _bash("alphacast completion ", profiles) == ["bash", "fish", "zsh"]


def test_a_new_profile_is_offered_at_once(profiles: dict[str, str]):
    assert "ci" not in _bash("alphacast --profile ", profiles)
    run_cli("auth", "set", "ci", "--store", "shared-file", stdin=ALICE_KEY, secrets=(ALICE_KEY,))
    assert "ci" in _bash("alphacast --profile ", profiles)


def test_fish_completes_through_the_same_callback(profiles: dict[str, str]):
    fish = require_tool("fish")

    def complete(line: str) -> list[str]:
        result = subprocess.run(
            [fish, "--no-config", "-c", f"alphacast completion fish | source; complete -C {line!r}"],
            capture_output=True, text=True, env=profiles, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        # fish prints "word<TAB>description".
        return sorted(w.split("\t")[0] for w in _no_key(result.stdout).splitlines() if w)

    assert complete("alphacast au") == ["auth"]
    assert complete("alphacast auth ") == sorted(
        ["list", "login", "status", "which", "set", "delete", "test"]
    )
    assert complete("alphacast auth set x --store s") == ["shared-file"]
    assert complete("alphacast --profile ") == ["default", "prod", "prod-eu", "staging"]


def _interactive(argv: list[str], env: dict[str, str], steps: list[bytes]) -> list[str]:
    """Run an interactive shell on a pty, type each step, and collect what it shows."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execvpe(argv[0], argv, env)
    shown = []
    try:
        for step in steps:
            os.write(fd, step)
            out, end = b"", time.monotonic() + 20
            while time.monotonic() < end:
                ready, _, _ = select.select([fd], [], [], 1.5 if out else 20)
                if not ready:
                    break
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    break
            shown.append(_no_key(out.decode("utf-8", "replace")))
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)
    return shown


def test_zsh_completes_on_tab(profiles: dict[str, str]):
    zsh = require_tool("zsh")
    env = {**profiles, "TERM": "dumb", "PS1": "%% "}
    shown = _interactive(
        [zsh, "-f", "-i"],
        env,
        [
            b"autoload -U compinit; compinit -u; source <(alphacast completion zsh); echo READY\n",
            b"alphacast auth se\t",
            b"\x15alphacast auth \t",
            b"\x15alphacast --profile st\t",
        ],
    )
    assert "READY" in shown[0]
    assert shown[1].endswith("alphacast auth set ")  # the one match, completed in place
    for word in ("list", "login", "status", "which", "delete", "test"):
        assert f"\n{word} " in shown[2]  # the menu of subcommands, with their help
    assert "alphacast --profile staging " in shown[3]


def test_the_script_is_refused_for_an_unknown_shell():
    result = run_cli("completion", "tcsh", check=False)
    assert result.returncode == 2 and "invalid choice: 'tcsh'" in result.stderr
