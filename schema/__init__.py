"""The GraphQL schema, assembled from per-domain Query/Mutation/Subscription classes."""

from __future__ import annotations

import importlib
import importlib.util

import strawberry
from strawberry import relay
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema.cost import QueryCostLimiter
from schema.errors import ClassifyErrors
from schema.input_guard import RejectNulCharacters
from schema.observe import ObserveOperations
from settings import Settings

DOMAINS = ("accounts", "foodies", "restaurants", "reviews", "feed", "meals", "deals", "moderation")


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
    """A fresh `node` field per schema: strawberry's node extension mutates the field it applies to,
    so sharing one between two schemas (tests, or an app rebuilt in-process) breaks the second."""

    @strawberry.type
    class NodeQuery:
        node: relay.Node | None = relay.node(description="Any object by its global ID.")

    return NodeQuery


def build_schema(settings: Settings) -> strawberry.Schema:
    modules = _domain_modules()
    query = merge_types("Query", (_node_query(), *(m.Query for m in modules if hasattr(m, "Query"))))
    # Factories, not instances: strawberry builds fresh extensions per request.
    extensions: list[object] = [
        ObserveOperations,
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: QueryCostLimiter(max_cost=settings.max_query_cost),
        RejectNulCharacters,
        lambda: ClassifyErrors(expose_internal=settings.env == "development"),
    ]
    extra = [m.extensions(settings) for m in modules if hasattr(m, "extensions")]
    for more in extra:
        extensions.extend(more)
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=query,
        mutation=_merged("Mutation", modules),
        subscription=_merged("Subscription", modules),
        extensions=extensions,
        config=StrawberryConfig(relay_max_results=100),
    )
