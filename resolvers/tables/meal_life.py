"""The meal's life: scheduled -> under way -> completed (or cancelled).

The phase is derived from the time (under way from the start for MEAL_LENGTH); the meal-life
job writes COMPLETED once that has passed, so the row says so and nothing moves on it after.
Leaving after the start is a no-show and promotes nobody (the seat is given back: nobody joins a
meal under way). Guests are checked in by staff, or by redeeming a voucher at that restaurant
while the meal is under way. Attendance counts where it was taken: at a meal where anyone was
checked in, a guest not checked in by the end is a no-show (the job writes NO_SHOW on their seat
and gives it back); a meal nobody was checked in at marks nobody. After completion, the guests
who came rate the meal and each other privately (thumbs and tags), once; a no-show neither
rates nor is rated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from core import pubsub
from core.atomic import lock_row
from core.context import Context, Services
from core.errors import ErrorCode, UserInputError
from models.meals import MealSeat, MealStatus, SeatStatus, SharedMeal
from models.tables import MealCheckIn, MealRating
from resolvers.accounts.accounts import write_limit
from resolvers.restaurants.access import require_staff
from resolvers.reviews import ratings

MEAL_LENGTH = timedelta(hours=3)
EARLY_CHECK_IN = timedelta(hours=1)
SEATED = (SeatStatus.HOST, SeatStatus.JOINED)
RATING_TAGS = {
    "on_time": "准时",
    "great_company": "聊得来",
    "good_food": "好吃",
    "good_value": "划算",
    "would_eat_again": "还想一起吃",
    "late": "迟到",
}
MEAL_TOPIC = "meal"  # the topic sharedMealUpdated listens on (resolvers.meals.meals.TOPIC)


def phase(meal: SharedMeal, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    if meal.status == MealStatus.CANCELLED:
        return "cancelled"
    if meal.status == MealStatus.COMPLETED or now >= meal.starts_at + MEAL_LENGTH:
        return "completed"
    return "under_way" if now >= meal.starts_at else "scheduled"


async def _publish(services: Services, meal_id: int, what: str) -> None:
    from resolvers.conversations import members

    await members.sync_meal(meal_id)  # the meal's group follows its seats (a no-show leaves it)
    await pubsub.publish(services, MEAL_TOPIC, meal_id, {"mealId": meal_id, "change": what})


async def no_shows_at(meal_id: int) -> set[int]:
    """Guests (not the host) still JOINED but not checked in, at a meal where staff checked anyone
    in: the no-shows once its time is over (check-in closes then, so the answer is final). A
    voucher's automatic check-in proves its holder came, but is no roll call: alone it marks
    nobody else."""
    rows = await MealCheckIn.filter(meal_id=meal_id).values_list("user_id", "by_voucher")
    if all(by_voucher for _, by_voucher in rows):  # staff took no attendance: nobody is marked
        return set()
    came = {user_id for user_id, _ in rows}
    joined = await MealSeat.filter(meal_id=meal_id, status=SeatStatus.JOINED).values_list(
        "user_id", flat=True
    )
    return set(joined) - came


async def complete_due(services: Services) -> int:
    """The job: write COMPLETED on open meals whose time is over (each row changed once), and
    NO_SHOW on the seats of guests who did not come (see `no_shows_at`), giving those seats back
    in the statement that completes the meal."""
    due = await SharedMeal.filter(
        status=MealStatus.OPEN, starts_at__lt=datetime.now(UTC) - MEAL_LENGTH
    ).values_list("id", flat=True)
    done = 0
    for meal_id in due:
        async with in_transaction("default"):
            row = await lock_row("shared_meals", meal_id, "status")
            if row is None or row["status"] != MealStatus.OPEN.value:
                continue  # completed by another worker, or cancelled, meanwhile
            absent = sorted(await no_shows_at(meal_id))
            marked = 0
            if absent:
                marked = await MealSeat.filter(
                    meal_id=meal_id, user_id__in=absent, status=SeatStatus.JOINED
                ).update(status=SeatStatus.NO_SHOW)
            if not await SharedMeal.filter(id=meal_id, status=MealStatus.OPEN).update(
                status=MealStatus.COMPLETED, seats_taken=F("seats_taken") - marked
            ):
                continue
        done += 1
        await _publish(services, meal_id, "completed")
    return done


async def seat_on_record(meal: SharedMeal, user_id: int, field: str = "mealId") -> None:
    """Refuse to free a seat whose story is written: the meal is over, or the guest came (a
    check-in must not become a no-show, a removal or a seat handed on)."""
    if datetime.now(UTC) >= meal.starts_at + MEAL_LENGTH:
        raise UserInputError(ErrorCode.TOO_LATE, "This meal is over", "mealId")
    await refuse_if_came(meal.id, user_id, field)


async def refuse_if_came(meal_id: int, user_id: int, field: str) -> None:
    """TOO_LATE when the guest is checked in. Called again under the meal's row lock by every
    path that frees a seat, as `check_in` checks the seat under that lock: a check-in racing a
    leave or a removal ends with exactly one of them."""
    if await MealCheckIn.exists(meal_id=meal_id, user_id=user_id):
        raise UserInputError(ErrorCode.TOO_LATE, "Checked in at this meal: they came", field)


async def leave_after_start(ctx: Context, meal: SharedMeal, user_id: int, field: str = "mealId") -> None:
    """A guest going once the meal began (leaving, removed by the host, parted by a block): a
    no-show unless checked in (then refused: they came); the seat is not handed on."""
    async with in_transaction("default"):
        row = await lock_row("shared_meals", meal.id, "status")
        if row is None or row["status"] == MealStatus.CANCELLED.value:
            raise UserInputError(ErrorCode.CANCELLED, "This meal was cancelled", "mealId")
        if row["status"] != MealStatus.OPEN.value:
            raise UserInputError(ErrorCode.TOO_LATE, "This meal is over", "mealId")
        await refuse_if_came(meal.id, user_id, field)
        # A seat (joined, or held for an offer) is given back: nobody joins a meal under way.
        held = await MealSeat.filter(meal_id=meal.id, user_id=user_id, status=SeatStatus.JOINED).update(
            status=SeatStatus.NO_SHOW
        )
        if not held and await MealSeat.filter(
            meal_id=meal.id, user_id=user_id, status=SeatStatus.OFFERED
        ).update(status=SeatStatus.LEFT):
            from resolvers.tables import offers

            await offers.withdraw(meal.id, user_id)
            held = 1
        if held:
            await SharedMeal.filter(id=meal.id, status=MealStatus.OPEN).update(
                seats_taken=F("seats_taken") - 1
            )
        elif not await MealSeat.filter(  # the waitlisted and pending simply go
            meal_id=meal.id, user_id=user_id, status__in=[SeatStatus.WAITLISTED, SeatStatus.PENDING]
        ).update(status=SeatStatus.LEFT):
            raise UserInputError(ErrorCode.NOT_JOINED, "Not a guest of this meal", field)
    await _publish(ctx.services, meal.id, "no_show")


async def check_in(ctx: Context, meal_id: int, user_id: int) -> SharedMeal:
    """Staff of the meal's restaurant confirm a seated guest is at the table."""
    viewer = await write_limit(ctx, "checkin")
    meal = await SharedMeal.get_or_none(id=meal_id)
    if meal is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such meal", "mealId")
    await require_staff(viewer, meal.restaurant_id, field="mealId")
    now = datetime.now(UTC)
    if phase(meal, now) == "cancelled":
        raise UserInputError(ErrorCode.CANCELLED, "This meal was cancelled", "mealId")
    if phase(meal, now) == "completed":
        raise UserInputError(ErrorCode.TOO_LATE, "This meal is over", "mealId")
    if now < meal.starts_at - EARLY_CHECK_IN:
        raise UserInputError(
            ErrorCode.TOO_EARLY, "Check in from an hour before the meal until it ends", "mealId"
        )
    async with in_transaction("default"):
        # The seat checked under the meal's row lock, as every path that frees a seat takes it.
        await lock_row("shared_meals", meal.id, "id")
        if not await _seated(meal.id, user_id):
            raise UserInputError(ErrorCode.NOT_JOINED, "Not seated at this meal", "userId")
        try:
            await MealCheckIn.create(meal_id=meal.id, user_id=user_id)
        except IntegrityError:
            raise UserInputError(ErrorCode.DUPLICATE, "Already checked in", "userId") from None
        # A check-in proves the visit: the diner's reviews there become verified (issue 15).
        await ratings.verify_visits(user_id, meal.restaurant_id, now)
    await _publish(ctx.services, meal.id, "checked_in")
    return meal


async def _seated(meal_id: int, user_id: int) -> bool:
    return await MealSeat.filter(meal_id=meal_id, user_id=user_id, status__in=list(SEATED)).exists()


async def voucher_check_in(services: Services, user_id: int, restaurant_id: int) -> None:
    """A voucher redeemed at a restaurant checks its holder in at a meal under way there."""
    now = datetime.now(UTC)
    seats = await MealSeat.filter(
        user_id=user_id,
        status__in=list(SEATED),
        meal__restaurant_id=restaurant_id,
        meal__status=MealStatus.OPEN,
        meal__starts_at__lte=now + EARLY_CHECK_IN,
        meal__starts_at__gt=now - MEAL_LENGTH,
    ).values_list("meal_id", flat=True)
    for meal_id in seats:
        try:
            async with in_transaction("default"):
                await lock_row("shared_meals", meal_id, "id")  # as `check_in`: not racing a leave
                if not await _seated(meal_id, user_id):
                    continue  # left or removed meanwhile
                await MealCheckIn.create(meal_id=meal_id, user_id=user_id, by_voucher=True)
        except IntegrityError:
            continue  # already checked in
        await _publish(services, meal_id, "checked_in")


@dataclass
class GuestRating:
    user_id: int
    thumbs_up: bool
    tags: list[str]


def _tags(tags: list[str], field: str) -> list[str]:
    unknown = [t for t in tags if t not in RATING_TAGS]
    if unknown or len(tags) > len(RATING_TAGS):
        raise UserInputError(ErrorCode.UNKNOWN_TAG, f"Tags are: {', '.join(RATING_TAGS)}", field)
    return sorted(set(tags))


async def rate(
    ctx: Context, meal_id: int, thumbs_up: bool, tags: list[str], guests: list[GuestRating]
) -> None:
    """Once, after completion, by a guest who came: the meal and any of the others who came.

    A no-show (NO_SHOW, or not checked in where attendance was taken, before the job marks it)
    can neither rate (NOT_JOINED) nor be rated."""
    viewer = await write_limit(ctx, "rating")
    meal = await SharedMeal.get_or_none(id=meal_id)
    on_record = dict(
        await MealSeat.filter(meal_id=meal_id, status__in=[*SEATED, SeatStatus.NO_SHOW]).values_list(
            "user_id", "status"
        )
    )
    if meal is None or viewer.id not in on_record:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such meal of yours", "mealId")
    if phase(meal) == "cancelled":
        raise UserInputError(ErrorCode.CANCELLED, "This meal was cancelled", "mealId")
    if phase(meal) != "completed":  # still to come or under way: the rating opens at its end
        raise UserInputError(ErrorCode.TOO_EARLY, "Rate the meal once it is over", "mealId")
    absent = await no_shows_at(meal_id) if meal.status == MealStatus.OPEN else set()
    seated = {u for u, status in on_record.items() if status in SEATED and u not in absent}
    if viewer.id not in seated:
        raise UserInputError(
            ErrorCode.NOT_JOINED, "A no-show at this meal: only guests who came rate it", "mealId"
        )
    rows = [MealRating(meal_id=meal_id, rater_id=viewer.id, thumbs_up=thumbs_up, tags=_tags(tags, "tags"))]
    for i, guest in enumerate(guests):
        if guest.user_id == viewer.id or guest.user_id not in seated:
            raise UserInputError(
                ErrorCode.NOT_JOINED, "Rate the other guests of this meal", f"guests.{i}.userId"
            )
        tags_i = _tags(guest.tags, f"guests.{i}.tags")
        rows.append(
            MealRating(
                meal_id=meal_id,
                rater_id=viewer.id,
                target_id=guest.user_id,
                thumbs_up=guest.thumbs_up,
                tags=tags_i,
            )
        )
    if len({r.target_id for r in rows}) != len(rows):
        raise UserInputError(ErrorCode.DUPLICATE, "Rate each guest once", "guests")
    try:
        async with in_transaction("default"):
            # The meal's own rating has no target (NULLs never collide in a unique index): the
            # meal row's lock makes "not rated yet" and the insert one step.
            await lock_row("shared_meals", meal_id, "id")
            if await MealRating.filter(meal_id=meal_id, rater_id=viewer.id).exists():
                raise IntegrityError("already rated")
            await MealRating.bulk_create(rows)
    except IntegrityError:
        raise UserInputError(ErrorCode.ALREADY_REVIEWED, "You already rated this meal", "mealId") from None


async def received_tags(user_id: int) -> dict[str, int]:
    """Private: the tags others gave this diner, counted (shown to the diner only)."""
    counts: dict[str, int] = {}
    for tags in await MealRating.filter(target_id=user_id).values_list("tags", flat=True):
        for tag in tags or []:
            counts[tag] = counts.get(tag, 0) + 1
    return counts
