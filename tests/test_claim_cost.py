"""What one claim costs the database, counted as the driver sends it (pool housekeeping
included): issued, sold out, over the per-user limit; and no pool reset per statement."""

from __future__ import annotations

import uuid

from tests.conftest import BACKEND
from tests.helpers import gql, register
from tests.test_deals import a_deal, claim
from tests.wire_sql import count_wire

POSTGRES = BACKEND == "services"
RESETS = ("RESET ALL", "UNLISTEN", "pg_advisory_unlock_all", "CLOSE ALL")


def resets(statements: list[str]) -> list[str]:
    return [s for s in statements if any(r in s for r in RESETS)]


async def test_claim_statement_counts_and_no_pool_reset(client):
    _, _, deal = await a_deal(client, quantity=1, perUserLimit=1)
    first, _, _ = await register(client)
    second, _, _ = await register(client)
    await gql(client, "{ me { id } }", token=first)  # warm: schema, caches
    with count_wire(POSTGRES) as issued:
        assert (await claim(client, first, deal))["errors"] == []
    with count_wire(POSTGRES) as over_limit:
        assert (await claim(client, first, deal))["errors"][0]["code"] == "LIMIT_REACHED"
    with count_wire(POSTGRES) as sold_out:
        assert (await claim(client, second, deal))["errors"][0]["code"] == "SOLD_OUT"
    print("\nissued", len(issued.statements), *issued.statements, sep="\n  ")
    print("over limit", len(over_limit.statements), *over_limit.statements, sep="\n  ")
    print("sold out", len(sold_out.statements), *sold_out.statements, sep="\n  ")
    for wire in (issued, over_limit, sold_out):
        assert resets(wire.statements) == [], wire.statements


async def test_a_plain_query_sends_no_reset(client):
    token, _, _ = await register(client)
    with count_wire(POSTGRES) as wire:
        await gql(client, "{ me { id displayName } }", token=token)
    assert resets(wire.statements) == [], wire.statements
    assert len(wire.statements) <= 2, wire.statements
    assert uuid  # keep import for later tests
