"""Conversations: one-to-one and per-meal messages, unread counts, messageReceived."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from core.loaders import rows_of
from models.accounts import User
from models.conversations import Conversation, ConversationKind, Message
from models.meals import SharedMeal
from models.restaurants import Visibility
from models.reviews import Photo
from resolvers import visibility
from resolvers.conversations import conversations
from schema.accounts import UserNode
from schema.context import Info
from schema.ids import decode
from schema.meals import SharedMealNode
from schema.nodes import ModelNode
from schema.pagination import Connection, to_connection
from schema.payloads import Payload, payload_mutation
from schema.reviews import PhotoNode

ConversationKindEnum = strawberry.enum(ConversationKind, name="ConversationKind")


@strawberry.type(name="Message")
class MessageNode(ModelNode, kind=Message):
    id: relay.NodeID[int]
    body: str
    created_at: datetime
    model: strawberry.Private[Message]

    @strawberry.field
    async def sender(self, info: Info) -> UserNode | None:
        user = await visibility.fetch(info.context, User, self.model.sender_id)
        return UserNode.from_model(user) if user else None

    @strawberry.field(description="A photo sent with the message (seen by whoever sees the message).")
    async def photo(self, info: Info) -> PhotoNode | None:
        if self.model.photo_id is None:
            return None
        row = await info.context.loaders.get(rows_of(Photo)).load(self.model.photo_id)
        return PhotoNode.from_model(row) if row and row.visibility == Visibility.VISIBLE else None

    @strawberry.field
    async def conversation(self, info: Info) -> ConversationNode | None:
        row = await visibility.fetch(info.context, Conversation, self.model.conversation_id)
        return ConversationNode.from_model(row) if row else None


@strawberry.type(name="Conversation")
class ConversationNode(ModelNode, kind=Conversation):
    id: relay.NodeID[int]
    kind: ConversationKindEnum  # type: ignore[valid-type]
    last_message_at: datetime
    created_at: datetime
    model: strawberry.Private[Conversation]

    @strawberry.field(description="The meal of a group conversation.")
    async def meal(self, info: Info) -> SharedMealNode | None:
        row = await visibility.fetch(info.context, SharedMeal, self.model.meal_id)
        return SharedMealNode.from_model(row) if row else None

    @strawberry.field(description="The other person of a one-to-one conversation.")
    async def with_user(self, info: Info) -> UserNode | None:
        viewer = info.context.require_viewer()
        if self.model.kind != ConversationKind.DIRECT:
            return None
        other = await info.context.loaders.get(visibility.load_direct_others, viewer.id).load(self.model.id)
        user = await visibility.fetch(info.context, User, other)
        return UserNode.from_model(user) if user else None

    @strawberry.field(description="Messages, newest first.")
    async def messages(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[MessageNode]:
        page = await conversations.history(info.context, self.model, first, after)
        return to_connection(page, MessageNode.from_model)

    @strawberry.field(
        description="The newest message you can read (the chat list's preview), null when none; "
        "one statement for a page of conversations."
    )
    async def last_message(self, info: Info) -> MessageNode | None:
        viewer = info.context.require_viewer()
        loader = info.context.loaders.get(conversations.load_last_messages, viewer.id)
        return MessageNode.of(await loader.load(self.model.id))

    @strawberry.field(description="Messages from others you have not read yet.")
    async def unread_count(self, info: Info) -> int:
        viewer = info.context.require_viewer()
        return await info.context.loaders.get(conversations.load_unread_counts, viewer.id).load(self.model.id)

    @strawberry.field(description="False once you left (a meal you left): you read, not write.")
    async def active(self, info: Info) -> bool:
        member = await visibility.membership(info.context, self.model.id)
        return member is not None and member.active


@strawberry.type
class ConversationPayload(Payload):
    conversation: ConversationNode | None = None


@strawberry.type
class MessagePayload(Payload):
    message: MessageNode | None = None


@strawberry.type
class Query:
    @strawberry.field(description="Your conversations, latest activity first.")
    async def conversations(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[ConversationNode]:
        return to_connection(
            await conversations.page(info.context, first, after), ConversationNode.from_model
        )

    @strawberry.field(description="A shared meal's group conversation: for its host and seated guests.")
    async def meal_conversation(self, info: Info, meal_id: strawberry.ID) -> ConversationNode | None:
        row = await conversations.meal_conversation(info.context, decode(meal_id, "SharedMeal", "mealId"))
        return ConversationNode.from_model(row) if row else None

    @strawberry.field(description="Unread messages across your conversations.")
    async def unread_message_count(self, info: Info) -> int:
        return await conversations.unread_total(info.context)


@strawberry.type
class Mutation:
    @payload_mutation(description="Your one-to-one conversation with a match (or a mutual follow).")
    async def open_conversation(self, info: Info, user_id: strawberry.ID) -> ConversationPayload:
        row = await conversations.open_direct(info.context, decode(user_id, "User", "userId"))
        return ConversationPayload(conversation=ConversationNode.from_model(row))

    @payload_mutation(description="Send text (emoji and CJK welcome) and optionally a confirmed photo.")
    async def send_message(
        self,
        info: Info,
        conversation_id: strawberry.ID,
        body: str = "",
        photo_id: strawberry.ID | None = None,
        client_message_id: Annotated[
            str | None,
            strawberry.argument(
                description="The app's own id for this message (at most 64 characters): sending "
                "again with the same id, after a lost answer, returns the message already sent."
            ),
        ] = None,
    ) -> MessagePayload:
        conversation = decode(conversation_id, "Conversation", "conversationId")
        photo = decode(photo_id, "Photo", "photoId") if photo_id is not None else None
        row = await conversations.send(info.context, conversation, body, photo, client_message_id)
        return MessagePayload(message=MessageNode.from_model(row))

    @payload_mutation(description="Mark everything in the conversation read.")
    async def mark_conversation_read(self, info: Info, conversation_id: strawberry.ID) -> ConversationPayload:
        pk = decode(conversation_id, "Conversation", "conversationId")
        row = await conversations.mark_read(info.context, pk)
        return ConversationPayload(conversation=ConversationNode.from_model(row))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="New messages in your conversations (or one of them), live.")
    async def message_received(
        self, info: Info, conversation_id: strawberry.ID | None = None
    ) -> AsyncGenerator[MessageNode, None]:
        info.context.require_viewer()
        pk = decode(conversation_id, "Conversation", "conversationId") if conversation_id else None
        async for message in conversations.received(info.context, pk):
            yield MessageNode.from_model(message)
