"""Fixed-window rate limits in Redis, shared by every app process.

When Redis is down, general limits fail open (logged) so the app keeps working; limits that
guard abuse-sensitive paths (logins) pass fail_closed=True and refuse instead.
"""

from __future__ import annotations

import logging
import time

import redis.asyncio as redis_asyncio
from redis.exceptions import RedisError

from resolvers.errors import ErrorCode, UserInputError
from resolvers.metrics import REDIS_ERRORS

log = logging.getLogger("tablemates.ratelimit")


class RateLimiter:
    def __init__(self, redis: redis_asyncio.Redis, enabled: bool = True, namespace: str = "tm") -> None:
        self.redis = redis
        self.namespace = namespace
        self.enabled = enabled
        self.failures = 0

    async def hit(
        self, bucket: str, limit: int, window_seconds: int = 60, *, fail_closed: bool = False
    ) -> None:
        """Count one action; raise RATE_LIMITED past `limit` per window."""
        if not self.enabled or limit <= 0:
            return
        window = int(time.time()) // window_seconds
        key = f"{self.namespace}:rl:{bucket}:{window}"
        try:
            pipe = self.redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, window_seconds + 1)
            count, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            self.failures += 1
            REDIS_ERRORS.labels("ratelimit").inc()
            log.warning("rate limiter unavailable (%s); fail_closed=%s", error, fail_closed)
            if fail_closed:
                raise UserInputError(
                    ErrorCode.UNAVAILABLE, "Temporarily unavailable, try again shortly"
                ) from None
            return
        if int(count) > limit:
            raise UserInputError(
                ErrorCode.RATE_LIMITED, f"Too many requests; try again in {window_seconds} seconds"
            )
