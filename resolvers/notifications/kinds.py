"""Every kind of notification, with what it means (the preferences list shows these).

Each kind has a Chinese description (what the app shows: `NotificationPreference.description`)
and an English one (`descriptionEn`), worded as the settings of a Chinese app would be. Append
new kinds at the end (a domain that notifies adds its kind here first, with both texts).
"""

from __future__ import annotations

from typing import NamedTuple


class Kind(NamedTuple):
    zh: str
    en: str


KINDS: dict[str, Kind] = {
    "new_follower": Kind("有人关注了你", "Someone followed you"),
    "match_request": Kind("有饭友向你发来搭子请求", "A diner sent you a match request"),
    "match_accepted": Kind("有饭友接受了你的搭子请求", "A diner accepted your match request"),
    "match_declined": Kind("有饭友拒绝了你的搭子请求", "A diner declined your match request"),
    "helpful_vote": Kind("有人觉得你的点评有用", "Someone found your review helpful"),
    "meal_joined": Kind(
        "有人加入、申请加入或候补了你发起的饭局",
        "A diner joined, asked to join or waitlisted for a meal you host",
    ),
    "meal_left": Kind("有人退出了你发起的饭局", "A guest left a meal you host"),
    "promoted": Kind(
        "饭局空出座位，你已从候补转为正式参加",
        "A seat freed up and you moved from the waitlist into the meal",
    ),
    "removed": Kind("你已不在某个饭局的参加名单中", "You are no longer on a meal's guest list"),
    "join_joined": Kind("发起人通过了你的申请，你已入席", "The host approved your request and seated you"),
    "join_waitlisted": Kind(
        "发起人通过了你的申请，你在候补名单中", "The host approved your request; you are on the waitlist"
    ),
    "join_declined": Kind("发起人拒绝了你的加入申请", "The host declined your request to join"),
    "meal_cancelled": Kind("你要参加的饭局已取消", "A meal you were going to was cancelled"),
    "reservation_confirmed": Kind(
        "你的饭局订座被餐厅确认", "The restaurant confirmed the table for your meal"
    ),
    "reservation_declined": Kind("餐厅拒绝了你的饭局订座", "The restaurant declined the table for your meal"),
    "deal_expiring": Kind("你有未使用的券即将过期", "A voucher of yours is about to expire unused"),
    "report_resolved": Kind("你的举报有了处理结果", "A moderator decided on something you reported"),
    "content_moderated": Kind("管理员处理了你的内容或账号", "A moderator acted on your content or account"),
    "message": Kind("你的会话有新消息", "A new message in one of your conversations"),
    # tables (issue 16)
    "seat_offered": Kind(
        "你候补的饭局空出了座位，请在邀请失效前确认",
        "A seat freed up in a meal you waitlisted for: accept it before the offer lapses",
    ),
    "offer_lapsed": Kind(
        "你没有及时回应座位邀请，座位已让给下一位",
        "A seat offer you did not answer in time went to the next diner",
    ),
    "reservation_proposed": Kind(
        "餐厅为你的饭局订座提议了其他时间", "The restaurant proposed another time for your meal's table"
    ),
    "meal_time_changed": Kind("你要参加的饭局改了时间", "A meal you are going to moved to a new time"),
    "meal_changed": Kind(
        "饭局投票已结束，时间、餐厅或菜品有变",
        "A poll in your meal closed and changed its time, restaurant or dishes",
    ),
    "reservation_requested": Kind(
        "商家：有饭局向你的餐厅申请订座", "Staff: a shared meal asks your restaurant for a table"
    ),
    "booking_new": Kind("商家：你的餐厅有新订座", "Staff: a new booking at your restaurant"),
    "booking_cancelled": Kind(
        "商家：你餐厅的一笔订座已取消", "Staff: a booking at your restaurant was cancelled"
    ),
    "booking_confirmed": Kind("你的订座被餐厅确认", "The restaurant confirmed your booking"),
    "booking_declined": Kind("餐厅拒绝了你的订座", "The restaurant declined your booking"),
    "booking_proposed": Kind(
        "餐厅为你的订座提议了其他时间", "The restaurant proposed another time for your booking"
    ),
    "staff_invitation": Kind("有餐厅邀请你成为店员", "A restaurant invited you to join its staff"),
    "review_reply": Kind("商家回复了你的点评", "The restaurant replied to your review"),
    "voucher_refunded": Kind(
        "餐厅已停业，你未使用的券已退款", "A restaurant closed and your unused voucher was refunded"
    ),
    # voucher life (resolvers/deals/voucher_notices.py)
    "voucher_paid": Kind(
        "购买成功，券已可使用", "Your payment for a voucher went through: it is ready to use"
    ),
    "voucher_redeemed": Kind("你的券已在餐厅核销", "A voucher of yours was used at the restaurant"),
    "refund_completed": Kind(
        "退款已受理，款项将原路退回", "A refund for a voucher you paid for was accepted: the money goes back"
    ),
    "referral_credit": Kind(
        "你分享的内容带来了新顾客，获得推荐奖励",
        "Something you shared brought a customer and earned you referral credit",
    ),
    "booking_proposal_answered": Kind(
        "商家：顾客接受或拒绝了你提议的时间", "Staff: a diner accepted or turned down the time you proposed"
    ),
    "booking_no_show": Kind("你的一笔订座被标记为未到店", "You were marked as a no-show for a booking"),
    "restaurant_closed": Kind(
        "餐厅已停业，你在那里的订座或活动名额已取消",
        "A restaurant closed: your booking or event place there was cancelled",
    ),
    "event_cancelled": Kind("你报名的活动已取消", "An event you signed up for was cancelled"),
    "reservation_withdrawn": Kind(
        "商家：有饭局撤回了订座申请（已取消或改期）",
        "Staff: a shared meal withdrew its table request (cancelled or moved)",
    ),
    "reservation_proposal_answered": Kind(
        "商家：饭局主人答复了你建议的新时间",
        "Staff: a meal's host accepted or turned down the time you proposed",
    ),
    "event_changed": Kind("你报名的活动改时间了", "An event you signed up for moved to a new time"),
    "meal_reminder": Kind(
        "开饭提醒：你要参加的饭局几小时后开始", "Meal reminder: a meal you are going to starts in a few hours"
    ),
    "event_place_freed": Kind(
        "候补成功：你候补的活动有位置了", "Off the waitlist: a place at an event you waited for is yours"
    ),
    "event_reminder": Kind(
        "活动提醒：你报名的活动几小时后开始",
        "Event reminder: an event you signed up for starts in a few hours",
    ),
}


def is_kind(kind: str) -> bool:
    return kind in KINDS
