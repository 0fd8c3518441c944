"""What an error says, in the language the diner's phone asks for.

Phones send `Accept-Language` with every request (iOS and Android from the system language:
`zh-Hans-CN`, `zh-CN,zh;q=0.9,en;q=0.8`, `zh-Hant-TW`). When Chinese is preferred to English,
`UserError.message` and the `message` of coded GraphQL errors are the Chinese sentence of their
code, the text a Chinese app shows as it is: in traditional characters for `zh-Hant`, Taiwan,
Hong Kong and Macau (`TRADITIONAL`, OpenCC's s2t conversion of `CHINESE`, kept equal to it by
tests/test_error_language.py: no converter loaded per worker), simplified otherwise; for anything
else the English message the resolver wrote (with its details, such as a limit), as before.
Codes and fields are the same in every language: apps branch on those.

Where the code's sentence alone would leave a Chinese reader guessing (which tag? up to what?)
or say something else than the English (a refunded voucher is not "cancelled"), the resolver's
message is an `Explained` text naming a more precise sentence of these tables, with values
filled into its `{placeholders}` (tag names, numbers: no language of their own).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.errors import ErrorCode

CHINESE: dict[str, str] = {
    ErrorCode.INVALID.value: "输入有误，请检查后重试",
    ErrorCode.INVALID_ID.value: "编号无效",
    ErrorCode.NOT_FOUND.value: "内容不存在或已删除",
    ErrorCode.FORBIDDEN.value: "没有权限进行此操作",
    ErrorCode.UNAUTHENTICATED.value: "请先登录",
    ErrorCode.RATE_LIMITED.value: "操作太频繁，请稍后再试",
    ErrorCode.UNAVAILABLE.value: "服务暂时不可用，请稍后再试",
    ErrorCode.INVALID_EMAIL.value: "邮箱格式不正确",
    ErrorCode.WEAK_PASSWORD.value: "密码太简单，请换一个更安全的密码",
    ErrorCode.EMAIL_TAKEN.value: "该邮箱已被注册",
    ErrorCode.INVALID_CREDENTIALS.value: "邮箱或密码错误",
    ErrorCode.ACCOUNT_SUSPENDED.value: "账号已被封禁",
    ErrorCode.TOO_LONG.value: "内容太长了",
    ErrorCode.OUT_OF_RANGE.value: "数值超出允许范围",
    ErrorCode.UNKNOWN_TAG.value: "不支持的标签",
    ErrorCode.SELF_ACTION.value: "不能对自己进行此操作",
    ErrorCode.BLOCKED.value: "你已拉黑对方，无法进行此操作",
    ErrorCode.DUPLICATE.value: "已经存在，请勿重复提交",
    ErrorCode.ALREADY_ANSWERED.value: "该请求已经处理过了",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE.value: "不支持的文件格式",
    ErrorCode.FILE_TOO_LARGE.value: "文件太大了",
    ErrorCode.UPLOAD_MISSING.value: "没有找到上传的文件，请重新上传",
    ErrorCode.NOT_AN_IMAGE.value: "文件不是有效的图片",
    ErrorCode.IMAGE_TOO_LARGE.value: "图片尺寸太大了",
    ErrorCode.ALREADY_REVIEWED.value: "你已经点评过了",
    ErrorCode.OWN_CONTENT.value: "不能对自己发布的内容进行此操作",
    ErrorCode.ALREADY_VOTED.value: "你已经投过了",
    ErrorCode.IN_THE_PAST.value: "时间不能早于现在",
    ErrorCode.INVALID_TIME_RANGE.value: "时间范围无效",
    ErrorCode.MEAL_FULL.value: "饭局已满员",
    ErrorCode.EVENT_FULL.value: "活动名额已满",
    ErrorCode.ALREADY_JOINED.value: "你已经加入了",
    ErrorCode.NOT_JOINED.value: "你还没有加入",
    ErrorCode.CANCELLED.value: "已取消",
    ErrorCode.SOLD_OUT.value: "已售罄",
    ErrorCode.DEAL_NOT_STARTED.value: "团购尚未开售",
    ErrorCode.DEAL_EXPIRED.value: "团购已结束",
    ErrorCode.DEAL_INACTIVE.value: "团购已下架",
    ErrorCode.LIMIT_REACHED.value: "已达到每人限购数量",
    ErrorCode.ALREADY_REDEEMED.value: "券码已使用",
    ErrorCode.VOUCHER_EXPIRED.value: "券已过期",
    ErrorCode.WRONG_RESTAURANT.value: "该券不适用于本店",
    ErrorCode.PAYMENT_REQUIRED.value: "请先完成支付",
    ErrorCode.NOT_USABLE_NOW.value: "当前时段不可使用",
    ErrorCode.NEW_CUSTOMERS_ONLY.value: "仅限新客使用",
    ErrorCode.PARTY_SIZE.value: "用餐人数不符合使用条件",
    ErrorCode.NOT_STACKABLE.value: "不可与其他优惠同时使用",
    ErrorCode.REFUND_NOT_ALLOWED.value: "该券不支持退款",
    ErrorCode.VOUCHER_NOT_YET_VALID.value: "券还未到可用日期",
    ErrorCode.ALREADY_REPORTED.value: "你已经举报过了",
    ErrorCode.SLOT_FULL.value: "该时段已订满",
    ErrorCode.TOO_LATE.value: "已经过了可以操作的时间",
    ErrorCode.TOO_EARLY.value: "还没到可以操作的时间",
    ErrorCode.POLL_CLOSED.value: "投票已结束",
    ErrorCode.OFFER_LAPSED.value: "邀请已过期",
    ErrorCode.RESTAURANT_CLOSED.value: "餐厅该时段未营业，请换个时间",
    ErrorCode.UNKNOWN_KIND.value: "不支持的通知类型",
    ErrorCode.INVALID_DEVICE_TOKEN.value: "设备推送令牌无效",
    ErrorCode.LOCATION_CONSENT_REQUIRED.value: "请先同意使用位置信息",
    ErrorCode.UNUSED_VOUCHERS.value: "账户内还有未使用的已付款券，请先使用或申请退款后再注销",
    # More precise than their code's sentence (`explained`)
    "TOO_LONG.max": "内容太长了，最多 {max} 个字",
    "OUT_OF_RANGE.between": "数值超出允许范围，应为 {low} 到 {high}",
    "OUT_OF_RANGE.at_most": "数量超出允许范围，最多 {max} 个",
    "OUT_OF_RANGE.ahead": "时间太远了，最多只能提前 {days} 天",
    "UNKNOWN_TAG.named": "不支持的标签：{tags}",
    "CANCELLED.refunded": "该券已退款",
    "NOT_STACKABLE.one_per_table": "每桌限用 1 张，本桌已使用过",
    "ACCOUNT_SUSPENDED.until": "账号已被封禁，将于 {until} 解封",
    "FORBIDDEN.not_staff": "只有餐厅员工可以核销券码",
    "FORBIDDEN.diners_only": "仅限个人食客账号使用",
    "FORBIDDEN.owner_only": "仅店主可以操作",
    "UNUSED_VOUCHERS.not_refundable": (
        "账户内还有未使用的已付款券（含不可退款的券），请先使用或等过期后再注销"
    ),
    "BAD_USER_INPUT.period": "时间范围有误：结束不能早于开始，最长 {days} 天",
    "BAD_USER_INPUT.offset": "时间需要带时区，例如 2026-12-01T00:00:00+08:00",
    # GraphQL errors' own codes
    "BAD_USER_INPUT": "请求参数有误",
    "INTERNAL_SERVER_ERROR": "服务器开小差了，请稍后再试",
}


TRADITIONAL: dict[str, str] = {
    "INVALID": "輸入有誤，請檢查後重試",
    "INVALID_ID": "編號無效",
    "NOT_FOUND": "內容不存在或已刪除",
    "FORBIDDEN": "沒有權限進行此操作",
    "UNAUTHENTICATED": "請先登錄",
    "RATE_LIMITED": "操作太頻繁，請稍後再試",
    "UNAVAILABLE": "服務暫時不可用，請稍後再試",
    "INVALID_EMAIL": "郵箱格式不正確",
    "WEAK_PASSWORD": "密碼太簡單，請換一個更安全的密碼",
    "EMAIL_TAKEN": "該郵箱已被註冊",
    "INVALID_CREDENTIALS": "郵箱或密碼錯誤",
    "ACCOUNT_SUSPENDED": "賬號已被封禁",
    "TOO_LONG": "內容太長了",
    "OUT_OF_RANGE": "數值超出允許範圍",
    "UNKNOWN_TAG": "不支持的標籤",
    "SELF_ACTION": "不能對自己進行此操作",
    "BLOCKED": "你已拉黑對方，無法進行此操作",
    "DUPLICATE": "已經存在，請勿重複提交",
    "ALREADY_ANSWERED": "該請求已經處理過了",
    "UNSUPPORTED_MEDIA_TYPE": "不支持的文件格式",
    "FILE_TOO_LARGE": "文件太大了",
    "UPLOAD_MISSING": "沒有找到上傳的文件，請重新上傳",
    "NOT_AN_IMAGE": "文件不是有效的圖片",
    "IMAGE_TOO_LARGE": "圖片尺寸太大了",
    "ALREADY_REVIEWED": "你已經點評過了",
    "OWN_CONTENT": "不能對自己發佈的內容進行此操作",
    "ALREADY_VOTED": "你已經投過了",
    "IN_THE_PAST": "時間不能早於現在",
    "INVALID_TIME_RANGE": "時間範圍無效",
    "MEAL_FULL": "飯局已滿員",
    "EVENT_FULL": "活動名額已滿",
    "ALREADY_JOINED": "你已經加入了",
    "NOT_JOINED": "你還沒有加入",
    "CANCELLED": "已取消",
    "SOLD_OUT": "已售罄",
    "DEAL_NOT_STARTED": "團購尚未開售",
    "DEAL_EXPIRED": "團購已結束",
    "DEAL_INACTIVE": "團購已下架",
    "LIMIT_REACHED": "已達到每人限購數量",
    "ALREADY_REDEEMED": "券碼已使用",
    "VOUCHER_EXPIRED": "券已過期",
    "WRONG_RESTAURANT": "該券不適用於本店",
    "PAYMENT_REQUIRED": "請先完成支付",
    "NOT_USABLE_NOW": "當前時段不可使用",
    "NEW_CUSTOMERS_ONLY": "僅限新客使用",
    "PARTY_SIZE": "用餐人數不符合使用條件",
    "NOT_STACKABLE": "不可與其他優惠同時使用",
    "REFUND_NOT_ALLOWED": "該券不支持退款",
    "VOUCHER_NOT_YET_VALID": "券還未到可用日期",
    "ALREADY_REPORTED": "你已經舉報過了",
    "SLOT_FULL": "該時段已訂滿",
    "TOO_LATE": "已經過了可以操作的時間",
    "TOO_EARLY": "還沒到可以操作的時間",
    "POLL_CLOSED": "投票已結束",
    "OFFER_LAPSED": "邀請已過期",
    "RESTAURANT_CLOSED": "餐廳該時段未營業，請換個時間",
    "UNKNOWN_KIND": "不支持的通知類型",
    "INVALID_DEVICE_TOKEN": "設備推送令牌無效",
    "LOCATION_CONSENT_REQUIRED": "請先同意使用位置信息",
    "UNUSED_VOUCHERS": "賬戶內還有未使用的已付款券，請先使用或申請退款後再註銷",
    "TOO_LONG.max": "內容太長了，最多 {max} 個字",
    "OUT_OF_RANGE.between": "數值超出允許範圍，應爲 {low} 到 {high}",
    "OUT_OF_RANGE.at_most": "數量超出允許範圍，最多 {max} 個",
    "OUT_OF_RANGE.ahead": "時間太遠了，最多隻能提前 {days} 天",
    "UNKNOWN_TAG.named": "不支持的標籤：{tags}",
    "CANCELLED.refunded": "該券已退款",
    "NOT_STACKABLE.one_per_table": "每桌限用 1 張，本桌已使用過",
    "ACCOUNT_SUSPENDED.until": "賬號已被封禁，將於 {until} 解封",
    "FORBIDDEN.not_staff": "只有餐廳員工可以覈銷券碼",
    "FORBIDDEN.diners_only": "僅限個人食客賬號使用",
    "FORBIDDEN.owner_only": "僅店主可以操作",
    "UNUSED_VOUCHERS.not_refundable": (
        "賬戶內還有未使用的已付款券（含不可退款的券），請先使用或等過期後再註銷"
    ),
    "BAD_USER_INPUT.period": "時間範圍有誤：結束不能早於開始，最長 {days} 天",
    "BAD_USER_INPUT.offset": "時間需要帶時區，例如 2026-12-01T00:00:00+08:00",
    "BAD_USER_INPUT": "請求參數有誤",
    "INTERNAL_SERVER_ERROR": "服務器開小差了，請稍後再試",
}

ENGLISH, SIMPLIFIED, TRADITIONAL_CHINESE = "en", "zh-Hans", "zh-Hant"
_TRADITIONAL_REGIONS = ("hant", "tw", "hk", "mo")


def _weights(accept_language: str) -> dict[str, tuple[float, str]]:
    """The best weight the header gives Chinese and English (`zh-*`, `en-*`), in its order, with
    the tag that gave it."""
    weights: dict[str, tuple[float, str]] = {}
    for item in accept_language.split(",")[:32]:
        tag, _, params = item.strip().partition(";")
        tag = tag.strip().lower()
        primary = tag.split("-", 1)[0]
        if primary not in ("zh", "en"):
            continue
        weight = 1.0
        params = params.strip().lower()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        if weight > weights.get(primary, (-1.0, ""))[0]:
            weights[primary] = (weight, tag)
    return weights


def language(accept_language: str | None) -> str:
    """ENGLISH, SIMPLIFIED or TRADITIONAL_CHINESE: Chinese when the header weighs it above English
    (or equal and named first), traditional for zh-Hant and zh-TW/HK/MO."""
    if not accept_language:
        return ENGLISH
    weights = _weights(accept_language)
    chinese, tag = weights.get("zh", (0.0, ""))
    if chinese <= 0.0:
        return ENGLISH
    english = weights.get("en", (-1.0, ""))[0]
    if chinese < english or (chinese == english and next(iter(weights)) != "zh"):
        return ENGLISH
    parts = tag.split("-")[1:]
    return (
        TRADITIONAL_CHINESE
        if any(p in _TRADITIONAL_REGIONS for p in parts) and "hans" not in parts
        else SIMPLIFIED
    )


_SENTENCES = {SIMPLIFIED: CHINESE, TRADITIONAL_CHINESE: TRADITIONAL}


class Explained(str):
    """An English message that also names its Chinese sentence (a key of CHINESE) and the values
    of that sentence's placeholders. It is the message itself (a `str`), so it travels through
    every error tuple and payload unchanged."""

    sentence: str
    values: dict[str, object]


def explained(english: str, sentence: str, **values: object) -> str:
    """`english`, shown in Chinese as CHINESE[`sentence`] with `values` filled in."""
    text = Explained(english)
    text.sentence, text.values = sentence, values
    return text


def too_long(limit: int, english: str | None = None) -> str:
    return explained(english or f"At most {limit} characters", "TOO_LONG.max", max=limit)


def between(english: str, low: object, high: object) -> str:
    return explained(english, "OUT_OF_RANGE.between", low=low, high=high)


def at_most(english: str, limit: int) -> str:
    return explained(english, "OUT_OF_RANGE.at_most", max=limit)


def suspended_until(until: datetime, zone: str) -> str:
    """When the suspension ends, in the diner's own time zone (12月10日 14:00)."""
    local = until.astimezone(ZoneInfo(zone or "UTC"))
    english = f"This account is suspended until {local:%Y-%m-%d %H:%M} ({zone or 'UTC'})"
    return explained(english, "ACCOUNT_SUSPENDED.until", until=f"{local.month}月{local.day}日 {local:%H:%M}")


def unknown_tags(english: str, unknown: list[str]) -> str:
    return explained(f"{english}: {', '.join(unknown)}", "UNKNOWN_TAG.named", tags="、".join(unknown))


def in_language(code: str, message: str, language: str) -> str:
    """The message to show: the Chinese sentence the message names, else its code's; or the
    resolver's English one."""
    table = _SENTENCES.get(language)
    if table is None:
        return message
    if isinstance(message, Explained) and message.sentence in table:
        return table[message.sentence].format_map(message.values)
    return table.get(code, message)
