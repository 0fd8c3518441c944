"""Nearby KNN (issue 18): restaurantsNearby vs PostGraphile 4 + @graphile/postgis, one load client.

    (cd bench/postgraphile && npm ci)          # once: PostGraphile from the committed lock
    uv run python -m bench.generate --diners 0 --restaurants 100000   # once, on your database
    DATABASE_URL=... SECRET_KEY=... REDIS_URL=... uv run python -m bench.knn [--runs 3] [--seconds 15] [--floor]

`--floor` adds a third server, bench/knn_floor.py: the same answer from Starlette + asyncpg with no
GraphQL at all, the least a Python server on our stack costs for it (bench/README §21).

Both servers run at once over the same database: ours is `app.py serve --workers 2`, the peer is
bench/postgraphile/server.js with 2 node cluster workers, serving only the bench-only schema
`bench_knn` this script creates (one SQL function: the visible restaurants within the radius,
nearest first, id name distanceKm; our migrations know nothing of it). The same document,

    restaurantsNearby(lat, lng, radiusKm: 3, first: 5) { edges { node { id name distanceKm } } }

goes to both with wrk (2 threads, 16 connections), over the same deterministic points; runs
alternate (ours first on odd runs, theirs first on even ones) after a warm-up of each; the
figures are the medians of the runs. Before loading, a few points are asked of both and the
answers compared (same restaurants, same order, same distances).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench.common import ROOT, free_port, report, server, serving
from demo.seed import city_point
from schema.ids import decode
from settings import Settings

PEER = ROOT / "bench" / "postgraphile"
QUERY = (
    "query($lat: Float!, $lng: Float!, $r: Float) { restaurantsNearby(lat: $lat, lng: $lng, "
    "radiusKm: $r, first: 5) { edges { node { id name distanceKm } } } }"
)
# The peer's one function: what a PostGraphile user would write for "5 nearest restaurants".
# Inlined by PostgreSQL (LANGUAGE sql, STABLE, one SELECT), so PostGraphile's `LIMIT 5` reaches
# the KNN index scan (`ORDER BY geog <-> here` on the restaurants' partial GiST index, stopping
# after the page: 0.4 ms). Tried and dropped: an ST_DWithin filter (the planner misjudges the
# radius as nearly empty and joins every restaurant in it: 120 ms) and the KNN in a subquery
# (the outer LIMIT no longer reaches it: bitmap scan + sort, 48 ms). Same visibility as ours
# (restaurants_q: not archived, visible), same distance (`<->`, the sphere, as geo/ measures,
# shown to the metre), same order (nearest first; the generated points never tie).
BENCH_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS bench_knn;
DROP FUNCTION IF EXISTS bench_knn.restaurants_nearby(float8, float8, float8);
DROP TYPE IF EXISTS bench_knn.nearby_restaurant;
CREATE TYPE bench_knn.nearby_restaurant AS (id bigint, name text, distance_km float8);
CREATE FUNCTION bench_knn.restaurants_nearby(lat float8, lng float8, radius_km float8 DEFAULT 3)
RETURNS SETOF bench_knn.nearby_restaurant LANGUAGE sql STABLE AS $$
  SELECT r.id, r.name::text,
    round(((g.geog <-> ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography) / 1000.0)::numeric, 3)::float8
  FROM geo_points g JOIN restaurants r ON r.id = g.object_id
  WHERE g.kind = 'restaurant'
    AND (g.geog <-> ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography) <= $3 * 1000.0
    AND NOT r.archived AND r.visibility = 'visible'
  ORDER BY g.geog <-> ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography
$$;
"""


def points(count: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(f"knn:{seed}")
    return [city_point(rng) for _ in range(count)]


async def create_bench_schema(database_url: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        restaurants = await conn.fetchval("SELECT count(*) FROM geo_points WHERE kind = 'restaurant'")
        await conn.execute(BENCH_SCHEMA)
        return restaurants
    finally:
        await conn.close()


@contextmanager
def peer(database_url: str, workers: int) -> Iterator[tuple[str, subprocess.Popen]]:
    if not (PEER / "node_modules" / "postgraphile").exists():
        raise SystemExit("PostGraphile is not installed: (cd bench/postgraphile && npm ci)")
    port = free_port()
    process = subprocess.Popen(
        ["node", "server.js"],
        cwd=PEER,
        env={
            **os.environ,
            # jit=off as our own connections set it (models/__init__.py): JIT costs ~0.5 s a query.
            "DATABASE_URL": f"{database_url}{'&' if '?' in database_url else '?'}options=-c%20jit%3Doff",
            "PORT": str(port),
            "WORKERS": str(workers),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    ready = 0
    deadline = time.monotonic() + 60
    while ready < workers and time.monotonic() < deadline:
        line = process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            break
        ready += line.strip() == "ready"
    if ready < workers:
        process.kill()
        raise RuntimeError("PostGraphile did not start")
    try:
        yield url, process
    finally:
        process.terminate()
        process.wait(30)


@contextmanager
def floor(workers: int) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    command = [sys.executable, "-m", "bench.knn_floor", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with serving(f"http://127.0.0.1:{port}", process) as url:
        yield url, process


def answer(
    http: httpx.Client, url: str, lat: float, lng: float, radius: float
) -> list[tuple[int, str, float]]:
    reply = http.post(
        f"{url}/graphql", json={"query": QUERY, "variables": {"lat": lat, "lng": lng, "r": radius}}
    )
    body = reply.json()
    assert reply.status_code == 200 and "errors" not in body, reply.text[:400]
    rows = []
    for edge in body["data"]["restaurantsNearby"]["edges"]:
        node = edge["node"]
        pk = int(node["id"]) if str(node["id"]).isdigit() else decode(node["id"], "Restaurant", "id")
        rows.append((pk, node["name"], node["distanceKm"]))
    return rows


def cpu_seconds(root: int) -> float:
    """User + system CPU of a process and all its descendants (from /proc; clock ticks)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / tick
    total = 0.0
    for pid, seconds in times.items():
        walk = pid
        while walk in parents and walk != root and walk > 1:
            walk = parents[walk]
        if walk == root:
            total += seconds
    return total


def wrk(url: str, seconds: int, connections: int, env: dict[str, str], pid: int) -> dict[str, float]:
    cpu_before = cpu_seconds(pid)
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(ROOT / "bench" / "knn.lua"), url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["requests_per_s"] = round(result["requests"] / result["seconds"], 1)
    # CPU the server's processes spent per request (PostgreSQL's share not included): steadier
    # than latency on a shared machine.
    result["server_cpu_ms_per_request"] = round(
        (cpu_seconds(pid) - cpu_before) * 1000 / result["requests"], 3
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--radius", type=float, default=3.0)
    parser.add_argument("--points", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=["ours", "postgraphile", "floor"], help="load one server only")
    parser.add_argument("--floor", action="store_true", help="also the no-GraphQL floor (bench/knn_floor.py)")
    parser.add_argument("--name", default="", help="suffix of the results file")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    settings = Settings.from_env()
    if not settings.is_postgres:
        raise SystemExit("bench.knn compares against PostGraphile: PostgreSQL only")
    restaurants = asyncio.run(create_bench_schema(settings.database_url))
    if restaurants < 1000:
        raise SystemExit(f"{restaurants} restaurants: run bench.generate --diners 0 --restaurants 100000")
    city = points(args.points, args.seed)
    env = {
        **os.environ,
        "POINTS": ",".join(f"{lat:.6f}:{lng:.6f}" for lat, lng in city),
        "QUERY": QUERY.replace('"', '\\"'),
        "RADIUS_KM": repr(args.radius),
    }
    contenders = ["ours", "postgraphile", *(["floor"] if args.floor or args.only == "floor" else [])]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in contenders}
    with ExitStack() as stack:
        started = {
            "ours": lambda: server(workers=args.workers),
            "postgraphile": lambda: peer(settings.database_url, args.workers),
            "floor": lambda: floor(args.workers),
        }
        running = {name: stack.enter_context(started[name]()) for name in contenders}
        urls = {name: url for name, (url, _) in running.items()}
        pids = {name: process.pid for name, (_, process) in running.items()}
        with httpx.Client(timeout=30) as http:
            for lat, lng in city[:20]:
                mine = answer(http, urls["ours"], lat, lng, args.radius)
                for other in contenders[1:]:
                    peers = answer(http, urls[other], lat, lng, args.radius)
                    same = len(mine) == len(peers) and all(
                        a[:2] == b[:2] and abs(a[2] - b[2]) <= 0.0011
                        for a, b in zip(mine, peers, strict=True)
                    )
                    assert same and mine, (other, lat, lng, mine, peers)
        names = [args.only] if args.only else contenders
        for name in names:  # warm-up: caches, JIT, pools
            wrk(urls[name], 3, args.connections, env, pids[name])
        for run in range(args.runs):
            order = names if run % 2 == 0 else names[::-1]
            for name in order:
                result = wrk(urls[name], args.seconds, args.connections, env, pids[name])
                print(f"run {run + 1} {name}: {result}")
                runs[name].append(result)
    rows = []
    for name in names:
        medians = {
            key: round(statistics.median(r[key] for r in runs[name]), 2)
            for key in ("requests_per_s", "p50_ms", "p90_ms", "p99_ms", "server_cpu_ms_per_request")
        }
        rows.append(
            {"server": name, **medians, "bad": sum(r["bad"] + r["socket_errors"] for r in runs[name])}
        )
    by_name = {row["server"]: row for row in rows}
    for mine in ("ours", "floor"):
        if mine in by_name and "postgraphile" in by_name:
            rows.append(
                {
                    "server": f"{mine} / postgraphile",
                    "requests_per_s": round(
                        by_name[mine]["requests_per_s"] / by_name["postgraphile"]["requests_per_s"], 2
                    ),
                    "p50_ms": round(by_name[mine]["p50_ms"] / by_name["postgraphile"]["p50_ms"], 2),
                    "server_cpu_ms_per_request": round(
                        by_name[mine]["server_cpu_ms_per_request"]
                        / by_name["postgraphile"]["server_cpu_ms_per_request"],
                        2,
                    ),
                }
            )
    suffix = "".join(f"-{part}" for part in (args.only, args.name) if part)
    report(
        f"knn-postgis{suffix}",
        rows,
        {
            "restaurants": restaurants,
            "first": 5,
            "radius_km": args.radius,
            "connections": args.connections,
            "workers_each": args.workers,
            "seconds_per_run": args.seconds,
            "runs": runs,
        },
    )


if __name__ == "__main__":
    main()
