"""S3_PUBLIC_ENDPOINT_URL: URLs handed to phones name the public address; the API talks to the
internal one (compose: http://s3:9000 inside, the published port outside)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import yaml

from media import make_storage
from settings import Settings
from tests.servers import ROOT


def s3_settings(monkeypatch, **env: str) -> Settings:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    return Settings.from_env(
        {"ENV": "test", "SECRET_KEY": secrets.token_hex(32), "MEDIA_BACKEND": "s3", "S3_BUCKET": "photos", **env}
    )


async def test_presigned_urls_use_the_public_endpoint_and_the_api_the_internal_one(monkeypatch):
    storage = make_storage(
        s3_settings(monkeypatch, S3_ENDPOINT_URL="http://s3:9000", S3_PUBLIC_ENDPOINT_URL="https://media.example.com")
    )
    upload = await storage.presign_upload("u/1.jpg", "image/jpeg", 1000, datetime.now(UTC) + timedelta(minutes=5))
    assert upload.url.startswith("https://media.example.com/photos")
    assert urlparse(storage.url("u/1.jpg")).netloc == "media.example.com"
    assert storage.client.meta.endpoint_url == "http://s3:9000"  # reads, writes, ping stay inside


async def test_without_a_public_endpoint_the_internal_one_is_used(monkeypatch):
    storage = make_storage(s3_settings(monkeypatch, S3_ENDPOINT_URL="http://127.0.0.1:9123"))
    upload = await storage.presign_upload("u/2.jpg", "image/jpeg", 1000, datetime.now(UTC) + timedelta(minutes=5))
    assert upload.url.startswith("http://127.0.0.1:9123/photos")


def test_compose_gives_phones_a_reachable_s3_address():
    services = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())["services"]
    env = services["api"]["environment"]
    assert env["S3_ENDPOINT_URL"] == "http://s3:9000"
    assert env["S3_PUBLIC_ENDPOINT_URL"] == "${S3_PUBLIC_ENDPOINT_URL:-http://localhost:9000}"
    assert "9000:9000" in services["s3"]["ports"]
    assert "S3_PUBLIC_ENDPOINT_URL=" in (ROOT / "deploy" / "env.example").read_text()
