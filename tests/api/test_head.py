"""HEAD on the /v1 reads (monitors, link checkers, `curl -I`): GET's status and headers, no body."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", [
    "/v1/assemblies",
    "/v1/members/search?q=待機児童&limit=3",
    "/v1/statements/search?q=産後ケア",
    "/v1/topics",
    "/v1/members/search.csv?q=保育&limit=5",
])
def test_head_answers_like_get_without_a_body(client, path):
    get, head = client.get(path), client.head(path)
    assert get.status_code == head.status_code == 200
    assert head.content == b"" and get.content
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["etag"] == get.headers["etag"]
    if "content-length" in get.headers:  # streamed exports have none
        assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))


def test_head_keeps_errors_and_conditional_answers(client):
    missing = client.head("/v1/members/130001-000000000000")
    assert missing.status_code == 404 and missing.content == b""
    assert client.head("/v1/members/search?q=").status_code == 422
    etag = client.get("/v1/assemblies").headers["etag"]
    assert client.head("/v1/assemblies", headers={"If-None-Match": etag}).status_code == 304


def test_head_is_not_an_operation_of_the_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not any("head" in ops for ops in paths.values())
    assert client.post("/v1/assemblies").status_code == 405  # other methods are still refused
