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

from core import pubsub
from core.atomic import update_returning
from core.context import Services
from core.payments import refund_or_log
from models.deals import ClaimStatus
from resolvers.meals import notifications

log = logging.getLogger("tablemates.vouchers")

BATCH = 500
REMIND_BEFORE = timedelta(days=3)


@dataclass
class Expired:
    expired: int = 0
    refunded: int = 0


async def expire_vouchers(services: Services) -> Expired:
    """End every issued voucher whose use window is over; refund the 过期自动退 ones that were paid."""
    now = datetime.now(UTC)
    done = Expired()
    while True:
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
            "id, status, payment_intent, amount_cents",
        )
        for row in rows:
            if row["status"] == ClaimStatus.REFUNDED.value and row["payment_intent"]:
                await refund_or_log(services.payments, row["payment_intent"], row["amount_cents"])
                done.refunded += 1
                log.info("voucher %s refunded on expiry", row["id"])
            else:
                done.expired += 1
        if len(rows) < BATCH:
            return done


async def remind_expiring(services: Services) -> int:
    """One notification per voucher, REMIND_BEFORE its use window ends (reminded_at set once)."""
    now = datetime.now(UTC)
    async with in_transaction("default"):
        rows = await update_returning(
            "claims",
            "reminded_at = ?",
            "status = ? AND reminded_at IS NULL AND valid_until > ? AND valid_until <= ?",
            [now, ClaimStatus.ISSUED.value, now, now + REMIND_BEFORE],
            "id, user_id, valid_until",
        )
        for row in rows:
            await notifications.notify(
                None, [row["user_id"]], "voucher_expiring", f"A voucher of yours expires soon (#{row['id']})"
            )
    for user_id in {row["user_id"] for row in rows}:
        await pubsub.publish(services, notifications.TOPIC, user_id, {"userId": user_id})
    return len(rows)
