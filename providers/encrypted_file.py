"""``encrypted-file``: every profile's key in one passphrase-encrypted file.

The file is ``~/.alphacast/credentials.enc`` (``ALPHACAST_ENCRYPTED_CREDENTIALS_FILE``
moves it). Profile names are encrypted too: the file reveals nothing but its
format and, roughly, its size.

The passphrase comes from the file ``ALPHACAST_PASSPHRASE_FILE`` names (read
with the secret-file permission checks), else ``ALPHACAST_PASSPHRASE``, else a
hidden prompt when stdin is a terminal. Without one, a missing file is simply a
miss and an existing file is an error saying how to supply it. The key derived
from it is cached for the process, so the (deliberately slow) KDF runs once.

File format (all integers big-endian)::

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
versions are read; v2 is written, so storing a key upgrades a v1 file. KDF
parameters come from the header, within limits (at most 256 MiB of memory).
New files use scrypt n=2**15, r=8, p=1; ``ALPHACAST_ENCRYPTED_KDF_N`` (a power
of two) or the ``kdf_n`` argument changes n, for tests and slow machines.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import struct
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from alphacast._files import display_path, read_secret_file, update_secret_file
from alphacast._version import __version__
from alphacast.config import config_dir
from alphacast.credentials import Credential, WritableCredentialProvider, validate_key
from alphacast.errors import CredentialError
from alphacast.hookspecs import hookimpl

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

FILE_VARIABLE = "ALPHACAST_ENCRYPTED_CREDENTIALS_FILE"
PASSPHRASE_FILE_VARIABLE = "ALPHACAST_PASSPHRASE_FILE"  # noqa: S105 - a variable name
PASSPHRASE_VARIABLE = "ALPHACAST_PASSPHRASE"  # noqa: S105 - a variable name
KDF_N_VARIABLE = "ALPHACAST_ENCRYPTED_KDF_N"

MAGIC = b"ACENC\r\n\x1a"
KDF_SCRYPT = 1
CIPHER_AES_GCM = 1
CIPHER_CHACHA20_POLY1305 = 2
DEFAULT_LOG2_N, DEFAULT_R, DEFAULT_P = 15, 8, 1
SALT_SIZE, NONCE_SIZE, TAG_SIZE, PAD_TO = 16, 12, 16, 256
MAX_KDF_MEMORY = 256 * 1024 * 1024

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


def _error(message: str, profile: str | None) -> CredentialError:
    return CredentialError(message, provider="encrypted-file", profile=profile)


def parse_header(data: bytes, shown: str, profile: str | None = None) -> tuple[Header, int]:
    """The header of ``data`` and its length; errors say what is wrong and the fix."""
    if data[: len(MAGIC)] != MAGIC:
        raise _error(
            f"{shown} is not an alphacast encrypted credentials file (bad magic bytes): it "
            f"was damaged, tampered with, or is another kind of file; {_FIX_DAMAGED}",
            profile,
        )
    version = data[len(MAGIC)] if len(data) > len(MAGIC) else 0
    layout = {1: _V1, 2: _V2}.get(version)
    if layout is None:
        raise _error(
            f"{shown} has format version {version}, which this alphacast cannot read (it "
            f"was written by a newer alphacast, or tampered with); upgrade alphacast, or "
            f"{_FIX_DAMAGED}",
            profile,
        )
    if len(data) < layout.size + TAG_SIZE:
        raise _error(f"{shown} is truncated (damaged or tampered with); {_FIX_DAMAGED}", profile)
    if version == 1:
        _, _, kdf, log2_n, r, p, salt, nonce = _V1.unpack_from(data)
        cipher = CIPHER_AES_GCM
    else:
        _, _, kdf, log2_n, r, p, salt, cipher, nonce = _V2.unpack_from(data)
    header = Header(version, log2_n, r, p, salt, cipher, nonce)
    if kdf != KDF_SCRYPT or cipher not in (CIPHER_AES_GCM, CIPHER_CHACHA20_POLY1305):
        raise _error(
            f"{shown} names a KDF or cipher this alphacast does not know (kdf {kdf}, cipher "
            f"{cipher}): written by a newer alphacast, or tampered with; upgrade alphacast, "
            f"or {_FIX_DAMAGED}",
            profile,
        )
    if not _sane_kdf(log2_n, r, p):
        raise _error(
            f"{shown} asks for unreasonable scrypt parameters (n=2**{log2_n}, r={r}, p={p}); "
            f"it was damaged or tampered with; {_FIX_DAMAGED}",
            profile,
        )
    return header, layout.size


def _sane_kdf(log2_n: int, r: int, p: int) -> bool:
    return (
        1 <= log2_n <= 24
        and 1 <= r <= 32
        and 1 <= p <= 16
        and (128 * r * (1 << log2_n) <= MAX_KDF_MEMORY)
    )


_key_lock = threading.Lock()
_key_cache: dict[tuple[bytes, bytes, int, int, int], bytes] = {}
_PEPPER = os.urandom(32)


def derive_key(passphrase: str, header: Header) -> bytes:
    """scrypt(passphrase), computed once per process for a passphrase, salt and parameters."""
    tag = hashlib.sha256(_PEPPER + passphrase.encode("utf-8")).digest()
    cache_key = (tag, header.salt, header.log2_n, header.r, header.p)
    with _key_lock:
        cached = _key_cache.get(cache_key)
        if cached is not None:
            return cached
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        kdf = Scrypt(salt=header.salt, length=32, n=1 << header.log2_n, r=header.r, p=header.p)
        key = kdf.derive(passphrase.encode("utf-8"))
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
    aead = _aead(header, derive_key(passphrase, header))
    try:
        plain = aead.decrypt(header.nonce, data[size:], data[:size])
    except InvalidTag:
        raise _error(
            f"cannot decrypt {shown}: wrong passphrase, or the file was tampered with or "
            f"damaged; {_FIX_PASSPHRASE}",
            profile,
        ) from None
    entries = _parse_payload(plain, header.version)
    if entries is None:
        raise _error(
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
        "written_by": f"alphacast {__version__}",
    }
    plain = json.dumps(document, ensure_ascii=False).encode("utf-8")
    plain += b" " * (-len(plain) % PAD_TO)
    head = header.pack()
    aead = _aead(header, derive_key(passphrase, header))
    sealed = aead.encrypt(header.nonce, plain, head)
    return head + sealed


def encrypted_file_path() -> Path:
    """``ALPHACAST_ENCRYPTED_CREDENTIALS_FILE`` or ``~/.alphacast/credentials.enc``."""
    override = os.environ.get(FILE_VARIABLE)
    return Path(override).expanduser() if override else config_dir() / "credentials.enc"


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


class EncryptedFileProvider(WritableCredentialProvider):
    """Reads and writes the passphrase-encrypted credentials file."""

    name = "encrypted-file"
    priority = 60

    def __init__(self, *, kdf_n: int | None = None) -> None:
        self._kdf_n = kdf_n
        self._prompted: dict[Path, str] = {}

    def _write_log2_n(self, profile: str) -> int:
        raw: object = self._kdf_n if self._kdf_n is not None else os.environ.get(KDF_N_VARIABLE)
        if raw is None or raw == "":
            return DEFAULT_LOG2_N
        try:
            n = int(str(raw))
        except ValueError:
            n = 0
        if n < 2 or n & (n - 1) or not _sane_kdf(n.bit_length() - 1, DEFAULT_R, DEFAULT_P):
            raise _error(
                f"{KDF_N_VARIABLE} must be a power of two from 2 to 2**18, got {raw!r}", profile
            )
        return n.bit_length() - 1

    def _passphrase(self, path: Path, profile: str, *, creating: bool = False) -> str | None:
        named = os.environ.get(PASSPHRASE_FILE_VARIABLE)
        if named:
            source = Path(named).expanduser()
            raw = read_secret_file(source, provider=self.name, profile=profile)
            if raw is None:
                raise _error(
                    f"{PASSPHRASE_FILE_VARIABLE} names {display_path(source)}, which does not "
                    "exist; create it (chmod 600) or unset the variable",
                    profile,
                )
            try:
                value = raw.decode("utf-8").removesuffix("\n").removesuffix("\r")
            except UnicodeDecodeError:
                raise _error(f"{display_path(source)} is not UTF-8 text", profile) from None
            return self._nonempty(value, display_path(source), profile)
        from_env = os.environ.get(PASSPHRASE_VARIABLE)
        if from_env is not None:
            return self._nonempty(from_env, PASSPHRASE_VARIABLE, profile)
        if not _interactive():
            return None
        if path in self._prompted:
            return self._prompted[path]
        shown = display_path(path)
        value = getpass.getpass(f"Passphrase for {shown}: ")
        if creating and getpass.getpass("Repeat the passphrase: ") != value:
            raise _error("the two passphrases differ; nothing was stored", profile)
        return self._nonempty(value, "the prompt", profile)

    def _nonempty(self, value: str, where: str, profile: str) -> str:
        if not value:
            raise _error(f"the passphrase from {where} is empty; set a non-empty one", profile)
        return value

    def _no_passphrase(self, path: Path, profile: str) -> CredentialError:
        return _error(
            f"{display_path(path)} exists but no passphrase was given to decrypt it; set "
            f"{PASSPHRASE_FILE_VARIABLE} to a file holding it (chmod 600), or set "
            f"{PASSPHRASE_VARIABLE}, or run in a terminal to be prompted",
            profile,
        )

    def _open(self, path: Path, data: bytes, profile: str) -> tuple[Header, dict[str, Entry], str]:
        shown = display_path(path)
        parse_header(data, shown, profile)  # a damaged file is reported before any prompt
        passphrase = self._passphrase(path, profile)
        if passphrase is None:
            raise self._no_passphrase(path, profile)
        try:
            header, entries = decrypt(data, passphrase, shown=shown, profile=profile)
        except CredentialError:
            self._prompted.pop(path, None)
            raise
        from_prompt = not os.environ.get(PASSPHRASE_FILE_VARIABLE) and (
            PASSPHRASE_VARIABLE not in os.environ
        )
        if from_prompt:
            self._prompted[path] = passphrase
        return header, entries, passphrase

    def resolve(self, profile: str) -> Credential | None:
        path = encrypted_file_path()
        data = read_secret_file(path, provider=self.name, profile=profile)
        if data is None:
            return None
        _, entries, _ = self._open(path, data, profile)
        entry = entries.get(profile)
        if entry is None:
            return None
        source = f"{display_path(path)} [{profile}]"
        return Credential(entry.api_key, provider=self.name, source=source, profile=profile)

    def describe_miss(self, profile: str) -> str:
        path = encrypted_file_path()
        if not path.exists():
            return f"{display_path(path)} does not exist"
        return f"no profile {profile!r} in {display_path(path)}"

    def _rewrite(self, path: Path, profile: str, change: _Change) -> bool:
        """Apply ``change`` to the profiles under the file's lock; write v2 if it changed."""
        changed = False
        log2_n = self._write_log2_n(profile)

        def update(current: bytes | None) -> bytes:
            nonlocal changed
            header: Header | None = None
            entries: dict[str, Entry] = {}
            if current is None:
                asked = self._passphrase(path, profile, creating=True)
                if asked is None:
                    raise self._no_passphrase(path, profile)
                passphrase = asked
            else:
                header, entries, passphrase = self._open(path, current, profile)
            changed = change(entries)
            if not changed:
                return current or b""
            # Keep the salt (and the cached key) while the KDF settings are unchanged.
            wanted = (log2_n, DEFAULT_R, DEFAULT_P)
            same = header is not None and (header.log2_n, header.r, header.p) == wanted
            salt = header.salt if same and header is not None else None
            return encrypt(entries, passphrase, log2_n=log2_n, salt=salt)

        update_secret_file(path, update, provider=self.name, profile=profile)
        return changed

    def store(self, profile: str, api_key: str) -> str:
        key = validate_key(api_key, provider=self.name, source="the key to store", profile=profile)
        if not profile or not profile.isprintable():
            raise _error(f"profile name {profile!r} cannot be stored", profile)
        path = encrypted_file_path()

        def put(entries: dict[str, Entry]) -> bool:
            entries[profile] = Entry(key)
            return True

        self._rewrite(path, profile, put)
        return f"{display_path(path)} [{profile}]"

    def delete(self, profile: str) -> bool:
        path = encrypted_file_path()
        if not path.exists():
            return False

        def drop(entries: dict[str, Entry]) -> bool:
            return entries.pop(profile, None) is not None

        return self._rewrite(path, profile, drop)


_Change = Callable[[dict[str, Entry]], bool]


@hookimpl
def alphacast_credential_providers() -> Iterable[WritableCredentialProvider]:
    return [EncryptedFileProvider()]
