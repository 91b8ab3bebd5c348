"""``explicit``: a key passed in code, ``Alphacast("ak_...")``.

Passing a key skips the chain: the client makes the credential itself, with
provider ``explicit`` (the core knows no provider module). The instance this
plugin registers in the chain holds no key and only explains, in ``auth list``
and in ``NoCredentialError``, that none was passed. Given a key, an
:class:`ExplicitKeyProvider` serves it for any profile, for a chain built by
hand: ``Alphacast(provider=[ExplicitKeyProvider(key), ...])``.
"""

from __future__ import annotations

from collections.abc import Iterable

from alphacast import Credential, CredentialProvider
from alphacast.hookspecs import hookimpl


class ExplicitKeyProvider(CredentialProvider):
    """Serves the key given to its constructor, for any profile."""

    name = "explicit"
    priority = 10

    def __init__(
        self, api_key: str | None = None, *, source: str = "Alphacast(api_key=...)"
    ) -> None:
        self._credential = (
            None if api_key is None else Credential(api_key, provider=self.name, source=source)
        )

    def resolve(self, profile: str) -> Credential | None:
        if self._credential is None:
            return None
        return self._credential.with_profile(profile)

    def describe_miss(self, profile: str) -> str:
        return "no api_key was passed to Alphacast()"

    def profiles(self) -> list[str] | None:
        """A key serves every profile, which cannot be listed; no key serves none."""
        return None if self._credential is not None else []


@hookimpl
def alphacast_credential_providers() -> Iterable[CredentialProvider]:
    return [ExplicitKeyProvider()]
