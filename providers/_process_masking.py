"""Masking what a credential command printed before its stderr is shown in an
error: the key it printed on stdout, and anything key-shaped (long hex, Vault
tokens, JWTs, words :func:`~alphacast.redact.looks_like_key` takes for keys).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from alphacast.redact import REDACTED, looks_like_key, redact_text

#: How much of the command's stderr a message shows (its end: where errors are).
STDERR_LIMIT = 1000
#: A hex string this long is taken for a secret (a token or a raw key) in stderr.
_LONG_HEX = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{32,}(?![0-9A-Za-z])")
#: A Vault or OpenBao token (``hvs.``/``hvb.``/``hvr.``, or the older ``s.``/``b.``/``r.``).
_VAULT_TOKEN = re.compile(r"(?<![\w.\-])(?:hv[sbr]|[sbr])\.[A-Za-z0-9_\-]{16,}")
#: A JWT (or JWE): base64url parts joined by dots, the first a JSON object (``eyJ``).
_JWT = re.compile(r"(?<![\w.\-])eyJ[A-Za-z0-9_\-]{6,}(?:\.[A-Za-z0-9_\-]*){2,}")
#: A word of stderr, as :func:`looks_like_key` judges them.
_WORD = re.compile(r"[A-Za-z0-9+/_\-]+={0,2}")


def printed_secrets(stdout: bytes) -> set[str]:
    """What in a command's stdout may be a secret: its ``api_key``, or any word of it."""
    text = stdout.decode("utf-8", "replace")
    try:
        answer = json.loads(text)
    except json.JSONDecodeError:
        answer = None
    if isinstance(answer, dict):
        found = {v for k, v in answer.items() if isinstance(v, str) and k != "expires_at"}
    else:
        # Not the expected object (a bare key, cut short, several objects): every
        # word long enough to be a key, and the api_key of anything shaped like JSON.
        found = {w.strip("\"',{}[]:") for w in text.split()}
        found = {w for w in found if len(w) >= 8}
        found.update(re.findall(r'"api_key"\s*:\s*"([^"\\]*)', text))
    found |= {secret.strip() for secret in found}
    return {secret for secret in found if len(secret) >= 4}


def masked_stderr(stderr: bytes, secrets: Iterable[str] = ()) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _LONG_HEX.sub(REDACTED, text)
    text = _VAULT_TOKEN.sub(REDACTED, _JWT.sub(REDACTED, text))
    text = _WORD.sub(_mask_key_shaped, text)
    if len(text) > STDERR_LIMIT:
        text = "…" + text[-STDERR_LIMIT:]
    return "  " + redact_text(text).replace("\n", "\n  ")


def _mask_key_shaped(word: re.Match[str]) -> str:
    # An Alphacast key is left to redact_text, which shows it as ak_***.
    key_shaped = looks_like_key(word[0]) and not word[0].startswith("ak_")
    return REDACTED if key_shaped else word[0]
