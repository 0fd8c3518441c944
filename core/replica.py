"""Where lag-tolerant reads go: the read replica when DATABASE_REPLICA_URL is set, else the primary.

Feeds, nearby lists and insights read through `read_db(ctx)`; everything that must see the
viewer's own latest write (their profile, payloads of mutations) stays on the primary.
"""

from __future__ import annotations

from typing import Any

from tortoise import connections

from core.context import Context


def read_db(ctx: Context) -> Any:
    return connections.get(ctx.settings.read_connection)
