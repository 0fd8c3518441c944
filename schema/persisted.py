"""The /graphql side of persisted queries (core/persisted_queries.py): Apollo's errors as responses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from strawberry.http import GraphQLRequestData

from core.context import Services
from core.persisted_queries import (
    APQ_STORES_PER_ADDRESS_PER_DAY,
    APQ_STORES_PER_DAY,
    PersistedQueries,
    PersistedQueryError,
)
from schema.http_body import RequestRefused

DAY = 24 * 3600


def store(services: Services) -> PersistedQueries:
    settings = services.settings
    return PersistedQueries(
        services.redis, settings.redis_namespace, settings.persisted_queries, settings.max_document_bytes
    )


def storing_budget(services: Services, validator: Any, client_ip: str) -> Callable[[str], Awaitable[bool]]:
    """Whether a new APQ document may be kept: it parses and validates (the validator's cached
    answer, which the operation reuses when it runs), and neither this address's nor everyone's
    daily budget is spent. Before, any text was kept for 7 days, unauthenticated and unbounded:
    20 000 of them grew an embedded worker (its in-process Redis) by 256 MB."""

    async def may_store(query: str) -> bool:
        prepared = await validator.prepare(query, services.settings.max_tokens)
        if prepared.document is None or prepared.errors:
            return False
        limiter = services.limiter
        if await limiter.add(f"apq-store:{client_ip}", DAY) > APQ_STORES_PER_ADDRESS_PER_DAY:
            return False
        return await limiter.add("apq-store", DAY) <= APQ_STORES_PER_DAY

    return may_store


async def resolve_persisted(
    services: Services, data: Any, may_store: Callable[[str], Awaitable[bool]] | None = None
) -> Any:
    if not isinstance(data, GraphQLRequestData):
        return data  # a batch: refused later (batching is off)
    try:
        query = await store(services).resolve(data.query, data.extensions, may_store)
    except PersistedQueryError as error:
        raise RequestRefused(error.status, error.message, error.code) from None
    return data if query is data.query else replace(data, query=query)


async def register_folder(services: Services, schema: Any, folder: Path) -> tuple[list[str], list[str]]:
    """Register every .graphql file under `folder` (one document each, as the client sends it).
    Returns (lines "hash path", errors); nothing is registered when any file is invalid."""
    from graphql import GraphQLError, parse, validate

    files = sorted(folder.rglob("*.graphql"))
    if not files:
        return [], [f"{folder}: no .graphql files"]
    documents, errors = [], []
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            problems = validate(schema._schema, parse(text))
        except GraphQLError as error:
            problems = [error]
        errors += [f"{path}: {problem.message}" for problem in problems]
        documents.append((path, text))
    if errors:
        return [], errors
    pq = store(services)
    return [f"{await pq.register(text)} {path}" for path, text in documents], []
