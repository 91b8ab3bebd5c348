"""What the credential machinery adds to each request once a key is resolved.

The transport does, per request, ``KeyAuth.apply(resolved.current, host,
headers, params)``. The floor is what a client with a fixed key must do anyway:
put a prebuilt ``Authorization`` value into the request's headers. Both build
the same fresh header dict and params list, so the difference is the machinery.
Measured for a key without expiry (env, files, keyring) and for an expiring one
(Vault leases, ``process`` output with an expiry), which adds a clock check.
"""

from __future__ import annotations

import argparse
import timeit
from datetime import UTC, datetime, timedelta

from _measure import emit

KEY = "ak_bench_0123456789abcdef"


def per_call_us(statement: object, number: int) -> float:
    """Best of 5 runs of ``number`` calls, in µs per call."""
    return min(timeit.repeat(statement, number=number, repeat=5)) / number * 1e6  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--number", type=int, default=1_000_000)
    args = parser.parse_args()

    from alphacast._auth import Host, KeyAuth, basic_header
    from alphacast._credentials import Credential
    from alphacast.chain import ResolvedCredential

    static_value = basic_header(KEY)

    def static() -> None:
        headers: dict[str, str] = {}
        params: list[tuple[str, str]] = []
        headers["Authorization"] = static_value
        del params

    def machinery_for(resolved: ResolvedCredential) -> object:
        auth = KeyAuth(resolved)
        api = Host.API

        def machinery() -> None:
            headers: dict[str, str] = {}
            params: list[tuple[str, str]] = []
            auth.apply(auth.credential, api, headers, params)

        machinery()
        assert resolved.current.api_key == KEY
        return machinery

    fixed = ResolvedCredential(Credential(KEY, provider="env", source="bench"), None)
    later = datetime.now(UTC) + timedelta(hours=1)
    expiring = ResolvedCredential(
        Credential(KEY, provider="vault", source="bench", expires_at=later), None
    )
    floor = per_call_us(static, args.number)
    emit(
        {
            "static_us": floor,
            "resolved_us": per_call_us(machinery_for(fixed), args.number),
            "expiring_us": per_call_us(machinery_for(expiring), args.number),
            "number": args.number,
        }
    )


if __name__ == "__main__":
    main()
