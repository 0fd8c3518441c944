"""The social graph: follows, blocks and match requests between diners."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import Model


class Follow(Model):
    id = fields.BigIntField(primary_key=True)
    follower = fields.ForeignKeyField(
        "accounts.User", related_name="following_links", on_delete=fields.CASCADE
    )
    followee = fields.ForeignKeyField(
        "accounts.User", related_name="follower_links", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "follows"
        unique_together = (("follower", "followee"),)


class Block(Model):
    id = fields.BigIntField(primary_key=True)
    blocker = fields.ForeignKeyField("accounts.User", related_name="blocks_made", on_delete=fields.CASCADE)
    blocked = fields.ForeignKeyField(
        "accounts.User", related_name="blocks_received", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "blocks"
        unique_together = (("blocker", "blocked"),)


class MatchStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class MatchRequest(Model):
    id = fields.BigIntField(primary_key=True)
    sender = fields.ForeignKeyField(
        "accounts.User", related_name="match_requests_sent", on_delete=fields.CASCADE
    )
    recipient = fields.ForeignKeyField(
        "accounts.User", related_name="match_requests_received", on_delete=fields.CASCADE
    )
    # "min_id:max_id": at most one request between two people, whoever sent it.
    pair = fields.CharField(max_length=48, unique=True)
    message = fields.CharField(max_length=300, default="")
    status = fields.CharEnumField(MatchStatus, max_length=16, default=MatchStatus.PENDING)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    responded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "match_requests"
