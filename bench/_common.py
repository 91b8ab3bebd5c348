"""Paths, the 0.1.9 virtual environment, the machine, and running workers.

Every measurement runs in a fresh subprocess (``workers/*.py``) that prints one
JSON object as its last line of output; this module starts them and reads it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "_work"
WORKERS = BENCH / "workers"
VENV_019 = BENCH / ".venv-019"
REFERENCE = "alphacast==0.1.9"

#: This SDK's interpreter: the one running the benchmark (not a pyenv shim).
PYTHON = sys.executable


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


# -- the published reference client in its own environment ---------------------


def venv_python() -> str:
    return str(VENV_019 / "bin" / "python")


def ensure_reference_venv() -> str:
    """Create ``bench/.venv-019`` with alphacast 0.1.9 and pandas, once; its python."""
    python = venv_python()
    marker = VENV_019 / ".ready"
    if marker.exists():
        return python
    log(f"creating {VENV_019.relative_to(ROOT)} with {REFERENCE} and pandas (once)")
    venv.EnvBuilder(clear=True, with_pip=True).create(VENV_019)
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", REFERENCE, "pandas"],
        capture_output=True,
        text=True,
    )
    if installed.returncode != 0:
        raise RuntimeError(f"pip install {REFERENCE} pandas failed:\n{installed.stderr[-3000:]}")
    # It must import the published package, not this checkout.
    found = subprocess.run(
        [
            python,
            "-c",
            "import alphacast, importlib.metadata as m; "
            "print(m.version('alphacast'), alphacast.__file__)",
        ],
        cwd=neutral_dir(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    if found[0] != "0.1.9" or not found[1].startswith(str(VENV_019)):
        raise RuntimeError(f"{VENV_019} does not hold alphacast 0.1.9: {found}")
    marker.write_text(" ".join(found) + "\n")
    return python


# -- subprocesses ------------------------------------------------------------------


def neutral_dir() -> Path:
    """A working directory without this checkout in it (``python -c`` puts the
    current directory first on ``sys.path``)."""
    path = WORK / "cwd"
    path.mkdir(parents=True, exist_ok=True)
    return path


def worker_env(home: Path | None = None, **extra: str) -> dict[str, str]:
    """A hermetic environment: an empty HOME, no alphacast settings, no proxy for
    loopback, no REQUESTS_CA_BUNDLE unless asked."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ALPHACAST_")
        and k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PYTHONPATH")
    }
    env["HOME"] = str(home or WORK / "home")
    Path(env["HOME"]).mkdir(parents=True, exist_ok=True)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra)
    return env


def run_worker(
    python: str, script: str, args: list[str], env: dict[str, str], timeout: float = 1800
) -> dict[str, Any]:
    """Run ``workers/<script>`` and return the JSON object it printed last."""
    proc = subprocess.run(
        [python, str(WORKERS / script), *args],
        cwd=neutral_dir(),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"worker {script} {' '.join(args)} failed ({proc.returncode}):\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def time_process(argv: list[str], env: dict[str, str]) -> float:
    """Wall-clock seconds of one whole process, which must succeed."""
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=neutral_dir(), env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} failed:\n{proc.stderr[-3000:]}")
    return elapsed


# -- the machine ---------------------------------------------------------------------


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    ram_gb: float
    python: str
    system: str

    def describe(self) -> str:
        return (
            f"{self.cpu}, {self.cores} cores, {self.ram_gb:.1f} GB RAM; "
            f"Python {self.python}; {self.system}"
        )


def machine() -> Machine:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return Machine(
        cpu=cpu,
        cores=os.cpu_count() or 1,
        ram_gb=ram,
        python=platform.python_version(),
        system=f"{platform.system()} {platform.release()}",
    )


def package_versions() -> dict[str, str]:
    """Versions of what is compared: this SDK and requests here, 0.1.9's stack there."""
    from importlib import metadata

    here = {name: metadata.version(name) for name in ("alphacast", "requests", "urllib3")}
    there = subprocess.run(
        [
            venv_python(),
            "-c",
            "import importlib.metadata as m, json; print(json.dumps("
            "{n: m.version(n) for n in ('alphacast', 'requests', 'urllib3', 'pandas')}))",
        ],
        cwd=neutral_dir(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ref = json.loads(there)
    return {
        "alphacast (this SDK)": here["alphacast"],
        "requests / urllib3 (this SDK)": f"{here['requests']} / {here['urllib3']}",
        "alphacast (reference)": ref["alphacast"],
        "requests / urllib3 / pandas (reference)": " / ".join(
            ref[n] for n in ("requests", "urllib3", "pandas")
        ),
    }
