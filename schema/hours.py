"""Opening hours: the Restaurant fields' types and the staff mutation that sets them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import strawberry

from models.restaurants import Restaurant
from resolvers.restaurants import hours, opening
from schema.context import Info
from schema.ids import decode
from schema.payloads import payload_mutation
from schema.restaurants import RestaurantNode, RestaurantPayload


@strawberry.type
class TimeRange:
    opens: str = strawberry.field(description="HH:MM, wall clock in the restaurant's zone.")
    closes: str = strawberry.field(description="HH:MM; not after `opens` means past midnight.")


@strawberry.type
class WeeklyRange(TimeRange):
    weekday: int = strawberry.field(description="0 = Monday … 6 = Sunday.")


@strawberry.type
class SpecialHours:
    date: date
    ranges: list[TimeRange]
    closed: bool
    note: str


@strawberry.type
class OpeningHours:
    timezone: str
    weekly: list[WeeklyRange]
    specials: list[SpecialHours]


@strawberry.input
class TimeRangeInput:
    opens: str
    closes: str


@strawberry.input
class WeeklyRangeInput:
    weekday: int = strawberry.field(
        description="0 = Monday … 6 = Sunday (a deal's validWeekdays count 1 = Monday … 7 = Sunday)."
    )
    opens: str
    closes: str


@strawberry.input
class SpecialHoursInput:
    date: date
    ranges: list[TimeRangeInput] = strawberry.field(default_factory=list, description="Empty: closed.")
    note: str = ""


@strawberry.input
class OpeningHoursInput:
    timezone: str | None = strawberry.field(default=None, description="IANA zone; unchanged if null.")
    weekly: list[WeeklyRangeInput] | None = strawberry.field(
        default=None,
        description="The whole week's hours (weekday 0 = Monday … 6 = Sunday); null or left out: "
        "unchanged, [] : no weekly hours.",
    )
    specials: list[SpecialHoursInput] | None = strawberry.field(
        default=None,
        description="Holiday hours and closures, replacing those dates' hours; null or left out: "
        "unchanged, [] : none.",
    )


def _ranges(pairs: tuple[tuple[int, int], ...]) -> list[TimeRange]:
    return [TimeRange(opens=opening.clock(o), closes=opening.clock(c)) for o, c in pairs]


async def _hours(info: Info, restaurant: Restaurant) -> opening.Hours | None:
    return await info.context.loaders.get(opening.load_hours).load(restaurant.id)


async def opening_hours(info: Info, restaurant: Restaurant) -> OpeningHours | None:
    found = await _hours(info, restaurant)
    if found is None:
        return None
    s = found.schedule
    weekly = [WeeklyRange(weekday=d, opens=opening.clock(o), closes=opening.clock(c)) for d, o, c in s.weekly]
    specials = [
        SpecialHours(date=date.fromisoformat(day), ranges=_ranges(r), closed=not r, note=note)
        for day, r, note in sorted((d, r, s.notes.get(d, "")) for d, r in s.specials.items())
    ]
    return OpeningHours(timezone=found.zone, weekly=weekly, specials=specials)


async def open_now(info: Info, restaurant: Restaurant) -> bool | None:
    found = await _hours(info, restaurant)
    return None if found is None else hours.is_open(found.schedule, found.zone, datetime.now(UTC))


async def opens_at(info: Info, restaurant: Restaurant) -> datetime | None:
    found = await _hours(info, restaurant)
    if found is None:
        return None
    at = hours.opens_at(found.schedule, found.zone, datetime.now(UTC))
    return at.astimezone(ZoneInfo(found.zone)) if at else None


@strawberry.type
class Mutation:
    @payload_mutation(
        description="Restaurant staff: replace the weekly hours, the holidays and closures, or both "
        "(a list left out stays as it is)."
    )
    async def set_opening_hours(
        self, info: Info, restaurant_id: strawberry.ID, input: OpeningHoursInput
    ) -> RestaurantPayload:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        weekly = (
            None
            if input.weekly is None
            else [opening.WeeklyRange(w.opens, w.closes, w.weekday) for w in input.weekly]
        )
        specials = (
            None
            if input.specials is None
            else [
                opening.SpecialDay(s.date, [opening.TimeRange(r.opens, r.closes) for r in s.ranges], s.note)
                for s in input.specials
            ]
        )
        row = await opening.set_opening_hours(info.context, pk, input.timezone, weekly, specials)
        return RestaurantPayload(restaurant=RestaurantNode.from_model(row))
