"""A threading HTTP server that knows its open connections, so stopping it closes
every keep-alive connection and joins every thread; optionally TLS."""

from __future__ import annotations

import logging
import socket
import socketserver
import ssl
import threading
from http.server import ThreadingHTTPServer
from typing import Any

from alphacast.emulator._core import Core
from alphacast.emulator._handler import Handler

log = logging.getLogger("alphacast.emulator")


class EmulatorServer(ThreadingHTTPServer):
    """One listener (``kind`` is ``"api"`` or ``"workspace"``) over a shared ``Core``."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        core: Core,
        kind: str,
        context: ssl.SSLContext | None = None,
        accept_chunked: bool = True,
    ) -> None:
        self.core = core
        self.kind = kind
        #: False: a chunked request body is answered 411 Length Required.
        self.accept_chunked = accept_chunked
        self._context = context
        self._lock = threading.Lock()
        self._open: dict[threading.Thread, socket.socket] = {}
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn), which can be slow.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        if self._context is not None:
            # The handshake happens on the connection's own thread, at its first read.
            sock = self._context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve,
            args=(request, client_address),
            name=f"alphacast-emulator-{self.kind}",
            daemon=True,
        )
        with self._lock:
            self._open[thread] = request
        thread.start()

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            log.debug("connection ended with an error", exc_info=True)
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._open.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection ended with an error", exc_info=True)

    def close_connections(self, timeout: float = 5.0) -> None:
        """Shut every open connection down and wait for its thread to finish."""
        with self._lock:
            open_now = list(self._open.items())
        for _, sock in open_now:
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass
        for thread, _ in open_now:
            thread.join(timeout)
