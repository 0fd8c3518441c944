"""A suspended account's messages (spam, harassment) leave conversations, counts and badges until
the suspension ends, as its reviews leave lists; moderators still read reported ones."""

from __future__ import annotations

from tests.helpers import account_with_role, gql
from tests.test_conversations import HISTORY, LIST, MESSAGE, pair, say
from tests.test_moderation import MODERATE, REPORT


async def test_a_suspended_senders_messages_leave_the_conversation_until_the_suspension_ends(
    client, services
):
    a, a_id, b, b_id, conversation = await pair(client)
    await say(client, a, conversation, "你好呀")
    spam = [
        (await say(client, b, conversation, text))["message"]["id"] for text in ("加微信领红包", "点链接")
    ]
    listed = (await gql(client, LIST, token=a))["data"]
    assert listed["unreadMessageCount"] == 2

    report = await gql(client, REPORT, {"t": b_id, "r": "SPAM"}, a)
    report_id = report["data"]["reportContent"]["report"]["id"]
    moderator, _ = await account_with_role(client, services)
    done = await gql(client, MODERATE, {"r": report_id, "a": "SUSPEND_USER", "d": 3}, moderator)
    assert done["data"]["moderate"]["errors"] == []

    listed = (await gql(client, LIST, token=a))["data"]
    assert listed["unreadMessageCount"] == 0
    assert [
        e["node"]["unreadCount"] for e in listed["conversations"]["edges"] if e["node"]["id"] == conversation
    ] == [0]
    seen = (await gql(client, HISTORY, {"c": conversation}, a))["data"]["node"]
    assert [e["node"]["body"] for e in seen["messages"]["edges"]] == ["你好呀"]
    for message in spam:
        assert (await gql(client, MESSAGE, {"id": message}, a))["data"]["node"] is None

    await gql(client, MODERATE, {"r": report_id, "a": "UNSUSPEND_USER"}, moderator)
    listed = (await gql(client, LIST, token=a))["data"]
    assert listed["unreadMessageCount"] == 2
    seen = (await gql(client, HISTORY, {"c": conversation}, a))["data"]["node"]
    assert [e["node"]["body"] for e in seen["messages"]["edges"]] == ["点链接", "加微信领红包"]
