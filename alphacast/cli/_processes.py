"""Upload processes: ``datasets upload --wait`` follows one, ``datasets processes`` lists
them.

A process is finished when it has a ``processedAt`` time or its status is
``Processed`` or ``Failed`` (the emulator's states; the service documents
``Requested`` ... ``Processed``); only ``Processed`` is a success.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from alphacast._argparse import mask_user_words
from alphacast._client import Alphacast
from alphacast._progress import terminal_width
from alphacast.cli._output import CommandError, masked, print_json
from alphacast.resources.datasets import Dataset

SUCCEEDED = "Processed"
FINISHED = frozenset({SUCCEEDED, "Failed"})

#: Seconds between two looks at a process: quick at first, then every 2 s.
FIRST_PAUSE, LONGEST_PAUSE = 0.2, 2.0


def finished(process: dict[str, Any]) -> bool:
    return process.get("status") in FINISHED or bool(process.get("processedAt"))


def follow(dataset: Dataset, process: dict[str, Any], *, show: bool) -> dict[str, Any]:
    """Poll ``process`` until it is finished; with ``show``, a status line on stderr."""
    started = time.monotonic()
    pause = FIRST_PAUSE
    while not finished(process):
        if show:
            line = (
                f"processing: process {process.get('id')} is {process.get('status')} "
                f"({time.monotonic() - started:.0f}s)"
            )
            width = max(terminal_width(sys.stderr) - 1, 10)
            sys.stderr.write("\r" + line[:width].ljust(width))
            sys.stderr.flush()
        time.sleep(pause)
        pause = min(pause * 1.5, LONGEST_PAUSE)
        process = json.loads(dataset.process(int(process["id"])))
    if show and time.monotonic() - started >= FIRST_PAUSE:
        sys.stderr.write("\n")
    return process


def report(dataset_id: int, process: dict[str, Any], *, as_json: bool) -> int:
    """Print the finished process; a failed one is an error with the server's reason."""
    status = process.get("status")
    reason = process.get("statusDescription") or "the server gave no reason"
    if as_json:
        print_json(process)
    elif status == SUCCEEDED:
        print(masked(mask_user_words(f"process {process.get('id')} {status}: {reason}")))
    if status != SUCCEEDED:
        raise CommandError(
            f"upload process {process.get('id')} of dataset {dataset_id} is {status}: {reason}"
        )
    return 0


def cmd_processes(args: argparse.Namespace) -> int:
    with Alphacast(profile=args.profile) as client:
        rows: list[dict[str, Any]] = json.loads(
            client.datasets.dataset(args.dataset_id).processes()
        )
    if args.json:
        print_json(rows, indent=2)
        return 0
    if not rows:
        print(f"dataset {args.dataset_id} has no upload processes")
        return 0
    table = [("ID", "STATUS", "CREATED", "PROCESSED", "DESCRIPTION")]
    table += [
        (
            str(row.get("id", "")),
            str(row.get("status", "")),
            str(row.get("createdAt") or ""),
            str(row.get("processedAt") or "-"),
            str(row.get("statusDescription") or ""),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        print(masked(mask_user_words("  ".join([*cells, line[4]]).rstrip())))
    return 0
