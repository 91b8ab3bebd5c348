"""``encrypted-file``: every profile's key in one passphrase-encrypted file.

The file is ``~/.alphacast/credentials.enc`` (``ALPHACAST_ENCRYPTED_CREDENTIALS_FILE``
moves it). Profile names are encrypted too: the file reveals nothing but its
format and, roughly, its size.

The passphrase comes from the file ``ALPHACAST_PASSPHRASE_FILE`` names (read
with the secret-file permission checks), else ``ALPHACAST_PASSPHRASE``, else a
hidden prompt when stdin is a terminal. Without one, a missing file is simply a
miss and an existing file is an error saying how to supply it. The key derived
from it is cached for the process, so the (deliberately slow) KDF runs once.

The file format, its encryption and its checks are in :mod:`._encrypted_format`
(re-exported here). Both format versions are read; v2 is written, so storing a
key upgrades a v1 file. New files use scrypt n=2**15, r=8, p=1;
``ALPHACAST_ENCRYPTED_KDF_N`` (a power of two) or the ``kdf_n`` argument changes
n, for tests and slow machines.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from alphacast import Credential, CredentialError, WritableCredentialProvider
from alphacast.config import config_dir
from alphacast.hookspecs import hookimpl
from alphacast.secrets import (
    display_path,
    interactive,
    read_secret_file,
    read_secret_text,
    update_secret_file,
    validate_key,
)

from ._encrypted_format import (
    CIPHER_AES_GCM,
    CIPHER_CHACHA20_POLY1305,
    DEFAULT_LOG2_N,
    DEFAULT_P,
    DEFAULT_R,
    KDF_SCRYPT,
    MAGIC,
    MAX_KDF_MEMORY,
    MAX_KDF_WORK,
    NONCE_SIZE,
    PAD_TO,
    PASSPHRASE_FILE_VARIABLE,
    PASSPHRASE_VARIABLE,
    SALT_SIZE,
    TAG_SIZE,
    Entry,
    Header,
    decrypt,
    derive_key,
    encrypt,
    error,
    parse_header,
    sane_kdf,
)

__all__ = [
    "CIPHER_AES_GCM",
    "CIPHER_CHACHA20_POLY1305",
    "DEFAULT_LOG2_N",
    "DEFAULT_P",
    "DEFAULT_R",
    "FILE_VARIABLE",
    "KDF_N_VARIABLE",
    "KDF_SCRYPT",
    "MAGIC",
    "MAX_KDF_MEMORY",
    "MAX_KDF_WORK",
    "NONCE_SIZE",
    "PAD_TO",
    "PASSPHRASE_FILE_VARIABLE",
    "PASSPHRASE_VARIABLE",
    "SALT_SIZE",
    "TAG_SIZE",
    "EncryptedFileProvider",
    "Entry",
    "Header",
    "alphacast_credential_providers",
    "decrypt",
    "derive_key",
    "encrypt",
    "encrypted_file_path",
    "parse_header",
]

FILE_VARIABLE = "ALPHACAST_ENCRYPTED_CREDENTIALS_FILE"
KDF_N_VARIABLE = "ALPHACAST_ENCRYPTED_KDF_N"


def encrypted_file_path() -> Path:
    """``ALPHACAST_ENCRYPTED_CREDENTIALS_FILE`` or ``~/.alphacast/credentials.enc``."""
    override = os.environ.get(FILE_VARIABLE)
    return Path(override).expanduser() if override else config_dir() / "credentials.enc"


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
        if n < 2 or n & (n - 1) or not sane_kdf(n.bit_length() - 1, DEFAULT_R, DEFAULT_P):
            raise error(
                f"{KDF_N_VARIABLE} must be a power of two from 2 to 2**18, got {raw!r}", profile
            )
        return n.bit_length() - 1

    def _passphrase(self, path: Path, profile: str | None, *, creating: bool = False) -> str | None:
        named = os.environ.get(PASSPHRASE_FILE_VARIABLE)
        if named:
            source = Path(named).expanduser()
            value = read_secret_text(source, provider=self.name, profile=profile)
            if value is None:
                raise error(
                    f"{PASSPHRASE_FILE_VARIABLE} names {display_path(source)}, which does not "
                    "exist; create it (chmod 600) or unset the variable",
                    profile,
                )
            return self._nonempty(value, display_path(source), profile)
        from_env = os.environ.get(PASSPHRASE_VARIABLE)
        if from_env is not None:
            return self._nonempty(from_env, PASSPHRASE_VARIABLE, profile)
        if not interactive():
            return None
        if path in self._prompted:
            return self._prompted[path]
        shown = display_path(path)
        value = getpass.getpass(f"Passphrase for {shown}: ")
        if creating and getpass.getpass("Repeat the passphrase: ") != value:
            raise error("the two passphrases differ; nothing was stored", profile)
        return self._nonempty(value, "the prompt", profile)

    def _nonempty(self, value: str, where: str, profile: str | None) -> str:
        if not value:
            raise error(f"the passphrase from {where} is empty; set a non-empty one", profile)
        return value

    def _no_passphrase(
        self, path: Path, profile: str | None, *, creating: bool = False
    ) -> CredentialError:
        what = (
            f"no passphrase was given to encrypt the new file {display_path(path)}"
            if creating
            else f"{display_path(path)} exists but no passphrase was given to decrypt it"
        )
        return error(
            f"{what}; set "
            f"{PASSPHRASE_FILE_VARIABLE} to a file holding it (chmod 600), or set "
            f"{PASSPHRASE_VARIABLE}, or run in a terminal to be prompted",
            profile,
        )

    def _open(
        self, path: Path, data: bytes, profile: str | None
    ) -> tuple[Header, dict[str, Entry], str]:
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

    def profiles(self) -> list[str]:
        """The profiles in the file, when its passphrase is in the environment (listing
        never prompts)."""
        path = encrypted_file_path()
        data = read_secret_file(path, provider=self.name)
        if data is None:
            return []
        if not (os.environ.get(PASSPHRASE_FILE_VARIABLE) or os.environ.get(PASSPHRASE_VARIABLE)):
            raise error(f"{display_path(path)} needs its passphrase to be listed", None)
        _, entries, _ = self._open(path, data, None)
        return list(entries)

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
                    raise self._no_passphrase(path, profile, creating=True)
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
            raise error(f"profile name {profile!r} cannot be stored", profile)
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
