"""Rows read from the database become the same model instances Tortoise builds (models/base.py
builds them without Tortoise's per-attribute path, issue 18)."""

from __future__ import annotations

from tortoise import Tortoise, connections
from tortoise.models import Model as TortoiseModel

from models.base import Model
from tests.helpers import add_dish, gql, open_restaurant, random_spot, register

REVIEW = (
    "mutation($d: ID!) { createReview(input: {dishId: $d, rating: 4, body: \"毛肚很脆，锅底够辣\"}) "
    "{ errors { code } } }"
)


async def test_every_model_row_is_the_instance_tortoise_builds(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    token, _, _ = await register(client, name="食客")
    assert (await gql(client, REVIEW, {"d": dish}, token))["data"]["createReview"]["errors"] == []

    compared: set[str] = set()
    for app in Tortoise.apps.values():
        for model in app.values():
            assert issubclass(model, Model), f"{model.__name__}: not on models.base.Model"
            table = model._meta.db_table
            rows = await connections.get("default").execute_query_dict(
                f'SELECT * FROM "{table}" ORDER BY 1 DESC LIMIT 5'  # noqa: S608 - our table names
            )
            for row in rows:
                ours = model._init_from_db(**row)
                tortoise = TortoiseModel._init_from_db.__func__(model, **row)  # type: ignore[attr-defined]
                assert ours.__dict__ == tortoise.__dict__, model.__name__
                assert type(ours) is model and not ours._partial and ours._saved_in_db
                compared.add(model.__name__)
    assert {"User", "Restaurant", "Dish", "Review", "DeviceSession"} <= compared, compared


async def test_a_row_without_every_column_is_partial_as_tortoise_makes_it(client):
    from models.accounts import User

    _, user_id, _ = await register(client, name="部分")
    user = await User.filter(display_name="部分").order_by("-id").only("id", "display_name").first()
    assert user is not None and user._partial and user.display_name == "部分"
