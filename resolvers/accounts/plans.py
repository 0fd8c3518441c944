"""What a person who can't come any more gives up: their seats, places, lines and tables.

One path for an account deleted (everything still ahead) and one suspended (what starts before
the suspension ends): shared meals are left or called off as leaving does (meals.leave_all);
event places go back to the first in line after the person leaves every line (a place freed
meanwhile must not go to them); table bookings are cancelled without the cut-off, seats back to
the slot and the restaurant's staff told. Before, a suspension only freed meal seats: a
suspended diner kept an event's last place (the line waiting forever) and a booked slot.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from core.context import Context
from models.meals import EventRsvp
from models.tables import HOLDING, Booking, BookingStatus
from resolvers.meals import events, meals, notifications
from resolvers.tables import bookings, inbox


async def give_up_plans(ctx: Context, user_id: int, before: datetime | None = None) -> None:
    """Every plan of `user_id` still ahead, or (with `before`) starting before that moment."""
    await meals.leave_all(ctx, user_id, before=before)
    await _leave_events(ctx, user_id, before)
    await _cancel_bookings(ctx, user_id, before)


def _ahead(field: str, before: datetime | None) -> dict[str, datetime]:
    window = {f"{field}__gt": datetime.now(UTC)}
    if before is not None:
        window[f"{field}__lt"] = before
    return window


async def _leave_events(ctx: Context, user_id: int, before: datetime | None) -> None:
    # Suspended: events starting in the suspension (one under way keeps its attendees, as meals
    # do). Deleted: every event, so the counts stay those of the rows left.
    when = _ahead("event__starts_at", before) if before is not None else {}
    await EventRsvp.filter(user_id=user_id, waitlisted_at__isnull=False, **when).update(waitlisted_at=None)
    going = EventRsvp.filter(user_id=user_id, going=True, **when)
    for event_id in await going.values_list("event_id", flat=True):
        async with in_transaction("default"):
            freed = await events.give_back_place(event_id, user_id)
            promoted = await events.fill_from_waitlist(ctx, event_id) if freed else []
        await notifications.announce(ctx, promoted)  # the first in line got the place


async def _cancel_bookings(ctx: Context, user_id: int, before: datetime | None) -> None:
    """As the person's own cancelBooking (seats back to the slot, the staff told and their inbox
    updated), without its cut-off: nobody is coming. Past bookings stay as the staff left them."""
    live = Booking.filter(user_id=user_id, status__in=list(HOLDING), **_ahead("starts_at", before))
    for booking in await live.order_by("id"):
        async with in_transaction("default"):
            if not await bookings.move(booking, HOLDING, BookingStatus.CANCELLED):
                continue  # answered or cancelled meanwhile: its seats went back then
            held = await Booking.get(id=booking.id)  # its time now (a proposal may have moved it)
            when = await inbox.when_at(held.restaurant_id, held.starts_at)
            # No actor: a deleted person's traces are erased, and staff must keep this notice.
            text = f"订座已取消：{when} {held.party_size} 人"
            await inbox.tell_staff(ctx, booking.restaurant_id, "booking_cancelled", text)
        await inbox.changed(ctx, booking)
