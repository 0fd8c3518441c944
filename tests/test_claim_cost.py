"""What one claim costs the database, counted as the driver sends it (pool housekeeping
included): issued, sold out, over the per-user limit; and no pool reset per statement."""

from __future__ import annotations

from tests.conftest import BACKEND
from tests.helpers import gql, register
from tests.test_claim_gate import besides_authentication
from tests.test_deals import a_deal, claim
from tests.wire_sql import count_wire

POSTGRES = BACKEND == "services"
CLAIM_ONLY = """mutation CLAIM_ONLY($d: ID!, $k: String!) {
  claimDeal(dealId: $d, idempotencyKey: $k) { claim { id } errors { code } } }"""
RESETS = ("RESET ALL", "UNLISTEN", "pg_advisory_unlock_all", "CLOSE ALL")


def resets(statements: list[str]) -> list[str]:
    return [s for s in statements if any(r in s for r in RESETS)]


async def test_claim_statement_counts_and_no_pool_reset(client):
    _, _, deal = await a_deal(client, quantity=2, perUserLimit=1)
    first, second, third = [(await register(client))[0] for _ in range(3)]
    assert (await claim(client, first, deal))["errors"] == []  # builds the gate
    await gql(client, "{ me { id } }", token=second)  # its viewer is then known
    await gql(client, "{ me { id } }", token=third)
    with count_wire(POSTGRES) as issued:
        assert (await claim(client, second, deal))["errors"] == []
    with count_wire(POSTGRES, expect_some=False) as over_limit:
        assert (await claim(client, second, deal))["errors"][0]["code"] == "LIMIT_REACHED"
    with count_wire(POSTGRES, expect_some=False) as sold_out:
        assert (await claim(client, third, deal))["errors"][0]["code"] == "SOLD_OUT"
    print("\nissued", len(issued.statements), *issued.statements, sep="\n  ")
    assert resets(issued.statements) == [], issued.statements
    work = [
        s
        for s in besides_authentication(issued.statements)
        if s.strip().rstrip(";") not in ("BEGIN", "COMMIT")
    ]
    # the claim: deal with its restaurant, then per-user upsert, stock UPDATE, claim INSERT and
    # rollup upsert: on PostgreSQL one statement (a free deal) with no BEGIN / COMMIT around it,
    # on SQLite four in a transaction; plus the payload's `deal { remaining }` the test asks for
    if POSTGRES:
        assert len(work) <= 3, work
        assert len(issued.statements) <= 3, issued.statements  # nothing else: no BEGIN, COMMIT
    else:
        assert len(work) <= 6, work
    assert besides_authentication(over_limit.statements) == []
    assert besides_authentication(sold_out.statements) == []


async def test_a_plain_query_sends_no_reset(client):
    token, _, _ = await register(client)
    with count_wire(POSTGRES) as wire:
        await gql(client, "{ me { id displayName } }", token=token)
    assert resets(wire.statements) == [], wire.statements
    assert len(wire.statements) <= 2, wire.statements


async def test_five_claims_with_one_document_are_validated_once(client, app):
    """Issue 18 found validation (6 ms) run on every request: per-request limiter rules defeated
    the cache. The document text is the key, whatever the variables and the viewer."""
    validator = app.state.schema.document_validator
    _, _, deal = await a_deal(client, quantity=10)
    document = CLAIM_ONLY.replace("CLAIM_ONLY", "ClaimValidatedOnce")  # a text no other test sends
    before = None
    for _ in range(5):
        token = (await register(client))[0]
        body = await gql(client, document, {"d": deal, "k": "same-key"}, token)
        assert body["data"]["claimDeal"]["errors"] == []
        before = validator.runs if before is None else before
    assert validator.runs == before
