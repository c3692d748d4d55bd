"""How `gikai serve` speaks HTTP/1.1: uvicorn's h11 protocol, taking raw UTF-8 in the request line.

``curl 'http://127.0.0.1:8000/v1/members/search?q=待機児童'`` sends the Japanese bytes as they are.
RFC 9112 wants them percent-encoded; h11 enforces that and uvicorn answers a bare
"400 Invalid HTTP request received.", so the first thing a user types fails without saying why.
nginx and Apache accept such request lines. Here the bytes outside ASCII in a request line are
percent-encoded before h11 reads it — what a browser would have sent — and the request goes on
as if it had arrived encoded (the same query, the same 422 for a query over the limits). Only a
request that arrives while the connection waits for one is rewritten: a second request pipelined
behind another in the same packets gets h11's 400 as before (curl no longer pipelines; keep-alive
requests that follow a response are rewritten).

A request head may also be larger than uvicorn's default 16 KB: a query of 2,000 Japanese
characters is 18 KB percent-encoded, and it should get the API's "at most 1000 characters"
answer, not h11's bare 400.
"""

from __future__ import annotations

import re

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

# Request line plus headers, encoded: 10,000 Japanese characters in q are ~90 KB.
MAX_REQUEST_HEAD_BYTES = 128 * 1024
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _escape(match: re.Match[bytes]) -> bytes:
    return b"%%%02X" % match.group()[0]


def encode_request_line(data: bytes) -> bytes:
    """``data`` with the bytes outside ASCII percent-encoded up to its first line end (``data`` itself
    when that part is ASCII: a body with Japanese in it is never looked at)."""
    end = data.find(b"\n")
    cut = len(data) if end < 0 else end
    if not _NON_ASCII.search(data, 0, cut):
        return data
    return _NON_ASCII.sub(_escape, data[:cut]) + data[cut:]


class Utf8RequestLineProtocol(H11Protocol):
    """uvicorn's h11 protocol; non-ASCII bytes of a request line are percent-encoded first."""

    def data_received(self, data: bytes) -> None:
        # Between requests (h11 IDLE) and while the line h11 holds so far has no end, the start
        # of ``data`` is still the request line; a line split over packets is encoded piece by piece.
        if self.conn.their_state is h11.IDLE and b"\n" not in self.conn.trailing_data[0]:
            data = encode_request_line(data)
        super().data_received(data)


def uvicorn_options() -> dict:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` that every way of serving shares."""
    return {"http": Utf8RequestLineProtocol, "h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES}
