"""Shared steps for the tables tests (issue 16): slots, bookings, a websocket subscriber."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers import gql

SLOTS = """
mutation($r: ID!, $s: [BookingSlotInput!]!) { setBookingSlots(restaurantId: $r, slots: $s) {
  slots { id startsAt seats seatsBooked seatsLeft } errors { field code message } } }
"""
POLICY = """
mutation($r: ID!, $i: BookingPolicyInput!) { setBookingPolicy(restaurantId: $r, input: $i) {
  policy { cancelCutoffMinutes maxPartySize noShowLimit } errors { field code } } }
"""
BOOK = """
mutation($i: BookTableInput!) { bookTable(input: $i) {
  booking { id status partySize startsAt dinerRecord { noShows } } errors { field code message } } }
"""
CANCEL = "mutation($b: ID!) { cancelBooking(bookingId: $b) { booking { status } errors { field code } } }"
NO_SHOW = (
    "mutation($b: ID!) { markBookingNoShow(bookingId: $b) { booking { status } errors { field code } } }"
)
ANSWER = """
mutation($id: ID!, $d: RequestDecision!, $r: String, $p: DateTime) {
  answerReservationRequest(requestId: $id, decision: $d, reason: $r, proposedStartsAt: $p) {
    request { kind requestId booking { status declineReason proposedStartsAt } meal { reservationStatus startsAt } }
    errors { field code message } } }
"""
PROPOSAL = """
mutation($id: ID!, $a: Boolean!) { answerProposedTime(requestId: $id, accept: $a) {
  request { booking { status startsAt } meal { reservationStatus startsAt } } errors { field code } } }
"""
INBOX = """
query($r: ID!, $d: Date!) { reservationInbox(restaurantId: $r, day: $d) {
  kind requestId startsAt partySize dinerRecord { attended noShows rated } } }
"""
SLOT_LIST = """
query($r: ID!, $a: DateTime!, $b: DateTime!) { bookingSlots(restaurantId: $r, start: $a, end: $b) {
  startsAt seats seatsBooked seatsLeft } }
"""


def at(hours: float) -> str:
    """A moment `hours` from now, whole minutes (slots are matched exactly)."""
    moment = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=hours)
    return moment.isoformat()


async def open_slots(client, owner: str, restaurant: str, *slots: tuple[str, int]) -> list[dict[str, Any]]:
    body = await gql(
        client, SLOTS, {"r": restaurant, "s": [{"startsAt": t, "seats": n} for t, n in slots]}, owner
    )
    payload = body["data"]["setBookingSlots"]
    assert payload["errors"] == [], payload["errors"]
    return payload["slots"]


async def book(client, token: str, restaurant: str, starts_at: str, party: int = 2, note: str = "") -> dict:
    body = await gql(
        client,
        BOOK,
        {"i": {"restaurantId": restaurant, "startsAt": starts_at, "partySize": party, "note": note}},
        token,
    )
    return body["data"]["bookTable"]


@asynccontextmanager
async def subscribed(app_or_url: Any, token: str, query: str, variables: dict[str, Any], raw: bool = False):
    """A graphql-transport-ws subscriber (in-process app, or a server URL); yields a receive():
    each `next` message's data, or with `raw` each message whatever its type (`next`,
    `complete`, `error`: for a subscription that may end)."""
    import httpx
    from httpx_ws import aconnect_ws
    from httpx_ws.transport import ASGIWebSocketTransport

    if isinstance(app_or_url, str):
        client_cm: Any = httpx.AsyncClient(base_url=app_or_url, timeout=20)
        url = f"{app_or_url}/graphql"
    else:
        client_cm = httpx.AsyncClient(
            transport=ASGIWebSocketTransport(app=app_or_url), base_url="http://testserver"
        )
        url = "/graphql"
    async with client_cm as ws_client:
        async with aconnect_ws(url, ws_client, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
            assert (await ws.receive_json())["type"] == "connection_ack"
            await ws.send_json(
                {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
            )
            await asyncio.sleep(0.3)

            async def receive() -> dict[str, Any]:
                message = await asyncio.wait_for(ws.receive_json(), 15)
                if raw:
                    return message
                assert message["type"] == "next", message
                return message["payload"]["data"]

            yield receive
