"""A diner's record at tables: attended, no-shows and meals rated (shown to restaurants they book
with and to hosts deciding on join requests). Counted from the rows, never stored twice."""

from __future__ import annotations

from dataclasses import dataclass

from models.tables import Booking, BookingStatus


@dataclass
class Record:
    attended: int
    no_shows: int
    rated: int


async def no_show_count(user_id: int) -> int:
    from resolvers.tables import meal_life  # a sibling that imports this module too

    return await Booking.filter(user_id=user_id, status=BookingStatus.NO_SHOW).count() + (
        await meal_life.meal_no_shows(user_id)
    )


async def record(user_id: int) -> Record:
    from resolvers.tables import meal_life

    attended, rated = await meal_life.attended_and_rated(user_id)
    return Record(attended=attended, no_shows=await no_show_count(user_id), rated=rated)
