"""Benchmark 1: nearbyFoodies through HTTP vs the bare spatial query it runs (same radius, rows).

    DATABASE_URL=... SECRET_KEY=... uv run python -m bench.nearby [--requests 300] [--radius 5]

HTTP: a real `app.py serve` process, one request at a time, random viewers. Bare: the geo
index's `within` (the KNN + ST_DWithin SQL, or R*Tree + great-circle on SQLite) for the same
viewer, radius and candidate cap, run in this process on the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

import httpx
from tortoise import Tortoise

from bench.common import report, server, summary, token_for
from geo import make_geo_index
from models import tortoise_config
from models.accounts import User
from resolvers.accounts.accounts import DINER_KIND
from resolvers.foodies.foodies import CANDIDATE_CAP
from settings import Settings

QUERY = """
query Nearby($r: Float) { nearbyFoodies(radiusKm: $r, first: 20) {
  edges { cursor node { distanceKm score sharedCuisines user { id displayName cuisines } } }
  pageInfo { hasNextPage endCursor } } }
"""


async def viewers(settings: Settings, count: int, seed: int) -> list[User]:
    await Tortoise.init(config=tortoise_config(settings))
    total = await User.all().count()
    ids = random.Random(seed).sample(range(1, total + 1), count)
    rows = {u.id: u for u in await User.filter(id__in=ids)}
    return [rows[i] for i in ids if i in rows and rows[i].lat is not None]


async def bare(settings: Settings, people: list[User], radius: float) -> tuple[list[float], list[int]]:
    geo = make_geo_index(settings.is_postgres)
    timings, sizes = [], []
    for person in people[:20]:  # warm-up
        await geo.within(DINER_KIND, person.lat, person.lng, radius, limit=CANDIDATE_CAP, exclude=[person.id])
    for person in people:
        started = time.perf_counter()
        hits = await geo.within(
            DINER_KIND, person.lat, person.lng, radius, limit=CANDIDATE_CAP, exclude=[person.id]
        )
        timings.append((time.perf_counter() - started) * 1000)
        sizes.append(len(hits))
    return timings, sizes


def over_http(settings: Settings, people: list[User], radius: float) -> list[float]:
    timings = []
    with server() as (url, _), httpx.Client(base_url=url, timeout=30) as http:
        for i, person in enumerate([*people[:20], *people]):
            headers = {"Authorization": f"Bearer {token_for(settings, person.id)}"}
            started = time.perf_counter()
            response = http.post(
                "/graphql", json={"query": QUERY, "variables": {"r": radius}}, headers=headers
            )
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
            if i >= 20:
                timings.append(elapsed)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--radius", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings = Settings.from_env()

    async def prepare() -> tuple[list[User], list[float], list[int], int]:
        people = await viewers(settings, args.requests, args.seed)
        timings, sizes = await bare(settings, people, args.radius)
        total = await User.all().count()
        await Tortoise.close_connections()
        return people, timings, sizes, total

    people, bare_ms, sizes, total = asyncio.run(prepare())
    http_ms = over_http(settings, people, args.radius)
    b, h = summary(bare_ms), summary(http_ms)
    rows = [
        {"path": "bare spatial query", **b},
        {"path": "nearbyFoodies over HTTP", **h},
        {
            "path": "ratio HTTP/bare",
            "p50_ms": round(h["p50_ms"] / b["p50_ms"], 2),
            "p99_ms": round(h["p99_ms"] / b["p99_ms"], 2),
        },
    ]
    backend = "postgis" if settings.is_postgres else "sqlite"
    print(
        f"{backend}, {total} diners, radius {args.radius} km, candidates/query median {sorted(sizes)[len(sizes) // 2]}"
    )
    report(
        f"nearby-{backend}", rows, {"diners": total, "radius_km": args.radius, "candidate_cap": CANDIDATE_CAP}
    )


if __name__ == "__main__":
    main()
