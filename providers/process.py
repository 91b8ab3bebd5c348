"""``process``: a key printed by a command, like AWS's ``credential_process``.

A profile names the command in ``~/.alphacast/config``::

    [profile prod]
    credential_process = /usr/local/bin/get-alphacast-key --team data prod
    credential_process_timeout = 30     # seconds, the default

The line is split like a POSIX shell would (``shlex``) and run without a shell:
no pipes, globs or variable expansion; only a leading ``~`` in the program is
expanded. The command inherits the environment but for the SDK's own secrets
(:data:`alphacast.secrets.SECRET_VARIABLES`: ``ALPHACAST_API_KEY``, ``ALPHACAST_PASSPHRASE`` and
the ``_FILE`` forms; ``VAULT_TOKEN`` and the like are kept), reads nothing on
stdin and must print one JSON object on stdout::

    {"api_key": "ak_...", "expires_at": "2030-01-01T00:00:00Z"}

``expires_at`` (ISO 8601, optional) makes the process-wide cache run the
command again shortly before then. A profile without ``credential_process`` is a
miss. A command that cannot be started, fails, times out or prints something
else is a :class:`CredentialError` with its stderr (truncated, with anything the
same run printed on stdout, the key above all, and anything key-shaped masked:
long hex or base64 words, Vault tokens, JWTs; even when the command then fails).
Messages name the program only (``argv[0]``), never its arguments, which may
carry secrets such as a passphrase or token.

The timeout covers the whole run: the command is started in its own process
group (session on POSIX) and everything in it is killed at the deadline, also
when the command itself has exited but left a background process holding its
output open. At most :data:`OUTPUT_LIMIT` bytes are read from each of stdout and
stderr; a command printing more is stopped with an error.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NoReturn

from alphacast import Credential, CredentialError, CredentialProvider
from alphacast.config import (
    all_profile_settings,
    config_location,
    profile_section,
    profile_settings,
)
from alphacast.hookspecs import hookimpl
from alphacast.redact import redact_text
from alphacast.secrets import environment_without_secrets, seconds_setting

from ._process_masking import STDERR_LIMIT as STDERR_LIMIT
from ._process_masking import masked_stderr, printed_secrets
from ._process_output import OUTPUT_LIMIT as OUTPUT_LIMIT
from ._process_output import WINDOWS, Output, has_exited, kill_group

if TYPE_CHECKING:  # imported when a command is run: see _Run
    import subprocess

COMMAND_SETTING = "credential_process"
TIMEOUT_SETTING = "credential_process_timeout"
DEFAULT_TIMEOUT = 30.0


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
        return f"no {COMMAND_SETTING} in {config_location(profile)}"

    def profiles(self) -> list[str]:
        """The config file's profiles that have a ``credential_process``."""
        settings = all_profile_settings()
        return [name for name, found in settings.items() if found.get(COMMAND_SETTING, "").strip()]

    def cache_key(self, profile: str) -> tuple[object, ...]:
        line = profile_settings(profile).get(COMMAND_SETTING, "").strip()
        return (*super().cache_key(profile), line)


class _Run:
    """One run of the command, and the errors that explain its failures."""

    def __init__(self, profile: str, line: str, settings: Mapping[str, str]) -> None:
        self.profile = profile
        self.where = f"{COMMAND_SETTING} in {config_location(profile)}"
        #: What the command printed on stdout so far: masked wherever its stderr is shown.
        self.stdout = b""
        import shlex

        try:
            self.argv = shlex.split(line)
        except ValueError as exc:
            self.fail(f"cannot split {self.where} into words ({exc}); check its quoting")
        self.argv[0] = os.path.expanduser(self.argv[0])
        self.program = self.argv[0]
        self.timeout = self._timeout(settings)

    def fail(self, message: str, stderr: bytes = b"") -> NoReturn:
        if stderr.strip():
            message += f"; its stderr ends:\n{masked_stderr(stderr, printed_secrets(self.stdout))}"
        raise CredentialError(
            redact_text(message), provider=ProcessProvider.name, profile=self.profile
        )

    def _timeout(self, settings: Mapping[str, str]) -> float:
        raw = settings.get(TIMEOUT_SETTING)
        if raw is None:
            return DEFAULT_TIMEOUT
        what = f"{TIMEOUT_SETTING} = {raw!r} in {profile_section(self.profile)}"
        return seconds_setting(raw, what=what, provider=ProcessProvider.name, profile=self.profile)

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
        if key is None:
            fields = ", ".join(sorted(map(str, answer))) or "none"
            self.fail(
                f'`{self.program}` ({self.where}) printed JSON without "api_key" '
                f"(fields: {fields})",
                stderr,
            )
        expires_at = self._expiry(answer.get("expires_at"), stderr)
        return Credential(
            key,
            provider=ProcessProvider.name,
            source=f"{COMMAND_SETTING} `{self.program}`",
            profile=self.profile,
            expires_at=expires_at,
        )

    def _expiry(self, raw: object, stderr: bytes) -> datetime | None:
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
            )
        stated = stated if stated.tzinfo else stated.replace(tzinfo=UTC)
        if stated <= datetime.now(UTC):
            self.fail(
                f"`{self.program}` ({self.where}) printed a key that expired at "
                f"{stated.isoformat()}; fix the command so it returns a current key",
                stderr,
            )
        return stated

    def _start(self) -> subprocess.Popen[bytes]:
        # Its own process group (a session on POSIX), so a timeout kills the command
        # and anything it started.
        import subprocess

        try:
            return subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                env=environment_without_secrets(),
                stderr=subprocess.PIPE,
                start_new_session=not WINDOWS,
                creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) if WINDOWS else 0,
            )
        except FileNotFoundError:
            self.fail(f"command not found: `{self.program}` ({self.where}); check the path")
        except PermissionError:
            self.fail(f"`{self.program}` ({self.where}) is not executable: chmod +x it")
        except OSError as exc:
            self.fail(f"cannot run `{self.program}` ({self.where}): {exc.strerror}")

    def _run(self) -> tuple[bytes, bytes]:
        import subprocess

        deadline = time.monotonic() + self.timeout
        process = self._start()
        with process:
            output = Output(process, deadline)
            self.stdout = output.stdout
            if output.overflow is None and output.complete:
                # Both pipes are closed: the command has exited, or is about to.
                try:
                    process.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            finished = has_exited(process)
            if output.overflow is not None or not output.complete or not finished:
                kill_group(process)
            problem = self._problem(output, process.returncode if finished else None)
            if problem:
                self.fail(problem, output.stderr)
        if process.returncode != 0:
            status = (
                f"was killed by signal {-process.returncode}"
                if process.returncode < 0
                else f"exited with status {process.returncode}"
            )
            self.fail(f"`{self.program}` ({self.where}) {status}", output.stderr)
        return output.stdout, output.stderr

    def _problem(self, output: Output, exited: int | None) -> str | None:
        """What went wrong with the run as a whole (too much output, too long), if anything."""
        named = f"`{self.program}` ({self.where})"
        if output.overflow is not None:
            fix = (
                'it must print one small JSON object like {"api_key": "..."}'
                if output.overflow == "stdout"
                else "make it write less there"
            )
            return (
                f"{named} wrote more than {OUTPUT_LIMIT >> 20} MiB to {output.overflow} "
                f"and was stopped; {fix}"
            )
        if exited is None:
            return (
                f"{named} did not finish within {self.timeout:g} s and was killed; "
                f"fix it or raise {TIMEOUT_SETTING}"
            )
        if not output.complete:
            return (
                f"{named} exited (status {exited}) but left a process running that kept its "
                f"stdout or stderr open past the {self.timeout:g} s timeout ({TIMEOUT_SETTING}); "
                "what was left in its process group was killed. Make the command's "
                "background processes redirect their output (`... >/dev/null 2>&1 &`) "
                "or finish before it does"
            )
        return None


@hookimpl
def alphacast_credential_providers() -> Iterable[CredentialProvider]:
    return [ProcessProvider()]
