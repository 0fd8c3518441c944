"""Editing a deal once it is on offer (updateDeal): what never harms a diner who holds one.

A merchant sells out and adds stock, extends the sale, fixes a typo or adds to the terms; they
no longer end the deal and start another (losing its sales, share links and place in lists).
What a holder bought stays as bought: the price, the conditions and the refund terms are not
editable (a new deal for those), the use window only grows, and stock never goes below what is
already claimed (checked in the statement that writes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.context import Context
from core.error_text import between
from core.errors import Collector, ErrorCode, UserInputError
from core.schedule import check_start, utc
from core.text import check_body, check_title
from models.deals import Deal, DealStatus
from resolvers.deals import gate
from resolvers.deals.conditions import Conditions
from resolvers.deals.deals import MAX_QUANTITY, MAX_TERMS, staff_deal


@dataclass
class DealChanges:
    """None leaves a field as it is."""

    title: str | None = None
    terms: str | None = None
    quantity: int | None = None
    per_user_limit: int | None = None
    ends_at: datetime | None = None
    use_ends_at: datetime | None = None


def _check(deal: Deal, changes: DealChanges, collector: Collector, now: datetime) -> dict[str, Any]:
    """The columns to write, each checked against the deal as it is."""
    values: dict[str, Any] = {}
    if changes.title is not None:
        values["title"] = check_title(changes.title, collector)
    if changes.terms is not None:
        values["terms"] = check_body(changes.terms, "terms", MAX_TERMS, collector)
    quantity = changes.quantity if changes.quantity is not None else deal.quantity
    if changes.quantity is not None:
        if not 1 <= changes.quantity <= MAX_QUANTITY:
            stock = between(f"1 to {MAX_QUANTITY}", 1, MAX_QUANTITY)
            collector.add("quantity", ErrorCode.OUT_OF_RANGE, stock)
        values["quantity"] = changes.quantity
    if changes.per_user_limit is not None:
        if not 1 <= changes.per_user_limit <= max(1, min(quantity, 100)):
            limit = "Per-user limit is 1 to the quantity (max 100)"
            collector.add("perUserLimit", ErrorCode.OUT_OF_RANGE, limit)
        elif Conditions.from_json(deal.conditions).new_customers_only and changes.per_user_limit > 1:
            collector.add("perUserLimit", ErrorCode.INVALID, "A new-customers-only deal is one per person")
        values["per_user_limit"] = changes.per_user_limit
    use_ends = deal.use_ends_at
    if changes.use_ends_at is not None:
        kept, until = "Vouchers already sold keep at least their window", deal.use_ends_at or deal.ends_at
        use_ends = _end(changes.use_ends_at, "useEndsAt", until, collector, now, kept, or_equal=True)
        values["use_ends_at"] = use_ends
    if changes.ends_at is not None:
        after_start = "The end must be after the start"
        ends = _end(changes.ends_at, "endsAt", deal.starts_at, collector, now, after_start)
        if ends is not None and use_ends is not None and ends > use_ends:
            later = "The sale ends before vouchers stop being usable"
            collector.add("endsAt", ErrorCode.INVALID_TIME_RANGE, later)
        elif ends is not None and use_ends is None and ends < deal.ends_at:
            # The sale ends sooner; vouchers sold were usable until the old end and stay so.
            values["use_ends_at"] = deal.ends_at
        values["ends_at"] = ends
    return values


def _end(
    moment: datetime,
    field: str,
    after: datetime,
    collector: Collector,
    now: datetime,
    refusal: str,
    or_equal: bool = False,
) -> datetime | None:
    """An end still to come within the horizon (`check_start`) and after `after` (`or_equal`:
    not before it)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        collector.add(field, ErrorCode.INVALID, "Give the time with its UTC offset")
        return None
    at = utc(moment, field)  # OUT_OF_RANGE before a year-1 moment reaches a comparison
    if check_start(at, field, collector, now) and (at < after or (at == after and not or_equal)):
        collector.add(field, ErrorCode.INVALID_TIME_RANGE, refusal)
    return at


async def update_deal(ctx: Context, deal_id: int, changes: DealChanges) -> Deal:
    deal = await staff_deal(ctx, deal_id)
    if deal.status == DealStatus.ENDED:
        raise UserInputError(ErrorCode.DEAL_INACTIVE, "An ended deal stays ended", "dealId")
    now = datetime.now(UTC)
    collector = Collector()
    values = _check(deal, changes, collector, now)
    collector.raise_if_any()
    if values:
        # Stock never below what is claimed, and an ended deal stays as it ended: both checked
        # in the statement that writes (a claim or an "end" between the read and this).
        quantity = values.get("quantity", deal.quantity)
        still = Deal.filter(id=deal.id, claimed_count__lte=quantity, status__not=DealStatus.ENDED)
        written = await still.update(**values)
        if not written:
            fresh = await Deal.get(id=deal.id)
            if fresh.status == DealStatus.ENDED:
                raise UserInputError(ErrorCode.DEAL_INACTIVE, "An ended deal stays ended", "dealId")
            claimed = fresh.claimed_count
            english = f"{claimed} are already claimed: {claimed} to {MAX_QUANTITY}"
            message = between(english, claimed, MAX_QUANTITY)
            raise UserInputError(ErrorCode.OUT_OF_RANGE, message, "quantity")
        await gate.forget(ctx.services, deal.id)  # rebuilt from the new stock on the next claim
    return await Deal.get(id=deal.id)
