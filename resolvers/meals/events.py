"""Restaurant events: staff post them; diners RSVP with the same no-overbooking guarantee."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core.atomic import execute, lock_row, update_returning
from core.context import Context
from core.error_text import between, too_long
from core.errors import BadRequestError, Collector, ErrorCode, UserInputError
from core.loaders import now as held
from core.loaders import then
from core.nearby import near
from core.pagination import Page, cursor_time, decode_cursor, encode_cursor, page_size
from core.schedule import check_start, check_window, utc
from core.text import check_title, check_visible_text, check_visible_texts, distinct_tags
from models.meals import EventRsvp, RestaurantEvent
from models.restaurants import Restaurant
from resolvers import feed, visibility
from resolvers.accounts.accounts import write_limit
from resolvers.deals import rollup
from resolvers.deals.voucher_notices import yuan
from resolvers.meals import notifications
from resolvers.restaurants.access import require_staff
from resolvers.restaurants.restaurants import MAX_PRICE_CENTS
from resolvers.tables.offers import local_time

FEED_KIND = "event"
MAX_CAPACITY = 10_000


@dataclass
class EventFields:
    restaurant_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    price_cents: int = 0
    description: str = ""
    tags: list[str] = field(default_factory=list)


def _check(fields: EventFields, collector: Collector) -> None:
    fields.title = check_title(fields.title, collector)
    if len(fields.description) > 4000:
        collector.add("description", ErrorCode.TOO_LONG, too_long(4000))
    check_visible_text(fields.description, "description", collector, multiline=True)
    if not 1 <= fields.capacity <= MAX_CAPACITY:
        collector.add(
            "capacity", ErrorCode.OUT_OF_RANGE, between(f"Capacity is 1 to {MAX_CAPACITY}", 1, MAX_CAPACITY)
        )
    if not 0 <= fields.price_cents <= MAX_PRICE_CENTS:
        collector.add("priceCents", ErrorCode.OUT_OF_RANGE, "Price out of range")
    fields.tags = distinct_tags(fields.tags)
    if len(fields.tags) > 10 or any(len(t) > 24 for t in fields.tags):
        collector.add("tags", ErrorCode.OUT_OF_RANGE, "At most 10 tags of 24 characters")
    check_visible_texts(fields.tags, "tags", collector)
    check_start(fields.starts_at, "startsAt", collector)
    check_window(fields.starts_at, fields.ends_at, "endsAt", collector)


async def create_event(ctx: Context, fields: EventFields) -> RestaurantEvent:
    viewer = await write_limit(ctx, "event")
    await require_staff(viewer, fields.restaurant_id)
    collector = Collector()
    _check(fields, collector)
    collector.raise_if_any()
    async with in_transaction("default"):
        event = await RestaurantEvent.create(
            restaurant_id=fields.restaurant_id,
            created_by_id=viewer.id,
            title=fields.title,
            description=fields.description.strip(),
            starts_at=utc(fields.starts_at, "startsAt"),
            ends_at=utc(fields.ends_at, "endsAt"),
            capacity=fields.capacity,
            price_cents=fields.price_cents,
            tags=fields.tags,
        )
        await feed.publish(FEED_KIND, event.id, None, fields.restaurant_id)
    return event


def _cancelled() -> UserInputError:
    return UserInputError(ErrorCode.CANCELLED, "This event was cancelled", "eventId")


async def _refuse_if_cancelled(event_id: int) -> None:
    """Under the event's lock, when a change found nothing to change: a cancel won the race."""
    if await RestaurantEvent.filter(id=event_id, cancelled=True).exists():
        raise _cancelled()


async def _open_event(event_id: int) -> RestaurantEvent:
    event = await RestaurantEvent.filter(visibility.events_q(), id=event_id).first()
    if event is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such event", "eventId")
    if event.cancelled:
        raise _cancelled()
    now = datetime.now(UTC)
    if event.ends_at <= now:
        raise UserInputError(ErrorCode.IN_THE_PAST, "This event is over", "eventId")
    if event.starts_at <= now:  # under way: staff can't change it either (`_still_editable`)
        raise UserInputError(ErrorCode.TOO_LATE, "This event has started", "eventId")
    return event


async def rsvp(ctx: Context, event_id: int) -> RestaurantEvent:
    """A place at the event, or EVENT_FULL: the seat count moves by one conditional update."""
    viewer = await write_limit(ctx, "event")
    event = await _open_event(event_id)
    _forget_going(ctx, viewer.id)
    try:
        async with in_transaction("default"):
            await _lock_event(event.id)  # first, as every change of its places (a cancel too)
            # Then the diner's own row (not going -> going, or a new row, unique per diner), so
            # of parallel RSVPs by one diner only one goes on to take a place.
            back = await EventRsvp.filter(event_id=event.id, user_id=viewer.id, going=False).update(
                going=True, waitlisted_at=None
            )
            if not back:
                await EventRsvp.create(event_id=event.id, user_id=viewer.id)
            taken = await _take_place(event.id)
            if not taken:
                await _refuse_if_cancelled(event.id)
                raise UserInputError(ErrorCode.EVENT_FULL, "No places left", "eventId")
    except IntegrityError:
        raise UserInputError(ErrorCode.ALREADY_JOINED, "You are already going", "eventId") from None
    return await RestaurantEvent.get(id=event.id)


async def cancel_rsvp(ctx: Context, event_id: int) -> RestaurantEvent:
    """Not going after all (the place goes to the first in line), or out of the waitlist."""
    viewer = await write_limit(ctx, "event")
    event = await _open_event(event_id)
    _forget_going(ctx, viewer.id)
    promoted: list[int] = []
    async with in_transaction("default"):
        if await give_back_place(event.id, viewer.id):
            promoted = await fill_from_waitlist(ctx, event.id)
        elif not await EventRsvp.filter(
            event_id=event.id, user_id=viewer.id, waitlisted_at__isnull=False
        ).update(waitlisted_at=None):
            await _refuse_if_cancelled(event.id)  # a cancel that won the race freed this place already
            raise UserInputError(ErrorCode.NOT_JOINED, "You are not going", "eventId")
    await notifications.announce(ctx, promoted)
    return await RestaurantEvent.get(id=event.id)


async def join_waitlist(ctx: Context, event_id: int) -> RestaurantEvent:
    """候补: in line for a full event (the first place freed is the earliest's, told by
    `event_place_freed`); with a place free it is taken at once, as `rsvp` takes it."""
    viewer = await write_limit(ctx, "event")
    event = await _open_event(event_id)
    _forget_going(ctx, viewer.id)
    async with in_transaction("default"):
        await _lock_event(event.id)  # first, as every change of its places
        mine = await EventRsvp.get_or_none(event_id=event.id, user_id=viewer.id)
        if mine is not None and (mine.going or mine.waitlisted_at is not None):
            doing = "going" if mine.going else "on the waitlist"
            raise UserInputError(ErrorCode.ALREADY_JOINED, f"You are already {doing}", "eventId")
        taken = await _take_place(event.id)
        if not taken:
            await _refuse_if_cancelled(event.id)
        state = {"going": True, "waitlisted_at": None} if taken else {
            "going": False, "waitlisted_at": datetime.now(UTC)
        }
        if mine is None:
            await EventRsvp.create(event_id=event.id, user_id=viewer.id, **state)
        else:
            await EventRsvp.filter(id=mine.id).update(**state)
    return await RestaurantEvent.get(id=event.id)


async def fill_from_waitlist(ctx: Context, event_id: int) -> list[int]:
    """Under the event's lock (the caller's transaction): free places to the earliest in line,
    each told once; returns who got one (to announce after the commit)."""
    promoted: list[int] = []
    text: str | None = None
    while True:
        first = (
            await EventRsvp.filter(event_id=event_id, going=False, waitlisted_at__isnull=False)
            .order_by("waitlisted_at", "id")
            .first()
        )
        if first is None:
            break
        taken = await _take_place(event_id)
        if not taken:
            break
        await EventRsvp.filter(id=first.id).update(going=True, waitlisted_at=None)
        if text is None:  # the same words for everyone moved up now
            event = await RestaurantEvent.get(id=event_id)
            when = local_time(event.starts_at, await rollup.time_zone(event.restaurant_id))
            text = f"候补成功：「{event.title}」{when} 有位置了，已为你保留"
        await notifications.notify(ctx, [first.user_id], "event_place_freed", text, event_id=event_id)
        promoted.append(first.user_id)
    return promoted


async def _take_place(event_id: int) -> bool:
    """One place taken, in the statement that checks one is free (under the event's lock)."""
    return bool(
        await RestaurantEvent.filter(
            id=event_id, cancelled=False, seats_taken__lt=F("capacity")
        ).update(seats_taken=F("seats_taken") + 1)
    )


async def give_back_place(event_id: int, user_id: int) -> bool:
    """The one path that frees a place (cancelled RSVP, deleted account); in the caller's
    transaction. The count moves only if this update is the one that ended the RSVP."""
    await _lock_event(event_id)
    if not await EventRsvp.filter(event_id=event_id, user_id=user_id, going=True).update(going=False):
        return False
    await RestaurantEvent.filter(id=event_id).update(seats_taken=F("seats_taken") - 1)
    return True


async def _lock_event(event_id: int) -> None:
    """Every change of an event's places takes its row first (RSVP, giving a place back, the
    cancel): one order, so a cancel freeing the places never deadlocks with a diner's RSVP or
    cancellation holding their own row (NO KEY UPDATE: new RSVP rows may still reference it)."""
    await lock_row("restaurant_events", event_id, "id", strength="NO KEY UPDATE")


async def end_event(event: RestaurantEvent) -> list[int] | None:
    """In the caller's transaction: the event cancelled, every place freed and the waitlist
    emptied, its feed entry hidden.

    Returns who was going or in line for a place, or None when it was already cancelled: only
    the request whose update cancelled it frees the places and tells anyone (a second call, or
    the restaurant closing at the same moment, finds it cancelled). The update takes the event's
    row, as RSVPs do first: an RSVP committed before is freed here, one after finds the event
    cancelled."""
    if not await RestaurantEvent.filter(id=event.id, cancelled=False).update(cancelled=True):
        return None
    rows = await update_returning(
        "event_rsvps", "going = ?", "event_id = ? AND going = ?", [False, event.id, True], "user_id"
    )
    if rows:
        await RestaurantEvent.filter(id=event.id).update(seats_taken=F("seats_taken") - len(rows))
    waiting = await update_returning(
        "event_rsvps",
        "waitlisted_at = NULL",
        "event_id = ? AND waitlisted_at IS NOT NULL",
        [event.id],
        "user_id",
    )
    await feed.set_visible(FEED_KIND, event.id, False)
    return sorted({row["user_id"] for row in [*rows, *waiting]})


async def cancel_event(ctx: Context, event_id: int) -> RestaurantEvent:
    """Staff call an upcoming event off: places freed, each attendee told once, with the time."""
    event, restaurant = await _staff_event(ctx, event_id)
    # Under way or over: who came is on record, as a meal under way can't be cancelled.
    _still_editable(event, "cancelled")
    when = local_time(event.starts_at, await rollup.time_zone(event.restaurant_id))
    async with in_transaction("default"):
        going = await end_event(event)
        if going is None:
            raise _cancelled()
        await notifications.notify(
            ctx,
            going,
            "event_cancelled",
            f"「{restaurant.name}」{when} 的活动「{event.title}」已取消",
            event_id=event.id,
        )
    await notifications.announce(ctx, going)
    return await RestaurantEvent.get(id=event.id)


@dataclass
class EventChanges:
    """What staff change on an event; None leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = None
    tags: list[str] | None = None
    price_cents: int | None = None


def _pick(change: Any, current: Any) -> Any:
    return current if change is None else change


async def update_event(ctx: Context, event_id: int, changes: EventChanges) -> RestaurantEvent:
    """Staff edit an upcoming event with create's checks. The capacity never drops below the
    places taken: the change takes the event's row first, as every RSVP does, and its update is
    conditional on the places taken then. A new start or price tells each attendee once
    (event_changed)."""
    event, _ = await _staff_event(ctx, event_id)
    _still_editable(event, "changed")
    fields = EventFields(
        restaurant_id=event.restaurant_id,
        title=_pick(changes.title, event.title),
        starts_at=_pick(changes.starts_at, event.starts_at),
        ends_at=_pick(changes.ends_at, event.ends_at),
        capacity=_pick(changes.capacity, event.capacity),
        price_cents=_pick(changes.price_cents, event.price_cents),
        description=_pick(changes.description, event.description),
        tags=list(_pick(changes.tags, event.tags)),
    )
    collector = Collector()
    _check(fields, collector)
    collector.raise_if_any()
    starts_at, ends_at = utc(fields.starts_at, "startsAt"), utc(fields.ends_at, "endsAt")
    zone = await rollup.time_zone(event.restaurant_id)
    async with in_transaction("default"):
        await _lock_event(event.id)  # first, as every RSVP and cancel: they wait for this change
        locked = await RestaurantEvent.get(id=event.id)
        _still_editable(locked, "changed")  # a cancel, or the start, may have come since the read above
        moved = starts_at != locked.starts_at
        repriced = fields.price_cents != locked.price_cents  # paid at the door: those going must know
        changed = await RestaurantEvent.filter(
            id=event.id, cancelled=False, seats_taken__lte=fields.capacity
        ).update(
            title=fields.title,
            description=fields.description.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=fields.capacity,
            price_cents=fields.price_cents,
            tags=fields.tags,
            **({"reminded_at": None} if moved else {}),  # the new time is reminded too
        )
        if not changed:
            raise UserInputError(
                ErrorCode.OUT_OF_RANGE,
                f"{locked.seats_taken} places are taken: the capacity can't be below that",
                "capacity",
            )
        going: list[int] = []
        if moved or repriced:
            going = sorted(
                await EventRsvp.filter(event_id=event.id, going=True).values_list("user_id", flat=True)
            )
            said = [f"改到 {local_time(starts_at, zone)}"] if moved else []
            if repriced:
                said.append(f"价格改为 {yuan(fields.price_cents)}（到店付）")
            await notifications.notify(
                ctx, going, "event_changed", f"「{fields.title}」{'，'.join(said)}", event_id=event.id
            )
        promoted = await fill_from_waitlist(ctx, event.id)  # more places: the line moves up
    await notifications.announce(ctx, [*going, *promoted])
    return await RestaurantEvent.get(id=event.id)


async def _staff_event(ctx: Context, event_id: int) -> tuple[RestaurantEvent, Restaurant]:
    """The event a staff mutation is about (NOT_FOUND; FORBIDDEN for anyone not its staff)."""
    viewer = await write_limit(ctx, "event")
    event = await RestaurantEvent.get_or_none(id=event_id)
    if event is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such event", "eventId")
    return event, await require_staff(viewer, event.restaurant_id, field="eventId")


def _still_editable(event: RestaurantEvent, doing: str) -> None:
    """Not cancelled (CANCELLED) and not started (TOO_LATE): what staff may still cancel or change."""
    if event.cancelled:
        raise _cancelled()
    if event.starts_at <= datetime.now(UTC):
        raise UserInputError(ErrorCode.TOO_LATE, f"An event that has started can't be {doing}", "eventId")


# ------------------------------------------------------------------ the viewer's events


async def load_my_rsvps(viewer_id: int, keys: Sequence[int]) -> list[bool]:
    going = set(
        await EventRsvp.filter(user_id=viewer_id, event_id__in=list(keys), going=True).values_list(
            "event_id", flat=True
        )
    )
    return [k in going for k in keys]


# The viewer's place in each event's line: 1 + those who joined it before them (one statement
# for a page of events; 0 rows for events they are not waiting for).
_PLACES = """
SELECT mine.event_id AS event_id, COUNT(ahead.id) AS ahead
FROM event_rsvps mine
LEFT JOIN event_rsvps ahead ON ahead.event_id = mine.event_id AND ahead.waitlisted_at IS NOT NULL
  AND (ahead.waitlisted_at < mine.waitlisted_at
       OR (ahead.waitlisted_at = mine.waitlisted_at AND ahead.id < mine.id))
WHERE mine.user_id = ? AND mine.waitlisted_at IS NOT NULL AND mine.event_id IN ({keys})
GROUP BY mine.event_id
"""


async def load_my_places_in_line(viewer_id: int, keys: Sequence[int]) -> list[int | None]:
    statement = _PLACES.format(keys=", ".join("?" * len(keys)))
    rows = await execute(statement, [viewer_id, *keys])
    place = {row["event_id"]: int(row["ahead"]) + 1 for row in rows}
    return [place.get(k) for k in keys]


async def load_lines(keys: Sequence[int]) -> list[int]:
    """How many wait in each event's line (one statement for a page of events)."""
    rows = (
        await EventRsvp.filter(event_id__in=list(keys), waitlisted_at__isnull=False)
        .annotate(waiting=Count("id"))
        .group_by("event_id")
        .values_list("event_id", "waiting")
    )
    counts = dict(rows)
    return [counts.get(k, 0) for k in keys]


def place_in_line(ctx: Context, event_id: int) -> Any:
    """`waitlistPositionByMe`: None signed out or not in line, else 1 for the first in line."""
    viewer = ctx.viewer
    if viewer is None:
        return None
    return held(ctx.loaders.get(load_my_places_in_line, viewer.id), event_id)


def waitlisted_by_me(ctx: Context, event_id: int) -> Any:
    """`waitlistedByMe`: None signed out, else whether the viewer is in line."""
    if ctx.viewer is None:
        return None
    return then(place_in_line(ctx, event_id), lambda place: place is not None)


def line_length(ctx: Context, event_id: int) -> Any:
    return held(ctx.loaders.get(load_lines), event_id)


def going_by_me(ctx: Context, event_id: int) -> Any:
    """`goingByMe`: None signed out, else whether the viewer holds a place; the answer itself
    when the request's loader holds it, else its pending future (one statement per page)."""
    viewer = ctx.viewer
    if viewer is None:
        return None
    return held(ctx.loaders.get(load_my_rsvps, viewer.id), event_id)


def _forget_going(ctx: Context, viewer_id: int) -> None:
    """An RSVP or its cancel changes the answer: later fields of this request read it again (all
    of the viewer's: the loader's clear of one key fails on a key it never loaded)."""
    ctx.loaders.get(load_my_rsvps, viewer_id).clear_all()
    ctx.loaders.get(load_my_places_in_line, viewer_id).clear_all()
    ctx.loaders.get(load_lines).clear_all()


UPCOMING, PAST = 0, 1


async def my_events(ctx: Context, first: int | None, after: str | None) -> Page[RestaurantEvent]:
    """Events the viewer holds a place at and may still see: those not over yet by start time
    (soonest first), then those over (latest first)."""
    viewer = ctx.require_viewer()
    now = datetime.now(UTC)
    places = Subquery(EventRsvp.filter(user_id=viewer.id, going=True).values("event_id"))
    mine = RestaurantEvent.filter(visibility.events_q(), id__in=places, cancelled=False)
    page = await upcoming_then_past(mine, Q(ends_at__gt=now), lambda e: e.ends_at > now, first, after)
    ctx.loaders.prime(load_my_rsvps, {e.id: True for e in page.items}, viewer.id)
    return page


async def upcoming_then_past(
    mine: QuerySet[Any], upcoming: Q, is_upcoming: Callable[[Any], bool], first: int | None, after: str | None
) -> Page[Any]:
    """The viewer's own list (their events, their meals): rows matching `upcoming` (`is_upcoming`
    says the same of a row) by start time, soonest first, then the others, latest first. The
    cursor carries which part it is in."""
    size = page_size(first)
    part, key = _two_part_cursor(after)
    items: list[Any] = []
    more = False
    if part == UPCOMING:
        coming = mine.filter(upcoming)
        if key is not None:
            moment, last = key
            coming = coming.filter(Q(starts_at__gt=moment) | Q(starts_at=moment, id__gt=last))
        rows = await coming.order_by("starts_at", "id").limit(size + 1)
        items, more = rows[:size], len(rows) > size
        key = None
    if not more:
        past = mine.filter(~upcoming)
        if key is not None:
            moment, last = key
            past = past.filter(Q(starts_at__lt=moment) | Q(starts_at=moment, id__lt=last))
        left = size - len(items)
        rows = await past.order_by("-starts_at", "-id").limit(left + 1)
        items, more = items + rows[:left], len(rows) > left
    return Page(
        items=items,
        cursors=[encode_cursor([UPCOMING if is_upcoming(e) else PAST, e.starts_at, e.id]) for e in items],
        has_next_page=more,
        count=mine.count,
    )


def _two_part_cursor(after: str | None) -> tuple[int, tuple[datetime, int] | None]:
    values = decode_cursor(after, 3)
    if values is None:
        return UPCOMING, None
    part, moment, last = values
    if part not in (UPCOMING, PAST) or isinstance(part, bool):
        raise BadRequestError("Malformed cursor")
    try:
        return part, (cursor_time(moment), int(last))
    except (TypeError, ValueError):
        raise BadRequestError("Malformed cursor") from None


# ------------------------------------------------------------------ attendees (staff only)


async def load_attendees(size: int, after_id: int, keys: Sequence[int]) -> list[tuple[list[EventRsvp], bool]]:
    """For each event, its first `size` places held after RSVP `after_id` in arrival order, and
    whether more follow: one statement for a whole page of events (a window per event)."""
    marks = ",".join("?" * len(keys))
    rows = await execute(
        "SELECT id, event_id, user_id, going, created_at FROM ("
        " SELECT id, event_id, user_id, going, created_at,"
        " ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY id) AS place"
        f" FROM event_rsvps WHERE event_id IN ({marks}) AND going = ? AND id > ?"
        ") ranked WHERE place <= ? ORDER BY event_id, id",
        [*keys, True, after_id, size + 1],
    )
    found: dict[int, list[EventRsvp]] = {key: [] for key in keys}
    for row in rows:
        rsvp_row = EventRsvp._init_from_db(**row)
        found[rsvp_row.event_id].append(rsvp_row)
    return [(found[key][:size], len(found[key]) > size) for key in keys]


async def attendees(
    ctx: Context, event: RestaurantEvent, first: int | None, after: str | None
) -> Page[EventRsvp]:
    size = page_size(first)
    values = decode_cursor(after, 1)
    try:
        after_id = int(values[0]) if values else 0
    except (TypeError, ValueError):
        raise BadRequestError("Malformed cursor") from None
    rows, more = await ctx.loaders.get(load_attendees, size, after_id).load(event.id)
    return Page(items=rows, cursors=[encode_cursor([r.id]) for r in rows], has_next_page=more)


async def events_nearby(
    ctx: Context, lat: float, lng: float, radius_km: float, first: int | None, after: str | None
) -> Page[tuple[RestaurantEvent, float]]:
    now = datetime.now(UTC)

    def select(restaurant_ids: list[int]) -> QuerySet[RestaurantEvent]:
        return RestaurantEvent.filter(
            visibility.events_q(), restaurant_id__in=restaurant_ids, cancelled=False, ends_at__gt=now
        )

    return await near(ctx, lat, lng, radius_km, select, lambda e: e.starts_at, first, after)
