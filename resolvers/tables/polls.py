"""Deciding together: polls inside a shared meal (times, restaurants, dishes) that seated guests
vote on. The host closes a poll and the winning option is applied in the same transaction (the
meal's time or restaurant changes, guests are told); dishes are the table's order.

A vote and the close both lock the poll row first, so no vote lands on a closed poll and the
winner is counted from every vote that was accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import pubsub
from core.atomic import lock_row
from core.context import Context
from core.error_text import between, too_long
from core.errors import Collector, ErrorCode, UserInputError
from core.schedule import check_start, utc
from core.text import check_visible_text
from models.meals import LIVE_RESERVATIONS, MealSeat, MealStatus, ReservationStatus, SeatStatus, SharedMeal
from models.restaurants import Dish, Restaurant
from models.tables import MealPoll, PollKind, PollOption, PollVote
from resolvers import feed, visibility
from resolvers.accounts.accounts import write_limit
from resolvers.deals import rollup
from resolvers.meals import meals, notifications
from resolvers.restaurants import opening
from resolvers.tables import inbox, offers
from resolvers.tables.offers import local_time

SEATED = (SeatStatus.HOST, SeatStatus.JOINED)
MEAL_TOPIC = "meal"


@dataclass
class OptionFields:
    label: str = ""
    starts_at: datetime | None = None
    restaurant_id: int | None = None
    dish_id: int | None = None


@dataclass
class Change:
    text: str  # what the meal's guests are told
    withdrawn: str = ""  # what the staff holding its table request are told (when it had one)


async def _open_meal(ctx: Context, meal_id: int, host_only: bool) -> SharedMeal:
    viewer = ctx.require_viewer()
    meal = await visibility.get(ctx, SharedMeal, meal_id)
    if meal is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such meal", "mealId")
    if host_only and meal.host_id != viewer.id:
        raise UserInputError(ErrorCode.FORBIDDEN, "Only the host runs polls", "mealId")
    _still_to_come(meal, "mealId")
    return meal


def _still_to_come(meal: SharedMeal, field: str) -> None:
    """Polls decide a meal still to come: CANCELLED once it was called off, TOO_LATE once it began."""
    if meal.status == MealStatus.CANCELLED:
        raise UserInputError(ErrorCode.CANCELLED, "This meal was cancelled", field)
    if meal.status != MealStatus.OPEN or meal.starts_at <= datetime.now(UTC):
        raise UserInputError(ErrorCode.TOO_LATE, "Polls are for meals still to come", field)


async def _option(
    meal: SharedMeal,
    kind: PollKind,
    i: int,
    option: OptionFields,
    collector: Collector,
    home_hours: opening.Hours | None,
) -> PollOption:
    field = f"options.{i}"
    label = option.label.strip()
    row = PollOption(label=label[:120])
    if kind == PollKind.TIME:
        if option.starts_at is None:
            collector.add(f"{field}.startsAt", ErrorCode.INVALID, "A time option needs startsAt")
        elif check_start(option.starts_at, f"{field}.startsAt", collector):  # aware and near
            row.starts_at = utc(option.starts_at, f"{field}.startsAt")
            if opening.closed_then(home_hours, row.starts_at):  # the winner moves the meal
                collector.add(f"{field}.startsAt", ErrorCode.RESTAURANT_CLOSED, opening.CLOSED_THEN)
            # Unlabelled, a time reads as guests read times: the restaurant's local "12月11日 18:30".
            row.label = row.label or local_time(row.starts_at, await rollup.time_zone(meal.restaurant_id))
    elif kind == PollKind.RESTAURANT:
        place = await Restaurant.filter(visibility.restaurants_q(), id=option.restaurant_id or 0).first()
        if place is None:
            collector.add(f"{field}.restaurantId", ErrorCode.NOT_FOUND, "No such restaurant")
        else:
            row.restaurant_id, row.label = place.id, row.label or place.name
            if await opening.closed_at(place.id, meal.starts_at):  # at the meal's own time
                collector.add(f"{field}.restaurantId", ErrorCode.RESTAURANT_CLOSED, opening.CLOSED_THEN)
    else:
        # A dish still on the menu (not one taken off it: nobody can order it).
        dish = await Dish.filter(
            visibility.dishes_q(), id=option.dish_id or 0, restaurant_id=meal.restaurant_id
        ).first()
        if dish is None:
            collector.add(f"{field}.dishId", ErrorCode.NOT_FOUND, "No such dish at this meal's restaurant")
        else:
            row.dish_id, row.label = dish.id, row.label or dish.name
    if len(label) > 120:
        collector.add(f"{field}.label", ErrorCode.TOO_LONG, too_long(120))
    check_visible_text(label, f"{field}.label", collector)
    return row


async def create(
    ctx: Context, meal_id: int, kind: PollKind, question: str, options: list[OptionFields]
) -> MealPoll:
    await write_limit(ctx, "meal")
    meal = await _open_meal(ctx, meal_id, host_only=True)
    collector = Collector()
    question = question.strip()
    if not question:
        collector.add("question", ErrorCode.INVALID, "Ask a question")
    elif len(question) > 200:
        collector.add("question", ErrorCode.TOO_LONG, too_long(200))
    check_visible_text(question, "question", collector)
    if not 2 <= len(options) <= 10:
        collector.add("options", ErrorCode.OUT_OF_RANGE, between("2 to 10 options", 2, 10))
    # The meal's restaurant's hours, read once for every time option.
    [home_hours] = await opening.load_hours([meal.restaurant_id]) if kind == PollKind.TIME else [None]
    rows = [
        await _option(meal, kind, i, option, collector, home_hours) for i, option in enumerate(options[:10])
    ]
    collector.raise_if_any()
    async with in_transaction("default"):
        poll = await MealPoll.create(meal_id=meal.id, kind=kind, question=question)
        for row in rows:
            row.poll_id = poll.id
        await PollOption.bulk_create(rows)
    await _changed(ctx, meal.id, "poll")
    return poll


async def _locked_open_poll(poll_id: int) -> MealPoll:
    row = await lock_row("meal_polls", poll_id, "closed")
    if row is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such poll", "pollId")
    if row["closed"]:
        raise UserInputError(ErrorCode.POLL_CLOSED, "This poll is closed", "pollId")
    return await MealPoll.get(id=poll_id)


async def _visible_poll(ctx: Context, poll_id: int) -> MealPoll:
    poll = await MealPoll.get_or_none(id=poll_id)
    if poll is None or await visibility.get(ctx, SharedMeal, poll.meal_id) is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such poll", "pollId")
    return poll


async def vote(ctx: Context, poll_id: int, option_id: int) -> MealPoll:
    """A seated guest's one vote (a second vote moves it); POLL_CLOSED once the host closed it."""
    viewer = await write_limit(ctx, "meal")
    poll = await _visible_poll(ctx, poll_id)
    if not await MealSeat.filter(meal_id=poll.meal_id, user_id=viewer.id, status__in=list(SEATED)).exists():
        raise UserInputError(ErrorCode.NOT_JOINED, "Only guests at the table vote", "pollId")
    if not await PollOption.filter(id=option_id, poll_id=poll_id).exists():
        raise UserInputError(ErrorCode.NOT_FOUND, "No such option in this poll", "optionId")
    try:
        async with in_transaction("default"):
            await _locked_open_poll(poll_id)
            # No vote on a meal called off or begun (its polls can no longer close: the vote would
            # count for nothing); under the meal's lock, taken after the poll's as the close does.
            await lock_row("shared_meals", poll.meal_id, "id")
            _still_to_come(await SharedMeal.get(id=poll.meal_id), "pollId")
            moved = await PollVote.filter(poll_id=poll_id, user_id=viewer.id).update(option_id=option_id)
            if not moved:
                await PollVote.create(poll_id=poll_id, option_id=option_id, user_id=viewer.id)
    except IntegrityError:  # the same diner's parallel first votes: one row wins
        raise UserInputError(ErrorCode.ALREADY_VOTED, "Your vote is already in", "pollId") from None
    await _changed(ctx, poll.meal_id, "poll_vote")
    return poll


async def votes_by_option(poll_id: int) -> dict[int, int]:
    counts: dict[int, int] = {}
    for option_id in await PollVote.filter(poll_id=poll_id).values_list("option_id", flat=True):
        counts[option_id] = counts.get(option_id, 0) + 1
    return counts


async def close(ctx: Context, poll_id: int) -> MealPoll:
    """Host only: the most-voted option wins (ties: the first listed) and is applied at once; a
    poll nobody voted in closes with no winner."""
    await write_limit(ctx, "meal")
    poll = await _visible_poll(ctx, poll_id)
    meal = await _open_meal(ctx, poll.meal_id, host_only=True)
    told: list[int] = []
    change: Change | None = None
    async with in_transaction("default"):
        await _locked_open_poll(poll_id)
        options = await PollOption.filter(poll_id=poll_id).order_by("id")
        counts = await votes_by_option(poll_id)
        # Nobody voted: the poll closes with no winner and the meal stays as it is (closing an
        # unanswered poll must not move the meal to its first option nor drop its table).
        winner = max(options, key=lambda o: (counts.get(o.id, 0), -o.id)) if counts else None
        await MealPoll.filter(id=poll_id, closed=False).update(
            closed=True, winner_id=winner.id if winner else None
        )
        # The meal as it is now (after the poll's lock, in the same lock order as a vote: poll,
        # then meal), not as read before: a meal already at the winning time or place is left as
        # it is, its table request included.
        await lock_row("shared_meals", meal.id, "id")
        meal = await SharedMeal.get(id=meal.id)  # kept as it was: its old restaurant is below
        if meal.status != MealStatus.OPEN:
            raise UserInputError(ErrorCode.CANCELLED, "This meal is no longer open", "pollId")
        change = await _apply(poll.kind, meal, winner) if winner else None
        told = await tell_change(ctx, meal, change)
    await _changed(ctx, meal.id, "poll_closed")
    await after_change(ctx, meal, change, told)
    return await MealPoll.get(id=poll_id)


async def tell_change(ctx: Context, meal: SharedMeal, change: Change | None) -> list[int]:
    """Inside the transaction that changed the meal's time or place (`meal` as read before it):
    everyone at it is told (seated, offered a seat, waitlisted, asking to join: they decide on
    the new time too), and the staff holding its table request that it was withdrawn. Returns who
    was told (announced by `after_change`)."""
    if change is None:
        return []
    told = await going_to(meal.id)
    await notifications.notify(ctx, told, "meal_changed", change.text, meal.id)
    if change.withdrawn:
        # `meal` was read before the update: its restaurant is the one asked for a table.
        told += await inbox.tell_staff(
            ctx, meal.restaurant_id, "reservation_withdrawn", change.withdrawn, meal.id
        )
    return told


async def going_to(meal_id: int) -> list[int]:
    """The host and everyone still at the meal or in line for it (told when it moves)."""
    return list(
        await MealSeat.filter(meal_id=meal_id, status__in=list(visibility.MEMBER_SEATS)).values_list(
            "user_id", flat=True
        )
    )


async def after_change(ctx: Context, meal: SharedMeal, change: Change | None, told: list[int]) -> None:
    """After the commit: staff of the restaurant the request was for (the old one, when the place
    changed) watching their inbox live see the request go, as when a meal is cancelled."""
    if change is not None and change.withdrawn:
        await pubsub.publish(ctx.services, inbox.INBOX_TOPIC, meal.restaurant_id, {"mealId": meal.id})
    await notifications.announce(ctx, told)


async def _apply(kind: PollKind, meal: SharedMeal, winner: PollOption) -> Change | None:
    """Write the winner onto the meal (inside the close's transaction, the meal row locked);
    None when the meal already is at the winning time or place (nothing changes)."""
    if kind == PollKind.TIME and winner.starts_at is not None:
        if winner.starts_at <= datetime.now(UTC) and winner.starts_at != meal.starts_at:
            raise UserInputError(ErrorCode.IN_THE_PAST, "The winning time has passed", "pollId")
        return await move_meal(meal, winner.starts_at)
    if kind == PollKind.RESTAURANT and winner.restaurant_id is not None:
        if winner.restaurant_id == meal.restaurant_id:
            return None
        place = await Restaurant.filter(visibility.restaurants_q(), id=winner.restaurant_id).first()
        if place is None:
            raise UserInputError(ErrorCode.NOT_FOUND, "The winning restaurant is no longer open", "pollId")
        await SharedMeal.filter(id=meal.id, status=MealStatus.OPEN).update(
            restaurant_id=winner.restaurant_id, reservation=ReservationStatus.NONE
        )
        await feed.moved(meals.FEED_KIND, meal.id, winner.restaurant_id)
        when = await inbox.when_at(meal.restaurant_id, meal.starts_at)
        return Change(
            f"「{meal.title}」换餐厅了：{place.name}",
            f"「{meal.title}」（{when}）换了餐厅，订座请求已撤回"
            if meal.reservation in LIVE_RESERVATIONS
            else "",
        )
    return None


async def move_meal(meal: SharedMeal, starts_at: datetime) -> Change | None:
    """Inside the caller's transaction (the meal's row locked, `meal` as read then): the meal to
    another (future) time, its table request reset, as a table held for the old time no longer
    holds (the host asks the restaurant again). None when it already is at that time."""
    if starts_at == meal.starts_at:
        return None
    zone = await rollup.time_zone(meal.restaurant_id)
    await SharedMeal.filter(id=meal.id, status=MealStatus.OPEN).update(
        starts_at=starts_at, reservation=ReservationStatus.NONE, reminded_at=None
    )
    await offers.fit_to_new_time(meal.id, starts_at, zone)
    when, new_when = local_time(meal.starts_at, zone), local_time(starts_at, zone)
    return Change(
        f"「{meal.title}」改时间了：{new_when}",
        f"「{meal.title}」（{when}）改到了 {new_when}，原订座请求已撤回"
        if meal.reservation in LIVE_RESERVATIONS
        else "",
    )


async def meal_polls(ctx: Context, meal_id: int) -> list[MealPoll]:
    if await visibility.get(ctx, SharedMeal, meal_id) is None:
        return []
    return await MealPoll.filter(meal_id=meal_id).order_by("id")


async def _changed(ctx: Context, meal_id: int, what: str) -> None:
    await pubsub.publish(ctx.services, MEAL_TOPIC, meal_id, {"mealId": meal_id, "change": what})
