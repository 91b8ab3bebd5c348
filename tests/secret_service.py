"""A real, private Secret Service for the keyring tests (fixtures of ``tests/conftest.py``).

``secret_service`` starts a private D-Bus session bus and gnome-keyring-daemon
(secrets component, login keyring created with an empty password) in a temporary
HOME, once per session. ``real_keyring`` points a test at it: it sets
DBUS_SESSION_BUS_ADDRESS and selects keyring's SecretService backend, and deletes
every ``alphacast`` item afterwards. Without gnome-keyring the keyring tests
skip, with the reason; under CI (``CI`` set) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_tool


@dataclass
class SecretServiceDaemon:
    """A private bus with gnome-keyring on it, and the environment to reach it."""

    address: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]]

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()


def start_secret_service(root: Path) -> SecretServiceDaemon:
    """Start dbus-daemon and gnome-keyring-daemon under ``root``; both in the foreground
    (as our children) so they are stopped by pid."""
    dbus = require_tool("dbus-daemon")
    gnome_keyring = require_tool("gnome-keyring-daemon")
    home, data, runtime = root / "home", root / "data", root / "run"
    for directory in (home, data, runtime):
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(data),
        "XDG_RUNTIME_DIR": str(runtime),
        "LANG": "C.UTF-8",
    }
    bus = subprocess.Popen(
        [dbus, "--session", "--nofork", "--print-address=1", f"--address=unix:path={runtime}/bus"],
        stdout=subprocess.PIPE,
        env=env,
    )
    processes = [bus]
    assert bus.stdout is not None
    address = bus.stdout.readline().decode().strip()
    if not address:
        bus.kill()
        pytest.fail("dbus-daemon did not print its address")
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    log = root / "gnome-keyring.log"
    with log.open("wb") as log_file:
        daemon = subprocess.Popen(
            [gnome_keyring, "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
    processes.append(daemon)
    assert daemon.stdin is not None
    daemon.stdin.write(b"\n")  # the login keyring's (empty) password
    daemon.stdin.close()
    service = SecretServiceDaemon(address, env, processes)
    deadline = time.monotonic() + 15
    while not _login_collection_ready(address):
        if time.monotonic() > deadline or daemon.poll() is not None:
            service.stop()
            pytest.fail(
                "gnome-keyring-daemon did not provide an unlocked login collection "
                f"(exit status {daemon.poll()}); its output:\n{log.read_text(errors='replace')}"
            )
        time.sleep(0.1)
    return service


def _login_collection_ready(address: str) -> bool:
    import secretstorage
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    try:
        connection = open_dbus_connection(address)
    except OSError:
        return False
    try:
        # Ask the bus first: a call to the Secret Service before our daemon owns the
        # name would make D-Bus activate a second gnome-keyring-daemon, and ours
        # would then exit with "another secret service is running".
        owned = connection.send_and_get_reply(message_bus.NameHasOwner("org.freedesktop.secrets"))
        if not owned.body[0]:
            return False
        collection = secretstorage.Collection(connection)
        return not collection.is_locked()
    except secretstorage.exceptions.SecretStorageException:
        return False
    finally:
        connection.close()


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretServiceDaemon]:
    """One private Secret Service for the whole session."""
    if not (shutil.which("gnome-keyring-daemon") and shutil.which("dbus-daemon")):
        message = "gnome-keyring-daemon and dbus-daemon are needed for the keyring tests"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    service = start_secret_service(tmp_path_factory.mktemp("secret-service"))
    yield service
    service.stop()


@pytest.fixture
def start_private_secret_service(tmp_path: Path) -> Iterator[object]:
    """A function starting another private Secret Service, stopped after the test."""
    started: list[SecretServiceDaemon] = []

    def start() -> SecretServiceDaemon:
        if not (shutil.which("gnome-keyring-daemon") and shutil.which("dbus-daemon")):
            require_tool("gnome-keyring-daemon")
        service = start_secret_service(tmp_path / f"secret-service-{len(started)}")
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def real_keyring(
    secret_service: SecretServiceDaemon, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretServiceDaemon]:
    """This test's keyring is the private Secret Service; emptied afterwards."""
    import keyring
    from keyring.backends import SecretService

    # Read the backend before changing the environment: were none chosen yet,
    # get_keyring() would choose one from PYTHON_KEYRING_BACKEND, i.e. the new one.
    previous = keyring.get_keyring()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    keyring.set_keyring(SecretService.Keyring())
    try:
        yield secret_service
    finally:
        keyring.set_keyring(previous)
        _delete_alphacast_items(secret_service.address)


def _delete_alphacast_items(address: str) -> None:
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    connection = open_dbus_connection(address)
    try:
        collection = secretstorage.Collection(connection)
        if collection.is_locked():
            return
        for item in collection.search_items({"service": "alphacast"}):
            item.delete()
    finally:
        connection.close()
