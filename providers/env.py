"""``env``: ``ALPHACAST_API_KEY``, or the file named by ``ALPHACAST_API_KEY_FILE``.

The file form is the container-secrets convention (Docker and Kubernetes mount
secrets as files). Both apply only to the implicit profile (the default one, or
the one ``ALPHACAST_PROFILE`` names), never to a profile named in code.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from alphacast import Credential, CredentialError, CredentialProvider
from alphacast.hookspecs import hookimpl
from alphacast.secrets import display_path, read_secret_text

from ._common import serves_implicit_profile

KEY_VARIABLE = "ALPHACAST_API_KEY"
FILE_VARIABLE = "ALPHACAST_API_KEY_FILE"


class EnvironmentProvider(CredentialProvider):
    """Reads the key from the process environment."""

    name = "env"
    priority = 20
    ambient = True

    def resolve(self, profile: str) -> Credential | None:
        if not serves_implicit_profile(profile):
            return None
        value = os.environ.get(KEY_VARIABLE)
        key_file = os.environ.get(FILE_VARIABLE)
        if value and key_file:
            raise CredentialError(
                f"both {KEY_VARIABLE} and {FILE_VARIABLE} are set; unset one of them",
                provider=self.name,
                profile=profile,
            )
        if value:
            return Credential(value, provider=self.name, source=KEY_VARIABLE, profile=profile)
        if key_file:
            path = Path(key_file).expanduser()
            text = read_secret_text(path, provider=self.name, profile=profile)
            source = f"{FILE_VARIABLE}={display_path(path)}"
            if text is None:
                raise CredentialError(
                    f"{FILE_VARIABLE} names {display_path(path)}, which does not exist; "
                    "mount the secret there or unset the variable",
                    provider=self.name,
                    profile=profile,
                )
            return Credential(text, provider=self.name, source=source, profile=profile)
        return None

    def describe_miss(self, profile: str) -> str:
        if not serves_implicit_profile(profile):
            return f"{KEY_VARIABLE} only serves the default profile or ALPHACAST_PROFILE"
        return f"{KEY_VARIABLE} is not set (nor {FILE_VARIABLE})"


@hookimpl
def alphacast_credential_providers() -> Iterable[CredentialProvider]:
    return [EnvironmentProvider()]
