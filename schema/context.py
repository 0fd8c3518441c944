"""The typed Info every field resolver receives."""

from __future__ import annotations

from typing import TypeAlias

import strawberry

from core.context import Context

Info: TypeAlias = strawberry.Info[Context, None]
