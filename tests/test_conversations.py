"""Conversations as diners use them: talk after a match, a meal's group, unread, moderation, blocks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from httpx_ws import aconnect_ws

from tests.conftest import override_settings
from tests.helpers import account_with_role, gql, open_restaurant, random_spot, register
from tests.media_helpers import upload_photo
from tests.servers import running_servers
from tests.test_matches import match

OPEN = "mutation($u: ID!) { openConversation(userId: $u) { conversation { id } errors { code } } }"
SEND = (
    "mutation($c: ID!, $b: String!, $p: ID) { sendMessage(conversationId: $c, body: $b, photoId: $p) "
    "{ message { id body sender { displayName } photo { ready } } errors { field code } } }"
)
HISTORY = """query($c: ID!, $after: String) { node(id: $c) { ... on Conversation {
  kind unreadCount active withUser { displayName }
  messages(first: 2, after: $after) { edges { node { body } } pageInfo { hasNextPage endCursor } } } } }"""
LIST = "{ unreadMessageCount conversations { edges { node { id kind unreadCount } } } }"
READ = "mutation($c: ID!) { markConversationRead(conversationId: $c) { conversation { unreadCount } errors { code } } }"
MEAL_CONVERSATION = "query($m: ID!) { mealConversation(mealId: $m) { id kind active } }"
MESSAGE = "query($id: ID!) { node(id: $id) { ... on Message { body } } }"


async def pair(client: httpx.AsyncClient) -> tuple[str, str, str, str, str]:
    """Two matched diners and their conversation: (a token, a id, b token, b id, conversation id)."""
    a, a_id, _ = await register(client, name="阿丽")
    b, b_id, _ = await register(client, name="小波")
    await match(client, a, b, b_id)
    opened = (await gql(client, OPEN, {"u": b_id}, a))["data"]["openConversation"]
    assert opened["errors"] == []
    return a, a_id, b, b_id, opened["conversation"]["id"]


async def say(
    client: httpx.AsyncClient, token: str, conversation: str, body: str, photo: str | None = None
) -> dict:
    return (await gql(client, SEND, {"c": conversation, "b": body, "p": photo}, token))["data"]["sendMessage"]


async def test_matched_diners_talk_with_unread_counts_and_pages(client):
    a, a_id, b, b_id, conversation = await pair(client)
    # Either side opening it gets the same conversation.
    again = (await gql(client, OPEN, {"u": a_id}, b))["data"]["openConversation"]["conversation"]["id"]
    assert again == conversation
    for text in ("你好 👋", "周五吃火锅？🌶️🔥", "👨‍👩‍👧 带家人也行"):
        sent = await say(client, a, conversation, text)
        assert sent["errors"] == [] and sent["message"]["body"] == text
    listed = (await gql(client, LIST, token=b))["data"]
    assert listed["unreadMessageCount"] == 3
    assert listed["conversations"]["edges"][0]["node"] == {
        "id": conversation,
        "kind": "DIRECT",
        "unreadCount": 3,
    }
    page = (await gql(client, HISTORY, {"c": conversation}, b))["data"]["node"]
    assert page["withUser"] == {"displayName": "阿丽"} and page["active"]
    assert [e["node"]["body"] for e in page["messages"]["edges"]] == ["👨‍👩‍👧 带家人也行", "周五吃火锅？🌶️🔥"]
    after = page["messages"]["pageInfo"]["endCursor"]
    rest = (await gql(client, HISTORY, {"c": conversation, "after": after}, b))["data"]["node"]["messages"]
    assert [e["node"]["body"] for e in rest["edges"]] == ["你好 👋"] and not rest["pageInfo"]["hasNextPage"]
    # The sender has nothing unread; the reader marks read.
    assert (await gql(client, LIST, token=a))["data"]["unreadMessageCount"] == 0
    read = (await gql(client, READ, {"c": conversation}, b))["data"]["markConversationRead"]
    assert read == {"conversation": {"unreadCount": 0}, "errors": []}
    assert (await gql(client, LIST, token=b))["data"]["unreadMessageCount"] == 0


async def test_text_is_checked_like_reviews(client):
    a, _, _, _, conversation = await pair(client)
    assert (await say(client, a, conversation, "   "))["errors"] == [{"field": "body", "code": "INVALID"}]
    assert (await say(client, a, conversation, "x" * 2001))["errors"] == [
        {"field": "body", "code": "TOO_LONG"}
    ]
    assert (await say(client, a, conversation, "admin\u202egnp.exe"))["errors"] == [
        {"field": "body", "code": "INVALID"}
    ]


async def test_a_photo_goes_through_the_upload_flow(client):
    a, _, b, _, conversation = await pair(client)
    photo = await upload_photo(client, a)
    sent = await say(client, a, conversation, "", photo["id"])
    assert sent["errors"] == [] and sent["message"]["photo"] == {"ready": True}
    # The same photo on a second message, or someone else's photo: refused.
    assert (await say(client, a, conversation, "again", photo["id"]))["errors"][0]["code"] == "DUPLICATE"
    assert (await say(client, b, conversation, "mine?", photo["id"]))["errors"][0]["code"] == "NOT_FOUND"


async def test_only_members_read_or_post_and_a_match_is_needed(client):
    a, _, _, _, conversation = await pair(client)
    await say(client, a, conversation, "秘密")
    stranger, _, _ = await register(client, name="路人")
    assert (await gql(client, HISTORY, {"c": conversation}, stranger))["data"]["node"] is None
    assert (await say(client, stranger, conversation, "hi"))["errors"] == [
        {"field": "conversationId", "code": "NOT_FOUND"}
    ]
    # Without a match (or mutual follows) there is no one-to-one conversation.
    c, c_id, _ = await register(client, name="卡罗")
    assert (await gql(client, OPEN, {"u": c_id}, a))["data"]["openConversation"]["errors"] == [
        {"code": "FORBIDDEN"}
    ]
    follow = "mutation($u: ID!) { follow(userId: $u) { errors { code } } }"
    a_id = (await gql(client, "{ me { id } }", token=a))["data"]["me"]["id"]
    await gql(client, follow, {"u": c_id}, a)
    await gql(client, follow, {"u": a_id}, c)
    assert (await gql(client, OPEN, {"u": c_id}, a))["data"]["openConversation"]["errors"] == []


async def test_unmatched_diners_read_but_no_longer_post(client):
    a, _, b, b_id, conversation = await pair(client)
    await say(client, a, conversation, "before")
    await gql(client, "mutation($u: ID!) { unmatch(userId: $u) { errors { code } } }", {"u": b_id}, a)
    assert (await say(client, a, conversation, "after"))["errors"][0]["code"] == "FORBIDDEN"
    history = (await gql(client, HISTORY, {"c": conversation}, b))["data"]["node"]["messages"]["edges"]
    assert [e["node"]["body"] for e in history] == ["before"]


async def test_send_rate_limit(client, services):
    a, _, _, _, conversation = await pair(client)
    with override_settings(services, rate_limit_messages_per_minute=2):
        assert (await say(client, a, conversation, "1"))["errors"] == []
        assert (await say(client, a, conversation, "2"))["errors"] == []
        assert (await say(client, a, conversation, "3"))["errors"][0]["code"] == "RATE_LIMITED"


async def meal_with_guest(client: httpx.AsyncClient) -> tuple[str, str, str, str]:
    host, _, _ = await register(client, name="组局人")
    guest, _, _ = await register(client, name="客人")
    _, restaurant = await open_restaurant(client, *random_spot())
    starts = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    created = await gql(
        client,
        "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id } } }",
        {"i": {"restaurantId": restaurant, "title": "火锅局", "startsAt": starts, "capacity": 4}},
        host,
    )
    meal = created["data"]["createSharedMeal"]["meal"]["id"]
    joined = await gql(
        client, "mutation($m: ID!) { joinSharedMeal(mealId: $m) { status } }", {"m": meal}, guest
    )
    assert joined["data"]["joinSharedMeal"]["status"] == "JOINED"
    return host, guest, meal, restaurant


async def test_meal_group_follows_the_seats(client):
    host, guest, meal, _ = await meal_with_guest(client)
    group = (await gql(client, MEAL_CONVERSATION, {"m": meal}, host))["data"]["mealConversation"]
    assert group["kind"] == "MEAL"
    assert (await gql(client, MEAL_CONVERSATION, {"m": meal}, guest))["data"]["mealConversation"][
        "id"
    ] == group["id"]
    outsider, _, _ = await register(client, name="路人")
    assert (await gql(client, MEAL_CONVERSATION, {"m": meal}, outsider))["data"]["mealConversation"] is None
    assert (await say(client, outsider, group["id"], "让我进"))["errors"][0]["code"] == "NOT_FOUND"
    assert (await say(client, guest, group["id"], "我到了"))["errors"] == []
    assert (await say(client, host, group["id"], "欢迎"))["errors"] == []
    await gql(
        client, "mutation($m: ID!) { leaveSharedMeal(mealId: $m) { errors { code } } }", {"m": meal}, guest
    )
    assert (await say(client, host, group["id"], "走了就看不到这条"))["errors"] == []
    seen = (await gql(client, HISTORY, {"c": group["id"]}, guest))["data"]["node"]
    assert seen["active"] is False
    assert [e["node"]["body"] for e in seen["messages"]["edges"]] == ["欢迎", "我到了"]
    assert (await say(client, guest, group["id"], "还在吗"))["errors"][0]["code"] == "FORBIDDEN"
    # A new guest joins: a member from then on.
    late, _, _ = await register(client, name="新客")
    await gql(client, "mutation($m: ID!) { joinSharedMeal(mealId: $m) { status } }", {"m": meal}, late)
    assert (await say(client, late, group["id"], "新人报到"))["errors"] == []


async def test_reported_messages_are_moderated_and_nothing_else_is_browsable(client, services):
    a, _, b, _, conversation = await pair(client)
    bad = (await say(client, a, conversation, "买我的假货"))["message"]["id"]
    fine = (await say(client, a, conversation, "普通的话"))["message"]["id"]
    moderator, _ = await account_with_role(client, services)
    # Before any report the moderator sees neither the conversation nor its messages.
    for global_id in (conversation, bad, fine):
        assert (await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": global_id}, moderator))[
            "data"
        ]["node"] is None
    reported = await gql(
        client,
        "mutation($t: ID!) { reportContent(targetId: $t, reason: SCAM) { report { id } errors { code } } }",
        {"t": bad},
        b,
    )
    report = reported["data"]["reportContent"]["report"]["id"]
    assert (await gql(client, MESSAGE, {"id": bad}, moderator))["data"]["node"] == {"body": "买我的假货"}
    assert (await gql(client, MESSAGE, {"id": fine}, moderator))["data"]["node"] is None
    assert (await gql(client, HISTORY, {"c": conversation}, moderator))["data"]["node"] is None
    moderate = (
        "mutation($r: ID!, $a: ModerationAction!) { moderate(reportId: $r, action: $a) { errors { code } } }"
    )
    assert (await gql(client, moderate, {"r": report, "a": "HIDE_CONTENT"}, moderator))["data"]["moderate"][
        "errors"
    ] == []
    history = (await gql(client, HISTORY, {"c": conversation}, b))["data"]["node"]["messages"]["edges"]
    assert [e["node"]["body"] for e in history] == ["普通的话"]
    # Suspending the sender: reported again, then SUSPEND_USER; their token stops working.
    again = await gql(
        client,
        "mutation($t: ID!) { reportContent(targetId: $t, reason: SPAM) { report { id } } }",
        {"t": fine},
        b,
    )
    report = again["data"]["reportContent"]["report"]["id"]
    await gql(client, moderate, {"r": report, "a": "SUSPEND_USER"}, moderator)
    body = await gql(client, "{ me { id } }", token=a, expect_errors=True)
    assert body.get("errors") or body["data"]["me"] is None


async def test_a_block_hides_the_conversation_both_ways(client):
    a, _, b, b_id, conversation = await pair(client)
    await say(client, a, conversation, "在吗")
    await gql(client, "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }", {"u": b_id}, a)
    for token in (a, b):
        assert (await gql(client, HISTORY, {"c": conversation}, token))["data"]["node"] is None
        listed = (await gql(client, LIST, token=token))["data"]
        assert listed["conversations"]["edges"] == [] and listed["unreadMessageCount"] == 0
    assert (await say(client, b, conversation, "为什么"))["errors"][0]["code"] == "NOT_FOUND"


async def test_message_received_across_two_processes(settings, app):
    with running_servers(settings, 2) as (first, second):
        async with (
            httpx.AsyncClient(base_url=first, timeout=20) as one,
            httpx.AsyncClient(base_url=second, timeout=20) as two,
        ):
            a, _, b, _, conversation = await pair(one)
            async with aconnect_ws(f"{second}/graphql", two, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {b}"}})
                assert (await ws.receive_json())["type"] == "connection_ack"
                query = "subscription { messageReceived { body sender { displayName } conversation { id } } }"
                await ws.send_json({"id": "m1", "type": "subscribe", "payload": {"query": query}})
                await asyncio.sleep(0.5)
                assert (await say(one, a, conversation, "到了吗？🍜"))["errors"] == []
                message = await asyncio.wait_for(ws.receive_json(), 15)
                assert message["payload"]["data"]["messageReceived"] == {
                    "body": "到了吗？🍜",
                    "sender": {"displayName": "阿丽"},
                    "conversation": {"id": conversation},
                }, message


async def test_matches_and_conversations_say_how_many(client):
    """共N个: the app shows the totals of both lists; blocked people leave the count with the list."""
    a, a_id, b, b_id, _ = await pair(client)
    c, c_id, _ = await register(client, name="小陈")
    await match(client, a, c, c_id)
    await gql(client, OPEN, {"u": c_id}, a)
    totals = "{ matches { totalCount edges { node { matchedAt } } } conversations { totalCount edges { node { id } } } }"
    got = (await gql(client, totals, token=a))["data"]
    assert got["matches"]["totalCount"] == len(got["matches"]["edges"]) == 2
    assert got["conversations"]["totalCount"] == len(got["conversations"]["edges"]) == 2
    await gql(client, "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }", {"u": c_id}, a)
    got = (await gql(client, totals, token=a))["data"]
    assert got["matches"]["totalCount"] == len(got["matches"]["edges"]) == 1
    assert got["conversations"]["totalCount"] == len(got["conversations"]["edges"]) == 1


SEND_ONCE = (
    "mutation($c: ID!, $b: String!, $k: String) { sendMessage(conversationId: $c, body: $b, clientMessageId: $k) "
    "{ message { id body } errors { field code } } }"
)


async def test_a_retried_message_with_its_client_id_is_sent_once(client):
    """A phone that lost the answer sends again with the same clientMessageId: the message it
    already sent comes back, stored and notified once; parallel retries too."""
    a, _, b, _, conversation = await pair(client)

    async def send(body: str, key: str | None, token: str = a) -> dict:
        answer = await gql(client, SEND_ONCE, {"c": conversation, "b": body, "k": key}, token)
        return answer["data"]["sendMessage"]

    first = await send("今晚七点见", "m-1")
    again = await send("今晚七点见", "m-1")
    assert first["errors"] == [] and again == first
    racing = await asyncio.gather(*(send("火锅还是烧烤？", "m-2") for _ in range(6)))
    assert len({r["message"]["id"] for r in racing}) == 1 and all(r["errors"] == [] for r in racing)
    other = await send("今晚七点见", None)  # no id: a new message, as before
    same_id_from_b = await send("好的", "m-1", b)  # ids are per sender
    assert other["message"]["id"] != first["message"]["id"]
    assert same_id_from_b["message"]["id"] not in (first["message"]["id"], racing[0]["message"]["id"])
    history = await gql(
        client,
        "query($c: ID!) { node(id: $c) { ... on Conversation { messages(first: 10) { edges { node { body } } } } } }",
        {"c": conversation},
        b,
    )
    bodies = sorted(e["node"]["body"] for e in history["data"]["node"]["messages"]["edges"])
    assert bodies == sorted(["今晚七点见", "火锅还是烧烤？", "今晚七点见", "好的"])
    assert (await send("x", " "))["errors"] == [{"field": "clientMessageId", "code": "INVALID"}]
    assert (await send("x", "k" * 65))["errors"] == [{"field": "clientMessageId", "code": "TOO_LONG"}]


CHATS = """{ conversations(first: 50) { edges { node { id unreadCount withUser { displayName }
  lastMessage { body sender { displayName } } } } } }"""


async def test_the_chat_list_shows_each_last_message_and_unread_count_in_constant_statements(client):
    """消息列表: each row's preview (the newest message the reader may read: a blocked sender's is
    left out) and unread badge, one statement each for the page (they were one per row)."""
    from tests.conftest import count_sql

    me, me_id, _ = await register(client, name="列表主人")
    chats = []
    for n in range(4):
        other, other_id, _ = await register(client, name=f"朋友{n}")
        await match(client, me, other, other_id)
        conversation = (await gql(client, OPEN, {"u": other_id}, me))["data"]["openConversation"]["conversation"]["id"]
        for text in (f"第一句{n}", f"最后一句{n}"):
            assert (await say(client, other, conversation, text))["errors"] == []
        chats.append((other, other_id, conversation))
    assert (await say(client, me, chats[0][2], "我回一句"))["errors"] == []
    block = "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }"
    assert (await gql(client, block, {"u": chats[3][1]}, me))["data"]["blockUser"]["errors"] == []

    async def rows(limit: int) -> tuple[dict, list[str]]:
        query = CHATS.replace("first: 50", f"first: {limit}")
        with count_sql() as sql:
            edges = (await gql(client, query, token=me))["data"]["conversations"]["edges"]
        return {e["node"]["id"]: e["node"] for e in edges}, sql.statements

    found, statements = await rows(50)
    assert found[chats[0][2]]["lastMessage"] == {"body": "我回一句", "sender": {"displayName": "列表主人"}}
    assert found[chats[0][2]]["unreadCount"] == 0  # replying reads what came before
    for _, _, conversation in chats[1:3]:
        assert found[conversation]["lastMessage"]["body"].startswith("最后一句")
        assert found[conversation]["unreadCount"] == 2
    assert chats[3][2] not in found  # blocked: the conversation is gone from the list
    _, fewer = await rows(1)
    assert len(statements) == len(fewer), (statements, fewer)  # a constant per page, whatever its size
