"""Moderation: reports from anyone signed in; the queue, actions and audit log for moderators."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from models.moderation import AuditEntry, Report, ReportReason, ReportStatus
from resolvers import moderation
from resolvers.accounts import accounts
from resolvers.accounts.accounts import is_moderator
from schema.accounts import UserNode
from schema.context import Info
from schema.ids import decode, decode_any, encode
from schema.nodes import ModelNode, in_order
from schema.pagination import Connection, to_connection
from schema.payloads import Payload, payload_mutation

ReportReasonEnum = strawberry.enum(ReportReason, name="ReportReason")
ReportStatusEnum = strawberry.enum(ReportStatus, name="ReportStatus")


@strawberry.enum
class ModerationAction(Enum):
    DISMISS = "DISMISS"
    HIDE_CONTENT = "HIDE_CONTENT"
    REMOVE_CONTENT = "REMOVE_CONTENT"
    SUSPEND_USER = "SUSPEND_USER"
    RESTORE_CONTENT = "RESTORE_CONTENT"
    UNSUSPEND_USER = "UNSUSPEND_USER"


def _target_node(kind: str) -> type[ModelNode]:
    """The node type of a report's target kind (moderation.TARGETS); imported when asked for."""
    from schema.conversations import MessageNode
    from schema.deals import DealNode
    from schema.meals import RestaurantEventNode, SharedMealNode
    from schema.restaurants import RestaurantNode
    from schema.reviews import PhotoNode, ReviewNode
    from schema.trust import ReviewReplyNode

    nodes: dict[str, type[ModelNode]] = {
        "Review": ReviewNode,
        "Photo": PhotoNode,
        "ReviewReply": ReviewReplyNode,
        "SharedMeal": SharedMealNode,
        "RestaurantEvent": RestaurantEventNode,
        "Deal": DealNode,
        "Restaurant": RestaurantNode,
        "User": UserNode,
        "Message": MessageNode,
    }
    return nodes[kind]


@strawberry.type(name="Report")
class ReportNode(ModelNode):
    id: relay.NodeID[int]
    target_type: str
    reason: ReportReasonEnum  # type: ignore[valid-type]
    note: str
    status: ReportStatusEnum  # type: ignore[valid-type]
    automatic: bool = strawberry.field(description="Raised by the system (bursts, repeated text).")
    open_reports_on_target: int = strawberry.field(description="Urgency: open reports about the same target.")
    created_at: datetime
    resolved_at: datetime | None
    model: strawberry.Private[Report]

    derive = {
        "open_reports_on_target": lambda row: 0,  # callers listing reports pass the count
    }

    @classmethod
    async def load_rows(cls, info: Info, ids: list[int]) -> list[Report | None]:
        if not is_moderator(info.context.viewer):
            return [None] * len(ids)
        return in_order(ids, await Report.filter(id__in=ids))
    @strawberry.field
    def target_id(self) -> strawberry.ID:
        return strawberry.ID(encode(self.model.target_type, self.model.target_id))

    @strawberry.field(
        description="Moderators only: what was reported, as it is now (hidden or removed content and "
        "suspended people included, which node() shows nobody else); null once deleted."
    )
    async def target(self, info: Info) -> relay.Node | None:
        moderation.require_moderator(info.context)
        loader = info.context.loaders.get(moderation.load_targets, self.model.target_type)
        row = await loader.load(self.model.target_id)
        return _target_node(self.model.target_type).from_model(row) if row is not None else None

    @strawberry.field(description="Moderators only.")
    async def reporter(self, info: Info) -> UserNode | None:
        moderation.require_moderator(info.context)
        if self.model.reporter_id is None:
            return None
        user = await info.context.loaders.get(accounts.load_users).load(self.model.reporter_id)
        return UserNode.from_model(user) if user else None


@strawberry.type(name="AuditEntry")
class AuditEntryNode(ModelNode):
    id: relay.NodeID[int]
    action: str
    target_type: str
    note: str
    created_at: datetime
    model: strawberry.Private[AuditEntry]

    @classmethod
    async def load_rows(cls, info: Info, ids: list[int]) -> list[AuditEntry | None]:
        if not is_moderator(info.context.viewer):
            return [None] * len(ids)
        return in_order(ids, await AuditEntry.filter(id__in=ids))
    @strawberry.field
    def target_id(self) -> strawberry.ID:
        return strawberry.ID(encode(self.model.target_type, self.model.target_id))

    @strawberry.field(description="Who acted.")
    async def moderator(self, info: Info) -> UserNode | None:
        if self.model.moderator_id is None:
            return None
        user = await info.context.loaders.get(accounts.load_users).load(self.model.moderator_id)
        return UserNode.from_model(user) if user else None

    @strawberry.field
    def report_id(self) -> strawberry.ID | None:
        return strawberry.ID(encode("Report", self.model.report_id)) if self.model.report_id else None


@strawberry.type
class ReportPayload(Payload):
    report: ReportNode | None = None


@strawberry.type
class ModerationPayload(Payload):
    report: ReportNode | None = None


@strawberry.type
class Query:
    @strawberry.field(description="Moderators only: open reports, most-reported targets first, then oldest.")
    async def moderation_queue(
        self,
        info: Info,
        status: ReportStatusEnum | None = ReportStatus.OPEN,  # type: ignore[valid-type]
        target_type: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ReportNode]:
        page = await moderation.queue(
            info.context, ReportStatus(status or ReportStatus.OPEN), target_type, first, after
        )
        return to_connection(
            page, lambda pair: ReportNode.from_model(pair[0], open_reports_on_target=pair[1])
        )

    @strawberry.field(description="Moderators only: every moderation action, newest first.")
    async def audit_log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AuditEntryNode]:
        return to_connection(
            await moderation.audit_page(info.context, first, after), AuditEntryNode.from_model
        )


@strawberry.type
class Mutation:
    @payload_mutation(description="Report a review, photo, meal, event, deal, restaurant or user.")
    async def report_content(
        self,
        info: Info,
        target_id: strawberry.ID,
        reason: ReportReasonEnum,
        note: str | None = None,  # type: ignore[valid-type]
    ) -> ReportPayload:
        kind, pk = decode_any(target_id, "targetId")
        row = await moderation.report(info.context, kind, pk, ReportReason(reason), note or "")
        return ReportPayload(report=ReportNode.from_model(row, open_reports_on_target=1))

    @payload_mutation(
        public=True,  # require_moderator below answers anonymous callers itself
        description="Moderators only. suspendDays (default 7) applies to SUSPEND_USER.",
    )
    async def moderate(
        self,
        info: Info,
        report_id: strawberry.ID,
        action: ModerationAction,
        note: str | None = None,
        suspend_days: int | None = None,
    ) -> ModerationPayload:
        moderation.require_moderator(info.context)
        decision = moderation.Decision(action=action.value, note=note or "", suspend_days=suspend_days)
        row = await moderation.moderate(info.context, decode(report_id, "Report", "reportId"), decision)
        return ModerationPayload(report=ReportNode.from_model(row))
