"""HEAD on the ``/v1`` reads: the GET's status and headers without the body (RFC 9110 §9.3.2).

FastAPI routes answer only the methods they declare, so ``HEAD /v1/assemblies`` was a 405 while
link checkers, monitors and CRM connectors probe with HEAD (``curl -I``). Declaring HEAD on every
route would double the operations in the OpenAPI document, so the request is run as a GET here
and its body dropped; Content-Length still says what a GET would send.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/v1/"


class HeadAsGet:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the rest of a streamed body: HEAD sends none of it
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
