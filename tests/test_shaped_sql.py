"""Statements rendered once per shape (core/loaders.py `Shaped`, `Slot`; issue 18, round 7).

The hot reads (a dish's or restaurant's review list, the viewer's blocks, rows by id) build their
Tortoise query once per shape with `Slot`s where the values go and later only bind the values.
These pin that the kept statement is exactly the one Tortoise builds from the same values (so
the visibility rules in resolvers/visibility.py still decide it), on both backends, that values
change per call while the statement is built once, and that rows come back as Tortoise reads them.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from pypika_tortoise.context import SqlContext
from tortoise.expressions import Q

from core import loaders
from core.keyset import after_q, ordering
from core.loaders import Shaped, Slot, _render, by_ids
from models.accounts import User
from models.reviews import Review, ReviewPhoto
from resolvers import visibility
from resolvers.reviews.listing import _PAGE, SORT_KEYS, ReviewFilter, ReviewSort, _PageShape, _query
from schema.ids import decode
from tests.helpers import add_dish, open_restaurant, random_spot, register
from tests.test_feed_cost import write_review

FILTERS = (ReviewFilter(), ReviewFilter(with_photos=True), ReviewFilter(verified_only=True, rating=4))


def _cursor(sort: ReviewSort, at: datetime) -> list[object]:
    return [at if k.kind is datetime else (True if k.kind is bool else 7) for k in SORT_KEYS[sort]]


async def test_every_review_page_shape_is_the_statement_tortoise_builds_from_its_values(services):
    db = _PAGE.db()
    at = datetime.now(UTC)
    shapes = itertools.product(
        ReviewSort, FILTERS, (False, True), ([], [3], [3, 9]), ("dish_id", "restaurant_id")
    )
    for sort, filters, after, hidden, scope in shapes:
        keys = SORT_KEYS[sort]
        cursor = _cursor(sort, at - timedelta(hours=1)) if after else None
        shape = _PageShape(scope, sort, filters, 10, after, len(hidden))
        kept = _PAGE.sql(db, shape, {"scope": 5, "now": at, "hidden": hidden, "after": cursor})
        query = _query({scope: 5}, filters, visibility.listed_reviews_q(hidden, at))
        if after:
            query = query.filter(after_q(keys, cursor))
        built = _render(query.order_by(*ordering(keys)).limit(11))
        assert (kept[0], list(kept[1])) == (built[0], list(built[1])), (sort, filters, after, hidden, scope)


async def test_a_shape_is_built_once_and_takes_new_values_every_call(services):
    built: list[int] = []

    def build(many: int) -> object:
        built.append(many)
        return User.filter(id__in=Slot("ids", many=many), display_name=Slot("name"))

    read = Shaped(User, build)
    db = read.db()
    first = read.sql(db, 2, {"ids": [1, 2], "name": "甲"})
    second = read.sql(db, 2, {"ids": [7, 8], "name": "乙"})
    third = read.sql(db, 1, {"ids": [9], "name": "丙"})
    assert built == [2, 1]
    assert first[0] == second[0] != third[0]
    assert (first[1], second[1], third[1]) == ([1, 2, "甲"], [7, 8, "乙"], [9, "丙"])


async def test_shapes_past_the_kept_number_are_rendered_each_time(services, monkeypatch):
    built: list[int] = []

    def build(many: int) -> object:
        built.append(many)
        return User.filter(id__in=Slot("ids", many=many))

    read = Shaped(User, build)
    monkeypatch.setattr(loaders, "KEEP", len(loaders._RENDERED))
    db = read.db()
    assert [read.sql(db, 1, {"ids": [pk]})[1] for pk in (4, 5, 6)] == [[4], [5], [6]]
    assert built == [1, 1, 1]


def test_a_slot_outside_a_parameterized_rendering_refuses():
    ctx = SqlContext(quote_char='"', secondary_quote_char="'", alias_quote_char='"', dialect=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Slot("x").get_sql(ctx)


async def test_rows_by_id_are_the_rows_tortoise_reads(client):
    dish = await add_dish(client, *(await open_restaurant(client, *random_spot())))
    ids = []
    for i in range(3):  # one review per diner and dish
        token, _, _ = await register(client, name=f"食客{i}")
        ids.append(decode(await write_review(client, token, dish, body=f"第{i}次"), "Review", "id"))
    read = by_ids(Review)
    assert read is by_ids(Review)  # one read per model and conditions: rendered once per shape
    mine = sorted(await read.rows(len(ids), {"ids": ids}), key=lambda r: r.id)
    theirs = await Review.filter(id__in=ids).order_by("id")
    fields = list(Review._meta.fields_db_projection)
    assert [r.id for r in mine] == sorted(ids)
    for a, b in zip(mine, theirs, strict=True):
        assert {f: getattr(a, f) for f in fields} == {f: getattr(b, f) for f in fields}
        assert a._saved_in_db and type(a.verified) is bool and a.created_at.tzinfo is not None


@pytest.mark.parametrize("followers", [True, False])
async def test_follow_counts_are_the_statement_tortoise_builds_from_their_values(services, followers):
    from resolvers.foodies import foodies

    shaped = foodies._FOLLOWER_COUNTS if followers else foodies._FOLLOWING_COUNTS
    at = datetime.now(UTC)
    for ids in ([4], [4, 9, 12]):
        kept = shaped.sql(shaped.db(), len(ids), {"ids": ids, "now": at})
        built = _render(foodies._count_rows(followers, ids, at))
        assert (kept[0], list(kept[1])) == (built[0], list(built[1])), (followers, ids)


async def test_review_photos_are_the_statement_tortoise_builds_from_their_values(services):
    from resolvers.reviews import photos

    for ids in ([4], [4, 9, 12]):
        kept = photos._REVIEW_PHOTOS.sql(photos._REVIEW_PHOTOS.db(), len(ids), {"ids": ids})
        built = _render(ReviewPhoto.filter(visibility.photos_q("photo__"), review_id__in=ids))
        assert (kept[0], list(kept[1])) == (built[0], list(built[1])), ids


async def test_every_feed_page_shape_is_the_statement_tortoise_builds_from_its_values(services):
    from resolvers import feed

    db = feed._PAGE.db()
    near = await services.geo.within_subquery(
        "restaurant", 30.65, 104.06, feed.NEARBY_KM, per_row='"feed_entries"."restaurant_id"'
    )
    at = datetime.now(UTC)
    for located, moderator, hidden, after in itertools.product(
        (False, True), (False, True), ([], [3], [3, 9]), (False, True)
    ):
        values = {
            "viewer": 7,
            "near": near.values if located else (),
            "hidden": [] if moderator else hidden,
            "now": at,
            "after": (at - timedelta(hours=1), 42) if after else None,
        }
        shape = feed._PageShape(
            near.shape() if located else None,
            len(values["near"]),
            moderator,
            len(values["hidden"]),
            after,
            20,
        )
        kept = feed._PAGE.sql(db, shape, values)
        query = feed._entries(shape, values)
        if after:
            created, last = values["after"]
            query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last))
        built = _render(query.order_by("-created_at", "-id").limit(21))
        assert (kept[0], list(kept[1])) == (built[0], list(built[1])), (located, moderator, hidden, after)
