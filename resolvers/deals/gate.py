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

Keys are also indexed per person, across deals (`claim-keys:<user>`: key -> deal, kept
KEY_SECONDS after its last use): the take writes it, and so does a claim made on the SQL path
(after its commit). The gate consults it first, so a key that made a claim anywhere is never
answered SOLD_OUT or LIMIT_REACHED by the gate: the database answers it (that claim, or
DUPLICATE for another deal), as it would without the gate. Claims that arrive while another
builds the gate wait for it (`ready`) rather than all taking the SQL path at a sale's start.

The take also counts the person's write budget (core/ratelimit.Window), first and in the same
round trip: a claim is one Redis round trip besides authentication, not two.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from redis.exceptions import NoScriptError, RedisError

from models.deals import Claim, Deal, UserDealCount
from resolvers import visibility

if TYPE_CHECKING:
    from core.context import Services
    from core.ratelimit import Window

log = logging.getLogger("tablemates.deals")
GATE_SECONDS = 60
BUILD_LOCK_MS = 5000
BUILD_WAIT_SECONDS = 1.0  # a claim waits this long for another's build before the SQL path
KEY_SECONDS = 86400  # a person's keys are indexed a day after their last use (a retry's life)

# KEYS[1] the deal's gate, KEYS[2] the person's key index, KEYS[3] the person's write window
# (core/ratelimit.Window: counted as RateLimiter.add counts it, first, when its limit ARGV[5] is
# not 0); ARGV user, key, deal, key index lifetime, write limit, write window expiry
_TAKE = """
if ARGV[5] ~= '0' then
  local writes = redis.call('INCR', KEYS[3])
  redis.call('EXPIRE', KEYS[3], ARGV[6])
  if writes > tonumber(ARGV[5]) then return 'RATE_LIMITED' end
end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 'SEEN' end
if redis.call('EXISTS', KEYS[1]) == 0 then return 'MISSING' end
if redis.call('HEXISTS', KEYS[1], 'k:' .. ARGV[1] .. ':' .. ARGV[2]) == 1 then return 'SEEN' end
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit'))
if tonumber(redis.call('HGET', KEYS[1], 'u:' .. ARGV[1]) or '0') >= limit then return 'LIMIT:' .. limit end
if tonumber(redis.call('HGET', KEYS[1], 'stock')) <= 0 then return 'SOLD_OUT' end
redis.call('HINCRBY', KEYS[1], 'stock', -1)
redis.call('HINCRBY', KEYS[1], 'u:' .. ARGV[1], 1)
redis.call('HSET', KEYS[1], 'k:' .. ARGV[1] .. ':' .. ARGV[2], 1)
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 'OK'
"""
# KEYS as _TAKE; ARGV user, stock back, held back, key to forget ('' for none), deal
_GIVE_BACK = """
if ARGV[4] ~= '' and redis.call('HGET', KEYS[2], ARGV[4]) == ARGV[5] then
  redis.call('HDEL', KEYS[2], ARGV[4])
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] ~= '0' then redis.call('HINCRBY', KEYS[1], 'stock', tonumber(ARGV[2])) end
if ARGV[3] ~= '0' then
  local held = redis.call('HINCRBY', KEYS[1], 'u:' .. ARGV[1], -tonumber(ARGV[3]))
  if held < 0 then redis.call('HSET', KEYS[1], 'u:' .. ARGV[1], 0) end
end
if ARGV[4] ~= '' then redis.call('HDEL', KEYS[1], 'k:' .. ARGV[1] .. ':' .. ARGV[4]) end
return 1
"""
_SHA = {script: hashlib.sha1(script.encode()).hexdigest() for script in (_TAKE, _GIVE_BACK)}
_KEYS = {_TAKE: 3, _GIVE_BACK: 2}


async def _run(redis, script: str, *keys_and_args: object) -> object:  # noqa: ANN001
    """EVALSHA (the script's text is sent once per Redis, not with every claim)."""
    try:
        return await redis.evalsha(_SHA[script], _KEYS[script], *keys_and_args)
    except NoScriptError:
        return await redis.eval(script, _KEYS[script], *keys_and_args)


class Verdict(StrEnum):
    OK = "OK"  # taken: the claim goes on to the database
    RATE_LIMITED = "RATE_LIMITED"  # past the person's write budget (nothing else checked)
    SEEN = "SEEN"  # a retry: the database has (or is making) its claim
    LIMIT = "LIMIT"
    SOLD_OUT = "SOLD_OUT"
    MISSING = "MISSING"  # no gate for this deal yet: build it, or wait for its build
    UNKNOWN = "UNKNOWN"  # Redis unreachable: the SQL path


def key(services: Services, deal_id: int) -> str:
    return f"{services.settings.redis_namespace}:claim-gate:{deal_id}"


def keys_of(services: Services, user_id: int) -> str:
    return f"{services.settings.redis_namespace}:claim-keys:{user_id}"


async def take(
    services: Services, deal_id: int, user_id: int, idem: str, writes: Window | None = None
) -> tuple[Verdict, int]:
    """The gate's answer, and the per-person limit when it says LIMIT. `writes`: the person's
    write budget, counted first in the same round trip (UNKNOWN: not counted)."""
    if not services.settings.shared_redis_caches:
        return Verdict.UNKNOWN, 0
    gate = key(services, deal_id)
    try:
        answer = await _run(
            services.redis,
            _TAKE,
            gate,
            keys_of(services, user_id),
            writes.key if writes else gate,  # not touched without a limit
            user_id,
            idem,
            deal_id,
            KEY_SECONDS,
            writes.limit if writes else 0,
            writes.expiry if writes else 0,
        )
        answer = answer.decode() if isinstance(answer, bytes) else str(answer)
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
        await _run(
            services.redis,
            _GIVE_BACK,
            key(services, deal_id),
            keys_of(services, user_id),
            user_id,
            stock,
            held,
            idem,
            deal_id,
        )
    except (RedisError, OSError) as error:  # the gate is rebuilt within GATE_SECONDS
        log.warning("claim gate give-back failed for deal %s: %s", deal_id, error)


async def remember(services: Services, deal_id: int, user_id: int, idem: str) -> None:
    """Index a key whose claim was made on the SQL path (after its commit)."""
    if not services.settings.shared_redis_caches:
        return
    name = keys_of(services, user_id)
    try:
        async with services.redis.pipeline(transaction=False) as pipe:
            pipe.hset(name, idem, deal_id)
            pipe.expire(name, KEY_SECONDS)
            await pipe.execute()
    except (RedisError, OSError) as error:
        log.warning("claim key index write failed for user %s: %s", user_id, error)


_readying: dict[str, asyncio.Task[Build]] = {}  # gate key -> this process's build (or wait)


async def ready(services: Services, deal_id: int) -> Build:
    """The gate built, by this claim or another: one claim per process builds it or waits for
    the process that holds the build lock; the others in the process await that one."""
    name = key(services, deal_id)
    task = _readying.get(name)
    if task is None:
        task = asyncio.ensure_future(_build_or_wait(services, deal_id))
        _readying[name] = task
        task.add_done_callback(lambda _: _readying.pop(name, None))
    return await asyncio.shield(task)


async def _build_or_wait(services: Services, deal_id: int) -> Build:
    built = await build(services, deal_id)
    name = key(services, deal_id)
    deadline = time.monotonic() + BUILD_WAIT_SECONDS
    while built == Build.BUSY and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
        try:
            if await services.redis.exists(name):
                return Build.BUILT
            if not await services.redis.exists(f"{name}:building"):  # that build gave up
                built = await build(services, deal_id)
        except (RedisError, OSError):
            return Build.NONE
    return Build.NONE if built == Build.BUSY else built


async def forget(services: Services, deal_id: int) -> None:
    """Drop the gate (the deal changed): the next claim rebuilds it from the database."""
    try:
        await services.redis.delete(key(services, deal_id))
    except (RedisError, OSError) as error:
        log.warning("claim gate drop failed for deal %s: %s", deal_id, error)


class Build(StrEnum):
    BUILT = "BUILT"
    BUSY = "BUSY"  # another claim is building it: wait for it
    NONE = "NONE"  # no gate (not on offer, or Redis failed): the SQL path


async def build(services: Services, deal_id: int) -> Build:
    """Build the gate from the database unless another claim is building it (or it exists)."""
    name = key(services, deal_id)
    redis = services.redis
    try:
        if not await redis.set(f"{name}:building", 1, nx=True, px=BUILD_LOCK_MS):
            return Build.BUSY
        # Only a deal on offer now gets a gate: a hidden, paused or ended one (or one at a hidden
        # restaurant) takes the SQL path, which answers what it is (NOT_FOUND, ...), never SOLD_OUT.
        on_offer = Deal.filter(visibility.live_deals_q(datetime.now(UTC)), id=deal_id)
        deal = await on_offer.first().values("quantity", "claimed_count", "per_user_limit")
        if deal is None:
            await redis.delete(f"{name}:building")
            return Build.NONE
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
        return Build.BUILT
    except (RedisError, OSError) as error:
        log.warning("claim gate build failed for deal %s: %s", deal_id, error)
        return Build.NONE
