"""A suspended diner's reviews leave the dish and restaurant counters, and come back after.

Lists already leave out reviews whose author is suspended (resolvers/visibility.py); the
counters (a dish's review count and mean, a restaurant's rating summary and the search sort keys
that follow them) must say the same, or a review-bomber's one-star reviews keep dragging a
restaurant down after a moderator suspended them. `users.counts_withdrawn` says the diner's
reviews are out of the counters:

- `withdraw` sets it (only if unset: the UPDATE's WHERE) and takes each visible review's share
  out, restaurant by restaurant under the counter lock, from the rows as that statement found
  them. A moderator's SUSPEND_USER calls it in the decision's transaction.
- `restore` clears it, only once the suspension has ended, and puts the shares back the same
  way: UNSUSPEND_USER at once, a lapsed suspension through the `settle-suspensions` job.
- every other writer of the counters reads the flag after taking the restaurant's counter lock,
  in the statement that returns the review's share (ratings.SHARE_COLUMNS), so a withdrawn
  author's edit, hide, restore, deletion or verified visit moves nothing.
- writers that can make a review count at a restaurant `withdraw` may not visit (a new review;
  a moderator showing a hidden one) take the author's row lock first (`lock_author`); lock order
  everywhere: author row, restaurant counters, review rows, dish.
- the diner's helpful votes leave the reviews' `helpful_count` the same way (`_move_votes`); a
  vote takes the voter's row lock first and, if withdrawn, is recorded but not counted.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from core.atomic import execute, lock_row, one_at_a_time, update_returning
from models.accounts import User
from models.restaurants import Dish, Visibility
from models.reviews import Review
from resolvers.reviews import ratings

if TYPE_CHECKING:
    from core.context import Services

BATCH = 100  # diners settled per job run
# Withdrawals and restores run one at a time, with moderators' decisions (the same name): two of
# them moving sock puppets who voted for each other would otherwise lock each other's reviews
# in opposite orders (`_move_votes`). Re-entrant: a decision already holds it.
ONE_AT_A_TIME = "moderation"


async def lock_author(user_id: int) -> bool:
    """Inside a transaction, before the counter lock: the author's row locked; True if their
    reviews are withdrawn (then a review they write or that is shown again doesn't count)."""
    row = await lock_row("users", user_id, "counts_withdrawn", strength="NO KEY UPDATE")
    return bool(row and row["counts_withdrawn"])


async def withdraw(user_id: int) -> bool:
    """Take the diner's visible reviews out of the counters (once). True if this call did."""
    async with in_transaction("default"):
        await one_at_a_time(ONE_AT_A_TIME)
        crossed = await update_returning(
            "users", "counts_withdrawn = ?", "id = ? AND counts_withdrawn = ?", [True, user_id, False], "id"
        )
        if crossed:
            await _move_all(user_id, sign=-1)
            await _move_votes(user_id, sign=-1)
    return bool(crossed)


async def restore(user_id: int, now: datetime | None = None) -> bool:
    """Put the diner's visible reviews back, if withdrawn and no longer suspended. True if this call did."""
    now = now or datetime.now(UTC)
    async with in_transaction("default"):
        await one_at_a_time(ONE_AT_A_TIME)
        crossed = await update_returning(
            "users",
            "counts_withdrawn = ?",
            "id = ? AND counts_withdrawn = ? AND (suspended_until IS NULL OR suspended_until <= ?)",
            [False, user_id, True, now],
            "id",
        )
        if crossed:
            await _move_all(user_id, sign=1)
            await _move_votes(user_id, sign=1)
    return bool(crossed)


async def _move_votes(user_id: int, sign: int) -> None:
    """The diner's helpful votes leave (and rejoin) the reviews' counts, so sock puppets a
    moderator suspended stop lifting a review to the top of "most helpful". A vote cast while
    withdrawn was never counted (`vote_helpful` reads the flag under the voter's row lock), so
    putting every vote back is exact. Other people's review rows are taken last, in no fixed
    order: withdrawals and restores run one at a time (ONE_AT_A_TIME) for that."""
    await execute(
        "UPDATE reviews SET helpful_count = helpful_count + ? "
        "WHERE id IN (SELECT review_id FROM helpful_votes WHERE user_id = ?)",
        [sign, user_id],
    )


async def _move_all(user_id: int, sign: int) -> None:
    """Every visible review of the diner, restaurant by restaurant (ascending: one lock order)."""
    restaurants = await Review.filter(author_id=user_id, visibility=Visibility.VISIBLE).values_list(
        "restaurant_id", flat=True
    )
    for restaurant_id in sorted(set(restaurants)):
        await ratings.lock(restaurant_id)
        rows = await update_returning(
            "reviews",
            "edit_count = edit_count",
            "author_id = ? AND restaurant_id = ? AND visibility = ?",
            [user_id, restaurant_id, Visibility.VISIBLE.value],
            f"dish_id, {ratings.SHARE_COLUMNS}",
        )
        restaurant: Counter[str] = Counter()
        dishes: dict[int, Counter[str]] = {}
        for row in rows:
            share = ratings.Share.of(row, author_withdrawn=False)
            if share is None:
                continue
            restaurant.update({column: sign * value for column, value in share.columns().items()})
            dishes.setdefault(row["dish_id"], Counter()).update(
                {"review_count": sign, "rating_sum": sign * share.rating}
            )
        await ratings.add(restaurant_id, {column: delta for column, delta in restaurant.items() if delta})
        for dish_id, deltas in sorted(dishes.items()):
            moves = {column: F(column) + delta for column, delta in deltas.items()}
            await Dish.filter(id=dish_id).update(**moves)


async def settle_suspensions(services: Services | None = None) -> dict[str, int]:
    """The job: withdraw suspensions not yet withdrawn (older than this module, or a suspension
    written past the app), restore withdrawals whose suspension has ended."""
    now = datetime.now(UTC)
    due_out = (
        await User.filter(suspended_until__gt=now, counts_withdrawn=False)
        .limit(BATCH)
        .values_list("id", flat=True)
    )
    due_back = (
        await User.filter(counts_withdrawn=True)
        .filter(Q(suspended_until__isnull=True) | Q(suspended_until__lte=now))
        .limit(BATCH)
        .values_list("id", flat=True)
    )
    withdrawn = [user_id for user_id in due_out if await withdraw(user_id)]
    restored = [user_id for user_id in due_back if await restore(user_id, now)]
    return {"withdrawn": len(withdrawn), "restored": len(restored)}
