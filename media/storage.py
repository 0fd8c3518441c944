"""The storage interface: presigned uploads straight from clients, then server-side checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    method: str
    expires_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


class Storage(Protocol):
    async def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_at: datetime
    ) -> PresignedUpload: ...

    async def read(self, key: str) -> bytes | None:
        """The object's bytes, or None when it does not exist."""
        ...

    async def write(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def list_keys(self, prefix: str) -> list[tuple[str, datetime]]:
        """Keys under prefix with their last-modified times (the orphan clean-up walks uploads/)."""
        ...

    def url(self, key: str) -> str:
        """A URL a client can GET (signed unless media is public)."""
        ...

    async def ping(self) -> None:
        """Raise when the store does not answer (readiness)."""
        ...
