"""Round 12 of the social journeys: what diners saw go wrong, through the real endpoint."""

from __future__ import annotations

from tests.helpers import gql, open_restaurant, random_spot, register
from tests.test_conversations import MEAL_CONVERSATION, READ, meal_with_guest, pair, say
from tests.test_push import apns  # noqa: F401 - the stand-in APNs fixture

NOTES = (
    "{ unreadNotificationCount notifications { edges { node { id kind message read "
    "actor { displayName } subject { __typename id } } } } }"
)


async def notes(client, token: str) -> dict:
    return (await gql(client, NOTES, token=token))["data"]


async def message_notes(client, token: str) -> list[dict]:
    """The `message` notices of the reader, newest first."""
    got = await notes(client, token)
    return [e["node"] for e in got["notifications"]["edges"] if e["node"]["kind"] == "message"]


async def test_a_new_message_tells_the_other_once_until_they_read_it(client):
    """A chat message was never a notice (the `message` kind was listed in the settings but
    never sent): a phone never buzzed for one. Now the other person gets one notice (and push)
    per conversation until they read it: a burst of messages tells them once."""
    a, _, b, _, conversation = await pair(client)
    before = (await notes(client, b))["unreadNotificationCount"]
    for text in ("在吗？", "周五吃火锅 🌶️", "七点春熙路见"):
        assert (await say(client, a, conversation, text))["errors"] == []
    assert (await notes(client, b))["unreadNotificationCount"] == before + 1
    [note] = await message_notes(client, b)
    assert note["kind"] == "message" and note["actor"] == {"displayName": "阿丽"} and not note["read"]
    assert note["message"] == "阿丽 给你发了新消息" and "火锅" not in note["message"]
    assert note["subject"] == {"__typename": "Conversation", "id": conversation}
    assert await message_notes(client, a) == []  # never told of one's own

    # Reading the conversation reads its notice; the next message tells them again.
    assert (await gql(client, READ, {"c": conversation}, b))["data"]["markConversationRead"]["errors"] == []
    assert [n["read"] for n in await message_notes(client, b)] == [True]
    await say(client, a, conversation, "到了吗")
    assert [n["read"] for n in await message_notes(client, b)] == [False, True]

    # Answering is reading: the reply marks B's notice read and tells A once.
    await say(client, b, conversation, "马上到")
    await say(client, b, conversation, "等我")
    assert [n["read"] for n in await message_notes(client, b)] == [True, True]
    assert [n["message"] for n in await message_notes(client, a)] == ["小波 给你发了新消息"]


async def test_a_meal_group_message_names_the_meal_and_skips_who_blocked_the_sender(client):
    host, guest, meal, _ = await meal_with_guest(client)
    other, _, _ = await register(client, name="二号客人")
    guest_id = (await gql(client, "{ me { id } }", token=guest))["data"]["me"]["id"]
    await gql(client, "mutation($m: ID!) { joinSharedMeal(mealId: $m) { status } }", {"m": meal}, other)
    blocked = await gql(
        client, "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }", {"u": guest_id}, other
    )
    assert blocked["data"]["blockUser"]["errors"] == []
    group = (await gql(client, MEAL_CONVERSATION, {"m": meal}, host))["data"]["mealConversation"]["id"]
    assert (await say(client, guest, group, "我到了"))["errors"] == []
    assert [n["message"] for n in await message_notes(client, host)] == ["客人 在饭局「火锅局」里发了新消息"]
    assert await message_notes(client, other) == []  # blocked the sender: reads nothing of theirs


async def test_message_notices_follow_the_preference(client):
    """`setNotificationPreference(kind: "message", inApp: false)` now means something."""
    a, _, b, _, conversation = await pair(client)
    off = await gql(
        client,
        'mutation { setNotificationPreference(kind: "message", inApp: false) { errors { code } } }',
        token=b,
    )
    assert off["data"]["setNotificationPreference"]["errors"] == []
    await say(client, a, conversation, "你好")
    assert await message_notes(client, b) == []


async def test_new_diner_without_messages_has_no_notices(client):
    token, _, _ = await register(client, name="新人")
    assert await notes(client, token) == {"unreadNotificationCount": 0, "notifications": {"edges": []}}


SEND = "mutation($u: ID!, $m: String) { sendMatchRequest(userId: $u, message: $m) { request { id status message } errors { code } } }"
ANSWER = (
    "mutation($r: ID!, $a: Boolean!) { respondMatchRequest(requestId: $r, accept: $a) "
    "{ request { status } errors { code } } }"
)


async def test_who_declined_a_request_can_change_their_mind(client):
    """B turned A down, then wanted to eat with A after all: asking A was DUPLICATE ("A request
    between you already exists"), forever. Now B's request replaces the one B declined; A, who
    was declined, still can't ask again."""
    a, a_id, _ = await register(client, name="阿明")
    b, b_id, _ = await register(client, name="小红")
    first = (await gql(client, SEND, {"u": b_id, "m": "约饭吗"}, a))["data"]["sendMatchRequest"]["request"]
    declined = await gql(client, ANSWER, {"r": first["id"], "a": False}, b)
    assert declined["data"]["respondMatchRequest"]["request"]["status"] == "DECLINED"
    again = (await gql(client, SEND, {"u": b_id, "m": "再考虑下？"}, a))["data"]["sendMatchRequest"]
    assert again["errors"] == [{"code": "DUPLICATE"}]

    changed = (await gql(client, SEND, {"u": a_id, "m": "上次没空，这周五？"}, b))["data"]["sendMatchRequest"]
    assert changed["errors"] == [] and changed["request"]["status"] == "PENDING"
    incoming = await gql(
        client, "{ matchRequests { edges { node { id message sender { displayName } } } } }", token=a
    )
    [request] = [e["node"] for e in incoming["data"]["matchRequests"]["edges"]]
    assert request == {
        "id": changed["request"]["id"],
        "message": "上次没空，这周五？",
        "sender": {"displayName": "小红"},
    }
    told = [e["node"] for e in (await notes(client, a))["notifications"]["edges"]]
    assert told[0]["kind"] == "match_request" and told[0]["subject"]["id"] == request["id"]
    accepted = await gql(client, ANSWER, {"r": request["id"], "a": True}, a)
    assert accepted["data"]["respondMatchRequest"]["request"]["status"] == "ACCEPTED"
    matched = await gql(client, "{ matches { edges { node { user { displayName } } } } }", token=b)
    assert [e["node"]["user"]["displayName"] for e in matched["data"]["matches"]["edges"]] == ["阿明"]
    # Asking twice is still one request.
    twice = (await gql(client, SEND, {"u": a_id}, b))["data"]["sendMatchRequest"]
    assert twice["errors"] == [{"code": "DUPLICATE"}]


async def test_live_notices_leave_out_whom_the_list_leaves_out(client, app):
    """The list leaves out notices caused by someone the reader blocked (their name is in the
    text), but notificationReceived delivered them live. Here: a restaurant owner blocked a diner
    who then booked a table; only the other diner's booking arrives live, as in the list."""
    from tests.tables_helpers import at, book, open_slots, subscribed

    owner, restaurant = await open_restaurant(client, *random_spot())
    when = at(30)
    await open_slots(client, owner, restaurant, (when, 10))
    pest, pest_id, _ = await register(client, name="骚扰者")
    fine, _, _ = await register(client, name="正常客人")
    blocked = await gql(
        client, "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }", {"u": pest_id}, owner
    )
    assert blocked["data"]["blockUser"]["errors"] == []
    live = "subscription { notificationReceived { kind message actor { displayName } } }"
    async with subscribed(app, owner, live, {}) as receive:
        assert (await book(client, pest, restaurant, when))["errors"] == []
        assert (await book(client, fine, restaurant, when))["errors"] == []
        first = (await receive())["notificationReceived"]
    assert first["kind"] == "booking_new" and first["actor"] == {"displayName": "正常客人"}
    listed = (await notes(client, owner))["notifications"]["edges"]
    assert [e["node"]["actor"] for e in listed] == [{"displayName": "正常客人"}]


async def test_withdrawing_location_consent_beside_updates_leaves_no_point(client):
    """A phone sends its position in the background while the diner withdraws consent (PIPL):
    the consent was checked before the write's transaction, so an update that passed the check
    just before the withdrawal stored the point after it; the diner stayed in nearbyFoodies
    with no consent. Both now take the diner's row lock, and the update reads the consent under it."""
    import asyncio

    lat, lng = random_spot()
    diner, _, _ = await register(client, name="撤回同意")
    viewer, _, _ = await register(client, name="附近的人")
    spot = {"a": lat, "b": lng}
    move = "mutation($a: Float!, $b: Float!) { updateLocation(lat: $a, lng: $b) { errors { code } } }"
    assert (await gql(client, move, spot, viewer))["data"]["updateLocation"]["errors"] == []
    grant = 'mutation { grantLocationConsent(noticeVersion: "2026-01") { errors { code } } }'
    withdraw = "mutation { withdrawLocationConsent { errors { code } } }"
    for _ in range(8):
        assert (await gql(client, grant, token=diner))["data"]["grantLocationConsent"]["errors"] == []
        updates = [gql(client, move, spot, diner) for _ in range(3)]
        answers = await asyncio.gather(*updates, gql(client, withdraw, token=diner))
        codes = {tuple(e["code"] for e in a["data"]["updateLocation"]["errors"]) for a in answers[:3]}
        assert codes <= {(), ("LOCATION_CONSENT_REQUIRED",)}
        late = await gql(client, move, spot, diner)
        assert late["data"]["updateLocation"]["errors"] == [{"code": "LOCATION_CONSENT_REQUIRED"}]
        me = (await gql(client, "{ me { location { lat } } }", token=diner))["data"]["me"]
        assert me["location"] is None
        nearby = await gql(client, "{ nearbyFoodies(radiusKm: 5) { totalCount } }", token=viewer)
        assert nearby["data"]["nearbyFoodies"]["totalCount"] == 0


async def test_turning_discoverable_on_beside_a_withdrawal_indexes_no_point(client):
    """Turning `discoverable` on indexed the position the request's viewer was read with: a
    consent withdrawal that erased it a moment before was undone in the index, and the diner
    showed in nearbyFoodies with no position and no consent. The point is now read under the row
    lock the withdrawal takes."""
    import asyncio

    lat, lng = random_spot()
    diner, _, _ = await register(client, name="隐身")
    viewer, _, _ = await register(client, name="附近的人")
    move = "mutation($a: Float!, $b: Float!) { updateLocation(lat: $a, lng: $b) { errors { code } } }"
    show = "mutation { updateProfile(input: {discoverable: true}) { errors { code } } }"
    grant = 'mutation { grantLocationConsent(noticeVersion: "2026-01") { errors { code } } }'
    withdraw = "mutation { withdrawLocationConsent { errors { code } } }"
    await gql(client, move, {"a": lat, "b": lng}, viewer)
    for _ in range(10):
        await gql(client, grant, token=diner)
        assert (await gql(client, move, {"a": lat, "b": lng}, diner))["data"]["updateLocation"][
            "errors"
        ] == []
        shows = [gql(client, show, token=diner) for _ in range(4)]
        await asyncio.gather(*shows[:2], gql(client, withdraw, token=diner), *shows[2:])
        nearby = await gql(client, "{ nearbyFoodies(radiusKm: 5) { totalCount } }", token=viewer)
        assert nearby["data"]["nearbyFoodies"]["totalCount"] == 0


async def test_a_conversation_with_a_deleted_account_says_why_it_is_shut(client):
    """The other person deleted their account: the conversation stayed listed (what was said is
    the reader's too) but sending answered NOT_FOUND "No such conversation" for the conversation
    on screen. Now FORBIDDEN, saying the person can no longer receive messages."""
    a, _, b, _, conversation = await pair(client)
    await say(client, a, conversation, "再见")
    gone = await gql(
        client, 'mutation { deleteMyAccount(password: "correct horse battery") { errors { code } } }', token=a
    )
    assert gone["data"]["deleteMyAccount"]["errors"] == []
    listed = await gql(client, "{ conversations { edges { node { id withUser { id } } } } }", token=b)
    assert listed["data"]["conversations"]["edges"] == [{"node": {"id": conversation, "withUser": None}}]
    sent = await gql(
        client,
        'mutation($c: ID!) { sendMessage(conversationId: $c, body: "还在吗") { message { id } errors { code message } } }',
        {"c": conversation},
        b,
    )
    assert sent["data"]["sendMessage"] == {
        "message": None,
        "errors": [{"code": "FORBIDDEN", "message": "This person can no longer receive messages"}],
    }


async def test_a_phone_signed_into_another_account_gets_none_of_the_first_accounts_pushes(
    client,
    services,
    apns,  # noqa: F811 - the fixture imported above
):
    """A phone's token moves to the account that registers it last (a shared phone, a second
    account), but the outbox rows already queued for the first account (new, or waiting for a
    retry for up to hours) were still sent to it: 阿博 关注了你 on someone else's lock screen.
    They now end failed, and the new account's own pushes go out."""
    from models.notifications import DeliveryStatus, PushDelivery
    from resolvers.notifications.push import MOVED, drain
    from tests.test_push import FOLLOW, REGISTER

    token = "d4" * 32
    alice, alice_id, _ = await register(client, name="阿丽")
    bob, _, _ = await register(client, name="阿博")
    carol, carol_id, _ = await register(client, name="小卡")
    await gql(client, REGISTER, {"p": "IOS", "t": token}, alice)
    await gql(client, FOLLOW, {"u": alice_id}, bob)  # queued for alice's phone
    await gql(client, REGISTER, {"p": "IOS", "t": token}, carol)  # the phone is carol's now
    await gql(client, FOLLOW, {"u": carol_id}, bob)
    await drain(services)
    bodies = [r.payload["aps"]["alert"]["body"] for r in apns.received if r.path.endswith(token)]
    assert len(bodies) == 1 and "阿博 关注了你" in bodies[0]
    rows = await PushDelivery.filter(device__token=token).select_related("notification").order_by("id")
    assert [(r.notification.user_id, r.status, r.last_error) for r in rows] == [
        (rows[0].notification.user_id, DeliveryStatus.FAILED, MOVED),
        (rows[1].notification.user_id, DeliveryStatus.SENT, ""),
    ]
    assert rows[0].notification.user_id != rows[1].notification.user_id


async def test_mutual_followers_who_stop_following_are_not_told_they_were_unmatched(client):
    """Two diners who followed each other (never matched) talked; one unfollowed, and the other's
    next message was refused with "You are no longer matched". Now the refusal names both ways in."""
    a, a_id, _ = await register(client, name="甲")
    b, b_id, _ = await register(client, name="乙")
    follow = "mutation($u: ID!) { follow(userId: $u) { errors { code } } }"
    await gql(client, follow, {"u": b_id}, a)
    await gql(client, follow, {"u": a_id}, b)
    opened = await gql(
        client,
        "mutation($u: ID!) { openConversation(userId: $u) { conversation { id } errors { code } } }",
        {"u": b_id},
        a,
    )
    conversation = opened["data"]["openConversation"]["conversation"]["id"]
    assert (await say(client, b, conversation, "互关了，聊聊"))["errors"] == []
    await gql(client, "mutation($u: ID!) { unfollow(userId: $u) { errors { code } } }", {"u": a_id}, b)
    refused = await gql(
        client,
        'mutation($c: ID!) { sendMessage(conversationId: $c, body: "还在吗") { errors { code message } } }',
        {"c": conversation},
        a,
    )
    assert refused["data"]["sendMessage"]["errors"] == [
        {"code": "FORBIDDEN", "message": "You no longer match or follow each other"}
    ]


async def test_unknown_tags_are_named_once_and_briefly(client):
    """updateProfile(cuisines: 1 000 copies of one typo) answered "Unknown tags: 火星菜, 火星菜, …"
    a thousand times over, and a 20 000-character tag came back whole. Each is now named once,
    cut short, at most 10 of them; nothing is written."""
    token, _, _ = await register(client, name="挑食")
    update = "mutation($i: ProfileInput!) { updateProfile(input: $i) { errors { field code message } } }"
    tags = ["火星菜"] * 1000 + ["川菜"] + [f"typo{i}" for i in range(15)] + ["长" * 5000]
    [error] = (await gql(client, update, {"i": {"cuisines": tags}}, token))["data"]["updateProfile"]["errors"]
    assert (error["field"], error["code"]) == ("cuisines", "UNKNOWN_TAG")
    assert (
        error["message"].count("火星菜") == 1 and "… (+7)" in error["message"] and len(error["message"]) < 200
    )
    me = (await gql(client, "{ me { cuisines } }", token=token))["data"]["me"]
    assert me["cuisines"] == []


async def test_the_unread_badge_of_a_diner_in_many_conversations(client):
    """unreadMessageCount ORed one condition per conversation into one statement: from ~500
    conversations (a host of many meals, each with its group) it nested past Python's recursion
    limit and the badge was a 500 on every screen. It now counts them a hundred at a time."""
    from datetime import UTC, datetime

    from models.conversations import Conversation, ConversationKind, ConversationMember
    from schema.ids import decode

    a, _, b, b_id, conversation = await pair(client)
    reader = decode(b_id, "User", "userId")
    now = datetime.now(UTC)
    # Earlier conversations, as years of meals leave them (rows: the journey is not the point).
    old = await Conversation.bulk_create(
        [
            Conversation(kind=ConversationKind.DIRECT, pair=f"old:{reader}:{i}", last_message_at=now)
            for i in range(700)
        ]
    )
    if not old or old[0].id is None:  # backends that return no ids: read them back
        old = await Conversation.filter(pair__startswith=f"old:{reader}:")
    await ConversationMember.bulk_create(
        [ConversationMember(conversation_id=c.id, user_id=reader) for c in old]
    )
    await say(client, a, conversation, "好久不见")
    await say(client, a, conversation, "周末吃饭？")
    body = await gql(client, "{ unreadMessageCount }", token=b)
    assert body["data"]["unreadMessageCount"] == 2


async def test_following_again_after_unfollowing_notifies_once(client):
    """Follow, unfollow, follow... each follow was a new `new_follower` notice and push: a way to
    buzz someone's phone 30 times a minute (关注轰炸). The person followed is told once per follower."""
    pest, _, _ = await register(client, name="关注轰炸")
    target, target_id, _ = await register(client, name="被关注的人")
    for _ in range(4):
        for verb in ("follow", "unfollow"):
            done = await gql(
                client,
                f"mutation($u: ID!) {{ {verb}(userId: $u) {{ errors {{ code }} }} }}",
                {"u": target_id},
                pest,
            )
            assert done["data"][verb]["errors"] == []
    got = await notes(client, target)
    assert got["unreadNotificationCount"] == 1
    assert [e["node"]["message"] for e in got["notifications"]["edges"]] == ["关注轰炸 关注了你"]


async def test_a_refused_photo_names_the_argument_sendmessage_has(client):
    """sendMessage(photoId:) with someone else's (or an unconfirmed) photo answered the error on
    field `photoIds`, createReview's argument, so the app could not point at the photo it sent."""
    from tests.media_helpers import upload_photo

    a, _, b, _, conversation = await pair(client)
    photo = await upload_photo(client, a)
    refused = await say(client, b, conversation, "我的？", photo["id"])
    assert refused["errors"] == [{"field": "photoId", "code": "NOT_FOUND"}]


async def test_looking_at_a_meal_group_from_outside_writes_nothing(client):
    """mealConversation(mealId) by someone not at the table answered null but first made the
    meal's group (and its members' rows): any diner walking meal ids wrote a conversation for
    every meal. Now only a seated diner's look makes it; from outside, nothing is written."""
    from models.conversations import Conversation
    from schema.ids import decode

    host, guest, meal, _ = await meal_with_guest(client)
    outsider, _, _ = await register(client, name="路人")
    assert (await gql(client, MEAL_CONVERSATION, {"m": meal}, outsider))["data"]["mealConversation"] is None
    assert not await Conversation.exists(meal_id=decode(meal, "SharedMeal", "mealId"))
    group = (await gql(client, MEAL_CONVERSATION, {"m": meal}, guest))["data"]["mealConversation"]
    assert group["kind"] == "MEAL"
    assert (await gql(client, MEAL_CONVERSATION, {"m": meal}, host))["data"]["mealConversation"][
        "id"
    ] == group["id"]
    assert (await gql(client, MEAL_CONVERSATION, {"m": meal}, outsider))["data"]["mealConversation"] is None
