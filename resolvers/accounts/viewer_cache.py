"""The viewer of a bearer token, kept in process memory for a few seconds (issue 18).

Authentication read the session and its user (a join, ~2 ms) on every request. Here the user a
token resolved to is kept for CACHE_SECONDS, tagged with the user's *generation*, a counter in
Redis that every change to the user (sign-out, password change, suspension, profile and
location edits) bumps before it answers. Each request reads the generation (one Redis GET,
~0.1 ms) and uses its copy only if the generation is unchanged, so a revocation takes effect on
the next request in every process, not after the cache time. Writers bump after their commit;
readers read the generation before the database, so a copy is never tagged newer than its data.
With Redis unreachable, or without REDIS_URL (an in-process fakeredis that `app.py delete-user`
in another process could not bump), nothing is cached: every request reads the database.

A token's signature is checked once: its claims (signed data, not the state of the user) are
kept by token text, and only their expiry is checked again on later requests.
"""

from __future__ import annotations

import copy
import logging
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from core.tokens import TokenClaims, read_token
from models.accounts import User

if TYPE_CHECKING:
    from core.context import Services

log = logging.getLogger("tablemates.sessions")
CACHE_SECONDS = 5.0
MAX_ENTRIES = 10_000
GENERATION_KEEP_SECONDS = 86_400  # far longer than any copy lives

# token -> (good until (monotonic), generation, user)
_copies: OrderedDict[str, tuple[float, str, User]] = OrderedDict()
# (secret, token) -> the claims of a token whose signature was checked
_verified: OrderedDict[tuple[str, str], TokenClaims] = OrderedDict()


def claims(secret: str, token: str) -> TokenClaims | None:
    """`read_token`, its signature checked once per token text (expiry every time)."""
    key = (secret, token)
    found = _verified.get(key)
    if found is None:
        found = read_token(secret, token)
        if found is None:
            return None  # bad tokens are not kept: only signed ones can fill the table
        _verified[key] = found
        while len(_verified) > MAX_ENTRIES:
            _verified.popitem(last=False)
    if found.expires_at <= time.time():
        _verified.pop(key, None)
        return None
    return found


def _key(services: Services, user_id: int) -> str:
    return f"{services.settings.redis_namespace}:viewer-gen:{user_id}"


async def generation(services: Services, user_id: int) -> str | None:
    """The user's current generation, or None when Redis can't tell (then: no cache)."""
    settings = services.settings
    if not (settings.redis_url and settings.shared_redis_caches):
        return None  # in-process fakeredis: other processes (the CLI's delete-user) can't bump it
    try:
        return str(await services.redis.get(_key(services, user_id)) or "0")
    except (RedisError, OSError):
        return None


def _copy(user: User) -> User:
    """Each request gets its own instance: resolvers may change and save their viewer."""
    mine = copy.copy(user)
    for name in ("cuisines", "dietary"):
        value = getattr(user, name, None)
        if isinstance(value, list):
            setattr(mine, name, list(value))
    return mine


def get(token: str, current: str | None) -> User | None:
    if current is None:
        return None
    entry = _copies.get(token)
    if entry is None or entry[0] < time.monotonic() or entry[1] != current:
        return None
    return _copy(entry[2])


def keep(token: str, current: str | None, user: User) -> None:
    if current is None:
        return
    _copies[token] = (time.monotonic() + CACHE_SECONDS, current, _copy(user))
    _copies.move_to_end(token)
    while len(_copies) > MAX_ENTRIES:
        _copies.popitem(last=False)


async def changed(services: Services, user_id: int) -> None:
    """The user changed (or lost a session): every process drops its copies on the next request."""
    key = _key(services, user_id)
    try:
        async with services.redis.pipeline(transaction=True) as pipe:
            await pipe.incr(key).expire(key, GENERATION_KEEP_SECONDS).execute()
    except (RedisError, OSError) as error:  # then readers can't read it either: no cache
        log.warning("viewer generation bump failed for user %s: %s", user_id, error)
