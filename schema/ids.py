"""Opaque global IDs (Relay): base64("TypeName:pk").

A primary key is canonical decimal digits within BIGINT: `int()` alone also accepts " 1", "+1",
"1_0", other scripts' digits and 10**30, which reached the database driver as an overflow (500).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from strawberry import relay
from strawberry.types.cast import cast as strawberry_cast

from core.errors import ErrorCode, UserInputError

PK = re.compile(r"[1-9][0-9]{0,18}")
MAX_PK = 2**63 - 1


def decode_any(global_id: str, field: str) -> tuple[str, int]:
    """(type name, primary key) of a global ID, or INVALID_ID naming the input field."""
    try:
        parsed = relay.GlobalID.from_id(global_id)
    except (ValueError, TypeError, AttributeError):
        parsed = None
    if parsed is None or not PK.fullmatch(parsed.node_id) or int(parsed.node_id) > MAX_PK:
        raise UserInputError(ErrorCode.INVALID_ID, "Not a valid ID", field)
    return parsed.type_name, int(parsed.node_id)


def decode(global_id: str, type_name: str, field: str) -> int:
    """Primary key of a global ID that must be of `type_name`."""
    kind, pk = decode_any(global_id, field)
    if kind != type_name:
        raise UserInputError(ErrorCode.INVALID_ID, f"Expected an ID of a {type_name}", field)
    return pk


def encode(type_name: str, pk: int) -> str:
    return str(relay.GlobalID(type_name, str(pk)))


async def resolve_global_id(info: Any, global_id: str) -> relay.Node | None:
    """`node(id:)`: a malformed ID is INVALID_ID; an unknown type or a missing object is null."""
    kind, pk = decode_any(global_id, "id")
    definition = info.schema.get_type_by_name(kind)
    origin = getattr(definition, "origin", None)
    if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
        return None
    node = origin.resolve_node(str(pk), info=info, required=False)
    node = await node if inspect.isawaitable(node) else node
    return strawberry_cast(origin, node) if node is not None else None
