import json
from tests.helpers import gql, register, open_restaurant, add_dish
from tests.test_zz_journey_common import q, show

PROFILE = """mutation($i: ProfileInput!){ updateProfile(input:$i){ user{ id displayName cuisines dietary spiceLevel budgetLevel timezone } errors{field code message} } }"""
LOC = "mutation($a:Float!,$b:Float!){ updateLocation(lat:$a,lng:$b){ location{lat lng updatedAt} errors{field code message} } }"
NEARBY = "query{ nearbyFoodies(radiusKm:5, first:20){ totalCount edges{ node{ distanceKm score sharedCuisines user{ id displayName followersCount isFollowedByMe } } } } }"
SEND = "mutation($u:ID!,$m:String){ sendMatchRequest(userId:$u, message:$m){ request{ id status message sender{displayName} recipient{displayName} } errors{field code message} } }"
RESP = "mutation($r:ID!,$a:Boolean!){ respondMatchRequest(requestId:$r, accept:$a){ request{ id status respondedAt } errors{field code message} } }"
REQS = "query($d:MatchDirection!){ matchRequests(direction:$d){ totalCount edges{ node{ id status message sender{displayName} recipient{displayName} } } } }"
NOTES = "{ unreadNotificationCount notifications(first:20){ totalCount edges{ node{ kind message read actor{displayName} subject{ __typename id } createdAt } } } }"
MATCHES = "{ matches{ totalCount edges{ node{ user{ id displayName } matchedAt } } } }"
FOLLOW = "mutation($u:ID!){ follow(userId:$u){ following user{ followersCount isFollowedByMe } errors{code message} } }"
BLOCK = "mutation($u:ID!){ blockUser(userId:$u){ blocked user{ id displayName } errors{code message} } }"
OPEN = "mutation($u:ID!){ openConversation(userId:$u){ conversation{ id kind withUser{displayName} } errors{field code message} } }"
SENDMSG = "mutation($c:ID!,$b:String!){ sendMessage(conversationId:$c, body:$b){ message{ id body createdAt } errors{field code message} } }"
CONVS = "{ unreadMessageCount conversations{ totalCount edges{ node{ id kind unreadCount active lastMessageAt withUser{displayName} messages(first:5){ totalCount edges{ node{ body sender{displayName} } } } } } } }"
ME = "{ me { id displayName followersCount followingCount followers{ totalCount edges{ node{ displayName } } } following{ totalCount edges{ node{ displayName } } } } }"
USER = "query($id:ID!){ node(id:$id){ __typename ... on User { id displayName followersCount followingCount isFollowedByMe } } }"
FEED = "{ feed(first:20){ totalCount edges{ node{ kind actor{displayName} review{ id body } } } } }"
REVIEW = "mutation($i:ReviewInput!){ createReview(input:$i){ review{ id } errors{field code message} } }"
BLOCKED = "{ blockedUsers{ totalCount edges{ node{ user{ displayName } blockedAt } } } }"

async def test_social(client):
    a, a_id, _ = await register(client, name="阿丽")
    b, b_id, _ = await register(client, name="小波")
    c, c_id, _ = await register(client, name="小陈")
    tags = (await q(client, "{ cuisineTags{ tag labelZh } dietaryTags{ tag labelZh } }"))["data"]
    show("tags", tags)
    for tok, cu in ((a, ["sichuan", "hotpot", "cantonese"]), (b, ["sichuan", "hotpot"]), (c, ["cantonese"])):
        show("profile", await q(client, PROFILE, {"i": {"cuisines": cu, "spiceLevel": 4, "budgetLevel": 2, "bio": "爱吃辣"}}, tok))
    # Chinese labels as cuisines?
    show("profile with zh label", await q(client, PROFILE, {"i": {"cuisines": ["川菜", "火锅"]}}, c))
    show("profile spice 6", await q(client, PROFILE, {"i": {"spiceLevel": 6}}, c))
    base = (30.6586, 104.0648)
    show("loc a", await q(client, LOC, {"a": base[0], "b": base[1]}, a))
    show("loc b", await q(client, LOC, {"a": base[0] + 0.01, "b": base[1] + 0.01}, b))
    show("loc c", await q(client, LOC, {"a": base[0] - 0.005, "b": base[1]}, c))
    show("a nearby", await q(client, NEARBY, None, a))
    show("b nearby", await q(client, NEARBY, None, b))
    show("anon nearby", await q(client, NEARBY))
    # A writes a review at a nearby restaurant before everything (feed)
    owner, rest = await open_restaurant(client, base[0] + 0.002, base[1], name="蜀九香火锅")
    dish = await add_dish(client, owner, rest, name="麻辣牛肉")
    show("b review", await q(client, REVIEW, {"i": {"dishId": dish, "rating": 5, "body": "小波说：很好吃"}}, b))
    # follow
    show("a follows b", await q(client, FOLLOW, {"u": b_id}, a))
    show("b follows a", await q(client, FOLLOW, {"u": a_id}, b))
    show("a feed", await q(client, FEED, None, a))
    # match request
    sent = await q(client, SEND, {"u": b_id, "m": "周五一起吃火锅吗？🌶️"}, a)
    show("a sends", sent)
    show("a sends again", await q(client, SEND, {"u": b_id, "m": "again"}, a))
    show("a sends self", await q(client, SEND, {"u": a_id, "m": "me"}, a))
    show("b notes", await q(client, NOTES, None, b))
    show("b incoming", await q(client, REQS, {"d": "INCOMING"}, b))
    show("a outgoing", await q(client, REQS, {"d": "OUTGOING"}, a))
    # b sends request back to a while pending (crossing request)
    show("b sends crossing", await q(client, SEND, {"u": a_id, "m": "我也想约你"}, b))
    rid = sent["data"]["sendMatchRequest"]["request"]["id"]
    show("a answers own request", await q(client, RESP, {"r": rid, "a": True}, a))
    show("b accepts", await q(client, RESP, {"r": rid, "a": True}, b))
    show("b accepts again", await q(client, RESP, {"r": rid, "a": False}, b))
    show("a notes", await q(client, NOTES, None, a))
    show("a matches", await q(client, MATCHES, None, a))
    show("b matches", await q(client, MATCHES, None, b))
    show("b incoming after", await q(client, REQS, {"d": "INCOMING"}, b))
    show("a nearby after match", await q(client, NEARBY, None, a))
    show("a sends after match", await q(client, SEND, {"u": b_id, "m": "again"}, a))
    conv = await q(client, OPEN, {"u": b_id}, a)
    show("open conv", conv)
    cid = conv["data"]["openConversation"]["conversation"]["id"]
    show("a convs before msg", await q(client, CONVS, None, a))
    show("b convs before msg", await q(client, CONVS, None, b))
    for t in ("你好！", "周五晚上7点？"):
        show("send", await q(client, SENDMSG, {"c": cid, "b": t}, a))
    show("empty msg", await q(client, SENDMSG, {"c": cid, "b": "   "}, a))
    show("b convs", await q(client, CONVS, None, b))
    show("b notes after msgs", await q(client, NOTES, None, b))
    # c (not matched) tries to open conv with a
    show("c open a", await q(client, OPEN, {"u": a_id}, c))
    # Block: b blocks a
    show("b blocks a", await q(client, BLOCK, {"u": a_id}, b))
    show("b blocks a again", await q(client, BLOCK, {"u": a_id}, b))
    for who, tok in (("a", a), ("b", b)):
        show(f"{who} me", await q(client, ME, None, tok))
        show(f"{who} matches", await q(client, MATCHES, None, tok))
        show(f"{who} convs", await q(client, CONVS, None, tok))
        show(f"{who} notes", await q(client, NOTES, None, tok))
        show(f"{who} nearby", await q(client, NEARBY, None, tok))
        show(f"{who} feed", await q(client, FEED, None, tok))
        show(f"{who} in/out", [await q(client, REQS, {"d": d}, tok) for d in ("INCOMING", "OUTGOING")])
    show("a views b node", await q(client, USER, {"id": b_id}, a))
    show("b views a node", await q(client, USER, {"id": a_id}, b))
    show("a sends msg after block", await q(client, SENDMSG, {"c": cid, "b": "还在吗"}, a))
    show("a opens conv after block", await q(client, OPEN, {"u": b_id}, a))
    show("a follows b after block", await q(client, FOLLOW, {"u": b_id}, a))
    show("a match req after block", await q(client, SEND, {"u": b_id, "m": "hi"}, a))
    show("a blocks b (mutual)", await q(client, BLOCK, {"u": b_id}, a))
    show("b blocked", await q(client, BLOCKED, None, b))
    show("dish reviews as a", await q(client, "query($d:ID!){ dish(id:$d){ reviewCount averageRating reviews{ totalCount edges{ node{ body } } } } }", {"d": dish}, a))
    show("restaurant summary as a", await q(client, "query($r:ID!){ restaurant(id:$r){ ratingSummary{ reviewCount averageRating } reviews{ totalCount } } }", {"r": rest}, a))
