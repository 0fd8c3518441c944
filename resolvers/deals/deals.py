"""Deals and vouchers: create, pause/end, claim (idempotent, never oversold), pay, redeem, refund.

Stock and per-user limits are counters changed only by conditional updates inside the claim's
transaction (`claimed_count < quantity`, `held < per_user_limit`): no interleaving of claims can
oversell, on PostgreSQL (row locks) or SQLite (one writer). The idempotency key is unique per
user in the database, so parallel retries with one key make one claim.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import asyncpg
from redis.exceptions import RedisError
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core.atomic import execute, lock_row, update_returning
from core.context import Context, Services
from core.error_text import between, explained
from core.errors import Collector, ErrorCode, UserInputError
from core.loaders import group_by_key, rows_of
from core.metrics import REDIS_ERRORS
from core.nearby import near
from core.pagination import Page, newest_first
from core.payments import PaymentError, PaymentIntent
from core.schedule import check_in_window, check_window, utc
from core.text import check_body, check_title
from models.accounts import Role, User
from models.deals import (
    Claim,
    ClaimStatus,
    Deal,
    DealStatus,
    DealView,
    ReferralCredit,
    SourceType,
    UserDealCount,
)
from models.restaurants import Restaurant, RestaurantStaff, Visibility
from resolvers import visibility
from resolvers.accounts.accounts import write_limit, write_window
from resolvers.accounts.roles import require_diner
from resolvers.deals import attribution, gate, reads, refunds, rollup, voucher_notices, vouchers
from resolvers.deals.conditions import Conditions, check_claim, check_redeem, usable_between
from resolvers.deals.conditions import check as check_conditions
from resolvers.notifications import inbox
from resolvers.restaurants.access import require_staff
from resolvers.restaurants.restaurants import MAX_PRICE_CENTS
from resolvers.reviews import ratings

log = logging.getLogger("tablemates.payments")
view_log = logging.getLogger("tablemates.deals")
PAY_WITHIN = timedelta(minutes=15)
REFERRAL_CREDIT_CENTS = 500  # ¥5 per redeemed voucher, whatever the source said
MAX_QUANTITY = 100_000
MAX_TERMS = 4000  # characters of a deal's free-text terms
HELD = (ClaimStatus.PENDING_PAYMENT, ClaimStatus.ISSUED, ClaimStatus.REDEEMED)


@dataclass
class DealFields:
    restaurant_id: int
    title: str
    price_cents: int
    original_price_cents: int
    quantity: int
    per_user_limit: int
    starts_at: datetime
    ends_at: datetime
    terms: str = ""
    conditions: Conditions = field(default_factory=Conditions)
    use_starts_at: datetime | None = None
    use_ends_at: datetime | None = None
    refund_anytime: bool = True
    refund_on_expiry: bool = False


def _check(fields: DealFields, collector: Collector, zone: str) -> None:
    fields.title = check_title(fields.title, collector)
    fields.terms = check_body(fields.terms, "terms", MAX_TERMS, collector)
    if not 0 <= fields.price_cents <= MAX_PRICE_CENTS:
        collector.add("priceCents", ErrorCode.OUT_OF_RANGE, "Price out of range")
    if not 0 < fields.original_price_cents <= MAX_PRICE_CENTS:
        collector.add("originalPriceCents", ErrorCode.OUT_OF_RANGE, "Original price out of range")
    elif fields.price_cents > fields.original_price_cents:
        collector.add("priceCents", ErrorCode.INVALID, "A deal costs no more than the original price")
    if not 1 <= fields.quantity <= MAX_QUANTITY:
        collector.add(
            "quantity", ErrorCode.OUT_OF_RANGE, between(f"Quantity is 1 to {MAX_QUANTITY}", 1, MAX_QUANTITY)
        )
    if not 1 <= fields.per_user_limit <= max(1, min(fields.quantity, 100)):
        collector.add("perUserLimit", ErrorCode.OUT_OF_RANGE, "Per-user limit is 1 to the quantity (max 100)")
    elif fields.conditions.new_customers_only and fields.per_user_limit > 1:
        # 新客专享: the first redemption makes the diner a returning customer, so a second voucher
        # could never be used (and, not 随时退, never be refunded either).
        collector.add("perUserLimit", ErrorCode.INVALID, "A new-customers-only deal is one per person")
    if fields.starts_at.tzinfo is None:
        collector.add("startsAt", ErrorCode.INVALID, "Give the time with its UTC offset")
    else:  # no lower bound otherwise (a sale may start now): year 1 must not reach utc()
        check_in_window(fields.starts_at, "startsAt", collector)
    check_window(fields.starts_at, fields.ends_at, "endsAt", collector)
    if not collector.has("endsAt") and fields.ends_at <= datetime.now(UTC):
        collector.add("endsAt", ErrorCode.IN_THE_PAST, "The deal would already be over")
    _check_use_window(fields, collector)
    check_conditions(fields.conditions, collector)
    if not collector.errors:
        # Weekdays, hours and dates that leave no moment of the use window (Mondays only, for a
        # window Tuesday to Sunday): every voucher sold could only expire.
        start, end = fields.use_starts_at or fields.starts_at, fields.use_ends_at or fields.ends_at
        if not usable_between(fields.conditions, max(start, datetime.now(UTC)), end, zone):
            collector.add("conditions", ErrorCode.INVALID, "These rules leave no time to use the voucher")


def _check_use_window(fields: DealFields, collector: Collector) -> None:
    """Usable from/until (default: the sale window); never ends before the sale does."""
    start, end = fields.use_starts_at, fields.use_ends_at
    if start is not None and start.tzinfo is None:
        collector.add("useStartsAt", ErrorCode.INVALID, "Give the time with its UTC offset")
    elif start is not None and check_in_window(start, "useStartsAt", collector):
        # Without useEndsAt vouchers are usable until the sale ends: the window must not be empty.
        if end is None and fields.ends_at.tzinfo is not None and start >= fields.ends_at:
            collector.add("useStartsAt", ErrorCode.INVALID_TIME_RANGE, "Usable from before the sale ends")
    if end is None or fields.ends_at.tzinfo is None:
        return
    check_window(start or fields.starts_at, end, "useEndsAt", collector)
    if end.tzinfo is not None and end < fields.ends_at:
        collector.add("useEndsAt", ErrorCode.INVALID_TIME_RANGE, "Vouchers stay usable until the sale ends")


async def create_deal(ctx: Context, fields: DealFields) -> Deal:
    viewer = await write_limit(ctx, "deal")
    place = await require_staff(viewer, fields.restaurant_id)
    collector = Collector()
    _check(fields, collector, place.timezone or "UTC")
    collector.raise_if_any()
    return await Deal.create(
        restaurant_id=fields.restaurant_id,
        created_by_id=viewer.id,
        title=fields.title,
        terms=fields.terms.strip(),
        price_cents=fields.price_cents,
        original_price_cents=fields.original_price_cents,
        quantity=fields.quantity,
        per_user_limit=fields.per_user_limit,
        starts_at=utc(fields.starts_at, "startsAt"),
        ends_at=utc(fields.ends_at, "endsAt"),
        conditions=fields.conditions.to_json(),
        use_starts_at=utc(fields.use_starts_at, "useStartsAt") if fields.use_starts_at else None,
        use_ends_at=utc(fields.use_ends_at, "useEndsAt") if fields.use_ends_at else None,
        refund_anytime=fields.refund_anytime,
        refund_on_expiry=fields.refund_on_expiry,
    )


def use_window(deal: Deal) -> tuple[datetime, datetime]:
    """When its vouchers can be used: the use window, else the sale window."""
    return deal.use_starts_at or deal.starts_at, deal.use_ends_at or deal.ends_at


async def staff_deal(ctx: Context, deal_id: int) -> Deal:
    """The deal a write of its restaurant's staff is about (the write budget counted)."""
    viewer = await write_limit(ctx, "deal")
    deal = await Deal.get_or_none(id=deal_id)
    if deal is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such deal", "dealId")
    await require_staff(viewer, deal.restaurant_id, field="dealId")
    return deal


async def set_status(ctx: Context, deal_id: int, status: DealStatus) -> Deal:
    deal = await staff_deal(ctx, deal_id)
    # Checked in the statement itself: a parallel "end" can't be undone by a stale "resume",
    # and a deal whose sale window is over can't be put back on offer (pausing or ending it can).
    now = datetime.now(UTC)
    changed = Deal.filter(id=deal.id, status__not=DealStatus.ENDED)
    if status == DealStatus.ACTIVE:
        changed = changed.filter(ends_at__gt=now)
    if not await changed.update(status=status):
        if deal.status == DealStatus.ENDED or await Deal.filter(id=deal.id, status=DealStatus.ENDED).exists():
            raise UserInputError(ErrorCode.DEAL_INACTIVE, "An ended deal stays ended", "dealId")
        raise UserInputError(ErrorCode.DEAL_EXPIRED, "This deal's sale window is over", "dealId")
    await gate.forget(ctx.services, deal.id)
    return await Deal.get(id=deal.id)


def _availability_error(deal: Deal, now: datetime) -> UserInputError | None:
    if deal.status != DealStatus.ACTIVE:
        return UserInputError(ErrorCode.DEAL_INACTIVE, "This deal is not on offer", "dealId")
    if now < deal.starts_at:
        return UserInputError(ErrorCode.DEAL_NOT_STARTED, "This deal has not started yet", "dealId")
    if now >= deal.ends_at:
        return UserInputError(ErrorCode.DEAL_EXPIRED, "This deal has ended", "dealId")
    return None


async def release_unpaid(deal_id: int | None = None, services: Services | None = None) -> int:
    """Cancel claims not paid in time and give their stock back.

    A scheduled job (resolvers/jobs.py) runs it for every deal (not the claim path: it cost a
    statement per claim). Each claim expires in its own conditional update, so two workers never
    return the same stock twice.
    """
    query = Claim.filter(status=ClaimStatus.PENDING_PAYMENT, pay_by__lt=datetime.now(UTC))
    if deal_id is not None:
        query = query.filter(deal_id=deal_id)
    released = 0
    for claim in await query.limit(500):
        async with in_transaction("default"):
            await _lock_stock(claim.deal_id, claim.user_id)
            if await Claim.filter(id=claim.id, status=ClaimStatus.PENDING_PAYMENT).update(
                status=ClaimStatus.CANCELLED, ended_at=datetime.now(UTC)
            ):
                await _return_stock(claim.deal_id, claim.user_id)
                released += 1
            else:
                continue
        if services is not None:  # after the commit: the stock is claimable again at once
            await gate.give_back(services, claim.deal_id, claim.user_id)
    return released


# Lock order of a deal's rows, for every transaction that takes or gives back its stock:
#   1. the holders' hold rows (`user_deal_counts`; several in (deal_id, user_id) order),
#   2. the deal row,
#   3. the claim rows.
# A claim takes 1 and 2 and then inserts its claim. Whatever ends an existing claim and gives
# its stock back takes 1 and 2 first (`_lock_stock`, closure.py's `_lock_holds` and its deals
# update), then moves the claim in its conditional update: a refund, the release of an unpaid
# claim, a payment landing after the use window, a restaurant's close. A refund used to move the
# claim first, then the hold and the deal; racing archiveRestaurant (holds, deals, then claims)
# it deadlocked on PostgreSQL and one of the two answered UNAVAILABLE. What is read before the
# locks (a claim's deal and holder, which never change) only says which rows to lock: whether
# and how much money and stock move still comes from the claim's conditional update.
async def _lock_stock(deal_id: int, user_id: int) -> None:
    """Steps 1 and 2 of the lock order for one holder, first in the transaction (PostgreSQL;
    SQLite's writers are one at a time already). NO KEY UPDATE on the deal, as its counter
    update takes: claims inserted meanwhile still pass their foreign-key check."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(
            "SELECT 1 FROM user_deal_counts WHERE deal_id = $1 AND user_id = $2 FOR UPDATE",
            [deal_id, user_id],
        )
        await lock_row("deals", deal_id, "id", strength="NO KEY UPDATE")


async def _return_stock(deal_id: int, user_id: int) -> None:
    # The lock order above: the holder's row, then the deal's (a claim's order too).
    await UserDealCount.filter(deal_id=deal_id, user_id=user_id).update(held=F("held") - 1)
    await Deal.filter(id=deal_id).update(claimed_count=F("claimed_count") - 1)


# The person's hold made or bumped, below the limit and never for the restaurant's own staff.
_HOLD = (
    "INSERT INTO user_deal_counts (deal_id, user_id, held) SELECT ?, ?, 1 WHERE NOT EXISTS "
    "(SELECT 1 FROM restaurant_staff WHERE restaurant_id = ? AND user_id = ?) "
    "ON CONFLICT (deal_id, user_id) DO UPDATE SET held = user_deal_counts.held + 1 "
    "WHERE user_deal_counts.held < ? RETURNING held"
)


async def claim_deal(
    ctx: Context, deal_id: int, key: str, source: attribution.Attribution | attribution.Named | None
) -> Claim:
    """Claim through the Redis gate (resolvers/deals/gate.py): sold out and over the limit are
    answered there without SQL; what it lets through is decided by the database."""
    viewer = ctx.require_viewer()
    require_diner(viewer, "dealId", "Only diners' accounts buy vouchers")
    key = key.strip()
    if not 1 <= len(key) <= 64:
        raise UserInputError(ErrorCode.INVALID, "idempotencyKey is 1 to 64 characters", "idempotencyKey")
    services = ctx.services
    # The write budget is counted by the gate's script, in its round trip (issue 18)...
    writes = write_window(ctx)
    verdict, limit = await gate.take(services, deal_id, viewer.id, key, writes)
    if verdict == gate.Verdict.RATE_LIMITED and writes is not None:
        raise writes.refusal()
    if verdict == gate.Verdict.UNKNOWN:
        # ... or, with no gate to ask, by the limiter. Limited stock: when Redis is down, refuse
        # rather than run unthrottled.
        await write_limit(ctx, "claim", fail_closed=True)
    # A sale's first claims: one builds the gate from the database, the others wait for it.
    if verdict == gate.Verdict.MISSING and await gate.ready(services, deal_id) == gate.Build.BUILT:
        verdict, limit = await gate.take(services, deal_id, viewer.id, key)  # counted already
    if verdict == gate.Verdict.LIMIT:
        raise _over_limit(limit)
    if verdict == gate.Verdict.SOLD_OUT:
        raise UserInputError(ErrorCode.SOLD_OUT, "Sold out", "dealId")
    took = verdict == gate.Verdict.OK
    try:
        made, new = await _claim_checked(ctx, viewer.id, deal_id, key, source, unseen=took)
    except UserInputError as error:
        if took:  # what the database did not take goes back (its refusal corrects the gate)
            code = error.errors[0][1]
            stock, held = {ErrorCode.LIMIT_REACHED: (1, 0), ErrorCode.SOLD_OUT: (0, 1)}.get(code, (1, 1))
            await gate.give_back(services, deal_id, viewer.id, stock=stock, held=held, idem=key)
        raise
    except BaseException:
        if took:
            await gate.give_back(services, deal_id, viewer.id, idem=key)
        raise
    if took and not new:  # a claim made earlier with this key: nothing was taken now
        await gate.give_back(services, deal_id, viewer.id)
    elif new and not took:  # made on the SQL path: its key indexed like the gate's
        await gate.remember(services, deal_id, viewer.id, key)
    return made


def _own_restaurant() -> UserInputError:
    """刷单: the restaurant's own people buying its deals would fake sales and insights."""
    return UserInputError(ErrorCode.OWN_CONTENT, "Staff can't buy their own restaurant's deals", "dealId")


def _over_limit(limit: int) -> UserInputError:
    return UserInputError(ErrorCode.LIMIT_REACHED, f"At most {limit} per person", "dealId")


def _duplicate() -> UserInputError:
    return UserInputError(ErrorCode.DUPLICATE, "This key was used for another deal", "idempotencyKey")


async def _deal_with_restaurant(ctx: Context, deal_id: int) -> Deal | None:
    """The deal read fresh with its restaurant in one statement, if the viewer may see it (the
    restaurant primes the request's loader, which the visibility rule reads)."""
    deal = await reads.deal_with_restaurant(deal_id)
    if deal is None:
        return None
    ctx.loaders.get(rows_of(Restaurant)).prime(deal.restaurant_id, deal.restaurant)
    return deal if await visibility.visible(ctx, deal) else None


async def _claim_checked(
    ctx: Context,
    user_id: int,
    deal_id: int,
    key: str,
    source: attribution.Attribution | attribution.Named | None,
    unseen: bool,
) -> tuple[Claim, bool]:
    """The claim the key names (made now: True; earlier: False), after every check.

    `unseen`: the gate (which knows every key of this deal) had not seen the key, so no lookup
    first; a key used for another deal then fails the claim's unique index (DUPLICATE below).
    A retry (seen, or no gate to ask) finds its claim before anything else is checked: a
    source named by the client (`attribution.Named`) is checked only for a claim made now, so
    a retry gets its claim whatever became of the source since (hidden by moderation ...)."""
    if not unseen:
        existing = await _earlier(user_id, deal_id, key)
        if existing is not None:
            return existing, False
    deal = await _deal_with_restaurant(ctx, deal_id)
    if deal is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such deal", "dealId")
    if isinstance(source, attribution.Named):
        try:
            source = await source.check(ctx, deal)
        except UserInputError:
            # A retry the gate did not recognise (its key index lost with Redis): its claim
            # still wins over a source refused now. Only a refused source pays this lookup.
            existing = await _earlier(user_id, deal_id, key) if unseen else None
            if existing is not None:
                return existing, False
            raise
    now = datetime.now(UTC)
    problem = _availability_error(deal, now)
    if problem:
        raise problem
    rules = Conditions.from_json(deal.conditions)
    if deal.price_cents > 0:
        # A voucher paid for in the last minutes of its use, or when its days and hours leave no
        # time to use it (lunch on weekdays, window ending Friday night, bought Friday at 15:00),
        # could only expire: not sold.
        use_from, use_until = use_window(deal)
        zone = deal.restaurant.timezone or "UTC"
        if not usable_between(rules, max(use_from, now), use_until - PAY_WITHIN, zone):
            raise UserInputError(ErrorCode.DEAL_EXPIRED, "Too late: no time left to use it", "dealId")
    await check_claim(rules, deal.restaurant_id, user_id, deal.id)
    # Unpaid claims past their time are released by the job runner (resolvers/jobs.py), not here.
    source = source or attribution.DIRECT
    try:
        return await _claim(ctx, deal, user_id, key, source, now), True
    except (UserInputError, IntegrityError) as error:
        # A parallel retry with the same key may have won: same key, same claim.
        winner = await Claim.get_or_none(user_id=user_id, idempotency_key=key)
        if winner is not None and winner.deal_id == deal.id:
            return winner, False
        if winner is not None:
            raise _duplicate() from None
        if isinstance(error, IntegrityError):
            raise UserInputError(ErrorCode.UNAVAILABLE, "Please try again", "dealId") from None
        raise


async def _earlier(user_id: int, deal_id: int, key: str) -> Claim | None:
    """The claim this person made earlier with this key, if any (DUPLICATE: for another deal)."""
    existing = await Claim.get_or_none(user_id=user_id, idempotency_key=key)
    if existing is not None and existing.deal_id != deal_id:
        raise _duplicate()
    return existing


# A free claim on PostgreSQL in one statement, and no transaction around it (issue 18): a
# statement is atomic, and it writes nothing unless it makes the claim. The user's row is read
# and locked first (`prior`: the same lock order as `_return_stock`, user then deal, so a refund
# and a claim never deadlock), the stock taken only below the per-user limit and never by the
# restaurant's own staff (`own`), then the user's
# row moved, the claim made and the rollup counted each only when the step before it happened.
# Every counter still changes in the statement that checks it. One case is left: a claim by the
# same person whose user row another statement inserted meanwhile (no row to lock in `prior`)
# has taken the stock when `hold` finds that row at the limit; then `_raced` divides by zero,
# which aborts the statement, so the stock goes back with it (answered LIMIT_REACHED). The same
# case can also cross locks with a third claim that did lock the new row in `prior` (deal then
# user against user then deal); PostgreSQL then aborts one statement whole, and it runs again.
_CLAIM_FREE_PG = """
WITH prior AS (
  SELECT held FROM user_deal_counts WHERE deal_id = $1 AND user_id = $2 FOR UPDATE
), own AS (
  SELECT EXISTS (SELECT 1 FROM restaurant_staff WHERE restaurant_id = $14 AND user_id = $2) AS staff
), stock AS (
  UPDATE deals SET claimed_count = claimed_count + 1
  WHERE id = $1 AND claimed_count < quantity AND status = $4 AND visibility = $5 AND ends_at > $6
    AND COALESCE((SELECT held FROM prior), 0) < $3 AND NOT (SELECT staff FROM own)
  RETURNING id
), hold AS (
  INSERT INTO user_deal_counts (deal_id, user_id, held) SELECT $1, $2, 1 FROM stock
  ON CONFLICT (deal_id, user_id) DO UPDATE SET held = user_deal_counts.held + 1
  WHERE user_deal_counts.held < $3 RETURNING held
), made AS (
  INSERT INTO claims (deal_id, user_id, idempotency_key, code, status, source_type, source_id,
                      referrer_id, amount_cents, paid, valid_until, created_at)
  SELECT $1, $2, $7, $8, $9, $10, $11, $12, 0, false, $13, $6 FROM hold
  RETURNING *
), counted AS (
  INSERT INTO deal_daily_stats (restaurant_id, day, hour, source_type, views, claims, redemptions,
                                revenue_cents)
  SELECT $14, $15, $16, $10, 0, 1, 0, 0 FROM made
  ON CONFLICT (restaurant_id, day, hour, source_type) DO UPDATE
  SET claims = deal_daily_stats.claims + excluded.claims
)
SELECT COALESCE((SELECT held FROM prior), 0) >= $3 AS _over, (SELECT staff FROM own) AS _staff,
       CASE WHEN (SELECT count(*) FROM stock) > (SELECT count(*) FROM hold)
            THEN 1 / (SELECT count(*) FROM hold)::int END AS _raced,
       made.*
FROM (SELECT 1) AS one LEFT JOIN made ON true
"""
_DIVISION_BY_ZERO = "22012"  # SQLSTATE of `_raced`
_ATTEMPTS = 3  # a lock cycle needs a first claim racing two more: a third round is rare already


async def _claim_free_in_one_statement(
    ctx: Context, deal: Deal, user_id: int, key: str, source: attribution.Attribution, now: datetime
) -> Claim:
    place = await ctx.loaders.get(rows_of(Restaurant)).load(deal.restaurant_id)
    day, hour = await rollup.slot(deal.restaurant_id, now, place.timezone if place else None)
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            rows = await connections.get("default").execute_query_dict(
                _CLAIM_FREE_PG,
                [
                    deal.id,
                    user_id,
                    deal.per_user_limit,
                    DealStatus.ACTIVE.value,
                    Visibility.VISIBLE.value,
                    now,
                    key,
                    vouchers.new_code(),
                    ClaimStatus.ISSUED.value,
                    source.type.value,
                    source.source_id,
                    source.referrer_id,
                    use_window(deal)[1],
                    deal.restaurant_id,
                    day,
                    hour,
                ],
            )
            break
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) == _DIVISION_BY_ZERO:
                raise _over_limit(deal.per_user_limit) from None
            raise
        except asyncpg.DeadlockDetectedError:  # Tortoise passes SQLSTATE class 40 through as is
            if attempt == _ATTEMPTS:
                raise  # answered UNAVAILABLE, "try again" (core/unavailable.py)
    row = dict(rows[0])
    del row["_raced"]
    if row.pop("_staff"):
        raise _own_restaurant()
    if row.pop("_over"):
        raise _over_limit(deal.per_user_limit)
    if row["id"] is None:  # nothing written: not on offer any more, or sold out
        current = await Deal.get(id=deal.id)
        raise _availability_error(current, now) or UserInputError(ErrorCode.SOLD_OUT, "Sold out", "dealId")
    return Claim._init_from_db(**row)


async def _claim(
    ctx: Context, deal: Deal, user_id: int, key: str, source: attribution.Attribution, now: datetime
) -> Claim:
    paid = deal.price_cents > 0
    if not paid and ctx.settings.is_postgres:
        return await _claim_free_in_one_statement(ctx, deal, user_id, key, source, now)
    intent = None
    if paid:
        # The provider's order first, before any row is locked: a network call (WeChat Pay: up
        # to its timeout) inside the transaction held the person's hold row and the deal row,
        # so a paid sale's claims, refunds and releases queued behind every order being placed
        # (and, on SQLite, every write of the app). An order whose claim the database then
        # refuses is never handed to anyone, so it can't be paid; an outage takes no stock.
        try:
            intent = await ctx.services.payments.create_intent(
                deal.price_cents, deal.currency, order_reference(deal.id)
            )
        except PaymentError as error:
            log.warning("payment provider refused an order for deal %s: %s", deal.id, error)
            raise UserInputError(
                ErrorCode.UNAVAILABLE, "Payment is unavailable, please try again", "dealId"
            ) from None
    async with in_transaction("default"):
        # The user's row made or bumped in one statement, below the limit only.
        mine = await execute(_HOLD, [deal.id, user_id, deal.restaurant_id, user_id, deal.per_user_limit])
        if not mine:
            if await RestaurantStaff.exists(restaurant_id=deal.restaurant_id, user_id=user_id):
                raise _own_restaurant()
            raise _over_limit(deal.per_user_limit)
        # On offer and in stock, checked in the statement that takes the stock (a deal paused
        # or removed after the checks above issues nothing).
        stock = await Deal.filter(
            id=deal.id,
            claimed_count__lt=F("quantity"),
            status=DealStatus.ACTIVE,
            visibility=Visibility.VISIBLE,
            ends_at__gt=now,
        ).update(claimed_count=F("claimed_count") + 1)
        if not stock:
            current = await Deal.get(id=deal.id)
            raise _availability_error(current, now) or UserInputError(
                ErrorCode.SOLD_OUT, "Sold out", "dealId"
            )
        made = await Claim.create(
            deal_id=deal.id,
            user_id=user_id,
            idempotency_key=key,
            code=vouchers.new_code(),
            status=ClaimStatus.PENDING_PAYMENT if paid else ClaimStatus.ISSUED,
            source_type=source.type,
            source_id=source.source_id,
            referrer_id=source.referrer_id,
            amount_cents=deal.price_cents,
            payment_intent=intent.id if intent else None,
            # Never payable after the voucher could be used: late money would buy nothing.
            pay_by=min(now + PAY_WITHIN, use_window(deal)[1]) if paid else None,
            valid_until=use_window(deal)[1],
        )
        if not paid:
            # The restaurant was loaded for this request by the visibility check: its zone too.
            place = await ctx.loaders.get(rows_of(Restaurant)).load(deal.restaurant_id)
            zone = place.timezone if place else None
            await rollup.bump(deal.restaurant_id, source.type, claims=1, zone=zone)
        return made


class PaymentOutcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_PAID = "already_paid"  # a repeated delivery: nothing changes
    UNKNOWN = "unknown"  # no claim has this intent
    WRONG_AMOUNT = "wrong_amount"  # the provider says a different amount was paid: refused


async def confirm_payment(
    services: Services, intent_id: str, amount_cents: int | None = None
) -> PaymentOutcome:
    """Webhook: the provider says the intent was paid (`amount_cents`, when it says how much).

    The first delivery marks the claim paid, and issues it if it still awaits payment and can
    still be used, in a conditional update that also checks the amount; the status it leaves
    decides: a claim cancelled before the money landed, or whose use window ended before
    it did, becomes REFUNDED and gets it straight back (with its stock). Repeated deliveries and
    wrong amounts match no row and change nothing.
    """
    amount_check, amount_args = "", []
    if amount_cents is not None:
        amount_check, amount_args = " AND amount_cents = ?", [amount_cents]
    paid_now = "payment_intent = ? AND NOT paid" + amount_check
    pending = ClaimStatus.PENDING_PAYMENT.value
    now = datetime.now(UTC)
    late = (
        await Claim.filter(payment_intent=intent_id, valid_until__lte=now)
        .first()
        .values("deal_id", "user_id")
    )
    async with in_transaction("default"):
        if late:  # its stock may go back below: its hold and deal rows before the claim's
            await _lock_stock(late["deal_id"], late["user_id"])
        # Paid after the voucher's use window ended: refunded with the stock it was holding.
        rows = await update_returning(
            "claims",
            "paid = TRUE, status = ?, ended_at = ?",
            f"{paid_now} AND status = ? AND valid_until <= ?",
            [ClaimStatus.REFUNDED.value, now, intent_id, *amount_args, pending, now],
            "id, deal_id, user_id, status, amount_cents",
        )
        too_late = bool(rows)
        if too_late:
            await _return_stock(rows[0]["deal_id"], rows[0]["user_id"])
        else:
            rows = await update_returning(
                "claims",
                "paid = TRUE, status = CASE WHEN status = ? THEN ? WHEN status = ? THEN ? ELSE status END",
                paid_now,
                [
                    pending,
                    ClaimStatus.ISSUED.value,
                    ClaimStatus.CANCELLED.value,
                    ClaimStatus.REFUNDED.value,
                    intent_id,
                    *amount_args,
                ],
                "id, deal_id, user_id, status, amount_cents",
            )
        row = rows[0] if rows else None
        notice = Context(services=services)
        if row and ClaimStatus(row["status"]) == ClaimStatus.ISSUED:
            await rollup.issued(row["id"])
            await voucher_notices.paid(notice, row["id"], row["user_id"], row["deal_id"], row["amount_cents"])
        # Money that landed on a claim ended without a voucher goes back: owed from this commit.
        ended = (ClaimStatus.ISSUED, ClaimStatus.REDEEMED)
        money_back = row is not None and ClaimStatus(row["status"]) not in ended
        if money_back:
            await refunds.owe(row["id"], intent_id, row["amount_cents"])
            await voucher_notices.refunded(
                notice, row["id"], row["user_id"], row["deal_id"], row["amount_cents"]
            )
    if row is None:
        claim = await Claim.get_or_none(payment_intent=intent_id) if intent_id else None
        if claim is None:
            return PaymentOutcome.UNKNOWN
        return PaymentOutcome.ALREADY_PAID if claim.paid else PaymentOutcome.WRONG_AMOUNT
    if too_late:
        log.warning("payment %s landed after its voucher's use window: refunded", intent_id)
        await gate.give_back(services, row["deal_id"], row["user_id"])
    if money_back:
        await refunds.pay(services, row["id"], intent_id, row["amount_cents"])
    await inbox.announce(notice, [row["user_id"]])  # paid, or refunded: told in the commit above
    return PaymentOutcome.CONFIRMED


# Returnable by its owner: awaiting payment, or issued, still usable and (free, or a 随时退 deal).
_RETURNABLE = (
    "id = ? AND user_id = ? AND (status = ? OR (status = ? AND valid_until > ? AND (NOT paid OR "
    "deal_id IN (SELECT id FROM deals WHERE refund_anytime))))"
)


async def refund_claim(ctx: Context, claim_id: int) -> Claim:
    """The claimer returns an unused voucher: stock back; REFUNDED with the money if it was paid,
    else CANCELLED.

    Whether it was paid is read from the row the refund changed (RETURNING), under its lock: a
    webhook marks the claim paid either before (then we refund here) or after (then the webhook
    refunds, seeing CANCELLED), never in between.
    """
    viewer = await write_limit(ctx, "claim")
    mine = await Claim.filter(id=claim_id, user_id=viewer.id).first().values("deal_id")
    if mine is None:
        raise await _not_returnable(claim_id, viewer.id)
    now = datetime.now(UTC)
    async with in_transaction("default"):
        # The lock order (see `_lock_stock`): the hold and the deal before the claim, as a
        # restaurant's close racing this refund takes them.
        await _lock_stock(mine["deal_id"], viewer.id)
        rows = await update_returning(
            "claims",
            "status = CASE WHEN paid THEN ? ELSE ? END, ended_at = ?",
            _RETURNABLE,
            [
                ClaimStatus.REFUNDED.value,
                ClaimStatus.CANCELLED.value,
                now,
                claim_id,
                viewer.id,
                ClaimStatus.PENDING_PAYMENT.value,
                ClaimStatus.ISSUED.value,
                now,
            ],
            "deal_id, status, payment_intent, amount_cents",
        )
        if not rows:
            raise await _not_returnable(claim_id, viewer.id)
        refunded = rows[0]
        await _return_stock(refunded["deal_id"], viewer.id)
        money_back = refunded["status"] == ClaimStatus.REFUNDED.value and refunded["payment_intent"]
        if money_back:
            await refunds.owe(claim_id, refunded["payment_intent"], refunded["amount_cents"])
            await voucher_notices.refunded(
                ctx, claim_id, viewer.id, refunded["deal_id"], refunded["amount_cents"]
            )
    await gate.give_back(ctx.services, refunded["deal_id"], viewer.id)
    if money_back:
        await refunds.pay(ctx.services, claim_id, refunded["payment_intent"], refunded["amount_cents"])
        await inbox.announce(ctx, [viewer.id])
    return await Claim.get(id=claim_id)


async def _not_returnable(claim_id: int, user_id: int) -> UserInputError:
    claim = await Claim.get_or_none(id=claim_id, user_id=user_id)
    if claim is None:
        return UserInputError(ErrorCode.NOT_FOUND, "No such voucher of yours", "claimId")
    if claim.status == ClaimStatus.ISSUED and claim.valid_until <= datetime.now(UTC):
        # Past its use window (the expiry job has not run yet): what expiry gives, not a refund.
        return UserInputError(ErrorCode.VOUCHER_EXPIRED, "This voucher has expired", "claimId")
    if claim.status == ClaimStatus.ISSUED:
        on_expiry = await Deal.filter(id=claim.deal_id, refund_on_expiry=True).exists()
        why = "This deal refunds only on expiry, not on request" if on_expiry else "Not refundable"
        return UserInputError(ErrorCode.REFUND_NOT_ALLOWED, why, "claimId")
    return _ended(claim.status, "claimId")


def _ended(status: ClaimStatus, field: str) -> UserInputError:
    """Why a voucher that is no longer issued can't be used or returned: the code says which end."""
    if status == ClaimStatus.REDEEMED:
        return UserInputError(ErrorCode.ALREADY_REDEEMED, "This voucher was already used", field)
    if status == ClaimStatus.EXPIRED:
        return UserInputError(ErrorCode.VOUCHER_EXPIRED, "This voucher has expired", field)
    if status == ClaimStatus.REFUNDED:  # money back, not "cancelled" (已退款)
        refunded = explained("This voucher was refunded", "CANCELLED.refunded")
        return UserInputError(ErrorCode.CANCELLED, refunded, field)
    return UserInputError(ErrorCode.CANCELLED, f"This voucher was {status.value}", field)


def party_size_error(party_size: int | None) -> UserInputError | None:
    """A party size typed at the till out of any table's range (the deal's own bounds come later)."""
    if party_size is not None and not 1 <= party_size <= 100:
        return UserInputError(ErrorCode.OUT_OF_RANGE, between("Party size is 1 to 100", 1, 100), "partySize")
    return None


async def voucher_at_till(viewer: User, typed_code: str) -> tuple[Claim, Deal]:
    """The voucher a code names, for staff of its restaurant only (`WRONG_RESTAURANT` for the
    others: the till learns nothing about another restaurant's vouchers). Someone who works at no
    restaurant is told so before any code is looked up (no probing which codes exist)."""
    if viewer.role != Role.ADMIN and not await RestaurantStaff.exists(user_id=viewer.id):
        english = "Only a restaurant's staff take vouchers at the till"
        raise UserInputError(ErrorCode.FORBIDDEN, explained(english, "FORBIDDEN.not_staff"), "code")
    code = vouchers.normalise(typed_code)
    claim = await Claim.get_or_none(code=code) if code else None
    if claim is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No voucher with this code", "code")
    deal = await Deal.get(id=claim.deal_id)
    try:
        await require_staff(viewer, deal.restaurant_id, field="code", archived_too=True)
    except UserInputError:
        raise UserInputError(
            ErrorCode.WRONG_RESTAURANT, "This voucher is for another restaurant", "code"
        ) from None
    return claim, deal


def till_refusal(claim: Claim, deal: Deal, now: datetime) -> UserInputError | None:
    """Why the till can't take this voucher now (status and use window), or None."""
    if claim.status == ClaimStatus.PENDING_PAYMENT:
        return UserInputError(ErrorCode.PAYMENT_REQUIRED, "This voucher is not paid", "code")
    if claim.status != ClaimStatus.ISSUED:
        return _ended(claim.status, "code")
    if now >= claim.valid_until:
        return UserInputError(ErrorCode.VOUCHER_EXPIRED, "This voucher is no longer valid", "code")
    if now < use_window(deal)[0]:
        return UserInputError(ErrorCode.VOUCHER_NOT_YET_VALID, "This voucher is not usable yet", "code")
    return None


def own_voucher(viewer: User, claim: Claim) -> UserInputError | None:
    """Nobody takes their own voucher at the till (staff can't buy their restaurant's deals at
    all; a voucher bought before its holder was hired is served by a colleague)."""
    if claim.user_id == viewer.id:
        return UserInputError(ErrorCode.OWN_CONTENT, "Staff can't redeem their own vouchers", "code")
    return None


async def redeem(
    ctx: Context, typed_code: str, bill_cents: int | None, party_size: int | None = None
) -> Claim:
    """Staff of the deal's restaurant take a voucher: once, within its use window and
    conditions (checked again here: it may have been claimed long before), recording the bill."""
    viewer = await write_limit(ctx, "redeem")
    if bill_cents is not None and not 0 <= bill_cents <= MAX_PRICE_CENTS:
        raise UserInputError(ErrorCode.OUT_OF_RANGE, "Bill out of range", "billCents")
    if problem := party_size_error(party_size):
        raise problem
    claim, deal = await voucher_at_till(viewer, typed_code)
    now = datetime.now(UTC)
    problem = till_refusal(claim, deal, now) or own_voucher(viewer, claim)
    if problem:
        raise problem
    zone = await rollup.time_zone(deal.restaurant_id)
    rules = Conditions.from_json(deal.conditions)
    async with in_transaction("default"):
        # The diner's redemptions one at a time (their row's lock), then the rules that read
        # their earlier redemptions (new customers only, one per table, stacking) see every
        # redemption committed before: two tills can't both let a "new customer" in. NO KEY
        # UPDATE: the diner's review written at the same moment still passes its FK check.
        await lock_row("users", claim.user_id, "id", strength="NO KEY UPDATE")
        await check_redeem(rules, claim, deal.restaurant_id, zone, now, party_size)
        used = await Claim.filter(id=claim.id, status=ClaimStatus.ISSUED, valid_until__gt=now).update(
            status=ClaimStatus.REDEEMED, redeemed_at=now, redeemed_by_id=viewer.id, bill_cents=bill_cents
        )
        if not used:  # a parallel redemption, refund or the expiry job won: the till's own answer
            now_is = await Claim.get(id=claim.id)
            raise till_refusal(now_is, deal, now) or _ended(ClaimStatus.REDEEMED, "code")
        await rollup.bump(
            deal.restaurant_id,
            claim.source_type,
            at=now,
            zone=zone,
            redemptions=1,
            revenue_cents=claim.amount_cents,
        )
        # Issue 15: the visit verifies the diner's reviews there; the bill counts toward 人均.
        await ratings.verify_visits(claim.user_id, deal.restaurant_id, now)
        await ratings.record_bill(deal.restaurant_id, bill_cents, party_size)
        told = [claim.user_id]
        place = await voucher_notices.restaurant_name(deal.restaurant_id)
        await voucher_notices.redeemed(ctx, claim.id, claim.user_id, place, deal.title)
        if await attribution.credit_due(claim, deal.restaurant_id):
            await ReferralCredit.create(
                user_id=claim.referrer_id, claim_id=claim.id, amount_cents=REFERRAL_CREDIT_CENTS
            )
            await voucher_notices.referral(
                ctx, claim.referrer_id, claim.source_type, deal.id, place, deal.title, REFERRAL_CREDIT_CENTS
            )
            told.append(claim.referrer_id)
    await inbox.announce(ctx, told)
    from resolvers.tables import meal_life  # issue 16: a redemption there checks the diner in

    await meal_life.voucher_check_in(ctx.services, claim.user_id, deal.restaurant_id)
    return await Claim.get(id=claim.id)


# One counted view per deal per viewer (signed-in user, else IP) per half hour, like a page-view
# session: a diner reopening the deal, or an app re-sending the view, doesn't inflate the funnel.
VIEW_WINDOW_SECONDS = 30 * 60


def _view_key(ctx: Context, deal_id: int) -> str:
    who = f"u:{ctx.viewer.id}" if ctx.viewer else f"ip:{ctx.client_ip}"
    return f"{ctx.settings.redis_namespace}:deal-view:{deal_id}:{who}"


async def _first_view(ctx: Context, key: str) -> bool:
    """Whether this view is the viewer's first of the deal in VIEW_WINDOW_SECONDS: SET NX with
    its expiry, one round trip. Redis unreachable: counted (views are not worth refusing)."""
    try:
        return bool(await ctx.services.redis.set(key, 1, nx=True, ex=VIEW_WINDOW_SECONDS))
    except (RedisError, OSError) as error:
        REDIS_ERRORS.labels("deal_view").inc()
        view_log.warning("deal view dedup unavailable (%s): counted", error)
        return True


async def record_view(ctx: Context, deal_id: int, source: attribution.Attribution | None) -> bool:
    """Count a view of a deal the viewer may see (False: no such deal for them). A repeat within
    the window answers True too, and counts nothing (no DealView row, no rollup bump)."""
    viewer = ctx.viewer
    bucket = f"view:{viewer.id}" if viewer else f"view-ip:{ctx.client_ip}"
    await ctx.services.limiter.hit(bucket, 600, 60)
    deal = await visibility.get(ctx, Deal, deal_id)
    if deal is None:
        return False
    key = _view_key(ctx, deal_id)
    if not await _first_view(ctx, key):
        return True
    source = source or attribution.DIRECT
    try:
        async with in_transaction("default"):
            await DealView.create(
                deal_id=deal_id,
                viewer_id=viewer.id if viewer else None,
                source_type=source.type,
                source_id=source.source_id,
            )
            await rollup.bump(deal.restaurant_id, source.type, views=1)
    except BaseException:
        # Nothing was counted: the next view may be (best effort; the key expires anyway).
        with contextlib.suppress(RedisError, OSError):
            await ctx.services.redis.delete(key)
        raise
    return True


async def get_deal_for_attribution(ctx: Context, deal_id: int) -> Deal:
    deal = await visibility.get(ctx, Deal, deal_id)
    if deal is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such deal", "dealId")
    return deal


def share_token(ctx: Context, deal: Deal) -> str:
    viewer = ctx.require_viewer()
    return attribution.share_token(ctx.settings.secret_key, deal.id, viewer.id)


async def deals_nearby(
    ctx: Context, lat: float, lng: float, radius_km: float, first: int | None, after: str | None
) -> Page[tuple[Deal, float]]:
    now = datetime.now(UTC)

    def select(restaurant_ids: list[int]) -> QuerySet[Deal]:
        return Deal.filter(visibility.live_deals_q(now), restaurant_id__in=restaurant_ids)

    return await near(ctx, lat, lng, radius_km, select, lambda d: d.ends_at, first, after)


def order_reference(deal_id: int) -> str:
    """What the provider's order says it is for (WeChat Pay's description, Alipay's subject): the
    same when the order is placed again for its pay sheet."""
    return f"deal:{deal_id}"


async def payment_intent(ctx: Context, claim: Claim, currency: str) -> PaymentIntent | None:
    """What the app pays an unpaid claim with. The order was placed at claim time, maybe by
    another process (or before a restart), whose copy this one lacks: the provider gives it
    again for the same order number, amount and reference (None, logged, when it can't)."""
    if not claim.payment_intent:
        return None
    try:
        return await ctx.services.payments.resume(
            claim.payment_intent, claim.amount_cents, currency, order_reference(claim.deal_id)
        )
    except PaymentError as error:
        log.warning("payment provider could not resume order %s: %s", claim.payment_intent, error)
        return None


async def my_claims(
    ctx: Context, first: int | None, after: str | None, statuses: Sequence[ClaimStatus] | None = None
) -> Page[Claim]:
    viewer = ctx.require_viewer()
    mine = Claim.filter(user_id=viewer.id)
    if statuses:  # one tab of the app's order list (待使用: ISSUED ...)
        mine = mine.filter(status__in=[ClaimStatus(s) for s in statuses])
    return await newest_first(mine, first, after)


async def referral_balance(user_id: int) -> int:
    rows = await ReferralCredit.filter(user_id=user_id).values_list("amount_cents", flat=True)
    return int(sum(rows))


# ------------------------------------------------------------------ loaders


async def load_live_deals_by_restaurant(keys: Sequence[int]) -> list[list[Deal]]:
    """Deals in their sale window at each restaurant (what the restaurant page, reviews, meals
    and events link to): the same deals as `dealsNearby`, sold-out ones included (shown 已抢光,
    `soldOut` true and `onSale` false), after the ones still on sale."""
    now = datetime.now(UTC)
    live = Deal.filter(visibility.live_deals_q(now), restaurant_id__in=list(keys))
    rows = await live.order_by("ends_at", "id")
    rows.sort(key=lambda d: d.claimed_count >= d.quantity)  # stable: sold out last
    return group_by_key(rows, keys, "restaurant_id")


async def load_upcoming_deals_by_restaurant(keys: Sequence[int]) -> list[list[Deal]]:
    """Deals at each restaurant whose sale opens later, soonest first (即将开抢)."""
    upcoming = Deal.filter(visibility.upcoming_deals_q(datetime.now(UTC)), restaurant_id__in=list(keys))
    return group_by_key(await upcoming.order_by("starts_at", "id"), keys, "restaurant_id")


SOURCE_NODE_TYPES = {
    SourceType.REVIEW: "Review",
    SourceType.SHARED_MEAL: "SharedMeal",
    SourceType.EVENT: "RestaurantEvent",
    SourceType.PROFILE: "User",
}
