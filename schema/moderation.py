"""Moderation: reports from anyone signed in; the queue, actions and audit log for moderators."""

from __future__ import annotations

from collections.abc import Iterable
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
from schema.errors import UserError, guarded
from schema.ids import decode, decode_any, encode
from schema.pagination import Connection, to_connection

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


@strawberry.type(name="Report")
class ReportNode(relay.Node):
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

    @classmethod
    def from_model(cls, row: Report, open_count: int = 0) -> ReportNode:
        return cls(
            id=row.id,
            target_type=row.target_type,
            reason=row.reason,
            note=row.note,
            status=row.status,
            automatic=row.automatic,
            open_reports_on_target=open_count,
            created_at=row.created_at,
            resolved_at=row.resolved_at,
            model=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ReportNode | None]:
        viewer = info.context.viewer
        if not is_moderator(viewer):
            return [None for _ in node_ids]
        rows = {r.id: r for r in await Report.filter(id__in=[int(i) for i in node_ids])}
        return [cls.from_model(rows[int(i)]) if int(i) in rows else None for i in node_ids]

    @strawberry.field
    def target_id(self) -> strawberry.ID:
        return strawberry.ID(encode(self.model.target_type, self.model.target_id))

    @strawberry.field(description="Moderators only.")
    async def reporter(self, info: Info) -> UserNode | None:
        moderation.require_moderator(info.context)
        if self.model.reporter_id is None:
            return None
        user = await info.context.loaders.get(accounts.load_users).load(self.model.reporter_id)
        return UserNode.from_model(user) if user else None


@strawberry.type(name="AuditEntry")
class AuditEntryNode(relay.Node):
    id: relay.NodeID[int]
    action: str
    target_type: str
    note: str
    created_at: datetime
    model: strawberry.Private[AuditEntry]

    @classmethod
    def from_model(cls, row: AuditEntry) -> AuditEntryNode:
        return cls(
            id=row.id,
            action=row.action,
            target_type=row.target_type,
            note=row.note,
            created_at=row.created_at,
            model=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AuditEntryNode | None]:
        viewer = info.context.viewer
        if not is_moderator(viewer):
            return [None for _ in node_ids]
        rows = {r.id: r for r in await AuditEntry.filter(id__in=[int(i) for i in node_ids])}
        return [cls.from_model(rows[int(i)]) if int(i) in rows else None for i in node_ids]

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
class ReportPayload:
    errors: list[UserError]
    report: ReportNode | None = None


@strawberry.type
class ModerationPayload:
    errors: list[UserError]
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
        return to_connection(page, lambda pair: ReportNode.from_model(*pair))

    @strawberry.field(description="Moderators only: every moderation action, newest first.")
    async def audit_log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AuditEntryNode]:
        return to_connection(
            await moderation.audit_page(info.context, first, after), AuditEntryNode.from_model
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Report a review, photo, meal, event, deal, restaurant or user.")
    async def report_content(
        self,
        info: Info,
        target_id: strawberry.ID,
        reason: ReportReasonEnum,
        note: str | None = None,  # type: ignore[valid-type]
    ) -> ReportPayload:
        info.context.require_viewer()

        async def act() -> ReportPayload:
            kind, pk = decode_any(target_id, "targetId")
            row = await moderation.report(info.context, kind, pk, ReportReason(reason), note or "")
            return ReportPayload(errors=[], report=ReportNode.from_model(row, 1))

        return await guarded(ReportPayload, act)

    @strawberry.mutation(description="Moderators only. suspendDays (default 7) applies to SUSPEND_USER.")
    async def moderate(
        self,
        info: Info,
        report_id: strawberry.ID,
        action: ModerationAction,
        note: str | None = None,
        suspend_days: int | None = None,
    ) -> ModerationPayload:
        moderation.require_moderator(info.context)

        async def act() -> ModerationPayload:
            decision = moderation.Decision(action=action.value, note=note or "", suspend_days=suspend_days)
            row = await moderation.moderate(info.context, decode(report_id, "Report", "reportId"), decision)
            return ModerationPayload(errors=[], report=ReportNode.from_model(row))

        return await guarded(ModerationPayload, act)
