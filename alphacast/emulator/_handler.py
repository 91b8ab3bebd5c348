"""One HTTP/1.1 request on either listener: authentication, faults, routing, the
request log, and sending the answer (with a length, or chunked) so that clients can
keep the connection alive. Nothing here logs a request line or a key."""

from __future__ import annotations

import base64
import binascii
import itertools
import logging
import os
import socket
import struct
import time
from collections.abc import Generator
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from alphacast._version import __version__
from alphacast.emulator import _routes as routes
from alphacast.emulator._model import HttpError
from alphacast.emulator._wire import BodyReader, Request, Response, error_response

if TYPE_CHECKING:
    from alphacast.emulator._server import EmulatorServer

log = logging.getLogger("alphacast.emulator")

#: An unread request body up to this size is drained so the connection can be reused;
#: past it the connection is closed after the answer.
_DRAIN_LIMIT = 16 * 1024 * 1024
_FILE_PIECE = 256 * 1024
#: After refusing a chunked body: how long (seconds) and how much (bytes) of it is
#: read and dropped, so the answer reaches the client before the close (nginx's
#: "lingering close"); past that the connection is closed on a client still sending.
_LINGER_SECONDS = 2.0
_LINGER_BYTES = 64 * 1024 * 1024


def _basic_username(header: str | None) -> str | None:
    if not header or not header[:6].lower() == "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def _framing(transfer_encoding: str | None, length: str | None) -> str | None:
    """How a request's body is framed, for the request log."""
    if transfer_encoding and "chunked" in transfer_encoding.lower():
        return "chunked"
    return "length" if length and length.strip() not in ("", "0") else None


class Handler(BaseHTTPRequestHandler):
    """Serves both hosts; ``server.kind`` says which one this connection reached."""

    protocol_version = "HTTP/1.1"
    server_version = f"AlphacastEmulator/{__version__}"
    sys_version = ""
    timeout = 300
    disable_nagle_algorithm = True  # headers and body go out as separate small writes
    server: EmulatorServer

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: request lines carry query strings, which may carry keys."""

    def do_GET(self) -> None:  # noqa: N802
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def do_PUT(self) -> None:  # noqa: N802
        self._handle()

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle()

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle()

    def _handle(self) -> None:
        core, kind = self.server.core, self.server.kind
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        if kind == "api":
            key = _basic_username(self.headers.get("Authorization"))
        else:
            key = query.get("apiKey") or None
        account = core.account_for(key)
        entry: dict[str, Any] = {
            "method": self.command,
            "path": split.path,
            "host": kind,
            "account": account,
            "key": key,
            "status": None,
        }
        framing = _framing(
            self.headers.get("Transfer-Encoding"), self.headers.get("Content-Length")
        )
        if framing is not None:
            entry["body"] = framing
        fault = core.faults.draw()
        if fault.latency:
            time.sleep(fault.latency)
        if fault.reset:
            core.record(entry)
            self._reset()
            return
        try:
            body = BodyReader(self.rfile, self.headers)
        except HttpError as exc:
            self.close_connection = True
            self._send(error_response(exc.status, exc.message), None, entry)
            return
        if body.chunked and not self.server.accept_chunked:
            self._refuse_chunked(entry)
            return
        if fault.status is not None:
            headers = {"Retry-After": "1"} if fault.status == 429 else {}
            response = error_response(fault.status, "Injected fault: try again later.", headers)
        elif account is None:
            response = self._unauthorized(key, kind)
        else:
            request = Request(core, self.command, path, query, self.headers, body, account)
            response = self._route(request, kind)
        self._send(response, body, entry)

    def _unauthorized(self, key: str | None, kind: str) -> Response:
        where = "HTTP Basic username" if kind == "api" else "apiKey query parameter"
        text = f"No API key: send it as the {where}." if key is None else "Invalid API key."
        headers = {"WWW-Authenticate": 'Basic realm="alphacast"'} if kind == "api" else {}
        return error_response(401, text, headers)

    def _route(self, request: Request, kind: str) -> Response:
        table = routes.API if kind == "api" else routes.WORKSPACE
        try:
            return routes.dispatch(table, request)
        except HttpError as exc:
            return error_response(exc.status, exc.message, exc.headers)
        except ConnectionError:
            raise
        except Exception:
            log.exception("emulator error on %s %s", request.method, request.path)
            return error_response(500, "Internal emulator error.")

    def _refuse_chunked(self, entry: dict[str, Any]) -> None:
        """411 Length Required, the connection closed after a lingering read."""
        self.close_connection = True
        response = error_response(411, "Send the request body with a Content-Length.")
        entry["status"] = response.status
        self.server.core.record(entry)
        self._write(response, None, b"")
        try:
            socket.socket.shutdown(self.connection, socket.SHUT_WR)
            self.connection.settimeout(0.5)
            deadline = time.monotonic() + _LINGER_SECONDS
            seen = 0
            while time.monotonic() < deadline and seen < _LINGER_BYTES:
                data = self.connection.recv(1 << 16)
                if not data:
                    break
                seen += len(data)
        except OSError:
            pass

    def _reset(self) -> None:
        """Close the connection at once, with a TCP reset and no answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass

    def _send(self, response: Response, body: BodyReader | None, entry: dict[str, Any]) -> None:
        pieces: Generator[bytes, None, None] | None = None
        first = b""
        if isinstance(response.body, Generator):
            pieces = response.body
            try:  # an error before the first byte can still be answered properly
                first = next(pieces, b"")
            except Exception:
                log.exception("emulator error preparing %s", entry["path"])
                pieces.close()
                pieces, response = None, error_response(500, "Internal emulator error.")
        if body is not None and not body.done and not body.drain(_DRAIN_LIMIT):
            self.close_connection = True
        entry["status"] = response.status
        self.server.core.record(entry)
        try:
            self._write(response, pieces, first)
        finally:
            if pieces is not None:
                pieces.close()
            if isinstance(response.body, str):
                os.unlink(response.body)

    def _write(
        self, response: Response, pieces: Generator[bytes, None, None] | None, first: bytes
    ) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        if isinstance(response.body, bytes):
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
            return
        if isinstance(response.body, str):
            self.send_header("Content-Length", str(os.path.getsize(response.body)))
            self.end_headers()
            with open(response.body, "rb") as handle:
                while piece := handle.read(_FILE_PIECE):
                    self.wfile.write(piece)
            return
        assert pieces is not None
        chunked = self.request_version == "HTTP/1.1"
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif not self.close_connection:  # HTTP/1.0: the end of the body is the close
            self.close_connection = True
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            for piece in itertools.chain((first,), pieces):
                if piece and chunked:
                    self.wfile.write(b"%x\r\n%b\r\n" % (len(piece), piece))
                elif piece:
                    self.wfile.write(piece)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            raise
        except Exception:
            log.exception("emulator error while streaming %s", self.command)
            self.close_connection = True  # the client sees a cut-off body
            return
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
