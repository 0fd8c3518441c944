"""seed-demo step (issue 15): a few diners keep favourites.

The first diners get the default list (saved restaurants, dishes and an open shared meal) and a
named list; none is shared (a share link is made by `shareFavouriteList`, whose token is shown
once, so a seeded one could not be printed anyway).
"""

from __future__ import annotations

from demo.seed import SeedState
from models.favourites import FavouriteItem, FavouriteKind, FavouriteList
from models.meals import Audience, MealStatus, SharedMeal
from models.restaurants import Dish, Restaurant
from resolvers.favourites.lists import DEFAULT_NAME

DINERS_WITH_FAVOURITES = 12
NAMED = ("周末火锅", "Date night", "想去的苍蝇馆子")


async def seed(state: SeedState) -> None:
    rng = state.rng
    restaurants = await Restaurant.filter(archived=False).order_by("id").values_list("id", flat=True)
    dishes = await Dish.filter(archived=False).order_by("id").values_list("id", flat=True)
    meals = await SharedMeal.filter(audience=Audience.PUBLIC, status=MealStatus.OPEN).values_list(
        "id", flat=True
    )
    if not restaurants:
        return
    items: list[FavouriteItem] = []
    for n, diner in enumerate(state.diners[:DINERS_WITH_FAVOURITES]):
        default = await FavouriteList.create(
            owner_id=diner.id, name=DEFAULT_NAME, is_default=True, default_owner=diner.id
        )
        named = await FavouriteList.create(owner_id=diner.id, name=NAMED[n % len(NAMED)])
        for restaurant in rng.sample(list(restaurants), min(3, len(restaurants))):
            items.append(
                FavouriteItem(list_id=default.id, kind=FavouriteKind.RESTAURANT, restaurant_id=restaurant)
            )
        for dish in rng.sample(list(dishes), min(2, len(dishes))):
            items.append(FavouriteItem(list_id=default.id, kind=FavouriteKind.DISH, dish_id=dish))
        if meals:
            items.append(
                FavouriteItem(list_id=default.id, kind=FavouriteKind.SHARED_MEAL, meal_id=rng.choice(meals))
            )
        for restaurant in rng.sample(list(restaurants), min(2, len(restaurants))):
            items.append(
                FavouriteItem(list_id=named.id, kind=FavouriteKind.RESTAURANT, restaurant_id=restaurant)
            )
    await FavouriteItem.bulk_create(items)
