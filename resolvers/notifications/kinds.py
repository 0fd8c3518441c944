"""Every kind of notification, with what it means (the preferences list shows these).

Append new kinds at the end (a domain that notifies adds its kind here first).
"""

from __future__ import annotations

KINDS: dict[str, str] = {
    "new_follower": "Someone followed you",
    "match_request": "A diner sent you a match request",
    "match_accepted": "A diner accepted your match request",
    "match_declined": "A diner declined your match request",
    "helpful_vote": "Someone found your review helpful",
    "meal_joined": "A diner joined, asked to join or waitlisted for a meal you host",
    "meal_left": "A guest left a meal you host",
    "promoted": "A seat freed up and you moved from the waitlist into the meal",
    "removed": "You are no longer on a meal's guest list",
    "join_joined": "The host approved your request and seated you",
    "join_waitlisted": "The host approved your request; you are on the waitlist",
    "join_declined": "The host declined your request to join",
    "meal_cancelled": "A meal you were going to was cancelled",
    "reservation_confirmed": "The restaurant confirmed the table for your meal",
    "reservation_declined": "The restaurant declined the table for your meal",
    "deal_expiring": "A voucher of yours is about to expire unused",
    "report_resolved": "A moderator decided on something you reported",
    "content_moderated": "A moderator acted on your content or account",
    "message": "A new message in one of your conversations",
    # tables (issue 16)
    "seat_offered": "A seat freed up in a meal you waitlisted for: accept it before the offer lapses",
    "offer_lapsed": "A seat offer you did not answer in time went to the next diner",
    "reservation_proposed": "The restaurant proposed another time for your meal's table",
    "meal_time_changed": "A meal you are going to moved to a new time",
    "meal_changed": "A poll in your meal closed and changed its time, restaurant or dishes",
    "reservation_requested": "Staff: a shared meal asks your restaurant for a table",
    "booking_new": "Staff: a new booking at your restaurant",
    "booking_cancelled": "Staff: a booking at your restaurant was cancelled",
    "booking_confirmed": "The restaurant confirmed your booking",
    "booking_declined": "The restaurant declined your booking",
    "booking_proposed": "The restaurant proposed another time for your booking",
    "review_reply": "The restaurant replied to your review",
    "voucher_refunded": "A restaurant closed and your unused voucher was refunded",
    # voucher life (resolvers/deals/voucher_notices.py)
    "voucher_paid": "Your payment for a voucher went through: it is ready to use",
    "voucher_redeemed": "A voucher of yours was used at the restaurant",
    "refund_completed": "A refund for a voucher you paid for was accepted: the money goes back",
    "referral_credit": "Something you shared brought a customer and earned you referral credit",
    "booking_proposal_answered": "Staff: a diner accepted or turned down the time you proposed",
    "booking_no_show": "You were marked as a no-show for a booking",
    "restaurant_closed": "A restaurant closed: your booking or event place there was cancelled",
    "event_cancelled": "An event you signed up for was cancelled",
    "reservation_withdrawn": "Staff: a shared meal withdrew its table request (cancelled or moved)",
}


def is_kind(kind: str) -> bool:
    return kind in KINDS
