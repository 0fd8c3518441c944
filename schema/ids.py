"""Opaque global IDs (Relay): base64("TypeName:pk")."""

from __future__ import annotations

from strawberry import relay

from resolvers.errors import ErrorCode, UserInputError


def decode_any(global_id: str, field: str) -> tuple[str, int]:
    """(type name, primary key) of a global ID, or INVALID_ID naming the input field."""
    try:
        parsed = relay.GlobalID.from_id(global_id)
        return parsed.type_name, int(parsed.node_id)
    except (ValueError, TypeError, AttributeError):
        raise UserInputError(ErrorCode.INVALID_ID, "Not a valid ID", field) from None


def decode(global_id: str, type_name: str, field: str) -> int:
    """Primary key of a global ID that must be of `type_name`."""
    kind, pk = decode_any(global_id, field)
    if kind != type_name:
        raise UserInputError(ErrorCode.INVALID_ID, f"Expected an ID of a {type_name}", field)
    return pk


def encode(type_name: str, pk: int) -> str:
    return str(relay.GlobalID(type_name, str(pk)))
