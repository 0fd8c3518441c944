"""Deterministic benchmark city: N diners around 成都's neighbourhoods, restaurants, reviews.

    uv run python -m bench.generate --diners 1000000   # with DATABASE_URL=postgres://... (COPY)
    uv run python -m bench.generate --diners 100000    # SQLite (executemany; R*Tree via triggers)
    uv run python -m bench.generate --diners 0 --restaurants 100000   # add restaurants (bench/knn.py)

Migrates first; refuses to add diners to a database that already holds users, or restaurants to
one that already holds restaurants (use a fresh one). Diners: all are discoverable and recently
active. Restaurants (`--restaurants N`, none by default): spread over the same neighbourhoods as
the diners, owned by one generated restaurant account, indexed at their exact point; one in a
hundred is hidden by moderation and one in two hundred archived (still in the spatial index, as
the app keeps them), so nearby queries read past a few.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta

from tqdm import tqdm

from core.passwords import Passwords
from demo.seed import SURNAMES, city_point
from geo.privacy import obfuscate
from models.migrate import migrate
from resolvers.foodies.tastes import CUISINES, DIETARY
from settings import Settings

BATCH = 20_000
PASSWORD = "bench-password"
USER_COLUMNS = (
    "email",
    "password_hash",
    "display_name",
    "role",
    "bio",
    "cuisines",
    "dietary",
    "spice_level",
    "budget_level",
    "lat",
    "lng",
    "location_updated_at",
    "discoverable",
    "timezone",
    "token_version",
    "last_active_at",
    "created_at",
    "counts_withdrawn",
)


RESTAURANT_COLUMNS = (
    "owner_id",
    "name",
    "search_text",
    "address",
    "lat",
    "lng",
    "cuisines",
    "phone",
    "timezone",
    "archived",
    "visibility",
    "created_at",
)
NAME_WORDS = ("老", "小", "大", "川", "蜀", "锦", "巷", "街", "记", "家", "味", "香", "辣", "府", "院", "坊")


def restaurant_rows(seed: int, count: int, owner_id: int):
    """Yield (restaurant row, point) deterministically from `seed` (a stream apart from diners')."""
    rng = random.Random(f"restaurants:{seed}")
    cuisines = list(CUISINES)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(count):
        lat, lng = city_point(rng)
        tags = rng.sample(cuisines, rng.randint(1, 3))
        name = f"{rng.choice(SURNAMES)}{rng.choice(NAME_WORDS)}{CUISINES[tags[0]]} {i}"
        hidden = i % 100 == 37
        row = (
            owner_id,
            name,
            f"{name} " + " ".join(f"#{t} {CUISINES[t]}" for t in tags),
            "",
            lat,
            lng,
            json.dumps(tags),
            "",
            "Asia/Shanghai",
            i % 200 == 113,
            "hidden" if hidden else "visible",
            now,
        )
        yield row, (lat, lng)


OWNER_EMAIL = "bench-restaurants@bench.tablemates.cn"


def owner_row(password_hash: str) -> tuple:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    # The columns of USER_COLUMNS: a restaurant account with no location.
    return (
        OWNER_EMAIL,
        password_hash,
        "bench 餐厅",
        "restaurant",
        "",
        "[]",
        "[]",
        None,
        None,
        None,
        None,
        None,
        False,
        "Asia/Shanghai",
        0,
        None,
        now,
        False,
    )


def diner_rows(seed: int, count: int, password_hash: str, secret: str):
    """Yield (user row, obfuscated point) in id order, deterministically from `seed`."""
    rng = random.Random(seed)
    cuisines, dietary = list(CUISINES), list(DIETARY)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(count):
        lat, lng = city_point(rng)
        row = (
            f"bench{i:07d}@bench.tablemates.cn",
            password_hash,
            rng.choice(SURNAMES) + str(i % 1000),
            "diner",
            "",
            json.dumps(rng.sample(cuisines, rng.randint(1, 5))),
            json.dumps(rng.sample(dietary, rng.choice([0, 0, 1]))),
            rng.randint(0, 5),
            rng.randint(1, 4),
            lat,
            lng,
            now,
            True,
            "Asia/Shanghai",
            0,
            now - timedelta(hours=rng.randint(0, 24 * 40)),
            now,
            False,
        )
        yield row, obfuscate(lat, lng, i + 1, secret=secret)


async def generate_postgres(
    settings: Settings, seed: int, count: int, restaurants: int, password_hash: str
) -> None:
    import asyncpg

    conn = await asyncpg.connect(settings.database_url)
    try:
        if count:
            await diners_postgres(conn, settings, seed, count, password_hash)
        if restaurants:
            await restaurants_postgres(conn, seed, restaurants, password_hash)
    finally:
        await conn.close()


async def restaurants_postgres(conn, seed: int, count: int, password_hash: str) -> None:  # noqa: ANN001
    if await conn.fetchval("SELECT count(*) FROM restaurants"):
        raise SystemExit("the database already holds restaurants: use a fresh database")
    owner_id = await conn.fetchval(
        f"INSERT INTO users ({', '.join(USER_COLUMNS)}) VALUES "
        f"({', '.join(f'${i + 1}' for i in range(len(USER_COLUMNS)))}) RETURNING id",
        *owner_row(password_hash),
    )
    rows = restaurant_rows(seed, count, owner_id)
    await copy_with_points(conn, "restaurants", RESTAURANT_COLUMNS, "restaurant", rows, count)


async def diners_postgres(conn, settings: Settings, seed: int, count: int, password_hash: str) -> None:  # noqa: ANN001
    if await conn.fetchval("SELECT count(*) FROM users"):
        raise SystemExit("the database already holds users: use a fresh database")
    rows = diner_rows(seed, count, password_hash, settings.secret_key)
    await copy_with_points(conn, "users", USER_COLUMNS, "diner", rows, count)


async def copy_with_points(conn, table: str, columns, kind: str, rows, count: int) -> None:  # noqa: ANN001
    """COPY `count` generated (row, point) pairs into `table` (ids from 1) and their points into
    the spatial index, then move the id sequence past them and analyse both tables."""
    with tqdm(total=count, desc=table, unit="row") as bar:
        next_id = 1
        while next_id <= count:
            batch = [next(rows) for _ in range(min(BATCH, count - next_id + 1))]
            ids = range(next_id, next_id + len(batch))
            await conn.copy_records_to_table(
                table,
                records=[(i, *r) for i, (r, _) in zip(ids, batch, strict=True)],
                columns=("id", *columns),
            )
            await conn.copy_records_to_table(
                "geo_points",
                records=[(kind, i, p[0], p[1]) for i, (_, p) in zip(ids, batch, strict=True)],
                columns=("kind", "object_id", "lat", "lng"),
            )
            next_id += len(batch)
            bar.update(len(batch))
    await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    await conn.execute(f"ANALYZE {table}; ANALYZE geo_points")


def generate_sqlite(settings: Settings, seed: int, count: int, restaurants: int, password_hash: str) -> None:
    db = sqlite3.connect(settings.database_url.removeprefix("sqlite://"))
    try:
        if count:
            diners_sqlite(db, settings, seed, count, password_hash)
        if restaurants:
            restaurants_sqlite(db, seed, restaurants, password_hash)
        db.execute("ANALYZE")
        db.commit()
    finally:
        db.close()


def _sqlite_value(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def restaurants_sqlite(db: sqlite3.Connection, seed: int, count: int, password_hash: str) -> None:
    if db.execute("SELECT count(*) FROM restaurants").fetchone()[0]:
        raise SystemExit("the database already holds restaurants: use a fresh database")
    owner = [_sqlite_value(v) for v in owner_row(password_hash)]
    cursor = db.execute(
        f"INSERT INTO users ({', '.join(USER_COLUMNS)}) VALUES ({', '.join('?' * len(USER_COLUMNS))})", owner
    )
    rows = restaurant_rows(seed, count, cursor.lastrowid)
    placeholders = ", ".join("?" * (len(RESTAURANT_COLUMNS) + 1))
    with tqdm(total=count, desc="restaurants", unit="restaurant") as bar:
        next_id = 1
        while next_id <= count:
            batch = [next(rows) for _ in range(min(BATCH, count - next_id + 1))]
            ids = range(next_id, next_id + len(batch))
            db.executemany(
                f"INSERT INTO restaurants (id, {', '.join(RESTAURANT_COLUMNS)}) VALUES ({placeholders})",
                [(i, *map(_sqlite_value, r)) for i, (r, _) in zip(ids, batch, strict=True)],
            )
            db.executemany(
                "INSERT INTO geo_points (kind, object_id, lat, lng) VALUES ('restaurant', ?, ?, ?)",
                [(i, p[0], p[1]) for i, (_, p) in zip(ids, batch, strict=True)],
            )
            db.commit()
            next_id += len(batch)
            bar.update(len(batch))


def diners_sqlite(
    db: sqlite3.Connection, settings: Settings, seed: int, count: int, password_hash: str
) -> None:
    if db.execute("SELECT count(*) FROM users").fetchone()[0]:
        raise SystemExit("the database already holds users: use a fresh database")
    rows = diner_rows(seed, count, password_hash, settings.secret_key)
    placeholders = ", ".join("?" * (len(USER_COLUMNS) + 1))
    with tqdm(total=count, desc="diners", unit="diner") as bar:
        next_id = 1
        while next_id <= count:
            batch = [next(rows) for _ in range(min(BATCH, count - next_id + 1))]
            ids = range(next_id, next_id + len(batch))
            db.executemany(
                f"INSERT INTO users (id, {', '.join(USER_COLUMNS)}) VALUES ({placeholders})",
                [
                    (i, *[v.isoformat() if isinstance(v, datetime) else v for v in r])
                    for i, (r, _) in zip(ids, batch, strict=True)
                ],
            )
            db.executemany(
                "INSERT INTO geo_points (kind, object_id, lat, lng) VALUES ('diner', ?, ?, ?)",
                [(i, p[0], p[1]) for i, (_, p) in zip(ids, batch, strict=True)],
            )
            db.commit()
            next_id += len(batch)
            bar.update(len(batch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diners", type=int, default=100_000)
    parser.add_argument("--restaurants", type=int, default=0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    settings = Settings.from_env()
    asyncio.run(migrate(settings))
    password_hash = asyncio.run(
        Passwords(settings.argon2_time_cost, settings.argon2_memory_kib).hash(PASSWORD)
    )
    if settings.is_postgres:
        asyncio.run(generate_postgres(settings, args.seed, args.diners, args.restaurants, password_hash))
    else:
        generate_sqlite(settings, args.seed, args.diners, args.restaurants, password_hash)
    print(
        f"{args.diners} diners, {args.restaurants} restaurants ready in {settings.database_url.split('@')[-1]}"
    )


if __name__ == "__main__":
    main()
