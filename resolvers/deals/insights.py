"""Restaurant insights: the funnel views → claims → redemptions by source, and visit economics.

Definitions (all over [from, to), staff of the restaurant only):
- views: deal views recorded, plus one for each claim made in the range (refunded or unpaid
  ones too: they were seen) its claimer has no recorded view for (see `_unseen_claims`), so
  views >= claims in total and per source, and a refund never lowers views; claims: vouchers bought
  (ISSUED, REDEEMED, or EXPIRED unused: a voucher that lapsed was still sold, and the drop-off
  to redemptions must show it; unpaid, cancelled and refunded ones excluded);
  redemptions: vouchers redeemed in the range.
- bySource: the same three numbers per attribution source (DIRECT when none).
- averageTicketCents: mean bill per table (客单价) of redemptions that recorded one above zero;
  人均 divides each bill by its party size, claims don't keep it, so this stays per table.
- customers: distinct diners with a redemption in the range; a visit is their redemptions
  within VISIT_HOURS (3 h) of its first one (two vouchers at one table: one visit).
- repeatCustomerRate: customers with 2+ visits in the range / customers.
- visitsPerCustomerPerWeek: visits / customers / (range length in weeks up to now, at least one:
  a range shorter than a week is never extrapolated to a week, future weeks don't count).
- newCustomers / returningCustomers: customers whose first redemption here is in the range /
  who had redeemed here before `from`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core.context import Context
from core.error_text import explained
from core.errors import AuthError, BadRequestError, UserInputError
from core.replica import read_db
from core.schedule import utc
from models.deals import Claim, ClaimStatus, DealView, SourceType
from resolvers.deals.conditions import VISIT_HOURS
from resolvers.deals.deals import VIEW_WINDOW_SECONDS
from resolvers.restaurants.access import require_staff

MAX_RANGE_DAYS = 366
# Vouchers that count as claimed in the funnel: issued, used, or lapsed unused (核销率 is
# redemptions over these; leaving the expired out showed every buyer as having come).
SOLD = (ClaimStatus.ISSUED, ClaimStatus.REDEEMED, ClaimStatus.EXPIRED)
MIN_RATE_SPAN = timedelta(days=7)  # visitsPerCustomerPerWeek never extrapolates a shorter range


@dataclass
class SourceFunnel:
    type: SourceType
    views: int = 0
    claims: int = 0
    redemptions: int = 0
    refunds: int = 0


@dataclass
class Insights:
    views: int
    claims: int
    redemptions: int
    refunds: int = 0
    refunded_cents: int = 0
    by_source: list[SourceFunnel] = field(default_factory=list)
    average_ticket_cents: int | None = None
    customers: int = 0
    repeat_customer_rate: float = 0.0
    visits_per_customer_per_week: float = 0.0
    new_customers: int = 0
    returning_customers: int = 0


def _visits(redeemed: list[dict[str, Any]]) -> Counter[int]:
    """Visits per diner: vouchers redeemed within VISIT_HOURS of the visit's first one are one
    visit (two vouchers at one table are one visit, as the one-per-table rule counts them)."""
    visits: Counter[int] = Counter()
    began: dict[int, datetime] = {}
    for row in sorted(redeemed, key=lambda r: (r["user_id"], r["redeemed_at"])):
        user, at = row["user_id"], row["redeemed_at"]
        if user not in began or at - began[user] >= timedelta(hours=VISIT_HOURS):
            visits[user] += 1
            began[user] = at
    return visits


def _unseen_claims(views: list[dict[str, Any]], claims: list[dict[str, Any]]) -> Counter[SourceType]:
    """Claims, per source, that no recorded view accounts for: each claim is matched to a view of
    the same deal by its claimer from the same source, recorded in the VIEW_WINDOW before it (one
    view session) and within the range, each view matching one claim. A claim left unmatched
    (the app never sent the view, the view fell before `from`, a second voucher bought in one
    session, a view made signed out) counts as a view itself: claiming the deal is seeing it."""
    seen: dict[tuple[int, int, str], list[datetime]] = {}
    for view in views:
        if view["viewer_id"] is not None:
            key = (view["deal_id"], view["viewer_id"], str(view["source_type"]))
            seen.setdefault(key, []).append(view["created_at"])
    for times in seen.values():
        times.sort()
    used: Counter[tuple[int, int, str]] = Counter()  # per key, the views matched so far (earliest)
    unseen: Counter[SourceType] = Counter()
    window = timedelta(seconds=VIEW_WINDOW_SECONDS)
    for claim in sorted(claims, key=lambda c: c["created_at"]):
        key = (claim["deal_id"], claim["user_id"], str(claim["source_type"]))
        times = seen.get(key, [])
        # Greedy by time: skip views too old for this claim (they are too old for later ones),
        # take the earliest one left if it is not after the claim.
        while used[key] < len(times) and times[used[key]] < claim["created_at"] - window:
            used[key] += 1
        if used[key] < len(times) and times[used[key]] <= claim["created_at"]:
            used[key] += 1
        else:
            unseen[SourceType(claim["source_type"])] += 1
    return unseen


async def restaurant_insights(ctx: Context, restaurant_id: int, start: datetime, end: datetime) -> Insights:
    viewer = ctx.require_viewer()
    try:
        await require_staff(viewer, restaurant_id, archived_too=True)
    except UserInputError:
        raise AuthError("FORBIDDEN", "Only this restaurant's owner and staff see its insights") from None
    if start.tzinfo is None or end.tzinfo is None:
        raise BadRequestError(explained("from and to need a UTC offset", "BAD_USER_INPUT.offset"))
    start, end = utc(start, "from"), utc(end, "to")  # OUT_OF_RANGE before converting year 1 or 9999
    if end <= start or (end - start).days > MAX_RANGE_DAYS:
        english = f"`to` must be after `from`, at most {MAX_RANGE_DAYS} days apart"
        raise BadRequestError(explained(english, "BAD_USER_INPUT.period", days=MAX_RANGE_DAYS))
    db = read_db(ctx)
    views = (
        await DealView.filter(deal__restaurant_id=restaurant_id, created_at__gte=start, created_at__lt=end)
        .using_db(db)
        .values("source_type", "deal_id", "viewer_id", "created_at")
    )
    # Every claim made in the range, whatever became of it: each was seen (the views it stands
    # for don't vanish when it is refunded or lapses unpaid); the sold ones are the funnel's claims.
    made = (
        await Claim.filter(deal__restaurant_id=restaurant_id, created_at__gte=start, created_at__lt=end)
        .using_db(db)
        .values("source_type", "deal_id", "user_id", "created_at", "status")
    )
    claims = [c for c in made if c["status"] in SOLD]
    redeemed = (
        await Claim.filter(deal__restaurant_id=restaurant_id, redeemed_at__gte=start, redeemed_at__lt=end)
        .using_db(db)
        .values("user_id", "source_type", "bill_cents", "redeemed_at")
    )
    # 退款: vouchers returned within the range (whenever bought); a refunded voucher leaves
    # `claims` (sold) but is counted here, so a sale never vanishes without a trace.
    refunded = (
        await Claim.filter(
            deal__restaurant_id=restaurant_id,
            status=ClaimStatus.REFUNDED,
            ended_at__gte=start,
            ended_at__lt=end,
        )
        .using_db(db)
        .values("source_type", "amount_cents")
    )
    by_source = {t: SourceFunnel(type=t) for t in SourceType}
    for row in refunded:
        by_source[SourceType(row["source_type"])].refunds += 1
    for view in views:
        by_source[SourceType(view["source_type"])].views += 1
    for claim in claims:
        by_source[SourceType(claim["source_type"])].claims += 1
    for source, unseen in _unseen_claims(views, made).items():
        by_source[source].views += unseen
    for row in redeemed:
        by_source[SourceType(row["source_type"])].redemptions += 1
    bills = [r["bill_cents"] for r in redeemed if r["bill_cents"]]  # 0: nothing paid, no ticket (as 人均)
    visits = _visits(redeemed)
    customers = len(visits)
    earlier = (
        set(
            await Claim.filter(
                deal__restaurant_id=restaurant_id, redeemed_at__lt=start, user_id__in=list(visits)
            ).values_list("user_id", flat=True)
        )
        if visits
        else set()
    )
    # Weeks that have not happened yet hold no visits: "this year" asked in December is the
    # year so far (a range ending in the future diluted the rate by its empty weeks).
    weeks = max(min(end, datetime.now(UTC)) - start, MIN_RATE_SPAN) / timedelta(days=7)
    return Insights(
        views=sum(f.views for f in by_source.values()),
        claims=len(claims),
        redemptions=len(redeemed),
        refunds=len(refunded),
        refunded_cents=sum(r["amount_cents"] for r in refunded),
        by_source=[f for f in by_source.values() if f.views or f.claims or f.redemptions or f.refunds],
        average_ticket_cents=round(sum(bills) / len(bills)) if bills else None,
        customers=customers,
        repeat_customer_rate=round(sum(1 for v in visits.values() if v >= 2) / customers, 4)
        if customers
        else 0.0,
        visits_per_customer_per_week=round(sum(visits.values()) / customers / weeks, 4) if customers else 0.0,
        new_customers=customers - len(earlier),
        returning_customers=len(earlier),
    )
