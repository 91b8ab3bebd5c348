"""Download a dataset's CSV to a file; print time, size and peak RSS growth.

This SDK streams it (``download_data(path=...)``); 0.1.9 has only the in-memory
download, so its side writes ``download_data()``'s bytes to the file.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import _clients
from _measure import PeakRSS, Timer, emit


def main() -> None:
    parser = argparse.ArgumentParser()
    _clients.add_arguments(parser)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()

    dataset = _clients.dataset(args)
    with PeakRSS() as memory, Timer() as timer:
        if args.side == "sdk":
            dataset.download_data(path=args.out)
        else:
            content = dataset.download_data()
            with open(args.out, "wb") as handle:
                handle.write(content)
            del content
    emit({"seconds": timer.seconds, "bytes": os.path.getsize(args.out), **memory.as_dict()})


if __name__ == "__main__":
    main()
