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
    # The fan's unread "joined" gave way to their "left" (tests/test_join_leave_notices.py).
    assert [n["kind"] for n in got] == ["meal_left", "meal_joined"]
    assert count == 2 and "候补了" in got[1]["message"] and "路人" in got[0]["message"]
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
    assert got[0]["subject"] == {"__typename": "Deal", "id": soon} and "「重庆火锅」" in got[0]["message"]
    assert "将于" in got[0]["message"]  # when, in local time (tests/test_vouchers_round12.py)


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


SHARE = "mutation($d: ID!) { shareDeal(dealId: $d) { token errors { code } } }"
CODES = "{ myClaims(first: 10) { edges { node { id status code } } } }"
REDEEM = "mutation($c: String!) { redeemVoucher(code: $c, billCents: 9000) { errors { code } } }"
REFUND = "mutation($c: ID!) { refundClaim(claimId: $c) { claim { status } errors { code } } }"


async def test_the_voucher_life_tells_its_holder_and_the_referrer_not_the_staff(client, services):
    """购买成功 when paid, 券已使用 when redeemed, 退款已受理 when refunded (subject: the claim), and
    the sharer's reward when the voucher they brought is used; nothing to staff per sale; each
    kind can be turned off."""
    from tests.test_correctness_money import pay

    owner, _, deal = await a_deal(client, title="双人火锅套餐", priceCents=8800, quantity=10)
    sharer, _, _ = await register(client, name="分享达人")
    token = (await gql(client, SHARE, {"d": deal}, sharer))["data"]["shareDeal"]["token"]
    diner, _, _ = await register(client)
    held = await claim(client, diner, deal, source={"type": "SHARE_LINK", "id": token})
    claim_id = held["claim"]["id"]
    assert await notes(client, diner) == (0, [])  # awaiting payment: nothing bought yet
    assert await pay(client, services, held["claim"]["payment"]["intentId"]) == 200
    assert await pay(client, services, held["claim"]["payment"]["intentId"]) == 200  # repeated: once
    count, got = await notes(client, diner)
    assert count == 1 and [(n["kind"], n["subject"], n["actor"]) for n in got] == [
        ("voucher_paid", {"__typename": "Claim", "id": claim_id}, None)
    ]
    assert all(word in got[0]["message"] for word in ("购买成功", "重庆火锅", "双人火锅套餐", "¥88.00"))

    code = (await gql(client, CODES, token=diner))["data"]["myClaims"]["edges"][0]["node"]["code"]
    assert (await gql(client, REDEEM, {"c": code}, owner))["data"]["redeemVoucher"]["errors"] == []
    _, got = await notes(client, diner)
    assert [(n["kind"], n["subject"]["id"]) for n in got] == [("voucher_redeemed", claim_id), ("voucher_paid", claim_id)]
    assert "券已使用" in got[0]["message"] and "重庆火锅" in got[0]["message"]
    _, told = await notes(client, sharer)
    assert [(n["kind"], n["subject"], n["actor"]) for n in told] == [
        ("referral_credit", {"__typename": "Deal", "id": deal}, None)  # the customer stays unnamed
    ]
    assert "带来一位顾客" in told[0]["message"] and "¥5.00" in told[0]["message"]
    assert await notes(client, owner) == (0, [])  # no notice per sale or use to the staff

    # Returned on request: 退款已受理 with the amount.
    second, _, _ = await register(client)
    held = await claim(client, second, deal)
    assert await pay(client, services, held["claim"]["payment"]["intentId"]) == 200
    refunded = (await gql(client, REFUND, {"c": held["claim"]["id"]}, second))["data"]["refundClaim"]
    assert refunded["claim"]["status"] == "REFUNDED"
    _, got = await notes(client, second)
    assert [(n["kind"], n["subject"]["id"]) for n in got] == [
        ("refund_completed", held["claim"]["id"]),
        ("voucher_paid", held["claim"]["id"]),
    ]
    assert "退款已受理" in got[0]["message"] and "¥88.00" in got[0]["message"]
    # An unpaid claim given back is no refund: nothing said.
    unpaid = await claim(client, second, deal)
    assert (await gql(client, REFUND, {"c": unpaid["claim"]["id"]}, second))["data"]["refundClaim"]["claim"][
        "status"
    ] == "CANCELLED"
    assert len((await notes(client, second))[1]) == 2

    # Each kind obeys the reader's preferences.
    quiet, _, _ = await register(client)
    for kind in ("voucher_paid", "refund_completed"):
        done = await gql(client, SET_PREF, {"k": kind, "i": False}, quiet)
        assert done["data"]["setNotificationPreference"]["errors"] == []
    held = await claim(client, quiet, deal)
    assert await pay(client, services, held["claim"]["payment"]["intentId"]) == 200
    assert (await gql(client, REFUND, {"c": held["claim"]["id"]}, quiet))["data"]["refundClaim"]["errors"] == []
    assert await notes(client, quiet) == (0, [])
    prefs = {p["kind"] for p in (await gql(client, PREFS, token=quiet))["data"]["notificationPreferences"]}
    assert {"voucher_paid", "voucher_redeemed", "refund_completed", "referral_credit"} <= prefs
