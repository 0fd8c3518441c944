"""Orphan clean-up: uploads never confirmed, and upload objects nothing accounts for.

An upload object is legitimate only while its photo is PENDING inside the confirmation window
(resolvers/photos.confirm_window). Everything else under `uploads/` is an orphan: a PENDING
photo whose window passed, bytes sent to an S3 presigned POST after confirmation or refusal
(S3 cannot revoke a presigned POST before it expires), a write that crashed half-way. Idempotent
and safe with several processes running it at once: rows go by a conditional DELETE, and
deleting an object that is already gone is a no-op.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.context import Services
from models.reviews import Photo, PhotoStatus
from resolvers.reviews.photos import confirm_window

log = logging.getLogger(__name__)
UPLOAD_PREFIX = "uploads/"
# An object younger than this is left alone: its row may be in the middle of being written.
GRACE = timedelta(minutes=1)
BATCH = 500


@dataclass(frozen=True)
class CleanupReport:
    expired_photos: int
    deleted_objects: int


async def cleanup_uploads(services: Services, now: datetime | None = None) -> CleanupReport:
    """Drop unconfirmed photos past their window, then every upload object no photo awaits."""
    now = now or datetime.now(UTC)
    cutoff = now - confirm_window(services.settings)
    storage = services.storage
    expired = 0
    while stale := await Photo.filter(status=PhotoStatus.PENDING, created_at__lt=cutoff).limit(BATCH):
        for photo in stale:
            if await Photo.filter(id=photo.id, status=PhotoStatus.PENDING).delete():
                expired += 1
            await storage.delete(photo.upload_key)
        if len(stale) < BATCH:
            break
    objects = [(key, at) for key, at in await storage.list_keys(UPLOAD_PREFIX) if at < now - GRACE]
    deleted = 0
    for start in range(0, len(objects), BATCH):
        chunk = objects[start : start + BATCH]
        # A local partial write is "<key>.<random>.part"; its upload key is the part before the dot.
        keys = {key: key.split(".", 1)[0] for key, _ in chunk}
        awaited = set(
            await Photo.filter(
                upload_key__in=list(set(keys.values())), status=PhotoStatus.PENDING
            ).values_list("upload_key", flat=True)
        )
        for key, modified in chunk:
            partial_done = key != keys[key] and modified < cutoff
            if keys[key] not in awaited or partial_done:
                await storage.delete(key)
                deleted += 1
    if expired or deleted:
        log.info("upload clean-up: %d unconfirmed photos expired, %d orphans deleted", expired, deleted)
    return CleanupReport(expired_photos=expired, deleted_objects=deleted)
