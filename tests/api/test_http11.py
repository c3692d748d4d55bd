"""Raw UTF-8 in the request line, as curl sends it, against the real server (uvicorn + api.http11)."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import quote, urlparse

from api.http11 import encode_request_line


def _read_response(sock: socket.socket, buffered: bytes = b"") -> tuple[int, bytes, bytes]:
    """One response from ``sock``: (status, body, bytes read past it)."""
    data = buffered
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(head.split(b" ", 2)[1]), rest[:length], rest[length:]


def _exchange(url: str, *requests: bytes | tuple[bytes, ...], pause: float = 0.2) -> list[tuple[int, bytes]]:
    """Each request on one kept-alive connection, its response read before the next; a request
    given as a tuple of pieces is sent piece by piece, ``pause`` apart (as separate packets)."""
    where = urlparse(url)
    out = []
    with socket.create_connection((where.hostname, where.port), timeout=30) as sock:
        rest = b""
        for request in requests:
            for i, piece in enumerate(request if isinstance(request, tuple) else (request,)):
                if i:
                    time.sleep(pause)
                sock.sendall(piece)
            status, body, rest = _read_response(sock, rest)
            out.append((status, body))
    return out


def _get(target: str, close: bool = True) -> bytes:
    return (f"GET {target} HTTP/1.1\r\nHost: localhost\r\n" + ("Connection: close\r\n" if close else "") + "\r\n").encode()


def test_encode_request_line_touches_only_the_first_line():
    data = "GET /v1/members/search?q=待機児童 HTTP/1.1\r\nX-Note: 日本\r\n\r\n".encode()
    assert encode_request_line(data) == (
        b"GET /v1/members/search?q=%E5%BE%85%E6%A9%9F%E5%85%90%E7%AB%A5 HTTP/1.1\r\nX-Note: " + "日本".encode() + b"\r\n\r\n")
    assert encode_request_line(b"GET /?q=a HTTP/1.1\r\n\r\n") == b"GET /?q=a HTTP/1.1\r\n\r\n"


def test_raw_utf8_query_is_read_as_if_percent_encoded(server):
    [(status, body)] = _exchange(server, _get("/v1/members/search?q=待機児童&limit=3"))
    assert status == 200
    raw = json.loads(body)
    [(status, body)] = _exchange(server, _get(f"/v1/members/search?q={quote('待機児童')}&limit=3"))
    assert status == 200 and json.loads(body)["data"] == raw["data"]
    assert raw["query"] == "待機児童" and len(raw["data"]) == 3
    assert all("待機児童" in e["text"] for e in raw["data"][0]["evidence"])


def test_request_line_split_across_packets_and_kept_alive(server):
    first = _get("/v1/statements/search?q=産後ケア&limit=1", close=False)
    cut = first.index("ケア".encode()) + 2  # inside a character: its bytes arrive in two packets
    (s1, b1), (s2, b2) = _exchange(server, (first[:cut], first[cut:]), _get("/v1/members/search?q=病児保育&limit=1"))
    assert s1 == 200 and "産後ケア" in json.loads(b1)["data"][0]["text"]
    assert s2 == 200 and json.loads(b2)["query"] == "病児保育"


def test_raw_utf8_over_the_limits_gets_the_api_message_not_a_bare_400(server):
    [(status, body)] = _exchange(server, _get("/v1/members/search?q=" + "待" * 10_000))
    assert status == 422
    assert "q: 10000 characters; at most 1000 are accepted" in body.decode()
