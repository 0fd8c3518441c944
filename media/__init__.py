"""Photo storage: local disk or S3, behind media.storage.Storage."""

from __future__ import annotations

from media.storage import PresignedUpload, Storage
from settings import Settings

__all__ = ["PresignedUpload", "Storage", "make_storage"]


def make_storage(settings: Settings) -> Storage:
    if settings.media_backend == "s3":
        from media.s3 import S3Storage

        assert settings.s3_bucket is not None  # checked by Settings
        return S3Storage(
            settings.s3_bucket,
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.public_media,
            public_endpoint_url=settings.s3_public_endpoint_url,
        )
    from media.local import LocalStorage

    return LocalStorage(
        settings.media_root, settings.public_base_url, settings.secret_key, settings.public_media
    )
