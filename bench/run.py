"""Benchmarks of this SDK against the published alphacast 0.1.9 and the physical floor.

    python bench/run.py                # everything, 200 MB transfers (~5 min on 2 cores)
    python bench/run.py --quick        # 20 MB transfers, fewer repetitions (~1 min)
    python bench/run.py --only metadata --only import
    python bench/run.py --size-mb 500  # transfer size

The first run creates ``bench/.venv-019`` with ``alphacast==0.1.9`` and pandas
from the package index; later runs reuse it. Prints the results and writes them
to ``bench/RESULTS.md`` and, for a full run, into the marked section of
``docs/performance.rst``. See ``bench/README.md`` for what each case measures.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import case_credentials  # noqa: E402
import case_download  # noqa: E402
import case_import  # noqa: E402
import case_metadata  # noqa: E402
import case_upload  # noqa: E402
from _common import (  # noqa: E402
    BENCH,
    ROOT,
    ensure_reference_venv,
    log,
    machine,
    package_versions,
)
from _context import ACCOUNT, KEY, Context  # noqa: E402
from _report import (  # noqa: E402
    Results,
    render_markdown,
    render_rst,
    render_text,
    replace_marked_section,
)

CASES: dict[str, Callable[[Context], None]] = {
    "metadata": case_metadata.run,
    "import": case_import.run,
    "upload": case_upload.run,
    "download": case_download.run,
    "credentials": case_credentials.run,
}
NEEDS_EMULATOR = {"metadata"}
DOCS_PAGE = ROOT / "docs" / "performance.rst"
RESULTS_MD = BENCH / "RESULTS.md"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark this SDK against alphacast 0.1.9 and the floor."
    )
    parser.add_argument(
        "--quick", action="store_true", help="20 MB transfers and fewer repetitions (a smoke run)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(CASES),
        metavar="NAME",
        help=f"run only this case (repeatable): {', '.join(CASES)}",
    )
    parser.add_argument(
        "--size-mb",
        type=int,
        default=None,
        help="size of the generated CSV for transfers (default 200, quick 20)",
    )
    parser.add_argument("--calls", type=int, default=300, help="metadata calls per run")
    parser.add_argument(
        "--reps",
        type=int,
        default=None,
        help="repetitions of the metadata runs (default 5, quick 3)",
    )
    parser.add_argument(
        "--transfer-reps",
        type=int,
        default=None,
        help="repetitions of each upload/download (default 5, quick 3)",
    )
    parser.add_argument(
        "--no-write",
        action="store_true",
        help="print only; do not write RESULTS.md or the docs page",
    )
    return parser.parse_args(argv)


def build_context(args: argparse.Namespace, settings: str) -> Context:
    quick = args.quick
    size = args.size_mb or (20 if quick else 200)
    return Context(
        results=Results(machine=machine().describe(), settings=settings, versions={}),
        quick=quick,
        size_mb=size,
        calls=args.calls,
        reps_metadata=args.reps or (3 if quick else 5),
        reps_import=7 if quick else 15,
        reps_transfer=args.transfer_reps or (3 if quick else 5),
    )


def run_cases(ctx: Context, names: list[str]) -> None:
    if not NEEDS_EMULATOR & set(names):
        for name in names:
            CASES[name](ctx)
        return
    from alphacast import Alphacast
    from alphacast.emulator import Emulator

    with Emulator(accounts={ACCOUNT: KEY}, tls=True, port=0, workspace_port=0) as emu:
        ctx.api_url, ctx.workspace_url = emu.api_url, emu.workspace_url
        ctx.ca_file = str(emu.ca_file)
        log(f"emulator at {emu.api_url} (TLS, CA {ctx.ca_file})")
        with Alphacast(
            KEY, api_url=emu.api_url, workspace_url=emu.workspace_url, verify=ctx.ca_file
        ) as client:
            ctx.client = client
            ctx.repository_id = int(client.repository.create("bench", returnIdIfExists=True)["id"])
            for name in names:
                log(f"== {name}")
                CASES[name](ctx)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [n for n in CASES if n in (args.only or CASES)]
    command = "python bench/run.py" + "".join(
        f" {shlex.quote(a)}" for a in (argv if argv is not None else sys.argv[1:])
    )
    started = time.monotonic()
    ensure_reference_venv()
    ctx = build_context(args, "")
    ctx.results.settings = (
        f"{ctx.calls} metadata calls x {ctx.reps_metadata} runs; imports x {ctx.reps_import}; "
        f"{ctx.size_mb} MB CSV, transfers x {ctx.reps_transfer} to a sink over HTTP on loopback; "
        "metadata: emulator over TLS on loopback"
    )
    ctx.results.versions = package_versions()
    run_cases(ctx, names)
    elapsed = time.monotonic() - started
    ctx.results.notes.append(f"Whole benchmark run took {elapsed / 60:.1f} min.")

    print()
    print(render_text(ctx.results))
    if not args.no_write:
        RESULTS_MD.write_text(render_markdown(ctx.results, command), encoding="utf-8")
        log(f"wrote {RESULTS_MD.relative_to(ROOT)}")
        if not args.quick and not args.only and args.size_mb in (None, 200):
            if replace_marked_section(DOCS_PAGE, render_rst(ctx.results, command)):
                log(f"updated the results section of {DOCS_PAGE.relative_to(ROOT)}")
            else:
                log(f"{DOCS_PAGE.relative_to(ROOT)} has no results markers: not written")
    missed = [c for c in ctx.results.checks if c.met is False]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
