"""A TCP relay for tests: forwards connections to a server, counts them, and can drop
the first ones (as an overloaded load balancer does)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit


@contextmanager
def tcp_relay(target: str, *, drop_first: int = 0) -> Iterator[tuple[str, list[int]]]:
    """Relay to ``target`` (``http(s)://host:port``); yields the relay's own URL and a
    list that gains one item per connection accepted. The first ``drop_first``
    connections are closed unanswered after their first bytes (a TLS ClientHello)."""
    host, port = urlsplit(target).hostname, urlsplit(target).port
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []
    opened: list[socket.socket] = []

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            if len(accepted) <= drop_first:
                client.recv(1024)
                client.close()
                continue
            upstream = socket.create_connection((host, port))
            opened.extend((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"{urlsplit(target).scheme}://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        listener.close()
        for sock in opened:
            sock.close()
