"""The ``encrypted-file`` format: a passphrase-encrypted JSON document of profiles.

All integers big-endian::

    v1: magic "ACENC\\r\\n\\x1a" (8) | version=1 (u8) | kdf=1 scrypt (u8)
        | log2(n) (u8) | r (u32) | p (u32) | salt (16) | nonce (12)
        | AES-256-GCM ciphertext of JSON {"profile": "key", ...} | tag (16)
    v2: magic (8) | version=2 (u8) | kdf=1 scrypt (u8) | log2(n) (u8) | r (u32)
        | p (u32) | salt (16) | cipher (u8: 1 AES-256-GCM, 2 ChaCha20-Poly1305)
        | nonce (12) | ciphertext | tag (16), where the plaintext is JSON
        {"profiles": {"name": {"api_key": ..., "stored_at": ISO-8601}},
         "written_at": ISO-8601, "written_by": "alphacast X.Y.Z"}
        padded with spaces to a multiple of 256 bytes (hiding key lengths).

The whole header is the AEAD's associated data, so changing any byte of the
file (header, ciphertext or tag) fails authentication: it is reported as
"wrong passphrase or tampered with", never decrypted into another key. Both
versions are read; :func:`encrypt` writes v2. KDF parameters come from the
header, and are checked before the KDF runs, since a tampered header could ask
for any: scrypt's own rule (n < 2**(16 r)), at most 256 MiB of memory
(128 r n bytes) and at most 2**21 units of work (n r p: eight times the default,
the most ``ALPHACAST_ENCRYPTED_KDF_N`` may ask for, about a second or two).
Parameters beyond these are reported as tampering, naming the file, not run.
The key derived for a passphrase, salt and parameters is cached for the
process, so the (deliberately slow) KDF runs once. ``cryptography`` is imported
on first use.
"""

from __future__ import annotations

import json
import os
import struct
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import alphacast
from alphacast.errors import CredentialError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

#: How to supply the passphrase (read by the provider), named in the fix for a
#: wrong one.
PASSPHRASE_FILE_VARIABLE = "ALPHACAST_PASSPHRASE_FILE"  # noqa: S105 - a variable name
PASSPHRASE_VARIABLE = "ALPHACAST_PASSPHRASE"  # noqa: S105 - a variable name

MAGIC = b"ACENC\r\n\x1a"
KDF_SCRYPT = 1
CIPHER_AES_GCM = 1
CIPHER_CHACHA20_POLY1305 = 2
DEFAULT_LOG2_N, DEFAULT_R, DEFAULT_P = 15, 8, 1
SALT_SIZE, NONCE_SIZE, TAG_SIZE, PAD_TO = 16, 12, 16, 256
MAX_KDF_MEMORY = 256 * 1024 * 1024
MAX_KDF_WORK = 1 << 21  # n * r * p

_V1 = struct.Struct(">8sBBBII16s12s")
_V2 = struct.Struct(">8sBBBII16sB12s")
_FIX_DAMAGED = (
    "restore it from a backup, or delete it and store the keys again with "
    "`alphacast auth set PROFILE --store encrypted-file`"
)
_FIX_PASSPHRASE = (
    f"check {PASSPHRASE_FILE_VARIABLE} or {PASSPHRASE_VARIABLE}; if the passphrase is "
    f"right, {_FIX_DAMAGED}"
)


@dataclass(frozen=True)
class Header:
    """The authenticated, unencrypted start of the file."""

    version: int
    log2_n: int
    r: int
    p: int
    salt: bytes
    cipher: int
    nonce: bytes

    def pack(self) -> bytes:
        kdf = (KDF_SCRYPT, self.log2_n, self.r, self.p, self.salt)
        if self.version == 1:
            return _V1.pack(MAGIC, 1, *kdf, self.nonce)
        return _V2.pack(MAGIC, 2, *kdf, self.cipher, self.nonce)


@dataclass(frozen=True)
class Entry:
    """One profile's key and when it was stored (unknown for v1 files)."""

    api_key: str
    stored_at: str | None = None


def error(message: str, profile: str | None) -> CredentialError:
    """A CredentialError of the ``encrypted-file`` provider."""
    return CredentialError(message, provider="encrypted-file", profile=profile)


def parse_header(data: bytes, shown: str, profile: str | None = None) -> tuple[Header, int]:
    """The header of ``data`` and its length; errors say what is wrong and the fix."""
    if data[: len(MAGIC)] != MAGIC:
        raise error(
            f"{shown} is not an alphacast encrypted credentials file (bad magic bytes): it "
            f"was damaged, tampered with, or is another kind of file; {_FIX_DAMAGED}",
            profile,
        )
    version = data[len(MAGIC)] if len(data) > len(MAGIC) else 0
    layout = {1: _V1, 2: _V2}.get(version)
    if layout is None:
        raise error(
            f"{shown} has format version {version}, which this alphacast cannot read (it "
            f"was written by a newer alphacast, or tampered with); upgrade alphacast, or "
            f"{_FIX_DAMAGED}",
            profile,
        )
    if len(data) < layout.size + TAG_SIZE:
        raise error(f"{shown} is truncated (damaged or tampered with); {_FIX_DAMAGED}", profile)
    if version == 1:
        _, _, kdf, log2_n, r, p, salt, nonce = _V1.unpack_from(data)
        cipher = CIPHER_AES_GCM
    else:
        _, _, kdf, log2_n, r, p, salt, cipher, nonce = _V2.unpack_from(data)
    header = Header(version, log2_n, r, p, salt, cipher, nonce)
    if kdf != KDF_SCRYPT or cipher not in (CIPHER_AES_GCM, CIPHER_CHACHA20_POLY1305):
        raise error(
            f"{shown} names a KDF or cipher this alphacast does not know (kdf {kdf}, cipher "
            f"{cipher}): written by a newer alphacast, or tampered with; upgrade alphacast, "
            f"or {_FIX_DAMAGED}",
            profile,
        )
    if not sane_kdf(log2_n, r, p):
        raise error(
            f"{shown} asks for unreasonable scrypt parameters (n=2**{log2_n}, r={r}, p={p}; "
            f"the limits are {MAX_KDF_MEMORY >> 20} MiB of memory and n*r*p <= "
            f"2**{MAX_KDF_WORK.bit_length() - 1}): it was damaged or tampered with, so the "
            f"key derivation was not run; {_FIX_DAMAGED}",
            profile,
        )
    return header, layout.size


def sane_kdf(log2_n: int, r: int, p: int) -> bool:
    """Whether scrypt(n=2**log2_n, r, p) is valid and within the memory and work limits."""
    if not (1 <= log2_n <= 30 and 1 <= r <= 32 and 1 <= p <= 16):
        return False
    n = 1 << log2_n
    return (
        log2_n < 16 * r  # scrypt requires n < 2**(128 r / 8)
        and 128 * r * n <= MAX_KDF_MEMORY
        and n * r * p <= MAX_KDF_WORK
    )


_key_lock = threading.Lock()
_key_cache: dict[tuple[bytes, bytes, int, int, int], bytes] = {}
_PEPPER = os.urandom(32)


def derive_key(
    passphrase: str,
    header: Header,
    *,
    shown: str = "the encrypted credentials file",
    profile: str | None = None,
) -> bytes:
    """scrypt(passphrase), computed once per process for a passphrase, salt and parameters.

    Parameters outside :func:`sane_kdf` (a tampered header), or too little memory
    to run them, are a CredentialError naming ``shown``; the KDF does not run.
    """
    if not sane_kdf(header.log2_n, header.r, header.p):
        raise error(
            f"{shown} asks for unreasonable scrypt parameters (n=2**{header.log2_n}, "
            f"r={header.r}, p={header.p}): it was damaged or tampered with, so the key "
            f"derivation was not run; {_FIX_DAMAGED}",
            profile,
        )
    import hashlib  # here: loading OpenSSL's hashes costs every CLI command ~3 ms

    tag = hashlib.sha256(_PEPPER + passphrase.encode("utf-8")).digest()
    cache_key = (tag, header.salt, header.log2_n, header.r, header.p)
    with _key_lock:
        cached = _key_cache.get(cache_key)
        if cached is not None:
            return cached
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        kdf = Scrypt(salt=header.salt, length=32, n=1 << header.log2_n, r=header.r, p=header.p)
        try:
            key = kdf.derive(passphrase.encode("utf-8"))
        except MemoryError:
            memory = (128 * header.r << header.log2_n) >> 20
            raise error(
                f"not enough memory to derive the key of {shown} (scrypt n=2**"
                f"{header.log2_n}, r={header.r}, p={header.p} needs about {memory} MiB); "
                "free some memory and retry",
                profile,
            ) from None
        _key_cache[cache_key] = key
        return key


def _aead(header: Header, key: bytes) -> AESGCM | ChaCha20Poly1305:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

    return AESGCM(key) if header.cipher == CIPHER_AES_GCM else ChaCha20Poly1305(key)


def decrypt(
    data: bytes, passphrase: str, *, shown: str, profile: str | None = None
) -> tuple[Header, dict[str, Entry]]:
    """The header and profiles of an encrypted file's bytes."""
    from cryptography.exceptions import InvalidTag

    header, size = parse_header(data, shown, profile)
    aead = _aead(header, derive_key(passphrase, header, shown=shown, profile=profile))
    try:
        plain = aead.decrypt(header.nonce, data[size:], data[:size])
    except InvalidTag:
        raise error(
            f"cannot decrypt {shown}: wrong passphrase, or the file was tampered with or "
            f"damaged; {_FIX_PASSPHRASE}",
            profile,
        ) from None
    entries = _parse_payload(plain, header.version)
    if entries is None:
        raise error(
            f"{shown} decrypted, but its content is not a credentials payload (written by "
            f"another program, or tampered with by someone holding the passphrase); "
            f"{_FIX_DAMAGED}",
            profile,
        )
    return header, entries


def _parse_payload(plain: bytes, version: int) -> dict[str, Entry] | None:
    try:
        document = json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if version == 1:
        if isinstance(document, dict) and all(isinstance(v, str) for v in document.values()):
            return {name: Entry(value) for name, value in document.items()}
        return None
    profiles = document.get("profiles") if isinstance(document, dict) else None
    if not isinstance(profiles, dict):
        return None
    entries = {}
    for name, item in profiles.items():
        if not isinstance(item, dict) or not isinstance(item.get("api_key"), str):
            return None
        stored_at = item.get("stored_at")
        entries[name] = Entry(item["api_key"], stored_at if isinstance(stored_at, str) else None)
    return entries


def encrypt(
    entries: dict[str, Entry],
    passphrase: str,
    *,
    log2_n: int = DEFAULT_LOG2_N,
    r: int = DEFAULT_R,
    p: int = DEFAULT_P,
    salt: bytes | None = None,
    cipher: int = CIPHER_AES_GCM,
) -> bytes:
    """A v2 file holding ``entries``. A fresh nonce every time; ``salt`` may be reused."""
    header = Header(2, log2_n, r, p, salt or os.urandom(SALT_SIZE), cipher, os.urandom(NONCE_SIZE))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    document = {
        "profiles": {
            name: {"api_key": entry.api_key, "stored_at": entry.stored_at or now}
            for name, entry in sorted(entries.items())
        },
        "written_at": now,
        "written_by": f"alphacast {alphacast.__version__}",
    }
    plain = json.dumps(document, ensure_ascii=False).encode("utf-8")
    plain += b" " * (-len(plain) % PAD_TO)
    head = header.pack()
    aead = _aead(header, derive_key(passphrase, header))
    sealed = aead.encrypt(header.nonce, plain, head)
    return head + sealed
