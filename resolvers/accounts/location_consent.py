"""Consent to location use (PIPL: location is sensitive personal information).

`updateLocation` is accepted only from a diner who consented to the current version of the
location notice (LOCATION_NOTICE_VERSION); a new notice needs a new consent. Each grant is kept
as a record (when, which version); withdrawing stamps the record, erases the stored point and
removes it from the geo index in the same transaction. Only the current point is ever stored
(users.lat/lng and one geo_points row, both overwritten in place): there is no location history.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from core.atomic import lock_row
from core.context import Context
from core.errors import ErrorCode, UserInputError
from models.accounts import User
from models.privacy import LocationConsent
from resolvers.accounts import viewer_cache
from resolvers.accounts.accounts import DINER_KIND, Session, register, write_limit


def check_version(ctx: Context, version: str, field: str = "noticeVersion") -> None:
    current = ctx.settings.location_notice_version
    if version != current:
        raise UserInputError(ErrorCode.INVALID, f"The location notice in force is version {current}", field)


async def current(ctx: Context, user_id: int) -> LocationConsent | None:
    """The consent in force: not withdrawn, to the notice in force."""
    return (
        await LocationConsent.filter(
            user_id=user_id, withdrawn_at__isnull=True, notice_version=ctx.settings.location_notice_version
        )
        .order_by("-granted_at")
        .first()
    )


async def require(ctx: Context, user_id: int) -> None:
    if await current(ctx, user_id) is None:
        raise UserInputError(
            ErrorCode.LOCATION_CONSENT_REQUIRED,
            "Agree to the location notice (grantLocationConsent) before sharing your location",
            "lat",
        )


async def _grant(ctx: Context, user_id: int, version: str) -> LocationConsent:
    found = await current(ctx, user_id)
    if found is not None:  # consenting again to the same notice: the first record stands
        return found
    return await LocationConsent.create(user_id=user_id, notice_version=version, granted_at=datetime.now(UTC))


async def grant(ctx: Context, version: str) -> LocationConsent:
    viewer = await write_limit(ctx, "consent")
    check_version(ctx, version)
    return await _grant(ctx, viewer.id, version)


async def register_consenting(
    ctx: Context, email: str, password: str, display_name: str, account_type: str, version: str | None
) -> Session:
    """Sign-up, with the location consent given on the sign-up screen when `version` is set."""
    if version is not None:
        check_version(ctx, version, "locationConsentVersion")
    session = await register(ctx, email, password, display_name, account_type)
    if version is not None:
        await _grant(ctx, session.user.id, version)
    return session


async def withdraw(ctx: Context) -> User:
    """Consent withdrawn: the point is erased and leaves the nearby index at once."""
    viewer = await write_limit(ctx, "consent")
    now = datetime.now(UTC)
    async with in_transaction("default"):
        await lock_row("users", viewer.id, "id", strength="NO KEY UPDATE")  # after any updateLocation
        await LocationConsent.filter(user_id=viewer.id, withdrawn_at__isnull=True).update(withdrawn_at=now)
        await User.filter(id=viewer.id).update(lat=None, lng=None, location_updated_at=None)
        await ctx.services.geo.remove(DINER_KIND, viewer.id)
    await viewer_cache.changed(ctx.services, viewer.id)
    viewer.lat = viewer.lng = viewer.location_updated_at = None
    return viewer


async def history(user_id: int) -> list[LocationConsent]:
    return await LocationConsent.filter(user_id=user_id).order_by("id")
