"""S3 storage via boto3; boto3 blocks, so every call runs in a worker thread."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from media.storage import PresignedUpload

DOWNLOAD_TTL_SECONDS = 3600


class S3Storage:
    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        public: bool = False,
        public_endpoint_url: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.public = public
        self.client = self._client(endpoint_url, region)
        # URLs handed to clients (presigned uploads, downloads) name the address phones reach,
        # e.g. a compose-internal http://s3:9000 behind https://media.example.com; a signature
        # covers the host, so they are signed by a client for that address.
        self.public_endpoint_url = public_endpoint_url or endpoint_url
        self.signer = self._client(public_endpoint_url, region) if public_endpoint_url else self.client

    @staticmethod
    def _client(endpoint_url: str | None, region: str) -> object:
        return boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    async def ensure_bucket(self) -> None:
        def _ensure() -> None:
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError:
                self.client.create_bucket(Bucket=self.bucket)

        await asyncio.to_thread(_ensure)

    async def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_at: datetime
    ) -> PresignedUpload:
        expires_in = max(1, int((expires_at - datetime.now(UTC)).total_seconds()))
        post = await asyncio.to_thread(
            self.signer.generate_presigned_post,
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=expires_in,
        )
        return PresignedUpload(url=post["url"], method="POST", expires_at=expires_at, fields=post["fields"])

    async def read(self, key: str) -> bytes | None:
        def _read() -> bytes | None:
            try:
                return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise

        return await asyncio.to_thread(_read)

    async def write(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object, Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
        )

    async def list_keys(self, prefix: str) -> list[tuple[str, datetime]]:
        """Every object under prefix, with its LastModified."""

        def _list() -> list[tuple[str, datetime]]:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            items = (item for page in pages for item in page.get("Contents", []))
            return [(item["Key"], item["LastModified"]) for item in items]

        return await asyncio.to_thread(_list)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=key)

    def url(self, key: str) -> str:
        if self.public:
            base = self.public_endpoint_url or f"https://{self.bucket}.s3.amazonaws.com"
            return f"{base.rstrip('/')}/{self.bucket}/{key}"
        return self.signer.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=DOWNLOAD_TTL_SECONDS
        )

    async def ping(self) -> None:
        await asyncio.to_thread(self.client.head_bucket, Bucket=self.bucket)
