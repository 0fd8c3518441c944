"""graphql-transport-ws connections that close when their user's session ends (4403), that are
closed with 1013 (Try Again Later) when a store is down while they connect, and that are bounded:
each subscription holds a Redis connection of its own (core/pubsub.py), so one client opening
sockets and subscriptions without end would take Redis's connections from everyone. A person
keeps at most MAX_SOCKETS_PER_USER sockets on a process (one more is closed with 4429) and each
socket at most MAX_SUBSCRIPTIONS_PER_SOCKET operations (one more gets an `error` message). A socket
runs only what HTTP would run: the persisted-query rules apply to each operation, and a socket
that never sends `connection_init` is closed after INIT_WAIT (4408)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)

from core import unavailable
from core.persisted_queries import PersistedQueryError
from resolvers.accounts.live_sessions import LiveSessions
from schema.persisted import store

SESSION_ENDED = 4403  # graphql-transport-ws: Forbidden
TRY_AGAIN_LATER = 1013  # RFC 6455's registry: the server is overloaded or a dependency is down
TOO_MANY_SOCKETS = 4429  # graphql-transport-ws's 4xxx range, after HTTP's 429
# An app shows ~6 kinds of live update on one socket; a phone, a tablet and a reconnect or two.
MAX_SUBSCRIPTIONS_PER_SOCKET = 20
MAX_SOCKETS_PER_USER = 5
INIT_WAIT = timedelta(seconds=10)  # strawberry's default (a minute) let idle sockets pile up


class SessionBoundHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """Registers each authenticated connection with the process's LiveSessions."""

    @property
    def _live(self) -> LiveSessions:
        return self.view.live_sessions  # type: ignore[attr-defined]

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            since = await self._live.start()  # before authenticating: no revocation slips between
            await super().handle_connection_init(message)
        except Exception as error:
            if not unavailable.is_unavailable(error):
                raise
            # As HTTP answers 503 + Retry-After: the client reconnects after a wait, no error logged.
            await self.websocket.close(code=TRY_AGAIN_LATER, reason=unavailable.MESSAGE)
            return
        viewer = getattr(self.context, "viewer", None)
        if self.connection_acknowledged and viewer is not None:
            if self._live.open_for(viewer.id) >= MAX_SOCKETS_PER_USER:
                await self.websocket.close(code=TOO_MANY_SOCKETS, reason="Too many live connections")
                return
            await self._live.add(self, viewer, since)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """The socket runs only what HTTP would: the persisted-query rules (the allow-list in
        production, APQ hashes) apply to each operation before it starts; a refusal is an `error`
        message for its id with the code HTTP gives, and the socket carries on."""
        if not self.connection_acknowledged:
            await super().handle_subscribe(message)  # closed with 4401, as strawberry does
            return
        payload = message["payload"]
        try:
            query = await store(self.view.services).resolve(  # type: ignore[attr-defined]
                payload.get("query"), payload.get("extensions")
            )
        except PersistedQueryError as error:
            await self._refuse(message["id"], error.message, error.code)
            return
        if query is None:
            await self._refuse(message["id"], "No GraphQL query found in the request", "BAD_REQUEST")
            return
        payload["query"] = query
        await super().handle_subscribe(message)

    async def _refuse(self, operation_id: str, message: str, code: str) -> None:
        refusal = {"message": message, "extensions": {"code": code}}
        await self.send_message({"id": operation_id, "type": "error", "payload": [refusal]})  # type: ignore[typeddict-item]

    async def shutdown(self) -> None:
        self._live.discard(self)
        await super().shutdown()

    async def end_session(self) -> None:
        """Stop every operation, then close: no update reaches a signed-out user."""
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        await self.websocket.close(code=SESSION_ENDED, reason="Session ended")
