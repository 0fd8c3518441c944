"""Standalone bookings: party size, time and note against the seats a restaurant opens per slot.

A slot's `seats_booked` moves only in the UPDATE that checks it (`seats_booked + n <= seats`),
so no interleaving of bookings overbooks a slot on either backend. A booking holds its seats
while REQUESTED, CONFIRMED or PROPOSED; every move out of those states is a conditional update on
the booking's status whose winner, and only it, gives the seats back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core.atomic import lock_row, update_returning
from core.context import Context
from core.error_text import between, too_long
from core.errors import Collector, ErrorCode, UserInputError
from core.schedule import check_start, utc
from core.text import check_visible_text
from models.restaurants import Restaurant
from models.tables import HOLDING, Booking, BookingPolicy, BookingSlot, BookingStatus
from resolvers import visibility
from resolvers.accounts.accounts import write_limit
from resolvers.meals import notifications
from resolvers.restaurants import opening
from resolvers.restaurants.access import require_staff
from resolvers.tables import inbox, reliability
from resolvers.tables.offers import local_time

MAX_SLOT_SEATS = 500
DEFAULT_POLICY = BookingPolicy(cancel_cutoff_minutes=120, max_party_size=10, no_show_limit=2)


@dataclass
class SlotFields:
    starts_at: datetime
    seats: int


@dataclass
class PolicyFields:
    """What staff change; None keeps the stored value (or the default, before any policy)."""

    cancel_cutoff_minutes: int | None = None
    max_party_size: int | None = None
    no_show_limit: int | None = None


async def policy_of(restaurant_id: int) -> BookingPolicy:
    return await BookingPolicy.get_or_none(restaurant_id=restaurant_id) or DEFAULT_POLICY


async def set_policy(ctx: Context, restaurant_id: int, fields: PolicyFields) -> BookingPolicy:
    viewer = await write_limit(ctx, "booking")
    await require_staff(viewer, restaurant_id)
    collector = Collector()
    cutoff, party, no_shows = fields.cancel_cutoff_minutes, fields.max_party_size, fields.no_show_limit
    if cutoff is not None and not 0 <= cutoff <= 7 * 24 * 60:
        collector.add("cancelCutoffMinutes", ErrorCode.OUT_OF_RANGE, between("0 to 10080 minutes", 0, 10080))
    if party is not None and not 1 <= party <= 50:
        collector.add("maxPartySize", ErrorCode.OUT_OF_RANGE, between("1 to 50", 1, 50))
    if no_shows is not None and not 1 <= no_shows <= 20:
        collector.add("noShowLimit", ErrorCode.OUT_OF_RANGE, between("1 to 20", 1, 20))
    collector.raise_if_any()
    given = {
        name: value
        for name, value in (
            ("cancel_cutoff_minutes", cutoff),
            ("max_party_size", party),
            ("no_show_limit", no_shows),
        )
        if value is not None
    }
    # Only the fields given are written (a second member of staff changing another field at the
    # same moment keeps theirs); the first policy starts from the defaults.
    if given and not await BookingPolicy.filter(restaurant_id=restaurant_id).update(**given):
        try:
            await BookingPolicy.create(restaurant_id=restaurant_id, **given)
        except IntegrityError:  # created meanwhile by a colleague: change theirs
            await BookingPolicy.filter(restaurant_id=restaurant_id).update(**given)
    return await policy_of(restaurant_id)


async def set_slots(ctx: Context, restaurant_id: int, slots: list[SlotFields]) -> list[BookingSlot]:
    """Open (or resize) slots; a slot never shrinks below the seats already booked on it."""
    viewer = await write_limit(ctx, "booking")
    await require_staff(viewer, restaurant_id)
    collector = Collector()
    if not 1 <= len(slots) <= 100:
        collector.add("slots", ErrorCode.OUT_OF_RANGE, between("1 to 100 slots at a time", 1, 100))
    first_at: dict[datetime, int] = {}  # each instant's first entry: a second would silently win
    hours = await opening.load_hours([restaurant_id])
    for i, slot in enumerate(slots):
        field = f"slots.{i}.startsAt"
        if check_start(slot.starts_at, field, collector):
            at = slot.starts_at
            if at.second or at.microsecond:  # 19:00:17.5 read as a second "19:00" in the app
                collector.add(field, ErrorCode.INVALID, "Slots start on a whole minute")
            elif at in first_at:
                collector.add(field, ErrorCode.DUPLICATE, f"The same time as slots.{first_at[at]}")
            elif opening.closed_then(hours[0], at):  # as meals and events are refused then
                collector.add(field, ErrorCode.RESTAURANT_CLOSED, opening.CLOSED_THEN)
            first_at.setdefault(at, i)
        if not 0 <= slot.seats <= MAX_SLOT_SEATS:
            collector.add(
                f"slots.{i}.seats",
                ErrorCode.OUT_OF_RANGE,
                between(f"0 to {MAX_SLOT_SEATS} seats", 0, MAX_SLOT_SEATS),
            )
    collector.raise_if_any()
    saved: list[BookingSlot] = []
    async with in_transaction("default"):
        for i, slot in enumerate(slots):
            row, created = await BookingSlot.get_or_create(
                {"seats": slot.seats}, restaurant_id=restaurant_id, starts_at=utc(slot.starts_at)
            )
            if not created:
                resized = await update_returning(
                    "booking_slots",
                    "seats = ?",
                    "id = ? AND seats_booked <= ?",
                    [slot.seats, row.id, slot.seats],
                    "id",
                )
                if not resized:  # the whole call rolls back: nothing half-written
                    raise UserInputError(
                        ErrorCode.OUT_OF_RANGE,
                        "More seats are already booked at this time",
                        f"slots.{i}.seats",
                    )
            saved.append(await BookingSlot.get(id=row.id))
    return saved


async def slots_between(restaurant_id: int, start: datetime, end: datetime) -> list[BookingSlot]:
    # In UTC, as stored (SQLite compares the text); asyncpg would overflow converting year 1 itself.
    start, end = utc(start, "start"), utc(end, "end")
    return (
        await BookingSlot.filter(restaurant_id=restaurant_id, starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at")
        .limit(500)
    )


async def take_seats(slot_id: int, party: int) -> bool:
    """The one statement that books seats: True when they were free and are now held."""
    rows = await update_returning(
        "booking_slots",
        "seats_booked = seats_booked + ?",
        "id = ? AND seats_booked + ? <= seats",
        [party, slot_id, party],
        "seats_booked",
    )
    return bool(rows)


async def give_back(slot_id: int, party: int) -> None:
    await update_returning(
        "booking_slots",
        "seats_booked = seats_booked - ?",
        "id = ? AND seats_booked >= ?",
        [party, slot_id, party],
        "id",
    )


async def _slot_at(restaurant_id: int, starts_at: datetime, field: str) -> BookingSlot:
    slot = await BookingSlot.get_or_none(restaurant_id=restaurant_id, starts_at=utc(starts_at, field))
    if slot is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "The restaurant takes no bookings at this time", field)
    return slot


async def holds_none_at(user_id: int, slot_id: int, field: str, but: int | None = None) -> None:
    """Inside the caller's transaction: lock the diner's row (serializing their bookings), then
    refuse (DUPLICATE) when they already hold a live booking at this slot (other than `but`)."""
    await lock_row("users", user_id, "id", strength="NO KEY UPDATE")  # bookings reference it
    held = Booking.filter(user_id=user_id, slot_id=slot_id, status__in=list(HOLDING))
    if but is not None:
        held = held.exclude(id=but)
    if await held.exists():
        raise UserInputError(ErrorCode.DUPLICATE, "You already have a booking at this time", field)


async def book(ctx: Context, restaurant_id: int, starts_at: datetime, party_size: int, note: str) -> Booking:
    viewer = await write_limit(ctx, "booking")
    collector = Collector()
    check_start(starts_at, "startsAt", collector)
    policy = await policy_of(restaurant_id)
    if not 1 <= party_size <= policy.max_party_size:
        collector.add(
            "partySize",
            ErrorCode.OUT_OF_RANGE,
            between(f"Party size is 1 to {policy.max_party_size}", 1, policy.max_party_size),
        )
    if len(note) > 200:
        collector.add("note", ErrorCode.TOO_LONG, too_long(200))
    check_visible_text(note, "note", collector, multiline=True)  # staff read it, as a meal's note
    collector.raise_if_any()
    if not await Restaurant.filter(visibility.restaurants_q(), id=restaurant_id).exists():
        raise UserInputError(ErrorCode.NOT_FOUND, "No such restaurant", "restaurantId")
    slot = await _slot_at(restaurant_id, starts_at, "startsAt")
    no_shows = await reliability.no_show_count(viewer.id)
    status = BookingStatus.REQUESTED if no_shows >= policy.no_show_limit else BookingStatus.CONFIRMED
    async with in_transaction("default"):
        # One live booking per diner and start time at a restaurant: the diner's row is locked
        # first, so their parallel bookings check one after the other and one is made.
        await holds_none_at(viewer.id, slot.id, "startsAt")
        if not await take_seats(slot.id, party_size):
            raise UserInputError(ErrorCode.SLOT_FULL, "Not enough seats left at this time", "startsAt")
        booking = await Booking.create(
            restaurant_id=restaurant_id,
            slot_id=slot.id,
            user_id=viewer.id,
            party_size=party_size,
            starts_at=slot.starts_at,
            note=note.strip(),
            status=status,
        )
        line = f"新订座：{await inbox.staff_line(booking)}"
        if status == BookingStatus.REQUESTED:  # the diner's no-shows: staff confirm or decline
            line += "，待确认"
        await inbox.tell_staff(
            ctx,
            restaurant_id,
            "booking_new",
            line,
            subject=inbox.subject_of(booking),
            actor_id=viewer.id,
        )
    await inbox.changed(ctx, booking)
    return booking


MY_BOOKINGS = 100


async def my_bookings(ctx: Context) -> list[Booking]:
    """The viewer's bookings: those still to come soonest first, then past ones latest first, at
    most MY_BOOKINGS (a long history never pushes the next booking off the list)."""
    from resolvers.meals.events import upcoming_then_past

    viewer = ctx.require_viewer()
    now = datetime.now(UTC)
    page = await upcoming_then_past(
        Booking.filter(user_id=viewer.id),
        Q(starts_at__gt=now),
        lambda b: b.starts_at > now,
        MY_BOOKINGS,
        None,
    )
    return page.items


async def own_booking(ctx: Context, booking_id: int, field: str = "bookingId") -> Booking:
    """The viewer's booking; someone else's answers like a missing one. `field`: the argument
    the client named it by (bookingId, or requestId in the inbox's mutations)."""
    viewer = ctx.require_viewer()
    booking = await Booking.get_or_none(id=booking_id, user_id=viewer.id)
    if booking is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such booking of yours", field)
    return booking


async def staff_booking(ctx: Context, booking_id: int, field: str = "bookingId") -> Booking:
    viewer = await write_limit(ctx, "booking")
    booking = await Booking.get_or_none(id=booking_id)
    if booking is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such booking", field)
    await require_staff(viewer, booking.restaurant_id, field=field)
    return booking


async def move(booking: Booking, frm: tuple[BookingStatus, ...], to: BookingStatus, **also: object) -> bool:
    """Conditional status change; when it leaves the holding states, its seats go back."""
    changed = await Booking.filter(id=booking.id, status__in=list(frm)).update(status=to, **also)
    if changed and to not in HOLDING:
        # The seats it holds now, read after the update took the row: `booking` may be stale (a
        # proposal accepted meanwhile moved it to another slot, whose seats are the ones held).
        held = await Booking.get(id=booking.id)
        await give_back(held.slot_id, held.party_size)
    return bool(changed)


async def cancel(ctx: Context, booking_id: int) -> Booking:
    await write_limit(ctx, "booking")
    booking = await own_booking(ctx, booking_id)
    cutoff = timedelta(minutes=(await policy_of(booking.restaurant_id)).cancel_cutoff_minutes)
    if datetime.now(UTC) > booking.starts_at - cutoff:
        raise UserInputError(
            ErrorCode.TOO_LATE,
            f"Cancel at least {int(cutoff.total_seconds() // 60)} minutes ahead",
            "bookingId",
        )
    async with in_transaction("default"):
        if not await move(booking, HOLDING, BookingStatus.CANCELLED):
            raise UserInputError(
                ErrorCode.ALREADY_ANSWERED, f"This booking is {booking.status.value}", "bookingId"
            )
        held = await Booking.get(id=booking.id)  # its time now (a proposal accepted may have moved it)
        await inbox.tell_staff(
            ctx,
            booking.restaurant_id,
            "booking_cancelled",
            f"订座已取消：{await inbox.staff_line(held)}",
            subject=inbox.subject_of(booking),
            actor_id=booking.user_id,
        )
    await inbox.changed(ctx, booking)
    return await Booking.get(id=booking.id)


async def mark_no_show(ctx: Context, booking_id: int) -> Booking:
    """Staff, once the time has come: a confirmed booking nobody came to."""
    booking = await staff_booking(ctx, booking_id)
    if booking.starts_at > datetime.now(UTC):  # too early: the diner may still come
        raise UserInputError(
            ErrorCode.TOO_EARLY, "Mark a no-show once the booking's time has come", "bookingId"
        )
    async with in_transaction("default"):
        if not await move(booking, (BookingStatus.CONFIRMED,), BookingStatus.NO_SHOW):
            raise UserInputError(
                ErrorCode.ALREADY_ANSWERED, "Only confirmed bookings can be no-shows", "bookingId"
            )
        place, zone = await inbox.place_of(booking.restaurant_id)
        when = local_time(booking.starts_at, zone)
        await notifications.notify(
            ctx,
            [booking.user_id],
            "booking_no_show",
            f"你在 {place} {when} 的订座被标记为未到店",
            subject=inbox.subject_of(booking),
        )
    await inbox.changed(ctx, booking)
    return await Booking.get(id=booking.id)
