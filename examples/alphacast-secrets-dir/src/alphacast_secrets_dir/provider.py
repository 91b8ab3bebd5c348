"""``secrets-dir``: the key of profile P is the file ``<dir>/alphacast-P``.

``<dir>`` is ``ALPHACAST_SECRETS_DIR``, else ``/run/secrets``, where Docker
(``docker secret``, Compose ``secrets:``) and many Kubernetes setups mount
secrets as files. The file holds the key alone; one trailing newline is
ignored. A missing directory or file is a miss (the chain goes on); a file that
exists but cannot be read or holds no usable key stops the chain.

The file is read with the SDK's kit for plugins, :mod:`alphacast.secrets`: a
named pipe, socket or directory in place of the file is refused at once (never
a hang). The directory belongs to the platform (a tmpfs mount whose files are
often root-owned and mode 0444), so the file's owner and mode are not checked
(``private=False``): keep the directory itself out of other users' reach.

This plugin uses only the public API of the SDK: ``alphacast.Credential``,
``alphacast.CredentialProvider``, ``alphacast.hookimpl`` and
``alphacast.secrets``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import alphacast
from alphacast.secrets import read_secret_text

DIRECTORY_VARIABLE = "ALPHACAST_SECRETS_DIR"
DEFAULT_DIRECTORY = "/run/secrets"
FILE_PREFIX = "alphacast-"

# A profile becomes part of a file name: no separators, no "..", no hidden files.
_SAFE_PROFILE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class SecretsDirProvider(alphacast.CredentialProvider):
    """Reads ``<ALPHACAST_SECRETS_DIR or /run/secrets>/alphacast-<profile>``."""

    name = "secrets-dir"

    def directory(self) -> Path:
        """The directory searched, from the environment at the time of the call."""
        return Path(os.environ.get(DIRECTORY_VARIABLE) or DEFAULT_DIRECTORY).expanduser()

    def path_for(self, profile: str) -> Path | None:
        """The file that would hold ``profile``'s key; ``None`` if the name cannot be one."""
        if not _SAFE_PROFILE.fullmatch(profile):
            return None
        return self.directory() / f"{FILE_PREFIX}{profile}"

    def resolve(self, profile: str) -> alphacast.Credential | None:
        path = self.path_for(profile)
        if path is None:
            return None
        # None if the file is missing; CredentialError if it is not a regular file,
        # cannot be read or is not UTF-8. One trailing newline is dropped.
        text = read_secret_text(path, provider=self.name, profile=profile, private=False)
        if text is None:
            return None
        return alphacast.Credential(
            text, provider=self.name, source=f"{self.name} {path}", profile=profile
        )

    def describe_miss(self, profile: str) -> str:
        path = self.path_for(profile)
        if path is None:
            return f"profile {profile!r} cannot be a file name in {self.directory()}"
        if not self.directory().is_dir():
            return f"{self.directory()} does not exist (set {DIRECTORY_VARIABLE})"
        return f"no file {path}"

    def profiles(self) -> list[str]:
        """The profiles with a file in the directory, from the names alone: no file is
        read (``alphacast auth status`` lists them, and names them in "did you mean")."""
        directory = self.directory()
        try:
            names = os.listdir(directory)
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise alphacast.CredentialError(
                f"{directory} cannot be listed ({exc.strerror}); check its permissions",
                provider=self.name,
            ) from None
        found = (name.removeprefix(FILE_PREFIX) for name in names if name.startswith(FILE_PREFIX))
        return sorted(profile for profile in found if _SAFE_PROFILE.fullmatch(profile))


@alphacast.hookimpl
def alphacast_credential_providers() -> Iterable[alphacast.CredentialProvider]:
    return [SecretsDirProvider()]
