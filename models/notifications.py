"""Notification preferences, push devices and the push outbox (a Tortoise app of its own).

The inbox rows themselves are `meals.Notification` (they began with meals); this app holds what
delivery to phones needs. The outbox is written in the transaction that stores the notification
(so a rolled-back change pushes nothing) and drained by a job (resolvers/jobs.py).
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import Model


class Platform(StrEnum):
    IOS = "ios"
    ANDROID = "android"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up: permanent error, device gone, or out of attempts


class NotificationPreference(Model):
    """One row per (user, kind) the user changed; no row means both channels on."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField(
        "accounts.User", related_name="notification_preferences", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    in_app = fields.BooleanField(default=True)
    push = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification_preferences"
        unique_together = (("user", "kind"),)


class PushDevice(Model):
    """A phone's push token; a token belongs to one account at a time (the last to register it)."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("accounts.User", related_name="push_devices", on_delete=fields.CASCADE)
    platform = fields.CharEnumField(Platform, max_length=8)
    token = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)
    registered_at = fields.DatetimeField()

    class Meta:
        table = "push_devices"
        unique_together = (("platform", "token"),)


class PushDelivery(Model):
    """One notification to one device: the outbox row, retried with back-off until sent or given up."""

    id = fields.BigIntField(primary_key=True)
    notification = fields.ForeignKeyField(
        "meals.Notification", related_name="push_deliveries", on_delete=fields.CASCADE
    )
    device = fields.ForeignKeyField(
        "notifications.PushDevice", related_name="deliveries", on_delete=fields.CASCADE
    )
    # notification id + device id: the same notification never goes twice to one device, and the
    # provider gets a stable id for it (APNs apns-id) so a retry after a lost answer is one alert.
    idempotency_key = fields.CharField(max_length=64, unique=True)
    status = fields.CharEnumField(DeliveryStatus, max_length=8, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=200, default="")
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "push_outbox"
        indexes = (("status", "next_attempt_at"),)
