"""Signed-in sessions: one row per device, named by its token; ending them signs devices out.

Every ending is announced on Redis (`session-ended`), so each app process closes the user's
open WebSockets at once (resolvers/accounts/live_sessions.py); HTTP requests stop at `authenticate`,
which checks the row and the user's token version on every request (through a copy kept a few
seconds in resolvers/accounts/viewer_cache.py, dropped at once by every change to the user).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from core import pubsub
from core.context import Services
from core.loaders import Shaped, Slot
from core.tokens import TokenClaims, issue_token
from models.accounts import DeviceSession, User
from resolvers.accounts import viewer_cache

ENDED_TOPIC = "session-ended"
ALL = "all"  # one channel for every user: each process subscribes once

# The viewer's row when no copy or snapshot answers (a token new to Redis: a burst of claimers
# after a deploy), rendered once: Tortoise's query building was most of that request's own CPU.
# A session token's user only while the session row exists; a session-less (tool) token's user.
_SESSION_USER = Shaped(
    User, lambda _: User.filter(id=Slot("user"), device_sessions__id=Slot("session")).limit(1)
)
_USER = Shaped(User, lambda _: User.filter(id=Slot("user")).limit(1))


@dataclass
class Session:
    token: str
    user: User


async def open_session(services: Services, user: User) -> Session:
    """A new device session for `user` and the token that names it."""
    ttl = services.settings.token_ttl_seconds
    now = datetime.now(UTC)
    await DeviceSession.filter(user_id=user.id, expires_at__lte=now).delete()  # tidy as we go
    row = await DeviceSession.create(user_id=user.id, expires_at=now + timedelta(seconds=ttl))
    token = issue_token(services.settings.secret_key, user.id, user.token_version, ttl, row.id)
    user.session_id = row.id
    return Session(token=token, user=user)


async def authenticate(services: Services, token: str | None) -> User | None:
    """The user a bearer token speaks for, or None (bad, expired, signed out, revoked, suspended)."""
    return (await authenticate_why(services, token))[0]


async def authenticate_why(services: Services, token: str | None) -> tuple[User | None, str | None]:
    """`authenticate`, and for a genuine token it refuses, why, when the app should say more
    than "sign in": ACCOUNT_SUSPENDED (a suspension also ends the sessions, hence the refusal).
    Forged or expired tokens never reach the database; the one extra read is for refused
    genuine tokens only."""
    if not token:
        return None, None
    claims = viewer_cache.claims(services.settings.secret_key, token)
    if claims is None:
        return None, None
    user = await _authenticated(services, token, claims)
    if user is not None:
        return user, None
    row = await User.get_or_none(id=claims.user_id).only("id", "suspended_until")
    if row is None or not row.is_suspended(datetime.now(UTC)) or row.is_erased():
        return None, None  # a deleted account signs in no more, but it is no ban
    return None, "ACCOUNT_SUSPENDED"


async def _authenticated(services: Services, token: str, claims: TokenClaims) -> User | None:
    found = await viewer_cache.state(services, claims.user_id)  # before the database
    current = found.generation if found is not None else None
    cached = viewer_cache.get(token, current)
    if cached is not None:
        return cached
    user = viewer_cache.from_snapshot(services, claims.user_id, claims.session_id, found)
    from_database = user is None
    if user is None:
        read, values = (
            (_USER, {"user": claims.user_id})  # a token minted by tools (bench): version-checked only
            if claims.session_id is None
            else (_SESSION_USER, {"user": claims.user_id, "session": claims.session_id})
        )
        rows = await read.rows(None, values)
        user = rows[0] if rows else None
    if from_database and user is not None:
        await viewer_cache.remember(services, found, user, claims.session_id)
    if user is None or user.token_version != claims.version or user.is_suspended(datetime.now(UTC)):
        return None
    user.session_id = claims.session_id
    viewer_cache.keep(token, current, user)
    return user


async def end_session(services: Services, user: User) -> None:
    """Sign out the device `user` was authenticated through (every device for a session-less token)."""
    if user.session_id is None:
        await end_all_sessions(services, user.id)
        return
    await DeviceSession.filter(id=user.session_id, user_id=user.id).delete()
    await announce_ended(services, user.id, user.session_id)


async def end_all_sessions(services: Services, user_id: int, **user_changes: object) -> None:
    """Sign the user out everywhere: every token issued so far stops working. `user_changes`
    (a new password hash) are written in the same transaction."""
    async with in_transaction("default"):
        await User.filter(id=user_id).update(token_version=F("token_version") + 1, **user_changes)
        await DeviceSession.filter(user_id=user_id).delete()
    await announce_ended(services, user_id)


async def announce_ended(services: Services, user_id: int, session_id: int | None = None) -> None:
    """Tell every process to close the user's sockets (of one session, or all of them), and to
    stop using its cached copy of the user (after the caller's commit, before it answers)."""
    await viewer_cache.changed(services, user_id)
    await pubsub.publish(services, ENDED_TOPIC, ALL, {"userId": user_id, "sessionId": session_id})
