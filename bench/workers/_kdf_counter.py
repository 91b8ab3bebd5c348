"""Count key derivations: wrap every password KDF the encrypted file could use.

Installed before the provider is imported, so however it imports the KDF
(``from cryptography...kdf.scrypt import Scrypt`` inside a function, or
``hashlib.scrypt``) it gets the counting version.
"""

from __future__ import annotations

import hashlib
import importlib
from collections import Counter
from typing import Any

counts: Counter[str] = Counter()

_KDF_CLASSES = [
    ("cryptography.hazmat.primitives.kdf.scrypt", "Scrypt"),
    ("cryptography.hazmat.primitives.kdf.pbkdf2", "PBKDF2HMAC"),
    ("cryptography.hazmat.primitives.kdf.argon2", "Argon2id"),
]


def _counting_class(name: str, real: type) -> type:
    class Counting:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._real = real(*args, **kwargs)

        def derive(self, key_material: bytes) -> bytes:
            counts[name] += 1
            result: bytes = self._real.derive(key_material)
            return result

        def verify(self, key_material: bytes, expected_key: bytes) -> None:
            counts[name] += 1
            self._real.verify(key_material, expected_key)

    Counting.__name__ = Counting.__qualname__ = name
    return Counting


def _counting_function(name: str, real: Any) -> Any:
    def counting(*args: Any, **kwargs: Any) -> Any:
        counts[name] += 1
        return real(*args, **kwargs)

    return counting


def install() -> None:
    for module_name, attribute in _KDF_CLASSES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        setattr(module, attribute, _counting_class(attribute, getattr(module, attribute)))
    for attribute in ("scrypt", "pbkdf2_hmac"):
        if hasattr(hashlib, attribute):
            setattr(hashlib, attribute, _counting_function(attribute, getattr(hashlib, attribute)))


def total() -> int:
    return sum(counts.values())
