"""The nearest-points statement of this tree against another checkout's, on a benchmark database.

    DATABASE_URL=postgres://.../tablemates_bench_nearby uv run python -m bench.geo_equality --against DIR

For viewers at diners' points (users with id % 2500 = 11), radii 0.3 to 50 km and limits 5 to
500, first pages and three keyset pages after them, plus restaurants: both trees' compiled
`within` statements run on the same connection and must return the same (id, distance) rows in
the same order. Prints the count compared and every difference (bench/README.md §17.1).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import asyncpg

from geo import postgis_backend as ours


def _theirs(root: Path) -> Any:
    spec = importlib.util.spec_from_file_location("their_postgis_backend", root / "geo" / "postgis_backend.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


async def _rows(conn: Any, module: Any, kind: str, at: Any, radius_km: float, limit: int, after: Any) -> list:
    sql, names, constants = module.compiled(kind, after is not None, kind == "diner", None, True, None)
    values = {
        **constants,
        "lat": at["lat"],
        "lng": at["lng"],
        "radius_m": radius_km * 1000.0,
        "limit": limit,
        "exclude": [at["object_id"]],
        "after_km": after[0] if after else None,
        "after_id": after[1] if after else None,
    }
    return [(r["object_id"], r["distance_m"]) for r in await conn.fetch(sql, *[values[n] for n in names])]


async def run(against: Path) -> int:
    theirs = _theirs(against)
    url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    conn = await asyncpg.connect(url)
    compared = differing = 0
    try:
        viewers = await conn.fetch(
            "SELECT object_id, lat, lng FROM geo_points WHERE kind = 'diner' AND object_id % 2500 = 11"
        )
        shapes = [("diner", r, limit) for r in (0.3, 1.0, 5.0, 20.0, 50.0) for limit in (5, 20, 500)]
        shapes += [("restaurant", r, limit) for r in (1.0, 3.0) for limit in (5, 20)]
        for at in viewers:
            for kind, radius_km, limit in shapes:
                after = None
                for _ in range(4 if limit < 500 else 1):
                    mine = await _rows(conn, ours, kind, at, radius_km, limit, after)
                    other = await _rows(conn, theirs, kind, at, radius_km, limit, after)
                    compared += 1
                    if mine != other:
                        differing += 1
                        print("differs:", kind, at["object_id"], radius_km, limit, after, len(mine), len(other))
                    if len(mine) < limit:
                        break
                    after = (mine[-1][1] / 1000.0, mine[-1][0])
    finally:
        await conn.close()
    print(f"compared {compared} statements, {differing} differing")
    return 1 if differing else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", type=Path, required=True, help="another checkout of the code")
    sys.exit(asyncio.run(run(parser.parse_args().against.resolve())))


if __name__ == "__main__":
    main()
