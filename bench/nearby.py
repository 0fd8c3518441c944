"""Benchmark 1: nearbyFoodies through HTTP vs the bare spatial query it runs (same radius, rows).

    DATABASE_URL=... SECRET_KEY=... uv run python -m bench.nearby [--requests 300] [--radius 5]

HTTP: a real `app.py serve` process, one request at a time, random viewers. Bare: the geo
index's `within` (one KNN scan in SQL, or R*Tree + great-circle on SQLite) for the same
viewer, radius and candidate cap, run in this process on the same database; "bare with rows":
`within_rows`, the candidates with their scoring columns (the viewer's blocks left out inside
it), what rounds 4-5 ran; and on PostgreSQL "the request's statement": `within_ranked`, that
statement ranked in SQL with the page's users joined, the one statement the request now runs.
For each viewer they are timed back to back, so all share one window of the (shared) machine's
load.

`--baseline DIR`: also serve another checkout of the code (e.g. `git worktree add DIR <commit>`)
and time the same request on it right after ours, for each viewer (before → after in one
window); both servers' CPU per request (from /proc: the app process, and PostgreSQL's backends
while the request ran, requests being one at a time) is reported too, which is steadier than
latency on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from tortoise import Tortoise

from bench.common import report, server, summary, token_for
from bench.procstats import CpuMeter, cpu_seconds, postgres_backends
from geo import make_geo_index
from models import tortoise_config
from models.accounts import User
from resolvers.accounts.accounts import DINER_KIND
from resolvers.foodies import ranking
from resolvers.foodies.foodies import CANDIDATE_CAP, CANDIDATE_ROWS, candidate_options, taste_of
from settings import Settings

QUERY = """
query Nearby($r: Float) { nearbyFoodies(radiusKm: $r, first: 20) {
  edges { cursor node { distanceKm score sharedCuisines user { id displayName cuisines } } }
  pageInfo { hasNextPage endCursor } } }
"""


async def viewers(settings: Settings, count: int, seed: int, mix: bool = False) -> list[User]:
    """`count` random viewers with a location; `mix`: users 1-200 (the session mix's tokens,
    bench/load.py) in random order, as many as `count` allows."""
    await Tortoise.init(config=tortoise_config(settings))
    total = await User.all().count()
    population = range(1, min(total, 200) + 1) if mix else range(1, total + 1)
    ids = random.Random(seed).sample(population, min(count, len(population)))
    rows = {u.id: u for u in await User.filter(id__in=ids)}
    return [rows[i] for i in ids if i in rows and rows[i].lat is not None]


async def _post(http: httpx.AsyncClient, settings: Settings, person: User, radius: float) -> float:
    headers = {"Authorization": f"Bearer {token_for(settings, person.id)}"}
    started = time.perf_counter()
    response = await http.post("/graphql", json={"query": QUERY, "variables": {"r": radius}}, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
    return elapsed


Measured = tuple[
    list[float], list[float], list[float], list[list[float]], list[int], list[tuple[float, float]]
]


async def measure(
    settings: Settings, servers: list[tuple[str, int]], people: list[User], radius: float
) -> Measured:
    """`servers`: (url, pid) of ours, then the baseline's if any. Returns the ms of bare, with
    rows, the request's statement, HTTP per server, candidate counts, and each server's CPU ms
    per measured request (app, PostgreSQL)."""
    geo = make_geo_index(settings.is_postgres)
    bare_ms: list[float] = []
    rows_ms: list[float] = []
    ranked_ms: list[float] = []
    http_ms: list[list[float]] = [[] for _ in servers]
    sizes: list[int] = []
    cpu_start: list[float] = []
    database = urlsplit(settings.database_url).path.lstrip("/") if settings.is_postgres else ""
    db_cpu = CpuMeter(lambda: postgres_backends(database) if database else [])
    db_seconds = [0.0 for _ in servers]
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for url, _ in servers]
    try:
        for i, person in enumerate([*people[:20], *people]):  # the first 20: warm-up
            if i == 20:
                cpu_start = [cpu_seconds(pid) for _, pid in servers]
            started = time.perf_counter()
            hits = await geo.within(
                DINER_KIND, person.lat, person.lng, radius, limit=CANDIDATE_CAP, exclude=[person.id]
            )
            bare = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            at = (DINER_KIND, person.lat, person.lng, radius)
            await geo.within_rows(*at, CANDIDATE_ROWS, read_past_missing=False, **candidate_options(person))
            with_rows = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            if settings.is_postgres:
                values = ranking.rank_values(taste_of(person), radius, datetime.now(UTC), 20, None)
                await geo.within_ranked(*at, ranking.rank_sql(False), values, **candidate_options(person))
            ranked = (time.perf_counter() - started) * 1000
            elapsed = []
            for k, http in enumerate(clients):
                db_cpu.start()
                elapsed.append(await _post(http, settings, person, radius))
                if i >= 20:  # sequential requests: PostgreSQL's CPU meanwhile is this request's
                    db_seconds[k] += db_cpu.stop()
            if i >= 20:
                bare_ms.append(bare)
                rows_ms.append(with_rows)
                ranked_ms.append(ranked)
                for times, ms in zip(http_ms, elapsed, strict=True):
                    times.append(ms)
                sizes.append(len(hits))
        cpu_ms = [
            ((cpu_seconds(pid) - start) * 1000 / len(people), db * 1000 / len(people))
            for (_, pid), start, db in zip(servers, cpu_start, db_seconds, strict=True)
        ]
    finally:
        for http in clients:
            await http.aclose()
    return bare_ms, rows_ms, ranked_ms, http_ms, sizes, cpu_ms


def _cpu(measured: tuple[float, float]) -> dict[str, float]:
    return {"server_cpu_ms": round(measured[0], 2), "db_cpu_ms": round(measured[1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--radius", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix-viewers", action="store_true", help="the session mix's viewers (users 1-200)")
    parser.add_argument("--baseline", type=Path, help="another checkout to serve and time alongside")
    parser.add_argument("--name", default="", help="suffix of the results file (keeps the committed one)")
    args = parser.parse_args()
    settings = Settings.from_env()

    async def run() -> tuple[Measured, int]:
        people = await viewers(settings, args.requests, args.seed, args.mix_viewers)
        total = await User.all().count()
        try:
            with ExitStack() as stack:
                servers = [stack.enter_context(server())]
                if args.baseline:
                    servers.append(stack.enter_context(server(root=args.baseline.resolve())))
                found = await measure(settings, [(url, p.pid) for url, p in servers], people, args.radius)
                return found, total
        finally:
            await Tortoise.close_connections()

    (bare_ms, rows_ms, ranked_ms, http_ms, sizes, cpu_ms), total = asyncio.run(run())
    b, w, h = summary(bare_ms), summary(rows_ms), summary(http_ms[0])
    rows = [
        {"path": "bare spatial query", **b},
        {"path": "bare spatial query with rows", **w},
        *(
            [{"path": "the request's statement (ranked)", **summary(ranked_ms)}]
            if settings.is_postgres
            else []
        ),
        {"path": "nearbyFoodies over HTTP", **h, **_cpu(cpu_ms[0])},
        {
            "path": "ratio HTTP/bare",
            "p50_ms": round(h["p50_ms"] / b["p50_ms"], 2),
            "p99_ms": round(h["p99_ms"] / b["p99_ms"], 2),
        },
        {
            "path": "ratio HTTP/bare with rows",
            "p50_ms": round(h["p50_ms"] / w["p50_ms"], 2),
            "p99_ms": round(h["p99_ms"] / w["p99_ms"], 2),
        },
    ]
    if settings.is_postgres:
        r = summary(ranked_ms)
        rows.append(
            {
                "path": "ratio HTTP/the request's statement",
                "p50_ms": round(h["p50_ms"] / r["p50_ms"], 2),
                "p99_ms": round(h["p99_ms"] / r["p99_ms"], 2),
            }
        )
    if args.baseline:
        o = summary(http_ms[1])
        rows += [
            {"path": "baseline over HTTP", **o, **_cpu(cpu_ms[1])},
            {
                "path": "ratio baseline HTTP/bare",
                "p50_ms": round(o["p50_ms"] / b["p50_ms"], 2),
                "p99_ms": round(o["p99_ms"] / b["p99_ms"], 2),
            },
        ]
    backend = "postgis" if settings.is_postgres else "sqlite"
    print(
        f"{backend}, {total} diners, radius {args.radius} km, candidates/query median {sorted(sizes)[len(sizes) // 2]}"
    )
    report(
        f"nearby-{backend}{'-' + args.name if args.name else ''}",
        rows,
        {"diners": total, "radius_km": args.radius, "candidate_cap": CANDIDATE_CAP},
    )


if __name__ == "__main__":
    main()
