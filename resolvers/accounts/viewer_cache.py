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

Round 5: a viewer new to the process costs no SQL when Redis knows them. The generation lives in
one Redis hash per user (`<namespace>:viewer:<user id>`) next to a *snapshot*: the user's row
(every column but the password hash) as the last database read saw it, tagged with the
generation read before that read and with the sessions that read found alive, and sealed with
AES-GCM under a key from SECRET_KEY and the database's identity, the hash's key (namespace and
user id) as associated data: it can't be read from Redis, edited, moved to another user or
carried over to another database. A request reads both
fields in one HMGET (it replaced the GET); the snapshot is used only if its tag equals the
current generation, it opens, its id is the token's user and the token's session is one it
vouches for. Every change bumps the generation (HINCRBY) and drops the snapshot in one MULTI, so
revocation still takes effect on the next request in every process; a snapshot written late
(after a bump) carries the old tag and is ignored. The snapshot is written only after a database
read made under a generation read first (never at login: that read came before any generation).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from collections import OrderedDict
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from redis.exceptions import RedisError

from core.tokens import TokenClaims, read_token
from models.accounts import Role, User

if TYPE_CHECKING:
    from core.context import Services

log = logging.getLogger("tablemates.sessions")
CACHE_SECONDS = 5.0
MAX_ENTRIES = 10_000
GENERATION_KEEP_SECONDS = 86_400  # far longer than any copy lives
# A snapshot is trusted for at most this long after the read that wrote it: every writer in the
# app bumps the generation, this bounds what a writer past the app (manual SQL) leaves stale.
SNAPSHOT_SECONDS = 3600
MAX_SNAPSHOT_SESSIONS = 32  # sessions one snapshot vouches for (others read the database once)
# Columns a snapshot carries: all of the row but the password hash (read where it's needed).
SNAPSHOT_FIELDS = tuple(name for name in User._meta.fields_db_projection if name != "password_hash")
_DATETIMES = frozenset(
    name for name in SNAPSHOT_FIELDS if type(User._meta.fields_map[name]).__name__ == "DatetimeField"
)

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
    return f"{services.settings.redis_namespace}:viewer:{user_id}"


class State:
    """What Redis holds for a user: the generation and, maybe, a snapshot (still unparsed)."""

    __slots__ = ("generation", "raw")

    def __init__(self, generation: str, raw: bytes | str | None) -> None:
        self.generation = generation
        self.raw = raw


async def state(services: Services, user_id: int) -> State | None:
    """The user's generation and snapshot in one round trip, or None when Redis can't tell
    (then: no cache)."""
    settings = services.settings
    if not (settings.redis_url and settings.shared_redis_caches):
        return None  # in-process fakeredis: other processes (the CLI's delete-user) can't bump it
    try:
        generation, raw = await services.redis.hmget(_key(services, user_id), ("g", "u"))
    except (RedisError, OSError):
        return None
    if isinstance(generation, bytes):
        generation = generation.decode()
    return State(str(generation or "0"), raw)


# Per database: a snapshot written for user 42 of one database must never answer for user 42 of
# another (a database recreated while Redis kept its keys, or two sharing one namespace). The
# time its first migration ran tells databases apart; read once per process at start-up.
_database_epochs: dict[str, str] = {}
_PROCESS_EPOCH = os.urandom(16).hex()  # until (or unless) the database says: nothing is shared
_ciphers: dict[tuple[str, str], AESGCM] = {}  # (secret, epoch) -> its cipher


async def load_database_epoch(services: Services) -> None:
    """Called at start-up (app.py): a snapshot is sealed under this database's identity."""
    from tortoise import connections

    try:
        rows = await connections.get("default").execute_query_dict(
            "SELECT min(applied_at) AS first FROM tortoise_migrations"
        )
        first = rows[0]["first"] if rows else None
    except Exception as error:  # noqa: BLE001 - no migrations table (generated schema): no sharing
        log.info("viewer snapshots stay in this process: %s", error)
        return
    if first is not None:
        _database_epochs[services.settings.database_url] = str(first)


def _cipher(services: Services) -> AESGCM:
    """AES-GCM under a key from SECRET_KEY and the database: Redis holds the snapshot sealed
    (it carries the viewer's email and raw position), and only this code can write one."""
    settings = services.settings
    epoch = _database_epochs.get(settings.database_url, _PROCESS_EPOCH)
    found = _ciphers.get((settings.secret_key, epoch))
    if found is None:
        key = hashlib.sha256(f"viewer-snapshot\n{settings.secret_key}\n{epoch}".encode()).digest()
        found = _ciphers[(settings.secret_key, epoch)] = AESGCM(key)
    return found


def _seal(services: Services, user_id: int, body: bytes) -> str:
    nonce = os.urandom(12)
    sealed = _cipher(services).encrypt(nonce, body, _key(services, user_id).encode())
    return base64.b64encode(nonce + sealed).decode()


def _open(services: Services, user_id: int, raw: str) -> bytes | None:
    """The body if this code sealed it for this user's key under this database, else None."""
    try:
        data = base64.b64decode(raw, validate=True)
        return _cipher(services).decrypt(data[:12], data[12:], _key(services, user_id).encode())
    except (ValueError, InvalidTag):
        return None


def _decode(services: Services, user_id: int, found: State) -> dict | None:
    """The snapshot's content if this code wrote it for this user under the current generation."""
    raw = found.raw
    if not raw:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    body = _open(services, user_id, raw)
    if body is None:
        return None
    try:
        content = json.loads(body)
    except ValueError:
        return None
    if not isinstance(content, dict) or content.get("g") != found.generation:
        return None
    written = content.get("t")
    if not isinstance(written, int) or not 0 <= time.time() - written < SNAPSHOT_SECONDS:
        return None
    row = content.get("u")
    if not isinstance(row, dict) or row.get("id") != user_id:
        return None
    return content


def from_snapshot(
    services: Services, user_id: int, session_id: int | None, found: State | None
) -> User | None:
    """The user as the snapshot has them, if it's valid now and vouches for the session."""
    if found is None:
        return None
    content = _decode(services, user_id, found)
    if content is None:
        return None
    if session_id is not None and session_id not in content.get("s", ()):
        return None
    try:
        row = dict(content["u"])
        for name in _DATETIMES:
            if row.get(name) is not None:
                row[name] = datetime.fromisoformat(row[name])
        row["role"] = Role(row["role"])
        if set(row) != set(SNAPSHOT_FIELDS):
            return None
        return _user_of(row)
    except (KeyError, TypeError, ValueError):
        return None


# Each snapshot column and its field: `User(**row)` converts each value with the field's
# `to_python_value` through Tortoise's `__setattr__` and a defaults pass (43 µs a user, paid by
# every token new to the process); `_user_of` does the same conversions straight into the
# instance (6 µs).
_SNAPSHOT_PLAN = tuple((name, User._meta.fields_map[name]) for name in SNAPSHOT_FIELDS)


def _user_of(row: dict) -> User:
    """The user `User(**row)` builds from snapshot columns, as a saved row without its password
    hash (`_partial`: a save must name its fields). ValueError for a null in a non-null column,
    as `User(**row)` raises it."""
    user = User.__new__(User)
    state = user.__dict__
    state.update(_partial=True, _saved_in_db=True, _custom_generated_pk=True, _await_when_save={})
    for name, field in _SNAPSHOT_PLAN:
        value = row[name]
        if value is None and not field.null:
            raise ValueError(f"{name} is non nullable field, but null was passed")
        state[name] = field.to_python_value(value)
    state["password_hash"] = None  # not in a snapshot: read where it's needed
    return user


async def remember(services: Services, found: State | None, user: User, session_id: int | None) -> None:
    """After a database read made under `found.generation`: write the snapshot, vouching for
    `session_id` too (with those the current snapshot already vouches for)."""
    if found is None:
        return
    current = _decode(services, user.id, found)
    sessions = [s for s in (current or {}).get("s", ()) if isinstance(s, int)]
    if current is not None and (session_id is None or session_id in sessions):
        return  # nothing new to say
    if session_id is not None:
        sessions = [*sessions, session_id][-MAX_SNAPSHOT_SESSIONS:]
    row = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(user, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Role):
            value = value.value
        row[name] = value
    content = {"g": found.generation, "t": int(time.time()), "s": sessions, "u": row}
    body = json.dumps(content, separators=(",", ":")).encode()
    key = _key(services, user.id)
    try:
        async with services.redis.pipeline(transaction=False) as pipe:
            await pipe.hset(key, "u", _seal(services, user.id, body)).expire(
                key, GENERATION_KEEP_SECONDS
            ).execute()
    except (RedisError, OSError) as error:
        log.warning("viewer snapshot write failed for user %s: %s", user.id, error)


def _copy(user: User) -> User:
    """Each request gets its own instance: resolvers may change and save their viewer."""
    mine = User.__new__(User)  # copy.copy's effect (Model has no __copy__/__setstate__), 5x cheaper
    mine.__dict__.update(user.__dict__)
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
            await pipe.hincrby(key, "g", 1).hdel(key, "u").expire(key, GENERATION_KEEP_SECONDS).execute()
    except (RedisError, OSError) as error:  # then readers can't read it either: no cache
        log.warning("viewer generation bump failed for user %s: %s", user_id, error)
