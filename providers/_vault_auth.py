"""How the ``vault`` provider gets a token for a profile: ``vault_auth`` in its config
section (``token``, ``approle``, ``jwt`` or ``agent``), else the agent's when
``VAULT_AGENT_ADDR`` names the server, else AppRole when a role id and a secret id are
configured, else a token as it is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from alphacast.config import config_location, profile_section
from alphacast.secrets import display_path, read_secret_file

from ._vault_config import PROVIDER, AppRole, Jwt, Login, Target, Token
from ._vault_errors import fail

#: Where Kubernetes mounts a pod's service-account token (a JWT).
KUBERNETES_JWT_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"
METHODS = ("token", "approle", "jwt", "agent")


def configured_login(
    settings: Mapping[str, str], target: Target, profile: str, *, agent: bool = False
) -> Login:
    """The login ``vault_auth`` names, else the one inferred from what is configured;
    ``agent``: the server is a local agent's (``VAULT_AGENT_ADDR``)."""
    method = settings.get("vault_auth", "").strip().lower()
    if method == "agent" or (agent and not method):
        # No token of our own: the agent adds its auto-auth token (use_auto_auth_token).
        return Token("", f"auto-auth token of the agent at {target.address}")
    if not method:
        return _approle(settings, target, profile) or _token(target, profile)
    if method == "token":
        return _token(target, profile)
    if method == "approle":
        approle = _approle(settings, target, profile)
        if approle is None:
            fail(
                f"vault_auth = approle in {config_location(profile)} but no role id or "
                "secret id is configured; set vault_role_id and vault_secret_id (or "
                "vault_secret_id_file), or VAULT_ROLE_ID and VAULT_SECRET_ID",
                profile,
            )
        return approle
    if method == "jwt":
        return _jwt(settings, profile)
    fail(
        f"vault_auth = {method!r} in {config_location(profile)} must be one of "
        f"{', '.join(METHODS)} (or left out: AppRole when configured, else a token)",
        profile,
    )


def _jwt(settings: Mapping[str, str], profile: str) -> Jwt:
    role = settings.get("vault_role", "").strip()
    if not role:
        fail(
            f"vault_auth = jwt in {config_location(profile)} needs vault_role, the role of "
            "the JWT auth method to log in as",
            profile,
        )
    configured = (
        settings.get("vault_jwt_file", "").strip()
        or os.environ.get("VAULT_JWT_FILE", "").strip()
        or KUBERNETES_JWT_FILE
    )
    mount = settings.get("vault_jwt_mount", "jwt").strip().strip("/") or "jwt"
    return Jwt(role, Path(configured).expanduser(), mount)


def read_jwt(jwt: Jwt, profile: str) -> str:
    """The JWT in its file now: platforms rotate it, so it is read at each login."""
    # A platform's file (a pod's projected token is root-owned, mode 0644): not ours
    # to require private.
    raw = read_secret_file(jwt.path, provider=PROVIDER, profile=profile, private=False)
    if raw is None:
        fail(
            f"the JWT file {display_path(jwt.path)} does not exist (vault_auth = jwt); set "
            f"vault_jwt_file in {profile_section(profile)} or VAULT_JWT_FILE to the file the "
            "platform writes the token to (in Kubernetes, the service-account token is "
            f"mounted at {KUBERNETES_JWT_FILE} unless automountServiceAccountToken is false)",
            profile,
        )
    token = raw.decode("utf-8", "replace").strip()
    if not token:
        fail(f"the JWT file {display_path(jwt.path)} is empty (vault_auth = jwt)", profile)
    return token


def _approle(settings: Mapping[str, str], target: Target, profile: str) -> AppRole | None:
    """The AppRole login configured for ``profile``, if any; half a configuration is an error."""
    role_id = settings.get("vault_role_id") or os.environ.get("VAULT_ROLE_ID")
    secret_id = settings.get("vault_secret_id")
    secret_file = settings.get("vault_secret_id_file")
    if secret_id is None and secret_file:
        path = Path(secret_file).expanduser()
        raw = read_secret_file(path, provider=PROVIDER, profile=profile)
        if raw is None:
            fail(f"vault_secret_id_file names {display_path(path)}, which does not exist", profile)
        secret_id = raw.decode("utf-8", "replace").strip()
    secret_id = secret_id or os.environ.get("VAULT_SECRET_ID")
    if not role_id and not secret_id:
        return None
    if not role_id or not secret_id:
        missing = "a role id" if not role_id else "a secret id"
        fail(
            f"AppRole login to {target.address} is half configured: {missing} is "
            f"missing; set vault_role_id and vault_secret_id (or vault_secret_id_file) in "
            f"{config_location(profile)}, or "
            "VAULT_ROLE_ID and VAULT_SECRET_ID",
            profile,
        )
    mount = settings.get("vault_approle_mount", "approle").strip().strip("/")
    return AppRole(role_id.strip(), secret_id, mount)


def _token(target: Target, profile: str) -> Token:
    """``VAULT_TOKEN``, else ``BAO_TOKEN``, else ``~/.vault-token``; none is an error."""
    for variable in ("VAULT_TOKEN", "BAO_TOKEN"):
        value = os.environ.get(variable, "").strip()
        if value:
            return Token(value, f"token from {variable}")
    path = Path.home() / ".vault-token"
    raw = read_secret_file(path, provider=PROVIDER, profile=profile)
    token = raw.decode("utf-8", "replace").strip() if raw else ""
    if not token:
        fail(
            f"no token to read {target.where()}: set VAULT_TOKEN, log in with "
            "`bao login` / `vault login` (writes ~/.vault-token), or configure AppRole "
            f"(vault_role_id and vault_secret_id in {profile_section(profile)})",
            profile,
        )
    return Token(token, f"token from {display_path(path)}")
