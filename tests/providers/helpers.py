"""Helpers shared by the provider tests (and ``tests/test_chain_cache.py``)."""

from __future__ import annotations

import codecs
import textwrap
import warnings
from pathlib import Path

from alphacast import AlphacastError, AlphacastWarning, WritableCredentialProvider


def write_config(home: Path, text: str) -> None:
    """Write ``text`` (dedented) as ``~/.alphacast/config`` under ``home``, mode 0600."""
    directory = home / ".alphacast"
    directory.mkdir(mode=0o700, exist_ok=True)
    path = directory / "config"
    path.write_text(textwrap.dedent(text))
    path.chmod(0o600)


def assert_stored_or_refused(provider: WritableCredentialProvider, key: str) -> None:
    """Storing ``key`` for ``prod`` either fails with an AlphacastError that does not
    repeat the key, or stores it so that it resolves to the key without surrounding
    whitespace (stripping it warns, which is not the point here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlphacastWarning)
        try:
            provider.store("prod", key)
        except AlphacastError as exc:
            stripped = key.strip()
            if len(stripped) >= 4 and stripped in str(exc):
                # Only the message's fixed words may hold it (a key such as "he k" or
                # "the key to store"): then the message does not change with the key.
                assert str(exc) == _message_for(provider, codecs.encode(key, "rot13")), str(exc)
            return
    credential = provider.resolve("prod")
    assert credential is not None and credential.api_key == key.strip()


def _message_for(provider: WritableCredentialProvider, key: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlphacastWarning)
        try:
            provider.store("prod", key)
        except AlphacastError as exc:
            return str(exc)
    return "(stored)"
