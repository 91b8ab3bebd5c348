"""The ``keyring`` provider costs nothing where no backend can work: without a D-Bus
session (and without keyring's settings or a third-party backend) it answers its miss
without importing keyring; wherever a backend may work, keyring is asked as before.

Each case runs in a fresh interpreter, since keyring, once imported, stays imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.secret_service import SecretServiceDaemon

KEY = "ak_keyring_startup_0123456789ab"

#: Resolves the default profile through the chain; prints the outcome, the keyring
#: provider's miss and whether keyring was imported.
PROBE = """
import json, sys
from alphacast.chain import CredentialChain
from alphacast.errors import NoCredentialError
chain = CredentialChain.for_profile("default")
try:
    found = chain.resolve("default").current
    outcome = {"provider": found.provider, "key": found.api_key}
except NoCredentialError as exc:
    outcome = {"error": str(exc)}
keyring = next(p for p in chain.providers if p.name == "keyring")
outcome["miss"] = keyring.describe_miss("default")
outcome["profiles"] = keyring.profiles()
outcome["imported"] = sorted(m for m in ("keyring", "secretstorage", "jeepney") if m in sys.modules)
print(json.dumps(outcome))
"""


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No D-Bus session, no display, no keyring settings, an empty HOME and runtime dir."""
    home, runtime = tmp_path / "home", tmp_path / "run"
    for folder in (home, runtime):
        folder.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "ALPHACAST_SECRETS_DIR": str(tmp_path / "no-secrets"),
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


def _probe(env: dict[str, str], cwd: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture
def no_user_bus() -> None:
    if sys.platform in ("darwin", "win32"):
        pytest.skip("macOS and Windows always have a native keyring backend")
    if os.path.exists(f"/run/user/{os.getuid()}/bus"):
        pytest.skip("this machine has a systemd user bus at /run/user/<uid>/bus")


def test_without_a_dbus_session_keyring_is_not_imported(tmp_path, no_user_bus):
    found = _probe(_clean_env(tmp_path), tmp_path)
    assert found["imported"] == []
    assert found["profiles"] == []  # `auth status` asks too: nothing to list, nothing loaded
    miss = str(found["miss"])
    assert miss.startswith("no usable keyring backend (fail.Keyring): no D-Bus session")
    # It says why and what to do.
    assert "DBUS_SESSION_BUS_ADDRESS" in miss and "dbus-run-session" in miss
    assert "PYTHON_KEYRING_BACKEND" in miss
    assert f"keyring: {miss}" in str(found["error"])


@pytest.mark.parametrize(
    "setting",
    ["PYTHON_KEYRING_BACKEND", "keyringrc.cfg", "DISPLAY", "runtime bus"],
)
def test_whatever_may_give_a_backend_makes_the_provider_ask_keyring(tmp_path, no_user_bus, setting):
    """Each way keyring (or D-Bus) may find a backend: keyring is asked, not guessed."""
    env = _clean_env(tmp_path)
    if setting == "PYTHON_KEYRING_BACKEND":
        env[setting] = "keyring.backends.null.Keyring"
    elif setting == "keyringrc.cfg":
        config = tmp_path / "home" / ".config" / "python_keyring" / "keyringrc.cfg"
        config.parent.mkdir(parents=True)
        config.write_text("[backend]\ndefault-keyring=keyring.backends.null.Keyring\n")
    elif setting == "DISPLAY":
        env["DISPLAY"] = ":99"  # libdbus may start a session bus for an X display
    else:
        (tmp_path / "run" / "bus").write_text("")  # where a systemd user bus listens
    found = _probe(env, tmp_path)
    assert "keyring" in found["imported"]  # type: ignore[operator]
    expected = "null.Keyring" if setting in ("PYTHON_KEYRING_BACKEND", "keyringrc.cfg") else ""
    assert str(found["miss"]).startswith(f"no usable keyring backend ({expected}")
    assert "no D-Bus session" not in str(found["miss"])


@pytest.mark.keyring
def test_with_a_secret_service_the_key_is_found(
    tmp_path, real_keyring: SecretServiceDaemon, no_user_bus
):
    """keyring's own choice (no PYTHON_KEYRING_BACKEND): the Secret Service on the bus."""
    from alphacast.providers.keyring_store import KeyringProvider

    KeyringProvider().store("default", KEY)
    env = _clean_env(tmp_path, DBUS_SESSION_BUS_ADDRESS=real_keyring.address)
    found = _probe(env, tmp_path)
    assert found["provider"] == "keyring" and found["key"] == KEY
    assert found["profiles"] == ["default"]
    assert "keyring" in found["imported"]  # type: ignore[operator]
