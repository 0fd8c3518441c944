"""IDOR suite: every mutation and private field, tried as anonymous, as another diner and as
staff of another restaurant. Each answer must be an auth error or a UserError, never the data.

The mutation list is read from the schema, so a new mutation without a case here fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.media_helpers import REQUEST_UPLOAD

PUBLIC_MUTATIONS = {"register", "login", "recordDealView"}
DENIED_CODES = {"FORBIDDEN", "NOT_FOUND", "WRONG_RESTAURANT", "SELF_ACTION", "OWN_CONTENT", "NOT_JOINED"}


@dataclass
class World:
    owner: str
    restaurant: str
    dish: str
    diner: str
    diner_id: str
    review: str
    meal: str
    event: str
    deal: str
    claim: str
    code: str
    photo: str
    match_request: str
    notification_owner: str
    other: str
    other_id: str
    rival_staff: str
    moderator: str
    conversation: str = ""
    reply: str = ""
    favourite_list: str = ""
    favourite_item: str = ""


async def build_world(client, services) -> World:
    lat, lng = random_spot()
    owner, restaurant = await open_restaurant(client, lat, lng)
    rival_staff, _ = await open_restaurant(client, lat, lng)
    dish = await add_dish(client, owner, restaurant)
    diner, diner_id, _ = await register(client, name="甲")
    other, other_id, _ = await register(client, name="乙")
    moderator, _ = await account_with_role(client, services)
    review = (
        await gql(
            client,
            "mutation($i: ReviewInput!) { createReview(input: $i) { review { id } } }",
            {"i": {"dishId": dish, "rating": 4, "body": "不错"}},
            diner,
        )
    )["data"]["createReview"]["review"]["id"]
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    meal = (
        await gql(
            client,
            "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id } } }",
            {
                "i": {
                    "restaurantId": restaurant,
                    "title": "局",
                    "startsAt": soon,
                    "capacity": 4,
                    "visibility": "FOLLOWERS",
                }
            },
            diner,
        )
    )["data"]["createSharedMeal"]["meal"]["id"]
    ends = (datetime.now(UTC) + timedelta(days=2, hours=3)).isoformat()
    event = (
        await gql(
            client,
            "mutation($i: RestaurantEventInput!) { createRestaurantEvent(input: $i) { event { id } } }",
            {
                "i": {
                    "restaurantId": restaurant,
                    "title": "活动",
                    "startsAt": soon,
                    "endsAt": ends,
                    "capacity": 5,
                }
            },
            owner,
        )
    )["data"]["createRestaurantEvent"]["event"]["id"]
    deal = (
        await gql(
            client,
            "mutation($i: DealInput!) { createDeal(input: $i) { deal { id } } }",
            {
                "i": {
                    "restaurantId": restaurant,
                    "title": "券",
                    "priceCents": 0,
                    "originalPriceCents": 100,
                    "quantity": 10,
                    "perUserLimit": 2,
                    "startsAt": datetime.now(UTC).isoformat(),
                    "endsAt": ends,
                }
            },
            owner,
        )
    )["data"]["createDeal"]["deal"]["id"]
    claim = (
        await gql(
            client,
            'mutation($d: ID!) { claimDeal(dealId: $d, idempotencyKey: "k1") { claim { id code } } }',
            {"d": deal},
            diner,
        )
    )["data"]["claimDeal"]["claim"]
    photo = (await gql(client, REQUEST_UPLOAD, {"t": "image/jpeg", "n": 100}, diner))["data"][
        "requestPhotoUpload"
    ]["upload"]["photoId"]
    match_request = (
        await gql(
            client,
            "mutation($u: ID!) { sendMatchRequest(userId: $u) { request { id } } }",
            {"u": other_id},
            diner,
        )
    )["data"]["sendMatchRequest"]["request"]["id"]
    conversation = (
        await gql(client, "query($m: ID!) { mealConversation(mealId: $m) { id } }", {"m": meal}, diner)
    )["data"]["mealConversation"]["id"]
    reply = (
        await gql(
            client,
            'mutation($r: ID!) { replyToReview(reviewId: $r, body: "谢谢") { reply { id } } }',
            {"r": review},
            owner,
        )
    )["data"]["replyToReview"]["reply"]["id"]
    saved = (
        await gql(
            client,
            "mutation($t: ID!) { saveFavourite(targetId: $t) { item { id } list { id } } }",
            {"t": restaurant},
            diner,
        )
    )["data"]["saveFavourite"]
    return World(
        conversation=conversation,
        reply=reply,
        favourite_list=saved["list"]["id"],
        favourite_item=saved["item"]["id"],
        owner=owner,
        restaurant=restaurant,
        dish=dish,
        diner=diner,
        diner_id=diner_id,
        review=review,
        meal=meal,
        event=event,
        deal=deal,
        claim=claim["id"],
        code=claim["code"],
        photo=photo,
        match_request=match_request,
        notification_owner=diner,
        other=other,
        other_id=other_id,
        rival_staff=rival_staff,
        moderator=moderator,
    )


def mutation_cases(w: World) -> dict[str, tuple[str, dict]]:
    """One attack per mutation: (document, variables), aimed at someone else's object."""
    soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=3, hours=2)).isoformat()
    cases = {
        "register": (
            'mutation { register(input: {email: "bad", password: "x", displayName: ""}) { ERR } }',
            {},
        ),
        "login": ('mutation { login(email: "nobody@example.com", password: "wrong one") { ERR } }', {}),
        "updateProfile": ('mutation { updateProfile(input: {bio: "x"}) { ERR } }', {}),
        "updateLocation": ("mutation { updateLocation(lat: 1, lng: 1) { ERR } }", {}),
        "logout": ("mutation { logout { ERR } }", {}),
        "logoutEverywhere": ("mutation { logoutEverywhere { ERR } }", {}),
        "changePassword": (
            'mutation { changePassword(currentPassword: "not it at all", newPassword: "a new long one") { ERR } }',
            {},
        ),
        "follow": ("mutation($u: ID!) { follow(userId: $u) { ERR } }", {"u": "self"}),
        "unfollow": ("mutation($u: ID!) { unfollow(userId: $u) { ERR } }", {"u": "self"}),
        "blockUser": ("mutation($u: ID!) { blockUser(userId: $u) { ERR } }", {"u": "self"}),
        "unblockUser": ("mutation($u: ID!) { unblockUser(userId: $u) { ERR } }", {"u": "self"}),
        "sendMatchRequest": ("mutation($u: ID!) { sendMatchRequest(userId: $u) { ERR } }", {"u": "self"}),
        "respondMatchRequest": (
            "mutation($r: ID!) { respondMatchRequest(requestId: $r, accept: true) { ERR } }",
            {"r": w.match_request},
        ),
        "withdrawMatchRequest": (
            "mutation($r: ID!) { withdrawMatchRequest(requestId: $r) { ERR } }",
            {"r": w.match_request},
        ),
        "createRestaurant": (
            'mutation { createRestaurant(input: {name: "X", lat: 1, lng: 1}) { ERR } }',
            {},
        ),
        "updateRestaurant": (
            'mutation($r: ID!) { updateRestaurant(restaurantId: $r, input: {name: "抢"}) { ERR } }',
            {"r": w.restaurant},
        ),
        "archiveRestaurant": (
            "mutation($r: ID!) { archiveRestaurant(restaurantId: $r) { ERR } }",
            {"r": w.restaurant},
        ),
        "addRestaurantStaff": (
            'mutation($r: ID!) { addRestaurantStaff(restaurantId: $r, email: "x@example.com") { ERR } }',
            {"r": w.restaurant},
        ),
        "acceptStaffInvitation": (
            "mutation($r: ID!) { acceptStaffInvitation(restaurantId: $r) { ERR } }",
            {"r": w.restaurant},
        ),
        "declineStaffInvitation": (
            "mutation($r: ID!) { declineStaffInvitation(restaurantId: $r) { ERR } }",
            {"r": w.restaurant},
        ),
        "removeRestaurantStaff": (
            "mutation($r: ID!, $u: ID!) { removeRestaurantStaff(restaurantId: $r, userId: $u) { ERR } }",
            {"r": w.restaurant, "u": w.other_id},
        ),
        "addDish": (
            'mutation($r: ID!) { addDish(restaurantId: $r, input: {name: "假", priceCents: 1}) { ERR } }',
            {"r": w.restaurant},
        ),
        "updateDish": (
            "mutation($d: ID!) { updateDish(dishId: $d, input: {priceCents: 1}) { ERR } }",
            {"d": w.dish},
        ),
        "archiveDish": ("mutation($d: ID!) { archiveDish(dishId: $d) { ERR } }", {"d": w.dish}),
        "unarchiveDish": ("mutation($d: ID!) { unarchiveDish(dishId: $d) { ERR } }", {"d": w.dish}),
        "setOpeningHours": (
            "mutation($r: ID!) { setOpeningHours(restaurantId: $r, "
            'input: {weekly: [{weekday: 0, opens: "09:00", closes: "17:00"}]}) { ERR } }',
            {"r": w.restaurant},
        ),
        "requestPhotoUpload": (
            'mutation { requestPhotoUpload(contentType: "text/html", byteSize: 1) { ERR } }',
            {},
        ),
        "confirmPhotoUpload": (
            "mutation($p: ID!) { confirmPhotoUpload(photoId: $p) { ERR } }",
            {"p": w.photo},
        ),
        "createReview": (
            "mutation($d: ID!, $p: ID!) { createReview(input: {dishId: $d, rating: 5, photoIds: [$p]}) { ERR } }",
            {"d": w.dish, "p": w.photo},
        ),
        "updateReview": (
            "mutation($r: ID!) { updateReview(reviewId: $r, input: {rating: 1}) { ERR } }",
            {"r": w.review},
        ),
        "deleteReview": ("mutation($r: ID!) { deleteReview(reviewId: $r) { ERR } }", {"r": w.review}),
        "replyToReview": (
            'mutation($r: ID!) { replyToReview(reviewId: $r, body: "x") { ERR } }',
            {"r": w.review},
        ),
        "updateReviewReply": (
            'mutation($r: ID!) { updateReviewReply(replyId: $r, body: "x") { ERR } }',
            {"r": w.reply},
        ),
        "deleteReviewReply": (
            "mutation($r: ID!) { deleteReviewReply(replyId: $r) { ERR } }",
            {"r": w.reply},
        ),
        "voteReviewHelpful": (
            "mutation($r: ID!) { voteReviewHelpful(reviewId: $r) { ERR } }",
            {"r": "own-review"},
        ),
        "unvoteReviewHelpful": (
            "mutation($r: ID!) { unvoteReviewHelpful(reviewId: $r) { ERR } }",
            {"r": "own-review"},
        ),
        "createSharedMeal": (
            'mutation($r: ID!) { createSharedMeal(input: {restaurantId: $r, title: "x", startsAt: "2020-01-01T00:00:00+08:00", capacity: 3}) { ERR } }',
            {"r": w.restaurant},
        ),
        "joinSharedMeal": ("mutation($m: ID!) { joinSharedMeal(mealId: $m) { ERR } }", {"m": "own-meal"}),
        "leaveSharedMeal": ("mutation($m: ID!) { leaveSharedMeal(mealId: $m) { ERR } }", {"m": w.meal}),
        "removeMealGuest": (
            "mutation($m: ID!, $u: ID!) { removeMealGuest(mealId: $m, userId: $u) { ERR } }",
            {"m": w.meal, "u": w.diner_id},
        ),
        "answerJoinRequest": (
            "mutation($m: ID!, $u: ID!) { answerJoinRequest(mealId: $m, userId: $u, approve: true) { ERR } }",
            {"m": w.meal, "u": w.other_id},
        ),
        "cancelSharedMeal": ("mutation($m: ID!) { cancelSharedMeal(mealId: $m) { ERR } }", {"m": w.meal}),
        "updateSharedMeal": (
            'mutation($m: ID!) { updateSharedMeal(mealId: $m, input: {title: "改个名"}) { ERR } }',
            {"m": w.meal},
        ),
        "requestReservation": (
            "mutation($m: ID!) { requestReservation(mealId: $m) { ERR } }",
            {"m": w.meal},
        ),
        "answerReservation": (
            "mutation($m: ID!) { answerReservation(mealId: $m, confirm: true) { ERR } }",
            {"m": w.meal},
        ),
        "createRestaurantEvent": (
            'mutation($r: ID!) { createRestaurantEvent(input: {restaurantId: $r, title: "x", startsAt: "SOON", endsAt: "LATER", capacity: 3}) { ERR } }',
            {"r": w.restaurant},
        ),
        "rsvpEvent": (
            "mutation($v: ID!) { rsvpEvent(eventId: $v) { ERR } }",
            {"v": "UmVzdGF1cmFudEV2ZW50Ojk5OTk5OTk="},
        ),
        "joinEventWaitlist": (  # anyone may wait for a place: a missing event is the only refusal here
            "mutation($v: ID!) { joinEventWaitlist(eventId: $v) { ERR } }",
            {"v": "UmVzdGF1cmFudEV2ZW50Ojk5OTk5OTk="},
        ),
        "cancelEventRsvp": ("mutation($v: ID!) { cancelEventRsvp(eventId: $v) { ERR } }", {"v": w.event}),
        "cancelRestaurantEvent": (
            "mutation($v: ID!) { cancelRestaurantEvent(eventId: $v) { ERR } }",
            {"v": w.event},
        ),
        "updateRestaurantEvent": (
            "mutation($v: ID!) { updateRestaurantEvent(eventId: $v, input: {capacity: 4}) { ERR } }",
            {"v": w.event},
        ),
        "markNotificationsRead": ("mutation { markNotificationsRead { ERR } }", {}),
        "setNotificationPreference": (
            'mutation { setNotificationPreference(kind: "no_such_kind", push: false) { ERR } }',
            {},
        ),
        "registerPushDevice": ('mutation { registerPushDevice(platform: IOS, token: "bad") { ERR } }', {}),
        "grantLocationConsent": ('mutation { grantLocationConsent(noticeVersion: "1999-01") { ERR } }', {}),
        "withdrawLocationConsent": ("mutation { withdrawLocationConsent { ERR } }", {}),
        # Only with the account's own password: a token alone deletes nothing.
        "deleteMyAccount": ('mutation { deleteMyAccount(password: "not the password") { ERR } }', {}),
        # Someone else's phone (or no phone): never removed by another account.
        "unregisterPushDevice": (
            "mutation($t: String!) { unregisterPushDevice(platform: IOS, token: $t) { ERR } }",
            {"t": "ab" * 32},
        ),
        "createDeal": (
            'mutation($r: ID!) { createDeal(input: {restaurantId: $r, title: "x", priceCents: 0, originalPriceCents: 1, quantity: 1, startsAt: "SOON", endsAt: "LATER"}) { ERR } }',
            {"r": w.restaurant},
        ),
        "updateDeal": (
            'mutation($d: ID!) { updateDeal(dealId: $d, input: {quantity: 99999, title: "改"}) { ERR } }',
            {"d": w.deal},
        ),
        "setDealStatus": (
            "mutation($d: ID!) { setDealStatus(dealId: $d, status: ENDED) { ERR } }",
            {"d": w.deal},
        ),
        "claimDeal": (
            'mutation($d: ID!) { claimDeal(dealId: $d, idempotencyKey: "k", source: {type: PROFILE, id: "bad"}) { ERR } }',
            {"d": w.deal},
        ),
        "refundClaim": ("mutation($c: ID!) { refundClaim(claimId: $c) { ERR } }", {"c": w.claim}),
        "redeemVoucher": ("mutation($c: String!) { redeemVoucher(code: $c) { ERR } }", {"c": w.code}),
        "recordDealView": ('mutation { recordDealView(dealId: "RGVhbDo5OTk5OTk5") }', {}),
        "shareDeal": ('mutation { shareDeal(dealId: "RGVhbDo5OTk5OTk5") { ERR } }', {}),
        "reportContent": (
            "mutation($t: ID!) { reportContent(targetId: $t, reason: SPAM) { ERR } }",
            {"t": "self"},
        ),
        "moderate": ('mutation { moderate(reportId: "UmVwb3J0OjE=", action: DISMISS) { ERR } }', {}),
        "unmatch": ("mutation($u: ID!) { unmatch(userId: $u) { ERR } }", {"u": w.diner_id}),
        "openConversation": ("mutation($u: ID!) { openConversation(userId: $u) { ERR } }", {"u": w.diner_id}),
        "sendMessage": (
            'mutation($c: ID!) { sendMessage(conversationId: $c, body: "偷看") { ERR } }',
            {"c": w.conversation},
        ),
        "markConversationRead": (
            "mutation($c: ID!) { markConversationRead(conversationId: $c) { ERR } }",
            {"c": w.conversation},
        ),
        # tables (issue 16): someone else's restaurant, meal or booking
        "setBookingSlots": (
            'mutation($r: ID!) { setBookingSlots(restaurantId: $r, slots: [{startsAt: "SOON", seats: 4}]) { ERR } }',
            {"r": w.restaurant},
        ),
        "setBookingPolicy": (
            "mutation($r: ID!) { setBookingPolicy(restaurantId: $r, input: {}) { ERR } }",
            {"r": w.restaurant},
        ),
        "bookTable": (
            'mutation($r: ID!) { bookTable(input: {restaurantId: $r, startsAt: "SOON", partySize: 2}) { ERR } }',
            {"r": w.restaurant},
        ),
        "cancelBooking": ('mutation { cancelBooking(bookingId: "Qm9va2luZzo5OTk5OTk5") { ERR } }', {}),
        "markBookingNoShow": ('mutation { markBookingNoShow(bookingId: "Qm9va2luZzo5OTk5OTk5") { ERR } }', {}),
        "answerReservationRequest": (
            'mutation($m: ID!) { answerReservationRequest(requestId: $m, decision: DECLINE, reason: "no") { ERR } }',
            {"m": w.meal},
        ),
        "checkInGuest": (
            "mutation($m: ID!, $u: ID!) { checkInGuest(mealId: $m, userId: $u) { ERR } }",
            {"m": w.meal, "u": w.diner_id},
        ),
        "answerSeatOffer": ("mutation($m: ID!) { answerSeatOffer(mealId: $m, accept: true) { ERR } }", {"m": w.meal}),
        "createMealPoll": (
            'mutation($m: ID!) { createMealPoll(mealId: $m, kind: DISH, question: "x", options: []) { ERR } }',
            {"m": w.meal},
        ),
        "voteInPoll": ('mutation { voteInPoll(pollId: "TWVhbFBvbGw6OTk5OTk5", optionId: "UG9sbE9wdGlvbjo5OTk5OTk=") { ERR } }', {}),
        "closeMealPoll": ('mutation { closeMealPoll(pollId: "TWVhbFBvbGw6OTk5OTk5") { ERR } }', {}),
        "rateMeal": ("mutation($m: ID!) { rateMeal(mealId: $m, thumbsUp: false) { ERR } }", {"m": w.meal}),
        "answerProposedTime": (
            "mutation($m: ID!) { answerProposedTime(requestId: $m, accept: true) { ERR } }",
            {"m": w.meal},
        ),
        # favourites (issue 15): someone else's list or item
        "createFavouriteList": ('mutation { createFavouriteList(name: "我的") { ERR } }', {}),
        "renameFavouriteList": (
            'mutation($l: ID!) { renameFavouriteList(listId: $l, name: "抢") { ERR } }',
            {"l": w.favourite_list},
        ),
        "deleteFavouriteList": (
            "mutation($l: ID!) { deleteFavouriteList(listId: $l) { ERR } }",
            {"l": w.favourite_list},
        ),
        "saveFavourite": (
            "mutation($t: ID!, $l: ID!) { saveFavourite(targetId: $t, listId: $l) { ERR } }",
            {"t": w.restaurant, "l": w.favourite_list},
        ),
        "removeFavourite": (
            "mutation($i: ID!) { removeFavourite(itemId: $i) { ERR } }",
            {"i": w.favourite_item},
        ),
        "shareFavouriteList": (
            "mutation($l: ID!) { shareFavouriteList(listId: $l) { ERR } }",
            {"l": w.favourite_list},
        ),
        "unshareFavouriteList": (
            "mutation($l: ID!) { unshareFavouriteList(listId: $l) { ERR } }",
            {"l": w.favourite_list},
        ),
    }
    return {
        name: (doc.replace("ERR", "errors { code }").replace("SOON", soon).replace("LATER", later), variables)
        for name, (doc, variables) in cases.items()
    }


def _mutation_names(app) -> set[str]:
    return (
        {f.name for f in app.state.schema.schema_converter.type_map["Mutation"].definition.fields}
        if False
        else {name for name in app.state.schema._schema.mutation_type.fields}
    )


def _outcome(body: dict, name: str) -> str:
    """'auth' (GraphQL auth error), 'user-error', 'refused' (false/empty), or 'DATA' (a leak)."""
    if body.get("errors"):
        codes = {err.get("extensions", {}).get("code") for err in body["errors"]}
        return "auth" if codes & {"UNAUTHENTICATED", "FORBIDDEN"} else f"other:{codes}"
    value = body["data"][name]
    if value is False:
        return "refused"
    if isinstance(value, dict) and value.get("errors"):
        return "user-error:" + ",".join(sorted(err["code"] for err in value["errors"]))
    return "DATA"


def _resolve(variables: dict, token_owner_id: str, w: World) -> dict:
    replace = {"self": token_owner_id, "own-review": w.review, "own-meal": w.meal}
    return {k: replace.get(v, v) if isinstance(v, str) else v for k, v in variables.items()}


async def test_every_mutation_has_a_case(app, client, services):
    w = await build_world(client, services)
    assert set(mutation_cases(w)) == _mutation_names(app)


async def test_anonymous_callers_get_unauthenticated(client, services):
    w = await build_world(client, services)
    leaks = {}
    for name, (document, variables) in mutation_cases(w).items():
        body = await gql(client, document, _resolve(variables, w.diner_id, w), expect_errors=True)
        outcome = _outcome(body, name)
        expected_ok = (
            outcome.startswith(("user-error", "refused")) if name in PUBLIC_MUTATIONS else outcome == "auth"
        )
        if not expected_ok:
            leaks[name] = outcome
    assert leaks == {}


@pytest.mark.parametrize("attacker", ["other_diner", "rival_staff", "author_self"])
async def test_others_get_errors_never_data(client, services, attacker):
    w = await build_world(client, services)
    token = {"other_diner": w.other, "rival_staff": w.rival_staff, "author_self": w.diner}[attacker]
    me = (await gql(client, "{ me { id } }", token=token))["data"]["me"]["id"]
    # Actions the attacker may legitimately do are not attacks: acting on themselves, voting for
    # someone else's review, answering a request sent to them; the author owns everything here.
    allowed = {
        "register",
        "login",
        "updateProfile",
        "updateLocation",
        "logout",  # signing oneself out: acting on themselves (and would end this test's token)
        "logoutEverywhere",
        "requestPhotoUpload",
        "markNotificationsRead",
        "setNotificationPreference",  # their own preferences and phones
        "registerPushDevice",
        "grantLocationConsent",
        "withdrawLocationConsent",
        "createRestaurant",
        "shareDeal",
        "recordDealView",
        "createSharedMeal",
        "createFavouriteList",  # a list of their own
    }
    if attacker != "author_self":
        allowed |= {"voteReviewHelpful"}
    if attacker == "other_diner":
        allowed |= {"respondMatchRequest"}
    if attacker == "author_self":
        allowed |= {
            "withdrawMatchRequest",  # the request is theirs
            "updateReview",
            "deleteReview",  # their own: deleting it here would only end the check below
            "leaveSharedMeal",
            "cancelSharedMeal",
            "updateSharedMeal",
            "requestReservation",
            "refundClaim",
            "removeMealGuest",
            "answerJoinRequest",
            "confirmPhotoUpload",
            "cancelEventRsvp",
            "claimDeal",
            "createReview",
            "sendMessage",
            "markConversationRead",
            "renameFavouriteList",  # their own list and item
            "deleteFavouriteList",
            "saveFavourite",
            "removeFavourite",
            "shareFavouriteList",
            "unshareFavouriteList",
        }
    leaks = {}
    for name, (document, variables) in mutation_cases(w).items():
        if name in allowed:
            continue
        body = await gql(client, document, _resolve(variables, me, w), token, expect_errors=True)
        outcome = _outcome(body, name)
        if outcome == "DATA" or outcome.startswith("other"):
            leaks[name] = outcome
    assert leaks == {}
    # The victim's objects are unchanged.
    review = await gql(
        client, "query($id: ID!) { node(id: $id) { ... on Review { rating } } }", {"id": w.review}
    )
    assert review["data"]["node"]["rating"] == 4
    restaurant = await gql(client, "query($id: ID!) { restaurant(id: $id) { name } }", {"id": w.restaurant})
    assert restaurant["data"]["restaurant"]["name"] == "重庆火锅"


PRIVATE_FIELDS = {
    "email": "query($u: ID!) { node(id: $u) { ... on User { email } } }",
    "location": "query($u: ID!) { node(id: $u) { ... on User { location { lat } } } }",
    "discoverable": "query($u: ID!) { node(id: $u) { ... on User { discoverable } } }",
    "timezone": "query($u: ID!) { node(id: $u) { ... on User { timezone } } }",
    "referralCredits": "query($u: ID!) { node(id: $u) { ... on User { referralCredits } } }",
    "staff": "query($r: ID!) { restaurant(id: $r) { staff { role } } }",
    "staffInvitations": "query($r: ID!) { restaurant(id: $r) { staffInvitations { invitedAt } } }",
    "waiting": "query($m: ID!) { sharedMeal(id: $m) { waiting { state } } }",
    "edits": "query($v: ID!) { node(id: $v) { ... on Review { edits { rating } } } }",
    "moderationQueue": "{ moderationQueue { edges { node { id } } } }",
    "auditLog": "{ auditLog { edges { node { id } } } }",
    "managedDeals": "query($r: ID!) { managedDeals(restaurantId: $r) { edges { node { id } } } }",
    "restaurantInsights": 'query($r: ID!) { restaurantInsights(restaurantId: $r, from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { funnel { views } } }',
}


async def test_private_fields_refuse_others(client, services):
    w = await build_world(client, services)
    variables = {"u": w.diner_id, "r": w.restaurant, "m": w.meal, "v": w.review}
    for token in (None, w.other, w.rival_staff):
        for name, document in PRIVATE_FIELDS.items():
            used = {k: v for k, v in variables.items() if f"${k}" in document}
            body = await gql(client, document, used, token, expect_errors=True)
            codes = {err.get("extensions", {}).get("code") for err in body.get("errors") or []}
            hidden = body.get("data") is not None and all(v is None for v in body["data"].values())
            assert codes & {"UNAUTHENTICATED", "FORBIDDEN"} or hidden, (name, token is None, body)
    # Objects only their owner may load come back null for others.
    for global_id in (w.claim, w.match_request, w.conversation, w.favourite_list, w.favourite_item):
        body = await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": global_id}, w.rival_staff)
        assert body["data"]["node"] is None
    notes = await gql(client, "{ notifications { edges { node { id } } } }", token=w.other)
    mine = await gql(client, "{ myClaims { edges { node { id } } } }", token=w.other)
    assert mine["data"]["myClaims"]["edges"] == [] and isinstance(
        notes["data"]["notifications"]["edges"], list
    )


# A private field next to public ones: the refusal blanks that field only, never its object.
BESIDE_PUBLIC = {
    "email": ("query($u: ID!) { node(id: $u) { ... on User { displayName email } } }", ["node"], "displayName"),
    "discoverable": ("query($u: ID!) { node(id: $u) { ... on User { displayName discoverable } } }", ["node"], "displayName"),
    "timezone": ("query($u: ID!) { node(id: $u) { ... on User { displayName timezone } } }", ["node"], "displayName"),
    "referralCredits": ("query($u: ID!) { node(id: $u) { ... on User { displayName referralCredits } } }", ["node"], "displayName"),
    "staff": ("query($r: ID!) { restaurant(id: $r) { name staff { role } } }", ["restaurant"], "name"),
    "waiting": ("query($m: ID!) { sharedMeal(id: $m) { title waiting { state } } }", ["sharedMeal"], "title"),
    "edits": ("query($v: ID!) { node(id: $v) { ... on Review { rating edits { rating } } } }", ["node"], "rating"),
}


async def test_a_private_field_blanks_itself_not_the_whole_answer(client, services):
    """One screen's query for host and guest alike (a meal with its waitlist, a profile with its
    email) must still show the guest the meal: the private field is null with FORBIDDEN. (A
    moderator sees the followers-only meal and the review's history; others see the rest.)"""
    w = await build_world(client, services)
    variables = {"u": w.diner_id, "r": w.restaurant, "m": w.meal, "v": w.review}
    for name, (document, path, public) in BESIDE_PUBLIC.items():
        used = {k: v for k, v in variables.items() if f"${k}" in document}
        viewer = w.other if name == "edits" else w.moderator  # moderators read edit history
        body = await gql(client, document, used, viewer, expect_errors=True)
        found = body["data"][path[0]]
        assert found is not None and found[public] is not None, (name, body)
        assert found[name] is None, (name, body)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], (name, body)


async def test_moderator_operations_need_the_role(client, services):
    w = await build_world(client, services)
    report = (
        await gql(
            client,
            "mutation($t: ID!) { reportContent(targetId: $t, reason: SPAM) { report { id } } }",
            {"t": w.review},
            w.other,
        )
    )["data"]["reportContent"]["report"]["id"]
    document = "mutation($r: ID!) { moderate(reportId: $r, action: HIDE_CONTENT) { report { status } errors { code } } }"
    for token in (w.other, w.owner, w.diner):
        body = await gql(client, document, {"r": report}, token, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = await gql(client, document, {"r": report}, w.moderator)
    assert done["data"]["moderate"]["report"]["status"] == "ACTIONED"
