"""The restaurant's inbox: table requests from shared meals and standalone bookings, by day.

Staff are told of each new request (a notification each, and a live message on the
restaurant's inbox topic); they confirm, decline with a reason, or propose another time, which
the diner (a booking's diner, a meal's host) accepts or turns down.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from core import pubsub
from core.context import Context
from core.error_text import too_long
from core.errors import BadRequestError, Collector, ErrorCode, UserInputError
from core.loaders import Loaders
from core.schedule import OUT_OF_WINDOW, check_start, in_window, utc
from core.text import check_visible_text
from models.accounts import User
from models.meals import MealSeat, MealStatus, ReservationStatus, SeatStatus, SharedMeal
from models.restaurants import Restaurant, RestaurantStaff
from models.tables import Booking, BookingSlot, BookingStatus, MealReservationAnswer
from resolvers import visibility
from resolvers.accounts.accounts import write_limit
from resolvers.deals import rollup
from resolvers.meals import meals, notifications
from resolvers.notifications.inbox import Subject
from resolvers.restaurants.access import require_staff
from resolvers.tables import offers
from resolvers.tables.offers import local_time

INBOX_TOPIC = "restaurant-inbox"
BOOKING_TOPIC = "booking"


@dataclass
class Request:
    """One line of the inbox: a booking or a shared meal's table request."""

    booking: Booking | None = None
    meal: SharedMeal | None = None

    @property
    def starts_at(self) -> datetime:
        return self.booking.starts_at if self.booking else self.meal.starts_at  # type: ignore[union-attr]


async def tell_staff(
    ctx: Context,
    restaurant_id: int,
    kind: str,
    message: str,
    meal_id: int | None = None,
    *,
    subject: Subject | None = None,
    actor_id: int | None = None,
) -> list[int]:
    """Notify every staff member (inside the caller's transaction); returns who."""
    staff = await RestaurantStaff.filter(restaurant_id=restaurant_id).values_list("user_id", flat=True)
    await notifications.notify(
        ctx, list(staff), kind, message, meal_id=meal_id, subject=subject, actor_id=actor_id
    )
    return list(staff)


def subject_of(booking: Booking) -> Subject:
    """What a booking's notifications are about: the app opens the booking from them."""
    return ("Booking", booking.id)


async def place_of(restaurant_id: int) -> tuple[str, str]:
    """The restaurant's name and time zone, for the words of a notification."""
    rows = await Restaurant.filter(id=restaurant_id).values_list("name", "timezone")
    return (rows[0][0], rows[0][1] or "UTC") if rows else ("餐厅", "UTC")


async def when_at(restaurant_id: int, at: datetime) -> str:
    """`at` as people there read it: 12月11日 19:00 in the restaurant's local time."""
    return local_time(at, await rollup.time_zone(restaurant_id))


async def diner_name(user_id: int) -> str:
    names = await User.filter(id=user_id).values_list("display_name", flat=True)
    return names[0] if names else "食客"


async def staff_line(booking: Booking, at: datetime | None = None) -> str:
    """A booking as staff read it: who, when (local), how many: 王小明 12月11日 19:00 4 人."""
    when = await when_at(booking.restaurant_id, at or booking.starts_at)
    return f"{await diner_name(booking.user_id)} {when} {booking.party_size} 人"


async def changed(ctx: Context, booking: Booking) -> None:
    """After commit: the diner's booking subscription, the inbox, and notification badges."""
    await pubsub.publish(ctx.services, BOOKING_TOPIC, booking.id, {"bookingId": booking.id})
    await pubsub.publish(ctx.services, INBOX_TOPIC, booking.restaurant_id, {"bookingId": booking.id})
    staff = await RestaurantStaff.filter(restaurant_id=booking.restaurant_id).values_list(
        "user_id", flat=True
    )
    await notifications.announce(ctx, [booking.user_id, *staff])


async def meal_changed(ctx: Context, meal: SharedMeal, what: str, users: list[int]) -> None:
    await pubsub.publish(ctx.services, meals.TOPIC, meal.id, {"mealId": meal.id, "change": what})
    await pubsub.publish(ctx.services, INBOX_TOPIC, meal.restaurant_id, {"mealId": meal.id})
    await notifications.announce(ctx, users)


async def day_requests(ctx: Context, restaurant_id: int, day: date) -> list[Request]:
    """Bookings and shared-meal table requests starting on `day` in the restaurant's zone."""
    viewer = ctx.require_viewer()
    restaurant = await require_staff(viewer, restaurant_id)
    if not in_window(day):  # before any arithmetic (9999-12-31 has no next day); not FORBIDDEN
        raise BadRequestError(f"day: {OUT_OF_WINDOW}")
    zone = ZoneInfo(restaurant.timezone or "UTC")
    # In UTC: SQLite compares the stored text, so the bounds must be written the same way.
    start = utc(datetime.combine(day, time(0), zone), "day")
    # The next midnight (at most LAST_YEAR + 1 on January 1st) converts without overflow.
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    bookings = await Booking.filter(
        restaurant_id=restaurant_id, starts_at__gte=start, starts_at__lt=end
    ).limit(500)
    asked = await SharedMeal.filter(
        restaurant_id=restaurant_id,
        starts_at__gte=start,
        starts_at__lt=end,
        reservation__not=ReservationStatus.NONE,
        # A cancelled meal's request is withdrawn with the cancel (meals.cancel); rows cancelled
        # before that was so still read REQUESTED and must not look live either.
        status__not=MealStatus.CANCELLED,
    ).limit(500)
    found = [Request(booking=b) for b in bookings] + [Request(meal=m) for m in asked]
    return sorted(found, key=lambda r: r.starts_at)


async def afresh(ctx: Context) -> Context | None:
    """For a subscription's next event, which may come long after it was allowed: the viewer
    read again (None once suspended or deleted: their sockets are closed then too, but an event
    can come first), with loaders of its own. The socket's context is left as it is (it serves
    the connection's other operations)."""
    viewer = ctx.require_viewer()
    fresh = await User.filter(visibility.active_users_q(), id=viewer.id).first()
    if fresh is None:
        return None
    fresh.session_id = getattr(viewer, "session_id", None)  # type: ignore[attr-defined]
    return replace(ctx, viewer=fresh, loaders=Loaders())


async def _still_staff(ctx: Context, restaurant_id: int) -> bool:
    now = await afresh(ctx)
    if now is None:
        return False
    try:
        await require_staff(now.require_viewer(), restaurant_id)
    except UserInputError:
        return False  # taken off the staff, or the restaurant closed
    return True


async def inbox_updates(ctx: Context, restaurant_id: int):  # noqa: ANN201 (an async generator)
    """Each request that changes at the restaurant, from any app process: staff only, checked
    again at every event; a viewer no longer allowed (removed from the staff, suspended) is sent
    nothing more and the subscription ends."""
    viewer = ctx.require_viewer()
    await require_staff(viewer, restaurant_id)
    async for message in pubsub.listen(ctx.services, INBOX_TOPIC, restaurant_id):
        if not await _still_staff(ctx, restaurant_id):
            return
        if "bookingId" in message:
            booking = await Booking.get_or_none(id=message["bookingId"])
            if booking is not None:
                yield Request(booking=booking)
        elif "mealId" in message:
            meal = await SharedMeal.get_or_none(id=message["mealId"])
            if meal is not None:
                yield Request(meal=meal)


async def booking_updates(ctx: Context, booking_id: int):  # noqa: ANN201 (an async generator)
    """The booking at each change, from any app process, while the viewer may still see it (its
    diner, the restaurant's staff, moderators: checked again at every event, as sharedMealUpdated
    does); once they may not (removed from the staff, suspended) the subscription ends."""
    ctx.require_viewer()
    booking = await Booking.get_or_none(id=booking_id)
    if booking is None or not await visibility.visible(ctx, booking):
        raise UserInputError(ErrorCode.NOT_FOUND, "No such booking", "bookingId")
    async for _ in pubsub.listen(ctx.services, BOOKING_TOPIC, booking_id):
        now = await afresh(ctx)
        row = await visibility.get(now, Booking, booking_id) if now is not None else None
        if row is None:
            return
        yield row


# ------------------------------------------------------------------ staff answers


async def _proposed_slot(booking: Booking, starts_at: datetime) -> BookingSlot:
    collector = Collector()
    check_start(starts_at, "proposedStartsAt", collector)
    collector.raise_if_any()
    slot = await BookingSlot.get_or_none(restaurant_id=booking.restaurant_id, starts_at=utc(starts_at))
    if slot is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No bookable slot at this time", "proposedStartsAt")
    if slot.id == booking.slot_id:
        raise UserInputError(ErrorCode.INVALID, "Propose a different time", "proposedStartsAt")
    if slot.seats - slot.seats_booked < booking.party_size:
        raise UserInputError(ErrorCode.SLOT_FULL, "Not enough seats left at that time", "proposedStartsAt")
    return slot


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise UserInputError(ErrorCode.INVALID, "Say why you decline", "reason")
    if len(reason) > 200:
        raise UserInputError(ErrorCode.TOO_LONG, too_long(200), "reason")
    collector = Collector()
    check_visible_text(reason, "reason", collector, multiline=True)  # the diner is told it
    collector.raise_if_any()
    return reason


async def answer_booking(
    ctx: Context, booking_id: int, decision: str, reason: str, proposed: datetime | None
) -> Booking:
    from resolvers.tables.bookings import move, staff_booking

    booking = await staff_booking(ctx, booking_id, "requestId")
    place, zone = await place_of(booking.restaurant_id)
    when = local_time(booking.starts_at, zone)
    async with in_transaction("default"):
        if decision == "confirm":
            ok = await move(booking, (BookingStatus.REQUESTED,), BookingStatus.CONFIRMED)
            kind, text = "booking_confirmed", f"{place} 已确认你的订座：{when} {booking.party_size} 人"
        elif decision == "decline":
            why = _reason(reason)
            ok = await move(
                booking,
                (BookingStatus.REQUESTED, BookingStatus.CONFIRMED),
                BookingStatus.DECLINED,
                decline_reason=why,
            )
            kind, text = "booking_declined", f"{place} 未能接受你 {when} 的订座：{why}"
        else:
            if proposed is None:
                raise UserInputError(ErrorCode.INVALID, "Give the time you propose", "proposedStartsAt")
            slot = await _proposed_slot(booking, proposed)
            ok = await move(
                booking,
                (BookingStatus.REQUESTED, BookingStatus.CONFIRMED),
                BookingStatus.PROPOSED,
                proposed_slot_id=slot.id,
            )
            new = local_time(slot.starts_at, zone)
            kind, text = "booking_proposed", f"{place} 建议改到 {new}（原 {when}，{booking.party_size} 人）"
        if not ok:
            raise UserInputError(
                ErrorCode.ALREADY_ANSWERED, f"This booking is {booking.status.value}", "requestId"
            )
        await notifications.notify(ctx, [booking.user_id], kind, text, subject=subject_of(booking))
    await changed(ctx, booking)
    return await Booking.get(id=booking.id)


async def answer_booking_proposal(ctx: Context, booking_id: int, accept: bool) -> Booking:
    """The diner takes the proposed time (seats there taken, the old ones given back) or not."""
    from resolvers.tables.bookings import give_back, holds_none_at, move, own_booking, take_seats

    await write_limit(ctx, "booking")
    booking = await own_booking(ctx, booking_id, "requestId")
    proposed_slot = await BookingSlot.get_or_none(id=booking.proposed_slot_id or 0)
    async with in_transaction("default"):
        if not accept:
            ok = await move(
                booking, (BookingStatus.PROPOSED,), BookingStatus.CANCELLED, proposed_slot_id=None
            )
        else:
            slot = await BookingSlot.get_or_none(id=booking.proposed_slot_id or 0)
            if slot is None or booking.status != BookingStatus.PROPOSED:
                raise UserInputError(
                    ErrorCode.ALREADY_ANSWERED, "No time proposed for this booking", "requestId"
                )
            if slot.starts_at <= datetime.now(slot.starts_at.tzinfo):
                raise UserInputError(ErrorCode.IN_THE_PAST, "The proposed time has passed", "requestId")
            # Not onto a time where the diner already holds another booking (one live a time).
            await holds_none_at(booking.user_id, slot.id, "requestId", but=booking.id)
            ok = bool(
                await Booking.filter(
                    id=booking.id, status=BookingStatus.PROPOSED, proposed_slot_id=slot.id
                ).update(
                    status=BookingStatus.CONFIRMED,
                    slot_id=slot.id,
                    starts_at=slot.starts_at,
                    proposed_slot_id=None,
                )
            )
            if ok:
                if not await take_seats(slot.id, booking.party_size):
                    raise UserInputError(ErrorCode.SLOT_FULL, "The proposed time filled up", "requestId")
                await give_back(booking.slot_id, booking.party_size)
        if not ok:
            raise UserInputError(ErrorCode.ALREADY_ANSWERED, "No time proposed for this booking", "requestId")
        name = await diner_name(booking.user_id)
        new = await when_at(booking.restaurant_id, proposed_slot.starts_at) if proposed_slot else "新时间"
        if accept:
            text = f"{name} 接受了新时间：{new} {booking.party_size} 人"
        else:
            was = await when_at(booking.restaurant_id, booking.starts_at)
            text = f"{name} 未接受新时间 {new}，{was} {booking.party_size} 人的订座已取消"
        await tell_staff(
            ctx,
            booking.restaurant_id,
            "booking_proposal_answered",
            text,
            subject=subject_of(booking),
            actor_id=booking.user_id,
        )
    await changed(ctx, booking)
    return await Booking.get(id=booking.id)


async def answer_meal(
    ctx: Context, meal_id: int, decision: str, reason: str, proposed: datetime | None
) -> SharedMeal:
    if decision == "confirm":
        return await meals.answer_reservation(ctx, meal_id, True, "requestId")
    viewer = await write_limit(ctx, "reservation")
    meal = await SharedMeal.get_or_none(id=meal_id)
    if meal is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such meal", "requestId")
    await require_staff(viewer, meal.restaurant_id, field="requestId")
    place, zone = await place_of(meal.restaurant_id)
    when = local_time(meal.starts_at, zone)
    if decision == "decline":
        values: dict[str, object] = {"decline_reason": _reason(reason), "proposed_starts_at": None}
        status = ReservationStatus.DECLINED
        text = f"{place} 未能接受「{meal.title}」{when} 的订座：{values['decline_reason']}"
    else:
        if proposed is None:
            raise UserInputError(ErrorCode.INVALID, "Give the time you propose", "proposedStartsAt")
        _not_begun(meal)
        collector = Collector()
        check_start(proposed, "proposedStartsAt", collector)
        collector.raise_if_any()
        values = {"decline_reason": "", "proposed_starts_at": utc(proposed, "proposedStartsAt")}
        status = ReservationStatus.PROPOSED
        text = f"{place} 建议把「{meal.title}」改到 {local_time(utc(proposed), zone)}（原 {when}）"
    async with in_transaction("default"):
        changed_rows = await SharedMeal.filter(
            id=meal.id, status=MealStatus.OPEN, reservation=ReservationStatus.REQUESTED
        ).update(reservation=status)
        if not changed_rows:
            await meals.refuse_if_cancelled(meal.id, "requestId")
            raise UserInputError(ErrorCode.ALREADY_ANSWERED, "No open reservation request", "requestId")
        await MealReservationAnswer.update_or_create(values, meal_id=meal.id)
        told = [meal.host_id] if status == ReservationStatus.PROPOSED else await _seated(meal.id)
        await notifications.notify(ctx, told, f"reservation_{status.value}", text, meal_id=meal.id)
    await meal_changed(ctx, meal, "reservation", told)
    return await SharedMeal.get(id=meal.id)


def _not_begun(meal: SharedMeal) -> None:
    """A meal under way (or over) is not moved to another time: TOO_LATE."""
    if meal.starts_at <= datetime.now(UTC):
        raise UserInputError(ErrorCode.TOO_LATE, "This meal has already started", "requestId")


async def _seated(meal_id: int) -> list[int]:
    return list(
        await MealSeat.filter(meal_id=meal_id, status__in=[SeatStatus.HOST, SeatStatus.JOINED]).values_list(
            "user_id", flat=True
        )
    )


async def answer_meal_proposal(ctx: Context, meal_id: int, accept: bool) -> SharedMeal:
    """The host takes the proposed time (the meal moves, guests are told) or not."""
    viewer = await write_limit(ctx, "meal")
    meal = await SharedMeal.get_or_none(id=meal_id, host_id=viewer.id)
    answer = await MealReservationAnswer.get_or_none(meal_id=meal_id)
    if meal is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such meal of yours", "requestId")
    proposed = answer.proposed_starts_at if answer else None
    if accept and proposed is not None and proposed <= datetime.now(proposed.tzinfo):
        raise UserInputError(ErrorCode.IN_THE_PAST, "The proposed time has passed", "requestId")
    if accept:
        _not_begun(meal)  # a meal under way has its check-ins and no-shows on record: it stays put
    async with in_transaction("default"):
        query = SharedMeal.filter(id=meal.id, status=MealStatus.OPEN, reservation=ReservationStatus.PROPOSED)
        if accept and proposed is not None:
            ok = await query.update(reservation=ReservationStatus.CONFIRMED, starts_at=proposed)
            if ok:
                await offers.fit_to_new_time(meal.id, proposed, await rollup.time_zone(meal.restaurant_id))
        else:
            ok = await query.update(reservation=ReservationStatus.DECLINED)
        if not ok:
            raise UserInputError(ErrorCode.ALREADY_ANSWERED, "No time proposed for this meal", "requestId")
        from resolvers.tables.polls import going_to  # polls import this module

        told = await going_to(meal.id) if accept else await _seated(meal.id)
        new = await when_at(meal.restaurant_id, proposed) if proposed is not None else "新时间"
        if accept:
            await notifications.notify(
                ctx, told, "meal_time_changed", f"「{meal.title}」改到了 {new}", meal_id=meal.id
            )
        staff = await tell_staff(
            ctx,
            meal.restaurant_id,
            "reservation_proposal_answered",
            f"「{meal.title}」{'接受了新时间' if accept else '未接受新时间'} {new}",
            meal.id,
        )
    await meal_changed(ctx, meal, "reservation", [*told, *staff])
    return await SharedMeal.get(id=meal.id)
