"""Chinese errors say what the English ones say: which tag, up to what, refunded not cancelled.

A code's sentence alone left a Chinese reader guessing ("不支持的标签": which one?); a message
that names a more precise sentence (core/error_text.py `explained`) is shown with its values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import gql, register
from tests.test_correctness_money import pay
from tests.test_deals import REFUND, a_deal, claim
from tests.test_error_language import post

PROFILE = "mutation($i: ProfileInput!) { updateProfile(input: $i) { errors { field code message } } }"
INSIGHTS = """
query($r: ID!, $from: DateTime!, $to: DateTime!) { restaurantInsights(restaurantId: $r, from: $from, to: $to) {
  funnel { views } } }
"""
MEAL = """
mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id } errors { field code message } } }
"""


async def test_tags_and_lengths_are_named_in_chinese_as_in_english(client):
    token, _, _ = await register(client)
    variables = {"i": {"cuisines": ["sichuan", "黑暗料理"], "bio": "好" * 501}}
    errors = (await post(client, PROFILE, variables, "zh-CN", token))["data"]["updateProfile"]["errors"]
    said = {e["code"]: e["message"] for e in errors}
    assert said == {"UNKNOWN_TAG": "不支持的标签：黑暗料理", "TOO_LONG": "内容太长了，最多 500 个字"}
    far = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    _, restaurant, _ = await a_deal(client)
    meal = {"restaurantId": restaurant, "title": "明年的局", "startsAt": far, "capacity": 4}
    errors = (await post(client, MEAL, {"i": meal}, "zh-CN", token))["data"]["createSharedMeal"]["errors"]
    assert [e["message"] for e in errors] == ["时间太远了，最多只能提前 366 天"]
    english = (await post(client, PROFILE, variables, "en", token))["data"]["updateProfile"]["errors"]
    assert {e["message"] for e in english} == {"Unknown tags: 黑暗料理", "At most 500 characters"}
    traditional = (await post(client, PROFILE, {"i": {"bio": "好" * 501}}, "zh-TW", token))
    assert traditional["data"]["updateProfile"]["errors"][0]["message"] == "內容太長了，最多 500 個字"


async def test_ranges_are_given_in_chinese(client):
    token, _, _ = await register(client)
    errors = (await post(client, PROFILE, {"i": {"spiceLevel": 9}}, "zh-CN", token))["data"]["updateProfile"][
        "errors"
    ]
    assert [(e["code"], e["message"]) for e in errors] == [("OUT_OF_RANGE", "数值超出允许范围，应为 0 到 5")]


async def test_a_refunded_voucher_is_called_refunded_not_cancelled(client, services):
    _, _, deal = await a_deal(client, priceCents=5000, quantity=5)
    diner, _, _ = await register(client)
    held = await claim(client, diner, deal)
    assert await pay(client, services, held["claim"]["payment"]["intentId"]) == 200
    first = (await gql(client, REFUND, {"c": held["claim"]["id"]}, diner))["data"]["refundClaim"]
    assert first["claim"]["status"] == "REFUNDED"
    again = (await post(client, REFUND_MESSAGE, {"c": held["claim"]["id"]}, "zh-CN", diner))["data"]["refundClaim"]
    assert again["errors"] == [{"code": "CANCELLED", "message": "该券已退款"}]
    english = (await post(client, REFUND_MESSAGE, {"c": held["claim"]["id"]}, "en", diner))["data"]["refundClaim"]
    assert english["errors"][0]["message"] == "This voucher was refunded"


REFUND_MESSAGE = "mutation($c: ID!) { refundClaim(claimId: $c) { errors { code message } } }"


async def test_a_bad_insights_period_says_what_is_wrong_in_chinese(client):
    owner, restaurant, _ = await a_deal(client)
    naive = {"r": restaurant, "from": "2026-01-01T00:00:00", "to": "2026-02-01T00:00:00"}
    body = await post(client, INSIGHTS, naive, "zh-CN", owner)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"] == "时间需要带时区，例如 2026-12-01T00:00:00+08:00"
    long = {"r": restaurant, "from": "2020-01-01T00:00:00+08:00", "to": "2026-01-01T00:00:00+08:00"}
    body = await post(client, INSIGHTS, long, "zh-CN", owner)
    assert body["errors"][0]["message"] == "时间范围有误：结束不能早于开始，最长 366 天"
    assert (await post(client, INSIGHTS, long, "en", owner))["errors"][0]["message"].startswith("`to` must be")


async def test_restaurant_accounts_neither_host_nor_join_tables(client):
    owner, restaurant, _ = await a_deal(client)
    diner, _, _ = await register(client)
    when = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    meal = {"restaurantId": restaurant, "title": "周五火锅局", "startsAt": when, "capacity": 4}
    refused = (await post(client, MEAL, {"i": meal}, "zh-CN", owner))["data"]["createSharedMeal"]
    assert refused["meal"] is None
    assert refused["errors"] == [{"field": "restaurantId", "code": "FORBIDDEN", "message": "仅限个人食客账号使用"}]
    hosted = (await gql(client, MEAL, {"i": meal}, diner))["data"]["createSharedMeal"]
    assert hosted["errors"] == []
    join = "mutation($m: ID!) { joinSharedMeal(mealId: $m) { errors { code } } }"
    joined = (await gql(client, join, {"m": hosted["meal"]["id"]}, owner))["data"]["joinSharedMeal"]
    assert joined["errors"] == [{"code": "FORBIDDEN"}]


async def test_a_suspended_diner_is_told_until_when_in_their_time_zone(client, services):
    """登录被拒只说「账号已被封禁」: the diner could not tell a 3-day ban from a permanent one."""
    from models.accounts import User
    from resolvers.accounts import viewer_cache

    _, user_id, email = await register(client)
    ends = datetime(2031, 12, 10, 6, 30, tzinfo=UTC)  # 14:30 in Shanghai
    pk = (await User.get(email=email)).id
    await User.filter(id=pk).update(suspended_until=ends)
    await viewer_cache.changed(services, pk)
    login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token errors { code message } } }"
    variables = {"e": email, "p": "correct horse battery"}
    chinese = (await post(client, login, variables, "zh-CN"))["data"]["login"]
    assert chinese == {"token": None, "errors": [{"code": "ACCOUNT_SUSPENDED", "message": "账号已被封禁，将于 12月10日 14:30 解封"}]}
    english = (await post(client, login, variables, "en"))["data"]["login"]["errors"][0]["message"]
    assert english == "This account is suspended until 2031-12-10 14:30 (Asia/Shanghai)"


async def test_work_accounts_neither_review_nor_vote_nor_buy(client, services):
    """恶意差评: a rival restaurant's account posted a 1-star review that counted in our rating,
    and bought our vouchers. Work accounts (restaurant, moderator) act as diners from a personal
    account; the refusal comes before any write."""
    from tests.helpers import account_with_role
    from tests.test_moderation import reviewed_dish

    dish, _, _, review = await reviewed_dish(client)
    rival, _, deal = await a_deal(client)
    moderator, _ = await account_with_role(client, services)
    write = "mutation($i: ReviewInput!) { createReview(input: $i) { review { id } errors { field code message } } }"
    vote = "mutation($r: ID!) { voteReviewHelpful(reviewId: $r) { errors { field code message } } }"
    claimed = "mutation($d: ID!, $k: String!) { claimDeal(dealId: $d, idempotencyKey: $k) { claim { id } errors { field code message } } }"
    for token in (rival, moderator):
        wrote = await post(client, write, {"i": {"dishId": dish, "rating": 1, "body": "竞争对手差评"}}, "zh-CN", token)
        assert wrote["data"]["createReview"]["errors"] == [
            {"field": "dishId", "code": "FORBIDDEN", "message": "仅限个人食客账号使用"}
        ]
        voted = (await post(client, vote, {"r": review}, "en", token))["data"]["voteReviewHelpful"]
        assert voted["errors"] == [{"field": "reviewId", "code": "FORBIDDEN", "message": "Only diners' accounts vote on reviews"}]
        bought = (await post(client, claimed, {"d": deal, "k": "k1"}, "zh-CN", token))["data"]["claimDeal"]
        assert bought == {"claim": None, "errors": [{"field": "dealId", "code": "FORBIDDEN", "message": "仅限个人食客账号使用"}]}
    counts = "query($id: ID!) { dish(id: $id) { reviewCount } deal(id: $d) { remaining } }"
    seen = (await gql(client, counts.replace("$id: ID!)", "$id: ID!, $d: ID!)"), {"id": dish, "d": deal}))["data"]
    assert (seen["dish"]["reviewCount"], seen["deal"]["remaining"]) == (1, 50)
