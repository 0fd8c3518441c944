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
from typing import Any

from tortoise import connections
from tortoise.expressions import F

from core.atomic import update_returning
from core.context import Context
from models.deals import ClaimStatus, Deal, DealStatus, UserDealCount
from resolvers.deals import gate, refunds, voucher_notices
from resolvers.notifications import inbox

INLINE_REFUNDS = 50


@dataclass
class Closure:
    """What closing ended; `settle` finishes it after the commit."""

    deal_ids: list[int] = field(default_factory=list)
    owed: list[tuple[int, str, int]] = field(default_factory=list)  # claim, intent, cents
    holders: list[int] = field(default_factory=list)


async def end_sales(ctx: Context, restaurant_id: int, state: str = "已停业") -> Closure:
    """Inside the close-down's transaction (archived, or removed by moderation): deals ended,
    open vouchers refunded or cancelled; `state` is what the holders' notice says happened."""
    now = datetime.now(UTC)
    await _lock_holds(restaurant_id)
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
        # Unused and still usable, or awaiting payment; a voucher past its use window is the
        # expiry job's (refunded only by a 过期自动退 deal).
        "(status = ? OR (status = ? AND valid_until > ?)) "
        "AND deal_id IN (SELECT id FROM deals WHERE restaurant_id = ?)",
        [
            ClaimStatus.REFUNDED.value,
            ClaimStatus.CANCELLED.value,
            now,
            ClaimStatus.PENDING_PAYMENT.value,
            ClaimStatus.ISSUED.value,
            now,
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
    await _tell_holders(ctx, restaurant_id, claims, closure, state)
    return closure


async def _lock_holds(restaurant_id: int) -> None:
    """The people's hold rows of the restaurant's deals first: a claim (and a refund) locks its
    holder's row, then the deal's; a close taking the deals first deadlocked with the claims of
    a busy restaurant and mostly failed. Rows a claim inserts meanwhile need no lock: that claim
    finds the deal ended once this commits. (SQLite's writers are one at a time already.)"""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(
            "SELECT 1 FROM user_deal_counts WHERE deal_id IN (SELECT id FROM deals WHERE restaurant_id = $1) "
            "ORDER BY deal_id, user_id FOR UPDATE",
            [restaurant_id],
        )


async def _tell_holders(
    ctx: Context, restaurant_id: int, claims: list[dict[str, Any]], closure: Closure, state: str
) -> None:
    """Each holder once, naming the restaurant and what happened to their vouchers."""
    name = await voucher_notices.restaurant_name(restaurant_id)
    refunded: dict[int, list[int]] = {}
    cancelled: Counter[int] = Counter()
    for row in claims:
        if row["status"] == ClaimStatus.REFUNDED.value:
            refunded.setdefault(row["user_id"], []).append(row["amount_cents"])
        elif row["amount_cents"] == 0:  # a free voucher (an unpaid order held no money)
            cancelled[row["user_id"]] += 1
    for user_id in sorted(set(refunded) | set(cancelled)):
        parts = []
        if user_id in refunded:
            amount = voucher_notices.yuan(sum(refunded[user_id]))
            parts.append(f"{len(refunded[user_id])} 张未使用的团购券已发起原路退款 {amount}")
        if cancelled[user_id]:
            parts.append(f"{cancelled[user_id]} 张免费券已失效")
        await inbox.notify(
            ctx,
            [user_id],
            "voucher_refunded",
            f"「{name}」{state}：" + "，".join(parts),
            dedupe_key=f"voucher_refunded:{restaurant_id}:{user_id}",
        )
        closure.holders.append(user_id)


async def settle(ctx: Context, closure: Closure) -> None:
    """After the commit: gates dropped, the first refunds asked for, the diners told."""
    for deal_id in closure.deal_ids:
        await gate.forget(ctx.services, deal_id)
    for claim_id, intent, cents in closure.owed[:INLINE_REFUNDS]:
        await refunds.pay(ctx.services, claim_id, intent, cents)
    await inbox.announce(ctx, closure.holders)
