"""The push outbox: devices, queueing (in the notifying transaction), and the drain job.

One row per (notification, device), keyed `n<notification>:d<device>` and unique, so a
notification reaches a device at most once through us; the provider gets the key too (APNs
apns-id / collapse id). The drain claims a due row with one conditional UPDATE (status, attempt
count and due time checked in the statement), so two workers never send one attempt twice; a
transient failure is retried after base * 2^(attempt-1) seconds (capped at 6 h) until
PUSH_MAX_ATTEMPTS; a dead token removes the device.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.context import Context, Services
from core.errors import ErrorCode, UserInputError
from core.outbox import backoff, take
from core.push import Outcome, PushMessage
from models.meals import Notification
from models.notifications import DeliveryStatus, Platform, PushDelivery, PushDevice
from resolvers.accounts.accounts import write_limit

TITLE = "Tablemates"
MOVED = "the phone signed into another account"
BATCH = 100
# APNs tokens are hex (32 bytes today, longer allowed); vendor tokens are URL-safe text.
MAX_DEVICES = 10  # phones one person keeps registered (the oldest go first)
TOKEN_SHAPES = {
    Platform.IOS: re.compile(r"[0-9a-fA-F]{64,200}"),
    Platform.ANDROID: re.compile(r"[A-Za-z0-9_:\-.]{16,200}"),
}


def _token(platform: Platform, token: str) -> str:
    """The token as stored, or INVALID_DEVICE_TOKEN (also before any lookup: a 300-character
    token is no row of ours, and the column takes at most 200)."""
    token = token.strip()
    if not TOKEN_SHAPES[platform].fullmatch(token):
        raise UserInputError(ErrorCode.INVALID_DEVICE_TOKEN, "Not a push token of this platform", "token")
    return token


async def register_device(ctx: Context, platform: Platform, token: str) -> PushDevice:
    """This phone's token now belongs to the viewer (a phone signed into another account moves).
    A write (the viewer's per-minute budget); a person keeps their MAX_DEVICES most recently
    registered phones: fake tokens can't multiply every push they are sent."""
    viewer = await write_limit(ctx, "push-device")
    token = _token(platform, token)
    now = datetime.now(UTC)
    for _ in range(2):  # two registrations of one new token at once: the loser updates
        moved = await PushDevice.filter(platform=platform, token=token).update(
            user_id=viewer.id, registered_at=now
        )
        if moved:
            break
        try:
            async with in_transaction("default"):
                await PushDevice.create(user_id=viewer.id, platform=platform, token=token, registered_at=now)
            break
        except IntegrityError:
            continue
    older = PushDevice.filter(user_id=viewer.id).order_by("-registered_at", "-id").offset(MAX_DEVICES)
    stale = await older.values_list("id", flat=True)
    if stale:
        await PushDevice.filter(id__in=list(stale)).delete()
    return await PushDevice.get(platform=platform, token=token)


async def unregister_device(ctx: Context, platform: Platform, token: str) -> bool:
    """Sign-out on a phone: its token stops receiving the viewer's pushes (pending ones too).
    Never refused by the write budget: it stops pushes, a safety action."""
    viewer = ctx.require_viewer()
    token = _token(platform, token)
    if not await PushDevice.filter(user_id=viewer.id, platform=platform, token=token).delete():
        raise UserInputError(ErrorCode.NOT_FOUND, "No such phone of yours", "token")
    return True


async def my_devices(ctx: Context) -> list[PushDevice]:
    viewer = ctx.require_viewer()
    return await PushDevice.filter(user_id=viewer.id).order_by("-registered_at", "-id")


async def enqueue(rows: Sequence[Notification], kind: str) -> None:
    """Outbox rows for each notification x each of its reader's devices (caller's transaction)."""
    if not rows:
        return
    devices = await PushDevice.filter(user_id__in=list({r.user_id for r in rows}))
    now = datetime.now(UTC)
    deliveries = [
        PushDelivery(
            notification_id=row.id,
            device_id=device.id,
            idempotency_key=f"n{row.id}:d{device.id}",
            next_attempt_at=now,
        )
        for row in rows
        for device in devices
        if device.user_id == row.user_id
    ]
    if deliveries:
        await PushDelivery.bulk_create(deliveries, ignore_conflicts=True)


@dataclass
class DrainSummary:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another worker first


async def drain(services: Services, limit: int = BATCH) -> DrainSummary:
    """Send every due outbox row once (the push job)."""
    settings = services.settings
    summary = DrainSummary()
    now = datetime.now(UTC)
    due = (
        await PushDelivery.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .limit(limit)
        .select_related("device", "notification")
    )
    for row in due:
        if row.device.user_id != row.notification.user_id:
            # The phone signed into another account since this was queued (registerPushDevice
            # moved its token): the earlier account's notices never reach the new one's phone.
            moved = PushDelivery.filter(id=row.id, status=DeliveryStatus.PENDING)
            if await moved.update(status=DeliveryStatus.FAILED, last_error=MOVED):
                summary.failed += 1
            continue
        if not await take(PushDelivery.filter(id=row.id, status=DeliveryStatus.PENDING), row.attempts, now):
            summary.skipped += 1
            continue
        attempt = row.attempts + 1
        provider = services.push.get(row.device.platform.value)
        message = PushMessage(
            token=row.device.token,
            title=TITLE,
            body=row.notification.message,
            idempotency_key=row.idempotency_key,
            data={"kind": row.notification.kind, "notificationId": row.notification_id},
        )
        result = await provider.send(message) if provider else None
        mine = PushDelivery.filter(id=row.id, status=DeliveryStatus.PENDING, attempts=attempt)
        if result is not None and result.outcome == Outcome.SENT:
            await mine.update(status=DeliveryStatus.SENT, sent_at=datetime.now(UTC), last_error="")
            summary.sent += 1
        elif result is not None and result.outcome == Outcome.RETRY and attempt < settings.push_max_attempts:
            delay = backoff(settings.push_retry_base_seconds, attempt)
            await mine.update(
                next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay), last_error=result.detail[:200]
            )
            summary.retried += 1
        else:
            detail = result.detail if result else f"no provider for {row.device.platform.value}"
            await mine.update(status=DeliveryStatus.FAILED, last_error=detail[:200])
            summary.failed += 1
            if result is not None and result.outcome == Outcome.GONE:
                await PushDevice.filter(id=row.device_id, token=row.device.token).delete()
    return summary
