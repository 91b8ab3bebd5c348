"""Helpers shared by the provider tests (and ``tests/test_chain_cache.py``)."""

from __future__ import annotations

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
            if len(key.strip()) >= 4:
                assert key.strip() not in str(exc)
            return
    credential = provider.resolve("prod")
    assert credential is not None and credential.api_key == key.strip()
