"""Notifications for every social event, per-kind preferences, unread count and mark read,
through the endpoint (the push outbox is tests/test_push.py)."""

from __future__ import annotations

from datetime import timedelta

from resolvers.deals.voucher_life import remind_expiring
from tests.helpers import account_with_role, gql, register
from tests.test_deals import a_deal, claim, iso
from tests.test_meals import JOIN, LEAVE, host_meal
from tests.test_moderation import MODERATE, REPORT, reviewed_dish

NOTES = """{ unreadNotificationCount notifications(first: 20) { edges { node {
  id kind message read actor { id displayName } subject { __typename id } } } } }"""
MARK = "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) { marked errors { code } } }"
FOLLOW = "mutation($u: ID!) { follow(userId: $u) { errors { code } } }"
BLOCK = "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }"
UNBLOCK = "mutation($u: ID!) { unblockUser(userId: $u) { errors { code } } }"
SEND = "mutation($u: ID!) { sendMatchRequest(userId: $u, message: \"一起吃火锅？\") { request { id } errors { code } } }"
RESPOND = "mutation($r: ID!, $a: Boolean!) { respondMatchRequest(requestId: $r, accept: $a) { errors { code } } }"
VOTE = "mutation($r: ID!) { voteReviewHelpful(reviewId: $r) { errors { code } } }"
PREFS = "{ notificationPreferences { kind description inApp push } }"
SET_PREF = """mutation($k: String!, $i: Boolean, $p: Boolean) { setNotificationPreference(kind: $k, inApp: $i, push: $p) {
  preference { kind inApp push } errors { field code } } }"""


async def notes(client, token):
    body = (await gql(client, NOTES, token=token))["data"]
    return body["unreadNotificationCount"], [e["node"] for e in body["notifications"]["edges"]]


async def test_follow_match_and_answer_notify_with_actor_and_subject(client):
    alice, alice_id, _ = await register(client, name="阿丽")
    bob, bob_id, _ = await register(client, name="阿博")
    await gql(client, FOLLOW, {"u": alice_id}, bob)
    await gql(client, FOLLOW, {"u": alice_id}, bob)  # following twice: one notification
    count, got = await notes(client, alice)
    assert count == 1 and [n["kind"] for n in got] == ["new_follower"]
    assert got[0]["actor"] == {"id": bob_id, "displayName": "阿博"} and "阿博" in got[0]["message"]

    request = (await gql(client, SEND, {"u": alice_id}, bob))["data"]["sendMatchRequest"]["request"]["id"]
    count, got = await notes(client, alice)
    assert count == 2 and got[0]["kind"] == "match_request"
    assert got[0]["subject"] == {"__typename": "MatchRequest", "id": request}

    assert (await gql(client, RESPOND, {"r": request, "a": True}, alice))["data"]["respondMatchRequest"]["errors"] == []
    count, got = await notes(client, bob)
    assert count == 1 and got[0]["kind"] == "match_accepted" and got[0]["actor"]["id"] == alice_id
    assert got[0]["subject"]["id"] == request

    # A block hides what the other person caused (their name is in the text), list and count.
    await gql(client, BLOCK, {"u": bob_id}, alice)
    assert await notes(client, alice) == (0, [])
    await gql(client, UNBLOCK, {"u": bob_id}, alice)
    count, got = await notes(client, alice)  # the request she answered is read
    assert count == 1 and len(got) == 2 and {n["actor"]["id"] for n in got} == {bob_id}


async def test_helpful_vote_and_meal_joins_and_leaves_notify(client):
    _, author, author_id, review = await reviewed_dish(client)
    fan, fan_id, _ = await register(client, name="路人")
    await gql(client, VOTE, {"r": review}, fan)
    _, got = await notes(client, author)
    assert [(n["kind"], n["subject"]["id"], n["actor"]["id"]) for n in got] == [("helpful_vote", review, fan_id)]

    host, _, meal, _ = await host_meal(client, capacity=2)
    assert (await gql(client, JOIN, {"id": meal}, fan))["data"]["joinSharedMeal"]["status"] == "JOINED"
    waiting, _, _ = await register(client, name="候补")
    assert (await gql(client, JOIN, {"id": meal}, waiting))["data"]["joinSharedMeal"]["status"] == "WAITLISTED"
    await gql(client, LEAVE, {"id": meal}, fan)
    count, got = await notes(client, host)
    assert [n["kind"] for n in got] == ["meal_left", "meal_joined", "meal_joined"]
    assert count == 3 and "候补了" in got[1]["message"]
    # The waitlisted diner is offered the freed seat (issue 16: nobody is seated without accepting).
    assert [n["kind"] for n in (await notes(client, waiting))[1]] == ["seat_offered"]


async def test_preferences_turn_a_kind_off_and_unknown_kinds_are_refused(client):
    alice, alice_id, _ = await register(client)
    bob, _, _ = await register(client)
    prefs = (await gql(client, PREFS, token=alice))["data"]["notificationPreferences"]
    kinds = {p["kind"]: p for p in prefs}
    assert {"new_follower", "match_accepted", "helpful_vote", "deal_expiring", "report_resolved"} <= set(kinds)
    assert kinds["new_follower"]["inApp"] and kinds["new_follower"]["push"]

    off = await gql(client, SET_PREF, {"k": "new_follower", "i": False}, alice)
    assert off["data"]["setNotificationPreference"]["preference"] == {"kind": "new_follower", "inApp": False, "push": True}
    await gql(client, FOLLOW, {"u": alice_id}, bob)
    assert await notes(client, alice) == (0, [])

    bad = await gql(client, SET_PREF, {"k": "everything", "i": False}, alice)
    assert bad["data"]["setNotificationPreference"]["errors"] == [{"field": "kind", "code": "UNKNOWN_KIND"}]
    anonymous = await gql(client, SET_PREF, {"k": "new_follower", "i": True}, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_mark_one_read_then_all(client):
    alice, alice_id, _ = await register(client)
    for _ in range(3):
        fan, _, _ = await register(client)
        await gql(client, FOLLOW, {"u": alice_id}, fan)
    count, got = await notes(client, alice)
    assert count == 3
    marked = await gql(client, MARK, {"ids": [got[0]["id"]]}, alice)
    assert marked["data"]["markNotificationsRead"]["marked"] == 1
    count, got = await notes(client, alice)
    assert count == 2 and [n["read"] for n in got] == [True, False, False]
    # Someone else's ids mark nothing.
    other, _, _ = await register(client)
    assert (await gql(client, MARK, {"ids": [got[1]["id"]]}, other))["data"]["markNotificationsRead"]["marked"] == 0
    assert (await gql(client, MARK, {}, alice))["data"]["markNotificationsRead"]["marked"] == 2
    assert (await notes(client, alice))[0] == 0


async def test_moderation_outcome_reaches_reporter_and_author_without_naming_the_reporter(client, services):
    _, author, _, review = await reviewed_dish(client)
    reporter, _, _ = await register(client)
    report = await gql(client, REPORT, {"t": review, "r": "SPAM"}, reporter)
    moderator, _ = await account_with_role(client, services)
    done = await gql(client, MODERATE, {"r": report["data"]["reportContent"]["report"]["id"], "a": "HIDE_CONTENT"}, moderator)
    assert done["data"]["moderate"]["errors"] == []
    _, told = await notes(client, reporter)
    assert [n["kind"] for n in told] == ["report_resolved"] and "隐藏" in told[0]["message"]
    _, told = await notes(client, author)
    assert [(n["kind"], n["actor"]) for n in told] == [("content_moderated", None)]
    # The subject is the review, shown as node() shows it: a hidden review to its author alone.
    assert told[0]["subject"] == {"__typename": "Review", "id": review}
    _, told = await notes(client, reporter)
    assert told[0]["subject"] is None


async def test_voucher_about_to_expire_is_reminded_once(client, services):
    owner, restaurant, soon = await a_deal(client, endsAt=iso(timedelta(hours=3)))
    _, _, later = await a_deal(client, owner, restaurant, endsAt=iso(timedelta(days=5)))
    diner, _, _ = await register(client)
    assert (await claim(client, diner, soon))["errors"] == []
    assert (await claim(client, diner, later))["errors"] == []
    await remind_expiring(services)
    await remind_expiring(services)  # a second run (or a second worker) reminds no one again
    count, got = await notes(client, diner)
    assert count == 1 and got[0]["kind"] == "deal_expiring"
    assert got[0]["subject"] == {"__typename": "Deal", "id": soon} and "3 小时" in got[0]["message"]


async def test_notification_received_is_live(app, client):
    import asyncio

    import httpx
    from httpx_ws import aconnect_ws
    from httpx_ws.transport import ASGIWebSocketTransport

    alice, alice_id, _ = await register(client, name="阿丽")
    bob, bob_id, _ = await register(client, name="阿博")
    async with httpx.AsyncClient(transport=ASGIWebSocketTransport(app), base_url="http://testserver") as ws_http:
        async with aconnect_ws("http://testserver/graphql", ws_http, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {alice}"}})
            assert (await ws.receive_json())["type"] == "connection_ack"
            document = "subscription { notificationReceived { kind message actor { id } } }"
            await ws.send_json({"id": "n1", "type": "subscribe", "payload": {"query": document}})
            await asyncio.sleep(0.3)
            await gql(client, FOLLOW, {"u": alice_id}, bob)
            message = await asyncio.wait_for(ws.receive_json(), 10)
            assert message["type"] == "next", message
            assert message["payload"]["data"]["notificationReceived"] == {
                "kind": "new_follower", "message": "阿博 关注了你", "actor": {"id": bob_id}
            }


async def test_a_suspended_persons_notifications_leave_the_list_while_suspended(client, services):
    moderator, _ = await account_with_role(client, services)
    alice, alice_id, _ = await register(client, name="阿丽")
    bob, bob_id, _ = await register(client, name="阿博")
    await gql(client, FOLLOW, {"u": alice_id}, bob)
    _, _, deal = await a_deal(client, endsAt=iso(timedelta(days=2)))
    await claim(client, alice, deal)  # a voucher: its reminder has no actor
    await remind_expiring(services)
    _, shown = await notes(client, alice)
    assert {"new_follower", "deal_expiring"} <= {n["kind"] for n in shown}
    report = (await gql(client, REPORT, {"t": bob_id, "r": "SPAM"}, alice))["data"]["reportContent"]["report"]
    await gql(client, MODERATE, {"r": report["id"], "a": "SUSPEND_USER"}, moderator)
    count, shown = await notes(client, alice)
    kinds = [n["kind"] for n in shown]
    assert "new_follower" not in kinds and "deal_expiring" in kinds and count == len(shown)
    await gql(client, MODERATE, {"r": report["id"], "a": "UNSUSPEND_USER"}, moderator)
    assert "new_follower" in [n["kind"] for n in (await notes(client, alice))[1]]
