"""``vault``: a key stored in HashiCorp Vault or OpenBao, in a KV v1 or v2 engine.

The provider takes part only when a server is configured (``vault_addr`` in the
profile's section, else ``ALPHACAST_VAULT_ADDRS``, else ``VAULT_ADDR``, else
``BAO_ADDR``; each a comma-separated list of the servers of one cluster, asked in
order, past one that cannot serve now, the one that served first next time: see
:mod:`._vault_servers`). A configured server is authoritative: a denied read, a missing
secret or field, or an unreachable server is a :class:`CredentialError` naming
the address, mount, path and the fix, never a silent fall-through to the next
provider. To serve some profiles from elsewhere, give them a chain without
vault (``credential_chain = keyring`` in their ``[profile NAME]`` section).

Where the key is read, per profile in ``~/.alphacast/config`` (no inheritance
between sections)::

    [profile prod]
    vault_mount = secret            # default "secret"
    vault_path = teams/data/prod    # default "alphacast/<profile>"
    vault_field = api_key           # default "api_key"
    vault_kv_version = 2            # 1, 2 or auto (default: asks the server)
    vault_refresh_seconds = 300     # re-read the secret this often (default 300)

Authentication (:mod:`._vault_auth`): ``vault_auth = token | approle | jwt | agent``
(agent: no token of our own, a local agent adds its own; implied by
``VAULT_AGENT_ADDR``, which names the server before ``ALPHACAST_VAULT_ADDRS``); JWT
logs in as ``vault_role`` with the token in ``vault_jwt_file`` (else
``VAULT_JWT_FILE``, else the Kubernetes service-account token), re-read at each
login, at mount ``vault_jwt_mount`` (default ``jwt``). Left out: AppRole when a role
id and a secret id are configured
(``vault_role_id`` and ``vault_secret_id`` or ``vault_secret_id_file``, else
``VAULT_ROLE_ID``/``VAULT_SECRET_ID``; mount ``vault_approle_mount``, default
``approle``), else a token from ``VAULT_TOKEN``, ``BAO_TOKEN`` or
``~/.vault-token``. A login's token is kept for the process, renewed and replaced
(:mod:`._vault_login`, :mod:`._vault_tokens`); a static token is renewed too, and
once it has ended a read is an error saying how to get a new one
(:mod:`._vault_static`). TLS is always verified, against ``VAULT_CACERT`` or
``VAULT_CAPATH`` (or the ``BAO_`` forms) when set; ``VAULT_SKIP_VERIFY`` is
ignored. Plain ``http://`` is refused, before any connection, unless the server
is on a loopback address (127.0.0.0/8, ``::1`` or ``localhost``, the rule
that applies to the API): the token and the
key would cross the network in clear. A loopback server is never reached through
a proxy from the environment (``HTTP_PROXY``), which would see both. A redirect
is never followed (the token would go with it): an answer of 3xx is an error
naming where it points (a standby's redirect to the active node: the next listed
server is asked).
``VAULT_NAMESPACE``/``BAO_NAMESPACE`` select a namespace. A read, login included,
across every listed server, takes at most ``ALPHACAST_VAULT_TIMEOUT`` seconds
(default 3).

A lease (``lease_duration``) or a KV v2 ``custom_metadata`` entry ``expires_at``
(ISO 8601) or ``ttl`` (seconds, or ``90s``/``15m``/``1h``) bounds how long the
key is used; in any case it is re-read after ``vault_refresh_seconds`` so a
rotated secret is picked up. Neither the token nor the key ever appears in a
message, a log line or a ``repr``.
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

from alphacast import AlphacastWarning, Credential, CredentialError, CredentialProvider
from alphacast.config import profile_section, profile_settings
from alphacast.hookspecs import hookimpl
from alphacast.secrets import DEFAULT_PROFILE, seconds_setting

from ._vault_config import PROVIDER, Target
from ._vault_errors import TIMEOUT_VARIABLE, Unavailable, fail
from ._vault_servers import ADDRS_VARIABLE, Servers, Session, env

__all__ = [
    "ADDRS_VARIABLE",
    "DEFAULT_REFRESH_SECONDS",
    "DEFAULT_TIMEOUT",
    "INSTALL_HINT",
    "TIMEOUT_VARIABLE",
    "VaultProvider",
    "alphacast_credential_providers",
]

DEFAULT_TIMEOUT = 3.0
DEFAULT_REFRESH_SECONDS = 300.0
INSTALL_HINT = "pip install 'alphacast[vault]'"


def _target(address: str, profile: str, settings: Mapping[str, str]) -> Target:
    namespace = env("NAMESPACE")
    return Target.for_profile(address, namespace[1] if namespace else None, profile, settings)


def _timeout(profile: str) -> float:
    raw = os.environ.get(TIMEOUT_VARIABLE)
    if not raw:
        return DEFAULT_TIMEOUT
    return seconds_setting(
        raw, what=f"{TIMEOUT_VARIABLE}={raw!r}", provider=PROVIDER, profile=profile
    )


def _verify() -> bool | str:
    if env("SKIP_VERIFY"):
        warnings.warn(
            "vault: VAULT_SKIP_VERIFY is ignored, TLS is always verified; "
            "set VAULT_CACERT to the CA that signed the server's certificate",
            AlphacastWarning,
            stacklevel=4,
        )
    found = env("CACERT") or env("CAPATH")
    if found is None:
        return True
    path = Path(found[1]).expanduser()
    if not path.exists():
        raise CredentialError(
            f"{found[0]} names {path}, which does not exist; point it at the CA certificate "
            "that signed the Vault server's certificate",
            provider=PROVIDER,
        )
    return str(path)


class VaultProvider(CredentialProvider):
    """Reads the key of a profile from a Vault or OpenBao KV engine."""

    name = PROVIDER
    priority = 80
    cacheable = True

    def resolve(self, profile: str) -> Credential | None:
        settings = profile_settings(profile)
        servers = Servers.configured(profile, settings)
        if servers is None:
            return None
        proxies = {address: servers.proxies(address, profile) for address in servers.addresses}
        target = _target(servers.addresses[0], profile, settings)
        try:
            import hvac
        except ImportError:
            raise CredentialError(
                f"a Vault server is configured ({servers.names(servers.addresses[0])}) but the "
                f"hvac library is missing: {INSTALL_HINT}",
                provider=self.name,
                profile=profile,
            ) from None
        refresh = seconds_setting(
            settings.get("vault_refresh_seconds", str(DEFAULT_REFRESH_SECONDS)),
            what=f"vault_refresh_seconds in {profile_section(profile)}",
            provider=PROVIDER,
            profile=profile,
        )
        timeout = _timeout(profile)
        verify = _verify()
        # Logging in and reading (hashing, token bookkeeping) load only when a server
        # is configured: every command that builds the chain imports this module.
        from ._vault_auth import configured_login
        from ._vault_read import Read

        login = configured_login(settings, target, profile, agent=servers.agent)
        # Every server shares the budget; each is given an equal share of what is left,
        # so that a silent one leaves time for the others.
        deadline = time.monotonic() + timeout
        order = servers.in_order()
        unavailable: list[tuple[str, Unavailable]] = []
        for tried, address in enumerate(order):
            share = (deadline - time.monotonic()) / (len(order) - tried)
            with Session(time.monotonic() + share) as session:
                # hvac prefers the session's verify over its own argument: set both.
                session.verify = verify
                client = hvac.Client(
                    url=address,
                    token="",
                    verify=verify,
                    timeout=timeout,
                    session=session,
                    namespace=target.namespace,
                    proxies=proxies[address],
                    allow_redirects=False,
                )
                here = dataclasses.replace(target, address=address)
                read = Read(hvac, client, here, login, profile, timeout)
                read.cluster = servers.addresses
                try:
                    credential = read.credential(refresh)
                except Unavailable as exc:
                    unavailable.append((address, exc))
                    continue
            servers.served_by(address)
            return credential
        if len(unavailable) == 1:
            raise unavailable[0][1]
        reasons = "; ".join(f"{address}: {exc.reason}" for address, exc in unavailable)
        fail(
            f"none of the {len(unavailable)} Vault servers in {servers.setting} could serve "
            f"{target.mount}/{target.path} within {TIMEOUT_VARIABLE} ({timeout:g} s) ({reasons}). "
            "Check that the cluster has an unsealed active node reachable from here, or "
            f"raise {TIMEOUT_VARIABLE}",
            profile,
        )

    def describe_miss(self, profile: str) -> str:
        return "VAULT_ADDR/BAO_ADDR not set"

    def profiles(self) -> list[str] | None:
        """Secrets in Vault are not listed (``None``) where a server is set for the
        process; a profile that names its own server has a config-file section, which
        ``alphacast auth status`` lists."""
        return None if Servers.configured(DEFAULT_PROFILE, {}) is not None else []

    def cache_key(self, profile: str) -> tuple[object, ...]:
        settings = profile_settings(profile)
        servers = Servers.configured(profile, settings)
        if servers is None:
            return (*super().cache_key(profile), None)
        target = _target(",".join(servers.addresses), profile, settings)
        return (*super().cache_key(profile), target)


@hookimpl
def alphacast_credential_providers() -> Iterable[CredentialProvider]:
    return [VaultProvider()]
