"""``alphacast datasets upload|download`` and ``alphacast search``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from alphacast.cli._output import print_json
from alphacast.client import Alphacast


def _progress(args: argparse.Namespace) -> bool:
    if args.progress is not None:
        return bool(args.progress)
    return sys.stderr.isatty()


def cmd_upload(args: argparse.Namespace) -> int:
    source: Any = sys.stdin.buffer if args.file == "-" else Path(args.file)
    with Alphacast(profile=args.profile) as client:
        result = client.datasets.dataset(args.dataset_id).upload_data_from_csv(
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
    process = json.loads(result)
    if args.json:
        print_json(process)
    else:
        print(
            f"uploaded: process {process.get('id')} is {process.get('status')}; follow it "
            f"with the dataset's processes"
        )
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    entities: dict[str, list[str]] = {}
    for item in args.filter:
        column, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"alphacast: error: --filter takes COLUMN=VALUE, not {item!r}")
        entities.setdefault(column, []).append(value)
    destination: Any = args.output or sys.stdout.buffer
    with Alphacast(profile=args.profile) as client:
        client.datasets.dataset(args.dataset_id).download_data(
            format=args.format,
            startDate=args.start,
            endDate=args.end,
            filterVariables=args.select.split(",") if args.select else None,
            filterEntities=entities or None,
            path=destination,
            progress=_progress(args),
        )
    if args.output:
        print(f"wrote {args.output}", file=sys.stderr)
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
    print(f"{result.get('totalItems', 0)} datasets match {args.query!r}")
    for item in result.get("data", []):
        print(f"  {item.get('id'):>8}  {item.get('name')}")
    return 0
