"""Open and close the process-wide services (Redis, storage, geo) for the app and the CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from core.apns import APNsConfig, APNsProvider
from core.context import Services
from core.passwords import Passwords
from core.providers import close_payments, make_payments
from core.push import PushProvider, UnconfiguredProvider
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
        push=make_push_providers(settings),
    )
    try:
        yield services
    finally:
        await close_payments(services.payments)
        for provider in services.push.values():
            await provider.aclose()
        await redis.aclose()


def make_push_providers(settings: Settings) -> dict[str, PushProvider]:
    """APNs when its four settings are given; Android is a stub until a vendor channel is added."""
    providers: dict[str, PushProvider] = {
        "ios": UnconfiguredProvider("APNs is not configured (APNS_KEY_FILE, APNS_KEY_ID, ...)"),
        "android": UnconfiguredProvider("no Android push channel yet (stub)"),
    }
    names = (settings.apns_key_file, settings.apns_key_id, settings.apns_team_id, settings.apns_topic)
    if all(names):
        with open(settings.apns_key_file, "rb") as key:  # type: ignore[arg-type]
            key_pem = key.read()
        providers["ios"] = APNsProvider(
            APNsConfig(
                key_pem=key_pem,
                key_id=settings.apns_key_id,  # type: ignore[arg-type]
                team_id=settings.apns_team_id,  # type: ignore[arg-type]
                topic=settings.apns_topic,  # type: ignore[arg-type]
                base_url=settings.apns_url,
                ca_file=settings.apns_ca_file,
            )
        )
    return providers
