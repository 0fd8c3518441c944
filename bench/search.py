"""Benchmark 7: search p99 over HTTP beside the raw SQL it runs, on a generated city.

    DATABASE_URL=... SECRET_KEY=... uv run python -m bench.search --restaurants 10000 --dishes 10 \
        [--requests 200] [--skip-generate]

Generates restaurants (names from a Chinese/English vocabulary, points around 成都), `--dishes`
dishes each and their search documents with the app's own tokenizer (bulk inserts, not the API,
so generating 50 000 / 500 000 takes minutes, not hours), then times `searchRestaurants` and
`searchDishes` through a real `app.py serve`, and the statement the resolver builds
(resolvers/search/search.ordered: one or two statements) run bare on the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import UTC, datetime

import httpx
from tortoise import Tortoise, connections

from bench.common import report, server, summary
from models import tortoise_config
from models.accounts import User
from models.search import dish_doc, price_level, restaurant_doc
from resolvers.search.search import Criteria, Sort, check_criteria, ordered
from settings import Settings

PLACES = ["重庆", "成都", "老", "小", "川味", "蜀", "巴山", "Golden", "Lucky", "Old Town", "锦里", "宽窄"]
KINDS = ["火锅", "串串", "面馆", "烧烤", "小吃", "茶馆", "Noodle Bar", "BBQ", "Hotpot", "Dumpling House"]
DISHES = ["麻婆豆腐", "毛肚", "回锅肉", "宫保鸡丁", "担担面", "水煮鱼", "夫妻肺片", "Spicy Wontons",
          "Mapo Tofu", "Kung Pao Chicken", "酸辣粉", "钟水饺", "兔头", "冒菜", "Dan Dan Noodles"]  # fmt: skip
QUERIES = ["火锅", "麻婆", "毛肚", "面", "spicy", "hot", "重庆 火锅", "担担面", "dumpling", "酸辣粉", "烧烤"]
CENTRE = (30.66, 104.06)


async def generate(restaurants: int, per: int, seed: int) -> None:
    rng = random.Random(seed)
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    owner = await User.create(
        email=f"bench-search-{seed}@example.com", password_hash="x", display_name="bench"
    )
    now = datetime.now(UTC)
    mark = (
        (lambda n: ", ".join(f"${i}" for i in range(1, n + 1)))
        if postgres
        else (lambda n: ", ".join("?" * n))
    )
    r_sql = (
        "INSERT INTO restaurants (owner_id, name, search_text, address, lat, lng, cuisines, phone, timezone, "
        f"archived, visibility, created_at) VALUES ({mark(12)})"
    )
    d_sql = (
        "INSERT INTO dishes (restaurant_id, name, description, price_cents, currency, tags, archived, "
        f"rating_sum, review_count, created_at) VALUES ({mark(10)})"
    )
    s_sql = (
        "INSERT INTO search_docs (kind, object_id, restaurant_id, name_tokens, tokens, price_cents, price_level, "
        f"rating_sum, rating_weight, review_count) VALUES ({mark(10)})"
    )
    # The restaurant page's counters (the search document copies them: search migration 0002).
    t_sql = (
        "INSERT INTO restaurant_ratings (restaurant_id, review_count, rating_sum, weighted_sum, weight_total, "
        "verified_count, stars_1, stars_2, stars_3, stars_4, stars_5, review_spend_sum, review_spend_count, "
        f"bill_sum, bill_count) VALUES ({mark(5)}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)"
    )
    g_sql = f"INSERT INTO geo_points (kind, object_id, lat, lng) VALUES ({mark(4)})"
    start = (await conn.execute_query_dict("SELECT COALESCE(MAX(id), 0) AS m FROM restaurants"))[0]["m"]
    dish_start = (await conn.execute_query_dict("SELECT COALESCE(MAX(id), 0) AS m FROM dishes"))[0]["m"]
    batch = 1000
    for base in range(0, restaurants, batch):
        rows, dishes, docs, points, totals = [], [], [], [], []
        for i in range(base, min(base + batch, restaurants)):
            rid = start + i + 1
            name = f"{rng.choice(PLACES)}{rng.choice(KINDS)}{i}"
            text = f"{name} 某区某路{i}号".lower()
            lat, lng = CENTRE[0] + rng.uniform(-0.3, 0.3), CENTRE[1] + rng.uniform(-0.3, 0.3)
            rows.append([owner.id, name, text, f"某区某路{i}号", lat, lng, "[]", "", "Asia/Shanghai",
                         False, "visible", now])  # fmt: skip
            points.append(["restaurant", rid, lat, lng])
            menu = [(rng.choice(DISHES), rng.randrange(800, 30000)) for _ in range(per)]
            rsum = rcount = 0
            for j, (dish, price) in enumerate(menu):
                did = dish_start + i * per + j + 1
                reviews = rng.randrange(0, 40)
                stars = reviews * rng.randint(2, 5)
                rsum, rcount = rsum + stars, rcount + reviews
                dishes.append([rid, dish, "", price, "CNY", "[]", False, stars, reviews, now])
                doc = dish_doc(dish, [], "", name)
                docs.append(["dish", did, rid, doc["name_tokens"], doc["tokens"], price, 0, stars, reviews, reviews])
            mean = sum(p for _, p in menu) // per if per else 0
            doc = restaurant_doc(name, text, [d for d, _ in menu])
            level = price_level(mean)
            docs.append(["restaurant", rid, rid, doc["name_tokens"], doc["tokens"], mean, level, rsum, rcount, rcount])
            totals.append([rid, rcount, rsum, rsum, rcount])
        for sql, values in ((r_sql, rows), (d_sql, dishes), (s_sql, docs), (g_sql, points), (t_sql, totals)):
            await conn.execute_many(sql, values)
        print(f"  {base + len(rows)} restaurants", flush=True)
    if postgres:
        await conn.execute_script("ANALYZE")


def criteria(rng: random.Random) -> Criteria:
    sort = rng.choice([Sort.RELEVANCE, Sort.RELEVANCE, Sort.RATING, Sort.POPULARITY])
    near = rng.random() < 0.5
    return Criteria(
        query=rng.choice(QUERIES), sort=Sort.DISTANCE if near and rng.random() < 0.5 else sort,
        lat=CENTRE[0] if near else None, lng=CENTRE[1] if near else None, radius_km=3.0 if near else None,
    )  # fmt: skip


async def bare(cases: list[tuple[str, Criteria]]) -> list[float]:
    """The statement the resolver runs (without the geo lookup; with its result as an id list)."""
    from geo import make_geo_index

    postgres = connections.get("default").capabilities.dialect == "postgres"
    geo = make_geo_index(postgres)
    timings = []
    for kind, c in cases:
        check_criteria(c)
        started = time.perf_counter()
        ids = None
        if c.lat is not None:
            ids = [h.object_id for h in await geo.within("restaurant", c.lat, c.lng, c.radius_km, limit=1000)]
        await ordered(kind, c, datetime.now(UTC), ids, 0, 21)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


HTTP = {
    "restaurant": "query($q: String!, $lat: Float, $lng: Float, $r: Float, $s: SearchSort) { searchRestaurants("
    "query: $q, lat: $lat, lng: $lng, radiusKm: $r, sort: $s, first: 20) { edges { node { id name distanceKm } } } }",
    "dish": "query($q: String!, $lat: Float, $lng: Float, $r: Float, $s: SearchSort) { searchDishes("
    "query: $q, lat: $lat, lng: $lng, radiusKm: $r, sort: $s, first: 20) { edges { node { id name price } } } }",
}


def over_http(cases: list[tuple[str, Criteria]]) -> list[float]:
    timings = []
    with server() as (url, _), httpx.Client(base_url=url, timeout=60) as http:
        for i, (kind, c) in enumerate([*cases[:10], *cases]):
            variables = {"q": c.query, "lat": c.lat, "lng": c.lng, "r": c.radius_km, "s": c.sort.name}
            document = HTTP[kind].replace("name price", "name priceCents")
            started = time.perf_counter()
            response = http.post("/graphql", json={"query": document, "variables": variables})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
            if i >= 10:
                timings.append(elapsed)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--restaurants", type=int, default=10_000)
    parser.add_argument("--dishes", type=int, default=10, help="per restaurant")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-generate", action="store_true")
    args = parser.parse_args()
    settings = Settings.from_env()
    rng = random.Random(args.seed)
    cases = [(rng.choice(["restaurant", "dish"]), criteria(rng)) for _ in range(args.requests)]

    async def prepare() -> tuple[list[float], int, int]:
        await Tortoise.init(config=tortoise_config(settings))
        if not args.skip_generate:
            await generate(args.restaurants, args.dishes, args.seed)
        conn = connections.get("default")
        counts = await conn.execute_query_dict(
            "SELECT (SELECT COUNT(*) FROM restaurants) AS r, (SELECT COUNT(*) FROM dishes) AS d"
        )
        await bare(cases[:10])
        timings = await bare(cases)
        await Tortoise.close_connections()
        return timings, counts[0]["r"], counts[0]["d"]

    bare_ms, restaurants, dishes = asyncio.run(prepare())
    http_ms = over_http(cases)
    backend = "postgis" if settings.is_postgres else "sqlite"
    rows = [{"path": "raw SQL (geo lookup + statement)", **summary(bare_ms)},
            {"path": "searchRestaurants/searchDishes over HTTP", **summary(http_ms)}]  # fmt: skip
    print(f"{backend}: {restaurants} restaurants, {dishes} dishes")
    report(f"search-{backend}", rows, {"restaurants": restaurants, "dishes": dishes})


if __name__ == "__main__":
    main()
