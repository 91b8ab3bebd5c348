"""The encrypted file's key derivation runs once per process.

``setup`` stores two profiles in ``$HOME/.alphacast/credentials.enc`` with the
provider's default scrypt parameters (in its own process, so the measuring one
starts with no derived key). ``measure`` then creates clients for them in one
process, with the chain limited to ``encrypted-file``, counting every scrypt /
PBKDF2 / Argon2 derivation and timing each creation.
"""

from __future__ import annotations

import argparse
import time

import _kdf_counter
from _measure import emit

PROFILES = {"bench-a": "ak_bench_a_0123456789abcdef", "bench-b": "ak_bench_b_0123456789abcdef"}


def setup() -> None:
    from alphacast.providers.encrypted_file import EncryptedFileProvider

    provider = EncryptedFileProvider()
    for profile, key in PROFILES.items():
        provider.store(profile, key)
    emit({"stored": sorted(PROFILES)})


def measure() -> None:
    _kdf_counter.install()
    from alphacast import Alphacast
    from alphacast.chain import clear_cache

    def create(profile: str) -> float:
        started = time.perf_counter()
        client = Alphacast(profile=profile)
        took = time.perf_counter() - started
        if client.api_key != PROFILES[profile]:
            raise SystemExit(f"wrong key for {profile}")
        client.close()
        return took

    first = create("bench-a")
    second = create("bench-b")
    clear_cache()
    again = create("bench-a")
    emit(
        {
            "first": first,
            "second": second,
            "again": again,
            "derivations": _kdf_counter.total(),
            "by_kdf": dict(_kdf_counter.counts),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["setup", "measure"])
    args = parser.parse_args()
    setup() if args.mode == "setup" else measure()


if __name__ == "__main__":
    main()
