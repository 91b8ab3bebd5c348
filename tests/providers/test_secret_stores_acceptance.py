"""Issue 4's acceptance run: keys from a central secret store, end to end.

A real OpenBao dev server holds ``secret/alphacast/prod``; an emulator serves the
``prod`` account (and an ``other`` account whose data must never show up). In a
clean home directory, an unmodified script with ``Alphacast(profile="prod")`` reads
the account's datasets, and ``alphacast auth which --profile prod --json`` names the
provider: ``vault`` when only the server is configured, ``process`` when the profile
has a ``credential_process`` line (the OpenBao CLI recipe of the docs, taken from
the page as printed). A narrow policy and an unreachable server fail with errors
that say what to fix, within seconds.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alphacast import Alphacast
from alphacast.emulator import Emulator
from tests.conftest import require_tool
from tests.providers.helpers import write_config
from tests.providers.openbao import OpenBao, openbao  # noqa: F401 - a fixture

pytestmark = pytest.mark.vault

PROD_KEY = "ak_acceptance_prod_7Hq2Lx9Vb4"
OTHER_KEY = "ak_acceptance_other_3Km8Rt5Zw1"
DOCS = Path(__file__).resolve().parents[2] / "docs"

SCRIPT = """
import json
from alphacast import Alphacast

client = Alphacast(profile="prod")
print(json.dumps({
    "provider": client.credential.provider,
    "datasets": sorted(d["name"] for d in client.datasets.read_all()),
}))
"""


@pytest.fixture(scope="module")
def service() -> Iterator[Emulator]:
    """The emulator, with one dataset in each account."""
    with Emulator(accounts={"prod": PROD_KEY, "other": OTHER_KEY}) as emu:
        for account, key in (("prod", PROD_KEY), ("other", OTHER_KEY)):
            with Alphacast(key, api_url=emu.api_url, workspace_url=emu.workspace_url) as owner:
                repo = owner.repository.create(f"{account} repository")
                owner.datasets.create(f"{account} prices", repo["id"])
        yield emu


@pytest.fixture
def bao(openbao: OpenBao) -> OpenBao:  # noqa: F811
    """The shared OpenBao dev server, holding the prod account's key."""
    openbao.put_kv2("alphacast/prod", {"api_key": PROD_KEY})
    return openbao


@pytest.fixture
def env(service: Emulator, bao: OpenBao, home: Path) -> dict[str, str]:
    """A user's environment: the emulator's URLs, the server's address, a token
    that may read only the prod secret, and nothing else."""
    bao.policy("alphacast-prod", 'path "secret/data/alphacast/prod" { capabilities = ["read"] }')
    return {
        **os.environ,
        "ALPHACAST_API_URL": service.api_url,
        "ALPHACAST_WORKSPACE_URL": service.workspace_url,
        "VAULT_ADDR": bao.address,
        "VAULT_TOKEN": bao.token("alphacast-prod"),
    }


def run(
    args: list[str], env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=60, cwd=Path.cwd()
    )
    if check:
        assert result.returncode == 0, result.stderr
    for stream in (result.stdout, result.stderr):
        assert PROD_KEY not in stream and OTHER_KEY not in stream
        assert env["VAULT_TOKEN"] not in stream
    return result


def script(env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "script.py"
    path.write_text(SCRIPT)
    answer: dict[str, Any] = json.loads(run([sys.executable, str(path)], env).stdout)
    return answer


def which(env: dict[str, str]) -> dict[str, Any]:
    result = run(
        [sys.executable, "-m", "alphacast", "auth", "which", "--profile", "prod", "--json"], env
    )
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def auth_which_error(env: dict[str, str]) -> str:
    result = run(
        [sys.executable, "-m", "alphacast", "auth", "which", "--profile", "prod"], env, check=False
    )
    assert result.returncode == 1 and result.stdout == ""
    return result.stderr


def test_the_home_directory_holds_no_key(env, home):
    # The premise of everything below: only the secret store has the key.
    assert not any(
        PROD_KEY in p.read_text(errors="replace") for p in home.rglob("*") if p.is_file()
    )
    assert not any(name.startswith("ALPHACAST_API_KEY") for name in env)


def test_vault_supplies_the_key_and_the_script_reads_the_account(env, tmp_path, bao):
    assert script(env, tmp_path) == {"provider": "vault", "datasets": ["prod prices"]}
    assert which(env) == {
        "profile": "prod",
        "provider": "vault",
        "source": f"vault {bao.address} secret/alphacast/prod#api_key",
        "fingerprint": "…" + PROD_KEY[-4:],
    }


def recipe(name: str) -> str:
    """The ``credential_process`` line of the docs' recipe whose command is ``name``."""
    text = (DOCS / "providers" / "process.rst").read_text()
    lines = re.findall(r"^\s+credential_process = (.+)$", text, re.MULTILINE)
    matching = [line for line in lines if f"'{name} " in line]
    assert len(matching) == 1, f"one {name} recipe expected in docs/providers/process.rst"
    return matching[0]


def test_credential_process_running_the_documented_openbao_recipe(env, tmp_path, home):
    bao = require_tool("bao")
    require_tool("jq")
    write_config(home, f"[profile prod]\ncredential_process = {recipe('bao')}\n")
    # The recipe runs `bao` by name, as a user's shell would find it.
    env = {**env, "PATH": os.pathsep.join([str(Path(bao).parent), env.get("PATH", "")])}
    # The documented order puts process before vault: the profile's own command wins.
    assert script(env, tmp_path) == {"provider": "process", "datasets": ["prod prices"]}
    answer = which(env)
    assert answer["provider"] == "process"
    assert answer["fingerprint"] == "…" + PROD_KEY[-4:]
    assert answer["source"].startswith("credential_process `sh`")


def test_a_narrow_policy_gets_a_403_naming_the_path_and_the_fix(env, tmp_path, bao):
    bao.policy(
        "alphacast-elsewhere", 'path "secret/data/alphacast/staging" { capabilities = ["read"] }'
    )
    env = {**env, "VAULT_TOKEN": bao.token("alphacast-elsewhere")}
    message = auth_which_error(env)
    assert f"permission denied reading secret/alphacast/prod on {bao.address}" in message
    assert "the policy must grant `read` on `secret/data/alphacast/prod`" in message
    # The script gets the same error, as an exception a program can catch.
    path = tmp_path / "script.py"
    path.write_text(SCRIPT)
    result = run([sys.executable, str(path)], env, check=False)
    assert result.returncode == 1
    assert "alphacast.errors.CredentialError: vault: permission denied" in result.stderr


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def startup_seconds(env: dict[str, str]) -> float:
    """How long a successful ``auth which`` takes here: what a failure may add to."""
    started = time.monotonic()
    which(env)
    return time.monotonic() - started


def test_an_unreachable_server_fails_within_seconds_with_a_clear_error(env):
    baseline = startup_seconds(env)
    address = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    message = auth_which_error({**env, "VAULT_ADDR": address})
    assert time.monotonic() - started - baseline < 3  # one refused connect, no retry loop
    assert f"cannot reach the Vault server to read secret/alphacast/prod on {address}" in message
    assert "Check VAULT_ADDR" in message


def test_a_server_that_never_answers_fails_within_seconds(env):
    baseline = startup_seconds(env)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel accepts; nobody answers
        address = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        message = auth_which_error({**env, "VAULT_ADDR": address})
        elapsed = time.monotonic() - started - baseline
    # The default timeout (3 s), once: not a hang, not a retry loop.
    assert elapsed < 6
    assert "Read timed out" in message and "ALPHACAST_VAULT_TIMEOUT (now 3 s)" in message
