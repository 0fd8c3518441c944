"""This process's open WebSockets by user, closed when their session ends anywhere.

One listener per process hears `session-ended` on Redis and closes the matching sockets
within milliseconds. Two gaps are covered besides: a socket whose authentication raced a
revocation (checked against revocations heard since it started), and messages lost while
Redis was away (every SESSION_RECHECK_SECONDS, and after each reconnect, the open sockets'
sessions are re-checked in the database).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import RedisError

from core.pubsub import channel
from models.accounts import DeviceSession, User
from resolvers.accounts.sessions import ALL, ENDED_TOPIC

if TYPE_CHECKING:
    from core.context import Services

log = logging.getLogger("tablemates.sessions")
REMEMBER_SECONDS = 60.0
SUBSCRIBE_WAIT_SECONDS = 2.0


class Closable(Protocol):
    async def end_session(self) -> None: ...


@dataclass(frozen=True)
class Holder:
    user_id: int
    session_id: int | None
    version: int


class LiveSessions:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._open: dict[Closable, Holder] = {}
        self._ended: list[tuple[float, int, int | None]] = []  # (heard at, user, session)
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> float:
        """Make sure this process listens; the moment to check later revocations from."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen())
        with contextlib.suppress(TimeoutError):  # Redis down: the periodic re-check covers it
            await asyncio.wait_for(self._subscribed.wait(), SUBSCRIBE_WAIT_SECONDS)
        return time.monotonic()

    async def add(self, socket: Closable, user: User, since: float) -> None:
        """Track an authenticated socket; close it at once if its session ended since `since`."""
        holder = Holder(user.id, user.session_id, user.token_version)
        self._open[socket] = holder
        if any(at >= since and self._matches(holder, uid, sid) for at, uid, sid in self._ended):
            await self._close(socket)

    def open_for(self, user_id: int) -> int:
        """How many sockets the user holds on this process."""
        return sum(holder.user_id == user_id for holder in self._open.values())

    def discard(self, socket: Closable) -> None:
        self._open.pop(socket, None)

    @staticmethod
    def _matches(holder: Holder, user_id: int, session_id: int | None) -> bool:
        return holder.user_id == user_id and session_id in (None, holder.session_id)

    async def ended(self, user_id: int, session_id: int | None) -> None:
        """A session (or all of a user's sessions) ended: close the matching sockets here."""
        now = time.monotonic()
        self._ended = [e for e in self._ended if now - e[0] < REMEMBER_SECONDS]
        self._ended.append((now, user_id, session_id))
        for socket, holder in list(self._open.items()):
            if self._matches(holder, user_id, session_id):
                await self._close(socket)

    async def _close(self, socket: Closable) -> None:
        self.discard(socket)
        try:
            await socket.end_session()
        except Exception:  # noqa: BLE001 - a socket already gone must not stop the others
            log.debug("closing a socket failed", exc_info=True)

    async def recheck(self) -> None:
        """Close sockets whose session no longer holds in the database."""
        holders = list(self._open.items())
        if not holders:
            return
        users = {
            row["id"]: row
            for row in await User.filter(id__in={h.user_id for _, h in holders}).values(
                "id", "token_version", "suspended_until"
            )
        }
        session_ids = {h.session_id for _, h in holders if h.session_id is not None}
        alive = set(await DeviceSession.filter(id__in=session_ids).values_list("id", flat=True))
        now = datetime.now(UTC)
        for socket, holder in holders:
            user = users.get(holder.user_id)
            if (
                user is None
                or user["token_version"] != holder.version
                or (user["suspended_until"] is not None and user["suspended_until"] > now)
                or (holder.session_id is not None and holder.session_id not in alive)
            ):
                await self._close(socket)

    async def _listen(self) -> None:
        """Hear `session-ended` for as long as the process lives, reconnecting after failures."""
        settings = self.services.settings
        name = channel(settings.redis_namespace, ENDED_TOPIC, ALL)
        every = settings.session_recheck_seconds or 30
        while True:
            pubsub = self.services.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(name)
                self._subscribed.set()
                await self._safe_recheck()  # anything missed while not subscribed
                next_check = time.monotonic() + every
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        await self._on_message(message["data"])
                    if time.monotonic() >= next_check:
                        await self._safe_recheck()
                        next_check = time.monotonic() + every
            except (RedisError, OSError) as error:
                self._subscribed.clear()
                log.warning("session-ended listener lost Redis (%s); retrying", error)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    async def _on_message(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
            user_id, session_id = int(message["userId"]), message.get("sessionId")
        except (TypeError, ValueError, KeyError):
            return
        await self.ended(user_id, int(session_id) if session_id is not None else None)

    async def _safe_recheck(self) -> None:
        try:
            await self.recheck()
        except Exception:  # noqa: BLE001 - a database hiccup must not kill the listener
            log.warning("session re-check failed", exc_info=True)
