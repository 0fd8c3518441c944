"""Shared model pieces: timestamps in UTC."""

from __future__ import annotations

from tortoise import fields


class CreatedAtMixin:
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
