"""Per-kind notification preferences: `inApp` (stored in the inbox) and `push` (to phones).

No row means both on. Push needs the notification itself, so `push` counts only with `inApp`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.context import Context
from core.errors import ErrorCode, UserInputError
from models.notifications import NotificationPreference
from resolvers.accounts.accounts import write_limit
from resolvers.notifications.kinds import KINDS, is_kind


@dataclass(frozen=True)
class Channels:
    kind: str
    in_app: bool = True
    push: bool = True

    @property
    def description(self) -> str:
        """What the kind means, in Chinese (the app's language)."""
        return KINDS[self.kind].zh

    @property
    def description_en(self) -> str:
        return KINDS[self.kind].en


async def channels(user_ids: Sequence[int], kind: str) -> dict[int, Channels]:
    """Each user's channels for one kind (one query)."""
    found = {
        row.user_id: Channels(kind, row.in_app, row.in_app and row.push)
        for row in await NotificationPreference.filter(user_id__in=list(user_ids), kind=kind)
    }
    return {u: found.get(u, Channels(kind)) for u in user_ids}


async def mine(ctx: Context) -> list[Channels]:
    """Every kind, in the registry's order, with the viewer's choice (defaults where unset)."""
    viewer = ctx.require_viewer()
    rows = {r.kind: r for r in await NotificationPreference.filter(user_id=viewer.id)}
    return [
        Channels(kind, rows[kind].in_app, rows[kind].push) if kind in rows else Channels(kind)
        for kind in KINDS
    ]


async def set_preference(ctx: Context, kind: str, in_app: bool | None, push: bool | None) -> Channels:
    """Change one kind's channels; an argument left out keeps its current value."""
    viewer = await write_limit(ctx, "notifications")
    if not is_kind(kind):
        raise UserInputError(ErrorCode.UNKNOWN_KIND, f"Unknown notification kind {kind[:40]!r}", "kind")
    changes = {k: v for k, v in (("in_app", in_app), ("push", push)) if v is not None}
    for _ in range(2):  # a parallel first change of the same kind: the second attempt updates
        row = await NotificationPreference.get_or_none(user_id=viewer.id, kind=kind)
        if row is not None:
            if changes:
                await NotificationPreference.filter(id=row.id).update(**changes)
            break
        try:
            async with in_transaction("default"):
                await NotificationPreference.create(user_id=viewer.id, kind=kind, **changes)
            break
        except IntegrityError:
            continue
    row = await NotificationPreference.get(user_id=viewer.id, kind=kind)
    return Channels(kind, row.in_app, row.push)
