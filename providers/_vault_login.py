"""Getting a token for a read: the one a profile's settings name (``Token``), or one
from a login (AppRole, JWT) kept for the process (:mod:`._vault_tokens`), renewed
before it ends and replaced by a new login when it cannot be renewed.

A static token is renewed too, but cannot be replaced by a login: see
:mod:`._vault_static`.
"""

from __future__ import annotations

from typing import Any

from alphacast.errors import CredentialError
from alphacast.secrets import display_path

from . import _vault_tokens as tokens
from ._vault_auth import read_jwt
from ._vault_config import AppRole, Jwt, Token
from ._vault_errors import Unavailable, server_says
from ._vault_static import Renews


class Authenticates(Renews):
    """Puts a token on the client: the configured one, or a kept or new login's."""

    def authenticate(self) -> None:
        """Set the client's token; ``self.reused`` tells whether it was kept from before
        (a refusal then means the token ended, not that the policy denies)."""
        login = self.login
        if isinstance(login, Token):
            self._static(login)
            return
        key = self._key()
        held = tokens.held(key)
        if held is None or held.due() or not held.usable():
            with tokens.one_at_a_time(key):  # one renewal or login for every thread
                held, self.reused = self._renewed_or_new(key)
        else:
            self.reused = True
        self.client.token = held.token

    def forget_token(self) -> None:
        """The kept token was refused: the next :meth:`authenticate` logs in again (or,
        for a static token, asks the server whether it still lives)."""
        if isinstance(self.login, Token):
            self._refused = True
        else:
            tokens.drop(self._key(), self.client.token)
        self.reused = False

    def _renewed_or_new(self, key: object) -> tuple[tokens.Held, bool]:
        """The login's token, renewed if due, else from a new login; and whether it is
        kept from before. Called holding the key's lock: another thread may have
        renewed it or logged in meanwhile."""
        held = tokens.held(key)
        if held is not None and held.due() and held.renewable:
            held = self._renew(key, held)
        if held is not None and (not held.usable() or (held.due() and not held.renewable)):
            held = None  # near its end and not renewable any more: log in again
        if held is None:
            return self._log_in(key), False
        return held, True

    # -- logging in -------------------------------------------------------------

    def _log_in(self, key: object) -> tokens.Held:
        login = self.login
        material = login.secret_id if isinstance(login, AppRole) else ""
        if isinstance(login, Jwt):
            material = read_jwt(login, self.profile)  # read at each login: platforms rotate it
        waiting = tokens.backing_off(key, material)
        if waiting is not None:
            self.fail(waiting)
        try:
            if isinstance(login, AppRole):
                held = self._approle(login)
            else:
                assert isinstance(login, Jwt)
                held = self._jwt(login, material)
        except Unavailable:
            raise
        except CredentialError as exc:
            tokens.failed(key, material, str(exc).removeprefix("vault: "))
            raise
        tokens.keep(key, held)
        return held

    def _approle(self, approle: AppRole) -> tokens.Held:
        mount = approle.mount
        try:
            answer = self.client.auth.approle.login(
                approle.role_id, approle.secret_id, use_token=False, mount_point=mount
            )
        except self.hvac.exceptions.VaultError as exc:
            if self.cannot_serve(exc):
                raise  # explained (and another server tried) by the caller
            self.fail(
                f"AppRole login at {self.target.address} (auth/{mount}/login) failed "
                f"({server_says(exc)}); check the role id and secret id (secret ids expire "
                "and may be single-use) and vault_approle_mount"
            )
        return self._granted(answer, f"the answer to the AppRole login (auth/{mount}/login)")

    def _jwt(self, jwt: Jwt, token: str) -> tokens.Held:
        mount = jwt.mount
        try:
            answer = self.client.auth.jwt.jwt_login(jwt.role, token, use_token=False, path=mount)
        except self.hvac.exceptions.VaultError as exc:
            if self.cannot_serve(exc):
                raise  # explained (and another server tried) by the caller
            self.fail(
                f"JWT login as role {jwt.role!r} at {self.target.address} "
                f"(auth/{mount}/login) failed ({server_says(exc)}); check the token in "
                f"{display_path(jwt.path)} (its audience, issuer, expiry and the claims the "
                "role binds), vault_role and vault_jwt_mount"
            )
        return self._granted(answer, f"the answer to the JWT login (auth/{mount}/login)")

    def _granted(self, answer: Any, what: str) -> tokens.Held:
        auth = answer.get("auth") if isinstance(answer, dict) else None
        token = auth.get("client_token") if isinstance(auth, dict) else None
        if not isinstance(auth, dict) or not isinstance(token, str) or not token.strip():
            self._not_vault_token(what)
        return tokens.Held.granted(token, auth)
