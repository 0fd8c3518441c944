"""Benchmark 1: nearbyFoodies through HTTP vs the bare spatial query it runs (same radius, rows).

    DATABASE_URL=... SECRET_KEY=... uv run python -m bench.nearby [--requests 300] [--radius 5]

HTTP: a real `app.py serve` process, one request at a time, random viewers. Bare: the geo
index's `within` (the KNN + ST_DWithin SQL, or R*Tree + great-circle on SQLite) for the same
viewer, radius and candidate cap, run in this process on the same database; and "bare with
rows": `within_rows`, the spatial statement the request now runs (the candidates with their
scoring columns, the viewer's blocks left out inside it). For each viewer the three are timed back to back, so all share one window of
the (shared) machine's load.

`--baseline DIR`: also serve another checkout of the code (e.g. `git worktree add DIR <commit>`)
and time the same request on it right after ours, for each viewer (before → after in one
window); both servers' CPU per request (from /proc, the app process only) is reported too, which
is steadier than latency on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from tortoise import Tortoise

from bench.common import report, server, summary, token_for
from bench.procstats import cpu_seconds
from geo import make_geo_index
from models import tortoise_config
from models.accounts import User
from resolvers.accounts.accounts import DINER_KIND
from resolvers.foodies.foodies import CANDIDATE_CAP, CANDIDATE_ROWS, CANDIDATE_ROWS_PG
from resolvers.visibility import BLOCKED_EITHER_WAY_SQL
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


async def _post(http: httpx.AsyncClient, settings: Settings, person: User, radius: float) -> float:
    headers = {"Authorization": f"Bearer {token_for(settings, person.id)}"}
    started = time.perf_counter()
    response = await http.post("/graphql", json={"query": QUERY, "variables": {"r": radius}}, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
    return elapsed


async def measure(
    settings: Settings, servers: list[tuple[str, int]], people: list[User], radius: float
) -> tuple[list[float], list[float], list[list[float]], list[int], list[float]]:
    """`servers`: (url, pid) of ours, then the baseline's if any. Returns bare, with rows, HTTP
    per server, candidate counts, and each server's CPU ms per measured request."""
    geo = make_geo_index(settings.is_postgres)
    rows = CANDIDATE_ROWS_PG if settings.is_postgres else CANDIDATE_ROWS
    bare_ms: list[float] = []
    rows_ms: list[float] = []
    http_ms: list[list[float]] = [[] for _ in servers]
    sizes: list[int] = []
    cpu_start: list[float] = []
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
            await geo.within_rows(
                DINER_KIND,
                person.lat,
                person.lng,
                radius,
                rows,
                limit=CANDIDATE_CAP,
                exclude=[person.id],
                read_past_missing=False,
                also_exclude=BLOCKED_EITHER_WAY_SQL,
                also_exclude_of=person.id,
            )
            with_rows = (time.perf_counter() - started) * 1000
            elapsed = [await _post(http, settings, person, radius) for http in clients]
            if i >= 20:
                bare_ms.append(bare)
                rows_ms.append(with_rows)
                for times, ms in zip(http_ms, elapsed, strict=True):
                    times.append(ms)
                sizes.append(len(hits))
        cpu_ms = [
            (cpu_seconds(pid) - start) * 1000 / len(people)
            for (_, pid), start in zip(servers, cpu_start, strict=True)
        ]
    finally:
        for http in clients:
            await http.aclose()
    return bare_ms, rows_ms, http_ms, sizes, cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--radius", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline", type=Path, help="another checkout to serve and time alongside")
    args = parser.parse_args()
    settings = Settings.from_env()

    async def run() -> tuple[list[float], list[float], list[list[float]], list[int], list[float], int]:
        people = await viewers(settings, args.requests, args.seed)
        total = await User.all().count()
        try:
            with ExitStack() as stack:
                servers = [stack.enter_context(server())]
                if args.baseline:
                    servers.append(stack.enter_context(server(root=args.baseline.resolve())))
                found = await measure(settings, [(url, p.pid) for url, p in servers], people, args.radius)
                return (*found, total)
        finally:
            await Tortoise.close_connections()

    bare_ms, rows_ms, http_ms, sizes, cpu_ms, total = asyncio.run(run())
    b, w, h = summary(bare_ms), summary(rows_ms), summary(http_ms[0])
    rows = [
        {"path": "bare spatial query", **b},
        {"path": "bare spatial query with rows", **w},
        {"path": "nearbyFoodies over HTTP", **h, "server_cpu_ms": round(cpu_ms[0], 2)},
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
    if args.baseline:
        o = summary(http_ms[1])
        rows += [
            {"path": "baseline over HTTP", **o, "server_cpu_ms": round(cpu_ms[1], 2)},
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
        f"nearby-{backend}", rows, {"diners": total, "radius_km": args.radius, "candidate_cap": CANDIDATE_CAP}
    )


if __name__ == "__main__":
    main()
