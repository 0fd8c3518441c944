"""Accounts: who a person is, how they sign in, and what they like to eat."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from tortoise import fields

from models.base import Model

# Deleting an account suspends it until here (resolvers/accounts/personal_data.py).
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


class Role(StrEnum):
    DINER = "diner"
    RESTAURANT = "restaurant"
    MODERATOR = "moderator"
    ADMIN = "admin"


class User(Model):
    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    display_name = fields.CharField(max_length=64)
    role = fields.CharEnumField(Role, max_length=16, default=Role.DINER)
    bio = fields.CharField(max_length=500, default="")
    cuisines: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    dietary: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    spice_level = fields.SmallIntField(null=True)
    budget_level = fields.SmallIntField(null=True)
    # Raw position: private to its owner; others only ever see geo/'s obfuscated point.
    lat = fields.FloatField(null=True)
    lng = fields.FloatField(null=True)
    location_updated_at = fields.DatetimeField(null=True)
    discoverable = fields.BooleanField(default=True)
    timezone = fields.CharField(max_length=64, default="Asia/Shanghai")
    suspended_until = fields.DatetimeField(null=True)
    # Their reviews are out of the dish and restaurant counters (suspended; see
    # resolvers/reviews/withdrawal.py). Set and cleared only by that module's conditional updates.
    counts_withdrawn = fields.BooleanField(default=False)
    # Bumped to revoke every token issued before (logout everywhere, suspension).
    token_version = fields.IntField(default=0)
    last_active_at = fields.DatetimeField(null=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    # Not stored: the signed-in session this instance was authenticated through (see sessions).
    session_id: int | None = None

    class Meta:
        table = "users"

    def is_suspended(self, now: datetime) -> bool:
        return self.suspended_until is not None and self.suspended_until > now

    def is_erased(self) -> bool:
        """Deleted by its owner: suspended for good (no moderation brings it back; it is no ban)."""
        return self.suspended_until is not None and self.suspended_until >= FAR_FUTURE


class DeviceSession(Model):
    """One signed-in device: its token names this row, so signing out deletes just it."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="device_sessions", on_delete=fields.CASCADE, db_index=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "sessions"
