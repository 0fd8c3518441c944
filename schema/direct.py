"""A POSTed operation of a known document, run without strawberry's per-request machinery.

strawberry's `Schema.execute` builds, on every request, the extension instances, an extensions
runner, and for each phase (operation, parsing, validation, executing) a context manager around
every hook; then a middleware manager, its own result objects, and graphql-core's `execute`,
which finds the operation and coerces the variables the cost check has just coerced. For the
smallest query that machinery is most of the request's CPU (bench/README §22).

A mobile app sends the same few documents over and over. Once the validator has prepared a
document text without errors (schema/validation.py: parsed, guarded, validated, cached), a POST
of it runs here: the pipeline's own steps (schema/pipeline.py), in its order and with its
functions — the span, the refusals of on_execute (unstorable text, then variables and cost),
graphql-core's execution with the schema's execution context, the server-side error log, error
classification, parse codes, the operation's log line and metrics — and nothing else. The
variables are coerced once, for the cost check and the execution both.

Everything else takes strawberry's path as before: a document not yet prepared (its first
request prepares it there), one refused by parsing, the guards or validation, an operation name
that selects nothing, several operations without a name, subscriptions, and GET requests.
tests/test_direct_lane.py checks both paths answer alike.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    default_field_resolver,
    default_type_resolver,
)
from graphql import ExecutionResult as CoreResult
from graphql.execution import Executor
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.executor import UNEXPECTED_MULTIPLE_PAYLOADS
from graphql.execution.incremental.incremental_executor import IncrementalExecutor
from graphql.execution.values import VariableValues
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from core import tracing
from schema.cost import operation_cost_refusal
from schema.errors import ClassifyErrors
from schema.input_guard import unstorable_refusal
from schema.observe import observe_operation
from schema.tracing import finish_span
from schema.validation import DocumentValidator, Prepared

_DIRECT_TYPES = (OperationType.QUERY, OperationType.MUTATION)


class Blueprint(NamedTuple):
    """What graphql-core's `Executor.build` works out from the document alone, kept per
    (document, operation name) so a request only coerces its variables (once: the cost check's)."""

    operation: OperationDefinitionNode
    fragment_definitions: dict[str, FragmentDefinitionNode]
    fragments: dict[str, FragmentDetails]


def blueprint_of(document: DocumentNode, name: str | None) -> Blueprint | None:
    """`Executor.build`'s operation and fragments for `name`; None when this lane leaves the
    request to strawberry's path: no operation or several without a name (request errors it
    words), a subscription, or fragment variables (experimental)."""
    operation = None
    definitions: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if name is None:
                if operation is not None:
                    return None
                operation = definition
            elif definition.name is not None and definition.name.value == name:
                operation = definition
        elif isinstance(definition, FragmentDefinitionNode):
            if definition.variable_definitions:
                return None
            definitions[definition.name.value] = definition
    if operation is None or operation.operation not in _DIRECT_TYPES:
        return None
    fragments = {key: FragmentDetails(value, None) for key, value in definitions.items()}
    return Blueprint(operation, definitions, fragments)


class DirectLane:
    """Runs known documents' operations (see the module docstring); built once per schema."""

    def __init__(self, schema: Any, validator: DocumentValidator, settings: Any) -> None:
        self.schema = schema
        self.core_schema = schema._schema
        self.validator = validator
        self.max_tokens = settings.max_tokens
        self.max_cost = settings.max_query_cost
        self.hide_suggestions = not settings.introspection
        self.expose_internal = settings.env == "development"
        # An extension that implements `resolve` must see every field (graphql-core middleware),
        # and any extension but the pipeline has hooks this lane would skip: then it stays off.
        extensions = schema.get_extensions()
        only_the_pipeline = len(extensions) == 1 and not extensions[0]._implements_resolve()
        self.enabled = settings.direct_lane and only_the_pipeline

    def prepared(self, query: str | None) -> Prepared | None:
        """The validator's clean preparation of `query`, if it has one already."""
        if not self.enabled or not query:
            return None
        prepared = self.validator.cached(query, self.max_tokens)
        if prepared is None or prepared.document is None or prepared.errors:
            return None
        return prepared

    async def execute(
        self,
        query: str | None,
        variables: dict[str, Any] | None,
        context: Any,
        operation_name: str | None,
        allowed: Iterable[StrawberryOperationType],
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult | None:
        """The operation's result, or None when strawberry's path must run it."""
        prepared = self.prepared(query)
        if prepared is None:
            return None
        blueprint = prepared.blueprints.get(operation_name)
        if blueprint is None:
            blueprint = blueprint_of(prepared.document, operation_name)  # type: ignore[arg-type]
            if blueprint is None:  # not kept: a client naming operations at will must not grow it
                return None
            prepared.blueprints[operation_name] = blueprint
        kind = StrawberryOperationType(blueprint.operation.operation.value)
        if kind not in allowed:
            raise InvalidOperationTypeError(kind)  # as strawberry's path raises it (a 400)
        execution = ExecutionContext(
            query=query,
            schema=self.schema,
            allowed_operations=allowed,
            context=context,
            variables=variables,
            provided_operation_name=operation_name,
            operation_extensions=operation_extensions,
        )
        execution.graphql_document = prepared.document
        execution.parse_options["max_tokens"] = self.max_tokens
        started = time.perf_counter()
        request_id = getattr(context, "request_id", None)
        with tracing.operation_span({"tablemates.request_id": request_id or ""}) as span:
            try:
                result = await self._run(execution, prepared, blueprint)
            except Exception as error:  # noqa: BLE001 - as strawberry's execute catches it
                result = CoreResult(data=None, errors=[_as_graphql_error(error)])
            if result.errors:
                if isinstance(result, CoreResult):  # logged before classification masks them
                    self.schema._process_errors(result.errors, execution)  # (not the cost's refusal)
                execution.pre_execution_errors = result.errors
            answer = ExecutionResult(data=result.data, errors=result.errors, extensions={})
            execution.result = answer
            finish_span(span, execution)
        if answer.errors:
            classifier = ClassifyErrors(expose_internal=self.expose_internal)
            classifier.execution_context = execution
            answer.errors = classifier._process_errors(answer.errors)
        observe_operation(execution, time.perf_counter() - started)
        return answer

    async def _run(
        self, execution: ExecutionContext, prepared: Prepared, blueprint: Blueprint
    ) -> CoreResult | ExecutionResult:
        """on_execute's refusals in the pipeline's order, else graphql-core's execution with the
        variables the cost check coerced (graphql-core's `build` would coerce them again)."""
        checked = operation_cost_refusal(
            execution, blueprint.operation, self.max_cost, self.hide_suggestions, prepared.costs
        )
        refusal = unstorable_refusal(execution)
        if refusal is not None or isinstance(checked, ExecutionResult):
            return refusal or checked  # type: ignore[return-value]
        executor_class: type[Executor] = self.schema.execution_context_class or IncrementalExecutor
        executor = executor_class(
            self.core_schema,
            blueprint.fragment_definitions,
            blueprint.fragments,
            None,  # root value
            execution.context,
            blueprint.operation,
            checked or VariableValues({}, {}),
            default_field_resolver,
            default_type_resolver,
            default_field_resolver,
            is_awaitable=optimized_is_awaitable,
            operation_extensions=execution.operation_extensions,
        )
        result = executor.execute_operation()
        if optimized_is_awaitable(result):
            result = await result
        if not isinstance(result, CoreResult):  # @defer/@stream: not in this schema
            raise GraphQLError(UNEXPECTED_MULTIPLE_PAYLOADS)
        return result


def _as_graphql_error(error: Exception) -> GraphQLError:
    if isinstance(error, GraphQLError):
        return error
    return GraphQLError(str(error), original_error=error)
