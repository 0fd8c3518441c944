"""Reports, the moderation queue, moderation actions and their audit log.

Content types share one `Visibility` column: HIDE_CONTENT sets HIDDEN, REMOVE_CONTENT sets
REMOVED, RESTORE_CONTENT sets VISIBLE; every public list, count and feed reads only VISIBLE rows.
SUSPEND_USER suspends the target user (or the content's author) and bumps their token version,
so their token stops working on the next request; their reviews leave the dish and restaurant
ratings until the suspension ends (resolvers/reviews/withdrawal.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.atomic import one_at_a_time
from core.context import Context
from core.error_text import between, too_long
from core.errors import AuthError, BadRequestError, ErrorCode, UserInputError
from core.pagination import Page, cursor_time, decode_cursor, encode_cursor, newest_first, page_size
from models.accounts import FAR_FUTURE, Role, User
from models.conversations import Message
from models.deals import Deal
from models.meals import RestaurantEvent, SharedMeal
from models.moderation import AuditEntry, Report, ReportReason, ReportStatus
from models.restaurants import Restaurant, Visibility
from models.reviews import ModeratedDeletion, Photo, Review
from models.trust import ReviewReply
from resolvers import feed
from resolvers import visibility as seen
from resolvers.accounts import sessions
from resolvers.accounts.accounts import is_moderator, write_limit
from resolvers.accounts.plans import give_up_plans
from resolvers.deals import gate
from resolvers.notifications import inbox
from resolvers.restaurants import restaurants
from resolvers.reviews import reviews, withdrawal

MAX_SUSPEND_DAYS = 3650
BURST_ACCOUNT_AGE = timedelta(hours=24)
BURST_WINDOW = timedelta(hours=1)
BURST_REVIEWS = 5
REPEAT_WINDOW = timedelta(days=7)
REPOST_WINDOW = timedelta(days=180)  # a repost after a moderated review was deleted goes to a moderator
REPEAT_COUNT = 3
QUEUE_SCAN = 2000
MAX_NOTE = 1000


@dataclass(frozen=True)
class Target:
    model: type[Model]
    author_field: str  # whose account SUSPEND_USER acts on
    feed_kind: str | None = None


TARGETS: dict[str, Target] = {
    "Review": Target(Review, "author_id", "review"),
    "Photo": Target(Photo, "owner_id"),
    "ReviewReply": Target(ReviewReply, "author_id"),
    "SharedMeal": Target(SharedMeal, "host_id", "meal"),
    "RestaurantEvent": Target(RestaurantEvent, "created_by_id", "event"),
    "Deal": Target(Deal, "created_by_id"),
    "Restaurant": Target(Restaurant, "owner_id"),
    "User": Target(User, "id"),
    "Message": Target(Message, "sender_id"),
}


RESTORING = ("RESTORE_CONTENT", "UNSUSPEND_USER")  # the way back: on answered reports too


def _erased(row: Model) -> bool:
    """An account deleted by its owner (suspended for good): no moderation brings it back."""
    return isinstance(row, User) and row.is_erased()


def require_moderator(ctx: Context) -> User:
    viewer = ctx.require_viewer()
    if not is_moderator(viewer):
        raise AuthError("FORBIDDEN", "Moderators only")
    return viewer


async def _target_row(kind: str, pk: int, field: str = "targetId") -> Model:
    target = TARGETS.get(kind)
    row = await target.model.get_or_none(id=pk) if target else None
    if row is None:
        raise _nothing_to_report(field)
    return row


def _nothing_to_report(field: str = "targetId") -> UserInputError:
    return UserInputError(ErrorCode.NOT_FOUND, "Nothing to report with this ID", field)


async def _visible_to_reporter(ctx: Context, row: Model) -> bool:
    """What the reporter could see anyway: hidden or removed content, pending photos, suspended
    people and meals out of the viewer's audience answer exactly like an id never used.
    Moderators may report whatever they see as moderators, but never a message they could not
    read: a report is what opens a message to moderators (visibility.py), so a moderator
    reporting one would read any conversation, id by id, without an audit entry."""
    if is_moderator(ctx.viewer) and not isinstance(row, Message):
        return True
    return await seen.visible(ctx, row)


async def report(ctx: Context, kind: str, pk: int, reason: ReportReason, note: str) -> Report:
    viewer = await write_limit(ctx, "report")
    if len(note) > 500:
        raise UserInputError(ErrorCode.TOO_LONG, too_long(500), "note")
    row = await _target_row(kind, pk)
    if not await _visible_to_reporter(ctx, row):
        raise _nothing_to_report()
    if getattr(row, TARGETS[kind].author_field) == viewer.id:
        raise UserInputError(ErrorCode.SELF_ACTION, "You can't report yourself", "targetId")
    try:
        return await Report.create(
            reporter_id=viewer.id, target_type=kind, target_id=pk, reason=reason, note=note.strip()
        )
    except IntegrityError:
        raise UserInputError(ErrorCode.ALREADY_REPORTED, "You already reported this", "targetId") from None


async def system_report(kind: str, pk: int, note: str, reason: ReportReason = ReportReason.SPAM) -> None:
    """Raise a report automatically (once per open case)."""
    if await Report.exists(target_type=kind, target_id=pk, status=ReportStatus.OPEN, automatic=True):
        return
    await Report.create(
        reporter_id=None, target_type=kind, target_id=pk, reason=reason, note=note, automatic=True
    )


async def check_new_review(review: Review) -> None:
    """Automatic signals: a new account's burst of reviews; the same text posted many times; a
    review of a dish whose earlier review by the same author was deleted while moderation had it
    hidden or removed (it starts hidden, as an edit of a hidden review stays hidden, and a
    moderator looks at it: deleting and posting again undid moderation in two calls)."""
    now = datetime.now(UTC)
    moderated = ModeratedDeletion.filter(
        author_id=review.author_id, dish_id=review.dish_id, deleted_at__gte=now - REPOST_WINDOW
    )
    if await moderated.exists():
        await reviews.set_visibility(review.id, Visibility.HIDDEN)
        review.visibility = Visibility.HIDDEN  # the author's answer shows it
        note = "auto: posted again after the author deleted a hidden or removed review of this dish"
        await system_report("Review", review.id, note, ReportReason.OTHER)
    author = await User.get(id=review.author_id)
    if now - author.created_at < BURST_ACCOUNT_AGE:
        recent = await Review.filter(author_id=author.id, created_at__gte=now - BURST_WINDOW).count()
        if recent >= BURST_REVIEWS:
            await system_report(
                "User", author.id, f"auto: new account posted {recent} reviews within an hour"
            )
    body = review.body.strip()
    if len(body) >= 8:
        same = await Review.filter(body=body, created_at__gte=now - REPEAT_WINDOW).count()
        if same >= REPEAT_COUNT:
            await system_report("Review", review.id, f"auto: the same text was posted {same} times this week")


@dataclass
class Decision:
    action: str  # DISMISS | HIDE_CONTENT | REMOVE_CONTENT | RESTORE_CONTENT | SUSPEND_USER | UNSUSPEND_USER
    note: str = ""
    suspend_days: int | None = None


async def _set_visibility(kind: str, pk: int, visibility: Visibility) -> bool:
    """Whether the content changed (a review: whether it crossed the visible line)."""
    if kind == "User":
        raise UserInputError(ErrorCode.INVALID, "People are suspended, not hidden", "action")
    if kind == "Review":
        return await reviews.set_visibility(pk, visibility)
    target = TARGETS[kind]
    changed = await target.model.filter(id=pk, visibility__not=visibility).update(visibility=visibility)
    if target.feed_kind:
        row = await target.model.get(id=pk)
        await feed.set_visible(target.feed_kind, pk, seen.in_feed(row))
    return bool(changed)


async def _suspend(user_id: int, until: datetime | None) -> None:
    """Suspend until `until`, or lift a suspension (until=None): lifting one that is not in
    force is refused in the statement that lifts it (two moderators lift once, audited once)."""
    if until is not None:
        # A shorter suspension never cuts a longer one short (the later end stays).
        shorter = Q(suspended_until__isnull=True) | Q(suspended_until__lt=until)
        bump = F("token_version") + 1
        await User.filter(shorter, id=user_id).update(suspended_until=until, token_version=bump)
        return
    in_force = {"suspended_until__gt": datetime.now(UTC), "suspended_until__lt": FAR_FUTURE}  # not deleted
    lifted = await User.filter(id=user_id, **in_force).update(
        suspended_until=None, token_version=F("token_version") + 1
    )
    if not lifted:
        raise UserInputError(ErrorCode.ALREADY_ANSWERED, "This account is not suspended", "action")


async def _restore(kind: str, pk: int) -> None:
    """RESTORE_CONTENT of content already visible is refused by the statement that would show
    it, so a repeated restore neither notifies the author twice nor audits twice."""
    if not await _set_visibility(kind, pk, Visibility.VISIBLE):
        raise UserInputError(ErrorCode.ALREADY_ANSWERED, "This content is already visible", "action")


async def apply(ctx: Context, kind: str, pk: int, decision: Decision, report_row: Report | None) -> None:
    moderator = require_moderator(ctx)
    if len(decision.note) > MAX_NOTE:
        raise UserInputError(ErrorCode.TOO_LONG, too_long(MAX_NOTE), "note")
    action = decision.action
    row = await TARGETS[kind].model.get_or_none(id=pk) if kind in TARGETS else None
    if (row is None or _erased(row)) and action != "DISMISS":
        # Deleted since it was reported (or an erased account): nothing left to act on.
        raise UserInputError(
            ErrorCode.NOT_FOUND, "What was reported no longer exists: dismiss the report", "reportId"
        )
    author_id = getattr(row, TARGETS[kind].author_field) if row is not None else None
    if author_id == moderator.id:
        # No one judges their own case: a moderator dismissed reports about their own review (or
        # about themselves) and restored what another moderator had hidden.
        raise UserInputError(
            ErrorCode.SELF_ACTION, "A report about you or your content goes to another moderator", "reportId"
        )
    audited: tuple[str, int] = (kind, pk)
    async with in_transaction("default"):
        # Decisions one at a time: a report is answered once (parallel moderators after the
        # first are refused) and two decisions never hold each other's rows.
        await one_at_a_time("moderation")
        if report_row is not None and action not in RESTORING:
            current = await Report.filter(id=report_row.id).values_list("status", flat=True)
            if current != [ReportStatus.OPEN]:
                raise UserInputError(
                    ErrorCode.ALREADY_ANSWERED, "This report is already answered", "reportId"
                )
        if action == "HIDE_CONTENT":
            await _set_visibility(kind, pk, Visibility.HIDDEN)
        elif action == "REMOVE_CONTENT":
            await _set_visibility(kind, pk, Visibility.REMOVED)
        elif action == "RESTORE_CONTENT":
            await _restore(kind, pk)
        elif action in ("SUSPEND_USER", "UNSUSPEND_USER"):
            assert author_id is not None  # an existing row names its author (never the moderator)
            target_user = await User.get(id=author_id)
            if _erased(target_user):
                raise UserInputError(ErrorCode.NOT_FOUND, "This account was deleted", "reportId")
            if is_moderator(target_user) and moderator.role != Role.ADMIN:
                raise UserInputError(ErrorCode.FORBIDDEN, "Only admins suspend moderators", "action")
            days = decision.suspend_days if decision.suspend_days is not None else 7
            if action == "SUSPEND_USER" and not 1 <= days <= MAX_SUSPEND_DAYS:
                raise UserInputError(
                    ErrorCode.OUT_OF_RANGE,
                    between(f"1 to {MAX_SUSPEND_DAYS} days", 1, MAX_SUSPEND_DAYS),
                    "suspendDays",
                )
            until = datetime.now(UTC) + timedelta(days=days) if action == "SUSPEND_USER" else None
            await _suspend(author_id, until)
            # Their reviews leave the ratings while suspended (a review-bomber's stars with them).
            await (withdrawal.withdraw(author_id) if until else withdrawal.restore(author_id))
            audited = ("User", author_id)  # the log names whom, whatever report led there
        status = ReportStatus.DISMISSED if action == "DISMISS" else ReportStatus.ACTIONED
        reason = report_row.reason if report_row is not None else None
        told = await _tell_outcome(ctx, kind, pk, author_id, action, reason=reason)
        if action not in RESTORING:
            await _close_reports(kind, pk, status)
        elif report_row is not None:  # the way back answers the report it was taken from, if open
            await Report.filter(id=report_row.id, status=ReportStatus.OPEN).update(
                status=status, open_marker=None, resolved_at=datetime.now(UTC)
            )
        if action == "SUSPEND_USER" and audited != (kind, pk):
            # The reports about the person are answered by their suspension too (told once).
            told += await _tell_outcome(ctx, *audited, None, action, already=told)
            await _close_reports(*audited, status)
        await AuditEntry.create(
            moderator_id=moderator.id,
            action=action,
            target_type=audited[0],
            target_id=audited[1],
            report_id=report_row.id if report_row else None,
            note=decision.note.strip(),
        )
    await inbox.announce(ctx, told)
    if action in ("HIDE_CONTENT", "REMOVE_CONTENT") and kind in ("Deal", "Restaurant"):
        # Claim gates of deals that left the shelf go: claims then answer NOT_FOUND, not SOLD_OUT.
        at_restaurant = Deal.filter(restaurant_id=pk).values_list("id", flat=True)
        deal_ids = [pk] if kind == "Deal" else await at_restaurant
        for deal_id in deal_ids:
            await gate.forget(ctx.services, deal_id)
    if action == "REMOVE_CONTENT" and kind == "Restaurant":
        # Taken down for good: its diners' vouchers refunded, bookings, events and meals called off.
        await restaurants.call_off_after_removal(ctx, pk)
    if action == "SUSPEND_USER" and author_id is not None:  # after commit: their sockets close
        await sessions.announce_ended(ctx.services, author_id)
        # Their plans in the suspension are given up: meals called off or left, event places
        # and lines freed, tables cancelled (the others' plans go on).
        until = await User.filter(id=author_id).values_list("suspended_until", flat=True)
        if until and until[0]:
            await give_up_plans(ctx, author_id, before=until[0])


async def _close_reports(kind: str, pk: int, status: ReportStatus) -> None:
    await Report.filter(target_type=kind, target_id=pk, status=ReportStatus.OPEN).update(
        status=status, open_marker=None, resolved_at=datetime.now(UTC)
    )


OUTCOME_FOR_REPORTER = {
    "DISMISS": "已审核，未发现违规",
    "HIDE_CONTENT": "已处理：内容已隐藏",
    "REMOVE_CONTENT": "已处理：内容已删除",
    "SUSPEND_USER": "已处理：账号已被暂停",
}
OUTCOME_FOR_AUTHOR = {
    "HIDE_CONTENT": "你的{what}因{why}违反社区规范，已被隐藏",
    "REMOVE_CONTENT": "你的{what}因{why}违反社区规范，已被删除",
    "SUSPEND_USER": "你的账号因{why}违反社区规范，已被暂停使用",
    "RESTORE_CONTENT": "你的{what}经复核已恢复",
    "UNSUSPEND_USER": "你的账号经复核已恢复",
}
WHAT = {
    "Review": "点评",
    "Photo": "照片",
    "ReviewReply": "回复",
    "SharedMeal": "饭局",
    "RestaurantEvent": "活动",
    "Deal": "团购",
    "Restaurant": "餐厅",
    "User": "个人资料",
    "Message": "消息",
}
WHY = {
    ReportReason.SPAM: "涉及垃圾广告",
    ReportReason.HARASSMENT: "涉及骚扰他人",
    ReportReason.HATE: "涉及仇恨言论",
    ReportReason.SEXUAL: "涉及色情内容",
    ReportReason.VIOLENCE: "涉及暴力内容",
    ReportReason.FAKE_REVIEW: "涉嫌虚假点评",
    ReportReason.SCAM: "涉嫌欺诈",
    ReportReason.PRIVACY: "泄露他人隐私",
}


def told_author(action: str, kind: str, reason: ReportReason | None) -> str:
    """What the author reads: which of their things, and the reported reason when it names one
    (你的点评因涉嫌虚假点评违反社区规范，已被隐藏); never who reported it."""
    why = WHY.get(reason, "") if reason is not None else ""
    return OUTCOME_FOR_AUTHOR[action].format(what=WHAT.get(kind, "内容"), why=why)


async def _tell_outcome(
    ctx: Context,
    kind: str,
    pk: int,
    author_id: int | None,
    action: str,
    already: Sequence[int] = (),
    reason: ReportReason | None = None,
) -> list[int]:
    """Inside the decision's transaction: the open reports' reporters and the author hear of it
    (never who reported: the author's notice names no one); `already` told are not told twice."""
    told: list[int] = []
    if action in OUTCOME_FOR_REPORTER:
        reporters = await Report.filter(
            target_type=kind, target_id=pk, status=ReportStatus.OPEN, reporter_id__isnull=False
        ).values_list("reporter_id", flat=True)
        rows = await inbox.notify(
            ctx, [r for r in reporters if r != author_id and r not in already], "report_resolved",
            f"你的举报{OUTCOME_FOR_REPORTER[action]}", subject=(kind, pk),
        )
        told += [r.user_id for r in rows]
    if action in OUTCOME_FOR_AUTHOR and author_id is not None:
        rows = await inbox.notify(
            ctx, [author_id], "content_moderated", told_author(action, kind, reason), subject=(kind, pk)
        )
        told += [r.user_id for r in rows]
    return told


async def moderate(ctx: Context, report_id: int, decision: Decision) -> Report:
    require_moderator(ctx)
    await write_limit(ctx, "moderate")
    row = await Report.get_or_none(id=report_id)
    if row is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such report", "reportId")
    if row.status != ReportStatus.OPEN and decision.action not in RESTORING:
        raise UserInputError(
            ErrorCode.ALREADY_ANSWERED, f"This report is already {row.status.value}", "reportId"
        )
    await apply(ctx, row.target_type, row.target_id, decision, row)
    return await Report.get(id=row.id)


async def queue(
    ctx: Context, status: ReportStatus, target_type: str | None, first: int | None, after: str | None
) -> Page[tuple[Report, int]]:
    """Open reports by urgency: most-reported targets first, then oldest first. Others newest first."""
    require_moderator(ctx)
    query = Report.filter(status=status)
    if target_type:
        if target_type not in TARGETS:  # also never a string longer than the column to the database
            raise BadRequestError(f"targetType is one of {', '.join(TARGETS)}")
        query = query.filter(target_type=target_type)
    if status != ReportStatus.OPEN:
        page = await newest_first(query, first, after)
        counts = await _open_counts(page.items)
        return Page(
            [(r, counts[(r.target_type, r.target_id)]) for r in page.items],
            page.cursors,
            page.has_next_page,
            count=page.count,
        )
    size = page_size(first)
    whole = query
    cutoff, start = _queue_cursor(after)
    if cutoff is not None:
        query = query.filter(id__lte=cutoff)
    rows = await query.order_by("created_at", "id").limit(QUEUE_SCAN)
    if cutoff is None:
        cutoff = max((r.id for r in rows), default=0)
    per_target = Counter((r.target_type, r.target_id) for r in rows)

    def urgency(r: Report) -> tuple[int, datetime, int]:
        return (-per_target[(r.target_type, r.target_id)], r.created_at, r.id)

    ordered = sorted(rows, key=urgency)
    if start is not None:
        ordered = [r for r in ordered if urgency(r) > start]
    window = ordered[:size]
    return Page(
        items=[(r, per_target[(r.target_type, r.target_id)]) for r in window],
        cursors=[encode_cursor([cutoff, *urgency(r)]) for r in window],
        has_next_page=len(ordered) > size,
        count=whole.count,
    )


def _queue_cursor(after: str | None) -> tuple[int | None, tuple[int, datetime, int] | None]:
    """The queue's keyset cursor: the newest report the first page saw (later reports wait for a
    fresh read, so urgency counts and order hold still while paging) and the last row's key."""
    key = decode_cursor(after, 4)
    if key is None:
        return None, None
    try:
        start = (int(key[1]), cursor_time(key[2]), int(key[3]))
        return int(key[0]), start
    except (TypeError, ValueError):
        raise BadRequestError("Malformed cursor") from None


async def _open_counts(rows: list[Report]) -> Counter[tuple[str, int]]:
    ids = {(r.target_type, r.target_id) for r in rows}
    counts: Counter[tuple[str, int]] = Counter()
    if ids:
        found = await Report.filter(status=ReportStatus.OPEN, target_id__in=[i for _, i in ids]).values_list(
            "target_type", "target_id"
        )
        counts.update(t for t in found if t in ids)
    return counts


async def load_targets(kind: str, keys: Sequence[int]) -> list[Model | None]:
    """Reported rows by id as they are now, for moderators: hidden and removed content and
    suspended people too (what they judge), None once deleted. One statement per kind a page."""
    target = TARGETS.get(kind)
    if target is None:
        return [None] * len(keys)
    rows = {row.id: row for row in await target.model.filter(id__in=list(keys))}
    return [rows.get(key) for key in keys]


async def audit_page(ctx: Context, first: int | None, after: str | None) -> Page[AuditEntry]:
    require_moderator(ctx)
    return await newest_first(AuditEntry.all(), first, after)
