"""``alphacast datasets upload|download`` and ``alphacast search``.

Local file mistakes (a missing upload file, ``-o`` naming a folder, a folder that
does not exist, a path that cannot be written) are found before any request is sent
and reported in one line; nothing is created.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from alphacast._argparse import mask_user_words
from alphacast._client import Alphacast
from alphacast.cli import _processes
from alphacast.cli._output import CommandError, describe_os_error, masked, print_json


def _progress(args: argparse.Namespace) -> bool:
    if args.progress is not None:
        return bool(args.progress)
    return sys.stderr.isatty()


@contextlib.contextmanager
def _source(name: str) -> Iterator[IO[bytes]]:
    """The file to upload, opened before anything is sent (``-`` is stdin)."""
    if name == "-":
        yield sys.stdin.buffer
        return
    try:
        handle = open(name, "rb")  # noqa: SIM115 - closed below, after the upload
    except OSError as exc:
        raise CommandError(describe_os_error(exc, "cannot read")) from None
    with handle:
        yield handle


def cmd_upload(args: argparse.Namespace) -> int:
    with _source(args.file) as source, Alphacast(profile=args.profile) as client:
        dataset = client.datasets.dataset(args.dataset_id)
        try:
            result = dataset.upload_data_from_csv(
                source,
                deleteMissingFromDB=args.delete_missing,
                onConflictUpdateDB=args.update_on_conflict,
                dateColumnName=args.date_column,
                dateFormat=args.date_format,
                entitiesColumnNames=args.entity or None,
                stringColumnNames=args.string_column or None,
                acceptNewColumns=args.accept_new_columns or None,
                progress=_progress(args),
            )
        except ValueError as exc:  # the SDK's check of what it was given (an empty file)
            raise CommandError(f"cannot upload {args.file}: {exc}") from None
        except OSError as exc:
            if exc.filename is None:  # not a file: a transport failure
                raise
            raise CommandError(describe_os_error(exc, "cannot read")) from None
        process = _process_record(result)
        if args.wait:
            if not args.json:
                print(f"uploaded: process {process.get('id')} is {process.get('status')}")
            process = _processes.follow(dataset, process, show=_progress(args))
            return _processes.report(args.dataset_id, process, as_json=args.json)
    if args.json:
        print_json(process)
    else:
        print(
            f"uploaded: process {process.get('id')} is {process.get('status')}; follow it "
            f"with `alphacast datasets processes {args.dataset_id}` (or upload with --wait)"
        )
    return 0


def _process_record(answer: bytes) -> dict[str, Any]:
    """The process record an upload answered (bytes, as 0.1.9 returns them)."""
    try:
        process = json.loads(answer)
    except (ValueError, RecursionError):
        process = None
    if not isinstance(process, dict):
        raise CommandError(
            "the upload was sent, but the answer is not the JSON process record expected "
            "(a proxy or captive portal may be in the way); see `alphacast datasets "
            "processes DATASET_ID`"
        )
    return process


def _check_writable(name: str) -> None:
    """Refuse an output path that cannot be written, before the download starts."""
    target = Path(name)
    folder = target.parent
    if target.is_dir():
        raise CommandError(f"cannot write {name}: it is a folder; name a file in it")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise CommandError(f"cannot write {name}: {folder} {what}")
    if not os.access(folder, os.W_OK | os.X_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        raise CommandError(f"cannot write {name}: permission denied")


def cmd_download(args: argparse.Namespace) -> int:
    entities: dict[str, list[str]] = {}
    for column, value in args.filter:
        entities.setdefault(column, []).append(value)
    destination: Any = args.output or sys.stdout.buffer
    if args.output:
        _check_writable(args.output)
    with Alphacast(profile=args.profile) as client:
        try:
            client.datasets.dataset(args.dataset_id).download_data(
                format=args.format,
                startDate=args.start,
                endDate=args.end,
                filterVariables=args.select.split(",") if args.select else None,
                filterEntities=entities or None,
                path=destination,
                progress=_progress(args),
            )
        except ValueError as exc:  # the SDK's check of the options (no Date column)
            raise CommandError(str(exc)) from None
        except OSError as exc:
            if exc.filename is None or isinstance(exc, BrokenPipeError):
                raise
            # Name the file asked for, not the SDK's temporary one beside it.
            reason = exc.strerror or type(exc).__name__
            raise CommandError(f"cannot write {args.output}: {reason}") from None
    if args.output:
        print(mask_user_words(f"wrote {args.output}"), file=sys.stderr)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    with Alphacast(profile=args.profile) as client:
        result = client.search.datasets(
            args.query,
            offset=args.offset,
            length=args.length,
            repository_id=args.repository_id,
            search_all=args.all,
            exclude_deprecated=args.exclude_deprecated,
        )
    if args.json:
        print_json(result, indent=2)
        return 0
    print(mask_user_words(f"{result.get('totalItems', 0)} datasets match {args.query!r}"))
    for item in result["data"]:  # a list of objects: the SDK checked the answer's shape
        print(f"  {masked(item.get('id')):>8}  {masked(item.get('name'))}")
    return 0
