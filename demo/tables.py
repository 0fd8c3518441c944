"""seed-demo step (issue 16): bookable slots with bookings (some no-shows, one waiting for
approval), completed shared meals with check-ins and private ratings, and an upcoming meal
deciding its night by poll."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from demo.seed import SeedState
from models.meals import MealSeat, MealStatus, SeatStatus, SharedMeal
from models.restaurants import Restaurant
from models.tables import (
    Booking,
    BookingSlot,
    BookingStatus,
    MealCheckIn,
    MealPoll,
    MealRating,
    PollKind,
    PollOption,
    PollVote,
)
from resolvers.tables.meal_life import RATING_TAGS

ZONE = ZoneInfo("Asia/Shanghai")
HOURS = (18, 19, 20)


def _evening(days: int, hour: int) -> datetime:
    day = datetime.now(ZONE).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), ZONE).astimezone(UTC)


async def seed(state: SeedState, places: int = 8) -> None:
    rng, diners = state.rng, state.diners
    restaurants = await Restaurant.all().order_by("id").limit(places)
    if len(diners) < 8 or not restaurants:
        return
    for restaurant in restaurants:
        await _bookings(state, restaurant)
    for restaurant in restaurants[:4]:
        await _completed_meal(state, restaurant, rng.sample(diners, 4))
    await _meal_with_poll(state, restaurants[0], restaurants[1], rng.sample(diners, 3))


async def _bookings(state: SeedState, restaurant: Restaurant) -> None:
    rng = state.rng
    for days in (-1, 1, 2, 3):
        for hour in HOURS:
            slot = await BookingSlot.create(
                restaurant_id=restaurant.id, starts_at=_evening(days, hour), seats=20
            )
            booked = 0
            for diner in rng.sample(state.diners, rng.randint(0, 4)):
                party = rng.randint(1, 4)
                past = days < 0
                status = (
                    rng.choice([BookingStatus.CONFIRMED, BookingStatus.NO_SHOW])
                    if past
                    else BookingStatus.CONFIRMED
                )
                if not past and rng.random() < 0.1:
                    status = BookingStatus.REQUESTED  # a diner whose no-shows need approval
                await Booking.create(
                    restaurant_id=restaurant.id,
                    slot_id=slot.id,
                    user_id=diner.id,
                    party_size=party,
                    starts_at=slot.starts_at,
                    note=rng.choice(["", "靠窗", "有小孩", "生日"]),
                    status=status,
                )
                booked += party if status != BookingStatus.NO_SHOW else 0
            await BookingSlot.filter(id=slot.id).update(seats_booked=booked)


async def _completed_meal(state: SeedState, restaurant: Restaurant, people: list) -> None:
    rng = state.rng
    host, guests = people[0], people[1:]
    meal = await SharedMeal.create(
        host_id=host.id,
        restaurant_id=restaurant.id,
        title=f"{restaurant.name} 上周聚餐",
        starts_at=_evening(-rng.randint(2, 6), 19),
        capacity=6,
        seats_taken=1 + len(guests),
        status=MealStatus.COMPLETED,
    )
    await MealSeat.create(meal_id=meal.id, user_id=host.id, status=SeatStatus.HOST)
    tags = list(RATING_TAGS)
    for person in guests:
        await MealSeat.create(meal_id=meal.id, user_id=person.id, status=SeatStatus.JOINED)
    for person in people:
        await MealCheckIn.create(meal_id=meal.id, user_id=person.id, by_voucher=rng.random() < 0.3)
        await MealRating.create(
            meal_id=meal.id, rater_id=person.id, thumbs_up=True, tags=rng.sample(tags[:5], 2)
        )
        other = rng.choice([p for p in people if p.id != person.id])
        await MealRating.create(
            meal_id=meal.id,
            rater_id=person.id,
            target_id=other.id,
            thumbs_up=True,
            tags=["on_time", "great_company"],
        )


async def _meal_with_poll(state: SeedState, here: Restaurant, there: Restaurant, people: list) -> None:
    host, guests = people[0], people[1:]
    meal = await SharedMeal.create(
        host_id=host.id,
        restaurant_id=here.id,
        title="周末吃什么？一起投票",
        starts_at=_evening(5, 19),
        capacity=6,
        seats_taken=1 + len(guests),
    )
    await MealSeat.create(meal_id=meal.id, user_id=host.id, status=SeatStatus.HOST)
    for person in guests:
        await MealSeat.create(meal_id=meal.id, user_id=person.id, status=SeatStatus.JOINED)
    poll = await MealPoll.create(meal_id=meal.id, kind=PollKind.RESTAURANT, question="去哪家？")
    options = [
        await PollOption.create(poll_id=poll.id, label=place.name, restaurant_id=place.id)
        for place in (here, there)
    ]
    for person, option in zip(people, [options[0], options[1], options[1]], strict=True):
        await PollVote.create(poll_id=poll.id, option_id=option.id, user_id=person.id)
