"""Redis through redis.asyncio; the embedded default is fakeredis with the same API."""

from __future__ import annotations

import redis.asyncio as redis_asyncio
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from settings import Settings

# After a Redis restart every pooled connection is dead. A command on one fails, the connection
# is dropped and the command retried on a fresh one, so a restart costs callers nothing once
# Redis answers again. While it is down, the retries give up within about a second and callers
# see ConnectionError (UNAVAILABLE / fail open), never a hang.
RETRIES = 2
CONNECT_TIMEOUT_SECONDS = 1.0
# Longer than any single command we send; pub/sub reads pass their own timeout.
SOCKET_TIMEOUT_SECONDS = 5.0
# An idle connection is PINGed before use after this long, so a restart is noticed up front.
HEALTH_CHECK_SECONDS = 15


def make_redis(settings: Settings) -> redis_asyncio.Redis:
    if settings.redis_url:
        return redis_asyncio.Redis.from_url(
            settings.redis_url,
            decode_responses=True,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), RETRIES),
            retry_on_error=[RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError],
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            health_check_interval=HEALTH_CHECK_SECONDS,
        )
    from fakeredis import FakeServer
    from fakeredis.aioredis import FakeRedis

    return FakeRedis(server=FakeServer(), decode_responses=True)
