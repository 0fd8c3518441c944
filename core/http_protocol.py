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
import os
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


# A request's line and headers together: a GET's document (MAX_DOCUMENT_BYTES, 8 KiB) percent-
# encoded, its variables and a token fit several times over (nginx's default allows ~32 KB).
MAX_HEAD_BYTES = 64 * 1024
HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 28\r\n"
    b"connection: close\r\n\r\n"
    b"request line/headers too big"
)


# From a request's first byte to the end of its headers (nginx allows a minute, between reads):
# a client that starts a request and never finishes its head held the connection for ever.
# `HEAD_READ_SECONDS` in the environment sets it (the tests' servers wait seconds, not 20).
HEAD_READ_SECONDS = float(os.environ.get("HEAD_READ_SECONDS") or 20)
HEAD_TOO_SLOW = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 26\r\n"
    b"connection: close\r\n\r\n"
    b"request head took too long"
)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """`uvicorn.run(http=...)`: each connection's transport wrapped (WebSocket upgrades too),
    and a request's line and headers held to MAX_HEAD_BYTES (431, connection closed).

    uvicorn's httptools protocol puts no bound on them and grows the URL (and httptools a
    header) by `bytes +=` per chunk received: a client streaming a 200 MB URL held a worker at
    100 % CPU, /healthz unanswered past 10 s, and its memory past 700 MB. Nor on how long a head
    may take: one that has not ended HEAD_READ_SECONDS after its first byte is answered 408."""

    _in_head = True  # between a message's start (or the connection's) and its headers' end
    _head_bytes = 0
    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_deadline is None:
                self._head_deadline = self.loop.call_later(HEAD_READ_SECONDS, self._refuse, HEAD_TOO_SLOW)
        super().data_received(data)
        # Still in the head after all this: every byte counted belongs to it.
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES:
            self._refuse(HEAD_TOO_LARGE)

    def _refuse(self, answer: bytes) -> None:
        """Answer a request whose head went wrong, and close (its request can't be read)."""
        self._in_head = False
        self._stop_deadline()
        if not self.transport.is_closing():
            self.transport.write(answer)
            self.transport.close()

    def _stop_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_deadline()
        super().connection_lost(exc)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0
