"""Every exception the SDK raises, rooted at :class:`AlphacastError`.

HTTP failures carry the status code and, where a credential was involved,
its provenance (provider, source, fingerprint) but never the key itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from alphacast._credentials import Credential

__all__ = [
    "APIError",
    "AlphacastError",
    "AlphacastWarning",
    "AuthenticationError",
    "ConnectionFailedError",
    "CredentialError",
    "InsecureTransportError",
    "NoCredentialError",
    "NotFoundError",
    "PermissionDeniedError",
    "PluginError",
    "RateLimitError",
    "ServerError",
    "UnexpectedResponseError",
]


class AlphacastWarning(UserWarning):
    """Something worked, but probably not the way the user meant it to."""


class AlphacastError(Exception):
    """Root of every error the SDK raises on purpose.

    Every subclass pickles (``ProcessPoolExecutor``, ``multiprocessing``) with its
    message and fields, whatever its constructor's signature; attributes named in
    ``_not_pickled`` (a :class:`~alphacast.Credential`, which holds the key) arrive
    as ``None``, so the key never crosses a process boundary.
    """

    #: Attributes replaced by ``None`` when the error is pickled.
    _not_pickled: ClassVar[frozenset[str]] = frozenset()

    def __reduce__(self) -> tuple[Any, ...]:
        state = {
            name: None if name in self._not_pickled else value for name, value in vars(self).items()
        }
        return (_restore, (type(self), self.args, state))


def _restore(cls: type[AlphacastError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Rebuild a pickled error without calling its ``__init__`` (whose signature may
    differ from its ``args``)."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class CredentialError(AlphacastError):
    """A credential was found but cannot be used: the chain stops here.

    ``provider`` and ``profile`` say where; the message says what to do.
    """

    def __init__(
        self, message: str, *, provider: str | None = None, profile: str | None = None
    ) -> None:
        prefix = f"{provider}: " if provider and not message.startswith(f"{provider}:") else ""
        super().__init__(f"{prefix}{message}")
        self.provider = provider
        self.profile = profile


class PluginError(CredentialError):
    """A provider plugin failed to load or raised something other than CredentialError."""


class NoCredentialError(CredentialError):
    """No provider in the chain had a key for the profile.

    ``attempts`` holds ``(provider name, why it passed)`` pairs, in chain order.
    ``explicit`` says the profile was named in code or with ``--profile``, which
    ``ALPHACAST_API_KEY`` never serves, so the message does not suggest it.
    """

    def __init__(
        self,
        profile: str,
        attempts: Sequence[tuple[str, str]],
        *,
        broken_plugins: Sequence[tuple[str, str]] = (),
        explicit: bool = False,
    ) -> None:
        lines = [f"No Alphacast API key found for profile {profile!r}. Tried, in order:"]
        lines += [f"  - {name}: {why}" for name, why in attempts]
        if not attempts:
            lines.append("  (no credential provider is enabled)")
        if broken_plugins:
            lines.append("Plugins that failed to load (not consulted):")
            lines += [f"  - {name}: {why}" for name, why in broken_plugins]
        store = (
            f"To store a key: `alphacast auth set {profile} --store shared-file` "
            "(reads the key from stdin)"
        )
        if explicit:
            lines.append(
                f"{store}. ALPHACAST_API_KEY serves a profile selected with "
                "ALPHACAST_PROFILE, not one named in code or with --profile."
            )
        else:
            lines.append(f"{store}, or set ALPHACAST_API_KEY.")
        super().__init__("\n".join(lines), profile=profile)
        self.attempts = list(attempts)
        self.broken_plugins = list(broken_plugins)


class InsecureTransportError(AlphacastError):
    """Refused to send a key over plain HTTP to a host that is not loopback."""


class ConnectionFailedError(AlphacastError):
    """The service could not be reached (refused, reset, DNS, TLS, timeout)."""


_AUTH_HINTS = {
    401: (
        "The API key was rejected. Usual causes: the key was mistyped or copied with "
        "surrounding whitespace; the key was revoked or regenerated in the web UI "
        "(regenerating invalidates the old key at once)."
    ),
    403: (
        "The key is valid but its account has no access to this resource: it belongs to "
        "another account, or the repository is private."
    ),
}


class APIError(AlphacastError):
    """The service answered with an HTTP error status.

    ``str(error)`` always begins with ``API failed with status code N``, followed on
    the same line by the service's message when it sent one
    (``API failed with status code 404: Dataset 999999 not found.``); the request
    and, for 401 and 403, a hint and the key's provenance follow on later lines.

    ``status_code``, ``server_message``, ``method`` and ``url`` describe the failure;
    ``provider``, ``profile``, ``source`` and ``fingerprint`` say which key was used
    (never the key). ``credential`` is the :class:`~alphacast.Credential` itself in
    the process that raised the error, and ``None`` after pickling.
    """

    _not_pickled = frozenset({"credential"})

    def __init__(
        self,
        status_code: int,
        message: str | None = None,
        *,
        method: str | None = None,
        url: str | None = None,
        credential: Credential | None = None,
    ) -> None:
        self.status_code = status_code
        self.server_message = message
        self.method = method
        self.url = url
        self.credential = credential
        self.provider = credential.provider if credential is not None else None
        self.profile = credential.profile if credential is not None else None
        self.source = credential.source if credential is not None else None
        self.fingerprint = credential.fingerprint if credential is not None else None
        first = f"API failed with status code {status_code}"
        if message:
            first += ": " + " ".join(message.splitlines())
        parts = [first]
        if method and url:
            parts.append(f"Request: {method} {url}")
        hint = _AUTH_HINTS.get(status_code)
        if hint:
            parts.append(hint)
        if credential is not None and status_code in _AUTH_HINTS:
            parts.append(
                f"Key used: provider {credential.provider!r}, source {credential.source}, "
                f"profile {credential.profile!r}, fingerprint {credential.fingerprint}."
            )
        super().__init__("\n".join(parts))


class AuthenticationError(APIError):
    """401: no key, or a key the service does not accept."""


class PermissionDeniedError(APIError):
    """403: the key's account may not touch this resource."""


class NotFoundError(APIError):
    """404: no such resource."""


class RateLimitError(APIError):
    """429: too many requests."""


class ServerError(APIError):
    """5xx: the service failed."""


class UnexpectedResponseError(AlphacastError, ValueError):
    """A success status whose body is not the JSON the method expects: an HTML page
    from a captive portal or an intercepting proxy, or a URL that points elsewhere.

    Also a :class:`ValueError`, as the ``json.JSONDecodeError`` that 0.1.9 let
    through was, so ``except ValueError`` written for 0.1.9 still catches it. Not an
    :class:`APIError`: the service (or whatever answered) reported success.

    ``method``, ``url`` (keys masked, no query), ``status_code``, ``content_type``
    and ``expected`` describe it; the body itself is never part of the error.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        status_code: int | None = None,
        content_type: str | None = None,
        expected: str | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.status_code = status_code
        self.content_type = content_type
        self.expected = expected

    @classmethod
    def for_answer(
        cls,
        *,
        method: str,
        url: str,
        status_code: int,
        content_type: str | None,
        expected: str,
    ) -> UnexpectedResponseError:
        """``GET https://... answered 200 with text/html, not the JSON expected; ...``."""
        what = content_type or "no content type"
        message = f"{method} {url} answered {status_code} with {what}, not {expected}"
        if content_type is None or "json" not in content_type:
            message += "; a proxy or captive portal may be in the way"
        else:
            message += "; is the URL the Alphacast service's?"
        return cls(
            message,
            method=method,
            url=url,
            status_code=status_code,
            content_type=content_type,
            expected=expected,
        )


_BY_STATUS: dict[int, type[APIError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def error_class_for(status_code: int) -> type[APIError]:
    """The most specific :class:`APIError` subclass for an HTTP status."""
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, APIError)
