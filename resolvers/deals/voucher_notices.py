"""What the voucher's life tells people (issue: the voucher lifecycle notified nobody).

The holder hears that a paid voucher is paid (`voucher_paid`), used (`voucher_redeemed`) and
refunded (`refund_completed`: on request, on expiry by a 过期自动退 deal, or money that landed on
a claim already ended); the referrer hears when a redemption earns their credit
(`referral_credit`). A restaurant's closure refunds tell the holder through `voucher_refunded`
(resolvers/deals/closure.py), once per holder, not through these. Staff are not told about each
sale (noise). Each is `inbox.notify` inside the transaction whose conditional update made the
change (so it is said exactly when the change committed, once: the update changes a row once),
subject the Claim (the referrer's is the Deal: the claim is someone else's); the callers
`inbox.announce` after the commit. Every kind obeys the reader's notification preferences.
"""

from __future__ import annotations

from datetime import UTC, datetime

from core.context import Context
from core.payments import from_cents
from models.deals import Deal, SourceType
from models.restaurants import Restaurant
from resolvers.notifications import inbox
from resolvers.tables.offers import local_time

# Said to the referrer, by what they shared: "你的点评带来一位顾客 ...".
_SHARED = {
    SourceType.REVIEW: "你的点评",
    SourceType.SHARED_MEAL: "你组的饭局",
    SourceType.PROFILE: "你的主页",
    SourceType.FEED: "你的动态",
    SourceType.SHARE_LINK: "你分享的团购",
}


def yuan(cents: int) -> str:
    return "¥" + from_cents(cents)


async def names(deal_id: int) -> tuple[str, str]:
    """(restaurant name, deal title) of a deal, in one read."""
    rows = await Deal.filter(id=deal_id).values_list("restaurant__name", "title")
    return (rows[0][0] or "", rows[0][1] or "") if rows else ("", "")


async def _tell_holder(ctx: Context | None, kind: str, claim_id: int, user_id: int, text: str) -> None:
    await inbox.notify(ctx, [user_id], kind, text, subject=("Claim", claim_id))


async def paid(ctx: Context | None, claim_id: int, user_id: int, deal_id: int, amount_cents: int) -> None:
    rows = await Deal.filter(id=deal_id).values_list(
        "restaurant__name", "title", "use_starts_at", "starts_at", "restaurant__timezone"
    )
    name, title, use_from, sale_from, zone = rows[0] if rows else ("", "", None, None, None)
    start = use_from or sale_from
    # 券码已可使用 only when it is: a voucher usable from next week says from when (local time),
    # or its holder comes tomorrow and the till answers VOUCHER_NOT_YET_VALID.
    usable = "券码已可使用"
    if start is not None and start > datetime.now(UTC):
        usable = f"券码 {local_time(start, zone or 'UTC')} 起可用"
    text = f"购买成功：「{name or ''}」{title or ''} {yuan(amount_cents)}，{usable}"
    await _tell_holder(ctx, "voucher_paid", claim_id, user_id, text)


async def redeemed(ctx: Context | None, claim_id: int, user_id: int, restaurant: str, title: str) -> None:
    text = f"券已使用：「{restaurant}」{title}，欢迎评价这次用餐"
    await _tell_holder(ctx, "voucher_redeemed", claim_id, user_id, text)


async def refunded(ctx: Context | None, claim_id: int, user_id: int, deal_id: int, amount_cents: int) -> None:
    name, title = await names(deal_id)
    text = f"退款已受理：「{name}」{title} {yuan(amount_cents)}，将原路退回你的支付账户"
    await _tell_holder(ctx, "refund_completed", claim_id, user_id, text)


async def referral(
    ctx: Context | None,
    referrer_id: int,
    source: SourceType,
    deal_id: int,
    restaurant: str,
    title: str,
    credit_cents: int,
) -> None:
    """The customer stays unnamed (no actor): who bought through a share is theirs to tell."""
    shared = _SHARED.get(source, "你的分享")
    await inbox.notify(
        ctx,
        [referrer_id],
        "referral_credit",
        f"{shared}带来一位顾客（「{restaurant}」{title}），获得{yuan(credit_cents)}奖励",
        subject=("Deal", deal_id),
    )


async def restaurant_name(restaurant_id: int) -> str:
    rows = await Restaurant.filter(id=restaurant_id).values_list("name", flat=True)
    return rows[0] if rows else ""
