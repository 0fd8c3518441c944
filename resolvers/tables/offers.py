"""Time-limited waitlist offers: a freed seat is held for the first waitlisted diner, who has
OFFER_WINDOW (shorter as the meal nears: at most half the time left) to accept; a decline or a
lapse takes them off the waitlist and offers the seat to the next, else the seat goes back.

Every step locks the meal row first (as every seat change does) and moves the offer and the
seat with conditional updates, so an accept racing the lapse job (or a second accept) changes
each offer once: the seat is either taken by its diner or handed on, never both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
from resolvers.meals import notifications

OFFER_WINDOW = timedelta(minutes=30)
MIN_WINDOW = timedelta(minutes=1)
MEAL_TOPIC = "meal"


def window(starts_at: datetime, now: datetime) -> timedelta:
    """How long an offer stands: OFFER_WINDOW, or half the time left before the meal."""
    return min(OFFER_WINDOW, (starts_at - now) / 2)


async def offer_next(ctx: Context, meal: SharedMeal) -> int | None:
    """Inside the caller's transaction (meal row locked): hold the seat for the first waitlisted
    diner; None when nobody waits or the meal is too near (the caller gives the seat back)."""
    now = datetime.now(UTC)
    lasts = window(meal.starts_at, now)
    if lasts < MIN_WINDOW:
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
            await SeatOffer.create(meal_id=meal.id, user_id=first.user_id, expires_at=now + lasts)
            minutes = max(1, int(lasts.total_seconds() // 60))
            text = f"「{meal.title}」有空位了！{minutes} 分钟内接受即可入座"
            await notifications.notify(ctx, [first.user_id], "seat_offered", text, meal_id=meal.id)
            return first.user_id


async def _hand_on(ctx: Context, meal: SharedMeal) -> int | None:
    """The held seat goes to the next waitlisted diner, else back to the pool."""
    offered = await offer_next(ctx, meal)
    if offered is None:
        await SharedMeal.filter(id=meal.id).update(seats_taken=F("seats_taken") - 1)
    return offered


async def _publish(services: Services, meal_id: int, what: str) -> None:
    await pubsub.publish(services, MEAL_TOPIC, meal_id, {"mealId": meal_id, "change": what})


async def answer(ctx: Context, meal_id: int, accept: bool) -> SharedMeal:
    """The offered diner takes the seat (before the offer lapses) or lets it go to the next."""
    viewer = await write_limit(ctx, "meal")
    now = datetime.now(UTC)
    async with in_transaction("default"):
        row = await lock_row("shared_meals", meal_id, "status")
        if row is None:
            raise UserInputError(ErrorCode.NOT_FOUND, "No such meal", "mealId")
        if row["status"] != MealStatus.OPEN.value:
            raise UserInputError(ErrorCode.CANCELLED, "This meal is no longer open", "mealId")
        offer = await SeatOffer.filter(meal_id=meal_id, user_id=viewer.id, status=OfferStatus.OPEN).first()
        if offer is None:
            raise UserInputError(ErrorCode.NOT_FOUND, "No open offer for you at this meal", "mealId")
        if accept and offer.expires_at <= now:
            raise UserInputError(ErrorCode.OFFER_LAPSED, "This offer has lapsed", "mealId")
        meal = await SharedMeal.get(id=meal_id)
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
    await _publish(ctx.services, meal_id, "offer_accepted" if accept else "offer_declined")
    await notifications.announce(ctx, [handed] if handed else [])
    return await SharedMeal.get(id=meal_id)


async def lapse_due(services: Services) -> int:
    """The job: offers past their time lapse; their diners leave the waitlist; the seat moves on."""
    ctx = Context(services=services)
    now = datetime.now(UTC)
    due = await SeatOffer.filter(status=OfferStatus.OPEN, expires_at__lte=now).values_list(
        "id", "meal_id", "user_id"
    )
    lapsed = 0
    for offer_id, meal_id, user_id in due:
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
                text = f"「{meal.title}」的空位已过期，已让给下一位"
                await notifications.notify(ctx, [user_id], "offer_lapsed", text, meal_id=meal_id)
                if meal.status == MealStatus.OPEN:
                    handed = await _hand_on(ctx, meal)
        await _publish(services, meal_id, "offer_lapsed")
        await notifications.announce(ctx, [user_id, *([handed] if handed else [])])
    return lapsed


async def my_offer(viewer_id: int, meal_id: int) -> SeatOffer | None:
    return await SeatOffer.filter(meal_id=meal_id, user_id=viewer_id, status=OfferStatus.OPEN).first()
