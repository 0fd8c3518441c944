"""The HTTP edge of /graphql: bodies are read with a size cap and decoded defensively, and every
refusal is a GraphQL-shaped JSON error with `extensions.code`, never a 500 or plain text.

Seen from hostile clients: invalid UTF-8 (UnicodeDecodeError), JSON nested 100 000 deep
(RecursionError), a JSON string or number as the body (AttributeError), lone surrogates that no
driver can encode: each crashed the request. Here they are 400s; a body over MAX_REQUEST_BYTES
is a 413 read no further than the cap.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from schema.input_guard import MESSAGE as BAD_TEXT_MESSAGE
from schema.input_guard import unstorable_text

MAX_JSON_DEPTH = 64  # variables of our schema nest a few levels; anything deeper is hostile
# A body is at most MAX_REQUEST_BYTES (64 KiB): a minute is 1 KB/s, slower than any phone network
# still worth serving (nginx's client_body_timeout is a minute too, between reads).
BODY_READ_SECONDS = 60
CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "REQUEST_TIMEOUT",
    413: "PAYLOAD_TOO_LARGE",
}


class RequestRefused(HTTPException):
    """An HTTP-level refusal that carries the GraphQL error code to answer with."""

    def __init__(self, status_code: int, reason: str, code: str | None = None) -> None:
        super().__init__(status_code, reason)
        self.code = code or CODES.get(status_code, "BAD_REQUEST")


def error_response(error: HTTPException) -> JSONResponse:
    code = getattr(error, "code", None) or CODES.get(error.status_code, "BAD_REQUEST")
    # A body too slow to arrive: the connection can't carry another request. (Not a 413: uvicorn
    # reads and drops the rest of that body, and closing while the client still sends it would
    # reset the connection before the client has read the answer.)
    headers = {"connection": "close"} if error.status_code == 408 else None
    return JSONResponse(
        {"errors": [{"message": error.reason, "extensions": {"code": code}}]},
        status_code=error.status_code,
        headers=headers,
    )


async def read_capped_body(request: Request, limit: int) -> None:
    """Read the body into the request (Starlette caches it), refusing it past `limit` bytes or
    when it is still arriving after BODY_READ_SECONDS (408): 1 000 clients each sending part of
    a body and then nothing held 42 MB and 1 000 requests open for as long as they liked."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestRefused(413, f"Request body larger than {limit} bytes")
    chunks, size = [], 0
    try:
        async with asyncio.timeout(BODY_READ_SECONDS):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise RequestRefused(413, f"Request body larger than {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise RequestRefused(408, f"The request body took longer than {BODY_READ_SECONDS} s") from None
    request._body = b"".join(chunks)  # what request.body() returns from now on


def _too_deep(value: Any, limit: int) -> bool:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def decode_body(data: str | bytes) -> object:
    """Strict UTF-8 JSON, bounded nesting, storable text (query-string parameters too)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise RequestRefused(400, "The request body is not valid UTF-8") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise RequestRefused(400, f"JSON nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:
        raise RequestRefused(400, "Unable to parse request body as JSON") from None
    if _too_deep(value, MAX_JSON_DEPTH):
        raise RequestRefused(400, f"JSON nests deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(value, dict | list):  # a list is a batch, refused by strawberry
        raise RequestRefused(400, "Expected a JSON object")
    if unstorable_text(value):
        raise RequestRefused(400, BAD_TEXT_MESSAGE, "BAD_USER_INPUT")
    return value


def is_request_error(response: dict[str, Any]) -> bool:
    """Parse, validation, variable or limit failures: nothing executed, no error has a path."""
    errors = response.get("errors")
    return bool(errors) and response.get("data") is None and all("path" not in e for e in errors)
