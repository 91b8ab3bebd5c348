"""The floor of a CSV file upload: read, gzip at the SDK's level, send; nothing else.

    python upload_floor.py URL CSV LEVEL

One thread, a raw socket: the file is read in 1 MB pieces, each compressed with
zlib at ``LEVEL`` (one gzip member) and sent at once as a chunk of a chunked
multipart PUT, so compressing and sending overlap through the socket buffer.
Prints the time and the gzip size. Standard library only.
"""

from __future__ import annotations

import socket
import sys
import time
import zlib
from urllib.parse import urlsplit

from _measure import emit

BOUNDARY = "floorboundary0123456789"


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def main() -> None:
    url, csv, level = urlsplit(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    started = time.perf_counter()
    sock = socket.create_connection((url.hostname, url.port))
    sock.sendall(
        f"PUT /datasets/1/data?deleteMissingFromDB=False&onConflictUpdateDB=False HTTP/1.1\r\n"
        f"Host: {url.netloc}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
    )
    sock.sendall(
        chunk(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="data"; '
            'filename="data.csv.gz"\r\nContent-Type: application/gzip\r\n\r\n'.encode()
        )
    )
    engine = zlib.compressobj(level, zlib.DEFLATED, 31)
    sent = 0
    with open(csv, "rb") as source:
        while block := source.read(1 << 20):
            if data := engine.compress(block):
                sock.sendall(chunk(data))
                sent += len(data)
    data = engine.flush()
    sent += len(data)
    sock.sendall(chunk(data) + chunk(f"\r\n--{BOUNDARY}--\r\n".encode()) + b"0\r\n\r\n")
    answer = sock.recv(65536)
    elapsed = time.perf_counter() - started
    sock.close()
    if not answer.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"the sink answered {answer[:200]!r}")
    emit({"seconds": elapsed, "gzip_bytes": sent})


if __name__ == "__main__":
    main()
