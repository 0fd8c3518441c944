"""Kept for callers written before notifications became a domain: see resolvers/notifications/."""

from __future__ import annotations

from resolvers.notifications.inbox import TOPIC, announce, mark_read, notify, notify_now, page, unread_count

__all__ = ["TOPIC", "announce", "mark_read", "notify", "notify_now", "page", "unread_count"]
