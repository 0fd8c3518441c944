"""uvicorn's httptools protocol, with a response's writes sent as one (issue 18, bench/README §14.2).

uvicorn writes a response's head on `http.response.start` and its body on `http.response.body`:
two `send` system calls, two TCP segments on a TCP_NODELAY socket, for every small GraphQL
answer. On loopback each send also runs the receiver's side of TCP in the sender's process, so
it was ~17 % of a worker's samples on the KNN benchmark (py-spy). Here the writes one turn of the
event loop makes go out together at the end of that turn: for an answer that is head and body
in one `send`, for a stream each chunk as before (one loop turn later at most).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """Wraps a transport: `write` collects, the loop's next turn sends; the rest passes through."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        if not self._transport.is_closing():  # the peer left meanwhile: nothing to deliver
            self._transport.write(data)

    def close(self) -> None:
        self.flush()  # what was written before close goes out first, as with a plain transport
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(chunk) for chunk in self._pending)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """`uvicorn.run(http=...)`: each connection's transport wrapped (WebSocket upgrades too)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
