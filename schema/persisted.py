"""The /graphql side of persisted queries (core/persisted_queries.py): Apollo's errors as responses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from strawberry.http import GraphQLRequestData

from core.context import Services
from core.persisted_queries import PersistedQueries, PersistedQueryError
from schema.http_body import RequestRefused


def store(services: Services) -> PersistedQueries:
    settings = services.settings
    return PersistedQueries(
        services.redis, settings.redis_namespace, settings.persisted_queries, settings.max_document_bytes
    )


async def resolve_persisted(services: Services, data: Any) -> Any:
    if not isinstance(data, GraphQLRequestData):
        return data  # a batch: refused later (batching is off)
    try:
        query = await store(services).resolve(data.query, data.extensions)
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
