"""Persisted queries, stored in Redis: Apollo's automatic persisted queries (APQ) and an allow-list.

APQ (PERSISTED_QUERIES=apq, the default): a client sends only `extensions.persistedQuery.sha256Hash`;
an unknown hash answers PersistedQueryNotFound, and the client resends hash + query, which is
stored (after checking the hash) for later hash-only requests. Saves mobile bandwidth only.

Allow-list (PERSISTED_QUERIES=allowlist, for a public production API): only documents registered
with `app.py register-queries DIR` run, by hash or by their exact text; clients cannot register.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis_asyncio

MODES = ("off", "apq", "allowlist")
APQ_TTL_SECONDS = 7 * 24 * 3600  # a client re-registers a forgotten hash with one extra round trip
# Storing is an optimisation the client can't tell apart from a miss (it resends the text next
# time), so it is budgeted: an app's release registers each of its ~100 operations once, from
# whichever phone asks first; past a budget the operation runs and is not kept. Bounds Redis
# (the embedded default: the worker's own memory) to ~1000 x 7 x 8 KB however many ask.
APQ_STORES_PER_ADDRESS_PER_DAY = 100
APQ_STORES_PER_DAY = 1000
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class PersistedQueryError(Exception):
    """A refusal in Apollo's words: message and extensions.code, with the HTTP status."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


@dataclass
class PersistedQueries:
    redis: redis_asyncio.Redis
    namespace: str
    mode: str = "apq"
    max_document_bytes: int = 8 * 1024

    def _key(self, kind: str, digest: str) -> str:
        return f"{self.namespace}:pq:{kind}:{digest}"

    async def register(self, document: str) -> str:
        """Add a document to the allow-list (CLI); returns its hash."""
        digest = sha256_hex(document)
        await self.redis.set(self._key("allow", digest), document)
        return digest

    async def _lookup(self, digest: str) -> str | None:
        kinds = ("allow",) if self.mode == "allowlist" else ("allow", "apq")
        for kind in kinds:
            found = await self.redis.get(self._key(kind, digest))
            if found is not None:
                return found.decode() if isinstance(found, bytes) else found
        return None

    async def resolve(
        self,
        query: str | None,
        extensions: dict[str, Any] | None,
        may_store: Callable[[str], Awaitable[bool]] | None = None,
    ) -> str | None:
        """The document to run for this request, or a PersistedQueryError. A new APQ document
        is stored only when `may_store(query)` agrees (it validates, within the budgets)."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            listed = self.mode != "allowlist" or (query is not None and await self._lookup(sha256_hex(query)))
            if not listed:
                raise PersistedQueryError(400, "PersistedQueryNotInList", "PERSISTED_QUERY_NOT_IN_LIST")
            return query
        if self.mode == "off":
            raise PersistedQueryError(400, "PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(digest, str) or persisted.get("version") != 1:
            raise PersistedQueryError(400, "Unsupported persistedQuery extension", "BAD_REQUEST")
        digest = digest.lower()
        if not SHA256_HEX.fullmatch(digest):
            raise PersistedQueryError(400, "Unsupported persistedQuery extension", "BAD_REQUEST")
        if query is None:
            found = await self._lookup(digest)
            if found is None:
                # 200 as in Apollo Server: clients read the error and resend with the query.
                raise PersistedQueryError(200, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            return found
        if sha256_hex(query) != digest:
            raise PersistedQueryError(400, "provided sha does not match query", "BAD_REQUEST")
        if self.mode == "allowlist":
            if await self._lookup(digest) is None:
                raise PersistedQueryError(400, "PersistedQueryNotInList", "PERSISTED_QUERY_NOT_IN_LIST")
        elif len(query.encode()) <= self.max_document_bytes:  # larger ones fail validation anyway
            key = self._key("apq", digest)
            if not await self.redis.exists(key) and (may_store is None or await may_store(query)):
                await self.redis.set(key, query, ex=APQ_TTL_SECONDS)
        return query
