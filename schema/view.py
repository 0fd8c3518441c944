"""The GraphQL HTTP/WebSocket endpoint: builds each request's Context.

A POST with a JSON body, nearly every request, takes `run_json_post`: strawberry's `run` for
that one case, without the steps it takes to tell the cases apart (a request adapter, the
content type parsed through `email.message`, the query string parsed to rule out GraphiQL, the
stream transports looked up, a runtime Protocol check of the result): ~0.05 ms of CPU per
request (bench/README §14.2). Everything else (GET, other content types, batches, WebSocket)
goes through strawberry's `run` as before; both give the same answers, errors and statuses
(tests/test_http_fast_path.py).
"""

from __future__ import annotations

import ipaddress
import json
from collections import Counter
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, parse
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from core.context import Context, Services
from resolvers.accounts.accounts import authenticate
from resolvers.accounts.live_sessions import LiveSessions
from resolvers.accounts.sessions import authenticate_why
from schema.cost import cost_refusal
from schema.direct import DirectLane
from schema.graphiql import graphiql_html
from schema.http_body import CODES, decode_body, error_response, is_request_error, read_capped_body
from schema.input_guard import unstorable_refusal
from schema.live import INIT_WAIT, MAX_SUBSCRIPTIONS_PER_SOCKET, OperationRefused, SessionBoundHandler
from schema.persisted import resolve_persisted, storing_budget
from schema.pipeline import unnamed_among_many
from schema.unavailable import mark_unavailable
from schema.validation import guarded_prepare, with_parse_codes

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
MAX_WAITING_SOCKETS_PER_ADDRESS = 20  # sockets of one address not yet past connection_init
WAITING = "tablemates.waiting_address"  # scope key: the address a waiting socket counts against
POST_OPERATIONS = frozenset(OperationType.from_http("POST"))


def bearer(value: str | None) -> str | None:
    if value and value.lower().startswith("bearer "):
        return value[7:].strip()
    return None


def is_json_post(scope: Scope, request: Request) -> bool:
    """A POST whose content type is exactly JSON (parameters such as charset aside)."""
    if scope["method"] != "POST":
        return False
    content_type = request.headers.get("content-type", "")
    return content_type.partition(";")[0].strip() == "application/json"


def request_data(data: dict[str, Any]) -> GraphQLRequestData:
    """strawberry's checks of one operation's JSON fields (AsyncBaseHTTPView.parse_http_body)."""
    query = data.get("query")
    if not isinstance(query, str | None):
        raise HTTPException(400, "The GraphQL operation's `query` must be a string or null, if provided.")
    variables = data.get("variables")
    if not isinstance(variables, dict | None):
        raise HTTPException(
            400, "The GraphQL operation's `variables` must be an object or null, if provided."
        )
    extensions = data.get("extensions")
    if not isinstance(extensions, dict | None):
        raise HTTPException(
            400, "The GraphQL operation's `extensions` must be an object or null, if provided."
        )
    return GraphQLRequestData(
        query=query, variables=variables, operation_name=data.get("operationName"), extensions=extensions
    )


def client_ip(request: Request | WebSocket, trust_forwarded: bool) -> str:
    """The caller's address for per-IP limits. X-Forwarded-For is only believed behind our own
    proxy (TRUST_FORWARDED_FOR=true): otherwise anyone could pick a fresh address per request.
    The address our proxy saw is the last one of every X-Forwarded-For line taken together (a
    proxy such as HAProxy adds its own line below the client's: the first line alone was the
    client's pick). An IPv6 address counts as its /64, the block one subscriber holds."""
    forwarded = request.headers.getlist("x-forwarded-for") if trust_forwarded else None
    if forwarded:
        address = ",".join(forwarded).split(",")[-1].strip()
    else:
        address = request.client.host if request.client else "unknown"
    return address_bucket(address)


def address_bucket(address: str) -> str:
    """Whom a per-address budget counts: an IPv4 address itself, an IPv6 address its /64 (one
    phone or home line gets a whole /64 and could otherwise take a fresh budget per request);
    an IPv4-mapped IPv6 address is its IPv4 address. A port some proxies write after the address
    (`203.0.113.7:51234`, `[2001:db8::1]:443`) is not part of it: a new port is no new client."""
    host = address.strip()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    try:
        parsed = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv4Address):
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.IPv6Network((parsed, 64), strict=False))


class GraphQLEndpoint(GraphQL):
    """Only graphql-transport-ws; multipart uploads stay off (photos use presigned uploads)."""

    graphql_transport_ws_handler_class = SessionBoundHandler  # closes sockets of ended sessions

    def __init__(self, schema: Any, services: Services, graphiql: bool = True) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            multipart_uploads_enabled=False,
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_SOCKET,  # each holds a Redis connection
            connection_init_wait_timeout=INIT_WAIT,
        )
        self.services = services
        self.ide_html: str | None = None
        self.live_sessions = LiveSessions(services)
        self.waiting: Counter[str] = Counter()  # per address: sockets not yet past connection_init
        self.direct = DirectLane(schema, schema.document_validator, services.settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """HTTP: the body is read under MAX_REQUEST_BYTES first; refusals are GraphQL-shaped JSON."""
        if scope["type"] == "websocket":
            await self.websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive=receive)
        try:
            await read_capped_body(request, self.services.settings.max_request_bytes)
            if is_json_post(scope, request) and not self._stream_transport_map:
                response = await self.run_json_post(request)
            else:
                response = await self.run(request)
        except HTTPException as error:
            response = error_response(error)
        await response(scope, receive, send)

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A socket counts against its address until its connection_init is read (on_ws_connect):
        one address keeps at most MAX_WAITING_SOCKETS_PER_ADDRESS sockets that have not said who
        they are, a further one is refused at the handshake (403). Each waits up to INIT_WAIT and
        costs the process ~0.3 MB: 3 000 of them from one client added 185 MB and made /healthz
        take a second. A phone sends connection_init at once, so a crowd behind one carrier
        address (CGNAT) is rarely more than a few waiting at a time."""
        socket = WebSocket(scope, receive, send)
        address = client_ip(socket, self.services.settings.trust_forwarded_for)
        if self.waiting[address] >= MAX_WAITING_SOCKETS_PER_ADDRESS:
            await socket.close(code=1008, reason="Too many connections from this address")
            return
        self.waiting[address] += 1
        scope[WAITING] = address
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._said_who(scope)

    def _said_who(self, scope: Any) -> None:
        address = scope.pop(WAITING, None)
        if address is not None:
            self.waiting[address] -= 1
            if self.waiting[address] <= 0:
                del self.waiting[address]

    async def run_json_post(self, request: Request) -> Response:
        """strawberry's `run` for a POST with a JSON body, step for step, minus the dispatch."""
        root_value = await self.get_root_value(request)
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, response=sub_response)
        data = self.decode_json(await request.body())
        if isinstance(data, list):  # a batch: strawberry refuses it (batching is off)
            self._validate_batch_request(data, protocol="http")  # type: ignore[arg-type]
            return await self.run(request)
        operation = await resolve_persisted(self.services, request_data(data), self._may_store(context))  # type: ignore[arg-type]
        try:
            result = await self.direct.execute(
                operation.query,
                operation.variables,
                context,
                operation.operation_name,
                POST_OPERATIONS,
                operation.extensions,
            ) or await self.schema.execute(
                operation.query,
                root_value=root_value,
                variable_values=operation.variables,
                context_value=context,
                operation_name=operation.operation_name,
                allowed_operation_types=POST_OPERATIONS,
                operation_extensions=operation.extensions,
            )
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from error
        except InvalidOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason("POST")) from error
        except MissingQueryError as error:
            raise HTTPException(400, "No GraphQL query found in the request") from error
        response_data = await self.process_result(request, result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data, sub_response)

    async def socket_operation(self, payload: Any, context: Context) -> GraphQLRequestData:
        """A graphql-transport-ws `subscribe` message's operation, checked as a POST of it would
        be before anything runs: its fields' types, persisted queries, then the document. Raises
        OperationRefused with the errors HTTP answers (same messages and codes); the handler
        sends them as the operation's `error` message (schema/live.py)."""
        try:
            if not isinstance(payload, dict):
                raise HTTPException(400, "The subscribe message's `payload` must be an object.")
            data: GraphQLRequestData = await resolve_persisted(
                self.services, request_data(payload), self._may_store(context)
            )
        except HTTPException as error:
            code = getattr(error, "code", None) or CODES.get(error.status_code, "BAD_REQUEST")
            raise OperationRefused([GraphQLError(error.reason, extensions={"code": code})]) from None
        if not data.query:
            missing = GraphQLError(
                "No GraphQL query found in the request", extensions={"code": "BAD_REQUEST"}
            )
            raise OperationRefused([missing])
        errors = await self.document_refusal(data, context)
        if errors:
            raise OperationRefused(errors)
        return data

    async def document_refusal(self, data: GraphQLRequestData, context: Context) -> list[GraphQLError]:
        """What the operation pipeline (schema/pipeline.py) refuses this document with, in its
        order, without running it: the size guard, parsing (token limit, syntax), the shape
        guards and validation (depth, aliases), then on_execute's refusals (several unnamed
        operations, unstorable text, variables, cost). [] when it may run.

        A socket needs this before strawberry starts the operation, whose streaming path loses
        these refusals: a guard raising in on_parse (a document over MAX_DOCUMENT_BYTES, as an
        alias bomb is) escapes the stream, so the client got only `complete`; a syntax error
        closes the whole socket (4400) and has no code yet (it is added when the operation ends);
        and a subscription starts whatever on_execute refused, as strawberry honours that refusal
        only for queries and mutations. The run that follows repeats the checks from the
        validator's cache (and the cost from its per-document cache)."""
        settings = self.services.settings
        hide_suggestions = not settings.introspection
        execution = ExecutionContext(
            query=data.query,
            schema=self.schema,  # type: ignore[arg-type]
            allowed_operations=(),
            context=context,
            variables=data.variables,
            provided_operation_name=data.operation_name,
        )
        execution.parse_options["max_tokens"] = settings.max_tokens
        try:
            prepared = await guarded_prepare(self.schema.document_validator, execution)  # type: ignore[attr-defined]
            if prepared.document is None:  # it didn't parse: parse again for the error, as strawberry does
                parse(data.query or "", max_tokens=settings.max_tokens)
        except GraphQLError as error:
            errors = [error]
        except RecursionError as error:
            errors = [GraphQLError(str(error), original_error=error)]
        else:
            errors = prepared.errors
            if not errors:
                refusal = (
                    unnamed_among_many(execution)
                    or unstorable_refusal(execution)
                    or cost_refusal(execution, settings.max_query_cost, hide_suggestions, prepared.costs)
                )
                errors = list(refusal.errors or []) if refusal is not None else []
        if errors:
            result = ExecutionResult(data=None, errors=errors)
            with_parse_codes(result)  # syntax errors' code, as HTTP gives it
            errors = list(result.errors or [])
            self.schema.process_errors(errors, execution)  # the client-error log line HTTP writes
        return errors

    async def render_graphql_ide(self, request: Request) -> Response:  # type: ignore[override]
        """Our vendored GraphiQL with example operations (schema/graphiql.py), not the CDN page."""
        if self.ide_html is None:
            self.ide_html = graphiql_html()
        return HTMLResponse(self.ide_html)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A GET carrying a persisted-query hash is an operation, not a browser visit."""
        return super().should_render_graphql_ide(request) and "extensions" not in request.query_params

    async def parse_http_body(self, request: Any) -> Any:
        """Persisted queries (APQ / allow-list) fill in or refuse the document before it runs."""
        data = await super().parse_http_body(request)
        starlette_request = getattr(request, "_request", request)  # cross_web's adapter wraps it
        address = client_ip(starlette_request, self.services.settings.trust_forwarded_for)
        return await resolve_persisted(
            self.services, data, storing_budget(self.services, self._validator, address)
        )

    @property
    def _validator(self) -> Any:
        return self.schema.document_validator  # type: ignore[attr-defined]

    def _may_store(self, context: Context) -> Any:
        """Whether this caller may add an APQ document (schema/persisted.py)."""
        return storing_budget(self.services, self._validator, context.client_ip)

    def decode_json(self, data: str | bytes) -> object:
        return decode_body(data)

    async def process_result(self, request: Request, result: ExecutionResult) -> Any:  # type: ignore[override]
        """GraphQL-over-HTTP: with graphql-response+json a request error has no `data` (and is a 400)."""
        response = await super().process_result(request, result)
        if GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "") and is_request_error(response):
            response.pop("data", None)
        return response

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:  # type: ignore[override]
        viewer = refusal = None
        if isinstance(request, Request):
            token = bearer(request.headers.get("authorization"))
            viewer, refusal = await authenticate_why(self.services, token)
        request_id = request.scope.get("request_id")
        return Context(
            services=self.services,
            viewer=viewer,
            refusal=refusal,
            client_ip=client_ip(request, self.services.settings.trust_forwarded_for),
            request=request,
            response=response,
            **({"request_id": request_id} if request_id else {}),
        )

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        """Authenticate a subscription connection from connection_init's payload."""
        self._said_who(context.request.scope)  # no longer waiting: the socket said who it is
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        token = bearer(raw) if isinstance(raw, str) and " " in raw else raw
        if not token:  # every subscription is someone's: an anonymous socket would only hold a slot
            raise ConnectionRejectionError({"reason": "sign in first"})
        context.viewer = await authenticate(self.services, str(token))
        if context.viewer is None:
            raise ConnectionRejectionError({"reason": "invalid token"})
        return None

    async def get_sub_response(self, request: Request | WebSocket) -> Response:  # type: ignore[override]
        sub_response = await super().get_sub_response(request)
        sub_response.accept = request.headers.get("accept", "")  # type: ignore[attr-defined]
        return sub_response

    def encode_json(self, data: object) -> str:  # type: ignore[override]
        """UTF-8 as is: Chinese text stays readable and 3x smaller than \\u escapes. orjson writes
        a feed page ~10x faster than `json.dumps`; what it refuses (an int past 64 bits from a
        custom scalar, a non-string key) is written by `json` as before. Text, not bytes: the
        WebSocket and streaming transports send what this returns as text frames."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def create_response(self, response_data: Any, sub_response: Response) -> Response:  # type: ignore[override]
        response = super().create_response(response_data, sub_response)
        if GRAPHQL_RESPONSE_JSON in getattr(sub_response, "accept", ""):
            response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
            if isinstance(response_data, dict) and "data" not in response_data:
                response.status_code = 400
        mark_unavailable(response, response_data)  # last: a store outage is a 503 whatever the media type
        return response
