"""A Redis gate in front of claims: sold out and over-the-limit answered without SQL (issue 18).

One hash per deal holds what PostgreSQL/SQLite says, as of when it was built: `stock` (vouchers
left), `limit` (per person), `u:<user>` (vouchers that user holds) and `k:<user>:<key>` (the
idempotency keys seen). A Lua script checks and takes in one step, so Redis answers a burst the
way the database would, without the database. The database stays the source of truth: a claim
the gate lets through still takes its stock in the conditional UPDATE, and the gate only ever
refuses what the database would refuse, give or take what is in flight:

- a missing hash (first claim, expiry, a Redis loss or FLUSH) is rebuilt from the database by one
  claim (the others meanwhile take the SQL path), and it expires every GATE_SECONDS, so any drift
  (a worker killed between taking from the gate and giving back) lasts at most that long;
- every refusal by the database after the gate said yes, and every refund, cancellation and
  release of an unpaid claim, gives back to the gate right after its commit;
- a retry of a key the gate has seen skips the gate (the database finds the claim it made).
With Redis unreachable, the gate says nothing and claims take the SQL path.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from models.deals import Claim, Deal, UserDealCount
from resolvers import visibility

if TYPE_CHECKING:
    from core.context import Services

log = logging.getLogger("tablemates.deals")
GATE_SECONDS = 60
BUILD_LOCK_MS = 5000

_TAKE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'MISSING' end
if redis.call('HEXISTS', KEYS[1], 'k:' .. ARGV[1] .. ':' .. ARGV[2]) == 1 then return 'SEEN' end
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit'))
if tonumber(redis.call('HGET', KEYS[1], 'u:' .. ARGV[1]) or '0') >= limit then return 'LIMIT:' .. limit end
if tonumber(redis.call('HGET', KEYS[1], 'stock')) <= 0 then return 'SOLD_OUT' end
redis.call('HINCRBY', KEYS[1], 'stock', -1)
redis.call('HINCRBY', KEYS[1], 'u:' .. ARGV[1], 1)
redis.call('HSET', KEYS[1], 'k:' .. ARGV[1] .. ':' .. ARGV[2], 1)
return 'OK'
"""
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] ~= '0' then redis.call('HINCRBY', KEYS[1], 'stock', tonumber(ARGV[2])) end
if ARGV[3] ~= '0' then
  local held = redis.call('HINCRBY', KEYS[1], 'u:' .. ARGV[1], -tonumber(ARGV[3]))
  if held < 0 then redis.call('HSET', KEYS[1], 'u:' .. ARGV[1], 0) end
end
if ARGV[4] ~= '' then redis.call('HDEL', KEYS[1], 'k:' .. ARGV[1] .. ':' .. ARGV[4]) end
return 1
"""


class Verdict(StrEnum):
    OK = "OK"  # taken: the claim goes on to the database
    SEEN = "SEEN"  # a retry: the database has (or is making) its claim
    LIMIT = "LIMIT"
    SOLD_OUT = "SOLD_OUT"
    MISSING = "MISSING"  # no gate for this deal yet: the SQL path, then build it
    UNKNOWN = "UNKNOWN"  # Redis unreachable: the SQL path


def key(services: Services, deal_id: int) -> str:
    return f"{services.settings.redis_namespace}:claim-gate:{deal_id}"


async def take(services: Services, deal_id: int, user_id: int, idem: str) -> tuple[Verdict, int]:
    """The gate's answer, and the per-person limit when it says LIMIT."""
    if not services.settings.shared_redis_caches:
        return Verdict.UNKNOWN, 0
    try:
        answer = str(await services.redis.eval(_TAKE, 1, key(services, deal_id), user_id, idem))
    except (RedisError, OSError) as error:
        log.warning("claim gate unreachable for deal %s: %s", deal_id, error)
        return Verdict.UNKNOWN, 0
    if answer.startswith("LIMIT:"):
        return Verdict.LIMIT, int(answer.removeprefix("LIMIT:"))
    return Verdict(answer), 0


async def give_back(
    services: Services, deal_id: int, user_id: int, *, stock: int = 1, held: int = 1, idem: str = ""
) -> None:
    """Return what the database did not take (or gave back); a missing gate needs nothing."""
    try:
        await services.redis.eval(_GIVE_BACK, 1, key(services, deal_id), user_id, stock, held, idem)
    except (RedisError, OSError) as error:  # the gate is rebuilt within GATE_SECONDS
        log.warning("claim gate give-back failed for deal %s: %s", deal_id, error)


async def forget(services: Services, deal_id: int) -> None:
    """Drop the gate (the deal changed): the next claim rebuilds it from the database."""
    try:
        await services.redis.delete(key(services, deal_id))
    except (RedisError, OSError) as error:
        log.warning("claim gate drop failed for deal %s: %s", deal_id, error)


async def build(services: Services, deal_id: int) -> bool:
    """Build the gate from the database unless another claim is building it (or it exists)."""
    name = key(services, deal_id)
    redis = services.redis
    try:
        if not await redis.set(f"{name}:building", 1, nx=True, px=BUILD_LOCK_MS):
            return False
        # Only a deal on offer now gets a gate: a hidden, paused or ended one (or one at a hidden
        # restaurant) takes the SQL path, which answers what it is (NOT_FOUND, ...), never SOLD_OUT.
        on_offer = Deal.filter(visibility.live_deals_q(datetime.now(UTC)), id=deal_id)
        deal = await on_offer.first().values("quantity", "claimed_count", "per_user_limit")
        if deal is None:
            await redis.delete(f"{name}:building")
            return False
        held = await UserDealCount.filter(deal_id=deal_id, held__gt=0).values_list("user_id", "held")
        keys = await Claim.filter(deal_id=deal_id).values_list("user_id", "idempotency_key")
        fields: dict[str, object] = {
            "stock": max(0, deal["quantity"] - deal["claimed_count"]),
            "limit": deal["per_user_limit"],
        }
        fields.update({f"u:{user}": n for user, n in held})
        fields.update({f"k:{user}:{idem}": 1 for user, idem in keys})
        staging = f"{name}:staging:{uuid.uuid4().hex}"
        async with redis.pipeline(transaction=False) as pipe:
            items = list(fields.items())
            for start in range(0, len(items), 1000):
                pipe.hset(staging, mapping=dict(items[start : start + 1000]))
            pipe.expire(staging, GATE_SECONDS)
            pipe.renamenx(staging, name)  # never over a gate built meanwhile
            pipe.delete(staging, f"{name}:building")
            await pipe.execute()
        return True
    except (RedisError, OSError) as error:
        log.warning("claim gate build failed for deal %s: %s", deal_id, error)
        return False
