"""What every resource class shares: a transport, JSON decoding and 0.1.9's ``api_key``."""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable
from typing import Any

import requests

from alphacast._auth import shown_url
from alphacast._credentials import Credential
from alphacast._transport import Transport
from alphacast.chain import ResolvedCredential
from alphacast.errors import UnexpectedResponseError
from alphacast.redact import redact_text
from alphacast.resources._upload_send import share_policy


def transport_for_key(transport: Transport, api_key: str, source: str) -> Transport:
    """A new transport like ``transport`` (same hosts, timeouts, retries, TLS) that
    sends ``api_key``, with its own session so nothing (cookies, connections) is
    shared between two keys. Its connections close when it is garbage-collected."""
    credential = Credential(
        api_key,
        provider="explicit",
        source=source,
        profile=transport.credential.current.profile,
    )
    derived = Transport(
        ResolvedCredential(credential, None),
        api_url=transport.api_url,
        workspace_url=transport.workspace_url,
        timeout=transport.timeout,
        retry=transport.retry,
        verify=transport.verify,
    )
    weakref.finalize(derived, derived.session.close)
    share_policy(transport, derived)  # chunked_uploads, and the hosts that refused it
    return derived


def is_object(value: Any) -> bool:
    return isinstance(value, dict)


def is_list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def has_list_of_objects(key: str) -> Callable[[Any], bool]:
    """An object whose ``key`` holds a list of objects."""

    def check(value: Any) -> bool:
        return isinstance(value, dict) and is_list_of_objects(value.get(key))

    return check


def any_json(value: Any) -> bool:
    return True


def json_answer(
    response: requests.Response,
    check: Callable[[Any], bool] = any_json,
    expected: str = "the JSON expected",
) -> Any:
    """The JSON body of a successful ``response``, checked by ``check``, or
    :class:`~alphacast.UnexpectedResponseError` naming the request, the status and
    the content type (never the body) when it is not JSON or not of that shape."""
    try:
        value = json.loads(response.content)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
        raise unexpected(response, "the JSON expected") from None
    if not check(value):
        raise unexpected(response, expected)
    return value


def unexpected(response: requests.Response, expected: str) -> UnexpectedResponseError:
    request = response.request
    content_type = response.headers.get("Content-Type")
    if content_type is not None:
        content_type = redact_text(content_type.split(";")[0].strip())[:80] or None
    return UnexpectedResponseError.for_answer(
        method=(request.method if request is not None else None) or "GET",
        url=shown_url(response.url or "", query=False),
        status_code=response.status_code,
        content_type=content_type,
        expected=expected,
    )


class Resource:
    """Builds requests for one part of the API and shapes their results."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @property
    def api_key(self) -> str:
        """The key this object sends, as in 0.1.9. Treat it like a password.

        Setting it switches this object (and the datasets it opens afterwards) to
        another key, as 0.1.9 did; the client and its other resources keep theirs.
        """
        return self._transport.credential.current.api_key

    @api_key.setter
    def api_key(self, api_key: str) -> None:
        self._transport = transport_for_key(
            self._transport, api_key, f"{type(self).__name__.lower()}.api_key = ..."
        )

    def _get_json(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        check: Callable[[Any], bool] = is_object,
        expected: str = "the JSON object expected",
    ) -> Any:
        """GET ``path``; its JSON, which ``check`` accepts (an object by default)."""
        return json_answer(self._transport.request("GET", path, params=params), check, expected)

    def _get_bytes(
        self,
        path: str,
        check: Callable[[Any], bool] = any_json,
        expected: str = "the JSON expected",
    ) -> bytes:
        """GET ``path``; its body as bytes (as 0.1.9 returned it), once checked to be
        JSON that ``check`` accepts."""
        response = self._transport.request("GET", path)
        json_answer(response, check, expected)
        return response.content

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
