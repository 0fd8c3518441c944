"""Local disk storage; uploads go to an HMAC-signed URL served by the app itself."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from media.signing import sign
from media.storage import PresignedUpload

DOWNLOAD_TTL_SECONDS = 3600


class LocalStorage:
    def __init__(self, root: Path, base_url: str, secret: str, public: bool = False) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.public = public

    def path_for(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("key escapes the media root")
        return path

    async def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_at: datetime
    ) -> PresignedUpload:
        expires = str(int(expires_at.timestamp()))
        signature = sign(self.secret, "PUT", key, content_type, str(max_bytes), expires)
        query = urlencode({"ct": content_type, "max": max_bytes, "exp": expires, "sig": signature})
        return PresignedUpload(
            url=f"{self.base_url}/media/upload/{key}?{query}",
            method="PUT",
            expires_at=expires_at,
            headers={"Content-Type": content_type},
        )

    async def read(self, key: str) -> bytes | None:
        path = self.path_for(key)
        return await asyncio.to_thread(lambda: path.read_bytes() if path.is_file() else None)

    async def write(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path_for(key)

        def _write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)

        await asyncio.to_thread(_write)

    async def write_once(self, key: str, data: bytes) -> bool:
        """Create the object unless it exists (atomic: link, never replace); False if it did."""
        path = self.path_for(key)

        def _write() -> bool:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.part")
            tmp.write_bytes(data)
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
            finally:
                tmp.unlink(missing_ok=True)
            return True

        return await asyncio.to_thread(_write)

    async def list_keys(self, prefix: str) -> list[tuple[str, datetime]]:
        """Every object under prefix (partial writes included), with its modification time."""
        root = self.root.resolve()

        def _list() -> list[tuple[str, datetime]]:
            base = self.path_for(prefix.rstrip("/") + "/x").parent
            if not base.is_dir():
                return []
            return [
                (path.relative_to(root).as_posix(), datetime.fromtimestamp(path.stat().st_mtime, UTC))
                for path in base.rglob("*")
                if path.is_file()
            ]

        return await asyncio.to_thread(_list)

    async def delete(self, key: str) -> None:
        path = self.path_for(key)
        await asyncio.to_thread(lambda: path.unlink(missing_ok=True))

    def url(self, key: str) -> str:
        if self.public:
            return f"{self.base_url}/media/files/{key}"
        expires = str(int(time.time()) + DOWNLOAD_TTL_SECONDS)
        signature = sign(self.secret, "GET", key, expires)
        return f"{self.base_url}/media/files/{key}?{urlencode({'exp': expires, 'sig': signature})}"

    async def ping(self) -> None:
        await asyncio.to_thread(lambda: self.root.mkdir(parents=True, exist_ok=True))
