"""HTTP answers while PostgreSQL or Redis is unreachable: 503 with Retry-After, never a 500.

Two places see such a failure. Inside GraphQL execution, ClassifyErrors gives the error the code
UNAVAILABLE and `mark_unavailable` sets the status and header. Outside it (signing in the bearer
token before execution, the payment webhook, any other route) the exception reaches
`UnavailableMiddleware`, which answers in the same GraphQL shape.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import ErrorCode
from core.unavailable import MESSAGE, RETRY_AFTER_SECONDS, is_unavailable

log = logging.getLogger("tablemates.unavailable")

CODE = ErrorCode.UNAVAILABLE.value
# In our compact JSON (no spaces) a string value can hold `"` only escaped, so this byte sequence
# appears only as a real `code` entry: an error's extensions or a payload UserError.
_CODE_IN_BODY = f'"code":"{CODE}"'.encode()


def mark_unavailable(response: Response, response_data: Any) -> None:
    """503 when a top-level error is UNAVAILABLE; Retry-After whenever any answer is, including
    a payload UserError (a claim refused because the limiter's Redis is down)."""
    if _CODE_IN_BODY not in response.body:
        return
    response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
    errors = response_data.get("errors") if isinstance(response_data, dict) else None
    if any((e.get("extensions") or {}).get("code") == CODE for e in errors or ()):
        response.status_code = 503


def unavailable_body() -> bytes:
    return json.dumps({"errors": [{"message": MESSAGE, "extensions": {"code": CODE}}]}).encode()


class UnavailableMiddleware:
    """Pure ASGI: a lost or refused store connection that escapes a route becomes a 503."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as error:
            if started or not is_unavailable(error):
                raise
            log.warning("store unavailable on %s: %r", scope.get("path"), error)
            body = unavailable_body()
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
