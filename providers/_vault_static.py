"""Keeping a token alive: renewal (of a login's token or a static one) and the life
of a static token (``VAULT_TOKEN``, ``BAO_TOKEN``, ``~/.vault-token``).

A static token's life (its TTL, whether it is renewable) is looked up once
(``auth/token/lookup-self``), after the first read it served, and kept with the token
for the process (:mod:`._vault_tokens`); past half its life it is renewed
(``auth/token/renew-self``) by one thread for all. A token with no TTL (a root token)
is never renewed. A static token cannot be replaced by a login: once it has ended
(its max TTL reached, not renewable, revoked) reads fail with a
:class:`CredentialError` saying how to get a new one, at once and without a round
trip, until a new token appears (``VAULT_TOKEN`` changed, ``~/.vault-token``
rewritten): that one is used at the next read.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NoReturn

from alphacast.config import config_location
from alphacast.errors import CredentialError
from alphacast.redact import redact_text

from . import _vault_tokens as tokens
from ._vault_config import AppRole, Jwt, Token
from ._vault_errors import ExplainsFailures, server_says


class Renews(ExplainsFailures):
    """Renews tokens, and keeps a static token's life."""

    #: The servers of the cluster the token is good for (set by the provider).
    cluster: tuple[str, ...] = ()
    #: When (``time.monotonic``) the static token in use ends if it is not renewed
    #: meanwhile; ``None``: it is not renewed (no expiry, not renewable, a login's).
    renew_by: float | None = None
    #: The server refused the kept static token: ask it whether the token lives.
    _refused = False
    #: The static token in use is new to this process: look it up once it has served.
    _unknown_life = False

    def _key(self) -> object:
        login = self.login
        if isinstance(login, AppRole):
            identity: tuple[str, ...] = ("approle", login.mount, login.role_id)
        elif isinstance(login, Jwt):
            identity = ("jwt", login.mount, login.role, str(login.path))
        else:
            # A digest, never the token: a new token (VAULT_TOKEN changed, ~/.vault-token
            # rewritten) is a new key, used at once.
            identity = ("token", tokens.digest(login.value))
        return (self.cluster or (self.target.address,), self.target.namespace, identity)

    # -- a static token ---------------------------------------------------------------

    def _static(self, login: Token) -> None:
        """Put the static token on the client, renewed if due; one that ended fails."""
        self.client.token = login.value
        self.reused = False
        if not login.value:
            return  # vault_auth = agent: the agent adds its own token
        key = self._key()
        held = tokens.held(key)
        if held is None and not self._refused and tokens.ended(key) is None:
            self._unknown_life = True  # looked up by learn_token_life, after the read
            return
        if held is None or self._refused or held.left() <= 0 or (held.due() and held.renewable):
            with tokens.one_at_a_time(key):  # one lookup or renewal for every thread
                held = self._static_life(key)
        self._using(held)

    def _using(self, held: tokens.Held) -> None:
        finite = held.renewable and held.expires < math.inf
        self.renew_by = held.expires if finite else None
        # After a refusal the token was found alive: a second refusal is the policy's.
        self.reused = held.known and not self._refused

    def learn_token_life(self) -> None:
        """After a read served by a static token new to this process: ask the server
        its life, once for every thread. A lookup that fails does not fail the read."""
        if not self._unknown_life:
            return
        self._unknown_life = False
        import requests  # loaded with hvac already

        key = self._key()
        with tokens.one_at_a_time(key):
            held = tokens.held(key)
            if held is None and tokens.ended(key) is None:
                try:
                    held = self._look_up(key, None)
                except (self.hvac.exceptions.VaultError, requests.RequestException) as exc:
                    if isinstance(exc, self.hvac.exceptions.VaultError) and not self.cannot_serve(
                        exc
                    ):
                        self._blind(key)  # a server that will not say: not asked again
                    return  # cannot serve now: asked again at the next read
                except CredentialError:  # an answer no Vault sends
                    held = self._blind(key)
        if held is not None:
            self._using(held)

    def _blind(self, key: object) -> tokens.Held:
        """A static token whose life the server does not tell: used as it is."""
        blind = tokens.Held(self.client.token, False, math.inf, math.inf, known=False)
        tokens.keep(key, blind)
        return blind

    def _static_life(self, key: object) -> tokens.Held:
        """The static token's life, renewed past half of it; a token that ended is a
        :class:`CredentialError`. Called holding the key's lock."""
        ended = tokens.ended(key)
        if ended is not None:
            self.fail(ended)
        held = tokens.held(key)
        if held is None or held.left() <= 0 or self._refused:
            return self._look_up(key, held)
        if held.due() and held.renewable:
            return self._renew(key, held)
        return held  # another thread renewed it meanwhile

    def _look_up(self, key: object, before: tokens.Held | None) -> tokens.Held:
        """What the server says of the token (``auth/token/lookup-self``): once, then
        again only when our clock says it ended or the server refused it."""
        try:
            answer = self.client.auth.token.lookup_self()
        except self.hvac.exceptions.Forbidden:
            if before is None or not before.known:
                # Never known good: a policy without lookup-self (or it ended already:
                # the read says which). Used as it is.
                return self._blind(key)
            self._ended(key, before)
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            self._not_vault_token(
                "the answer to a token lookup (auth/token/lookup-self)", "a data object"
            )
        held = tokens.Held.looked_up(self.client.token, data)
        if before is not None and before.known and not before.renewable:
            held.renewable, held.end_reason = False, before.end_reason
        tokens.keep(key, held)
        return held

    def _ended(self, key: object, held: tokens.Held) -> NoReturn:
        """The static token can no longer be used: say so, for this read and the next."""
        source = self.token_source
        if held.left() > 0:
            what = f"the server refuses the {source}: it was revoked (or expired early)"
        elif held.end_reason:
            what = f"the {source} has expired: {held.end_reason}"
        else:
            what = f"the {source} has expired or was revoked"
        message = redact_text(
            f"{what} (profile {self.profile!r}, reading {self.target.where()}). A token used "
            "as it is cannot log in again: issue a new one (`bao login` / `vault login` "
            "rewrites ~/.vault-token, or set VAULT_TOKEN; a new token is used at the next "
            "read), or set vault_auth = approle, jwt or agent in "
            f"{config_location(self.profile)}, which log in again when a token ends"
        )
        tokens.end(key, message)
        self.fail(message)

    # -- renewal ------------------------------------------------------------------------

    def _renew(self, key: object, held: tokens.Held) -> tokens.Held:
        """The token renewed, still renewable if the server extended it; or, when the
        server would not renew it, the token as it is, no longer renewable, with why
        (it is used until it ends)."""
        self.client.token = held.token
        try:
            answer = self.client.auth.token.renew_self()
        except self.hvac.exceptions.Forbidden:
            # A token whose policy lacks renew-self is refused the renewal but still
            # reads until its TTL ends; a revoked one is refused the read too, which
            # the read's refusal (a lookup) then reports as revoked.
            kept = dataclasses.replace(
                held,
                renewable=False,
                end_reason=(
                    "its policy does not allow renew-self, so it was not renewed (grant "
                    '`path "auth/token/renew-self" { capabilities = ["update"] }` in the '
                    "token's policy to have it renewed)"
                ),
            )
            tokens.keep(key, kept)
            return kept
        except self.hvac.exceptions.VaultError as exc:
            if self.cannot_serve(exc):
                raise
            # Not renewable after all ("lease is not renewable"): used until it ends.
            kept = dataclasses.replace(
                held,
                renewable=False,
                end_reason=f"the server would not renew it ({server_says(exc)})",
            )
            tokens.keep(key, kept)
            return kept
        auth = answer.get("auth") if isinstance(answer, dict) else None
        if not isinstance(auth, dict):
            self._not_vault_token("the answer to a token renewal (auth/token/renew-self)")
        renewed = tokens.Held.granted(held.token, auth)
        if renewed.expires <= held.expires + 1.0:
            renewed.renewable = False  # its max TTL is reached: a new login comes next
            renewed.end_reason = "renewal no longer extends it (its max TTL is reached)"
        tokens.keep(key, renewed)
        return renewed

    def _not_vault_token(
        self, what: str, expected: str = "a token in auth.client_token"
    ) -> NoReturn:
        self.fail(
            f"{what} from {self.target.address} is not what Vault sends (expected {expected}); "
            "check that VAULT_ADDR names the Vault or OpenBao server itself, not a proxy "
            "or another service"
        )
