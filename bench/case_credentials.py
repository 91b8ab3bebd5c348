"""The credential machinery: per request once resolved, and cold in a new process.

- per request: ``workers/credentials.py`` (timeit, 1e6 calls);
- cold: a whole ``python -c "from alphacast import Alphacast; Alphacast()"``
  resolving through the default chain (``ALPHACAST_API_KEY`` set, so the env
  provider answers after plugin discovery) against the same with an explicit key;
- the encrypted file's key derivation runs once per process
  (``workers/kdf.py``), when that provider is installed.
"""

from __future__ import annotations

import importlib.util
import shutil

from _common import PYTHON, WORK, log, median, run_worker, time_process, worker_env
from _context import KEY, Context
from _report import Check, Measurement, ratio, seconds

COLD_CHAIN = "from alphacast import Alphacast; Alphacast()"
COLD_EXPLICIT = f"from alphacast import Alphacast; Alphacast({KEY!r})"


def run(ctx: Context) -> None:
    _per_request(ctx)
    _cold(ctx)
    _kdf(ctx)


def _per_request(ctx: Context) -> None:
    number = 200_000 if ctx.quick else 1_000_000
    r = run_worker(PYTHON, "credentials.py", ["--number", str(number)], worker_env())
    added, added_expiring = r["resolved_us"] - r["static_us"], r["expiring_us"] - r["static_us"]
    log(f"credential per request: +{added:.3f} µs, expiring +{added_expiring:.3f} µs")
    ctx.results.measurements.append(
        Measurement(
            f"per-request auth, resolved credential (best of 5 x {number:,} calls)",
            f"{r['resolved_us']:.3f} µs (expiring credential: {r['expiring_us']:.3f} µs)",
            "",
            f"{r['static_us']:.3f} µs (prebuilt static header)",
        )
    )
    ctx.results.checks.append(
        Check(
            "time a resolved credential adds per request",
            "< 5 µs",
            f"{added:.2f} µs (expiring credential: {added_expiring:.2f} µs)",
            max(added, added_expiring) < 5,
        )
    )


def _cold(ctx: Context) -> None:
    chain_env = worker_env(ALPHACAST_API_KEY=KEY)
    plain_env = worker_env()
    commands = {
        "chain": ([PYTHON, "-c", COLD_CHAIN], chain_env),
        "explicit": ([PYTHON, "-c", COLD_EXPLICIT], plain_env),
    }
    for argv, env in commands.values():
        time_process(argv, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(ctx.reps_import):
        for name, (argv, env) in commands.items():
            times[name].append(time_process(argv, env))
    chain, explicit = median(times["chain"]), median(times["explicit"])
    log(f"cold start: chain {seconds(chain)}, explicit key {seconds(explicit)}")
    ctx.results.measurements.append(
        Measurement(
            "new process: import + Alphacast() through the default chain "
            f"(ALPHACAST_API_KEY set; median of {ctx.reps_import})",
            f"{seconds(chain)} (+{(chain - explicit) * 1e3:.0f} ms over an explicit key)",
            "",
            f"{seconds(explicit)} (Alphacast('ak_...'))",
        )
    )


def _kdf(ctx: Context) -> None:
    if importlib.util.find_spec("alphacast.providers.encrypted_file") is None:
        ctx.results.checks.append(
            Check("encrypted file: key derivation once per process", "once", "no provider", None)
        )
        return
    home = WORK / "home-kdf"
    shutil.rmtree(home, ignore_errors=True)
    env = worker_env(home, ALPHACAST_PASSPHRASE="correct horse battery staple")
    run_worker(PYTHON, "kdf.py", ["setup"], env)
    r = run_worker(
        PYTHON, "kdf.py", ["measure"], {**env, "ALPHACAST_CREDENTIAL_CHAIN": "encrypted-file"}
    )
    log(f"encrypted file: {r}")
    ctx.results.measurements.append(
        Measurement(
            "encrypted file (scrypt n=2**15): Alphacast(profile=...) x3 in one process",
            f"first {seconds(r['first'])}; second profile {seconds(r['second'])}; "
            f"same profile after clear_cache() {seconds(r['again'])}",
            "",
            f"key derivations counted: {r['derivations']}",
        )
    )
    once = r["derivations"] == 1 if r["derivations"] is not None else None
    ctx.results.checks.append(
        Check(
            "encrypted file: key derivation once per process",
            "once",
            f"{r['derivations']} derivation(s); later clients "
            f"{ratio(r['first'] / max(r['second'], r['again']))} faster",
            once if once is not None else r["first"] > 5 * max(r["second"], r["again"]),
        )
    )
