"""Benchmark 2: a feed page (20 reviews with author, dish, restaurant, photos) over HTTP vs the
same query executed in-process with graphql-core on the same resolvers; SQL statements each.

    DATABASE_URL=... SECRET_KEY=... uv run python -m bench.feed [--requests 300]
    # before → after in one run: HTTP servers of this tree and of another checkout, alternating
    git worktree add /tmp/feed-before e443efc
    DATABASE_URL=... SECRET_KEY=... REDIS_URL=... uv run python -m bench.feed --against /tmp/feed-before

Adds (once) 60 restaurants, 300 dishes, 3000 reviews with photos by 600 diners, whom diner 1
follows. Needs a database made by bench.generate.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from tortoise import Tortoise, connections

from bench.common import ROOT, report, server, summary, token_for
from core.context import Context
from core.services import open_services
from demo.seed import city_point
from models import tortoise_config
from models.accounts import Role, User
from models.feed import FeedEntry
from models.foodies import Follow
from models.restaurants import Dish, Restaurant, RestaurantStaff, StaffRole
from models.reviews import Photo, PhotoStatus, Review, ReviewPhoto
from resolvers.restaurants.restaurants import RESTAURANT_KIND, search_text
from schema import build_schema
from settings import Settings

QUERY = """
query Feed { feed(first: 20) { edges { cursor node { kind createdAt
  review { id rating body helpfulCount author { id displayName } dish { id name priceCents }
           restaurant { id name address } photos { id width height thumbnailUrl } } } }
  pageInfo { hasNextPage endCursor } } }
"""
VIEWER = 1


async def prepare(services) -> None:  # noqa: ANN001
    if not await Restaurant.filter(name__startswith="基准").exists():
        await add_feed(services)
    # Planner statistics for every table the feed data step writes (autovacuum may not have run
    # yet, and a deployment's would have): without them PostgreSQL sorted every entry instead of
    # reading the newest through the index, and read all photos for a page's few. SQLite's
    # planner reads its statistics (sqlite_stat1) the same way.
    tables = "feed_entries, follows, reviews, review_photos, photos, dishes, restaurants, restaurant_staff"
    if services.settings.is_postgres:
        await connections.get("default").execute_script(f"ANALYZE {tables}, users, geo_points")
    else:
        await connections.get("default").execute_script("ANALYZE")


async def add_feed(services) -> None:  # noqa: ANN001
    rng = random.Random(11)
    owner = await User.create(
        email="bench-owner@bench.tablemates.cn",
        password_hash="!",
        display_name="基准老板",
        role=Role.RESTAURANT,
    )
    dishes = []
    for i in range(60):
        lat, lng = city_point(rng)
        name = f"基准火锅{i}"
        restaurant = await Restaurant.create(
            owner_id=owner.id,
            name=name,
            lat=lat,
            lng=lng,
            cuisines=["hotpot"],
            address="春熙路",
            search_text=search_text(name, "春熙路", ["hotpot"]),
        )
        await RestaurantStaff.create(restaurant_id=restaurant.id, user_id=owner.id, role=StaffRole.OWNER)
        await services.geo.upsert(RESTAURANT_KIND, restaurant.id, lat, lng)
        for j in range(5):
            dishes.append(await Dish.create(restaurant_id=restaurant.id, name=f"毛肚{j}", price_cents=3800))
    authors = list(range(2, 602))
    await Follow.bulk_create([Follow(follower_id=VIEWER, followee_id=a) for a in authors])
    for n in range(3000):
        author, dish = authors[n % len(authors)], dishes[(n * 7 + n // len(authors)) % len(dishes)]
        review = await Review.create(
            author_id=author,
            dish_id=dish.id,
            restaurant_id=dish.restaurant_id,
            rating=rng.randint(1, 5),
            body="锅底很香，毛肚新鲜，服务热情。" * 3,
        )
        for k in range(n % 3):
            photo = await Photo.create(
                owner_id=author,
                upload_key=f"bench/{n}/{k}",
                content_type="image/jpeg",
                declared_bytes=1,
                status=PhotoStatus.READY,
                key=f"photos/bench-{n}-{k}.jpg",
                thumbnail_key=f"photos/bench-{n}-{k}-thumb.jpg",
                width=1200,
                height=900,
            )
            await ReviewPhoto.create(review_id=review.id, photo_id=photo.id, position=k)
        await FeedEntry.create(
            kind="review", object_id=review.id, actor_id=author, restaurant_id=dish.restaurant_id
        )


class Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def in_process(settings: Settings, requests: int) -> tuple[float, float]:
    schema = build_schema(settings)
    async with open_services(settings) as services:
        await prepare(services)
        viewer = await User.get(id=VIEWER)
        for _ in range(20):
            await schema.execute(QUERY, context_value=Context(services, viewer))
        counter, sql_log = Counter(), logging.getLogger("tortoise.db_client")
        sql_log.setLevel(logging.DEBUG)
        started = time.perf_counter()
        for _ in range(requests):
            # A fresh viewer object each time, as the endpoint without the viewer cache (embedded)
            # loads it per request: 1 statement, not counted below (with Redis it costs none).
            viewer = await User.get(id=VIEWER)
            sql_log.addHandler(counter)
            result = await schema.execute(QUERY, context_value=Context(services, viewer))
            sql_log.removeHandler(counter)
            assert not result.errors and len(result.data["feed"]["edges"]) == 20, result.errors
        elapsed = time.perf_counter() - started
        return requests / elapsed, counter.count / requests


def over_http(settings: Settings, requests: int) -> float:
    headers = {"Authorization": f"Bearer {token_for(settings, VIEWER)}"}
    with server() as (url, _), httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(20):
            http.post("/graphql", json={"query": QUERY}, headers=headers)
        started = time.perf_counter()
        for _ in range(requests):
            response = http.post("/graphql", json={"query": QUERY}, headers=headers)
            assert response.status_code == 200 and len(response.json()["data"]["feed"]["edges"]) == 20
        return requests / (time.perf_counter() - started)


async def prepare_only(settings: Settings) -> None:
    await Tortoise.init(config=tortoise_config(settings))
    try:
        async with open_services(settings) as services:
            await prepare(services)
    finally:
        await Tortoise.close_connections()


def against(settings: Settings, other: Path, rounds: int, batch: int) -> list[dict]:
    """HTTP servers of this tree and of `other` (one worker each, same database and Redis), asked
    in alternating batches so both see the same machine load; latency per request."""
    headers = {"Authorization": f"Bearer {token_for(settings, VIEWER)}"}
    trees = {"this tree": ROOT, f"{other}": other}
    samples: dict[str, list[float]] = {name: [] for name in trees}
    busy: dict[str, float] = {name: 0.0 for name in trees}
    with ExitStack() as stack:
        clients = {}
        for name, root in trees.items():
            url, _ = stack.enter_context(server(root=root))
            clients[name] = stack.enter_context(httpx.Client(base_url=url, timeout=30))
        for _ in range(20):
            for client in clients.values():
                client.post("/graphql", json={"query": QUERY}, headers=headers)
        for _ in range(rounds):
            for name, client in clients.items():
                started = time.perf_counter()
                for _ in range(batch):
                    t0 = time.perf_counter()
                    response = client.post("/graphql", json={"query": QUERY}, headers=headers)
                    samples[name].append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, response.text
                    assert len(response.json()["data"]["feed"]["edges"]) == 20, response.text
                busy[name] += time.perf_counter() - started
    rows = [
        {
            "path": f"HTTP, {name}",
            "requests_per_s": round(len(samples[name]) / busy[name], 1),
            **summary(samples[name]),
        }
        for name in trees
    ]
    this, that = rows
    rows.append(
        {
            "path": "ratio this / other",
            "requests_per_s": round(this["requests_per_s"] / that["requests_per_s"], 2),
            "p50_ms": round(this["p50_ms"] / that["p50_ms"], 2),
        }
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--against", type=Path, help="another checkout: HTTP before/after, alternating")
    parser.add_argument("--rounds", type=int, default=15, help="with --against: alternations")
    parser.add_argument("--batch", type=int, default=20, help="with --against: requests per turn")
    parser.add_argument("--name", default="", help="suffix of the results file (keeps the committed one)")
    args = parser.parse_args()
    settings = Settings.from_env()
    backend = "postgis" if settings.is_postgres else "sqlite"
    suffix = f"-{args.name}" if args.name else ""
    if args.against is not None:
        asyncio.run(prepare_only(settings))
        report(
            f"feed-ab-{backend}{suffix}", against(settings, args.against.resolve(), args.rounds, args.batch)
        )
        return

    async def local() -> tuple[float, float]:
        await Tortoise.init(config=tortoise_config(settings))
        try:
            return await in_process(settings, args.requests)
        finally:
            await Tortoise.close_connections()

    local_rps, statements = asyncio.run(local())
    http_rps = over_http(settings, args.requests)
    rows = [
        {
            "path": "in-process graphql-core",
            "requests_per_s": round(local_rps, 1),
            "ms_per_request": round(1000 / local_rps, 2),
            "sql_per_request": round(statements, 2),  # besides the viewer's
        },
        {
            "path": "HTTP (1 worker, sequential)",
            "requests_per_s": round(http_rps, 1),
            "ms_per_request": round(1000 / http_rps, 2),
        },
        {"path": "ratio in-process/HTTP", "requests_per_s": round(local_rps / http_rps, 2)},
    ]
    report(f"feed-{backend}{suffix}", rows)


if __name__ == "__main__":
    main()
