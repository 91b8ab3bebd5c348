"""Whole-process start-up: ``import alphacast`` (this SDK, 0.1.9), ``import requests``,
nothing, and the commands ``alphacast --help`` and ``alphacast auth which``.

Each command is a fresh process, run once untimed (to write bytecode caches), then
the commands interleaved, ``reps`` times; the median wall-clock time of each is
reported. ``auth which`` runs with ``ALPHACAST_API_KEY`` set and an empty HOME:
it discovers every provider plugin and asks the chain, which the env provider
answers. Also checks which heavy modules ``import alphacast`` and the two
commands load (``workers/cli_modules.py``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from _common import (
    PYTHON,
    log,
    median,
    neutral_dir,
    run_worker,
    time_process,
    venv_python,
    worker_env,
)
from _context import KEY, Context
from _report import Check, Measurement, ratio, seconds

HEAVY = ("pandas", "keyring", "cryptography", "hvac", "pluggy", "requests", "numpy")
MUST_NOT_LOAD = ("pandas", "keyring", "cryptography", "hvac", "pluggy")
#: What a command that makes no request must not load (``auth which`` needs pluggy).
CLI_MUST_NOT_LOAD = ("requests", "urllib3", "hvac", "keyring", "cryptography", "pandas")
#: The commands, as a user runs them.
CLI = {"help": ["--help"], "which": ["auth", "which"]}


def _alphacast() -> list[str]:
    """The ``alphacast`` console script of this interpreter's environment."""
    script = Path(PYTHON).with_name("alphacast")
    return [str(script)] if script.exists() else [PYTHON, "-m", "alphacast"]


def _commands() -> dict[str, tuple[list[str], dict[str, str]]]:
    env = worker_env()
    cli_env = worker_env(ALPHACAST_API_KEY=KEY)
    return {
        "pass": ([PYTHON, "-c", "pass"], env),
        "requests": ([PYTHON, "-c", "import requests"], env),
        "sdk": ([PYTHON, "-c", "import alphacast"], env),
        "v019": ([venv_python(), "-c", "import alphacast"], env),
        "sdk_client": ([PYTHON, "-c", "from alphacast import Alphacast"], env),
        **{name: ([*_alphacast(), *argv], cli_env) for name, argv in CLI.items()},
    }


def loaded_modules() -> dict[str, object]:
    """Which of HEAVY ``import alphacast`` loads, and how many modules in all."""
    code = (
        "import sys; before = set(sys.modules); import alphacast, json; "
        f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules], "
        "'count': len(set(sys.modules) - before)}))"
    )
    out = subprocess.run(
        [PYTHON, "-c", code],
        cwd=neutral_dir(),
        env=worker_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return found


def cli_modules(argv: list[str]) -> list[str]:
    """Which of CLI_MUST_NOT_LOAD ``alphacast ARGV`` loaded by its end."""
    found = run_worker(
        PYTHON,
        "cli_modules.py",
        [",".join(CLI_MUST_NOT_LOAD), *argv],
        worker_env(ALPHACAST_API_KEY=KEY),
    )
    loaded: list[str] = found["loaded"]
    return loaded


def run(ctx: Context) -> None:
    commands = _commands()
    for argv, env in commands.values():
        time_process(argv, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(ctx.reps_import):
        for name, (argv, env) in commands.items():
            times[name].append(time_process(argv, env))
    t = {name: median(values) for name, values in times.items()}
    log("import medians: " + ", ".join(f"{n} {seconds(v)}" for n, v in t.items()))

    found = loaded_modules()
    heavy = [m for m in found["heavy"] if m in MUST_NOT_LOAD]  # type: ignore[union-attr]
    also = [m for m in found["heavy"] if m not in MUST_NOT_LOAD]  # type: ignore[union-attr]

    results = ctx.results
    results.measurements += [
        Measurement(
            f"python -c 'import alphacast', whole process (median of {ctx.reps_import})",
            seconds(t["sdk"]),
            seconds(t["v019"]),
            f"import requests: {seconds(t['requests'])}; python -c pass: {seconds(t['pass'])}",
        ),
        Measurement(
            "python -c 'from alphacast import Alphacast' (loads the HTTP client)",
            seconds(t["sdk_client"]),
            seconds(t["v019"]),
            f"import requests: {seconds(t['requests'])}",
        ),
        *(
            Measurement(
                f"alphacast {' '.join(argv)}, whole process (ALPHACAST_API_KEY set, "
                f"empty HOME; median of {ctx.reps_import})",
                seconds(t[name]),
                "",
                f"import requests: {seconds(t['requests'])}; python -c pass: {seconds(t['pass'])}",
            )
            for name, argv in CLI.items()
        ),
    ]
    results.checks += [
        Check(
            "import alphacast / import requests (whole process)",
            "<= 1.25x",
            f"{ratio(t['sdk'] / t['requests'])} (0.1.9: {ratio(t['v019'] / t['requests'])})",
            t["sdk"] / t["requests"] <= 1.25,
        ),
        *_cli_checks(t),
        Check(
            "import alphacast loads none of " + ", ".join(MUST_NOT_LOAD),
            "none loaded",
            (", ".join(heavy) if heavy else "none loaded")
            + f" ({found['count']} modules{'; also ' + ', '.join(also) if also else ''})",
            not heavy,
        ),
    ]


def _cli_checks(t: dict[str, float]) -> list[Check]:
    """Each command against ``import requests``, and what it loaded."""
    checks = []
    for name, argv in CLI.items():
        command = f"alphacast {' '.join(argv)}"
        checks.append(
            Check(
                f"{command} / import requests (whole process)",
                "<= 1.00x",
                f"{ratio(t[name] / t['requests'])} ({seconds(t[name])} / {seconds(t['requests'])})",
                t[name] <= t["requests"],
            )
        )
        loaded = cli_modules(argv)
        checks.append(
            Check(
                f"{command} loads none of " + ", ".join(CLI_MUST_NOT_LOAD),
                "none loaded",
                ", ".join(loaded) if loaded else "none loaded",
                not loaded,
            )
        )
    return checks
