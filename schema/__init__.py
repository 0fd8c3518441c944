"""The GraphQL schema, assembled from per-domain Query/Mutation/Subscription classes."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema.error_log import LoggedSchema
from schema.fast_leaves import FastLeavesExecutionContext
from schema.ids import resolve_global_id
from schema.lean import lean_resolvers
from schema.nodes import plain_ids
from schema.pipeline import OperationPipeline
from schema.validation import DocumentLimits, DocumentValidator
from settings import Settings

DOMAINS = (
    "accounts", "foodies", "restaurants", "reviews", "feed", "meals", "deals", "moderation",
    "vouchers", "matches", "conversations", "search", "hours", "tables", "notifications", "privacy",
    "trust", "favourites",
)


def _domain_modules() -> list[object]:
    return [
        importlib.import_module(f"schema.{name}")
        for name in DOMAINS
        if importlib.util.find_spec(f"schema.{name}")
    ]


def _merged(name: str, modules: list[object]) -> type | None:
    parts = tuple(getattr(m, name) for m in modules if hasattr(m, name))
    return merge_types(name, parts) if parts else None


def _node_query() -> type:
    """A fresh `node` field per schema (an app rebuilt in-process gets its own). Our resolver, not
    relay.node(): that one turned forged IDs (non-integer, overflowing, unknown type) into 500s."""

    @strawberry.type
    class NodeQuery:
        @strawberry.field(description="Any object by its global ID.")
        async def node(
            self,
            info: strawberry.Info,
            id: Annotated[strawberry.ID, strawberry.argument(description="The ID of the object.")],
        ) -> relay.Node | None:
            return await resolve_global_id(info, id)

    return NodeQuery


def build_schema(settings: Settings) -> strawberry.Schema:
    modules = _domain_modules()
    query = merge_types("Query", (_node_query(), *(m.Query for m in modules if hasattr(m, "Query"))))
    validator: list[DocumentValidator] = []  # built once the schema exists (it validates against it)
    hide_suggestions = not settings.introspection
    # A factory, not an instance: strawberry builds fresh extensions per request. One extension
    # runs every per-operation step (schema/pipeline.py): logging and metrics, token limit, size
    # guard with cached parse and validation, query cost, unstorable text, error classification,
    # tracing; each more extension costs its own hook wrappers on every request.
    extensions: list[object] = [
        lambda: OperationPipeline(
            validator[0],
            max_tokens=settings.max_tokens,
            max_cost=settings.max_query_cost,
            hide_suggestions=hide_suggestions,
            expose_internal=settings.env == "development",
        ),
    ]
    extra = [m.extensions(settings) for m in modules if hasattr(m, "extensions")]
    for more in extra:
        extensions.extend(more)
    schema = LoggedSchema(  # client errors at INFO, not strawberry's ERROR + traceback
        query=query,
        mutation=_merged("Mutation", modules),
        subscription=_merged("Subscription", modules),
        extensions=extensions,
        config=StrawberryConfig(relay_max_results=100),
        # plain leaf fields completed without graphql-core's per-field objects (schema/fast_leaves.py)
        execution_context_class=FastLeavesExecutionContext if settings.fast_leaves else None,
    )
    limits = DocumentLimits(
        max_bytes=settings.max_document_bytes,
        max_selections=settings.max_selections,
        max_repeated_fields=settings.max_repeated_fields,
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
    )
    plain_ids(schema._schema)  # every node's `id` resolved directly (schema/nodes.py)
    lean_resolvers(schema)  # the other fields, where strawberry's wrappers do nothing (schema/lean.py)
    validator.append(DocumentValidator(schema._schema, limits, settings.introspection))
    schema.document_validator = validator[0]  # type: ignore[attr-defined]
    return schema
