"""Which Vault or OpenBao servers to ask for a profile's key, in which order, and the
session that talks to them.

A profile may name several servers of one cluster (``vault_addr`` in its config
section, else ``VAULT_AGENT_ADDR`` (a local agent), else ``ALPHACAST_VAULT_ADDRS``,
else ``VAULT_ADDR``/``BAO_ADDR``; each a comma-separated list). They are tried in
order, starting with the one that last served the same list in this process, until
one serves; all of them share the ``ALPHACAST_VAULT_TIMEOUT`` budget of a read.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from alphacast.config import config_location
from alphacast.errors import CredentialError
from alphacast.redact import redact_text
from alphacast.secrets import connect_origin, is_loopback

from ._vault_config import PROVIDER
from ._vault_errors import TIMEOUT_VARIABLE, refuse_redirect

if TYPE_CHECKING:  # requests is imported when a server is asked, not with the provider
    import requests

#: The servers of a cluster, for every profile of the process.
ADDRS_VARIABLE = "ALPHACAST_VAULT_ADDRS"
#: A local agent (``bao agent``/``vault agent``) that adds its own token to requests.
AGENT_VARIABLE = "VAULT_AGENT_ADDR"


def env(suffix: str) -> tuple[str, str] | None:
    """``(variable, value)`` of ``VAULT_<suffix>``, else ``BAO_<suffix>``, if set."""
    for variable in (f"VAULT_{suffix}", f"BAO_{suffix}"):
        value = os.environ.get(variable, "").strip()
        if value:
            return variable, value
    return None


@dataclass(frozen=True)
class Servers:
    """The addresses to try, in the configured order, and the setting that named them."""

    addresses: tuple[str, ...]
    setting: str

    @property
    def agent(self) -> bool:
        """Whether the address is a local agent's, from ``VAULT_AGENT_ADDR``."""
        return self.setting == AGENT_VARIABLE

    @classmethod
    def configured(cls, profile: str, settings: Mapping[str, str]) -> Servers | None:
        """The servers configured for ``profile``; ``None`` when there are none."""
        configured = settings.get("vault_addr", "").strip()
        setting = f"vault_addr in {config_location(profile)}"
        if not configured:
            configured, setting = os.environ.get(AGENT_VARIABLE, "").strip(), AGENT_VARIABLE
        if not configured:
            configured, setting = os.environ.get(ADDRS_VARIABLE, "").strip(), ADDRS_VARIABLE
        if not configured:
            found = env("ADDR")
            if found is None:
                return None
            setting, configured = found
        addresses = tuple(
            dict.fromkeys(_displayable(part) for part in configured.split(",") if part.strip())
        )
        if not addresses:
            return None
        return cls(addresses, setting)

    def proxies(self, address: str, profile: str) -> dict[str, str | None] | None:
        """Refuse an address the token and key must not be sent to; the proxies to use.

        Decided with the parser that opens the connection (urllib3's), as the API's
        URLs are.
        """
        try:
            scheme, host, _ = connect_origin(address)
        except ValueError as exc:
            raise CredentialError(
                f"{self.setting} names {redact_text(address)!r}, which is refused: {exc}; "
                "set it to the server's URL, such as https://vault.example.com:8200 "
                "(several servers separated by commas)",
                provider=PROVIDER,
                profile=profile,
            ) from None
        if scheme == "http" and not is_loopback(host):
            raise CredentialError(
                f"refusing to read from Vault over plain http at {host} ({self.names(address)}): "
                "the token and the API key would cross the network in clear. Use "
                "https:// (with VAULT_CACERT for a private CA), or http:// only for a loopback "
                "address such as a local dev server (127.0.0.1, ::1 or localhost)",
                provider=PROVIDER,
                profile=profile,
            )
        # Loopback never leaves the machine: a proxy from the environment would only read
        # it. Request-level None overrides the environment's; a fresh dict, as requests
        # adds the environment's settings to the one it is given.
        return {"http": None, "https": None, "all": None} if is_loopback(host) else None

    def names(self, address: str) -> str:
        """Where ``address`` is configured, for messages: ``VAULT_ADDR=...``."""
        if self.setting.isupper():
            return f"{self.setting}={address}"
        return f"{self.setting} names {address}"

    def in_order(self) -> list[str]:
        """The addresses, the one that last served this list first."""
        with _lock:
            last = _served.get(self.addresses)
        if last is None:
            return list(self.addresses)
        return [last, *(address for address in self.addresses if address != last)]

    def served_by(self, address: str) -> None:
        """Remember that ``address`` served, to try it first next time."""
        with _lock:
            _served[self.addresses] = address


_lock = threading.Lock()
_served: dict[tuple[str, ...], str] = {}


def _displayable(address: str) -> str:
    """``address`` without a trailing slash or credentials embedded in it (user:pass@)."""
    parts = urlsplit(address.strip().rstrip("/"))
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def Session(deadline: float) -> requests.Session:  # noqa: N802 - used as the class it makes
    """A session that never follows a redirect, makes every 3xx answer an error, and
    gives no request more time than is left before ``deadline`` (``time.monotonic``).

    requests keeps ``X-Vault-Token`` (not a header it knows to strip) when it follows
    a redirect to another host, even from https to http, and re-sends an AppRole
    login's body: the server's word on where to go is not enough to send them.

    The class is defined on first use, so that importing the provider imports no
    requests.
    """
    return _session_class()(deadline)


@cache
def _session_class() -> Callable[[float], requests.Session]:
    import requests

    class DeadlineSession(requests.Session):
        def __init__(self, deadline: float) -> None:
            super().__init__()
            self.deadline = deadline
            self.hooks["response"].append(refuse_redirect)

        def get_redirect_target(self, resp: requests.Response) -> str | None:
            return None

        def request(
            self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
        ) -> requests.Response:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise requests.exceptions.Timeout(
                    f"no time left of the {TIMEOUT_VARIABLE} budget for this read"
                )
            timeout = kwargs.get("timeout")
            if isinstance(timeout, int | float):
                kwargs["timeout"] = min(float(timeout), left)
            else:
                kwargs["timeout"] = left
            return super().request(method, url, *args, **kwargs)

    return DeadlineSession
