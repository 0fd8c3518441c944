"""What one request of each line of the session mix costs the app, in-process and deterministic.

    DATABASE_URL=... SECRET_KEY=... REDIS_URL=... uv run python -m bench.request_cost [--requests 200]

The real app (`create_app`, its lifespan, middleware, extensions and JSON), called as ASGI
directly (no socket, no uvicorn), one request at a time, viewers 1..200 in turn as wrk's mix
does (bench/session.lua: same documents). Per line:
- CPU ms per request of this process (`time.process_time`; PostgreSQL's and Redis's are not in
  it): less sensitive to other load than wall time, still somewhat (caches, frequency);
- SQL statements per request as the driver sends them (asyncpg, BEGIN/COMMIT included);
- Redis round trips per request (a pipeline is one);
- Python function calls per request (cProfile, a separate pass): deterministic, the measure to
  compare before/after when the machine is busy;
- of those, the calls in GraphQL execution (graphql-core, strawberry, the app's schema/ and
  resolvers/; builtins, the event loop, drivers and the ORM left out): `exec_calls`, less
  moved than py_calls by how often the event loop polled while the machine was busy;
- CPU ms per request spent in garbage collection (gc.callbacks).
With --new-to-process every request's token is new to the process (its in-memory viewer copy and
checked signature dropped before it), as each claimer of a burst is; the warm pass has already
asked once for each viewer, so Redis knows them.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import logging
import os
import pstats
import random
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from tortoise import Tortoise

from bench.common import report, token_for
from models import tortoise_config
from models.restaurants import Dish
from schema.ids import encode
from settings import Settings

# The documents of bench/session.lua (keep in step), plus the smallest authenticated request.
FEED = (
    "{ feed(first: 20) { edges { node { kind review { id rating body author { displayName } "
    "dish { name } restaurant { name } photos { thumbnailUrl } } } } } }"
)
NEARBY_FOODIES = (
    "{ nearbyFoodies(radiusKm: 5, first: 20) { edges { node { distanceKm score sharedCuisines "
    "user { id displayName } } } } }"
)
RESTAURANTS_NEARBY = (
    "query($a: Float!, $b: Float!) { restaurantsNearby(lat: $a, lng: $b, radiusKm: 3, first: 20) "
    "{ edges { node { id name distanceKm } } } }"
)
DISH = (
    "query($d: ID!) { dish(id: $d) { name averageRating reviewCount reviews(first: 10) "
    "{ edges { node { rating body author { displayName } } } } } }"
)
ME = "{ me { id displayName followersCount followingCount } }"
DEALS = (
    "{ dealsNearby(lat: 30.6586, lng: 104.0648, radiusKm: 5, first: 20) "
    "{ edges { node { id title priceCents remaining } } } }"
)
UPDATE_PROFILE = 'mutation { updateProfile(input: {bio: "周末找饭搭子"}) { errors { code } } }'
ME_ID = "{ me { id } }"


def lines(dishes: list[str], rng: random.Random) -> dict[str, Callable[[], dict[str, Any]]]:
    return {
        "me { id }": lambda: {"query": ME_ID},
        "me": lambda: {"query": ME},
        "updateProfile": lambda: {"query": UPDATE_PROFILE},
        "dealsNearby": lambda: {"query": DEALS},
        "dish": lambda: {"query": DISH, "variables": {"d": rng.choice(dishes)}},
        "restaurantsNearby": lambda: {
            "query": RESTAURANTS_NEARBY,
            "variables": {"a": 30.60 + rng.random() * 0.12, "b": 104.00 + rng.random() * 0.12},
        },
        "feed": lambda: {"query": FEED},
        "nearbyFoodies": lambda: {"query": NEARBY_FOODIES},
    }


EXECUTION = ("/site-packages/graphql/", "/site-packages/strawberry/", "/schema/", "/resolvers/")


class Counters:
    def __init__(self) -> None:
        self.sql = 0
        self.redis = 0


@contextmanager
def counting(counters: Counters):  # noqa: ANN201
    """Count statements at asyncpg's Connection and Redis round trips at the connection."""
    from asyncpg.connection import Connection
    from redis.asyncio.connection import AbstractConnection

    extended, simple = Connection._execute, Connection.execute
    send = AbstractConnection.send_packed_command

    async def _execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        counters.sql += 1
        return await extended(self, query, *args, **kwargs)

    async def execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if not args:
            counters.sql += 1
        return await simple(self, query, *args, **kwargs)

    async def send_packed_command(self: Any, command: Any, check_health: bool = True) -> Any:
        counters.redis += 1
        return await send(self, command, check_health)

    Connection._execute, Connection.execute = _execute, execute
    AbstractConnection.send_packed_command = send_packed_command
    try:
        yield
    finally:
        Connection._execute, Connection.execute = extended, simple
        AbstractConnection.send_packed_command = send


async def call(app: Any, body: bytes, token: str) -> tuple[int, bytes]:
    """One POST /graphql through the whole ASGI app."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    from app import create_app
    from core.logs import configure_logging
    from resolvers.accounts import viewer_cache

    settings = Settings.from_env()
    await Tortoise.init(config=tortoise_config(settings))
    try:
        dishes = [encode("Dish", pk) for pk in await Dish.all().limit(200).values_list("id", flat=True)]
    finally:
        await Tortoise.close_connections()
    tokens = [token_for(settings, uid) for uid in range(1, 201)]
    rng = random.Random(42)
    makers = lines(dishes or [encode("Dish", 1)], rng)
    wanted = args.lines.split(",") if args.lines else list(makers)
    app = create_app(settings)
    collected: list[float] = []  # seconds in each garbage collection
    began = [0.0]

    def timed_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = time.process_time()
        else:
            collected.append(time.process_time() - began[0])

    gc.callbacks.append(timed_gc)
    rows = []
    async with app.router.lifespan_context(app):
        configure_logging(settings.log_format)  # as each serve worker does, written to /dev/null
        logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115
        for name in wanted:
            make = makers[name]
            bodies = [json.dumps(make(), ensure_ascii=False).encode() for _ in range(args.requests)]

            async def run(
                n: int, offset: int = 0, bodies: list[bytes] = bodies, name: str = name
            ) -> list[bytes]:
                answers = []
                for i in range(n):
                    if args.new_to_process:  # every token new to the process (its copies dropped)
                        viewer_cache._copies.clear()
                        viewer_cache._verified.clear()
                    status, answer = await call(app, bodies[i % len(bodies)], tokens[(offset + i) % 200])
                    if status != 200 or b'"errors":[{' in answer:
                        raise SystemExit(f"{name}: {status} {answer[:300]!r}")
                    answers.append(answer)
                return answers

            await run(200)  # warm: validation cache, prepared statements, each viewer's cached copy
            counters = Counters()
            collected.clear()
            with counting(counters):
                cpu, wall = time.process_time(), time.perf_counter()
                await run(args.requests)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            profiled = min(args.requests, 50)
            profile = cProfile.Profile(time.process_time)  # CPU, not time spent descheduled
            profile.enable()
            await run(profiled)
            profile.disable()
            stats = pstats.Stats(profile)
            calls = stats.total_calls  # type: ignore[attr-defined]
            executing = sum(
                v[1]
                for key, v in stats.stats.items()
                if any(p in key[0] for p in EXECUTION)  # type: ignore[attr-defined]
            )
            rows.append(
                {
                    "line": name,
                    "cpu_ms": round(cpu * 1000 / args.requests, 2),
                    "wall_ms": round(wall * 1000 / args.requests, 2),
                    "sql": round(counters.sql / args.requests, 2),
                    "redis": round(counters.redis / args.requests, 2),
                    "py_calls": round(calls / profiled),
                    "exec_calls": round(executing / profiled),
                    "gc_ms": round(sum(collected) * 1000 / args.requests, 3),
                }
            )
            if args.profile:
                pstats.Stats(profile).sort_stats(args.profile).print_stats(int(os.environ.get("PROFILE_TOP", "40")))
                if os.environ.get("PROFILE_DUMP"):
                    profile.dump_stats(os.environ["PROFILE_DUMP"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--lines", default="", help="comma-separated lines (default: all)")
    parser.add_argument(
        "--profile", default="", help="print each line's cProfile top 40 by this key (tottime, cumulative)"
    )
    parser.add_argument(
        "--new-to-process",
        action="store_true",
        help="drop the process's viewer copies before each request (as a token new to the process)",
    )
    parser.add_argument("--name", default="", help="suffix of the results file")
    args = parser.parse_args()
    os.environ.setdefault("JOB_INTERVAL_SECONDS", "0")  # no scheduled jobs in the measured process
    os.environ.setdefault("RATE_LIMIT_WRITES_PER_MINUTE", "0")  # as bench.common.server
    os.environ.setdefault("MAX_QUERY_COST", "1000000")
    rows = asyncio.run(measure(args))
    settings = Settings.from_env()
    backend = "postgis" if settings.is_postgres else "sqlite"
    report(f"request-cost-{backend}{'-' + args.name if args.name else ''}", rows)


if __name__ == "__main__":
    main()
