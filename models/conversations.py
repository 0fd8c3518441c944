"""Conversations: one-to-one between matched diners (or mutual follows), one group per shared meal."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import Model
from models.restaurants import Visibility


class ConversationKind(StrEnum):
    DIRECT = "direct"
    MEAL = "meal"


class Conversation(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(ConversationKind, max_length=16)
    # DIRECT: "min_id:max_id", so two people have one conversation whoever opened it.
    pair = fields.CharField(max_length=48, null=True, unique=True)
    meal = fields.OneToOneField(
        "meals.SharedMeal", related_name="conversation", null=True, on_delete=fields.CASCADE
    )
    last_message_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "conversations"


# A person in a conversation. `left_after` is set when they leave (a meal guest who left): the id of
# the last message they may still read; new messages are not theirs any more.
class ConversationMember(Model):
    id = fields.BigIntField(primary_key=True)
    conversation = fields.ForeignKeyField(
        "conversations.Conversation", related_name="members", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField(
        "accounts.User", related_name="conversation_memberships", on_delete=fields.CASCADE
    )
    active = fields.BooleanField(default=True)
    left_after = fields.BigIntField(null=True)
    last_read_id = fields.BigIntField(default=0)
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "conversation_members"
        unique_together = (("conversation", "user"),)
        indexes = (("user_id", "active"),)


class Message(Model):
    id = fields.BigIntField(primary_key=True)
    conversation = fields.ForeignKeyField(
        "conversations.Conversation", related_name="messages", on_delete=fields.CASCADE
    )
    sender = fields.ForeignKeyField("accounts.User", related_name="messages_sent", on_delete=fields.CASCADE)
    body = fields.TextField(default="")
    # A photo from the upload flow, on one message only.
    photo = fields.OneToOneField(
        "reviews.Photo", related_name="message", null=True, on_delete=fields.SET_NULL
    )
    visibility = fields.CharEnumField(Visibility, max_length=16, default=Visibility.VISIBLE)
    created_at = fields.DatetimeField(auto_now_add=True)
    # The sender app's own id for the message (sendMessage's clientMessageId): a retry after a
    # lost answer finds the message it already sent. Unique per conversation and sender
    # (index messages_client_id, conversations.0002; NULLs never collide).
    client_id = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "messages"
        indexes = (("conversation_id", "created_at", "id"),)
