import uuid
from datetime import UTC, datetime, timedelta
from core.payments import webhook_body
from tests.helpers import gql, register, add_dish, account_with_role
from tests.media_helpers import upload_photo
from tests.test_zz_journey_common import q, show

BASE = (30.5728, 104.0668)

def iso(**kw):
    return (datetime.now(UTC) + timedelta(**kw)).isoformat()

CREATE_R = "mutation($i: RestaurantInput!){ createRestaurant(input:$i){ restaurant{ id name address cuisines timezone phone lat lng myRole } errors{field code message} } }"
ADD_DISH = "mutation($r:ID!,$i:DishInput!){ addDish(restaurantId:$r, input:$i){ dish{ id name priceCents currency tags description } errors{field code message} } }"
CREATE_DEAL = "mutation($i: DealInput!){ createDeal(input:$i){ deal{ id title priceCents originalPriceCents currency quantity remaining perUserLimit startsAt endsAt useStartsAt useEndsAt status onSale soldOut finePrint{code text} refundAnytime } errors{field code message} } }"
REVIEW = "mutation($i:ReviewInput!){ createReview(input:$i){ review{ id rating body spendCents verified photos{ id url thumbnailUrl width height } deals{ id title priceCents } author{displayName} } errors{field code message} } }"
CLAIM = "mutation($d:ID!,$k:String!,$s:AttributionInput){ claimDeal(dealId:$d, idempotencyKey:$k, source:$s){ claim{ id code status source amountCents validUntil qrPayload payment{ intentId amountCents payBy } deal{ id remaining } } errors{field code message} } }"
VIEW = "mutation($d:ID!,$s:AttributionInput){ recordDealView(dealId:$d, source:$s) }"
MYCLAIMS = "{ myClaims{ totalCount edges{ node{ id code status source amountCents validUntil redeemedAt billCents deal{ title restaurant{ name } } } } } }"
CHECK = "query($c:String!){ voucherCheck(code:$c){ usable problem{ code message } claim{ status code amountCents deal{ title } } } }"
REDEEM = "mutation($c:String!,$b:Int){ redeemVoucher(code:$c, billCents:$b){ claim{ status billCents redeemedAt } errors{field code message} } }"
INSIGHTS = "query($r:ID!,$f:DateTime!,$t:DateTime!){ restaurantInsights(restaurantId:$r, from:$f, to:$t){ funnel{views claims redemptions} bySource{type views claims redemptions} averageTicketCents repeatCustomerRate visitsPerCustomerPerWeek customers newCustomers returningCustomers currency } }"
TRENDS = "query($r:ID!,$f:Date!,$t:Date!){ restaurantTrends(restaurantId:$r, from:$f, to:$t){ timeZone currency days{ date views claims redemptions revenueCents bySource{ type views claims redemptions revenueCents } } redemptionHeatmap{ weekday hour redemptions } } }"
PAGE = "query($r:ID!){ restaurant(id:$r){ name timezone distanceKm ratingSummary{ averageRating reviewCount verifiedReviewCount averageSpendCents currency distribution{stars count} } deals{ id title remaining soldOut onSale } dishes{ totalCount edges{ node{ name priceCents reviewCount averageRating } } } photos{ totalCount } reviews{ totalCount edges{ node{ body verified spendCents photos{ id } } } } } }"

async def test_deal_journey(client, services):
    owner, owner_id, owner_email = await register(client, name="张老板", account_type="RESTAURANT")
    r = await q(client, CREATE_R, {"i": {"name": "小龙坎老火锅（春熙路店）", "lat": BASE[0], "lng": BASE[1], "address": "成都市锦江区春熙路88号", "cuisines": ["hotpot", "sichuan"], "phone": "028-86661234"}}, owner)
    show("create restaurant", r)
    rest = r["data"]["createRestaurant"]["restaurant"]["id"]
    show("create restaurant as diner", await q(client, CREATE_R, {"i": {"name": "x", "lat": 1, "lng": 1}}, (await register(client))[0]))
    show("dish 毛肚", await q(client, ADD_DISH, {"r": rest, "i": {"name": "鲜毛肚", "priceCents": 3800, "tags": ["招牌", "spicy"], "description": "七上八下"}}, owner))
    d1 = await q(client, ADD_DISH, {"r": rest, "i": {"name": "鲜毛肚", "priceCents": 3800, "tags": ["spicy"], "description": "七上八下"}}, owner)
    show("dish 毛肚 en tag", d1)
    dish = d1["data"]["addDish"]["dish"]["id"]
    show("dish duplicate name", await q(client, ADD_DISH, {"r": rest, "i": {"name": "鲜毛肚", "priceCents": 3800}}, owner))
    show("dish price 0", await q(client, ADD_DISH, {"r": rest, "i": {"name": "免费茶水", "priceCents": 0}}, owner))
    show("dish price negative", await q(client, ADD_DISH, {"r": rest, "i": {"name": "负", "priceCents": -100}}, owner))
    dish2 = (await q(client, ADD_DISH, {"r": rest, "i": {"name": "鸭血", "priceCents": 1800}}, owner))["data"]["addDish"]["dish"]["id"]
    # Staff
    staff, staff_id, staff_email = await register(client, name="收银小李", account_type="RESTAURANT")
    show("add staff", await q(client, "mutation($r:ID!,$e:String!){ addRestaurantStaff(restaurantId:$r, email:$e){ restaurant{ staff{ role user{displayName} } } errors{field code message} } }", {"r": rest, "e": staff_email}, owner))
    deal_in = {"restaurantId": rest, "title": "双人火锅套餐", "priceCents": 9900, "originalPriceCents": 19800, "quantity": 3, "perUserLimit": 1, "startsAt": iso(minutes=-1), "endsAt": iso(days=7), "terms": "周末通用，不含酒水"}
    dl = await q(client, CREATE_DEAL, {"i": deal_in}, owner)
    show("create deal", dl)
    deal = dl["data"]["createDeal"]["deal"]["id"]
    show("staff creates deal", await q(client, CREATE_DEAL, {"i": {**deal_in, "title": "staff deal"}}, staff))
    show("deal orig < price", await q(client, CREATE_DEAL, {"i": {**deal_in, "originalPriceCents": 5000}}, owner))
    # Reviewer with photos
    rv, rv_id, _ = await register(client, name="吃货小王")
    p1 = await upload_photo(client, rv)
    p2 = await upload_photo(client, rv)
    show("photo", p1)
    rev = await q(client, REVIEW, {"i": {"dishId": dish, "rating": 5, "body": "毛肚很新鲜，锅底够辣！推荐双人套餐", "photoIds": [p1["id"], p2["id"]], "spendCents": 12000}}, rv)
    show("review", rev)
    review_id = rev["data"]["createReview"]["review"]["id"]
    show("staff reviews own", await q(client, REVIEW, {"i": {"dishId": dish2, "rating": 5, "body": "好吃"}}, staff))
    # Claimer
    cl, cl_id, _ = await register(client, name="路人甲")
    show("anon deal view", await q(client, VIEW, {"d": deal, "s": {"type": "REVIEW", "id": review_id}}))
    show("view", await q(client, VIEW, {"d": deal, "s": {"type": "REVIEW", "id": review_id}}, cl))
    show("anon claim", await q(client, CLAIM, {"d": deal, "k": "x", "s": None}))
    key = uuid.uuid4().hex
    c1 = await q(client, CLAIM, {"d": deal, "k": key, "s": {"type": "REVIEW", "id": review_id}}, cl)
    show("claim", c1)
    claim = c1["data"]["claimDeal"]["claim"]
    show("claim retry same key", await q(client, CLAIM, {"d": deal, "k": key, "s": {"type": "REVIEW", "id": review_id}}, cl))
    show("claim 2nd key", await q(client, CLAIM, {"d": deal, "k": uuid.uuid4().hex, "s": None}, cl))
    show("myClaims pending", await q(client, MYCLAIMS, None, cl))
    show("staff check pending", await q(client, CHECK, {"c": claim["code"]}, staff))
    show("staff redeem pending", await q(client, REDEEM, {"c": claim["code"], "b": 100}, staff))
    show("deal after pending", await q(client, "query($d:ID!){ deal(id:$d){ remaining soldOut onSale } }", {"d": deal}, cl))
    body = webhook_body(claim["payment"]["intentId"])
    resp = await client.post("/payments/webhook", content=body, headers={"X-Signature": services.payments.sign(body)})
    print("webhook", resp.status_code, resp.text)
    show("myClaims paid", await q(client, MYCLAIMS, None, cl))
    # staff check with sloppy typing
    code = claim["code"]
    sloppy = code.lower().replace("-", " ")
    show("staff check sloppy", await q(client, CHECK, {"c": sloppy}, staff))
    show("other restaurant check", await q(client, CHECK, {"c": code}, (await register(client, account_type="RESTAURANT"))[0]))
    show("diner check", await q(client, CHECK, {"c": code}, cl))
    show("redeem", await q(client, REDEEM, {"c": code, "b": 25600}, staff))
    show("redeem again", await q(client, REDEEM, {"c": code, "b": 25600}, staff))
    show("myClaims redeemed", await q(client, MYCLAIMS, None, cl))
    show("reviewer credits", await q(client, "{ me { referralCredits } }", None, rv))
    show("claimer review", await q(client, REVIEW, {"i": {"dishId": dish2, "rating": 4, "body": "鸭血嫩", "spendCents": 12800}}, cl))
    # second claim by reviewer via own review (self-referral)
    show("reviewer claims via own review", await q(client, CLAIM, {"d": deal, "k": uuid.uuid4().hex, "s": {"type": "REVIEW", "id": review_id}}, rv))
    show("owner claims own deal", await q(client, CLAIM, {"d": deal, "k": uuid.uuid4().hex, "s": None}, owner))
    # notifications for claimer / reviewer / owner
    NOTES = "{ unreadNotificationCount notifications{ edges{ node{ kind message } } } }"
    for who, tok in (("claimer", cl), ("reviewer", rv), ("owner", owner), ("staff", staff)):
        show(f"notes {who}", await q(client, NOTES, None, tok))
    now = datetime.now(UTC)
    show("insights", await q(client, INSIGHTS, {"r": rest, "f": (now - timedelta(days=1)).isoformat(), "t": (now + timedelta(hours=1)).isoformat()}, owner))
    show("insights staff", await q(client, INSIGHTS, {"r": rest, "f": (now - timedelta(days=1)).isoformat(), "t": (now + timedelta(hours=1)).isoformat()}, staff))
    show("insights diner", await q(client, INSIGHTS, {"r": rest, "f": (now - timedelta(days=1)).isoformat(), "t": (now + timedelta(hours=1)).isoformat()}, cl))
    from zoneinfo import ZoneInfo
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    show("trends", await q(client, TRENDS, {"r": rest, "f": str(today - timedelta(days=1)), "t": str(today)}, owner))
    show("page", await q(client, PAGE, {"r": rest}, cl))
    show("deals nearby", await q(client, "query($a:Float!,$b:Float!){ dealsNearby(lat:$a,lng:$b){ totalCount edges{ node{ title priceCents originalPriceCents distanceKm remaining restaurant{name} } } } }", {"a": BASE[0], "b": BASE[1]}, cl))
    show("managed", await q(client, "query($r:ID!){ managedDeals(restaurantId:$r){ totalCount edges{ node{ title status onSale remaining quantity } } } }", {"r": rest}, owner))
    # refund after redeem
    show("refund redeemed", await q(client, "mutation($c:ID!){ refundClaim(claimId:$c){ claim{status} errors{code message} } }", {"c": claim["id"]}, cl))
