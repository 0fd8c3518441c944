"""HMAC signatures for local upload and download URLs."""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, *parts: str) -> str:
    message = "\n".join(parts).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, signature: str, *parts: str) -> bool:
    return hmac.compare_digest(sign(secret, *parts), signature)
