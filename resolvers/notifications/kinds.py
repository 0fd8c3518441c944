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
    "removed": "The host removed you from a meal",
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
}


def is_kind(kind: str) -> bool:
    return kind in KINDS
