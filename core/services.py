"""Open and close the process-wide services (Redis, storage, geo) for the app and the CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from core.context import Services
from core.passwords import Passwords
from core.providers import close_payments, make_payments
from core.ratelimit import RateLimiter
from core.redis_client import make_redis
from geo import make_geo_index
from media import make_storage
from settings import Settings


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    redis = make_redis(settings)
    storage = make_storage(settings)
    ensure_bucket = getattr(storage, "ensure_bucket", None)
    if ensure_bucket is not None and settings.env != "production":
        await ensure_bucket()
    services = Services(
        settings=settings,
        redis=redis,
        storage=storage,
        geo=make_geo_index(settings.is_postgres, settings.read_connection),
        passwords=Passwords(settings.argon2_time_cost, settings.argon2_memory_kib),
        limiter=RateLimiter(redis, namespace=settings.redis_namespace),
        payments=make_payments(settings),  # PAYMENT_PROVIDER: test, wechatpay or alipay
    )
    try:
        yield services
    finally:
        await close_payments(services.payments)
        await redis.aclose()
