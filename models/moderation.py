"""Reports about content or people, and the audit log of every moderation action."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import Model


class ReportStatus(StrEnum):
    OPEN = "open"
    ACTIONED = "actioned"
    DISMISSED = "dismissed"


class ReportReason(StrEnum):
    SPAM = "spam"
    HARASSMENT = "harassment"
    HATE = "hate"
    SEXUAL = "sexual"
    VIOLENCE = "violence"
    FAKE_REVIEW = "fake_review"
    SCAM = "scam"
    PRIVACY = "privacy"
    OTHER = "other"


class Report(Model):
    id = fields.BigIntField(primary_key=True)
    # Null for reports the system raises itself (bursts, repeated text).
    reporter = fields.ForeignKeyField(
        "accounts.User", related_name="reports_made", null=True, on_delete=fields.SET_NULL
    )
    target_type = fields.CharField(max_length=24)  # the GraphQL type name: Review, Photo, User...
    target_id = fields.BigIntField()
    reason = fields.CharEnumField(ReportReason, max_length=16)
    note = fields.CharField(max_length=500, default="")
    status = fields.CharEnumField(ReportStatus, max_length=16, default=ReportStatus.OPEN, db_index=True)
    # 1 while open, null once closed: unique with reporter and target, so one open report each.
    open_marker = fields.SmallIntField(null=True, default=1)
    automatic = fields.BooleanField(default=False)
    resolved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "reports"
        unique_together = (("reporter", "target_type", "target_id", "open_marker"),)
        indexes = (("target_type", "target_id", "status"),)


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    moderator = fields.ForeignKeyField(
        "accounts.User", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    action = fields.CharField(max_length=24)
    target_type = fields.CharField(max_length=24)
    target_id = fields.BigIntField()
    report = fields.ForeignKeyField(
        "moderation.Report", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    note = fields.CharField(max_length=1000, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "audit_log"
