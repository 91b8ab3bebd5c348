"""``process``: a key printed by a command, like AWS's ``credential_process``.

A profile names the command in ``~/.alphacast/config``::

    [profile prod]
    credential_process = /usr/local/bin/get-alphacast-key --team data prod
    credential_process_timeout = 30     # seconds, the default

The line is split like a POSIX shell would (``shlex``) and run without a shell:
no pipes, globs or variable expansion; only a leading ``~`` in the program is
expanded. The command inherits the environment, reads nothing on stdin and
must print one JSON object on stdout::

    {"api_key": "ak_...", "expires_at": "2030-01-01T00:00:00Z"}

``expires_at`` (ISO 8601, optional) makes the process-wide cache run the
command again shortly before then. A profile without ``credential_process`` is a
miss. A command that cannot be started, fails, times out or prints something
else is a :class:`CredentialError` with its stderr (truncated, with the key and
anything key-shaped masked). Messages name the program only (``argv[0]``),
never its arguments, which may carry secrets such as a passphrase or token.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import NoReturn

from alphacast._files import display_path
from alphacast.config import config_path, profile_settings
from alphacast.credentials import Credential, CredentialProvider
from alphacast.errors import CredentialError
from alphacast.hookspecs import hookimpl
from alphacast.redact import REDACTED, redact_text

COMMAND_SETTING = "credential_process"
TIMEOUT_SETTING = "credential_process_timeout"
DEFAULT_TIMEOUT = 30.0
#: How much of the command's stderr a message shows (its end: where errors are).
STDERR_LIMIT = 1000


def _section(profile: str) -> str:
    return "[default]" if profile == "default" else f"[profile {profile}]"


class ProcessProvider(CredentialProvider):
    """Runs the profile's ``credential_process`` command and reads its JSON output."""

    name = "process"
    priority = 70
    cacheable = True

    def resolve(self, profile: str) -> Credential | None:
        settings = profile_settings(profile)
        line = settings.get(COMMAND_SETTING, "").strip()
        if not line:
            return None
        return _Run(profile, line, settings).credential()

    def describe_miss(self, profile: str) -> str:
        return f"no {COMMAND_SETTING} in {_section(profile)} of {display_path(config_path())}"

    def cache_key(self, profile: str) -> tuple[object, ...]:
        line = profile_settings(profile).get(COMMAND_SETTING, "").strip()
        return (*super().cache_key(profile), line)


class _Run:
    """One run of the command, and the errors that explain its failures."""

    def __init__(self, profile: str, line: str, settings: Mapping[str, str]) -> None:
        self.profile = profile
        self.where = f"{COMMAND_SETTING} in {_section(profile)} of {display_path(config_path())}"
        try:
            self.argv = shlex.split(line)
        except ValueError as exc:
            self.fail(f"cannot split {self.where} into words ({exc}); check its quoting")
        self.argv[0] = os.path.expanduser(self.argv[0])
        self.program = self.argv[0]
        self.timeout = self._timeout(settings)

    def fail(self, message: str, stderr: bytes = b"", key: str | None = None) -> NoReturn:
        if stderr.strip():
            message += f"; its stderr ends:\n{_clean(stderr, key)}"
        raise CredentialError(
            redact_text(message), provider=ProcessProvider.name, profile=self.profile
        )

    def _timeout(self, settings: Mapping[str, str]) -> float:
        raw = settings.get(TIMEOUT_SETTING)
        if raw is None:
            return DEFAULT_TIMEOUT
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 < value < float("inf"):
            self.fail(
                f"{TIMEOUT_SETTING} = {raw!r} in {_section(self.profile)} "
                "must be a number of seconds > 0"
            )
        return value

    def credential(self) -> Credential:
        stdout, stderr = self._run()
        try:
            answer = json.loads(stdout)
        except (UnicodeDecodeError, json.JSONDecodeError):
            # Never show stdout: it may be the bare key.
            self.fail(
                f"`{self.program}` ({self.where}) printed {len(stdout)} bytes that are not a "
                'JSON object; it must print {"api_key": "...", "expires_at": "..."}',
                stderr,
            )
        if not isinstance(answer, dict):
            self.fail(
                f"`{self.program}` ({self.where}) printed a JSON {type(answer).__name__}, "
                'not an object like {"api_key": "..."}',
                stderr,
            )
        key = answer.get("api_key")
        shown_key = key if isinstance(key, str) else None
        if key is None:
            fields = ", ".join(sorted(map(str, answer))) or "none"
            self.fail(
                f'`{self.program}` ({self.where}) printed JSON without "api_key" '
                f"(fields: {fields})",
                stderr,
            )
        expires_at = self._expiry(answer.get("expires_at"), stderr, shown_key)
        return Credential(
            key,
            provider=ProcessProvider.name,
            source=f"{COMMAND_SETTING} `{self.program}`",
            profile=self.profile,
            expires_at=expires_at,
        )

    def _expiry(self, raw: object, stderr: bytes, key: str | None) -> datetime | None:
        if raw is None:
            return None
        try:
            stated = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            stated = None
        if stated is None:
            self.fail(
                f"`{self.program}` ({self.where}) printed an expires_at that is not an "
                "ISO 8601 time such as 2030-01-01T00:00:00Z",
                stderr,
                key,
            )
        stated = stated if stated.tzinfo else stated.replace(tzinfo=UTC)
        if stated <= datetime.now(UTC):
            self.fail(
                f"`{self.program}` ({self.where}) printed a key that expired at "
                f"{stated.isoformat()}; fix the command so it returns a current key",
                stderr,
                key,
            )
        return stated

    def _run(self) -> tuple[bytes, bytes]:
        try:
            # Its own session, so a timeout kills the command and anything it started.
            process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except FileNotFoundError:
            self.fail(f"command not found: `{self.program}` ({self.where}); check the path")
        except PermissionError:
            self.fail(f"`{self.program}` ({self.where}) is not executable: chmod +x it")
        except OSError as exc:
            self.fail(f"cannot run `{self.program}` ({self.where}): {exc.strerror}")
        with process:
            try:
                stdout, stderr = process.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                stdout, stderr = process.communicate()
                self.fail(
                    f"`{self.program}` ({self.where}) did not finish within {self.timeout:g} s "
                    f"and was killed; fix it or raise {TIMEOUT_SETTING}",
                    stderr,
                )
        if process.returncode != 0:
            status = (
                f"was killed by signal {-process.returncode}"
                if process.returncode < 0
                else f"exited with status {process.returncode}"
            )
            self.fail(f"`{self.program}` ({self.where}) {status}", stderr)
        return stdout, stderr


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


def _clean(stderr: bytes, key: str | None) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    if key and len(key) >= 4:
        text = text.replace(key, REDACTED)
    if len(text) > STDERR_LIMIT:
        text = "…" + text[-STDERR_LIMIT:]
    return "  " + redact_text(text).replace("\n", "\n  ")


@hookimpl
def alphacast_credential_providers() -> Iterable[CredentialProvider]:
    return [ProcessProvider()]
