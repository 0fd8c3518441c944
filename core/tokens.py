"""Signed bearer tokens: user id, token version, expiry and session, HMAC-SHA256 over the secret.

The version lets the server revoke every outstanding token of a user at once (suspension,
password change) without reading a token table; the session id lets one device sign out alone.
Only the exact canonical encoding is accepted: padding, the standard base64 alphabet, stray
characters or non-zero trailing bits would otherwise give one token many spellings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

PREFIX = "tm1"
MAX_TOKEN_CHARS = 512
_URLSAFE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    version: int
    expires_at: int
    session_id: int | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    """Strict inverse of _b64: anything but its own output raises ValueError."""
    if not _URLSAFE.fullmatch(text):
        raise ValueError("not unpadded URL-safe base64")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # non-zero trailing bits decode to the same bytes
        raise ValueError("not the canonical encoding")
    return data


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def issue_token(
    secret: str, user_id: int, version: int, ttl_seconds: int, session_id: int | None = None
) -> str:
    claims = [user_id, version, int(time.time()) + ttl_seconds]
    if session_id is not None:
        claims.append(session_id)
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{PREFIX}.{body}.{_sign(secret, body)}"


def read_token(secret: str, token: str, now: float | None = None) -> TokenClaims | None:
    """Claims of a valid, unexpired, canonically spelled token; None for anything else."""
    if len(token) > MAX_TOKEN_CHARS or not token.isascii():
        return None
    try:
        prefix, body, signature = token.split(".")
        if prefix != PREFIX:
            return None
        if not hmac.compare_digest(_unb64(signature), _unb64(_sign(secret, body))):
            return None
        claims = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    # Tokens minted before sessions existed (and by tools) carry no session id.
    if not isinstance(claims, list) or len(claims) not in (3, 4):
        return None
    if not all(type(v) is int for v in claims):  # bool is an int subclass: refuse it
        return None
    user_id, version, expires_at, *rest = claims
    if expires_at <= (now if now is not None else time.time()):
        return None
    return TokenClaims(user_id, version, expires_at, rest[0] if rest else None)
