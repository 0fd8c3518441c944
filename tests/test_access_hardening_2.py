"""Access hardening, round 2: a dish leaves with its restaurant (by id, node() and relations), the
payload of a block or follow shows the other person only as the viewer may see them, and the
restaurant's photo gallery leaves out the people blocked either way as its review list does.
Everything through the endpoint, as hostile clients would."""

from __future__ import annotations

from models.foodies import Block
from schema.ids import decode
from tests.conftest import count_sql
from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.media_helpers import upload_photo
from tests.test_visibility import moderate

DISH = "query($d: ID!) { dish(id: $d) { id name } node(id: $d) { id ... on Dish { name } } }"
REVIEW = "mutation($i: ReviewInput!) { createReview(input: $i) { review { id } errors { field code } } }"
REVIEW_DISH = "query($r: ID!) { node(id: $r) { ... on Review { id dish { id } } } }"
ARCHIVE = "mutation($r: ID!) { archiveRestaurant(restaurantId: $r) { errors { code } } }"
MY_MENU = "{ myRestaurants(includeArchived: true) { id dishes { edges { node { id } } } } }"
REPORT = "mutation($t: ID!) { reportContent(targetId: $t, reason: SPAM) { report { id } errors { code } } }"
MODERATE = """mutation($r: ID!, $a: ModerationAction!, $d: Int) {
  moderate(reportId: $r, action: $a, suspendDays: $d) { errors { field code } } }"""
BLOCK = "mutation($u: ID!) { blockUser(userId: $u) { user { id displayName } blocked errors { code } } }"
UNBLOCK = "mutation($u: ID!) { unblockUser(userId: $u) { user { id displayName } blocked errors { code } } }"
FOLLOW = "mutation($u: ID!) { follow(userId: $u) { user { id displayName } following errors { code } } }"
UNFOLLOW = "mutation($u: ID!) { unfollow(userId: $u) { user { id displayName } following errors { code } } }"
PAGE_DISHES = """query($r: ID!, $n: Int) { restaurant(id: $r) {
  reviews(first: $n) { edges { node { id dish { id name } } } } } }"""
GALLERY = """query($r: ID!) { restaurant(id: $r) {
  photos { totalCount edges { node { id } } }
  reviews { totalCount edges { node { id } } } } }"""


async def _dish_reads(client, dish: str, token: str | None = None) -> dict:
    return (await gql(client, DISH, {"d": dish}, token))["data"]


async def test_a_dish_goes_with_its_restaurant_archived_or_taken_down(client, services):
    moderator, _ = await account_with_role(client, services)
    diner, _, _ = await register(client)
    # Archived by its owner.
    owner, archived = await open_restaurant(client, *random_spot())
    archived_dish = await add_dish(client, owner, archived, name="毛肚")
    written = await gql(client, REVIEW, {"i": {"dishId": archived_dish, "rating": 4}}, diner)
    review = written["data"]["createReview"]["review"]["id"]
    seen = await _dish_reads(client, archived_dish, diner)
    assert seen == {
        "dish": {"id": archived_dish, "name": "毛肚"},
        "node": {"id": archived_dish, "name": "毛肚"},
    }
    assert (await gql(client, ARCHIVE, {"r": archived}, owner))["data"]["archiveRestaurant"]["errors"] == []
    for token in (None, diner, owner, moderator):  # as the restaurant itself: no one by id
        assert await _dish_reads(client, archived_dish, token) == {"dish": None, "node": None}
    # Its reviews go with it too (the review rule looks at the restaurant): null by id.
    assert (await gql(client, REVIEW_DISH, {"r": review}, diner))["data"]["node"] is None
    # Its own people still see the menu through myRestaurants, as they still see the restaurant.
    menu = (await gql(client, MY_MENU, token=owner))["data"]["myRestaurants"]
    assert [r["dishes"]["edges"] for r in menu if r["id"] == archived] == [[{"node": {"id": archived_dish}}]]

    # Hidden, then removed, by a moderator.
    owner2, hidden = await open_restaurant(client, *random_spot())
    hidden_dish = await add_dish(client, owner2, hidden, name="鸭肠")
    assert (await _dish_reads(client, hidden_dish))["dish"] == {"id": hidden_dish, "name": "鸭肠"}
    report_id = await moderate(client, moderator, hidden, "HIDE_CONTENT")
    for token in (None, diner, owner2):
        assert await _dish_reads(client, hidden_dish, token) == {"dish": None, "node": None}
    await moderate(client, moderator, hidden, "RESTORE_CONTENT", report_id)
    assert (await _dish_reads(client, hidden_dish))["node"] == {"id": hidden_dish, "name": "鸭肠"}
    await moderate(client, moderator, hidden, "REMOVE_CONTENT")
    assert await _dish_reads(client, hidden_dish, diner) == {"dish": None, "node": None}


async def test_a_list_of_reviews_reads_its_dishes_in_one_batch(client):
    """The rule is the dish loader's own statement: a page of reviews asking for their dishes
    reads them in one statement, whatever the page's size (no N+1)."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    dishes = [await add_dish(client, owner, restaurant, name=f"菜{i}") for i in range(6)]
    for dish in dishes:
        author, _, _ = await register(client)
        assert (await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 4}}, author))["data"][
            "createReview"
        ]["errors"] == []
    reader, _, _ = await register(client)
    await gql(client, "{ me { id } }", token=reader)  # the viewer is then known (cached with Redis)
    counts = []
    for first in (2, 6):
        with count_sql() as sql:
            body = await gql(client, PAGE_DISHES, {"r": restaurant, "n": first}, reader)
        edges = body["data"]["restaurant"]["reviews"]["edges"]
        assert sorted(e["node"]["dish"]["id"] for e in edges) == sorted(dishes[-first:])
        counts.append(len(sql.statements))
        assert len([s for s in sql.statements if 'FROM "dishes"' in s]) == 1, sql.statements
    assert counts[0] == counts[1], counts


async def test_block_and_follow_payloads_show_the_user_only_as_the_viewer_may_see_them(client, services):
    moderator, _ = await account_with_role(client, services)
    me, _, _ = await register(client, name="我")
    suspended, suspended_id, _ = await register(client, name="被封号的人")
    reporter, _, _ = await register(client)
    report = (await gql(client, REPORT, {"t": suspended_id}, reporter))["data"]["reportContent"]["report"]
    done = await gql(client, MODERATE, {"r": report["id"], "a": "SUSPEND_USER", "d": 30}, moderator)
    assert done["data"]["moderate"]["errors"] == []
    # Blocking a suspended account works, and its profile is not handed back.
    blocked = (await gql(client, BLOCK, {"u": suspended_id}, me))["data"]["blockUser"]
    assert blocked == {"user": None, "blocked": True, "errors": []}
    me_pk = (await gql(client, "{ me { id } }", token=me))["data"]["me"]["id"]
    assert await Block.filter(
        blocker_id=decode(me_pk, "User", "id"), blocked_id=decode(suspended_id, "User", "id")
    ).exists()
    unblocked = (await gql(client, UNBLOCK, {"u": suspended_id}, me))["data"]["unblockUser"]
    assert unblocked == {"user": None, "blocked": False, "errors": []}
    assert not await Block.filter(blocked_id=decode(suspended_id, "User", "id")).exists()

    # Someone who blocked me: I may block them back, and unfollow them, without reading them.
    hostile, hostile_id, _ = await register(client, name="拉黑我的人")
    assert (await gql(client, FOLLOW, {"u": hostile_id}, me))["data"]["follow"] == {
        "user": {"id": hostile_id, "displayName": "拉黑我的人"},
        "following": True,
        "errors": [],
    }
    assert (await gql(client, BLOCK, {"u": me_pk}, hostile))["data"]["blockUser"]["errors"] == []
    back = (await gql(client, BLOCK, {"u": hostile_id}, me))["data"]["blockUser"]
    assert back == {"user": None, "blocked": True, "errors": []}
    assert (await gql(client, UNFOLLOW, {"u": hostile_id}, me))["data"]["unfollow"] == {
        "user": None,
        "following": False,
        "errors": [],
    }
    # My unblock leaves their block: still not readable.
    assert (await gql(client, UNBLOCK, {"u": hostile_id}, me))["data"]["unblockUser"]["user"] is None

    # A plain account: the blocker sees whom they blocked (as blockedUsers shows them), in one document.
    other, other_id, _ = await register(client, name="普通人")
    both = await gql(
        client,
        """mutation($u: ID!) {
          b: blockUser(userId: $u) { user { id } blocked errors { code } }
          u: unblockUser(userId: $u) { user { id displayName } blocked errors { code } } }""",
        {"u": other_id},
        me,
    )
    assert both["data"] == {
        "b": {"user": {"id": other_id}, "blocked": True, "errors": []},
        "u": {"user": {"id": other_id, "displayName": "普通人"}, "blocked": False, "errors": []},
    }
    # Moderators see everyone: the suspended account's block payload names it for them.
    by_moderator = (await gql(client, BLOCK, {"u": suspended_id}, moderator))["data"]["blockUser"]
    assert by_moderator["user"] == {"id": suspended_id, "displayName": "被封号的人"}


async def test_the_gallery_leaves_out_people_blocked_either_way_as_the_review_list_does(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    shooter, shooter_id, _ = await register(client, name="拍照的人")
    blocker, _, _ = await register(client, name="拉黑的人")
    blocked_by_shooter, blocked_id, _ = await register(client, name="被拉黑的人")
    bystander, _, _ = await register(client)
    photo = (await upload_photo(client, shooter))["id"]
    body = await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 5, "photoIds": [photo]}}, shooter)
    review = body["data"]["createReview"]["review"]["id"]
    whole = {
        "photos": {"totalCount": 1, "edges": [{"node": {"id": photo}}]},
        "reviews": {"totalCount": 1, "edges": [{"node": {"id": review}}]},
    }
    none = {"photos": {"totalCount": 0, "edges": []}, "reviews": {"totalCount": 0, "edges": []}}
    assert (await gql(client, GALLERY, {"r": restaurant}, blocker))["data"]["restaurant"] == whole
    # The viewer blocked the photo's author; and the author blocked another viewer.
    assert (await gql(client, BLOCK, {"u": shooter_id}, blocker))["data"]["blockUser"]["errors"] == []
    assert (await gql(client, BLOCK, {"u": blocked_id}, shooter))["data"]["blockUser"]["errors"] == []
    for token in (blocker, blocked_by_shooter):
        assert (await gql(client, GALLERY, {"r": restaurant}, token))["data"]["restaurant"] == none
    for token in (None, bystander, shooter):
        assert (await gql(client, GALLERY, {"r": restaurant}, token))["data"]["restaurant"] == whole


BLOCKED_LIST = "{ blockedUsers { edges { node { userId user { id displayName } } } } }"


async def test_blocked_users_names_the_blocked_but_opens_no_profile_hiding_from_the_blocker(client, services):
    """The blocker's list shows whom they blocked so they can undo it; someone who blocked them
    too, or a suspended account, is listed by id only (blocking back opens nothing)."""
    moderator, _ = await account_with_role(client, services)
    me, me_id, _ = await register(client, name="我")
    plain, plain_id, _ = await register(client, name="普通人")
    hiding, hiding_id, _ = await register(client, name="先拉黑我的人")
    suspended, suspended_id, _ = await register(client, name="被封号的人")
    assert (await gql(client, BLOCK, {"u": me_id}, hiding))["data"]["blockUser"]["errors"] == []
    for target in (plain_id, hiding_id, suspended_id):
        assert (await gql(client, BLOCK, {"u": target}, me))["data"]["blockUser"]["errors"] == []
    report = (await gql(client, REPORT, {"t": suspended_id}, plain))["data"]["reportContent"]["report"]
    done = await gql(client, MODERATE, {"r": report["id"], "a": "SUSPEND_USER", "d": 30}, moderator)
    assert done["data"]["moderate"]["errors"] == []

    edges = (await gql(client, BLOCKED_LIST, token=me))["data"]["blockedUsers"]["edges"]
    assert [e["node"] for e in edges] == [
        {"userId": suspended_id, "user": None},
        {"userId": hiding_id, "user": None},
        {"userId": plain_id, "user": {"id": plain_id, "displayName": "普通人"}},
    ]
    # The id is enough to undo a block, whoever it hides.
    for target in (suspended_id, hiding_id):
        undone = (await gql(client, UNBLOCK, {"u": target}, me))["data"]["unblockUser"]
        assert undone == {"user": None, "blocked": False, "errors": []}
    assert [
        e["node"]["userId"]
        for e in (await gql(client, BLOCKED_LIST, token=me))["data"]["blockedUsers"]["edges"]
    ] == [plain_id]


async def test_a_suspended_accounts_token_says_why_it_stopped(client, services):
    """The token stops at once (UNAUTHENTICATED, as the contract asks) and says why, so the app
    can show 账号已被封禁 instead of sending the person to a sign-in that will refuse them too.
    A forged or unknown token still just says "Sign in first"."""
    moderator, _ = await account_with_role(client, services)
    suspended, suspended_id, _ = await register(client, name="将被封号")
    reporter, _, _ = await register(client)
    report = (await gql(client, REPORT, {"t": suspended_id}, reporter))["data"]["reportContent"]["report"]
    done = await gql(client, MODERATE, {"r": report["id"], "a": "SUSPEND_USER", "d": 7}, moderator)
    assert done["data"]["moderate"]["errors"] == []
    write = 'mutation { updateProfile(input: {bio: "还在吗"}) { errors { code } } }'
    body = await gql(client, write, token=suspended, expect_errors=True)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "ACCOUNT_SUSPENDED"}
    assert error["message"] == "This account is suspended"
    me = await gql(client, "{ me { id } }", token=suspended, expect_errors=True)  # what an app asks first
    assert me["data"]["me"] is None and me["errors"][0]["extensions"]["reason"] == "ACCOUNT_SUSPENDED"
    for token in (reporter[:-4] + "AAAA", "not-a-token"):
        [error] = (await gql(client, write, token=token, expect_errors=True))["errors"]
        assert error["extensions"] == {"code": "UNAUTHENTICATED"} and error["message"] == "Sign in first"


async def test_a_deleted_accounts_token_is_signed_out_not_suspended(client, services):
    """Deleting an account suspends it for good (nothing brings it back), but it is no ban: a
    token of it on another device says "Sign in first", not 账号已被封禁, also on `me`."""
    from tests.test_sessions import end_sessions

    token, user_id, _ = await register(client, name="注销的人")
    await end_sessions("delete", client, services, token, user_id)
    me = await gql(client, "{ me { id } }", token=token, expect_errors=True)
    assert me == {"data": {"me": None}}
    write = 'mutation { updateProfile(input: {bio: "还在吗"}) { errors { code } } }'
    [error] = (await gql(client, write, token=token, expect_errors=True))["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"} and error["message"] == "Sign in first"
