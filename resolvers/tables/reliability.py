"""A diner's record at tables: attended, no-shows and meals rated (shown to restaurants they book
with and to hosts deciding on join requests). Counted from the rows, never stored twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.functions import Count

from models.meals import MealSeat, SeatStatus
from models.tables import Booking, BookingStatus, MealCheckIn, MealRating


@dataclass
class Record:
    attended: int
    no_shows: int
    rated: int


async def no_show_count(user_id: int) -> int:
    return (await load_records([user_id]))[0].no_shows


async def load_records(keys: Sequence[int]) -> list[Record]:
    """Each diner's record, for a whole inbox day or waiting list at once: four grouped counts
    whatever the number of diners (`attended` counts check-ins, `noShows` bookings marked no-show
    plus NO_SHOW meal seats, `rated` the meals they rated)."""
    ids = sorted(set(keys))

    async def per_user(query, user_field: str, counted: Count) -> dict[int, int]:  # noqa: ANN001
        rows = await query.annotate(n=counted).group_by(user_field).values_list(user_field, "n")
        return {user_id: n for user_id, n in rows}

    booked = await per_user(
        Booking.filter(user_id__in=ids, status=BookingStatus.NO_SHOW), "user_id", Count("id")
    )
    seated = await per_user(
        MealSeat.filter(user_id__in=ids, status=SeatStatus.NO_SHOW), "user_id", Count("id")
    )
    attended = await per_user(MealCheckIn.filter(user_id__in=ids), "user_id", Count("id"))
    rated = await per_user(
        MealRating.filter(rater_id__in=ids, target_id__isnull=True),
        "rater_id",
        Count("meal_id", distinct=True),
    )
    return [
        Record(
            attended=attended.get(key, 0),
            no_shows=booked.get(key, 0) + seated.get(key, 0),
            rated=rated.get(key, 0),
        )
        for key in keys
    ]
