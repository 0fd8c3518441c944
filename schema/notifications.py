"""Notification preferences and push devices (the inbox itself is in schema/meals.py)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry import relay

from models.notifications import Platform, PushDevice
from resolvers.notifications import inbox, preferences, push
from schema.context import Info
from schema.meals import NotificationNode
from schema.nodes import ModelNode
from schema.payloads import Payload, payload_mutation

PlatformEnum = strawberry.enum(Platform, name="PushPlatform")


@strawberry.type
class NotificationPreference:
    kind: str
    description: str = strawberry.field(description="What this kind means, in Chinese (有人关注了你).")
    description_en: str = strawberry.field(description="The same in English (Someone followed you).")
    in_app: bool = strawberry.field(description="Stored in your notifications list.")
    push: bool = strawberry.field(description="Sent to your phones (only when inApp is on).")

    @classmethod
    def of(cls, channels: preferences.Channels) -> NotificationPreference:
        return cls(
            kind=channels.kind,
            description=channels.description,
            description_en=channels.description_en,
            in_app=channels.in_app,
            push=channels.push,
        )


@strawberry.type(name="PushDevice")
class PushDeviceNode(ModelNode, kind=PushDevice, private_to="user_id"):
    id: relay.NodeID[int]
    platform: PlatformEnum  # type: ignore[valid-type]
    registered_at: datetime
    model: strawberry.Private[PushDevice]


@strawberry.type
class NotificationPreferencePayload(Payload):
    preference: NotificationPreference | None = None


@strawberry.type
class PushDevicePayload(Payload):
    device: PushDeviceNode | None = None


@strawberry.type
class UnregisterPushDevicePayload(Payload):
    removed: bool = False


@strawberry.type
class Query:
    @strawberry.field(description="Every kind of notification with your choice of channels.")
    async def notification_preferences(self, info: Info) -> list[NotificationPreference]:
        return [NotificationPreference.of(c) for c in await preferences.mine(info.context)]

    @strawberry.field(description="Your phones registered for push, newest first.")
    async def my_push_devices(self, info: Info) -> list[PushDeviceNode]:
        return [PushDeviceNode.from_model(d) for d in await push.my_devices(info.context)]


@strawberry.type
class Mutation:
    @payload_mutation(description="Turn one kind of notification on or off, in the app and/or on phones.")
    async def set_notification_preference(
        self, info: Info, kind: str, in_app: bool | None = None, push: bool | None = None
    ) -> NotificationPreferencePayload:
        chosen = await preferences.set_preference(info.context, kind, in_app, push)
        return NotificationPreferencePayload(preference=NotificationPreference.of(chosen))

    @payload_mutation(description="This phone receives your push notifications (APNs or Android token).")
    async def register_push_device(
        self,
        info: Info,
        platform: PlatformEnum,
        token: str,  # type: ignore[valid-type]
    ) -> PushDevicePayload:
        device = await push.register_device(info.context, platform, token)
        return PushDevicePayload(device=PushDeviceNode.from_model(device))

    @payload_mutation(description="This phone stops receiving your push notifications.")
    async def unregister_push_device(
        self,
        info: Info,
        platform: PlatformEnum,
        token: str,  # type: ignore[valid-type]
    ) -> UnregisterPushDevicePayload:
        return UnregisterPushDevicePayload(
            removed=await push.unregister_device(info.context, platform, token)
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Your new notifications, live (from any app process).")
    async def notification_received(self, info: Info) -> AsyncGenerator[NotificationNode, None]:
        info.context.require_viewer()
        async for row in inbox.arrivals(info.context):
            yield NotificationNode.from_model(row)
