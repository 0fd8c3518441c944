"""Only diners are foodies: restaurant and moderator accounts are never among nearbyFoodies and
neither send nor receive match requests (搭子 are diners; a business does not court customers)."""

from __future__ import annotations

from tests.helpers import account_with_role, gql, register
from tests.test_foodies import MOVE, NEARBY, SEND, diner, offset


async def test_business_and_moderator_accounts_are_not_foodies(client, services):
    from tests.helpers import random_spot

    lat, lng = random_spot()
    me, me_id, _ = await diner(client, lat, lng, name="我")
    friend, friend_id, _ = await diner(client, *offset(lat, lng, 0.5, 0), name="饭友")
    shop, shop_id, _ = await register(client, name="火锅店老板", account_type="RESTAURANT")
    moderator, moderator_id = await account_with_role(client, services)
    for token in (shop, moderator):
        await gql(client, MOVE, {"lat": offset(lat, lng, 0.3, 0)[0], "lng": lng}, token)
    seen = (await gql(client, NEARBY, {"r": 5.0}, me))["data"]["nearbyFoodies"]["edges"]
    assert [e["node"]["user"]["id"] for e in seen] == [friend_id]

    asked = (await gql(client, SEND, {"id": me_id}, shop))["data"]["sendMatchRequest"]
    assert asked["request"] is None and asked["errors"] == [{"code": "FORBIDDEN", "field": "userId"}]
    for target in (shop_id, moderator_id):
        asked = (await gql(client, SEND, {"id": target}, me))["data"]["sendMatchRequest"]
        assert asked["request"] is None and asked["errors"] == [{"code": "FORBIDDEN", "field": "userId"}]
    assert (await gql(client, SEND, {"id": friend_id}, me))["data"]["sendMatchRequest"]["errors"] == []
