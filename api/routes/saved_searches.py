"""Saved searches: a query whose new matching statements are POSTed to a callback after each index build."""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Annotated
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Depends, HTTPException, Path, Response

from api.auth import CallerDep, StateDep
from api.deps import SettingsDep, clean_text
from api.pagination import Page, paginate
from api.schemas import (
    SavedSearchCreate,
    SavedSearches,
    SavedSearchPublic,
    WebhookDeliveries,
    WebhookDeliveryPublic,
)
from api.state import SavedSearch

router = APIRouter(prefix="/v1/saved-searches", tags=["saved searches"])

SavedSearchId = Annotated[str, Path(description="保存検索のID", examples=["ss_3q2Xk9aB7cD1eF0g"], max_length=40)]

WEBHOOK_DOC = """
ビルドのたびに、この検索に一致する**まだ送っていない**発言を `callback_url` に JSON で POST します (1回100件まで)。

* `X-Gikai-Delivery`: 配信ID (再試行でも同じ。重複の排除に使えます)
* `X-Gikai-Signature`: `sha256=<HMAC-SHA256(secret, 生のリクエストボディ)>` の16進。受信側で必ず検証してください
  (Python: `api.webhooks.verify_signature(secret, body, header)`)。
* 2xx 以外・接続エラーは指数バックオフで再試行し、すべての試行を記録します
  (`GET /v1/saved-searches/{id}/deliveries`)。

デモモードでなければ API キーが必要です。保存検索はキーごとに分かれています。
"""


def _public(s: SavedSearch, secret: str | None = None) -> SavedSearchPublic:
    return SavedSearchPublic(id=s.id, query=s.query, assemblies=s.assemblies, callback_url=s.callback_url,
                             created_at=s.created_at, secret=secret)


def _callback(url: str) -> str:
    """An absolute http(s) URL the webhook client can actually POST to, or a 422.

    ``urlsplit`` alone raises on ``http://[::1/`` (a 500 before) and lets through URLs that only
    fail at delivery time, after every build (port 99999, ``http://a..b/``, spaces or control
    characters): the same checks httpx makes are made here, when the integrator can still fix it.
    """
    url = url.strip()
    invalid = HTTPException(422, "callback_url: must be an absolute http:// or https:// URL")
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        raise invalid
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.port == 0:  # .port: ValueError
            raise invalid
        httpx.URL(url)  # what the delivery will parse
        parts.hostname.encode("idna")  # httpx raises UnicodeError for this one only when it connects
    except (ValueError, UnicodeError, httpx.InvalidURL):
        raise invalid from None
    return url


@router.post("", response_model=SavedSearchPublic, status_code=201, summary="保存検索を作る (webhook)",
             description=WEBHOOK_DOC)
def create_saved_search(body: SavedSearchCreate, caller: CallerDep, state: StateDep,
                        settings: SettingsDep) -> SavedSearchPublic:
    query = clean_text(body.query, "query", settings.max_query_chars)
    for code in body.assemblies or []:
        if not re.fullmatch(r"[0-9]{6}", code):
            raise HTTPException(422, f"assemblies: {code[:20]!r} is not a 6-digit 団体コード")
    generated = None if body.secret else "whsec_" + secrets.token_urlsafe(32)
    saved = state.create_saved_search(caller.key_id, query, body.assemblies or None, _callback(body.callback_url),
                                      body.secret or generated)
    return _public(saved, generated)


@router.get("", response_model=SavedSearches, summary="保存検索の一覧")
def list_saved_searches(caller: CallerDep, state: StateDep,
                        page: Annotated[Page, Depends(paginate(default_limit=100))]) -> SavedSearches:
    """このキーで作った保存検索 (作成順)。secret は返しません。"""
    rows = state.saved_searches(caller.key_id)
    data = rows[page.offset:page.offset + page.limit]
    return SavedSearches(count=len(data), offset=page.offset, data=[_public(s) for s in data],
                         next_cursor=page.next_cursor(len(data), total=len(rows)))


@router.delete("/{saved_search_id}", status_code=204, response_class=Response, summary="保存検索を削除")
def delete_saved_search(saved_search_id: SavedSearchId, caller: CallerDep, state: StateDep) -> Response:
    """以後の配信を止めます。配信の記録は残ります。"""
    if not state.delete_saved_search(saved_search_id, caller.key_id):
        raise HTTPException(404, f"saved search {saved_search_id!r} not found")
    return Response(status_code=204)


@router.get("/{saved_search_id}/deliveries", response_model=WebhookDeliveries, summary="webhook 配信の記録")
def list_deliveries(saved_search_id: SavedSearchId, caller: CallerDep, state: StateDep) -> WebhookDeliveries:
    """新しい順に最大100件: 状態 (delivered / failed)、試行回数、最後の HTTP ステータスとエラー。"""
    if state.saved_search(saved_search_id, caller.key_id) is None:
        raise HTTPException(404, f"saved search {saved_search_id!r} not found")
    rows = state.deliveries(saved_search_id)
    return WebhookDeliveries(count=len(rows), data=[
        WebhookDeliveryPublic(id=d.id, saved_search_id=d.saved_search_id, created_at=d.created_at,
                              index_built_at=d.index_built_at, statements=len(d.statement_ids), status=d.status,
                              attempts=d.attempts, last_status_code=d.last_status_code, last_error=d.last_error)
        for d in rows
    ])
