"""Shared meals: host a table, join (or wait), leave, approvals, cancellation, reservations.

Seats are counted on the meal row and only changed by conditional updates
(`seats_taken < capacity`), so no interleaving of joins can double-book a seat, on PostgreSQL
(row lock) or SQLite (one writer). The waitlist is ordered by arrival (seat id).

Every change to who sits at a meal (join, leave, removal, approval, cancellation, account
deletion) starts by locking the meal's row and reads the meal's status from it: so a leave
never frees a seat while a join that found the table full is still writing its waitlist row,
and nothing moves on a meal once it is cancelled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import pubsub
from core.atomic import execute, lock_row
from core.context import Context
from core.error_text import between, too_long
from core.errors import AuthError, Collector, ErrorCode, UserInputError
from core.loaders import Loaders, group_by_key
from core.nearby import near
from core.pagination import Page
from core.schedule import check_start, utc
from core.text import check_title, check_visible_text
from models.accounts import User
from models.meals import (
    LIVE_RESERVATIONS,
    Audience,
    MealSeat,
    MealStatus,
    Notification,
    ReservationStatus,
    SeatStatus,
    SharedMeal,
)
from models.restaurants import Restaurant, Visibility
from resolvers import feed, visibility
from resolvers.accounts.accounts import write_limit
from resolvers.accounts.roles import require_diner
from resolvers.conversations import members
from resolvers.meals import notifications
from resolvers.restaurants import opening
from resolvers.restaurants.access import require_staff

TOPIC = "meal"
FEED_KIND = "meal"
SEATED = (SeatStatus.HOST, SeatStatus.JOINED)
# Guests who have not gone (an OFFERED diner holds a seat until they answer).
GOING = (SeatStatus.JOINED, SeatStatus.WAITLISTED, SeatStatus.PENDING, SeatStatus.OFFERED)


@dataclass
class MealFields:
    restaurant_id: int
    title: str
    description: str
    starts_at: datetime
    capacity: int
    approval_required: bool = False
    audience: Audience = Audience.PUBLIC


def _check(fields: MealFields, collector: Collector) -> None:
    fields.title = check_title(fields.title, collector)
    if len(fields.description) > 2000:
        collector.add("description", ErrorCode.TOO_LONG, too_long(2000))
    check_visible_text(fields.description, "description", collector, multiline=True)
    if not 2 <= fields.capacity <= 20:
        collector.add(
            "capacity", ErrorCode.OUT_OF_RANGE, between("Capacity is 2 to 20, host included", 2, 20)
        )
    check_start(fields.starts_at, "startsAt", collector)


def _require_diner(viewer: User, field: str) -> None:
    require_diner(viewer, field, "Only diners' accounts host and join shared meals")


async def create_meal(ctx: Context, fields: MealFields) -> SharedMeal:
    viewer = await write_limit(ctx, "meal")
    _require_diner(viewer, "restaurantId")
    collector = Collector()
    _check(fields, collector)
    collector.raise_if_any()
    if not await Restaurant.filter(visibility.restaurants_q(), id=fields.restaurant_id).exists():
        raise UserInputError(ErrorCode.NOT_FOUND, "No such restaurant", "restaurantId")
    await opening.refuse_if_closed(fields.restaurant_id, utc(fields.starts_at, "startsAt"), "startsAt")
    async with in_transaction("default"):
        await _lock_diner(viewer.id)
        meal = await SharedMeal.create(
            host_id=viewer.id,
            restaurant_id=fields.restaurant_id,
            title=fields.title,
            description=fields.description.strip(),
            starts_at=utc(fields.starts_at, "startsAt"),
            capacity=fields.capacity,
            approval_required=fields.approval_required,
            audience=fields.audience,
        )
        await MealSeat.create(meal_id=meal.id, user_id=viewer.id, status=SeatStatus.HOST)
        await feed.publish(FEED_KIND, meal.id, viewer.id, fields.restaurant_id, fields.audience.value)
    return meal


async def _lock_diner(user_id: int) -> None:
    """First in a transaction that seats or hosts someone: their row locked, and refused if a
    suspension came in since they signed in. A suspension's UPDATE waits for this transaction (or
    this one sees it), so its clean-up (`leave_all`, after its commit) finds every seat written
    before it: a suspended diner never keeps a seat, or an open meal, that landed just after."""
    await lock_row("users", user_id, "id", strength="NO KEY UPDATE")
    if await User.filter(id=user_id, suspended_until__gt=datetime.now(UTC)).exists():
        raise AuthError("UNAUTHENTICATED", "This account is suspended")


async def visible_meal(ctx: Context, meal_id: int, field: str = "mealId") -> SharedMeal:
    meal = await visibility.get(ctx, SharedMeal, meal_id)
    if meal is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such meal", field)
    return meal


def _require_open(meal: SharedMeal, field: str = "mealId") -> None:
    if meal.status == MealStatus.CANCELLED:
        raise UserInputError(ErrorCode.CANCELLED, "This meal was cancelled", field)
    if meal.starts_at <= datetime.now(UTC):
        raise UserInputError(ErrorCode.IN_THE_PAST, "This meal has already started", field)


async def _lock_open(meal_id: int, field: str = "mealId") -> None:
    """First statement of a seat change: lock the meal row; refuse once it is cancelled."""
    row = await lock_row("shared_meals", meal_id, "status")
    if row is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such meal", field)
    if row["status"] == MealStatus.CANCELLED.value:
        raise UserInputError(ErrorCode.CANCELLED, "This meal was cancelled", field)
    if row["status"] == MealStatus.COMPLETED.value:
        raise UserInputError(ErrorCode.TOO_LATE, "This meal is over", field)


async def _take_seat(meal_id: int) -> bool:
    """One atomic conditional update: True when a seat was free and is now ours."""
    taken = await SharedMeal.filter(id=meal_id, status=MealStatus.OPEN, seats_taken__lt=F("capacity")).update(
        seats_taken=F("seats_taken") + 1
    )
    return taken == 1


# A diner's join and leave notices to the host, as opposites: the newer replaces the other
# while the host has read neither.
_OPPOSITE = {"meal_joined": "meal_left", "meal_left": "meal_joined"}


async def tell_host(ctx: Context, meal: SharedMeal, viewer: User, kind: str, text: str) -> None:
    """Tell the host a diner joined or left, once while unread (in the caller's transaction):
    joining and leaving again and again buzzed the host's phone each time (four toggles, eight
    pushes). Coming back removes the unread "left" notice (its push too, if still queued); a
    notice of the same kind still unread is reworded to what happened last, with no new push."""
    unread = Notification.filter(
        user_id=meal.host_id, actor_id=viewer.id, meal_id=meal.id, read_at__isnull=True
    )
    await unread.filter(kind=_OPPOSITE[kind]).delete()
    if await unread.filter(kind=kind).update(message=text[:300]):
        return
    await notifications.notify(ctx, [meal.host_id], kind, text, meal.id, actor_id=viewer.id)


async def join_meal(ctx: Context, meal_id: int) -> tuple[SeatStatus, SharedMeal]:
    viewer = await write_limit(ctx, "meal")
    meal = await visible_meal(ctx, meal_id)
    _require_open(meal)
    if meal.host_id == viewer.id:
        raise UserInputError(ErrorCode.ALREADY_JOINED, "You host this meal", "mealId")
    _require_diner(viewer, "mealId")
    try:
        async with in_transaction("default"):
            await _lock_diner(viewer.id)
            await _lock_open(meal.id)
            existing = await MealSeat.get_or_none(meal_id=meal.id, user_id=viewer.id)
            if existing and existing.status in GOING:
                raise UserInputError(
                    ErrorCode.ALREADY_JOINED, f"You are already {existing.status.value}", "mealId"
                )
            if existing and existing.status == SeatStatus.REMOVED:
                raise UserInputError(ErrorCode.FORBIDDEN, "The host removed you from this meal", "mealId")
            if existing and existing.status == SeatStatus.DECLINED:
                raise UserInputError(ErrorCode.FORBIDDEN, "The host declined your request to join", "mealId")
            if meal.approval_required:
                status = SeatStatus.PENDING
            else:
                status = SeatStatus.JOINED if await _take_seat(meal.id) else SeatStatus.WAITLISTED
            if existing:  # coming back after leaving: to the end of the line
                await existing.delete()
            await MealSeat.create(meal_id=meal.id, user_id=viewer.id, status=status)
            what = {SeatStatus.JOINED: "加入了", SeatStatus.WAITLISTED: "候补了"}.get(status, "申请加入")
            await tell_host(
                ctx, meal, viewer, "meal_joined", f"{viewer.display_name} {what}「{meal.title}」"
            )
    except IntegrityError:  # the same diner joining twice in parallel: one seat row wins
        raise UserInputError(ErrorCode.ALREADY_JOINED, "You already joined", "mealId") from None
    await _changed(ctx, meal.id, "joined")
    await notifications.announce(ctx, [meal.host_id])
    return status, await SharedMeal.get(id=meal.id)


async def _promote_next(ctx: Context, meal: SharedMeal) -> int | None:
    """Offer a freed seat to the first waitlisted diner (inside the caller's transaction): the
    seat is held for them until they accept, decline or the offer lapses (resolvers.tables.offers).
    """
    from resolvers.tables import offers  # issue 16: nobody is seated without accepting

    return await offers.offer_next(ctx, meal)


async def _free_seat(ctx: Context, meal: SharedMeal, seat: MealSeat, new_status: SeatStatus) -> int | None:
    """Move a diner out; a seated diner's seat goes to the waitlist's first, else back to the pool."""
    released = await MealSeat.filter(id=seat.id, status=seat.status).update(status=new_status)
    if not released or seat.status not in (SeatStatus.JOINED, SeatStatus.OFFERED):
        return None
    if seat.status == SeatStatus.OFFERED:  # the offer goes with the seat (mySeatOffer: none)
        from resolvers.tables import offers

        await offers.withdraw(meal.id, seat.user_id)
    promoted = await _promote_next(ctx, meal)
    if promoted is None:
        await SharedMeal.filter(id=meal.id).update(seats_taken=F("seats_taken") - 1)
    return promoted


async def release_seat(
    ctx: Context, meal: SharedMeal, user_id: int, new_status: SeatStatus, field: str
) -> int | None:
    """A guest goes (left, removed, account deleted): the one path that frees a seat.

    Inside the caller's transaction; returns the diner promoted from the waitlist, if any.
    """
    await _lock_open(meal.id)
    seat = await MealSeat.get_or_none(meal_id=meal.id, user_id=user_id)
    if seat is None or seat.status not in GOING:
        raise UserInputError(ErrorCode.NOT_JOINED, "Not a guest of this meal", field)
    from resolvers.tables import meal_life

    await meal_life.refuse_if_came(meal.id, user_id, field)  # checked in meanwhile: they came
    return await _free_seat(ctx, meal, seat, new_status)


async def leave_meal(ctx: Context, meal_id: int) -> SharedMeal:
    viewer = await write_limit(ctx, "meal")
    meal = await visible_meal(ctx, meal_id)
    if meal.host_id == viewer.id:
        raise UserInputError(ErrorCode.FORBIDDEN, "Hosts cancel the meal instead of leaving", "mealId")
    from resolvers.tables import meal_life  # issue 16: the meal's life builds on meals

    await meal_life.seat_on_record(meal, viewer.id)
    if meal.starts_at <= datetime.now(UTC):  # after the start, a no-show
        await meal_life.leave_after_start(ctx, meal, viewer.id)
        return await SharedMeal.get(id=meal.id)
    async with in_transaction("default"):
        was = await MealSeat.filter(meal_id=meal.id, user_id=viewer.id).values_list("status", flat=True)
        promoted = await release_seat(ctx, meal, viewer.id, SeatStatus.LEFT, "mealId")
        # The host reads what the diner gave up: a seat, a place in line, or a request to join.
        gave_up = {
            SeatStatus.PENDING: f"撤回了加入「{meal.title}」的申请",
            SeatStatus.WAITLISTED: f"不再候补「{meal.title}」",
        }.get(SeatStatus(was[0]) if was else None, f"退出了「{meal.title}」")
        await tell_host(ctx, meal, viewer, "meal_left", f"{viewer.display_name} {gave_up}")
    await _after_promotion(ctx, meal.id, promoted, "left", also=[meal.host_id])
    return await SharedMeal.get(id=meal.id)


async def leave_all(ctx: Context, user_id: int, before: datetime | None = None) -> None:
    """Account deletion (every meal) or suspension (meals starting `before` it ends): leave each
    open meal the way leaving does and cancel each one hosted, so nobody keeps a seat for, or
    waits at a table with, someone who can't come."""
    also = {} if before else {"visibility": Visibility.REMOVED}
    hosted = SharedMeal.filter(host_id=user_id, status=MealStatus.OPEN)
    if before:  # a meal under way keeps its record
        hosted = hosted.filter(starts_at__lt=before, starts_at__gt=datetime.now(UTC))
    for meal in await hosted:
        try:
            await cancel(ctx, meal, **also)
        except UserInputError:
            pass  # cancelled meanwhile
    going = MealSeat.filter(user_id=user_id, status__in=list(GOING), meal__status=MealStatus.OPEN)
    if before:
        going = going.filter(meal__starts_at__lt=before, meal__starts_at__gt=datetime.now(UTC))
    for seat in await going.select_related("meal"):
        try:
            async with in_transaction("default"):
                promoted = await release_seat(ctx, seat.meal, user_id, SeatStatus.LEFT, "mealId")
        except UserInputError:
            continue  # cancelled or left meanwhile: nothing to free
        await _after_promotion(ctx, seat.meal_id, promoted, "left")


async def part_after_block(ctx: Context, a: int, b: int) -> None:
    """A block between two diners (`a` blocked `b`): each leaves the other's open meals (seat,
    offered seat, waitlist place or pending request), as a removal, so nobody is seated with
    someone they blocked. A guest taken off the blocker's meal is told so neutrally (never that
    they were blocked); the blocker leaving the other's meal did it themselves."""
    going = [SeatStatus.JOINED, SeatStatus.WAITLISTED, SeatStatus.PENDING, SeatStatus.OFFERED]
    for host, guest in ((a, b), (b, a)):
        seats = await MealSeat.filter(
            user_id=guest, status__in=going, meal__host_id=host, meal__status=MealStatus.OPEN
        ).select_related("meal")
        for seat in seats:
            told = [guest] if host == a else []
            if seat.meal.starts_at <= datetime.now(UTC):  # under way: gone is a no-show
                from resolvers.tables import meal_life

                try:
                    await meal_life.leave_after_start(ctx, seat.meal, guest, "userId")
                except UserInputError:
                    pass  # checked in (they came), or gone meanwhile: the record stands
                continue
            try:
                async with in_transaction("default"):
                    promoted = await release_seat(ctx, seat.meal, guest, SeatStatus.REMOVED, "userId")
                    text = f"你已不在「{seat.meal.title}」的名单中"
                    await notifications.notify(ctx, told, "removed", text, meal_id=seat.meal_id)
            except UserInputError:
                continue  # cancelled or gone meanwhile
            await _after_promotion(ctx, seat.meal_id, promoted, "removed", also=told)


async def _hosted(ctx: Context, meal_id: int) -> SharedMeal:
    viewer = await write_limit(ctx, "meal")
    meal = await SharedMeal.get_or_none(id=meal_id, host_id=viewer.id)
    if meal is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such meal of yours", "mealId")
    return meal


async def remove_guest(ctx: Context, meal_id: int, user_id: int) -> SharedMeal:
    meal = await _hosted(ctx, meal_id)
    from resolvers.tables import meal_life

    await meal_life.seat_on_record(meal, user_id, "userId")
    if meal.starts_at <= datetime.now(UTC):
        # Under way: a guest not there is a no-show, whoever takes them off (a removal must not
        # wipe a friend's no-show off their record).
        await meal_life.leave_after_start(ctx, meal, user_id, "userId")
        return await SharedMeal.get(id=meal.id)
    async with in_transaction("default"):
        promoted = await release_seat(ctx, meal, user_id, SeatStatus.REMOVED, "userId")
        await notifications.notify(ctx, [user_id], "removed", f"你已被移出「{meal.title}」", meal_id=meal.id)
    await _after_promotion(ctx, meal.id, promoted, "removed", also=[user_id])
    return await SharedMeal.get(id=meal.id)


async def answer_join(ctx: Context, meal_id: int, user_id: int, approve: bool) -> SeatStatus:
    """Approval mode: the host seats (or waitlists) a pending diner, or declines them."""
    meal = await _hosted(ctx, meal_id)
    _require_open(meal)
    async with in_transaction("default"):
        await _lock_open(meal.id)
        status = SeatStatus.DECLINED
        if approve:
            status = SeatStatus.JOINED if await _take_seat(meal.id) else SeatStatus.WAITLISTED
        # Answered once: only the update that moves the request out of PENDING counts (a seat
        # taken for an answer that lost is rolled back with the error).
        answered = await MealSeat.filter(meal_id=meal.id, user_id=user_id, status=SeatStatus.PENDING).update(
            status=status
        )
        if not answered:
            raise UserInputError(ErrorCode.NOT_FOUND, "No pending request from this diner", "userId")
        outcome = {
            "joined": "已通过，你已入座",
            "waitlisted": "已通过，目前满座，你在候补名单上",
            "declined": "未通过",
        }
        await notifications.notify(
            ctx,
            [user_id],
            f"join_{status.value}",
            f"你加入「{meal.title}」的申请{outcome[status.value]}",
            meal.id,
        )
    await _changed(ctx, meal.id, "answered")
    await notifications.announce(ctx, [user_id])
    return status


@dataclass
class MealChanges:
    """What the host changes on a meal; None leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    starts_at: datetime | None = None
    capacity: int | None = None


async def update_meal(ctx: Context, meal_id: int, changes: MealChanges) -> SharedMeal:
    """The host edits a meal still to come with create's checks. The capacity never drops below
    the seats held (OUT_OF_RANGE); seats added go, one by one, as offers to the waitlist in its
    order. A new time is written as a poll's winning time is: the seated guests are told it in
    the restaurant's local time and a live table request is withdrawn (its staff told)."""
    from resolvers.tables import polls  # tables import this module: at call time

    meal = await _hosted(ctx, meal_id)
    fields = MealFields(
        restaurant_id=meal.restaurant_id,
        title=meal.title if changes.title is None else changes.title,
        description=meal.description if changes.description is None else changes.description,
        starts_at=meal.starts_at if changes.starts_at is None else changes.starts_at,
        capacity=meal.capacity if changes.capacity is None else changes.capacity,
    )
    # Why it can't change comes before what is wrong with the change (a cancelled meal's past time).
    await refuse_if_cancelled(meal.id, "mealId")
    if meal.status != MealStatus.OPEN or meal.starts_at <= datetime.now(UTC):
        raise UserInputError(ErrorCode.TOO_LATE, "A meal that has started can't be changed", "mealId")
    collector = Collector()
    _check(fields, collector)
    collector.raise_if_any()
    starts_at = utc(fields.starts_at, "startsAt")
    if starts_at != meal.starts_at:  # a new time must find the restaurant open
        await opening.refuse_if_closed(meal.restaurant_id, starts_at, "startsAt")
    async with in_transaction("default"):
        await _lock_open(meal.id)  # first, as every seat change: joins and leaves wait for this
        before = await SharedMeal.get(id=meal.id)
        if before.starts_at <= datetime.now(UTC):
            raise UserInputError(ErrorCode.TOO_LATE, "A meal that has started can't be changed", "mealId")
        if not await SharedMeal.filter(id=meal.id, seats_taken__lte=fields.capacity).update(
            title=fields.title, description=fields.description.strip(), capacity=fields.capacity
        ):
            raise UserInputError(
                ErrorCode.OUT_OF_RANGE,
                f"{before.seats_taken} seats are held: the capacity can't be below that",
                "capacity",
            )
        # Told with the title it now has (`before` keeps the old time: the staff's notice says it).
        before.title = fields.title
        change = await polls.move_meal(before, starts_at)
        told = await polls.tell_change(ctx, before, change)
        offered = []
        if fields.capacity > before.capacity:
            offered = await _offer_added_seats(ctx, await SharedMeal.get(id=meal.id))
    await _changed(ctx, meal.id, "updated")
    await polls.after_change(ctx, before, change, [*told, *offered])
    return await SharedMeal.get(id=meal.id)


async def _offer_added_seats(ctx: Context, meal: SharedMeal) -> list[int]:
    """Inside the caller's transaction (meal row locked): each free seat held for the next
    waitlisted diner as an offer, until the seats or the waitlist run out."""
    offered = []
    while await _take_seat(meal.id):
        promoted = await _promote_next(ctx, meal)
        if promoted is None:  # nobody waits (or the meal is too near to offer): the seat stays free
            await SharedMeal.filter(id=meal.id).update(seats_taken=F("seats_taken") - 1)
            break
        offered.append(promoted)
    return offered


async def cancel_meal(ctx: Context, meal_id: int) -> SharedMeal:
    meal = await _hosted(ctx, meal_id)
    if meal.status == MealStatus.OPEN and meal.starts_at <= datetime.now(UTC):
        # Under way: who came and who did not is on record (check-ins, no-shows) and stays so.
        raise UserInputError(ErrorCode.TOO_LATE, "A meal that has started can't be cancelled", "mealId")
    await cancel(ctx, meal)
    return await SharedMeal.get(id=meal.id)


async def cancel(ctx: Context, meal: SharedMeal, *, why: str = "", **also: object) -> None:
    """Cancel once and tell the guests (the host cancelling, the host's account deleted, the
    restaurant closing: `why`, added to their notice)."""
    async with in_transaction("default"):
        # Cancelled once: only the request whose update moved the meal out of OPEN notifies.
        changed = await SharedMeal.filter(id=meal.id, status=MealStatus.OPEN).update(
            status=MealStatus.CANCELLED, **also
        )
        if not changed:
            current = await SharedMeal.get(id=meal.id)
            if current.status == MealStatus.COMPLETED:
                raise UserInputError(ErrorCode.TOO_LATE, "This meal is over", "mealId")
            raise UserInputError(ErrorCode.CANCELLED, "Already cancelled", "mealId")
        guests = await MealSeat.filter(meal_id=meal.id, status__in=list(GOING)).values_list(
            "user_id", flat=True
        )
        from resolvers.tables import inbox, offers  # tables import this module: at call time

        await offers.withdraw(meal.id)  # no open seat offer outlives its meal
        # Nor its table request: withdrawn (NONE) with the cancel, the restaurant's inbox no longer
        # lists a live request (or a held table) for a meal that will not happen. The row is ours
        # (updated above), so no answer slips in between.
        withdrew = await SharedMeal.filter(id=meal.id, reservation__in=list(LIVE_RESERVATIONS)).update(
            reservation=ReservationStatus.NONE
        )
        await notifications.notify(
            ctx, list(guests), "meal_cancelled", f"「{meal.title}」已取消{why}", meal_id=meal.id
        )
        staff: list[int] = []
        if withdrew and not why:  # the restaurant held or was asked for a table: its staff are told
            when = await inbox.when_at(meal.restaurant_id, meal.starts_at)
            staff = await inbox.tell_staff(
                ctx,
                meal.restaurant_id,
                "reservation_withdrawn",
                f"「{meal.title}」（{when}）已取消，订座请求已撤回",
                meal.id,
            )
        await feed.set_visible(FEED_KIND, meal.id, False)
    await _changed(ctx, meal.id, "cancelled")
    if withdrew:  # staff watching the inbox live see the request go
        await pubsub.publish(ctx.services, inbox.INBOX_TOPIC, meal.restaurant_id, {"mealId": meal.id})
    await notifications.announce(ctx, [*guests, *staff])


async def refuse_if_cancelled(meal_id: int, field: str) -> None:
    """CANCELLED when the meal was cancelled: an answer that found nothing to change says why."""
    if await SharedMeal.filter(id=meal_id, status=MealStatus.CANCELLED).exists():
        raise UserInputError(ErrorCode.CANCELLED, "This meal was cancelled", field)


async def request_reservation(ctx: Context, meal_id: int, note: str) -> SharedMeal:
    meal = await _hosted(ctx, meal_id)
    _require_open(meal)
    if len(note) > 200:
        raise UserInputError(ErrorCode.TOO_LONG, too_long(200), "note")
    collector = Collector()
    check_visible_text(note, "note", collector, multiline=True)
    collector.raise_if_any()
    # Checked in the statement that makes the request: parallel requests make one.
    requested = await SharedMeal.filter(
        id=meal.id,
        status=MealStatus.OPEN,
        reservation__in=[ReservationStatus.NONE, ReservationStatus.DECLINED],
    ).update(reservation=ReservationStatus.REQUESTED, reservation_note=note.strip())
    if not requested:
        current = await SharedMeal.get(id=meal.id)
        _require_open(current)
        raise UserInputError(
            ErrorCode.DUPLICATE, f"Reservation already {current.reservation.value}", "mealId"
        )
    from resolvers.tables import inbox  # the restaurant's inbox (issue 16) builds on meals

    # As a booking's notice reads to staff: when (their local time), how many, and the note.
    asked = await SharedMeal.get(id=meal.id)
    when = await inbox.when_at(meal.restaurant_id, asked.starts_at)
    text = f"「{meal.title}」请求订座：{when} {asked.seats_taken} 人（最多 {asked.capacity} 人）"
    if asked.reservation_note:
        text += f"，备注：{asked.reservation_note}"
    staff = await inbox.tell_staff(ctx, meal.restaurant_id, "reservation_requested", text, meal.id)
    await inbox.meal_changed(ctx, meal, "reservation", staff)
    return await SharedMeal.get(id=meal.id)


async def answer_reservation(ctx: Context, meal_id: int, confirm: bool, field: str = "mealId") -> SharedMeal:
    """Staff confirm or decline a meal's table request; errors name `field`, the argument the
    client gave the meal as (mealId, or requestId through answerReservationRequest)."""
    viewer = await write_limit(ctx, "reservation")
    meal = await SharedMeal.get_or_none(id=meal_id)
    if meal is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such meal", field)
    await require_staff(viewer, meal.restaurant_id, field=field)
    answer = ReservationStatus.CONFIRMED if confirm else ReservationStatus.DECLINED
    async with in_transaction("default"):
        changed = await SharedMeal.filter(
            id=meal.id, status=MealStatus.OPEN, reservation=ReservationStatus.REQUESTED
        ).update(reservation=answer)
        if not changed:
            await refuse_if_cancelled(meal.id, field)
            raise UserInputError(ErrorCode.ALREADY_ANSWERED, "No open reservation request", field)
        seated = await MealSeat.filter(meal_id=meal.id, status__in=list(SEATED)).values_list(
            "user_id", flat=True
        )
        text = "已确认" if confirm else "被拒绝"
        await notifications.notify(
            ctx, list(seated), f"reservation_{answer.value}", f"「{meal.title}」的订座{text}", meal_id=meal.id
        )
    await _changed(ctx, meal.id, "reservation")
    await notifications.announce(ctx, list(seated))
    return await SharedMeal.get(id=meal.id)


async def _changed(ctx: Context, meal_id: int, what: str) -> None:
    await members.sync_meal(meal_id)  # the meal's group conversation follows its seats
    await pubsub.publish(ctx.services, TOPIC, meal_id, {"mealId": meal_id, "change": what})


async def _after_promotion(
    ctx: Context, meal_id: int, promoted: int | None, what: str, also: Sequence[int] = ()
) -> None:
    await _changed(ctx, meal_id, what)
    await notifications.announce(ctx, [*([promoted] if promoted else []), *also])


async def meal_updates(ctx: Context, meal_id: int) -> AsyncIterator[SharedMeal]:
    """The meal each time it changes, from any app process; only for people who may see it."""
    ctx.require_viewer()
    await visible_meal(ctx, meal_id)
    async for _ in pubsub.listen(ctx.services, TOPIC, meal_id):
        # Loaders cache for a request; a subscription outlives many changes: look afresh each time.
        ctx.loaders = Loaders()
        meal = await visibility.get(ctx, SharedMeal, meal_id)
        if meal is None:
            return
        yield meal


async def my_seat(ctx: Context, meal_id: int) -> SeatStatus | None:
    viewer = ctx.viewer
    if viewer is None:
        return None
    return await ctx.loaders.get(load_my_seats, viewer.id).load(meal_id)


async def my_place_in_line(ctx: Context, meal_id: int) -> int | None:
    """`waitlistPositionByMe`: 1 for the next seat offered, None when not waiting or signed out."""
    viewer = ctx.viewer
    if viewer is None:
        return None
    return await ctx.loaders.get(load_my_places_in_line, viewer.id).load(meal_id)


# ------------------------------------------------------------------ loaders


# The viewer's place in each meal's waitlist: 1 + those waiting who joined it before them (the
# order seats are offered in: resolvers/tables/offers.py `offer_next`); one statement a page.
_PLACES = """
SELECT mine.meal_id AS meal_id, COUNT(ahead.id) AS ahead
FROM meal_seats mine
LEFT JOIN meal_seats ahead ON ahead.meal_id = mine.meal_id AND ahead.status = ? AND ahead.id < mine.id
WHERE mine.user_id = ? AND mine.status = ? AND mine.meal_id IN ({keys})
GROUP BY mine.meal_id
"""


async def load_my_places_in_line(viewer_id: int, keys: Sequence[int]) -> list[int | None]:
    statement = _PLACES.format(keys=", ".join("?" * len(keys)))
    waiting = SeatStatus.WAITLISTED.value
    rows = await execute(statement, [waiting, viewer_id, waiting, *keys])
    place = {row["meal_id"]: int(row["ahead"]) + 1 for row in rows}
    return [place.get(k) for k in keys]


async def load_seats(keys: Sequence[int]) -> list[list[MealSeat]]:
    rows = await MealSeat.filter(meal_id__in=list(keys)).order_by("id")
    return group_by_key(rows, keys, "meal_id")


async def load_my_seats(viewer_id: int, keys: Sequence[int]) -> list[SeatStatus | None]:
    rows = await MealSeat.filter(user_id=viewer_id, meal_id__in=list(keys))
    found = {r.meal_id: r.status for r in rows}
    return [found.get(k) for k in keys]


async def my_meals(ctx: Context, first: int | None, after: str | None) -> Page[SharedMeal]:
    """Meals the viewer hosts or is part of (seated, offered a seat, waiting, asking to join) and
    may still see: those not over yet (under way included) soonest first, then those over, latest
    first. Cancelled ones leave the list (their guests were told), as a cancelled event does."""
    from resolvers.meals.events import upcoming_then_past
    from resolvers.tables.meal_life import MEAL_LENGTH

    viewer = ctx.require_viewer()
    now = datetime.now(UTC)
    seats = Subquery(
        MealSeat.filter(user_id=viewer.id, status__in=list(visibility.MEMBER_SEATS)).values("meal_id")
    )
    hidden = sorted(await visibility.blocked(ctx))
    mine = SharedMeal.filter(visibility.meals_q(), id__in=seats, status__not=MealStatus.CANCELLED)
    if hidden:
        mine = mine.exclude(host_id__in=hidden)
    over = now - MEAL_LENGTH
    return await upcoming_then_past(
        mine,
        Q(status=MealStatus.OPEN, starts_at__gt=over),
        lambda m: m.status == MealStatus.OPEN and m.starts_at > over,
        first,
        after,
    )


async def meals_nearby(
    ctx: Context, lat: float, lng: float, radius_km: float, first: int | None, after: str | None
) -> Page[tuple[SharedMeal, float]]:
    """Upcoming meals near the point that anyone may be shown (public, hosts blocked either way
    left out)."""
    listed = await visibility.listed_meals_q(ctx)

    now = datetime.now(UTC)

    def select(restaurant_ids: list[int]) -> QuerySet[SharedMeal]:
        return SharedMeal.filter(
            listed, restaurant_id__in=restaurant_ids, status=MealStatus.OPEN, starts_at__gt=now
        )

    return await near(ctx, lat, lng, radius_km, select, lambda m: m.starts_at, first, after)
