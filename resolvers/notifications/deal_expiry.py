"""The deal-expiry reminder job: a paid voucher about to lapse unused is worth a nudge.

Run by resolvers/jobs.py. Each voucher is reminded once (the notification's dedupe key), however
often the job runs and in however many workers.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from core.context import Context, Services
from models.deals import Claim, ClaimStatus
from models.meals import Notification
from resolvers.notifications import inbox

SCAN = 500  # vouchers looked at per run; the rest are reached on the next runs


def _key(claim_id: int) -> str:
    return f"deal_expiring:claim:{claim_id}"


async def remind_expiring(services: Services) -> int:
    """Remind holders of issued vouchers that lapse within DEAL_EXPIRY_NOTICE_HOURS."""
    now = datetime.now(UTC)
    horizon = now + timedelta(hours=services.settings.deal_expiry_notice_hours)
    claims = (
        await Claim.filter(status=ClaimStatus.ISSUED, valid_until__gt=now, valid_until__lte=horizon)
        .order_by("valid_until", "id")
        .limit(SCAN)
        .select_related("deal")
    )
    keys = [_key(c.id) for c in claims]
    done = set(await Notification.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    ctx = Context(services=services)
    told: list[int] = []
    for claim in claims:
        if _key(claim.id) in done:
            continue
        hours = max(1, math.ceil((claim.valid_until - now).total_seconds() / 3600))
        async with in_transaction("default"):
            rows = await inbox.notify(
                ctx,
                [claim.user_id],
                "deal_expiring",
                f"你的「{claim.deal.title}」券将在 {hours} 小时内过期，记得去用",
                subject=("Deal", claim.deal_id),
                dedupe_key=_key(claim.id),
            )
        told += [r.user_id for r in rows]
    await inbox.announce(ctx, told)
    return len(told)
