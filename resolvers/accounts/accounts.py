"""Accounts: registration, sign-in, tokens, profile and location."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.atomic import lock_row
from core.context import Context, Services
from core.error_text import at_most, between, suspended_until, too_long, unknown_tags
from core.errors import Collector, ErrorCode, UserInputError
from core.loaders import rows_of
from core.nearby import check_coordinates
from core.ratelimit import Window
from core.schedule import check_time_zone
from core.text import check_body, check_visible_text
from geo.privacy import obfuscate
from models.accounts import Role, User
from resolvers.accounts import viewer_cache
from resolvers.accounts.login_throttle import LoginThrottle, account_key
from resolvers.accounts.sessions import Session, authenticate, end_all_sessions, end_session, open_session
from resolvers.foodies.tastes import (
    BUDGET_RANGE,
    CUISINE_BY_NAME,
    DIETARY_BY_NAME,
    MAX_TAGS,
    SPICE_RANGE,
    known_tags,
)

__all__ = ["Session", "authenticate"]  # the endpoint authenticates through accounts

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD = 8
DINER_KIND = "diner"


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def user_by_email(email: str) -> User | None:
    """The account with this email; None for anything that can't be a stored email."""
    email = normalise_email(email)
    if not email or len(email) > 254:
        return None
    return await User.get_or_none(email=email)


def check_password_strength(password: str, collector: Collector) -> None:
    if len(password) < MIN_PASSWORD:
        collector.add("password", ErrorCode.WEAK_PASSWORD, f"At least {MIN_PASSWORD} characters")
    elif len(set(password)) < 4 or password.isdigit():
        collector.add("password", ErrorCode.WEAK_PASSWORD, "Too easy to guess")
    elif len(password) > 256:
        collector.add("password", ErrorCode.TOO_LONG, too_long(256))


def check_display_name(name: str, collector: Collector) -> str:
    name = name.strip()
    if not name:
        collector.add("displayName", ErrorCode.INVALID, "Display name is required")
    elif len(name) > 64:
        collector.add("displayName", ErrorCode.TOO_LONG, too_long(64))
    else:
        check_visible_text(name, "displayName", collector)
    return name


async def create_account(
    services: Services, email: str, password: str, display_name: str, role: Role
) -> User:
    """Validate and create a user; used by register and the CLI."""
    collector = Collector()
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        collector.add("email", ErrorCode.INVALID_EMAIL, "Enter a valid email address")
    check_password_strength(password, collector)
    display_name = check_display_name(display_name, collector)
    collector.raise_if_any()
    password_hash = await services.passwords.hash(password)
    try:
        return await User.create(
            email=email, password_hash=password_hash, display_name=display_name, role=role
        )
    except IntegrityError:
        raise UserInputError(ErrorCode.EMAIL_TAKEN, "An account with this email exists", "email") from None


async def register(ctx: Context, email: str, password: str, display_name: str, account_type: str) -> Session:
    await ctx.services.limiter.hit(
        f"register:{ctx.client_ip}", ctx.settings.rate_limit_registrations_per_hour, 3600
    )
    role = Role.RESTAURANT if account_type == "RESTAURANT" else Role.DINER
    user = await create_account(ctx.services, email, password, display_name, role)
    return await open_session(ctx.services, user)


async def login(ctx: Context, email: str, password: str) -> Session:
    """Same work and same answer for an unknown email and a wrong password."""
    email = normalise_email(email)
    throttle = LoginThrottle(ctx, account_key(email))
    await throttle.admit()
    user = await user_by_email(email)
    ok = await ctx.services.passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None:
        await throttle.failed()
        raise UserInputError(ErrorCode.INVALID_CREDENTIALS, "Wrong email or password")
    await throttle.succeeded()
    if user.is_suspended(datetime.now(UTC)):
        ends = suspended_until(user.suspended_until, user.timezone)
        raise UserInputError(ErrorCode.ACCOUNT_SUSPENDED, ends)
    return await open_session(ctx.services, user)


async def logout(ctx: Context) -> None:
    """Sign out this device: its token stops working and its open sockets close."""
    await end_session(ctx.services, await write_limit(ctx, "session"))
    signed_out(ctx)


async def logout_everywhere(ctx: Context) -> None:
    """Sign out every device of the viewer, this one included."""
    viewer = await write_limit(ctx, "session")
    await end_all_sessions(ctx.services, viewer.id)
    signed_out(ctx)


def signed_out(ctx: Context) -> None:
    """The request's token no longer speaks for anyone: the rest of the document (the mutations
    after this one run in order, on this context) runs anonymous, as the next request would."""
    ctx.viewer = None


async def change_password(ctx: Context, current_password: str, new_password: str) -> Session:
    """New password; every other device is signed out and this one gets a fresh token.
    Wrong current passwords count against the same budgets as sign-in guesses."""
    viewer = await write_limit(ctx, "password", fail_closed=True)
    throttle = LoginThrottle(ctx, account_key(viewer.email))
    await throttle.admit()
    if not await ctx.services.passwords.verify(await password_hash_of(viewer.id), current_password):
        await throttle.failed()
        raise UserInputError(ErrorCode.INVALID_CREDENTIALS, "Wrong password", "currentPassword")
    await throttle.succeeded()
    collector = Collector()
    check_password_strength(new_password, collector)
    collector.raise_if_any()
    password_hash = await ctx.services.passwords.hash(new_password)
    await end_all_sessions(ctx.services, viewer.id, password_hash=password_hash)
    return await open_session(ctx.services, await User.get(id=viewer.id))


async def password_hash_of(user_id: int) -> str | None:
    """Read where it's checked: the viewer may come from its Redis snapshot, which has none."""
    return await User.filter(id=user_id).first().values_list("password_hash", flat=True)


def _write_bucket(user_id: int) -> str:
    return f"write:{user_id}"


def write_window(ctx: Context) -> Window | None:
    """The viewer's per-minute write budget as `write_limit` counts it, for a Redis script that
    counts it in its own round trip (the claim gate's); None when writes are not limited."""
    viewer = ctx.require_viewer()
    return ctx.services.limiter.window(
        _write_bucket(viewer.id), ctx.settings.rate_limit_writes_per_minute, 60
    )


async def write_limit(
    ctx: Context, action: str, *, per_hour: int | None = None, fail_closed: bool = False
) -> User:
    """The viewer, after counting one write against their per-minute budget and, with `per_hour`,
    one `action` against that hourly budget. `fail_closed` refuses when Redis is down."""
    viewer = ctx.require_viewer()
    limiter = ctx.services.limiter
    await limiter.hit(
        _write_bucket(viewer.id), ctx.settings.rate_limit_writes_per_minute, 60, fail_closed=fail_closed
    )
    if per_hour is not None:
        await limiter.hit(f"{action}:{viewer.id}", per_hour, 3600, fail_closed=fail_closed)
    return viewer


def _check_tags(field: str, tags: list[str], names: dict[str, str], collector: Collector) -> list[str]:
    cleaned, unknown = known_tags(tags, names)  # slugs (sichuan) or Chinese labels (川菜)
    if unknown:
        collector.add(field, ErrorCode.UNKNOWN_TAG, unknown_tags("Unknown tags", unknown))
    if len(cleaned) > MAX_TAGS:
        collector.add(field, ErrorCode.OUT_OF_RANGE, at_most(f"At most {MAX_TAGS} tags", MAX_TAGS))
    return cleaned


def _check_range(field: str, value: int | None, bounds: tuple[int, int], collector: Collector) -> None:
    if value is not None and not bounds[0] <= value <= bounds[1]:
        collector.add(
            field, ErrorCode.OUT_OF_RANGE, between(f"Must be between {bounds[0]} and {bounds[1]}", *bounds)
        )


@dataclass
class ProfileChanges:
    display_name: str | None = None
    bio: str | None = None
    cuisines: list[str] | None = None
    dietary: list[str] | None = None
    spice_level: int | None = None
    budget_level: int | None = None
    discoverable: bool | None = None
    timezone: str | None = None


async def update_profile(ctx: Context, changes: ProfileChanges) -> User:
    viewer = await write_limit(ctx, "profile")
    collector = Collector()
    updates: dict[str, object] = {}
    if changes.display_name is not None:
        updates["display_name"] = check_display_name(changes.display_name, collector)
    if changes.bio is not None:
        updates["bio"] = check_body(changes.bio, "bio", 500, collector)
    if changes.cuisines is not None:
        updates["cuisines"] = _check_tags("cuisines", changes.cuisines, CUISINE_BY_NAME, collector)
    if changes.dietary is not None:
        updates["dietary"] = _check_tags("dietary", changes.dietary, DIETARY_BY_NAME, collector)
    if changes.spice_level is not None:
        _check_range("spiceLevel", changes.spice_level, SPICE_RANGE, collector)
        updates["spice_level"] = changes.spice_level
    if changes.budget_level is not None:
        _check_range("budgetLevel", changes.budget_level, BUDGET_RANGE, collector)
        updates["budget_level"] = changes.budget_level
    if changes.timezone is not None:
        check_time_zone(changes.timezone, "timezone", collector)
        updates["timezone"] = changes.timezone
    if changes.discoverable is not None:
        updates["discoverable"] = changes.discoverable
    collector.raise_if_any()
    for name, value in updates.items():
        setattr(viewer, name, value)
    viewer.last_active_at = datetime.now(UTC)
    fields = [*updates.keys(), "last_active_at"]
    if "discoverable" in updates:  # the only change here that moves the diner's indexed point
        async with in_transaction("default"):
            # The point as stored now, under the row lock a consent withdrawal takes: the viewer
            # read at sign-in may still hold a position withdrawn since, to be indexed again.
            stored = await lock_row("users", viewer.id, "lat, lng", strength="NO KEY UPDATE")
            if stored is not None:
                viewer.lat, viewer.lng = stored["lat"], stored["lng"]
            await viewer.save(update_fields=fields)
            await sync_diner_point(ctx, viewer)
    else:  # one UPDATE: no transaction, no index write (issue 18: 5 statements -> 1)
        await viewer.save(update_fields=fields)
    await viewer_cache.changed(ctx.services, viewer.id)
    return viewer


async def update_location(ctx: Context, lat: float, lng: float) -> User:
    from resolvers.accounts import location_consent  # it builds on this module

    viewer = await write_limit(ctx, "location")
    now = datetime.now(UTC)
    async with in_transaction("default"):
        # The consent is read under the diner's row lock, which withdrawing takes too: a
        # withdrawal can't land between the check and the write and leave a point behind.
        await lock_row("users", viewer.id, "id", strength="NO KEY UPDATE")
        await location_consent.require(ctx, viewer.id)
        check_coordinates(lat, lng)
        viewer.lat, viewer.lng = lat, lng
        viewer.location_updated_at = now
        viewer.last_active_at = now
        await viewer.save(update_fields=["lat", "lng", "location_updated_at", "last_active_at"])
        await sync_diner_point(ctx, viewer)
    await viewer_cache.changed(ctx.services, viewer.id)
    return viewer


async def sync_diner_point(ctx: Context, user: User) -> None:
    """Index the diner's obfuscated point while discoverable; drop it otherwise. Only diners are
    foodies: a restaurant's or a moderator's account is never among nearbyFoodies."""
    geo = ctx.services.geo
    if user.role == Role.DINER and user.discoverable and user.lat is not None and user.lng is not None:
        lat, lng = obfuscate(user.lat, user.lng, user.id, secret=ctx.services.settings.secret_key)
        await geo.upsert(DINER_KIND, user.id, lat, lng)
    else:
        await geo.remove(DINER_KIND, user.id)


# Users by id, whatever their state: the one loader every user relation shares (visibility
# applies resolvers/visibility's user rule on top).
load_users = rows_of(User)


def is_moderator(user: User | None) -> bool:
    """Moderators and admins: who may see hidden content and act on reports."""
    return user is not None and user.role in (Role.MODERATOR, Role.ADMIN)
