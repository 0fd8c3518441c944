"""Time-limited waitlist offers: a freed seat is held for the first waitlisted diner, who has
until the offer's `expires_at` (see `expiry`) to accept; a decline or a lapse takes them off the
waitlist and offers the seat to the next, else the seat goes back.

How long an offer stands:
- the meal starts within NEAR (3 h): NEAR_WINDOW (30 min), or half the time left when that is
  shorter (the seat can still be handed on); under MIN_WINDOW nobody is offered, the seat goes back;
- else FAR_WINDOW (4 h), never ending during the night where the restaurant is (22:00-08:00 in
  its time zone): an offer made, or that would end, in the night lasts until 10:00 the morning
  after; and never past LEAD (1 h) before the meal starts.

Every step locks the meal row first (as every seat change does) and moves the offer and the
seat with conditional updates, so an accept racing the lapse job (or a second accept) changes
each offer once: the seat is either taken by its diner or handed on, never both.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from core import pubsub
from core.atomic import lock_row
from core.context import Context, Services
from core.errors import ErrorCode, UserInputError
from models.meals import MealSeat, MealStatus, SeatStatus, SharedMeal
from models.tables import OfferStatus, SeatOffer
from resolvers import visibility
from resolvers.accounts.accounts import write_limit
from resolvers.deals import rollup
from resolvers.meals import notifications

NEAR = timedelta(hours=3)
NEAR_WINDOW = timedelta(minutes=30)
FAR_WINDOW = timedelta(hours=4)
LEAD = timedelta(hours=1)
MIN_WINDOW = timedelta(minutes=1)
NIGHT_FROM, NIGHT_UNTIL, MORNING = time(22), time(8), time(10)
MEAL_TOPIC = "meal"


def _at_night(local: datetime) -> bool:
    return local.time() >= NIGHT_FROM or local.time() < NIGHT_UNTIL


def _morning_after(local: datetime) -> datetime:
    """10:00 local on the morning that ends this night."""
    day = local.date() + timedelta(days=1) if local.time() >= NIGHT_FROM else local.date()
    return datetime.combine(day, MORNING, local.tzinfo).astimezone(UTC)


def expiry(starts_at: datetime, now: datetime, zone: str) -> datetime:
    """When an offer made `now` lapses (see the module's docstring)."""
    left = starts_at - now
    if left < NEAR:  # going out soon: awake, day or night
        return now + min(NEAR_WINDOW, left / 2)
    tz = ZoneInfo(zone or "UTC")
    until = now + FAR_WINDOW
    if _at_night(now.astimezone(tz)):
        until = max(until, _morning_after(now.astimezone(tz)))
    if _at_night(until.astimezone(tz)):
        until = _morning_after(until.astimezone(tz))
    return min(until, starts_at - LEAD)


def local_time(at: datetime, zone: str) -> str:
    """An offer's deadline as the diner reads it: 6月14日 10:00, the restaurant's local time."""
    local = at.astimezone(ZoneInfo(zone or "UTC"))
    return f"{local.month}月{local.day}日 {local:%H:%M}"


async def offer_next(ctx: Context, meal: SharedMeal) -> int | None:
    """Inside the caller's transaction (meal row locked): hold the seat for the first waitlisted
    diner; None when nobody waits or the meal is too near (the caller gives the seat back)."""
    now = datetime.now(UTC)
    zone = await rollup.time_zone(meal.restaurant_id)
    expires_at = expiry(meal.starts_at, now, zone)
    if expires_at - now < MIN_WINDOW:
        return None
    # Never someone blocked either way with the host (a block removes them; this holds meanwhile).
    shut_out = sorted(await visibility.blocked_either_way(meal.host_id))
    while True:
        first = (
            await MealSeat.filter(meal_id=meal.id, status=SeatStatus.WAITLISTED)
            .exclude(user_id__in=shut_out)
            .order_by("id")
            .first()
        )
        if first is None:
            return None
        if await MealSeat.filter(id=first.id, status=SeatStatus.WAITLISTED).update(status=SeatStatus.OFFERED):
            await SeatOffer.create(meal_id=meal.id, user_id=first.user_id, expires_at=expires_at)
            when = local_time(expires_at, zone)
            text = f"「{meal.title}」有空位了！请在 {when} 前接受即可入座，逾期将让给下一位"
            await notifications.notify(ctx, [first.user_id], "seat_offered", text, meal_id=meal.id)
            return first.user_id


async def _hand_on(ctx: Context, meal: SharedMeal) -> int | None:
    """The held seat goes to the next waitlisted diner, else back to the pool."""
    offered = await offer_next(ctx, meal)
    if offered is None:
        await SharedMeal.filter(id=meal.id).update(seats_taken=F("seats_taken") - 1)
    return offered


async def _publish(services: Services, meal_id: int, what: str) -> None:
    from resolvers.conversations import members

    await members.sync_meal(meal_id)  # the meal's group follows its seats (an accepted offer joins it)
    await pubsub.publish(services, MEAL_TOPIC, meal_id, {"mealId": meal_id, "change": what})


async def answer(ctx: Context, meal_id: int, accept: bool) -> SharedMeal:
    """The offered diner takes the seat (before the offer lapses) or lets it go to the next."""
    viewer = await write_limit(ctx, "meal")
    now = datetime.now(UTC)
    async with in_transaction("default"):
        row = await lock_row("shared_meals", meal_id, "status")
        if row is None:
            raise UserInputError(ErrorCode.NOT_FOUND, "No such meal", "mealId")
        if row["status"] == MealStatus.COMPLETED.value:
            raise UserInputError(ErrorCode.TOO_LATE, "This meal is over", "mealId")
        if row["status"] != MealStatus.OPEN.value:
            raise UserInputError(ErrorCode.CANCELLED, "This meal was cancelled", "mealId")
        offer = await SeatOffer.filter(meal_id=meal_id, user_id=viewer.id, status=OfferStatus.OPEN).first()
        if offer is None:
            raise UserInputError(ErrorCode.NOT_FOUND, "No open offer for you at this meal", "mealId")
        meal = await SharedMeal.get(id=meal_id)
        if accept and (offer.expires_at <= now or meal.starts_at <= now):  # nobody joins a meal under way
            raise UserInputError(ErrorCode.OFFER_LAPSED, "This offer has lapsed", "mealId")
        closed = await SeatOffer.filter(id=offer.id, status=OfferStatus.OPEN).update(
            status=OfferStatus.ACCEPTED if accept else OfferStatus.DECLINED
        )
        to = SeatStatus.JOINED if accept else SeatStatus.LEFT
        moved = closed and await MealSeat.filter(
            meal_id=meal_id, user_id=viewer.id, status=SeatStatus.OFFERED
        ).update(status=to)
        if not moved:
            raise UserInputError(ErrorCode.OFFER_LAPSED, "This offer is no longer open", "mealId")
        handed = None if accept else await _hand_on(ctx, meal)
        if accept:  # the host hears of it as of any join (their list ended at "候补了" before)
            from resolvers.meals.meals import tell_host  # meals imports this module at call time

            text = f"{viewer.display_name} 接受了空出的座位，加入了「{meal.title}」"
            await tell_host(ctx, meal, viewer, "meal_joined", text)
    await _publish(ctx.services, meal_id, "offer_accepted" if accept else "offer_declined")
    told = [meal.host_id] if accept else [handed] if handed else []  # the host, or the next in line
    await notifications.announce(ctx, told)
    return await SharedMeal.get(id=meal_id)


async def lapse_due(services: Services) -> int:
    """The job: offers past their `expires_at` lapse; their diners leave the waitlist and are
    told when it lapsed; the seat moves on to the next (or back, when nobody waits, the meal is
    too near or no longer open)."""
    ctx = Context(services=services)
    now = datetime.now(UTC)
    due = await SeatOffer.filter(status=OfferStatus.OPEN, expires_at__lte=now).values_list(
        "id", "meal_id", "user_id", "expires_at"
    )
    lapsed = 0
    for offer_id, meal_id, user_id, expires_at in due:
        handed = None
        async with in_transaction("default"):
            if await lock_row("shared_meals", meal_id, "id") is None:
                continue
            if not await SeatOffer.filter(id=offer_id, status=OfferStatus.OPEN).update(
                status=OfferStatus.LAPSED
            ):
                continue  # answered (or lapsed by another worker) meanwhile
            lapsed += 1
            meal = await SharedMeal.get(id=meal_id)
            if await MealSeat.filter(meal_id=meal_id, user_id=user_id, status=SeatStatus.OFFERED).update(
                status=SeatStatus.LEFT
            ):
                if meal.status == MealStatus.OPEN:
                    handed = await _hand_on(ctx, meal)
                else:  # nobody is offered a seat at a meal that is over: it goes back
                    await SharedMeal.filter(id=meal_id).update(seats_taken=F("seats_taken") - 1)
                when = local_time(expires_at, await rollup.time_zone(meal.restaurant_id))
                text = f"「{meal.title}」的空位邀请已于 {when} 过期" + ("，已让给下一位" if handed else "")
                await notifications.notify(ctx, [user_id], "offer_lapsed", text, meal_id=meal_id)
        await _publish(services, meal_id, "offer_lapsed")
        await notifications.announce(ctx, [user_id, *([handed] if handed else [])])
    return lapsed


async def fit_to_new_time(meal_id: int, starts_at: datetime, zone: str) -> None:
    """Inside the transaction that moves a meal (its row locked): an open offer never outlasts
    what an offer made now for the new time would (an hour before a far meal, half the time left
    for a near one), so a seat is never taken at a meal already begun."""
    now = datetime.now(UTC)
    latest = max(now, expiry(starts_at, now, zone))
    await SeatOffer.filter(meal_id=meal_id, status=OfferStatus.OPEN, expires_at__gt=latest).update(
        expires_at=latest
    )


async def my_offer(viewer_id: int, meal_id: int) -> SeatOffer | None:
    return await SeatOffer.filter(meal_id=meal_id, user_id=viewer_id, status=OfferStatus.OPEN).first()


async def withdraw(meal_id: int, user_id: int | None = None) -> None:
    """Inside the caller's transaction (meal row locked): an OFFERED diner went (left, removed,
    the meal started), or with no `user_id` the meal was called off: the open offer closes with
    the seat, as a decline would."""
    offered = SeatOffer.filter(meal_id=meal_id, status=OfferStatus.OPEN)
    if user_id is not None:
        offered = offered.filter(user_id=user_id)
    await offered.update(status=OfferStatus.DECLINED)
