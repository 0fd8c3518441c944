"""Round 12: restaurants, reviews and moderation as diners, owners, moderators and hostile
clients use them, through the GraphQL endpoint."""

from __future__ import annotations

import asyncio

from tests.helpers import (
    ACCEPT_STAFF,
    accept_staff,
    account_with_role,
    add_dish,
    gql,
    open_restaurant,
    random_spot,
    register,
)
from tests.media_helpers import upload_photo
from tests.test_moderation import MODERATE, REPORT
from tests.test_restaurant_page import REVIEW, review

VOTE = """mutation($r: ID!) { voteReviewHelpful(reviewId: $r) {
  review { helpfulCount } errors { field code } } }"""
HELPFUL = "query($id: ID!) { node(id: $id) { ... on Review { helpfulCount } } }"
STAFF = (
    "mutation($r: ID!, $e: String!) { addRestaurantStaff(restaurantId: $r, email: $e) { errors { code } } }"
)
REPLY = """mutation($r: ID!, $b: String!) { replyToReview(reviewId: $r, body: $b) {
  reply { id body createdAt updatedAt } errors { field code } } }"""
EDIT = """mutation($r: ID!, $b: String!) { updateReviewReply(replyId: $r, body: $b) {
  reply { body createdAt updatedAt } errors { field code } } }"""
UPDATE_RESTAURANT = """mutation($r: ID!, $n: String!) { updateRestaurant(restaurantId: $r, input: {name: $n}) {
  restaurant { name } errors { field code } } }"""
ARCHIVE = (
    "mutation($r: ID!) { archiveRestaurant(restaurantId: $r) { restaurant { archived } errors { code } } }"
)
MINE = "{ myRestaurants(includeArchived: true) { id name archived } }"
PUBLIC = "query($id: ID!) { restaurant(id: $id) { id name } }"


def errors(body, name):
    return [(e["field"], e["code"]) for e in body["data"][name]["errors"]]


WHOLE_QUEUE = """query($s: ReportStatus, $t: String, $a: String) {
  moderationQueue(status: $s, targetType: $t, first: 100, after: $a) {
    edges { node { %s } } pageInfo { hasNextPage endCursor } } }"""


async def whole_queue(client, token, status="OPEN", target_type=None, fields="id targetId"):
    """Every report of the queue, page by page (other tests' reports share it)."""
    found, after = [], None
    while True:
        variables = {"s": status, "t": target_type, "a": after}
        page = (await gql(client, WHOLE_QUEUE % fields, variables, token))["data"]["moderationQueue"]
        found += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_staff_cannot_vote_their_own_restaurants_reviews_helpful(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    staff, _, staff_email = await register(client)  # a diner's account (work accounts vote on none)
    assert (
        errors(await gql(client, STAFF, {"r": restaurant, "e": staff_email}, owner), "addRestaurantStaff")
        == []
    )
    await accept_staff(client, restaurant, staff)
    author, _, _ = await register(client)
    rid = (await review(client, author, dish, 5, body="毛肚很新鲜"))["id"]

    # 刷赞: the restaurant's people can't lift its reviews (the owner's work account votes on none)
    for token, code in ((owner, "FORBIDDEN"), (staff, "OWN_CONTENT")):
        refused = await gql(client, VOTE, {"r": rid}, token)
        assert errors(refused, "voteReviewHelpful") == [("reviewId", code)]
    diner, _, _ = await register(client)
    counted = await gql(client, VOTE, {"r": rid}, diner)
    assert counted["data"]["voteReviewHelpful"] == {"review": {"helpfulCount": 1}, "errors": []}
    assert (await gql(client, HELPFUL, {"id": rid}))["data"]["node"] == {"helpfulCount": 1}


async def test_editing_a_reply_moves_its_updated_at(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    author, _, _ = await register(client)
    rid = (await review(client, author, dish, 2, body="上菜太慢"))["id"]
    made = (await gql(client, REPLY, {"r": rid, "b": "抱歉"}, owner))["data"]["replyToReview"]["reply"]
    await asyncio.sleep(0.01)

    edited = (await gql(client, EDIT, {"r": made["id"], "b": "抱歉，已加派人手"}, owner))["data"]
    reply = edited["updateReviewReply"]["reply"]
    assert reply["body"] == "抱歉，已加派人手" and reply["createdAt"] == made["createdAt"]
    assert reply["updatedAt"] > made["updatedAt"]  # the diner sees that it was edited, and when
    again = (await gql(client, EDIT, {"r": made["id"], "b": "抱歉，已加派人手"}, owner))["data"]
    assert again["updateReviewReply"]["reply"]["updatedAt"] == reply["updatedAt"]  # nothing changed


async def test_an_edit_racing_the_archive_never_reopens_the_restaurant(client):
    for round_ in range(4):
        owner, restaurant = await open_restaurant(client, *random_spot(), name=f"老店{round_}")
        edits = [
            gql(client, UPDATE_RESTAURANT, {"r": restaurant, "n": f"新店名{i}"}, owner) for i in range(4)
        ]
        archived, *answers = await asyncio.gather(gql(client, ARCHIVE, {"r": restaurant}, owner), *edits)
        assert archived["data"]["archiveRestaurant"]["errors"] == []
        for answer in answers:  # before the archive, or refused after it: never a 500
            assert errors(answer, "updateRestaurant") in ([], [("restaurantId", "NOT_FOUND")])
        [mine] = (await gql(client, MINE, token=owner))["data"]["myRestaurants"]
        assert mine["archived"] is True  # a stale whole-row save wrote archived = false back
        assert (await gql(client, PUBLIC, {"id": restaurant}))["data"]["restaurant"] is None
    late = await gql(client, UPDATE_RESTAURANT, {"r": restaurant, "n": "再开张"}, owner)
    assert errors(late, "updateRestaurant") == [("restaurantId", "NOT_FOUND")]


async def test_a_moderator_never_decides_reports_about_themselves_or_their_content(client, services):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    # A diner who wrote a review and was later made a moderator (work accounts write none now).
    judge, judge_id, _ = await register(client, name="后来的管理员")
    rid = (await review(client, judge, dish, 1, body="难吃到不想再来"))["id"]
    from models.accounts import Role, User
    from resolvers.accounts import viewer_cache
    from schema.ids import decode

    judge_pk = decode(judge_id, "User", "id")
    await User.filter(id=judge_pk).update(role=Role.MODERATOR)
    await viewer_cache.changed(services, judge_pk)
    other, _ = await account_with_role(client, services)
    diner, _, _ = await register(client)

    about_review = (await gql(client, REPORT, {"t": rid, "r": "FAKE_REVIEW"}, diner))["data"]
    about_judge = (await gql(client, REPORT, {"t": judge_id, "r": "HARASSMENT"}, diner))["data"]
    report_ids = [about_review["reportContent"]["report"]["id"], about_judge["reportContent"]["report"]["id"]]
    for report_id in report_ids:
        for action in ("DISMISS", "HIDE_CONTENT", "SUSPEND_USER"):
            own = await gql(client, MODERATE, {"r": report_id, "a": action}, judge)
            assert errors(own, "moderate") == [("reportId", "SELF_ACTION")], action
    queue = [
        *await whole_queue(client, other, "OPEN", "Review"),
        *await whole_queue(client, other, "OPEN", "User"),
    ]
    assert {node["id"] for node in queue} >= set(report_ids)  # still waiting for someone else

    hidden = await gql(client, MODERATE, {"r": report_ids[0], "a": "HIDE_CONTENT"}, other)
    assert errors(hidden, "moderate") == []
    undo = await gql(client, MODERATE, {"r": report_ids[0], "a": "RESTORE_CONTENT"}, judge)
    assert errors(undo, "moderate") == [("reportId", "SELF_ACTION")]
    state = await gql(
        client, "query($id: ID!) { node(id: $id) { ... on Review { moderation } } }", {"id": rid}, judge
    )
    assert state["data"]["node"] == {"moderation": "HIDDEN"}
    dismissed = await gql(client, MODERATE, {"r": report_ids[1], "a": "DISMISS"}, other)
    assert errors(dismissed, "moderate") == []
    audit = await gql(
        client, "{ auditLog(first: 10) { edges { node { action moderator { id } } } } }", token=other
    )
    assert [e["node"]["action"] for e in audit["data"]["auditLog"]["edges"]][:2] == [
        "DISMISS",
        "HIDE_CONTENT",
    ]


REMOVE_STAFF = """mutation($r: ID!, $u: ID!) { removeRestaurantStaff(restaurantId: $r, userId: $u) {
  restaurant { id } errors { field code } } }"""


INVITES = """query($r: ID!) { restaurant(id: $r) { staff { user { displayName } }
  staffInvitations { user { displayName } } } }"""
MY_INVITES = "{ myStaffInvitations { restaurant { id name } invitedAt } }"
DECLINE = "mutation($r: ID!) { declineStaffInvitation(restaurantId: $r) { errors { field code } } }"


async def test_nobody_becomes_staff_unasked_and_staff_can_leave(client):
    """差评拦截: the owner typed a critic's email into addRestaurantStaff and the critic could no
    longer review (OWN_CONTENT), unasked and untold. Now it is an invitation: told, not staff
    until accepted; declined, nothing changes. Staff may still leave; owners stay."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    critic, critic_id, critic_email = await register(client, name="老饕")
    colleague, colleague_id, colleague_email = await register(client, name="服务员")
    for email in (critic_email, colleague_email):  # the owner types any diner's email
        added = await gql(client, STAFF, {"r": restaurant, "e": email}, owner)
        assert errors(added, "addRestaurantStaff") == []
    twice = await gql(client, STAFF, {"r": restaurant, "e": critic_email}, owner)
    assert twice["data"]["addRestaurantStaff"]["errors"] == [{"code": "DUPLICATE"}]
    listed = (await gql(client, INVITES, {"r": restaurant}, owner))["data"]["restaurant"]
    assert [s["user"]["displayName"] for s in listed["staff"]] == ["老板"]  # the owner only
    assert [i["user"]["displayName"] for i in listed["staffInvitations"]] == ["老饕", "服务员"]
    invited = (await gql(client, MY_INVITES, token=critic))["data"]["myStaffInvitations"]
    assert [i["restaurant"]["id"] for i in invited] == [restaurant]
    notes = "{ notifications { edges { node { kind subject { id } } } } }"
    told = (await gql(client, notes, token=critic))["data"]["notifications"]["edges"]
    assert [(n["node"]["kind"], n["node"]["subject"]["id"]) for n in told] == [("staff_invitation", restaurant)]
    # Not staff while invited: the critic reviews, has no till, and says no.
    reviewed = await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 1, "body": "很失望"}}, critic)
    assert errors(reviewed, "createReview") == []
    assert errors(await gql(client, DECLINE, {"r": restaurant}, critic), "declineStaffInvitation") == []
    assert errors(await gql(client, DECLINE, {"r": restaurant}, critic), "declineStaffInvitation") == [
        ("restaurantId", "NOT_FOUND")
    ]
    refused = await gql(client, ACCEPT_STAFF, {"r": restaurant}, critic)
    assert refused["data"]["acceptStaffInvitation"]["errors"] == [{"code": "NOT_FOUND"}]
    assert (await gql(client, MY_INVITES, token=critic))["data"]["myStaffInvitations"] == []

    await accept_staff(client, restaurant, colleague)
    listed = (await gql(client, INVITES, {"r": restaurant}, colleague))["data"]["restaurant"]
    assert [s["user"]["displayName"] for s in listed["staff"]] == ["老板", "服务员"]
    assert listed["staffInvitations"] == []
    blocked = await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 1, "body": "很失望"}}, colleague)
    assert errors(blocked, "createReview") == [("dishId", "OWN_CONTENT")]
    other = await gql(client, REMOVE_STAFF, {"r": restaurant, "u": critic_id}, colleague)
    assert errors(other, "removeRestaurantStaff") == [("restaurantId", "FORBIDDEN")]  # only themselves
    owner_id = (await gql(client, "{ me { id } }", token=owner))["data"]["me"]["id"]
    owner_out = await gql(client, REMOVE_STAFF, {"r": restaurant, "u": owner_id}, owner)
    assert errors(owner_out, "removeRestaurantStaff") == [("userId", "NOT_FOUND")]  # owners stay
    left = await gql(client, REMOVE_STAFF, {"r": restaurant, "u": colleague_id}, colleague)
    assert errors(left, "removeRestaurantStaff") == []
    assert (
        errors(await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 2}}, colleague), "createReview") == []
    )
    again = await gql(client, REMOVE_STAFF, {"r": restaurant, "u": colleague_id}, colleague)
    assert errors(again, "removeRestaurantStaff") == [("restaurantId", "FORBIDDEN")]  # no longer staff


UPDATE_FIELDS = """mutation($r: ID!, $i: RestaurantUpdateInput!) { updateRestaurant(restaurantId: $r, input: $i) {
  restaurant { address phone } errors { field code } } }"""


async def test_address_and_phone_take_no_hidden_characters_and_the_phone_is_a_number(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    for given, field in (
        ({"address": "春熙路\u202e号8"}, "address"),  # reads backwards on the page
        ({"address": "春熙路\u200b8号"}, "address"),
        ({"phone": "加微信 scam123 领红包"}, "phone"),  # 电话 is for dialling
        ({"phone": "\u200b"}, "phone"),
        ({"phone": "028\u00078666"}, "phone"),
    ):
        refused = await gql(client, UPDATE_FIELDS, {"r": restaurant, "i": given}, owner)
        assert errors(refused, "updateRestaurant") == [(field, "INVALID")], given
    for phone in ("028-8666 1234", "+86 138 0000 0000", "(028) 86661234", "400-820-8820转1", ""):
        kept = await gql(client, UPDATE_FIELDS, {"r": restaurant, "i": {"phone": phone}}, owner)
        assert kept["data"]["updateRestaurant"] == {
            "restaurant": {"address": "解放碑", "phone": phone},
            "errors": [],
        }
    spaced = await gql(client, UPDATE_FIELDS, {"r": restaurant, "i": {"address": "  春熙路 8 号 "}}, owner)
    assert spaced["data"]["updateRestaurant"]["restaurant"]["address"] == "春熙路 8 号"
    new = await gql(
        client,
        "mutation($i: RestaurantInput!) { createRestaurant(input: $i) { errors { field code } } }",
        {"i": {"name": "新店", "lat": 30.6, "lng": 104.0, "phone": "微信 abc"}},
        owner,
    )
    assert errors(new, "createRestaurant") == [("phone", "INVALID")]


UNVOTE = """mutation($r: ID!) { unvoteReviewHelpful(reviewId: $r) {
  review { helpfulCount votedHelpfulByMe } errors { field code } } }"""
VOTED = "query($id: ID!) { node(id: $id) { ... on Review { helpfulCount votedHelpfulByMe } } }"
NOTES = "{ notifications { edges { node { kind } } } }"


async def test_a_diner_takes_back_a_helpful_vote_and_the_author_is_told_once(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    author, _, _ = await register(client)
    rid = (await review(client, author, dish, 4, body="汤底浓郁"))["id"]
    voter, _, _ = await register(client)
    never = await gql(client, UNVOTE, {"r": rid}, voter)
    assert errors(never, "unvoteReviewHelpful") == [("reviewId", "NOT_FOUND")]

    assert errors(await gql(client, VOTE, {"r": rid}, voter), "voteReviewHelpful") == []
    back = await gql(client, UNVOTE, {"r": rid}, voter)  # 取消有用: tapped by mistake
    assert back["data"]["unvoteReviewHelpful"] == {
        "review": {"helpfulCount": 0, "votedHelpfulByMe": False},
        "errors": [],
    }
    again = await gql(client, VOTE, {"r": rid}, voter)
    assert again["data"]["voteReviewHelpful"] == {"review": {"helpfulCount": 1}, "errors": []}
    raced = await asyncio.gather(*[gql(client, UNVOTE, {"r": rid}, voter) for _ in range(5)])
    assert sorted(len(r["data"]["unvoteReviewHelpful"]["errors"]) for r in raced) == [0, 1, 1, 1, 1]
    assert (await gql(client, VOTED, {"id": rid}, voter))["data"]["node"] == {
        "helpfulCount": 0,
        "votedHelpfulByMe": False,
    }
    notes = (await gql(client, NOTES, token=author))["data"]["notifications"]["edges"]
    assert [n["node"]["kind"] for n in notes] == ["helpful_vote"]  # voting twice told the author once
    anonymous = await gql(client, UNVOTE, {"r": rid}, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


HOURS = """mutation($r: ID!, $i: OpeningHoursInput!) { setOpeningHours(restaurantId: $r, input: $i) {
  restaurant { openingHours { specials { date note ranges { opens closes } } } } errors { field code } } }"""


async def test_a_special_day_given_twice_is_refused_not_silently_merged(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    twice = {
        "specials": [
            {"date": "2030-02-10", "ranges": [], "note": "春节休息"},
            {"date": "2030-02-11", "ranges": [{"opens": "11:00", "closes": "14:00"}]},
            {"date": "2030-02-10", "ranges": [{"opens": "10:00", "closes": "12:00"}], "note": "照常营业"},
        ]
    }
    refused = await gql(client, HOURS, {"r": restaurant, "i": twice}, owner)
    assert errors(refused, "setOpeningHours") == [("specials.2.date", "DUPLICATE")]
    assert twice["specials"].pop(2)
    kept = await gql(client, HOURS, {"r": restaurant, "i": twice}, owner)
    specials = kept["data"]["setOpeningHours"]["restaurant"]["openingHours"]["specials"]
    assert [(s["date"], s["note"]) for s in specials] == [("2030-02-10", "春节休息"), ("2030-02-11", "")]


TARGET = """id target { __typename id ... on Review { body moderation author { displayName } }
  ... on User { displayName } ... on Restaurant { name } }"""
DELETE_REVIEW = "mutation($r: ID!) { deleteReview(reviewId: $r) { deletedId errors { code } } }"


async def test_moderators_read_what_was_reported_even_once_hidden_or_suspended(client, services):
    owner, restaurant = await open_restaurant(client, *random_spot(), name="被举报的店")
    dish = await add_dish(client, owner, restaurant)
    moderator, _ = await account_with_role(client, services)
    spammer, spammer_id, _ = await register(client, name="水军")
    reporter, _, _ = await register(client)
    hidden = (await review(client, spammer, dish, 1, body="加我微信领红包"))["id"]
    gone = (await review(client, reporter, await add_dish(client, owner, restaurant, "鸭肠"), 5))["id"]
    other, _, _ = await register(client)

    def report(target, token):
        return gql(client, REPORT, {"t": target, "r": "SPAM"}, token)

    first, about_user, about_restaurant, about_gone = [
        (await report(target, token))["data"]["reportContent"]["report"]["id"]
        for target, token in (
            (hidden, reporter),
            (spammer_id, reporter),
            (restaurant, reporter),
            (gone, other),
        )
    ]
    assert errors(await gql(client, MODERATE, {"r": first, "a": "HIDE_CONTENT"}, moderator), "moderate") == []
    assert (await gql(client, DELETE_REVIEW, {"r": gone}, reporter))["data"]["deleteReview"]["errors"] == []
    again = await report(hidden, other)  # reported again while hidden
    assert errors(again, "reportContent") == [("targetId", "NOT_FOUND")]  # others can't see it

    # node() shows the hidden review to its author alone; the report shows it to moderators.
    assert (await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": hidden}, moderator))["data"][
        "node"
    ] is None
    answered = await whole_queue(client, moderator, "ACTIONED", "Review", TARGET)
    [target] = [node["target"] for node in answered if node["id"] == first]
    assert target == {
        "__typename": "Review",
        "id": hidden,
        "body": "加我微信领红包",
        "moderation": "HIDDEN",
        "author": {"displayName": "水军"},
    }
    targets = {
        node["id"]: node["target"]
        for kind in ("User", "Restaurant", "Review")
        for node in await whole_queue(client, moderator, "OPEN", kind, TARGET)
    }
    assert targets[about_user] == {"__typename": "User", "id": spammer_id, "displayName": "水军"}
    assert targets[about_restaurant] == {"__typename": "Restaurant", "id": restaurant, "name": "被举报的店"}
    assert targets[about_gone] is None  # the deleted review: nothing left to show (dismiss it)

    diner_view = await gql(client, WHOLE_QUEUE % TARGET, {"s": "OPEN"}, reporter, expect_errors=True)
    assert diner_view["errors"][0]["extensions"]["code"] == "FORBIDDEN"


EDIT_REVIEW = """mutation($r: ID!, $b: String!) { updateReview(reviewId: $r, input: {body: $b}) {
  review { body moderation } errors { field code } } }"""


async def test_an_author_who_fixes_a_hidden_review_puts_it_back_before_a_moderator(client, services):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    moderator, _ = await account_with_role(client, services)
    author, _, _ = await register(client)
    reader, _, _ = await register(client)
    rid = (await review(client, author, dish, 1, body="老板是骗子，大家别来"))["id"]
    report = (await gql(client, REPORT, {"t": rid, "r": "HARASSMENT"}, reader))["data"]["reportContent"]
    assert (
        errors(
            await gql(client, MODERATE, {"r": report["report"]["id"], "a": "HIDE_CONTENT"}, moderator),
            "moderate",
        )
        == []
    )

    async def waiting():
        queue = await whole_queue(client, moderator, "OPEN", "Review", "id targetId automatic reason note")
        return [node for node in queue if node["targetId"] == rid]

    assert (await waiting()) == []
    fixed = await gql(client, EDIT_REVIEW, {"r": rid, "b": "上菜慢，态度一般"}, author)
    assert fixed["data"]["updateReview"] == {
        "review": {"body": "上菜慢，态度一般", "moderation": "HIDDEN"},
        "errors": [],
    }
    again = await gql(client, EDIT_REVIEW, {"r": rid, "b": "上菜慢，服务态度一般"}, author)
    assert errors(again, "updateReview") == []
    [look_again] = await waiting()  # once, however many edits
    assert look_again["automatic"] is True and look_again["reason"] == "OTHER"
    assert "edited" in look_again["note"]
    restored = await gql(client, MODERATE, {"r": look_again["id"], "a": "RESTORE_CONTENT"}, moderator)
    assert errors(restored, "moderate") == []
    shown = await gql(
        client, "query($id: ID!) { node(id: $id) { ... on Review { body } } }", {"id": rid}, reader
    )
    assert shown["data"]["node"] == {"body": "上菜慢，服务态度一般"}
    visible_edit = await gql(client, EDIT_REVIEW, {"r": rid, "b": "上菜慢"}, author)
    assert errors(visible_edit, "updateReview") == []
    assert (await waiting()) == []  # a visible review's edit asks nothing


async def test_an_owner_edit_writes_each_given_field_and_moves_the_map_pin(client):
    lat, lng = random_spot()
    owner, restaurant = await open_restaurant(client, lat, lng, name="老店")
    edit = """mutation($r: ID!, $i: RestaurantUpdateInput!) { updateRestaurant(restaurantId: $r, input: $i) {
      restaurant { name address phone cuisines lat lng } errors { field code } } }"""
    moved = {
        "name": "新店",
        "cuisines": ["川菜", "hotpot"],
        "lat": lat + 0.5,
        "lng": lng,
        "phone": "028-1234 5678",
    }
    body = await gql(client, edit, {"r": restaurant, "i": moved}, owner)
    assert body["data"]["updateRestaurant"] == {
        "restaurant": {
            "name": "新店",
            "address": "解放碑",  # not given: kept
            "phone": "028-1234 5678",
            "cuisines": ["sichuan", "hotpot"],
            "lat": lat + 0.5,
            "lng": lng,
        },
        "errors": [],
    }
    near = "query($a: Float!, $o: Float!) { restaurantsNearby(lat: $a, lng: $o, radiusKm: 1) { edges { node { id name } } } }"
    there = (await gql(client, near, {"a": lat + 0.5, "o": lng}))["data"]["restaurantsNearby"]["edges"]
    assert [e["node"] for e in there] == [{"id": restaurant, "name": "新店"}]
    assert (await gql(client, near, {"a": lat, "o": lng}))["data"]["restaurantsNearby"]["edges"] == []


PHOTO_ON = """mutation($r: ID!, $p: [ID!]) { updateReview(reviewId: $r, input: {photoIds: $p}) {
  review { id } errors { field code } } }"""
PHOTOS_OF = "query($id: ID!) { node(id: $id) { ... on Review { photos { id } } } }"


async def test_one_photo_sent_to_two_reviews_at_once_lands_on_one_never_a_500(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dishes = [await add_dish(client, owner, restaurant, f"菜{i}") for i in range(8)]
    author, _, _ = await register(client)
    reviews = [(await review(client, author, dish, 4))["id"] for dish in dishes[:2]]
    for trial in range(3):
        photo = (await upload_photo(client, author))["id"]
        raced = await asyncio.gather(
            gql(client, PHOTO_ON, {"r": reviews[0], "p": [photo]}, author),
            gql(client, PHOTO_ON, {"r": reviews[1], "p": [photo]}, author),
            gql(
                client,
                REVIEW,
                {"i": {"dishId": dishes[2 + 2 * trial], "rating": 5, "photoIds": [photo]}},
                author,
            ),
            gql(
                client,
                REVIEW,
                {"i": {"dishId": dishes[3 + 2 * trial], "rating": 5, "photoIds": [photo]}},
                author,
            ),
        )
        names = ["updateReview"] * 2 + ["createReview"] * 2
        answers = [errors(body, name) for body, name in zip(raced, names, strict=True)]
        assert sorted(map(len, answers)) == [0, 1, 1, 1], answers  # one wins
        assert all(a in ([], [("photoIds", "NOT_FOUND")]) for a in answers), answers  # never "reviewed"
        holders = []
        for body, name in zip(raced, names, strict=True):
            if body["data"][name]["review"]:
                rid = body["data"][name]["review"]["id"]
                holders += (
                    [rid]
                    if {"id": photo} in (await gql(client, PHOTOS_OF, {"id": rid}))["data"]["node"]["photos"]
                    else []
                )
        assert len(holders) == 1
        await gql(client, PHOTO_ON, {"r": reviews[0], "p": []}, author)  # free the reviews for the next round
        await gql(client, PHOTO_ON, {"r": reviews[1], "p": []}, author)


FIRST_HOURS = """mutation($r: ID!) { setOpeningHours(restaurantId: $r, input: {
  weekly: [{weekday: 0, opens: "10:00", closes: "22:00"}] }) { restaurant { openingHours { weekly { opens } } }
  errors { code } } }"""


async def test_two_staff_saving_the_first_hours_at_once_both_succeed(client):
    for _ in range(3):
        owner, restaurant = await open_restaurant(client, *random_spot())
        saved = await asyncio.gather(*[gql(client, FIRST_HOURS, {"r": restaurant}, owner) for _ in range(6)])
        for body in saved:  # was a unique-key 500 on PostgreSQL for all but one
            assert body["data"]["setOpeningHours"] == {
                "restaurant": {"openingHours": {"weekly": [{"opens": "10:00"}]}},
                "errors": [],
            }


DISH_PHOTOS = """query($id: ID!) { dish(id: $id) { photos(first: 10) { totalCount edges { node { id thumbnailUrl } } } } }"""
BLOCK = "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }"


async def test_a_dish_page_shows_the_photos_of_its_own_reviews(client, services):
    owner, restaurant = await open_restaurant(client, *random_spot())
    maodu, yachang = (
        await add_dish(client, owner, restaurant, "毛肚"),
        await add_dish(client, owner, restaurant, "鸭肠"),
    )
    moderator, _ = await account_with_role(client, services)
    first, _, _ = await register(client)
    second, second_id, _ = await register(client)
    on_maodu = [(await upload_photo(client, first))["id"], (await upload_photo(client, first))["id"]]
    await review(client, first, maodu, 5, photoIds=on_maodu)
    theirs = (await upload_photo(client, second))["id"]
    rid = (await review(client, second, maodu, 4, photoIds=[theirs]))["id"]
    await review(client, first, yachang, 3, photoIds=[(await upload_photo(client, first))["id"]])

    def shown(body):
        photos = body["data"]["dish"]["photos"]
        assert photos["totalCount"] == len(photos["edges"])
        assert all(e["node"]["thumbnailUrl"] for e in photos["edges"])
        return [e["node"]["id"] for e in photos["edges"]]

    assert shown(await gql(client, DISH_PHOTOS, {"id": maodu})) == [
        theirs,
        *reversed(on_maodu),
    ]  # newest first
    assert len(shown(await gql(client, DISH_PHOTOS, {"id": yachang}))) == 1  # only its own
    assert errors(await gql(client, BLOCK, {"u": second_id}, first), "blockUser") == []
    assert shown(await gql(client, DISH_PHOTOS, {"id": maodu}, first)) == list(reversed(on_maodu))
    report = (await gql(client, REPORT, {"t": rid, "r": "SPAM"}, owner))["data"]["reportContent"]["report"]
    assert (
        errors(await gql(client, MODERATE, {"r": report["id"], "a": "HIDE_CONTENT"}, moderator), "moderate")
        == []
    )
    assert shown(await gql(client, DISH_PHOTOS, {"id": maodu})) == list(
        reversed(on_maodu)
    )  # the hidden review's go


async def test_a_reported_message_shows_as_the_reports_target(client, services):
    from tests.test_conversations import pair, say

    a, _, b, _, conversation = await pair(client)
    moderator, _ = await account_with_role(client, services)
    sent = await say(client, a, conversation, "转账给我，不然……")
    assert sent["errors"] == []
    report = await gql(client, REPORT, {"t": sent["message"]["id"], "r": "SCAM"}, b)
    assert errors(report, "reportContent") == []
    fields = "target { __typename ... on Message { id body } }"
    queue = await whole_queue(client, moderator, "OPEN", "Message", fields)
    assert {"__typename": "Message", "id": sent["message"]["id"], "body": "转账给我，不然……"} in [
        node["target"] for node in queue
    ]


ARCHIVE_DISH = "mutation($d: ID!) { archiveDish(dishId: $d) { errors { field code } } }"
UNARCHIVE_DISH = """mutation($d: ID!) { unarchiveDish(dishId: $d) {
  dish { id name reviewCount averageRating } errors { field code } } }"""
DISH_PAGE = "query($id: ID!) { dish(id: $id) { name reviewCount reviews { totalCount } } }"
MENU = "query($id: ID!) { restaurant(id: $id) { dishes { edges { node { id name } } } } }"


async def test_a_dish_taken_off_the_menu_by_mistake_comes_back_with_its_reviews(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant, "招牌毛肚")
    for stars in (5, 4):
        diner, _, _ = await register(client)
        await review(client, diner, dish, stars)
    assert errors(await gql(client, ARCHIVE_DISH, {"d": dish}, owner), "archiveDish") == []
    assert (await gql(client, DISH_PAGE, {"id": dish}))["data"]["dish"] is None

    stranger, _, _ = await register(client, account_type="RESTAURANT")
    refused = await gql(client, UNARCHIVE_DISH, {"d": dish}, stranger)
    assert errors(refused, "unarchiveDish") == [("dishId", "FORBIDDEN")]
    back = await gql(client, UNARCHIVE_DISH, {"d": dish}, owner)  # 重新上架
    assert back["data"]["unarchiveDish"] == {
        "dish": {"id": dish, "name": "招牌毛肚", "reviewCount": 2, "averageRating": 4.5},
        "errors": [],
    }
    assert (await gql(client, DISH_PAGE, {"id": dish}))["data"]["dish"] == {
        "name": "招牌毛肚",
        "reviewCount": 2,
        "reviews": {"totalCount": 2},
    }
    menu = (await gql(client, MENU, {"id": restaurant}))["data"]["restaurant"]["dishes"]["edges"]
    assert [e["node"]["id"] for e in menu] == [dish]
    twice = await gql(client, UNARCHIVE_DISH, {"d": dish}, owner)
    assert errors(twice, "unarchiveDish") == [("dishId", "NOT_FOUND")]  # already on the menu

    assert errors(await gql(client, ARCHIVE_DISH, {"d": dish}, owner), "archiveDish") == []
    await add_dish(client, owner, restaurant, "招牌毛肚")  # taken again meanwhile
    clash = await gql(client, UNARCHIVE_DISH, {"d": dish}, owner)
    assert errors(clash, "unarchiveDish") == [("name", "DUPLICATE")]


ADD_DISH = """mutation($r: ID!, $n: String!) { addDish(restaurantId: $r, input: {name: $n, priceCents: 3800}) {
  dish { id } errors { field code } } }"""


async def test_a_space_between_chinese_characters_does_not_make_another_dish(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    assert errors(await gql(client, ADD_DISH, {"r": restaurant, "n": "鲜毛肚"}, owner), "addDish") == []
    for look_alike in ("鲜 毛肚", "鲜　毛 肚"):  # 鲜毛肚 twice would split its reviews
        again = await gql(client, ADD_DISH, {"r": restaurant, "n": look_alike}, owner)
        assert errors(again, "addDish") == [("name", "DUPLICATE")], look_alike
    for other in ("鲜毛肚 spicy", "Mapo Tofu", "MapoTofu"):  # between words a space still counts
        assert errors(await gql(client, ADD_DISH, {"r": restaurant, "n": other}, owner), "addDish") == []


RENAME = "mutation($r: ID!, $n: String!) { updateRestaurant(restaurantId: $r, input: {name: $n}) { errors { code } } }"
NEW_DISH = "mutation($r: ID!, $n: String!) { addDish(restaurantId: $r, input: {name: $n, priceCents: 100}) { errors { code } } }"


async def test_owner_edits_and_diners_reviews_at_the_same_moment_never_deadlock(client):
    """PostgreSQL found a deadlock (a 503) between updateRestaurant and createReview: the edit's
    reindex and the review's counter triggers wrote the same search documents in opposite orders."""
    for _ in range(2):
        owner, restaurant = await open_restaurant(client, *random_spot())
        dishes = [await add_dish(client, owner, restaurant, f"菜{i}") for i in range(4)]
        diners = [(await register(client))[0] for _ in range(6)]
        writes = []
        for i, diner in enumerate(diners):
            writes.append(gql(client, REVIEW, {"i": {"dishId": dishes[i % 4], "rating": 4}}, diner))
            writes.append(gql(client, RENAME, {"r": restaurant, "n": f"新店名{i}"}, owner))
            writes.append(gql(client, NEW_DISH, {"r": restaurant, "n": f"新菜{i}"}, owner))
        for body in await asyncio.gather(*writes):  # gql fails on a 503 or any top-level error
            assert list(body["data"].values())[0]["errors"] == []
