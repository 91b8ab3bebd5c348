"""A server that is never the bottleneck: it discards request bodies and serves one file.

    python sink.py FILE      # prints the port on its first line, then serves until killed

Plain HTTP/1.1 on 127.0.0.1 with keep-alive, one thread per connection. A PUT or
POST body (by ``Content-Length`` or chunked) is read in 1 MB pieces and dropped,
and the answer is an upload process record; a GET of anything is answered with
``FILE`` (sent with ``sendfile``, with its ``Content-Length``). Standard library only.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from typing import BinaryIO

PROCESS = b'{"id": 1, "status": "Requested", "datasetId": 1}'
PIECE = 1 << 20


def _drop(reader: BinaryIO, size: int) -> None:
    while size:
        got = len(reader.read(min(size, PIECE)))
        if not got:
            raise ConnectionError("the request body was cut short")
        size -= got


def _discard_body(reader: BinaryIO, headers: dict[str, str]) -> None:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while size := int(reader.readline().split(b";")[0], 16):
            _drop(reader, size)
            reader.readline()
        while reader.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailer
    else:
        _drop(reader, int(headers.get("content-length", "0")))


def serve(conn: socket.socket, path: str) -> None:
    size = os.path.getsize(path)
    reader = conn.makefile("rb", buffering=PIECE)
    with conn, reader, open(path, "rb") as served:
        while request := reader.readline():
            method = request.split(b" ", 1)[0]
            headers: dict[str, str] = {}
            while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            if headers.get("expect", "").lower() == "100-continue":
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            _discard_body(reader, headers)
            if method == b"GET":
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n"
                    b"Content-Length: %d\r\n\r\n" % size
                )
                conn.sendfile(served, 0, size)
            else:
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(PROCESS), PROCESS)
                )


def main() -> None:
    path = sys.argv[1]
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(conn, path), daemon=True).start()


if __name__ == "__main__":
    main()
