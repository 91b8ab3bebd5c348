"""The credential value object and the provider interface plugins implement."""

from __future__ import annotations

import abc
import dataclasses
import warnings
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from alphacast.errors import AlphacastWarning, CredentialError

__all__ = ["Credential", "CredentialProvider", "WritableCredentialProvider", "validate_key"]

DEFAULT_PROFILE = "default"


def validate_key(api_key: object, *, provider: str, source: str, profile: str | None = None) -> str:
    """Return ``api_key`` stripped of surrounding whitespace and quotes, or raise
    CredentialError.

    Surrounding whitespace, and a pair of matching quotes around the key (``"ak_..."``
    or ``'ak_...'``, as copied from a ``.env`` or JSON file), are common
    copy-and-paste accidents: they are removed with a warning naming the source.
    Whitespace or control characters inside the key, an empty key or a non-string
    are errors. Neither a message nor a warning ever contains the key.
    """
    return _checked_key(api_key, provider=provider, source=source, profile=profile, stacklevel=4)


def _checked_key(
    api_key: object, *, provider: str, source: str, profile: str | None, stacklevel: int
) -> str:
    """:func:`validate_key`, warning ``stacklevel`` frames up (the caller's caller)."""
    if not isinstance(api_key, str):
        raise CredentialError(
            f"the key from {source} is a {type(api_key).__name__}, not a string",
            provider=provider,
            profile=profile,
        )
    stripped = api_key.strip()
    accidents = []
    if stripped != api_key:
        accidents.append("leading or trailing whitespace")
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "\"'":
        stripped = stripped[1:-1].strip()
        accidents.append("surrounding quotes")
    if not stripped:
        raise CredentialError(
            f"the key from {source} is empty; store a key there or remove the entry",
            provider=provider,
            profile=profile,
        )
    if any(ch.isspace() or not ch.isprintable() for ch in stripped):
        raise CredentialError(
            f"the key from {source} contains whitespace or control characters inside it; "
            "copy the key again from the Alphacast web UI and store it anew",
            provider=provider,
            profile=profile,
        )
    if accidents:
        warnings.warn(
            f"{provider}: the key from {source} had {' and '.join(accidents)}; "
            f"{'they were' if len(accidents) > 1 or accidents[0].endswith('quotes') else 'it was'}"
            " stripped (fix the stored value to silence this warning)",
            AlphacastWarning,
            stacklevel=stacklevel,
        )
    return stripped


@dataclass(frozen=True, slots=True, repr=False)
class Credential:
    """An API key with where it came from. Immutable; cannot be pickled.

    ``repr`` and ``str`` show the provider, source, profile and a fingerprint
    (at most the last four characters of the key), never the key. Two credentials
    are equal when their key, provider, source and profile are.
    """

    #: The key itself. Treat it like a password.
    api_key: str
    _: KW_ONLY
    provider: str
    source: str
    profile: str = DEFAULT_PROFILE
    expires_at: datetime | None = field(default=None, compare=False)
    fingerprint: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        # The key is checked (and stripped) here; a naive expiry is taken as UTC.
        set_ = object.__setattr__
        checked = _checked_key(
            self.api_key,
            provider=self.provider,
            source=self.source,
            profile=self.profile,
            stacklevel=4,
        )
        set_(self, "api_key", checked)
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            set_(self, "expires_at", self.expires_at.replace(tzinfo=UTC))
        set_(self, "fingerprint", _fingerprint(checked))

    def __reduce__(self) -> Any:
        raise TypeError("a Credential cannot be pickled: it would write the key out")

    def expires_within(self, seconds: float) -> bool:
        """True if the credential expires less than ``seconds`` from now."""
        if self.expires_at is None:
            return False
        return (self.expires_at - datetime.now(UTC)).total_seconds() < seconds

    def with_profile(self, profile: str) -> Credential:
        """The same key and provenance, labelled with ``profile``."""
        return dataclasses.replace(self, profile=profile)

    def __repr__(self) -> str:
        expiry = f", expires_at={self.expires_at.isoformat()!r}" if self.expires_at else ""
        return (
            f"Credential(provider={self.provider!r}, source={self.source!r}, "
            f"profile={self.profile!r}, fingerprint={self.fingerprint!r}{expiry})"
        )

    __str__ = __repr__


def _fingerprint(key: str) -> str:
    # Short keys would be mostly revealed by their last four characters.
    if len(key) < 12:
        return "****"
    return "…" + key[-4:]


class CredentialProvider(abc.ABC):
    """One place an API key can come from.

    Subclasses set :attr:`name` and implement :meth:`resolve`. Return ``None``
    for "nothing here for this profile" (the chain goes on); raise
    :class:`~alphacast.CredentialError` for "found but broken" (the chain stops).
    """

    #: Short unique name, shown to users and used in ``ALPHACAST_CREDENTIAL_CHAIN``.
    name: ClassVar[str] = ""
    #: Position in the default chain: lower runs first; ties are broken by name.
    #: Built-in providers use 10-90; third-party providers default to 1000.
    priority: ClassVar[int] = 1000
    #: True for providers that read process-wide settings (environment variables,
    #: ``.env``): they answer only for the implicit profile, never for a profile the
    #: caller named in code or on the command line.
    ambient: ClassVar[bool] = False
    #: True if resolutions may be shared by every client in the process until they
    #: expire (worth it for network or subprocess lookups).
    cacheable: ClassVar[bool] = False

    @abc.abstractmethod
    def resolve(self, profile: str) -> Credential | None:
        """Return the credential for ``profile``, or ``None`` if there is none here."""

    def describe_miss(self, profile: str) -> str:
        """Why :meth:`resolve` returned ``None`` for ``profile``, for error messages.

        Called only after a miss; it must not reveal a key.
        """
        return f"no key for profile {profile!r}"

    def profiles(self) -> list[str] | None:
        """The profiles this store holds a key for, for ``alphacast auth status`` and
        the "did you mean" of a mistyped profile.

        Found without reading a key, unlocking a store or prompting. Return ``None``
        (the default) if the store cannot list its profiles (Vault, a keyring backend
        without search) and ``[]`` if it is not set up; raise
        :class:`~alphacast.CredentialError` if it could list them but cannot now (a
        file that cannot be read, an encrypted store whose passphrase is not at hand):
        the message is shown as the reason.
        """
        return None

    def cache_key(self, profile: str) -> tuple[object, ...]:
        """What identifies a resolution of ``profile`` for the process-wide cache."""
        return (type(self).__module__, type(self).__qualname__, self.name, profile)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class WritableCredentialProvider(CredentialProvider):
    """A provider that can also store and delete keys (``alphacast auth set``)."""

    @abc.abstractmethod
    def store(self, profile: str, api_key: str) -> str:
        """Store ``api_key`` for ``profile``; return a description of where it went."""

    @abc.abstractmethod
    def delete(self, profile: str) -> bool:
        """Delete the key of ``profile``; return False if there was none."""
