"""The Redis claim gate (resolvers/deals/gate.py): refusals without SQL, rebuilt from the
database after its keys are lost, stock back at once on refunds, retries still idempotent."""

from __future__ import annotations

import uuid

from tests.conftest import BACKEND
from tests.helpers import gql, register
from tests.test_deals import REFUND, a_deal, claim
from tests.wire_sql import count_wire

POSTGRES = BACKEND == "services"


async def flush_gates(services) -> int:
    """Lose every claim gate of this run's namespace (what a Redis restart would do)."""
    keys = [k async for k in services.redis.scan_iter(f"{services.settings.redis_namespace}:claim-gate:*")]
    if keys:
        await services.redis.delete(*keys)
    return len(keys)


def besides_authentication(statements: list[str]) -> list[str]:
    """Embedded (no REDIS_URL) reads the viewer each request; a shared Redis caches it."""
    return [s for s in statements if POSTGRES or 'JOIN "sessions"' not in s]  # the viewer's read


async def refused_without_sql(client, token, deal, code, key=None):
    with count_wire(POSTGRES, expect_some=False) as wire:
        assert (await claim(client, token, deal, key))["errors"][0]["code"] == code
    assert besides_authentication(wire.statements) == [], wire.statements


async def test_gate_is_rebuilt_from_the_database_after_a_flush(client, services):
    _, _, deal = await a_deal(client, quantity=2, perUserLimit=1)
    first, second, third = [(await register(client))[0] for _ in range(3)]
    for token in (first, second, third):
        await gql(client, "{ me { id } }", token=token)
    assert (await claim(client, first, deal))["errors"] == []  # builds the gate
    assert await flush_gates(services) >= 1
    assert (await claim(client, first, deal))["errors"][0]["code"] == "LIMIT_REACHED"  # SQL path
    assert (await claim(client, second, deal))["errors"] == []  # SQL path, then rebuilt
    await refused_without_sql(client, third, deal, "SOLD_OUT")
    await refused_without_sql(client, first, deal, "LIMIT_REACHED")
    node = await gql(client, "query($d: ID!) { node(id: $d) { ... on Deal { remaining } } }", {"d": deal})
    assert node["data"]["node"]["remaining"] == 0


async def test_refunds_give_stock_back_to_the_gate_at_once(client):
    _, _, deal = await a_deal(client, quantity=1, perUserLimit=1)
    holder, waiting = (await register(client))[0], (await register(client))[0]
    await gql(client, "{ me { id } }", token=waiting)
    made = await claim(client, holder, deal)
    assert made["errors"] == []
    await refused_without_sql(client, waiting, deal, "SOLD_OUT")
    refunded = await gql(client, REFUND, {"c": made["claim"]["id"]}, holder)
    assert refunded["data"]["refundClaim"]["errors"] == []
    assert (await claim(client, waiting, deal))["errors"] == []
    # and the refunder may claim again once stock is back: their count went back too
    await refused_without_sql(client, holder, deal, "SOLD_OUT")


async def test_retries_return_the_claim_even_when_the_gate_says_sold_out(client, services):
    _, _, deal = await a_deal(client, quantity=1, perUserLimit=1)
    token = (await register(client))[0]
    key = uuid.uuid4().hex
    made = await claim(client, token, deal, key)
    assert made["errors"] == []
    again = await claim(client, token, deal, key)
    assert again["errors"] == [] and again["claim"]["id"] == made["claim"]["id"]
    await flush_gates(services)
    await claim(client, (await register(client))[0], deal)  # rebuilds the gate (sold out)
    rebuilt = await claim(client, token, deal, key)
    assert rebuilt["errors"] == [] and rebuilt["claim"]["id"] == made["claim"]["id"]
    await refused_without_sql(client, token, deal, "LIMIT_REACHED")


async def test_a_key_used_for_another_deal_is_refused_and_takes_no_stock(client):
    owner, restaurant, first_deal = await a_deal(client)
    _, _, other_deal = await a_deal(client, owner, restaurant, quantity=1)
    token, someone = (await register(client))[0], (await register(client))[0]
    key = uuid.uuid4().hex
    assert (await claim(client, token, first_deal, key))["errors"] == []
    reused = await claim(client, token, other_deal, key)
    assert reused["errors"][0]["code"] == "DUPLICATE"
    assert (await claim(client, someone, other_deal))["errors"] == []  # its one voucher was left
    assert (await claim(client, token, other_deal))["errors"][0]["code"] == "SOLD_OUT"


async def test_without_a_shared_redis_claims_take_the_sql_path(client, services):
    """`serve --workers N` without REDIS_URL: per-worker gates could refuse stock a refund gave
    back in another worker, so the gate (and the viewer cache) are off and SQL decides."""
    from tests.conftest import override_settings

    _, _, deal = await a_deal(client, quantity=1)
    holder, other = (await register(client))[0], (await register(client))[0]
    with override_settings(services, shared_redis_caches=False):
        assert (await claim(client, holder, deal))["errors"] == []
        with count_wire(POSTGRES) as wire:
            assert (await claim(client, other, deal))["errors"][0]["code"] == "SOLD_OUT"
        assert wire.statements


async def test_a_deal_hidden_by_moderation_is_not_found_not_sold_out(client, services):
    """Moderation drops the gate, and no gate is built for a deal off the shelf: a sold-out deal
    that was hidden answers NOT_FOUND like any deal nobody may see."""
    from tests.helpers import account_with_role
    from tests.test_moderation import MODERATE, REPORT

    _, _, deal = await a_deal(client, quantity=1, perUserLimit=1)
    holder, waiting, reporter = (
        (await register(client))[0],
        (await register(client))[0],
        (await register(client))[0],
    )
    await gql(client, "{ me { id } }", token=waiting)  # the viewer cache warm, as for a returning diner
    assert (await claim(client, holder, deal))["errors"] == []
    await refused_without_sql(client, waiting, deal, "SOLD_OUT")  # the gate stands
    report = (await gql(client, REPORT, {"t": deal, "r": "SPAM"}, reporter))["data"]["reportContent"][
        "report"
    ]
    moderator, _ = await account_with_role(client, services)
    hidden = await gql(client, MODERATE, {"r": report["id"], "a": "HIDE_CONTENT"}, moderator)
    assert hidden["data"]["moderate"]["errors"] == []
    for _ in range(2):  # and it stays so: the next claim does not rebuild a gate for it
        assert (await claim(client, waiting, deal))["errors"][0]["code"] == "NOT_FOUND"


async def test_a_key_reused_on_another_sold_out_deal_is_a_duplicate_not_sold_out(client):
    """The gate knows each person's keys across deals: a key that made a claim elsewhere gets
    the database's answer (DUPLICATE), as without the gate, whatever the other deal's stock."""
    owner, restaurant, first_deal = await a_deal(client)
    _, _, other_deal = await a_deal(client, owner, restaurant, quantity=1)
    token, someone = (await register(client))[0], (await register(client))[0]
    key = uuid.uuid4().hex
    assert (await claim(client, token, first_deal, key))["errors"] == []
    assert (await claim(client, someone, other_deal))["errors"] == []  # builds its gate, sold out
    await refused_without_sql(client, token, other_deal, "SOLD_OUT")  # a new key: the gate says so
    assert (await claim(client, token, other_deal, key))["errors"][0]["code"] == "DUPLICATE"
    again = await claim(client, token, first_deal, key)  # and the key still names its claim
    assert again["errors"] == []


async def test_claims_racing_the_gate_build_stay_idempotent(client):
    """A sale's first claims arrive together, before any gate: they wait for the one building
    it, and every issued key, repeated once the deal is sold out, answers its own claim."""
    import asyncio

    _, _, deal = await a_deal(client, quantity=5, perUserLimit=1)
    people = [(await register(client))[0] for _ in range(12)]
    keys = [uuid.uuid4().hex for _ in people]
    answers = await asyncio.gather(*(claim(client, t, deal, k) for t, k in zip(people, keys, strict=True)))
    issued = [(t, k, a["claim"]["id"]) for t, k, a in zip(people, keys, answers, strict=True) if a["claim"]]
    assert len(issued) == 5
    assert sorted(a["errors"][0]["code"] for a in answers if not a["claim"]) == ["SOLD_OUT"] * 7
    for token, key, made in issued:
        again = await claim(client, token, deal, key)
        assert again["errors"] == [] and again["claim"]["id"] == made


async def test_a_claim_the_rebuilt_gate_missed_still_answers_its_retry(client, services):
    """The gate is built from a read of the database; a claim committed on the SQL path after
    that read is not in it. Its key is in the person's index, so the retry still finds it."""
    from resolvers.deals import gate
    from schema.ids import decode

    _, _, deal = await a_deal(client, quantity=1, perUserLimit=1)
    token = (await register(client))[0]
    key = uuid.uuid4().hex
    await flush_gates(services)
    with_sql = await claim(client, token, deal, key)  # builds the gate, or the SQL path
    assert with_sql["errors"] == []
    await flush_gates(services)
    await claim(client, (await register(client))[0], deal)  # rebuilt: sold out
    pk = decode(deal, "Deal", "dealId")
    user = decode((await gql(client, "{ me { id } }", token=token))["data"]["me"]["id"], "User", "id")
    await services.redis.hdel(gate.key(services, pk), f"k:{user}:{key}")  # as if read before it
    again = await claim(client, token, deal, key)
    assert again["errors"] == [] and again["claim"]["id"] == with_sql["claim"]["id"]


async def test_database_refusals_leave_no_trace(client, services):
    """With the gate gone, the database decides (on PostgreSQL a free claim is one statement):
    a refusal for the per-user limit or for stock moves no counter, a later claim still can."""
    from models.deals import UserDealCount
    from schema.ids import decode
    from tests.test_deals import REFUND

    _, _, deal = await a_deal(client, quantity=1, perUserLimit=1)
    holder, waiting = (await register(client))[0], (await register(client))[0]
    made = await claim(client, holder, deal)
    assert made["errors"] == []
    for _ in range(2):
        await flush_gates(services)
        assert (await claim(client, holder, deal))["errors"][0]["code"] == "LIMIT_REACHED"
        await flush_gates(services)
        assert (await claim(client, waiting, deal))["errors"][0]["code"] == "SOLD_OUT"
    pk = decode(deal, "Deal", "dealId")
    held = sorted(await UserDealCount.filter(deal_id=pk).values_list("held", flat=True))
    assert held == [1], held  # the waiting diner's row never moved (rolled back with the refusal)
    assert (await gql(client, REFUND, {"c": made["claim"]["id"]}, holder))["data"]["refundClaim"][
        "errors"
    ] == []
    await flush_gates(services)
    again = await claim(client, waiting, deal)
    assert again["errors"] == [] and again["claim"]["deal"]["remaining"] == 0


async def test_a_claim_racing_its_own_first_claim_takes_no_stock(client, services, settings):
    """PostgreSQL: a free claim is one statement without a transaction around it; the person's
    row is read and locked first. When another statement inserts that row (the same person's
    concurrent first claim) after this one read it, this one finds it at the limit only after
    taking the stock: the statement then aborts itself, so the stock and every counter stay as
    they were, and the answer is LIMIT_REACHED."""
    if not POSTGRES:
        return
    import asyncio

    import asyncpg

    from models.deals import Claim, Deal
    from schema.ids import decode

    _, _, deal = await a_deal(client, quantity=5, perUserLimit=1)
    token, user, _ = await register(client)
    pk, user_id = decode(deal, "Deal", "dealId"), decode(user, "User", "id")
    other = await asyncpg.connect(settings.database_url)
    try:
        # the other claim, mid-flight: the deal's row locked, the person's row inserted
        rival = other.transaction()
        await rival.start()
        await other.execute("UPDATE deals SET claimed_count = claimed_count WHERE id = $1", pk)
        await other.execute(
            "INSERT INTO user_deal_counts (deal_id, user_id, held) VALUES ($1, $2, 1)", pk, user_id
        )
        await flush_gates(services)  # the SQL path: the database decides
        mine = asyncio.ensure_future(claim(client, token, deal))
        await asyncio.sleep(0.5)  # this claim waits for the deal's row
        assert not mine.done()
        await rival.commit()
        answer = await asyncio.wait_for(mine, 10)
    finally:
        await other.close()
    assert answer["errors"][0]["code"] == "LIMIT_REACHED", answer
    assert (await Deal.get(id=pk)).claimed_count == 0
    assert await Claim.filter(deal_id=pk).count() == 0


async def test_a_claim_caught_in_a_lock_cycle_runs_again(client, services, settings):
    """PostgreSQL: a person's first claims racing each other can cross locks (one holds the deal
    and wants the person's new row, another holds that row and wants the deal). PostgreSQL
    breaks the cycle by aborting one statement whole; that claim runs again instead of
    answering a 500, and the counters stay exact."""
    if not POSTGRES:
        return
    import asyncio

    import asyncpg

    from models.deals import Claim, Deal, UserDealCount
    from schema.ids import decode

    _, _, deal = await a_deal(client, quantity=5, perUserLimit=3)
    token, user, _ = await register(client)
    pk, user_id = decode(deal, "Deal", "dealId"), decode(user, "User", "id")
    assert (await claim(client, token, deal))["errors"] == []
    other = await asyncpg.connect(settings.database_url)
    try:
        rival = other.transaction()
        await rival.start()
        await other.execute("SET LOCAL deadlock_timeout = '10s'")  # the claim's side detects it
        await other.execute("UPDATE deals SET claimed_count = claimed_count WHERE id = $1", pk)
        await flush_gates(services)
        mine = asyncio.ensure_future(claim(client, token, deal))
        await asyncio.sleep(0.5)  # the claim holds the person's row and waits for the deal's
        assert not mine.done()
        # the cycle: PostgreSQL aborts the claim's statement, which frees the person's row
        await other.execute(
            "SELECT held FROM user_deal_counts WHERE deal_id = $1 AND user_id = $2 FOR UPDATE", pk, user_id
        )
        await rival.rollback()
        answer = await asyncio.wait_for(mine, 10)
    finally:
        await other.close()
    assert answer["errors"] == [], answer
    assert (await Deal.get(id=pk)).claimed_count == 2
    assert (await UserDealCount.get(deal_id=pk, user_id=user_id)).held == 2
    assert await Claim.filter(deal_id=pk).count() == 2


async def test_the_write_budget_rides_in_the_gates_round_trip(client, services):
    """A claim counts against the person's per-minute write budget (RATE_LIMITED past it, on
    every backend); with a gate, the gate's script counts it: one Redis round trip for both."""
    from tests.conftest import override_settings
    from tests.test_viewer_cache import redis_round_trips

    _, _, deal = await a_deal(client, quantity=10, perUserLimit=5)
    token = (await register(client))[0]
    await gql(client, "{ me { id } }", token=token)  # the viewer known: the gate is what remains
    with override_settings(services, rate_limit_writes_per_minute=2):
        assert (await claim(client, token, deal))["errors"] == []  # builds the gate
        with redis_round_trips(services) as sent:
            assert (await claim(client, token, deal))["errors"] == []
        limited = await claim(client, token, deal)
    assert limited["errors"][0]["code"] == "RATE_LIMITED", limited
    assert limited["errors"][0]["message"] == "Too many requests; try again in 60 seconds"
    if POSTGRES:  # authentication's HMGET, then the gate's EVALSHA; no limiter pipeline
        assert sent == ["HMGET", "EVALSHA"], sent
    # refused before the gate took anything: the stock and the person's count are untouched
    assert (await claim(client, (await register(client))[0], deal))["claim"]["deal"]["remaining"] == 7
