"""Notifications: the inbox every social event writes to, per-kind preferences, push to phones.

`inbox.notify(ctx, user_ids, kind, message, ...)` is the one entry point for every domain (it
runs inside the caller's transaction and also queues the push outbox rows); `inbox.announce`
after commit tells live clients. `kinds.KINDS` lists every kind a preference can name.
"""
