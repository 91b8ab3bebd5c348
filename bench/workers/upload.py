"""Upload a CSV file, or a DataFrame read from it; print time and peak RSS growth.

A DataFrame is read with each column's dtype: the 64-column CSV of ``_data.py``
names its columns by kind (``day*`` dates, ``intna*`` nullable integers; the
rest as pandas infers them). ``--content-length`` makes this SDK send the spooled
``Content-Length`` upload instead of the chunked one.

The baseline RSS is taken after the imports, the client and whatever the
caller must hold before the call: nothing for ``file`` with this SDK (it takes
the path), the file's text for ``file`` with 0.1.9 (it takes only a string),
and the DataFrame for ``df`` with either.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import _clients
from _measure import PeakRSS, Timer, emit

MANIFEST = {"dateColumnName": "Date", "dateFormat": "%Y-%m-%d", "entitiesColumnNames": ["Entity"]}


def read_frame(path: Path) -> Any:
    """The CSV as a DataFrame, dates parsed and nullable integers kept as such."""
    import pandas as pd

    names = list(pd.read_csv(path, nrows=0).columns)
    return pd.read_csv(
        path,
        parse_dates=[n for n in names if n == "Date" or n.startswith("day")],
        dtype={n: "Int64" for n in names if n.startswith("intna")},
        keep_default_na=False,
        na_values=[""],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    _clients.add_arguments(parser)
    parser.add_argument("source", choices=["file", "df"])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--level", type=int, help="this SDK's gzip level (default: its own)")
    parser.add_argument("--content-length", action="store_true", help="this SDK: never chunked")
    args = parser.parse_args()
    if args.level is not None:
        import alphacast.resources._upload as upload_module

        upload_module.GZIP_LEVEL = args.level

    dataset = _clients.dataset(args)
    if args.content_length:
        from alphacast.resources._upload_send import set_chunked_uploads

        set_chunked_uploads(dataset._transport, False)
    if args.source == "df":
        frame = read_frame(args.csv)

        def upload() -> bytes:
            return dataset.upload_data_from_df(frame, uploadIndex=False, **MANIFEST)

    elif args.side == "sdk":

        def upload() -> bytes:
            return dataset.upload_data_from_csv(args.csv, **MANIFEST)

    else:
        text = args.csv.read_text(encoding="utf-8")

        def upload() -> bytes:
            return dataset.upload_data_from_csv(text, **MANIFEST)

    with PeakRSS() as memory, Timer() as timer:
        response = upload()
    try:
        process = json.loads(response)
    except ValueError:
        raise SystemExit(f"upload answered {response[:500]!r}") from None
    emit({"seconds": timer.seconds, "process": process, **memory.as_dict()})


if __name__ == "__main__":
    main()
