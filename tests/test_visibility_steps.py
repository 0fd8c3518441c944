"""Visibility rules decided at once when the request holds what they read (issue 18, round 6).

Each rule in resolvers/visibility.py is written once, as steps (core/loaders.py `decide`): it
finishes synchronously while every read it yields is already answered, and goes on as a coroutine
from its first pending read. These pin that both ways give the same answers for content in every
state (hidden, removed, suspended, blocked either way, followers-only, archived), and that the
feed page's items then complete without a task each.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from strawberry.dataloader import DataLoader

from core.context import Context
from core.loaders import decide, now, pending, rows_of, settle, then
from models.accounts import User
from models.meals import SharedMeal
from models.restaurants import Dish, Restaurant
from models.reviews import Photo, Review
from resolvers import visibility
from schema.ids import decode
from tests.conftest import BACKEND
from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.media_helpers import upload_photo
from tests.test_feed_cost import BLOCK, FOLLOW, SESSION_FEED, located_reader, write_review
from tests.test_meals import east, host_meal
from tests.test_visibility import moderate
from tests.wire_sql import count_wire

POSTGRES = BACKEND == "services"
SIGNED = re.compile(r'(https?://[^"?]+)\?[^"]*')  # a photo URL's query: its per-second signature
JOIN = "mutation($id: ID!) { joinSharedMeal(mealId: $id) { status errors { code } } }"


# ------------------------------------------------------------------ the stepping itself


def _done(value: Any) -> asyncio.Future[Any]:
    future = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


def _steps(first: Any, second: Any):  # noqa: ANN202
    a = yield first
    b = yield second
    return a + b


async def test_steps_over_answered_reads_finish_at_once_and_pending_ones_go_on_as_a_coroutine():
    assert decide(_steps(_done(1), _done(2))) == 3

    later = asyncio.get_running_loop().create_future()
    waiting = decide(_steps(_done(1), later))
    assert pending(waiting)
    later.set_result(5)
    assert await waiting == 6
    assert await settle(decide(_steps(_done(1), _done(2)))) == 3

    async def read() -> int:
        return 7

    assert await decide(_steps(read(), _done(1))) == 8  # any awaitable read goes on asynchronously

    failed = asyncio.get_running_loop().create_future()
    failed.set_exception(LookupError("no row"))
    with pytest.raises(LookupError):
        decide(_steps(_done(1), failed))

    async def tenfold(keys: list[int]) -> list[int]:
        return [key * 10 for key in keys]

    loader = DataLoader(load_fn=tenfold)
    first = now(loader, 1)
    assert pending(first) and await first == 10
    assert now(loader, 1) == 10  # held: the answer itself

    assert then(4, lambda v: v * 2) == 8
    assert await then(_steps_coroutine(), lambda v: v * 2) == 8


async def _steps_coroutine() -> int:
    return 4


# ------------------------------------------------------------------ same answers, both ways


async def _world(client: Any, services: Any) -> dict[str, Any]:
    """Content in every state a rule looks at, and the people looking."""
    moderator, _ = await account_with_role(client, services)
    lat, lng = random_spot()
    owner, place = await open_restaurant(client, lat, lng, name="店")
    dish = await add_dish(client, owner, place, "毛肚")
    archived_dish = await add_dish(client, owner, place, "下架")
    _, hidden_place = await open_restaurant(client, *east(lat, lng, 1), name="被隐藏的店", owner_token=owner)
    hidden_place_dish = await add_dish(client, owner, hidden_place, "隐藏店的菜")
    reader, reader_id = await located_reader(client, lat, lng)

    author, author_id, _ = await register(client, name="作者")
    photo = (await upload_photo(client, author))["id"]
    shown = await write_review(client, author, dish, "看得到", [photo])
    hidden = await write_review(client, author, archived_dish, "被隐藏")
    at_hidden_place = await write_review(client, author, hidden_place_dish, "隐藏店")
    suspended, suspended_id, _ = await register(client, name="被封的人")
    by_suspended = await write_review(client, suspended, dish, "被封")
    blocker, blocker_id, _ = await register(client, name="拉黑我的人")
    by_blocker = await write_review(client, blocker, dish, "拉黑")
    blocked, blocked_id, _ = await register(client, name="我拉黑的人")
    by_blocked = await write_review(client, blocked, dish, "被拉黑")

    host, host_id, followers_only, _ = await host_meal(client, restaurant=place, visibility="FOLLOWERS")
    _, _, strangers_followers_only, _ = await host_meal(client, restaurant=place, visibility="FOLLOWERS")
    _, _, public, _ = await host_meal(client, restaurant=place)
    blocker_host, blocker_host_id, blockers_meal, _ = await host_meal(client, restaurant=place)
    guest, guest_id, _ = await register(client, name="客人")
    await gql(client, FOLLOW, {"id": host_id}, guest)
    assert (await gql(client, JOIN, {"id": followers_only}, guest))["data"]["joinSharedMeal"][
        "status"
    ] == "JOINED"
    await gql(client, FOLLOW, {"id": host_id}, reader)
    await gql(client, FOLLOW, {"id": author_id}, reader)

    await gql(client, BLOCK, {"id": reader_id}, blocker)
    await gql(client, BLOCK, {"id": blocked_id}, reader)
    await moderate(client, moderator, hidden, "HIDE_CONTENT")
    await moderate(client, moderator, hidden_place, "HIDE_CONTENT")
    await moderate(client, moderator, suspended_id, "SUSPEND_USER")
    await gql(
        client,
        "mutation($d: ID!) { archiveDish(dishId: $d) { errors { code } } }",
        {"d": archived_dish},
        owner,
    )
    await gql(client, BLOCK, {"id": reader_id}, blocker_host)  # their public meal vanishes for the reader

    def ids(kind: str, *global_ids: str) -> list[int]:
        return [decode(g, kind, "id") for g in global_ids]

    return {
        "viewers": {
            "reader": decode(reader_id, "User", "id"),
            "guest": decode(guest_id, "User", "id"),
            "moderator": None,  # filled below
            "anonymous": None,
        },
        "moderator_token": moderator,
        "rows": {
            Review: ids("Review", shown, hidden, at_hidden_place, by_suspended, by_blocker, by_blocked),
            User: ids("User", author_id, suspended_id, blocker_id, blocked_id, host_id, blocker_host_id),
            SharedMeal: ids("SharedMeal", followers_only, strangers_followers_only, public, blockers_meal),
            Restaurant: ids("Restaurant", place, hidden_place),
            Dish: ids("Dish", dish, archived_dish, hidden_place_dish),
            Photo: ids("Photo", photo),
        },
    }


async def _answers(services: Any, viewer: User | None, rows: dict[type, list[int]], warm: bool) -> dict:
    """fetch's answer for every row, with fresh loaders (every read pending: the coroutine path)
    or with the loaders already holding what the rules read (`fetch_now` must then decide at once
    for rules that read only rows, blocks and audiences)."""
    ctx = Context(services, viewer)
    found: dict[tuple[str, int], Any] = {}
    if warm:
        for model, keys in rows.items():
            await ctx.loaders.get(rows_of(model)).load_many(keys)
        await visibility.fetch_many(ctx, Review, rows[Review])  # reads blocks and review authors
        await visibility.fetch_many(ctx, SharedMeal, rows[SharedMeal])  # hosts, audiences, seats
        await visibility.fetch_many(ctx, Photo, rows[Photo])  # the photos' reviews
    for model, keys in rows.items():
        for key in keys:
            if warm:
                answer = visibility.fetch_now(ctx, model, key)
                assert not pending(answer), (model.__name__, key)
            else:
                ctx = Context(services, viewer)  # nothing held: every read waits
                answer = await visibility.fetch(ctx, model, key)
            found[(model.__name__, key)] = None if answer is None else answer.id
    return found


async def test_every_rule_gives_the_same_answer_decided_at_once_or_after_its_reads(client, services):
    world = await _world(client, services)
    rows = world["rows"]
    moderator_id = (await gql(client, "{ me { id } }", token=world["moderator_token"]))["data"]["me"]["id"]
    world["viewers"]["moderator"] = decode(moderator_id, "User", "id")
    reviews, users, meals, places, dishes = (rows[k] for k in (Review, User, SharedMeal, Restaurant, Dish))
    shown, hidden, at_hidden_place, by_suspended, by_blocker, by_blocked = reviews
    author, suspended, _, _, host, _ = users
    followers_only, strangers_followers_only, public, _ = meals
    expected_for_reader = {
        ("Review", shown),
        ("User", author),
        ("User", host),
        ("SharedMeal", followers_only),  # the reader follows its host
        ("SharedMeal", public),
        ("Restaurant", places[0]),
        ("Dish", dishes[0]),
        ("Photo", rows[Photo][0]),
    }
    for name, viewer_id in world["viewers"].items():
        viewer = None if viewer_id is None else await User.get(id=viewer_id)
        cold = await _answers(services, viewer, rows, warm=False)
        warm = await _answers(services, viewer, rows, warm=True)
        assert warm == cold, name
        if name == "reader":
            assert {key for key, value in cold.items() if value is not None} == expected_for_reader
        if name == "guest":  # a guest of the followers-only meal who follows its host
            assert cold[("SharedMeal", followers_only)] == followers_only
            assert cold[("SharedMeal", strangers_followers_only)] is None
            assert cold[("Review", by_blocker)] == by_blocker  # the block is the reader's only
        if name == "moderator":
            assert cold[("User", suspended)] == suspended and cold[("SharedMeal", strangers_followers_only)]
            assert cold[("Review", hidden)] is None and cold[("Review", by_suspended)] is None
        if name == "anonymous":
            assert cold[("SharedMeal", followers_only)] is None and cold[("Review", by_blocked)] == by_blocked


# ------------------------------------------------------------------ the feed page


async def _feed_world(client: Any) -> tuple[str, int]:
    lat, lng = random_spot()
    owner, place = await open_restaurant(client, lat, lng, name="近处")
    dishes = [await add_dish(client, owner, place, f"菜{j}") for j in range(3)]
    reader, reader_id = await located_reader(client, *east(lat, lng, 2))
    for i in range(4):
        token, user_id, _ = await register(client, name=f"作者{i}")
        await gql(client, FOLLOW, {"id": user_id}, reader)
        photos = [(await upload_photo(client, token))["id"]] if i < 2 else []
        for j, dish in enumerate(dishes):
            await write_review(client, token, dish, f"第{i}位{j}", photos if j == 0 else ())
    return reader, decode(reader_id, "User", "id")


def unsigned(data: Any) -> str:
    """The answer as JSON with photo URLs' signatures left out (they change every second)."""
    return SIGNED.sub(r"\1?signed", json.dumps(data, ensure_ascii=False))


async def test_the_feed_pages_items_complete_without_a_task_each(client, services, app):
    _, reader_id = await _feed_world(client)
    viewer = await User.get(id=reader_id)
    made: list[Any] = []
    loop = asyncio.get_running_loop()
    factory = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        name = getattr(coro, "__qualname__", coro)
        if name != "Event.wait":  # fakeredis (embedded) waiting for its reply when it isn't there yet: timing
            made.append(name)
        return asyncio.Task(coro, loop=loop, **kwargs) if factory is None else factory(loop, coro, **kwargs)

    schema = app.state.schema

    async def tasks_for(first: int) -> tuple[int, list[Any]]:
        context = Context(services, viewer)
        warm = await schema.execute(SESSION_FEED, {"first": first}, context_value=context)
        assert not warm.errors and len(warm.data["feed"]["edges"]) == first
        made.clear()
        loop.set_task_factory(counting)
        try:
            result = await schema.execute(
                SESSION_FEED, {"first": first}, context_value=Context(services, viewer)
            )
        finally:
            loop.set_task_factory(factory)
        assert unsigned(result.data) == unsigned(warm.data)  # photo URLs are signed per second
        return len(made), list(made)

    few, many = await tasks_for(3), await tasks_for(12)
    # Before (round 5): ~5 tasks per item (the review's relations gathered, the visibility rules
    # gathered); now the same few whatever the page's size: the loaders' batches (the viewer's
    # blocks, the photos) and the driver's own (asyncpg's pool).
    assert few[0] == many[0] <= 6, (few, many)


async def test_the_feed_reads_photos_only_when_asked_and_through_fragments(client, services):
    reader, _ = await _feed_world(client)
    without = "{ feed(first: 12) { edges { node { review { id author { displayName } } } } } }"
    spread = """query { feed(first: 12) { ...Page } }
      fragment Page on FeedItemConnection { edges { node { ... on FeedItem { review { id photos { id } } } } } }"""
    direct = "{ feed(first: 12) { edges { node { review { id photos { id } } } } } }"
    await gql(client, direct, token=reader)  # the viewer is then known (cached)
    answers, photo_reads = [], []
    for document in (without, spread, direct):
        with count_wire(POSTGRES) as wire:
            answers.append((await gql(client, document, token=reader))["data"]["feed"]["edges"])
        photo_reads.append(sum("review_photos" in s for s in wire.statements))
    assert photo_reads == [0, 1, 1]
    assert answers[1] == answers[2]
    assert sum(bool(e["node"]["review"]["photos"]) for e in answers[2]) == 2
