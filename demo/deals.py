"""Demo deals: group-buy vouchers with fine print, and 90 days of history (views, vouchers issued,
redeemed and expired, one 过期自动退 refund), so merchant insights and trends show data."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from tortoise.transactions import in_transaction
from tqdm import tqdm

from demo.seed import SeedState
from models.deals import Claim, ClaimStatus, Deal, DealView, SourceType
from models.restaurants import Restaurant
from resolvers.deals import rollup, vouchers
from resolvers.deals.conditions import Conditions

HISTORY_DAYS = 90
DEALS = (  # title, price, original, conditions, refund on expiry
    (
        "双人午市套餐",
        8800,
        15800,
        Conditions(valid_weekdays=[1, 2, 3, 4, 5], time_windows=[(time(11), time(14))]),
        False,
    ),
    ("100元代金券", 8900, 10000, Conditions(excluded_dates=[], stackable=False, one_per_table=True), True),
    (
        "新客专享4人套餐",  # every kind of restaurant has deals: no 火锅 at a 日料 or 咖啡
        19800,
        32800,
        Conditions(new_customers_only=True, min_party_size=3, max_party_size=5, reservation_required=True),
        False,
    ),
)
SOURCES = (SourceType.DIRECT, SourceType.REVIEW, SourceType.FEED, SourceType.SHARE_LINK)


async def seed(state: SeedState, restaurants_with_deals: int = 8) -> None:
    restaurants: list[Restaurant] = state.extra.get("restaurants", [])[:restaurants_with_deals]  # type: ignore[assignment]
    now = datetime.now(UTC)
    for restaurant in tqdm(restaurants, desc="deals", unit="restaurant"):
        async with in_transaction("default"):  # one commit per restaurant: fast on SQLite
            await _deals(state, restaurant, now)


async def _deals(state: SeedState, restaurant: Restaurant, now: datetime) -> None:
    for title, price, original, rules, auto_refund in DEALS:
        deal = await Deal.create(
            restaurant_id=restaurant.id,
            created_by_id=restaurant.owner_id,
            title=title,
            price_cents=price,
            original_price_cents=original,
            quantity=500,
            per_user_limit=1 if rules.new_customers_only else 2,  # 新客专享: one per person
            starts_at=now - timedelta(days=HISTORY_DAYS),
            ends_at=now + timedelta(days=60),
            use_ends_at=now + timedelta(days=150),
            conditions=rules.to_json(),
            refund_on_expiry=auto_refund,
        )
        await _history(state, restaurant, deal, state.rng.randint(15, 40))


async def _history(state: SeedState, restaurant: Restaurant, deal: Deal, claims: int) -> None:
    """Past claims: most redeemed (lunch/dinner hours), some expired; views before each."""
    rng, now = state.rng, datetime.now(UTC)
    zone = restaurant.timezone
    issued = 0
    for _ in range(claims):
        diner = rng.choice(state.diners)
        source = rng.choice(SOURCES)
        at = now - timedelta(days=rng.randint(1, HISTORY_DAYS), hours=rng.randint(0, 23))
        seen = rng.randint(2, 6)
        await DealView.bulk_create(
            [DealView(deal_id=deal.id, viewer_id=diner.id, source_type=source) for _ in range(seen)]
        )
        await rollup.bump(restaurant.id, source, at=at, zone=zone, views=seen)
        redeemed = rng.random() < 0.75
        used_at = (at + timedelta(days=rng.randint(0, 6))).replace(hour=rng.choice([4, 5, 10, 11, 12]))
        redeemed = redeemed and used_at < now
        status = ClaimStatus.REDEEMED if redeemed else ClaimStatus.EXPIRED
        if not redeemed and deal.refund_on_expiry:
            status = ClaimStatus.REFUNDED
        claim = await Claim.create(
            deal_id=deal.id,
            user_id=diner.id,
            idempotency_key=f"demo-{deal.id}-{issued}",
            code=vouchers.new_code(),
            status=status,
            source_type=source,
            amount_cents=deal.price_cents,
            paid=True,
            valid_until=at + timedelta(days=7) if not redeemed else deal.use_ends_at,
            redeemed_at=used_at if redeemed else None,
            bill_cents=deal.price_cents + rng.randint(0, 8000) if redeemed else None,
            ended_at=None if redeemed else at + timedelta(days=7),
        )
        await Claim.filter(id=claim.id).update(created_at=at)
        await rollup.bump(restaurant.id, source, at=at, zone=zone, claims=1)
        if redeemed:
            await rollup.bump(
                restaurant.id, source, at=used_at, zone=zone, redemptions=1, revenue_cents=deal.price_cents
            )
        issued += 1
    await Deal.filter(id=deal.id).update(claimed_count=issued)
