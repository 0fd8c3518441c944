"""Consent records under PIPL (a Tortoise app of its own): location is sensitive information.

A row is one grant of consent to one version of the notice; withdrawing stamps `withdrawn_at`.
Rows are kept (when, which version) as the record of consent; they hold no location.
"""

from __future__ import annotations

from tortoise import fields

from models.base import Model


class LocationConsent(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("accounts.User", related_name="location_consents", on_delete=fields.CASCADE)
    notice_version = fields.CharField(max_length=32)
    granted_at = fields.DatetimeField()
    withdrawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "location_consents"
        indexes = (("user_id", "withdrawn_at"),)
