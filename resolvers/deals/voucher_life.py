"""Scheduled voucher life (resolvers/jobs.py runs these): expiry with 过期自动退, reminders.

ISSUED → REDEEMED at the till, or when the use window ends → EXPIRED, or REFUNDED when the deal
refunds automatically on expiry and the voucher was paid. The status change is one conditional
`UPDATE … RETURNING`; only the rows that statement changed are refunded, and a row changes once,
so two workers running the job at the same time refund each voucher exactly once, for exactly
what was paid (`amount_cents` of that row).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from core.atomic import update_returning
from core.context import Context, Services
from models.deals import Claim, ClaimStatus
from resolvers.deals import refunds, voucher_notices
from resolvers.notifications import inbox
from resolvers.tables.offers import local_time

log = logging.getLogger("tablemates.vouchers")

BATCH = 500


@dataclass
class Expired:
    expired: int = 0
    refunded: int = 0


async def expire_vouchers(services: Services) -> Expired:
    """End every issued voucher whose use window is over; refund the 过期自动退 ones that were paid."""
    now = datetime.now(UTC)
    done = Expired()
    ctx = Context(services=services)
    while True:
        async with in_transaction("default"):  # the refunds owed in the same commit as the batch
            rows = await update_returning(
                "claims",
                "status = CASE WHEN paid AND deal_id IN (SELECT id FROM deals WHERE refund_on_expiry) "
                "THEN ? ELSE ? END, ended_at = ?",
                "id IN (SELECT id FROM claims WHERE status = ? AND valid_until <= ? ORDER BY id LIMIT ?)"
                " AND status = ?",
                [
                    ClaimStatus.REFUNDED.value,
                    ClaimStatus.EXPIRED.value,
                    now,
                    ClaimStatus.ISSUED.value,
                    now,
                    BATCH,
                    ClaimStatus.ISSUED.value,
                ],
                "id, user_id, deal_id, status, payment_intent, amount_cents",
            )
            owed = [r for r in rows if r["status"] == ClaimStatus.REFUNDED.value and r["payment_intent"]]
            for row in owed:
                await refunds.owe(row["id"], row["payment_intent"], row["amount_cents"])
                # 过期自动退: the holder is told with the refund, in the same commit.
                await voucher_notices.refunded(
                    ctx, row["id"], row["user_id"], row["deal_id"], row["amount_cents"]
                )
        for row in owed:
            await refunds.pay(services, row["id"], row["payment_intent"], row["amount_cents"])
            log.info("voucher %s refunded on expiry", row["id"])
        await inbox.announce(ctx, [row["user_id"] for row in owed])
        done.refunded += len(owed)
        done.expired += len(rows) - len(owed)
        if len(rows) < BATCH:
            return done


async def remind_expiring(services: Services) -> int:
    """One reminder per voucher, DEAL_EXPIRY_NOTICE_HOURS before its use window ends.

    `reminded_at` is set by the statement that picks the vouchers, so two workers never remind
    twice (and the notification's dedupe key would refuse a second row anyway).
    """
    now = datetime.now(UTC)
    horizon = now + timedelta(hours=services.settings.deal_expiry_notice_hours)
    ctx = Context(services=services)
    async with in_transaction("default"):
        rows = await update_returning(
            "claims",
            "reminded_at = ?",
            "status = ? AND reminded_at IS NULL AND valid_until > ? AND valid_until <= ?",
            [now, ClaimStatus.ISSUED.value, now, horizon],
            "id",
        )
        claims = await Claim.filter(id__in=[row["id"] for row in rows]).select_related("deal__restaurant")
        for claim in claims:
            # When it lapses, in the restaurant's local time (12月9日 14:00): "within 48 hours"
            # was stale by the time it was read, and named no restaurant.
            place = claim.deal.restaurant
            until = local_time(claim.valid_until, place.timezone or "UTC")
            await inbox.notify(
                ctx,
                [claim.user_id],
                "deal_expiring",
                f"你在「{place.name}」的「{claim.deal.title}」券将于 {until} 过期，记得去用",
                subject=("Deal", claim.deal_id),
                dedupe_key=f"deal_expiring:claim:{claim.id}",
            )
    await inbox.announce(ctx, [claim.user_id for claim in claims])
    return len(claims)
