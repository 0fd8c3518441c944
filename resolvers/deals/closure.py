"""A restaurant that closes (archiveRestaurant) takes its deals off sale and gives every diner
holding one of its unused vouchers their money back (闭店退): nobody is left with a paid voucher
no till can take.

Each claim ends in the one conditional update that picks it (issued or awaiting payment), so a
redemption at the till at the same moment either wins (REDEEMED, not refunded) or loses (the
voucher is refunded); a payment landing later on a claim cancelled here is refunded by the
webhook. Refunds are owed in the archive's own commit (resolvers/deals/refunds.py); the first
`INLINE_REFUNDS` are asked for at once, the rest by the `retry-refunds` job.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.expressions import F

from core.atomic import update_returning
from core.context import Context
from models.deals import ClaimStatus, Deal, DealStatus, UserDealCount
from resolvers.deals import gate, refunds
from resolvers.notifications import inbox

INLINE_REFUNDS = 50


@dataclass
class Closure:
    """What closing ended; `settle` finishes it after the commit."""

    deal_ids: list[int] = field(default_factory=list)
    owed: list[tuple[int, str, int]] = field(default_factory=list)  # claim, intent, cents
    holders: list[int] = field(default_factory=list)


async def end_sales(ctx: Context, restaurant_id: int) -> Closure:
    """Inside the archive's transaction: deals ended, open vouchers refunded or cancelled."""
    now = datetime.now(UTC)
    deals = await update_returning(
        "deals",
        "status = ?",
        "restaurant_id = ? AND status <> ?",
        [DealStatus.ENDED.value, restaurant_id, DealStatus.ENDED.value],
        "id",
    )
    claims = await update_returning(
        "claims",
        "status = CASE WHEN paid THEN ? ELSE ? END, ended_at = ?",
        "status IN (?, ?) AND deal_id IN (SELECT id FROM deals WHERE restaurant_id = ?)",
        [
            ClaimStatus.REFUNDED.value,
            ClaimStatus.CANCELLED.value,
            now,
            ClaimStatus.ISSUED.value,
            ClaimStatus.PENDING_PAYMENT.value,
            restaurant_id,
        ],
        "id, deal_id, user_id, status, paid, payment_intent, amount_cents",
    )
    closure = Closure(deal_ids=[row["id"] for row in deals])
    # Stock and per-person holds back, one statement per deal and per holder (exact counters).
    for deal_id, count in Counter(row["deal_id"] for row in claims).items():
        await Deal.filter(id=deal_id).update(claimed_count=F("claimed_count") - count)
    for (deal_id, user_id), count in Counter((r["deal_id"], r["user_id"]) for r in claims).items():
        await UserDealCount.filter(deal_id=deal_id, user_id=user_id).update(held=F("held") - count)
    for row in claims:
        if row["status"] == ClaimStatus.REFUNDED.value and row["payment_intent"]:
            await refunds.owe(row["id"], row["payment_intent"], row["amount_cents"])
            closure.owed.append((row["id"], row["payment_intent"], row["amount_cents"]))
    closure.holders = sorted({row["user_id"] for row in claims if row["paid"]})
    if closure.holders:
        await inbox.notify(
            ctx,
            closure.holders,
            "voucher_refunded",
            "商家已停业，你未使用的团购券已全额退款",
            subject=("Restaurant", restaurant_id),
        )
    return closure


async def settle(ctx: Context, closure: Closure) -> None:
    """After the commit: gates dropped, the first refunds asked for, the diners told."""
    for deal_id in closure.deal_ids:
        await gate.forget(ctx.services, deal_id)
    for claim_id, intent, cents in closure.owed[:INLINE_REFUNDS]:
        await refunds.pay(ctx.services, claim_id, intent, cents)
    await inbox.announce(ctx, closure.holders)
