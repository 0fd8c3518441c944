"""Live updates through Redis pub/sub, so a subscriber on any app process hears every event.

Messages are small JSON objects naming what changed (ids, not whole objects): each subscriber
re-reads the object with its own permissions before sending it on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from core.metrics import REDIS_ERRORS, SUBSCRIPTIONS

if TYPE_CHECKING:
    from core.context import Services

log = logging.getLogger("tablemates.pubsub")


def channel(namespace: str, topic: str, key: object) -> str:
    return f"{namespace}:{topic}:{key}"


async def publish(services: Services, topic: str, key: object, message: dict[str, Any]) -> None:
    """Best effort: a lost live update must never fail the write that caused it."""
    try:
        await services.redis.publish(
            channel(services.settings.redis_namespace, topic, key), json.dumps(message)
        )
    except (RedisError, OSError) as error:
        REDIS_ERRORS.labels("publish").inc()
        log.warning("publish to %s:%s failed: %s", topic, key, error)


async def listen(services: Services, topic: str, key: object) -> AsyncIterator[dict[str, Any]]:
    """Messages published on (topic, key) from now on, until the subscriber goes away."""
    pubsub = services.redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel(services.settings.redis_namespace, topic, key))
    SUBSCRIPTIONS.inc()
    try:
        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message is None or message.get("type") != "message":
                continue
            try:
                yield json.loads(message["data"])
            except (TypeError, ValueError):
                continue
    finally:
        SUBSCRIPTIONS.dec()
        try:
            await pubsub.unsubscribe()
            await pubsub.aclose()
        except (RedisError, OSError):
            pass
