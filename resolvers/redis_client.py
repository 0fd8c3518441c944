"""Redis through redis.asyncio; the embedded default is fakeredis with the same API."""

from __future__ import annotations

import redis.asyncio as redis_asyncio

from settings import Settings


def make_redis(settings: Settings) -> redis_asyncio.Redis:
    if settings.redis_url:
        return redis_asyncio.Redis.from_url(settings.redis_url, decode_responses=True)
    from fakeredis import FakeServer
    from fakeredis.aioredis import FakeRedis

    return FakeRedis(server=FakeServer(), decode_responses=True)
