"""Fixed-window rate limits in Redis, shared by every app process.

When Redis is down, general limits fail open (logged) so the app keeps working; limits that
guard abuse-sensitive paths (logins) pass fail_closed=True and refuse instead.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis.asyncio as redis_asyncio
from redis.exceptions import RedisError

from core.errors import ErrorCode, UserInputError
from core.metrics import REDIS_ERRORS

log = logging.getLogger("tablemates.ratelimit")


@dataclass(frozen=True)
class Window:
    """One action's count in its fixed window, for a Redis script that counts it itself in its
    own round trip (the claim gate), exactly as `RateLimiter.add` would: `INCR key`, then
    `EXPIRE key expiry`; past `limit` the action is refused with `refusal()`."""

    key: str
    limit: int
    window_seconds: int

    @property
    def expiry(self) -> int:
        return self.window_seconds + 1

    def refusal(self) -> UserInputError:
        return _too_many(self.window_seconds)


def _too_many(window_seconds: int) -> UserInputError:
    return UserInputError(ErrorCode.RATE_LIMITED, f"Too many requests; try again in {window_seconds} seconds")


class RateLimiter:
    def __init__(self, redis: redis_asyncio.Redis, enabled: bool = True, namespace: str = "tm") -> None:
        self.redis = redis
        self.namespace = namespace
        self.enabled = enabled
        self.failures = 0

    def _key(self, bucket: str, window_seconds: int) -> str:
        return f"{self.namespace}:rl:{bucket}:{int(time.time()) // window_seconds}"

    def _unavailable(self, error: Exception, fail_closed: bool) -> None:
        """Log a Redis failure; refuse (UNAVAILABLE) when the caller must fail closed."""
        self.failures += 1
        REDIS_ERRORS.labels("ratelimit").inc()
        log.warning("rate limiter unavailable (%s); fail_closed=%s", error, fail_closed)
        if fail_closed:
            raise UserInputError(
                ErrorCode.UNAVAILABLE, "Temporarily unavailable, try again shortly"
            ) from None

    async def add(self, bucket: str, window_seconds: int = 60, *, fail_closed: bool = False) -> int:
        """Count one event in this window; the window's count so far (0 when Redis is down)."""
        key = self._key(bucket, window_seconds)
        try:
            pipe = self.redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, window_seconds + 1)  # as Window.expiry
            count, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            self._unavailable(error, fail_closed)
            return 0
        return int(count)

    async def current(self, bucket: str, window_seconds: int = 60, *, fail_closed: bool = False) -> int:
        """This window's count without adding to it."""
        try:
            value = await self.redis.get(self._key(bucket, window_seconds))
        except (RedisError, OSError) as error:
            self._unavailable(error, fail_closed)
            return 0
        return int(value or 0)

    async def clear(self, bucket: str, window_seconds: int = 60) -> None:
        """Forget this window's count (best effort)."""
        try:
            await self.redis.delete(self._key(bucket, window_seconds))
        except (RedisError, OSError) as error:
            self._unavailable(error, False)

    async def hit(
        self, bucket: str, limit: int, window_seconds: int = 60, *, fail_closed: bool = False
    ) -> None:
        """Count one action; raise RATE_LIMITED past `limit` per window."""
        if not self.enabled or limit <= 0:
            return
        if await self.add(bucket, window_seconds, fail_closed=fail_closed) > limit:
            raise _too_many(window_seconds)

    def window(self, bucket: str, limit: int, window_seconds: int = 60) -> Window | None:
        """What `hit` would count, for a script to count in its own round trip (None: no limit)."""
        if not self.enabled or limit <= 0:
            return None
        return Window(self._key(bucket, window_seconds), limit, window_seconds)
