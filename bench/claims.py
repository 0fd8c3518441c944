"""Benchmark 3: 200 concurrent claimers on one 50-voucher deal; claims/s and proof of no oversell.

    DATABASE_URL=... SECRET_KEY=... [REDIS_URL=...] uv run python -m bench.claims [--workers 2]

Each run makes a fresh deal (free vouchers, one per person) at a new restaurant, then fires
all claims at once through HTTP against `serve --workers N`, and counts what the database holds.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from tortoise import Tortoise

from bench.common import report, server, token_for
from models import tortoise_config
from models.accounts import Role, User
from models.deals import Claim, Deal
from models.restaurants import Restaurant, RestaurantStaff, StaffRole
from schema.ids import encode
from settings import Settings

CLAIM = """
mutation Claim($d: ID!, $k: String!) { claimDeal(dealId: $d, idempotencyKey: $k) { claim { id code } errors { code } } }
"""


async def make_deal(quantity: int, days: int = 1) -> int:
    tag = uuid.uuid4().hex[:6]
    owner = await User.create(
        email=f"claims-{tag}@bench.tablemates.cn",
        password_hash="!",
        display_name="老板",
        role=Role.RESTAURANT,
    )
    restaurant = await Restaurant.create(
        owner_id=owner.id, name=f"抢购{tag}", lat=30.66, lng=104.06, cuisines=[]
    )
    await RestaurantStaff.create(restaurant_id=restaurant.id, user_id=owner.id, role=StaffRole.OWNER)
    now = datetime.now(UTC)
    deal = await Deal.create(
        restaurant_id=restaurant.id,
        created_by_id=owner.id,
        title="9.9元双人餐",
        price_cents=0,
        original_price_cents=19800,
        quantity=quantity,
        per_user_limit=1,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=days),
    )
    return deal.id


async def fire(
    url: str, settings: Settings, deal_id: int, claimers: int, per_user: int
) -> tuple[float, list[dict]]:
    limits = httpx.Limits(max_connections=claimers * per_user)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:

        async def one(user_id: int) -> dict:
            headers = {"Authorization": f"Bearer {token_for(settings, user_id)}"}
            body = {"query": CLAIM, "variables": {"d": encode("Deal", deal_id), "k": uuid.uuid4().hex}}
            return (await http.post("/graphql", json=body, headers=headers)).json()

        users = [2 + i % claimers for i in range(claimers * per_user)]
        started = time.perf_counter()
        results = await asyncio.gather(*(one(u) for u in users))
        return time.perf_counter() - started, results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--claimers", type=int, default=200)
    parser.add_argument("--quantity", type=int, default=50)
    args = parser.parse_args()
    settings = Settings.from_env()

    async def db(action):  # noqa: ANN001, ANN202
        await Tortoise.init(config=tortoise_config(settings))
        try:
            return await action()
        finally:
            await Tortoise.close_connections()

    deal_id = asyncio.run(db(lambda: make_deal(args.quantity)))
    with server(workers=args.workers) as (url, _):
        elapsed, results = asyncio.run(fire(url, settings, deal_id, args.claimers, 1))

    async def count() -> tuple[int, int, int]:
        claims = await Claim.filter(deal_id=deal_id).count()
        users = len(set(await Claim.filter(deal_id=deal_id).values_list("user_id", flat=True)))
        return claims, users, (await Deal.get(id=deal_id)).claimed_count

    stored, distinct_users, counter = asyncio.run(db(count))
    issued = sum(1 for r in results if r.get("data", {}).get("claimDeal", {}).get("claim"))
    refused = sum(1 for r in results if r.get("data", {}).get("claimDeal", {}).get("errors"))
    backend = "postgis" if settings.is_postgres else "sqlite"
    report(
        f"claims-{backend}",
        [
            {
                "claimers": args.claimers,
                "quantity": args.quantity,
                "workers": args.workers,
                "issued": issued,
                "refused_sold_out": refused,
                "claims_in_db": stored,
                "distinct_users": distinct_users,
                "deal_counter": counter,
                "wall_s": round(elapsed, 3),
                "attempts_per_s": round(len(results) / elapsed, 1),
                "oversold": stored - args.quantity if stored > args.quantity else 0,
            }
        ],
    )
    assert stored == issued == counter == args.quantity, "oversold or lost a claim"


if __name__ == "__main__":
    main()
