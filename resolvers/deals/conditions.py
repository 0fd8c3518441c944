"""Structured fine print of a deal (使用规则), checked when claiming and again when redeeming.

Stored as JSON on the deal (`Deal.conditions`); every day and hour is the restaurant's own time
zone. What each rule means:
- valid_weekdays: ISO weekdays (1 = Monday … 7 = Sunday) the voucher can be used; empty: all.
- time_windows: local [start, end) times of day, e.g. lunch 11:00–14:00; empty: opening hours.
  A window may end the next day (夜宵 22:00–次日02:00, `next_day`): its hours after midnight
  belong to the day it began, for the weekday and excluded-date rules (a Friday-only late-night
  voucher is good at 01:00 on Saturday, not at 01:00 on Friday).
- excluded_dates: local dates it cannot be used (holidays).
- new_customers_only: only diners with no earlier redemption at this restaurant when claiming; at
  the till, none before this visit (vouchers scanned at the same table in any order) and no other
  new-customer voucher.
- min/max_party_size: diners at the table, told by staff when redeeming.
- reservation_required: shown only (the app books; we cannot see a phone booking).
- one_per_table: one voucher of this deal per visit (same diner, same visit: VISIT_HOURS).
- stackable: False = not with another of this restaurant's vouchers in the same visit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from core.error_text import at_most, between, explained
from core.errors import Collector, ErrorCode, UserInputError
from core.schedule import OUT_OF_WINDOW, in_window
from models.deals import Claim, ClaimStatus

VISIT_HOURS = 3
MAX_WINDOWS = 4
MAX_EXCLUDED = 60
MAX_PARTY = 100


class Window(NamedTuple):
    """Local [start, end) of a day; `next_day`: it ends on the next day (end before start)."""

    start: time
    end: time
    next_day: bool = False

    def covers(self, at: time) -> bool:
        if self.next_day:
            return at >= self.start or at < self.end
        return self.start <= at < self.end

    def day_of(self, local: datetime) -> date:
        """The day a moment it covers belongs to: its hours after midnight, the day before."""
        after_midnight = self.next_day and local.time() < self.end
        return local.date() - timedelta(days=1) if after_midnight else local.date()


@dataclass
class Conditions:
    valid_weekdays: list[int] = field(default_factory=list)
    time_windows: list[Window] = field(default_factory=list)
    excluded_dates: list[date] = field(default_factory=list)
    new_customers_only: bool = False
    min_party_size: int | None = None
    max_party_size: int | None = None
    reservation_required: bool = False
    one_per_table: bool = False
    stackable: bool = True

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["time_windows"] = [
            [w.start.strftime("%H:%M"), w.end.strftime("%H:%M"), *([True] if w.next_day else [])]
            for w in map(as_window, self.time_windows)
        ]
        data["excluded_dates"] = [d.isoformat() for d in self.excluded_dates]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Conditions:
        data = dict(data or {})
        data["time_windows"] = [
            Window(time.fromisoformat(a), time.fromisoformat(b), *rest)
            for a, b, *rest in data.get("time_windows", [])
        ]
        data["excluded_dates"] = [date.fromisoformat(d) for d in data.get("excluded_dates", [])]
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


def as_window(value: tuple) -> Window:
    """A window from a (start, end[, next_day]) tuple, as code builds them (demo data)."""
    return value if isinstance(value, Window) else Window(*value)


def check(conditions: Conditions, collector: Collector) -> None:
    """Validate what a merchant typed (errors on `conditions.<field>`)."""
    conditions.valid_weekdays = sorted(set(conditions.valid_weekdays))
    if any(not 1 <= d <= 7 for d in conditions.valid_weekdays):
        collector.add(
            "conditions.validWeekdays",
            ErrorCode.OUT_OF_RANGE,
            between("Weekdays are 1 (Mon) to 7 (Sun)", 1, 7),
        )
    if len(conditions.time_windows) > MAX_WINDOWS:
        collector.add(
            "conditions.timeWindows",
            ErrorCode.OUT_OF_RANGE,
            at_most(f"At most {MAX_WINDOWS} windows", MAX_WINDOWS),
        )
    conditions.time_windows = [as_window(w) for w in conditions.time_windows]
    # The same day: it ends after it starts; the next day (endsNextDay): it ends before it starts
    # (a typo'd 14:00–11:00 is refused, not read as a 21-hour window).
    if any((w.end >= w.start) if w.next_day else (w.start >= w.end) for w in conditions.time_windows):
        collector.add(
            "conditions.timeWindows",
            ErrorCode.INVALID_TIME_RANGE,
            "Each window ends after it starts (before it, on the next day, with endsNextDay)",
        )
    conditions.excluded_dates = sorted(set(conditions.excluded_dates))
    if len(conditions.excluded_dates) > MAX_EXCLUDED:
        collector.add(
            "conditions.excludedDates",
            ErrorCode.OUT_OF_RANGE,
            at_most(f"At most {MAX_EXCLUDED} dates", MAX_EXCLUDED),
        )
    elif not all(map(in_window, conditions.excluded_dates)):
        collector.add("conditions.excludedDates", ErrorCode.OUT_OF_RANGE, OUT_OF_WINDOW)
    low, high = conditions.min_party_size, conditions.max_party_size
    for name, value in (("minPartySize", low), ("maxPartySize", high)):
        if value is not None and not 1 <= value <= MAX_PARTY:
            collector.add(
                f"conditions.{name}",
                ErrorCode.OUT_OF_RANGE,
                between(f"Party size is 1 to {MAX_PARTY}", 1, MAX_PARTY),
            )
    if low is not None and high is not None and low > high:
        collector.add("conditions.maxPartySize", ErrorCode.INVALID, "The maximum is below the minimum")


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_NAMES_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class FinePrint:
    """One line of 使用规则: a stable code, the Chinese the app shows (as Meituan's vouchers read),
    and the same in English."""

    code: str
    text: str
    text_en: str


def _window_ends(use_from: datetime, use_until: datetime, tz: ZoneInfo) -> tuple[str, str]:
    """The use window as local dates, with the time of day where it starts or ends mid-day: a
    voucher ending at 14:00 reads 2026-12-14 14:00, not 2026-12-14 (a diner would come for dinner
    and be refused); one ending at local midnight reads as the whole day before."""
    start, end = use_from.astimezone(tz), use_until.astimezone(tz)
    if start.second or start.microsecond:  # usable from 06:33:41 reads 06:34, never too early
        start = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    first = str(start.date()) if start.time() == time(0) else f"{start:%Y-%m-%d %H:%M}"
    if end.time() == time(0):
        return first, str((end - timedelta(days=1)).date())
    return first, f"{end:%Y-%m-%d %H:%M}"


def fine_print(conditions: Conditions, use_from: datetime, use_until: datetime, zone: str) -> list[FinePrint]:
    """The lines the app renders, in a fixed order, dates and times in the restaurant's zone."""
    first, last = _window_ends(use_from, use_until, ZoneInfo(zone))
    zh, en = f"有效期：{first} 至 {last}（{zone}）", f"Use {first} to {last} ({zone})"
    lines = [FinePrint("USE_WINDOW", zh, en)]
    if conditions.valid_weekdays and len(conditions.valid_weekdays) < 7:
        days = [d - 1 for d in conditions.valid_weekdays]
        zh = "、".join(WEEKDAY_NAMES_ZH[d] for d in days)
        lines.append(
            FinePrint("WEEKDAYS", f"仅限{zh}可用", "Valid on " + ", ".join(WEEKDAY_NAMES[d] for d in days))
        )
    if conditions.time_windows:
        windows = [as_window(w) for w in conditions.time_windows]
        zh = [f"{w.start:%H:%M}–{'次日' if w.next_day else ''}{w.end:%H:%M}" for w in windows]
        en = [f"{w.start:%H:%M}–{w.end:%H:%M}{' (next day)' if w.next_day else ''}" for w in windows]
        lines.append(FinePrint("TIME_WINDOWS", "可用时段：" + "、".join(zh), "Valid " + ", ".join(en)))
    # Only the dates the vouchers could otherwise be used on (a 2019 holiday says nothing).
    tz = ZoneInfo(zone)
    first_day, last_day = use_from.astimezone(tz).date(), use_until.astimezone(tz).date()
    dates = [str(d) for d in conditions.excluded_dates if first_day <= d <= last_day]
    if dates:
        lines.append(
            FinePrint(
                "EXCLUDED_DATES", "以下日期不可用：" + "、".join(dates), "Not valid on " + ", ".join(dates)
            )
        )
    if conditions.new_customers_only:
        lines.append(FinePrint("NEW_CUSTOMERS_ONLY", "仅限本店新客使用", "New customers only"))
    low, high = conditions.min_party_size, conditions.max_party_size
    if low and high:
        lines.append(FinePrint("PARTY_SIZE", f"适用 {low}–{high} 人", f"For {low}–{high} people"))
    elif low:
        lines.append(FinePrint("PARTY_SIZE", f"适用 {low} 人及以上", f"For {low}+ people"))
    elif high:
        lines.append(FinePrint("PARTY_SIZE", f"适用 {high} 人及以下", f"For up to {high} people"))
    if conditions.reservation_required:
        lines.append(FinePrint("RESERVATION", "需提前预约", "Reservation required"))
    else:
        lines.append(FinePrint("RESERVATION", "免预约", "No reservation needed"))
    if conditions.one_per_table:
        lines.append(FinePrint("ONE_PER_TABLE", "每桌限用 1 张", "One per table"))
    if conditions.stackable:
        lines.append(FinePrint("STACKABLE", "可与店内其他优惠同享", "Can be combined with other offers"))
    else:
        lines.append(FinePrint("STACKABLE", "不可与店内其他优惠同享", "Cannot be combined with other offers"))
    return lines


def refund_terms(price_cents: int, anytime: bool, on_expiry: bool) -> FinePrint | None:
    """退款规则, the line a buyer reads before paying (Meituan shows it first); none when free."""
    if price_cents <= 0:
        return None
    if anytime and on_expiry:
        return FinePrint("REFUND", "随时退 · 过期自动退", "Refund anytime; refunded automatically if unused")
    if anytime:
        return FinePrint("REFUND", "随时退（过期未使用不退）", "Refund anytime before it expires")
    if on_expiry:
        english = "No refund on request; refunded automatically if unused"
        return FinePrint("REFUND", "不支持随时退 · 过期未使用自动退", english)
    return FinePrint("REFUND", "不可退款", "Non-refundable")


def _day_refusal(conditions: Conditions, day: date) -> str | None:
    if conditions.valid_weekdays and day.isoweekday() not in conditions.valid_weekdays:
        return "Not valid on this weekday"
    if day in conditions.excluded_dates:
        return "Not valid on this date"
    return None


def _usable_at(conditions: Conditions, local: datetime) -> str | None:
    if not conditions.time_windows:
        return _day_refusal(conditions, local.date())
    windows = [w for w in map(as_window, conditions.time_windows) if w.covers(local.time())]
    if not windows:
        return _day_refusal(conditions, local.date()) or "Not valid at this time of day"
    # Usable when a window covering now belongs to a day the voucher is good on.
    refusals = [_day_refusal(conditions, w.day_of(local)) for w in windows]
    return None if None in refusals else refusals[0]


def usable_between(conditions: Conditions, lo: datetime, hi: datetime, zone: str) -> bool:
    """Whether the weekday, date and hour rules leave any moment in [lo, hi) to use the voucher
    (a lunch-only weekday voucher whose use window ends this Friday evening has none left on
    Friday afternoon). Day by day from the first usable one found: a year at most."""
    if hi <= lo:
        return False
    tz = ZoneInfo(zone)
    # All day is 00:00 to the next 00:00; the day before `lo` too, for its after-midnight hours.
    windows = [as_window(w) for w in conditions.time_windows] or [Window(time(0), time(0), True)]
    day, last = lo.astimezone(tz).date() - timedelta(days=1), hi.astimezone(tz).date()
    while day <= last:
        if _day_refusal(conditions, day) is None:
            for w in windows:
                start = datetime.combine(day, w.start, tzinfo=tz)
                end = datetime.combine(day + timedelta(days=1) if w.next_day else day, w.end, tzinfo=tz)
                if max(start, lo) < min(end, hi):
                    return True
        day += timedelta(days=1)
    return False


async def _redeemed_here_before(restaurant_id: int, user_id: int) -> bool:
    query = Claim.filter(deal__restaurant_id=restaurant_id, user_id=user_id, status=ClaimStatus.REDEEMED)
    return await query.exists()


async def _returning_at_the_till(restaurant_id: int, claim: Claim, now: datetime) -> bool:
    """At the till a diner is returning after a voucher used here before this visit (VISIT_HOURS),
    or another new-customer one at it: vouchers used at this visit don't count otherwise, so the
    order the till scans a first-timer's vouchers in changes nothing, as for stacking."""
    used = Claim.filter(
        deal__restaurant_id=restaurant_id, user_id=claim.user_id, status=ClaimStatus.REDEEMED
    ).exclude(id=claim.id)
    visit_began = now - timedelta(hours=VISIT_HOURS)
    if await used.filter(redeemed_at__lte=visit_began).exists():
        return True
    at_this_visit = await used.values_list("deal__conditions", flat=True)
    return any(Conditions.from_json(rules).new_customers_only for rules in at_this_visit)


async def check_claim(conditions: Conditions, restaurant_id: int, user_id: int, deal_id: int) -> None:
    if not conditions.new_customers_only:
        return
    if await _redeemed_here_before(restaurant_id, user_id):
        raise UserInputError(
            ErrorCode.NEW_CUSTOMERS_ONLY, "For new customers of this restaurant only", "dealId"
        )
    # One new-customer voucher per diner and restaurant: the first one used makes a returning
    # customer, so a second (another 新客专享 deal here) could never be used.
    held = (
        await Claim.filter(
            user_id=user_id,
            deal__restaurant_id=restaurant_id,
            status__in=(ClaimStatus.PENDING_PAYMENT, ClaimStatus.ISSUED),
        )
        .exclude(deal_id=deal_id)
        .values_list("deal__conditions", flat=True)
    )
    if any(Conditions.from_json(rules).new_customers_only for rules in held):
        raise UserInputError(
            ErrorCode.NEW_CUSTOMERS_ONLY, "You already hold a new-customer voucher here", "dealId"
        )


async def check_redeem(
    conditions: Conditions, claim: Claim, restaurant_id: int, zone: str, now: datetime, party_size: int | None
) -> None:
    """Every rule again at the till (the voucher may have been claimed long before)."""
    reason = _usable_at(conditions, now.astimezone(ZoneInfo(zone)))
    if reason:
        raise UserInputError(ErrorCode.NOT_USABLE_NOW, reason, "code")
    low, high = conditions.min_party_size, conditions.max_party_size
    if low or high:
        if party_size is None:
            raise UserInputError(ErrorCode.INVALID, "This voucher needs the party size", "partySize")
        if (low and party_size < low) or (high and party_size > high):
            raise UserInputError(ErrorCode.PARTY_SIZE, "Not valid for this party size", "partySize")
    if conditions.new_customers_only and await _returning_at_the_till(restaurant_id, claim, now):
        raise UserInputError(
            ErrorCode.NEW_CUSTOMERS_ONLY, "For new customers of this restaurant only", "code"
        )
    recent = Claim.filter(
        user_id=claim.user_id,
        status=ClaimStatus.REDEEMED,
        redeemed_at__gt=now - timedelta(hours=VISIT_HOURS),
        deal__restaurant_id=restaurant_id,
    )
    if conditions.one_per_table and await recent.filter(deal_id=claim.deal_id).exists():
        one = explained("One per table: one was already used", "NOT_STACKABLE.one_per_table")
        raise UserInputError(ErrorCode.NOT_STACKABLE, one, "code")
    # Not combinable either way: this voucher is not stackable, or one used at this visit is not
    # (the order the till scans them in changes nothing).
    others = await recent.exclude(deal_id=claim.deal_id).select_related("deal")
    if others and (
        not conditions.stackable or any(not Conditions.from_json(o.deal.conditions).stackable for o in others)
    ):
        raise UserInputError(ErrorCode.NOT_STACKABLE, "Cannot be combined with another voucher", "code")
