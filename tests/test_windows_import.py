"""The SDK imports and works where the POSIX-only modules do not exist (Windows).

Each test runs a script in a fresh interpreter whose preamble makes ``fcntl``,
``pwd``, ``grp``, ``termios`` and ``resource`` unimportable (``sys.modules[name]
= None``, what ``import`` then refuses), as they are on Windows, and asserts the
script succeeds: the core workflow against the emulator, and the shared-file and
encrypted-file providers storing and reading a key (through their file lock).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import ALICE_KEY

POSIX_ONLY = ("fcntl", "pwd", "grp", "termios", "resource")

PREAMBLE = textwrap.dedent(
    f"""
    import sys
    for name in {POSIX_ONLY!r}:
        sys.modules.pop(name, None)
        sys.modules[name] = None  # `import name` now raises ImportError
    import warnings
    warnings.simplefilter("ignore", UserWarning)  # filelock: "only soft file lock is available"
    """
)


def run_without_posix_modules(script: str, home: Path, **env: str) -> str:
    """Run ``script`` after the preamble; return its stdout, failing on any error."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ALPHACAST_")}
    environment.update(HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-c", PREAMBLE + textwrap.dedent(script)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=home,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_the_preamble_really_hides_the_posix_modules(isolated_env):
    script = """
    import importlib
    for name in ("fcntl", "pwd", "grp", "termios", "resource"):
        try:
            importlib.import_module(name)
        except ImportError:
            print("hidden", name)
    """
    out = run_without_posix_modules(script, isolated_env)
    assert out.split() == [w for name in POSIX_ONLY for w in ("hidden", name)]


def test_core_workflow_without_posix_modules(isolated_env, emulator):
    script = f"""
    import json, time
    from alphacast import Alphacast

    with Alphacast({ALICE_KEY!r}, api_url={emulator.api_url!r},
                   workspace_url={emulator.workspace_url!r}) as client:
        before = len(client.repository.read_all())
        repo = client.repository.create("no fcntl " + str(time.monotonic_ns()))
        assert len(client.repository.read_all()) == before + 1
        ds = client.datasets.dataset(client.datasets.create("no fcntl", repo["id"])["id"])
        csv = "Date,country,value\\n2020-01-01,AR,1\\n2021-01-01,UY,2\\n"
        process = json.loads(ds.upload_data_from_csv(csv, deleteMissingFromDB=True))
        for _ in range(200):
            state = json.loads(ds.process(process["id"]))
            if state["status"] not in ("Requested", "Processing"):
                break
            time.sleep(0.05)
        assert state["status"] == "Processed", state
        rows = ds.download_data(format="json")
        print(sorted(row["value"] for row in rows))
    import sys
    print(sorted(n for n in ("fcntl", "pwd", "grp", "termios", "resource")
                 if sys.modules.get(n) is not None))
    """
    out = run_without_posix_modules(script, isolated_env)
    assert out.splitlines() == ["[1, 2]", "[]"]


@pytest.mark.parametrize("store", ["shared-file", "encrypted-file"])
def test_file_providers_store_and_read_a_key_without_posix_modules(isolated_env, emulator, store):
    script = f"""
    from alphacast import Alphacast
    from alphacast.plugins import registry

    provider = registry().providers[{store!r}]
    print(provider.store("work", {ALICE_KEY!r}))
    print(provider.store("other", {ALICE_KEY!r}))  # a second write, through the lock again
    assert provider.resolve("work").api_key == {ALICE_KEY!r}
    with Alphacast(profile="work", api_url={emulator.api_url!r},
                   workspace_url={emulator.workspace_url!r}) as client:
        print(client.credential.provider, len(client.repository.read_all()) >= 0)
    """
    out = run_without_posix_modules(
        script, isolated_env, ALPHACAST_PASSPHRASE="pass phrase", ALPHACAST_ENCRYPTED_KDF_N="16"
    )
    name = "credentials.enc" if store == "encrypted-file" else "credentials"
    assert out.splitlines() == [
        f"~/.alphacast/{name} [work]",
        f"~/.alphacast/{name} [other]",
        f"{store} True",
    ]
    assert ALICE_KEY.encode() not in (isolated_env / ".alphacast" / name).read_bytes() or (
        store == "shared-file"
    )


def test_without_posix_ownership_the_mode_is_not_checked_but_the_file_type_is(isolated_env):
    """Windows' documented behaviour (alphacast._files): st_mode and st_uid do not
    reflect the ACL there, so a file is not refused for its mode bits (every file
    would otherwise look world-readable); a non-regular file is still refused."""
    directory = isolated_env / ".alphacast"
    directory.mkdir(mode=0o700)
    credentials = directory / "credentials"
    credentials.write_text(f"[work]\napi_key = {ALICE_KEY}\n")
    credentials.chmod(0o644)
    os.mkfifo(directory / "config", 0o600)
    script = f"""
    import os
    del os.geteuid  # as on Windows
    from alphacast import CredentialError
    from alphacast.plugins import registry

    provider = registry().providers["shared-file"]
    print(provider.resolve("work").api_key == {ALICE_KEY!r})
    from alphacast.config import profile_settings
    try:
        profile_settings("work")
    except CredentialError as exc:
        print("refused:", "named pipe" in str(exc))
    """
    out = run_without_posix_modules(script, isolated_env)
    assert out.splitlines() == ["True", "refused: True"]
