"""Restaurant rating counters and verified visits.

Each visible review contributes a `Share` to its restaurant's `restaurant_ratings` row: one to
the count and to its star bucket, its rating to the plain sum, rating x weight to the weighted
sum (a verified review weighs VERIFIED_WEIGHT, others 1), and its stated spend per person to the
人均 sums. Every change moves the counters by the difference between the share the review had and
the share it has, in one UPDATE of increments in the transaction that changes the review; the old
share always comes from the review row as that transaction's own UPDATE/DELETE ... RETURNING
found it (under its row lock), never from a copy read earlier. So hides, restores, edits,
deletions and verifications in parallel each move the counters exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.expressions import F

from core.atomic import update_returning
from models.deals import Claim, ClaimStatus
from models.restaurants import Dish, Visibility
from models.reviews import Review
from models.tables import MealCheckIn
from models.trust import RestaurantRating

# A review by someone who redeemed a voucher at the restaurant counts twice in its rating.
VERIFIED_WEIGHT = 2
# Columns a counted review returns from its RETURNING clause; the author's flag is read by the
# same statement, after the caller's counter lock (see resolvers/reviews/withdrawal.py).
SHARE_COLUMNS = (
    "rating, verified, spend_cents, visibility, restaurant_id, "
    "(SELECT u.counts_withdrawn FROM users u WHERE u.id = reviews.author_id) AS author_withdrawn"
)
_ZEROS = (
    "review_count, rating_sum, weighted_sum, weight_total, verified_count, stars_1, stars_2, "
    "stars_3, stars_4, stars_5, review_spend_sum, review_spend_count, bill_sum, bill_count"
)


@dataclass(frozen=True)
class Share:
    """What one visible review adds to its restaurant's counters."""

    rating: int
    verified: bool
    spend_cents: int | None

    @classmethod
    def of(cls, row: dict[str, Any] | Any, author_withdrawn: bool | None = None) -> Share | None:
        """The share of a review row (dict from RETURNING, or a model); None unless it counts:
        visible, and its author's reviews not withdrawn (suspended). A dict carries the flag
        (SHARE_COLUMNS); a model's caller passes it."""
        get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
        if str(get("visibility")) not in (Visibility.VISIBLE.value, str(Visibility.VISIBLE)):
            return None
        if author_withdrawn is None:
            author_withdrawn = bool(row.get("author_withdrawn")) if isinstance(row, dict) else False
        if author_withdrawn:
            return None
        return cls(int(get("rating")), bool(get("verified")), get("spend_cents"))

    def columns(self) -> dict[str, int]:
        weight = VERIFIED_WEIGHT if self.verified else 1
        counted = {
            "review_count": 1,
            "rating_sum": self.rating,
            "weighted_sum": self.rating * weight,
            "weight_total": weight,
            "verified_count": int(self.verified),
            f"stars_{self.rating}": 1,
        }
        if self.spend_cents is not None:
            counted |= {"review_spend_sum": self.spend_cents, "review_spend_count": 1}
        return counted


def _difference(old: Share | None, new: Share | None) -> dict[str, int]:
    deltas: dict[str, int] = {}
    for share, sign in ((old, -1), (new, 1)):
        for column, value in (share.columns() if share else {}).items():
            deltas[column] = deltas.get(column, 0) + sign * value
    return {column: delta for column, delta in deltas.items() if delta}


async def _ensure_row(restaurant_id: int) -> None:
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    mark = "$1" if dialect == "postgres" else "?"
    zeros = ", ".join("0" for _ in _ZEROS.split(","))
    await conn.execute_query(
        f"INSERT INTO restaurant_ratings (restaurant_id, {_ZEROS}) VALUES ({mark}, {zeros}) "
        "ON CONFLICT (restaurant_id) DO NOTHING",
        [restaurant_id],
    )


async def lock(restaurant_id: int | None) -> None:
    """Take the restaurant's counter row lock first, in every transaction that writes its reviews
    or redeems a voucher there: one lock order (counters, then review rows, then the dish) so no
    two such writers deadlock, and a review being written and a redemption verifying it run one
    after the other (the later one sees the other's row)."""
    if restaurant_id is None:
        return
    await _ensure_row(restaurant_id)
    await update_returning(
        "restaurant_ratings", "review_count = review_count", "restaurant_id = ?", [restaurant_id], "id"
    )


async def add(restaurant_id: int, deltas: dict[str, int]) -> None:
    if not deltas:
        return
    await _ensure_row(restaurant_id)
    await RestaurantRating.filter(restaurant_id=restaurant_id).update(
        **{column: F(column) + delta for column, delta in deltas.items()}
    )


async def move(restaurant_id: int, old: Share | None, new: Share | None) -> None:
    """A review went from share `old` to share `new` (None: not counted). Inside its transaction."""
    await add(restaurant_id, _difference(old, new))


async def move_dish(dish_id: int, old: Share | None, new: Share | None) -> None:
    """The dish's plain counters (review count, rating sum) by the same difference of shares."""
    count = (new is not None) - (old is not None)
    rating = (new.rating if new else 0) - (old.rating if old else 0)
    if count or rating:
        await Dish.filter(id=dish_id).update(
            review_count=F("review_count") + count, rating_sum=F("rating_sum") + rating
        )


def bill_per_person(bill_cents: int, party_size: int | None) -> int:
    """A redeemed bill's spend per person: the bill over the party size the till gave, rounded to
    the cent (half up); without a party size the bill counts as one diner's."""
    if not party_size or party_size <= 1:
        return bill_cents
    return (2 * bill_cents + party_size) // (2 * party_size)


async def record_bill(restaurant_id: int, bill_cents: int | None, party_size: int | None = None) -> None:
    """A redeemed voucher's bill counts toward 人均 as one per-person spend: the bill divided by
    the party size typed at the till, or, without one, the whole bill (one diner). Inside the
    redemption's transaction."""
    spend = bill_per_person(bill_cents, party_size) if bill_cents else 0
    if spend:  # nothing paid (or under a cent each): no spend to count
        await add(restaurant_id, {"bill_sum": spend, "bill_count": 1})


async def first_visit(user_id: int, restaurant_id: int) -> datetime | None:
    """When the diner first proved a visit to the restaurant: a redeemed voucher, or a check-in
    at a shared meal there (None: never)."""
    claim = (
        await Claim.filter(user_id=user_id, deal__restaurant_id=restaurant_id, status=ClaimStatus.REDEEMED)
        .order_by("redeemed_at")
        .first()
    )
    check_in = (
        await MealCheckIn.filter(user_id=user_id, meal__restaurant_id=restaurant_id)
        .order_by("created_at")
        .first()
    )
    visits = [claim.redeemed_at if claim else None, check_in.created_at if check_in else None]
    return min((at for at in visits if at is not None), default=None)


async def verify_visits(user_id: int, restaurant_id: int, at: datetime) -> None:
    """A redemption or a meal check-in verifies the diner's earlier reviews there. In its transaction: each
    review row turns verified once (the WHERE), and its weight moves from what the row holds."""
    await lock(restaurant_id)
    rows = await update_returning(
        "reviews",
        "verified = ?",
        "author_id = ? AND restaurant_id = ? AND verified = ?",
        [True, user_id, restaurant_id, False],
        f"id, {SHARE_COLUMNS}",
    )
    if rows:
        await Review.filter(id__in=[row["id"] for row in rows]).update(verified_at=at)
    for row in rows:
        new = Share.of(row)
        if new is not None:
            await move(restaurant_id, Share(new.rating, False, new.spend_cents), new)


def weighted_average(row: RestaurantRating | None) -> float | None:
    if row is None or not row.weight_total:
        return None
    return round(row.weighted_sum / row.weight_total, 2)


def spend_per_person(row: RestaurantRating | None) -> int | None:
    """人均 in cents: stated spends and redeemed bills (per person) together, each one entry."""
    if row is None:
        return None
    count = row.review_spend_count + row.bill_count
    return round((row.review_spend_sum + row.bill_sum) / count) if count else None
