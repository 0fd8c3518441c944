"""graphql-transport-ws connections that close when their user's session ends (4403), that are
closed with 1013 (Try Again Later) when a store is down while they connect, and that are bounded:
each subscription holds a Redis connection of its own (core/pubsub.py), so one client opening
sockets and subscriptions without end would take Redis's connections from everyone. A person
keeps at most MAX_SOCKETS_PER_USER sockets on a process (one more is refused with 4429 in answer
to `connection_init`, never acknowledged) and each socket at most MAX_SUBSCRIPTIONS_PER_SOCKET
operations (one more gets an `error` message). A socket runs only what HTTP would run: each
operation is checked as a POST of it would be (persisted-query rules, document limits, cost;
GraphQLEndpoint.socket_operation) and a refusal is an `error` message with HTTP's message and
code, the socket carrying on; a socket that never sends `connection_init` is closed after
INIT_WAIT (4408)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from core import unavailable
from resolvers.accounts.live_sessions import LiveSessions

SESSION_ENDED = 4403  # graphql-transport-ws: Forbidden
TRY_AGAIN_LATER = 1013  # RFC 6455's registry: the server is overloaded or a dependency is down
TOO_MANY_SOCKETS = 4429  # graphql-transport-ws's 4xxx range, after HTTP's 429
# An app shows ~6 kinds of live update on one socket; a phone, a tablet and a reconnect or two.
MAX_SUBSCRIPTIONS_PER_SOCKET = 20
MAX_SOCKETS_PER_USER = 5
INIT_WAIT = timedelta(seconds=10)  # strawberry's default (a minute) let idle sockets pile up


class OperationRefused(Exception):
    """An operation refused before it runs, with the errors HTTP answers it with."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


class NotAdmitted(Exception):
    """`connection_init` was answered with a close (4429, or 4403), not with the ack."""


class SessionBoundHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """Registers each authenticated connection with the process's LiveSessions."""

    _since = 0.0  # when this socket started listening for ended sessions (LiveSessions.start)
    _ended = False  # end_session() closed it

    @property
    def _live(self) -> LiveSessions:
        return self.view.live_sessions  # type: ignore[attr-defined]

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            self._since = await self._live.start()  # before authenticating: no revocation slips between
            await super().handle_connection_init(message)  # authenticates, then _admit, then the ack
        except NotAdmitted:
            return  # closed already, never acknowledged
        except Exception as error:
            if not unavailable.is_unavailable(error):
                raise
            # As HTTP answers 503 + Retry-After: the client reconnects after a wait, no error logged.
            await self.websocket.close(code=TRY_AGAIN_LATER, reason=unavailable.MESSAGE)

    async def send_message(self, message: Message) -> None:
        if message["type"] == "connection_ack":
            await self._admit()
        await super().send_message(message)

    async def _admit(self) -> None:
        """Take this socket's place among its user's live sockets just before the ack: strawberry
        sends the ack straight after authenticating (on_ws_connect), so this is the one point
        between the two. A socket over MAX_SOCKETS_PER_USER is closed with 4429 and never
        acknowledged (counted after the ack, the client saw `connection_ack` and then the close,
        as if it could go on). Counting and registering run with no await between them, so
        connection_inits racing on several sockets of one user can't all pass the count."""
        viewer = getattr(self.context, "viewer", None)
        if viewer is None:  # on_ws_connect refuses anonymous sockets (4403) before any ack
            return
        if self._live.open_for(viewer.id) >= MAX_SOCKETS_PER_USER:
            await self.websocket.close(code=TOO_MANY_SOCKETS, reason="Too many live connections")
            raise NotAdmitted
        await self._live.add(self, viewer, self._since)
        if self._ended:  # add() closed it (4403): its session ended while it authenticated
            raise NotAdmitted

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """The socket runs only what HTTP would: the operation is checked first as a POST of it
        would be (GraphQLEndpoint.socket_operation: request fields, persisted queries, document
        limits, cost) and a refusal is an `error` message for its id with HTTP's message and
        code, the socket carrying on. Left to strawberry, a document over a limit got a bare
        `complete`, a syntax error closed the whole socket and an over-cost subscription ran."""
        if not self.connection_acknowledged or message["id"] in self.operations:
            await super().handle_subscribe(message)  # 4401 unacknowledged, 4409 id in use: as strawberry does
            return
        try:
            operation = await self.view.socket_operation(message["payload"], self.context)  # type: ignore[attr-defined]
        except OperationRefused as refused:
            payload = [error.formatted for error in refused.errors]
            await self.send_message({"id": message["id"], "type": "error", "payload": payload})  # type: ignore[typeddict-item]
            return
        message["payload"]["query"] = operation.query
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        self._live.discard(self)
        await super().shutdown()

    async def end_session(self) -> None:
        """Stop every operation, then close: no update reaches a signed-out user."""
        self._ended = True
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        await self.websocket.close(code=SESSION_ENDED, reason="Session ended")
