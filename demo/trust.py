"""seed-demo step (issue 15): what makes a restaurant page worth trusting.

Some diners redeemed a voucher where they reviewed (their reviews become verified visits), many
say what they spent per person (人均), owners answer a share of the reviews, and a few
restaurants run a live deal. Counters are then built from the rows, once, the way
resolvers/reviews/ratings.py would have moved them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from demo.seed import SeedState
from models.deals import Claim, ClaimStatus, Deal
from models.restaurants import Restaurant, Visibility
from models.reviews import Review
from models.trust import RestaurantRating, ReviewReply
from resolvers.deals.vouchers import new_code
from resolvers.reviews.ratings import Share

REPLIES = {
    "low": ["抱歉给您不好的体验，我们已经在改进，欢迎再来", "Sorry about that, we spoke to the kitchen."],
    "high": ["谢谢支持！下次来送您一份甜品", "Thank you, see you again soon!"],
}


async def seed(state: SeedState) -> None:
    rng = state.rng
    now = datetime.now(UTC)
    restaurants = {r.id: r for r in await Restaurant.all()}
    deals: dict[int, Deal] = {}
    for restaurant in list(restaurants.values())[::3]:
        deals[restaurant.id] = await Deal.create(
            restaurant_id=restaurant.id,
            created_by_id=restaurant.owner_id,
            title="双人套餐 8 折",
            price_cents=0,
            original_price_cents=16800,
            quantity=200,
            claimed_count=0,
            per_user_limit=1,
            starts_at=now - timedelta(days=30),
            ends_at=now + timedelta(days=30),
        )
    bills: dict[int, list[int]] = defaultdict(list)
    for review in await Review.all().order_by("id"):
        restaurant = restaurants[review.restaurant_id]
        if rng.random() < 0.6:
            review.spend_cents = rng.randint(40, 160) * 100
        deal = deals.get(review.restaurant_id)
        if deal is not None and rng.random() < 0.5:
            visited = review.created_at - timedelta(hours=rng.randint(1, 48))
            bill = rng.randint(60, 300) * 100
            await Claim.create(
                deal_id=deal.id,
                user_id=review.author_id,
                idempotency_key=f"demo-{review.id}",
                code=new_code(),
                status=ClaimStatus.REDEEMED,
                valid_until=now + timedelta(days=30),
                bill_cents=bill,
                redeemed_at=visited,
                redeemed_by_id=restaurant.owner_id,
            )
            await Deal.filter(id=deal.id).update(claimed_count=deal.claimed_count + 1)
            deal.claimed_count += 1
            bills[review.restaurant_id].append(bill)
            review.verified, review.verified_at = True, visited
        await review.save(update_fields=["spend_cents", "verified", "verified_at"])
        if rng.random() < (0.7 if review.rating <= 2 else 0.25):
            await ReviewReply.create(
                review_id=review.id,
                restaurant_id=review.restaurant_id,
                author_id=restaurant.owner_id,
                body=rng.choice(REPLIES["low" if review.rating <= 3 else "high"]),
            )
    await _build_counters(bills)


async def _build_counters(bills: dict[int, list[int]]) -> None:
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for review in await Review.filter(visibility=Visibility.VISIBLE):
        share = Share.of(review)
        for column, value in (share.columns() if share else {}).items():
            totals[review.restaurant_id][column] += value
    for restaurant_id, amounts in bills.items():
        totals[restaurant_id]["bill_sum"] += sum(amounts)
        totals[restaurant_id]["bill_count"] += len(amounts)
    await RestaurantRating.all().delete()
    await RestaurantRating.bulk_create(
        [RestaurantRating(restaurant_id=rid, **dict(columns)) for rid, columns in totals.items()]
    )
