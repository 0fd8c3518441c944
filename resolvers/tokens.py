"""Signed bearer tokens: user id, token version and expiry, HMAC-SHA256 over the secret.

The version lets the server revoke every outstanding token of a user at once (suspension,
password change) without a token table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    version: int
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(secret: str, user_id: int, version: int, ttl_seconds: int) -> str:
    body = _b64(json.dumps([user_id, version, int(time.time()) + ttl_seconds]).encode())
    signature = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    return f"tm1.{body}.{signature}"


def read_token(secret: str, token: str, now: float | None = None) -> TokenClaims | None:
    """Claims of a valid, unexpired token; None for anything else."""
    try:
        prefix, body, signature = token.split(".")
        if prefix != "tm1":
            return None
        expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            return None
        user_id, version, expires_at = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    if not all(isinstance(v, int) for v in (user_id, version, expires_at)):
        return None
    if expires_at <= (now if now is not None else time.time()):
        return None
    return TokenClaims(user_id, version, expires_at)
