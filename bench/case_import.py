"""Whole-process ``import alphacast``: this SDK, 0.1.9, ``import requests``, nothing.

Each command is a fresh ``python -c``, run once untimed (to write bytecode
caches), then the commands interleaved, ``reps`` times; the median wall-clock
time of each is reported. Also checks which heavy modules ``import alphacast``
loads.
"""

from __future__ import annotations

import json
import subprocess

from _common import PYTHON, log, median, neutral_dir, time_process, venv_python, worker_env
from _context import Context
from _report import Check, Measurement, ratio, seconds

HEAVY = ("pandas", "keyring", "cryptography", "hvac", "pluggy", "requests", "numpy")
MUST_NOT_LOAD = ("pandas", "keyring", "cryptography", "hvac", "pluggy")


def _commands() -> dict[str, list[str]]:
    return {
        "pass": [PYTHON, "-c", "pass"],
        "requests": [PYTHON, "-c", "import requests"],
        "sdk": [PYTHON, "-c", "import alphacast"],
        "v019": [venv_python(), "-c", "import alphacast"],
        "sdk_client": [PYTHON, "-c", "from alphacast import Alphacast"],
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


def run(ctx: Context) -> None:
    commands = _commands()
    env = worker_env()
    for argv in commands.values():
        time_process(argv, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(ctx.reps_import):
        for name, argv in commands.items():
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
    ]
    results.checks += [
        Check(
            "import alphacast / import requests (whole process)",
            "<= 1.25x",
            f"{ratio(t['sdk'] / t['requests'])} (0.1.9: {ratio(t['v019'] / t['requests'])})",
            t["sdk"] / t["requests"] <= 1.25,
        ),
        Check(
            "import alphacast loads none of " + ", ".join(MUST_NOT_LOAD),
            "none loaded",
            (", ".join(heavy) if heavy else "none loaded")
            + f" ({found['count']} modules{'; also ' + ', '.join(also) if also else ''})",
            not heavy,
        ),
    ]
