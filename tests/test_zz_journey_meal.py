from datetime import UTC, datetime, timedelta, timezone
from models.meals import SharedMeal
from resolvers.jobs import JOBS, run_job
from schema.ids import decode
from tests.helpers import gql, register, open_restaurant, add_dish
from tests.test_zz_journey_common import q, show

SH = timezone(timedelta(hours=8))
BASE = (31.2304, 121.4737)
CREATE = "mutation($i: SharedMealInput!){ createSharedMeal(input:$i){ meal{ id title startsAt capacity seatsTaken seatsLeft waitlistCount status phase myStatus guests{ state user{displayName} } } errors{field code message} } }"
JOIN = "mutation($id:ID!){ joinSharedMeal(mealId:$id){ status meal{ seatsTaken seatsLeft waitlistCount myStatus } errors{field code message} } }"
LEAVE = "mutation($id:ID!){ leaveSharedMeal(mealId:$id){ meal{ seatsTaken seatsLeft waitlistCount myStatus } errors{field code message} } }"
MEAL = "query($id:ID!){ sharedMeal(id:$id){ title startsAt seatsTaken seatsLeft waitlistCount status phase myStatus guests{ state user{displayName} } waiting{ state user{displayName} } } }"
OFFER = "query($id:ID!){ mySeatOffer(mealId:$id){ expiresAt } }"
ANSWER_OFFER = "mutation($id:ID!,$a:Boolean!){ answerSeatOffer(mealId:$id, accept:$a){ meal{ seatsTaken waitlistCount myStatus } errors{code message} } }"
NOTES = "{ unreadNotificationCount notifications{ edges{ node{ kind message } } } }"
NEAR = "query($a:Float!,$b:Float!){ sharedMealsNearby(lat:$a,lng:$b){ totalCount edges{ node{ title seatsLeft waitlistCount startsAt distanceKm } } } }"
CHECKIN = "mutation($m:ID!,$u:ID!){ checkInGuest(mealId:$m, userId:$u){ meal{ id } errors{field code message} } }"
RATE = "mutation($m:ID!,$t:Boolean!,$tags:[String!],$g:[GuestRatingInput!]){ rateMeal(mealId:$m, thumbsUp:$t, tags:$tags, guests:$g){ rated errors{field code message} } }"
CONV = "query($m:ID!){ mealConversation(mealId:$m){ id active messages{ totalCount } } }"

async def test_meal(client, services):
    owner, rest = await open_restaurant(client, *BASE, name="海底捞（人民广场店）")
    host, host_id, _ = await register(client, name="局长")
    gs = [await register(client, name=n) for n in ("客一", "客二", "客三", "客四")]
    start = (datetime.now(SH) + timedelta(days=2)).replace(hour=19, minute=0, second=0, microsecond=0)
    show("past meal", await q(client, CREATE, {"i": {"restaurantId": rest, "title": "过去", "startsAt": (datetime.now(SH) - timedelta(hours=1)).isoformat(), "capacity": 3}}, host))
    show("capacity 1", await q(client, CREATE, {"i": {"restaurantId": rest, "title": "一人", "startsAt": start.isoformat(), "capacity": 1}}, host))
    show("naive time", await q(client, CREATE, {"i": {"restaurantId": rest, "title": "naive", "startsAt": start.replace(tzinfo=None).isoformat(), "capacity": 3}}, host))
    m = await q(client, CREATE, {"i": {"restaurantId": rest, "title": "周六海底捞四人局", "description": "AA制，约人均120元", "startsAt": start.isoformat(), "capacity": 3}}, host)
    show("create", m)
    meal = m["data"]["createSharedMeal"]["meal"]["id"]
    show("host joins own", await q(client, JOIN, {"id": meal}, host))
    for (tok, uid, _), nm in zip(gs, ("客一", "客二", "客三", "客四")):
        show(f"join {nm}", await q(client, JOIN, {"id": meal}, tok))
    show("join again 客一", await q(client, JOIN, {"id": meal}, gs[0][0]))
    show("join again 客四 (waitlisted)", await q(client, JOIN, {"id": meal}, gs[3][0]))
    show("meal as host", await q(client, MEAL, {"id": meal}, host))
    show("meal as 客三", await q(client, MEAL, {"id": meal}, gs[2][0]))
    show("nearby", await q(client, NEAR, {"a": BASE[0], "b": BASE[1]}, gs[3][0]))
    show("host notes", await q(client, NOTES, None, host))
    show("客三 notes", await q(client, NOTES, None, gs[2][0]))
    show("客一 leaves", await q(client, LEAVE, {"id": meal}, gs[0][0]))
    show("meal as host after leave", await q(client, MEAL, {"id": meal}, host))
    show("客三 offer", await q(client, OFFER, {"id": meal}, gs[2][0]))
    show("客三 notes after", await q(client, NOTES, None, gs[2][0]))
    show("nearby after leave", await q(client, NEAR, {"a": BASE[0], "b": BASE[1]}, gs[3][0]))
    show("客一 rejoins", await q(client, JOIN, {"id": meal}, gs[0][0]))
    show("客三 accepts", await q(client, ANSWER_OFFER, {"id": meal, "a": True}, gs[2][0]))
    show("meal as host after accept", await q(client, MEAL, {"id": meal}, host))
    show("客二 leaves", await q(client, LEAVE, {"id": meal}, gs[1][0]))
    show("客四 declines offer", await q(client, ANSWER_OFFER, {"id": meal, "a": False}, gs[3][0]))
    show("meal as host after decline", await q(client, MEAL, {"id": meal}, host))
    show("客一 offer", await q(client, OFFER, {"id": meal}, gs[0][0]))
    show("客一 accepts", await q(client, ANSWER_OFFER, {"id": meal, "a": True}, gs[0][0]))
    show("meal conv host", await q(client, CONV, {"m": meal}, host))
    show("meal conv 客二 (left)", await q(client, CONV, {"m": meal}, gs[1][0]))
    show("host leaves own", await q(client, LEAVE, {"id": meal}, host))
    # time travel: starts in 30 min
    await SharedMeal.filter(id=decode(meal, "SharedMeal", "id")).update(starts_at=datetime.now(UTC) + timedelta(minutes=30))
    show("checkin by host", await q(client, CHECKIN, {"m": meal, "u": gs[0][1]}, host))
    show("checkin 客一 by staff", await q(client, CHECKIN, {"m": meal, "u": gs[0][1]}, owner))
    show("checkin host by staff", await q(client, CHECKIN, {"m": meal, "u": host_id}, owner))
    show("checkin 客二 (left) by staff", await q(client, CHECKIN, {"m": meal, "u": gs[1][1]}, owner))
    show("checkin 客一 again", await q(client, CHECKIN, {"m": meal, "u": gs[0][1]}, owner))
    show("meal as 客一 before start", await q(client, MEAL, {"id": meal}, gs[0][0]))
    show("rate before end", await q(client, RATE, {"m": meal, "t": True}, gs[0][0]))
    await SharedMeal.filter(id=decode(meal, "SharedMeal", "id")).update(starts_at=datetime.now(UTC) - timedelta(hours=4))
    job = next(j for j in JOBS if j.name == "complete-meals")
    await run_job(services, job)
    show("meal after", await q(client, MEAL, {"id": meal}, host))
    tags = (await q(client, "{ mealRatingTags }"))["data"]
    show("tags", tags)
    show("客一 rates", await q(client, RATE, {"m": meal, "t": True, "tags": ["on_time"], "g": [{"userId": host_id, "thumbsUp": True, "tags": ["great_company"]}, {"userId": gs[2][1], "thumbsUp": False, "tags": []}]}, gs[0][0]))
    show("客一 rates again", await q(client, RATE, {"m": meal, "t": True}, gs[0][0]))
    show("客二 (left) rates", await q(client, RATE, {"m": meal, "t": False}, gs[1][0]))
    show("客三 (no-show? not checked in) rates", await q(client, RATE, {"m": meal, "t": True, "g": [{"userId": gs[0][1], "thumbsUp": True}]}, gs[2][0]))
    show("host rates 客三 who did not check in", await q(client, RATE, {"m": meal, "t": True, "g": [{"userId": gs[2][1], "thumbsUp": False, "tags": ["no_show"]}]}, host))
    show("host received", await q(client, "{ myReceivedTags{ tag count } }", None, host))
    show("客三 meal view", await q(client, MEAL, {"id": meal}, gs[2][0]))
    # reliability record
    show("客三 reliability via another meal waiting", None)
    dish = await add_dish(client, owner, rest, name="番茄锅底")
    show("客一 review verified?", await q(client, "mutation($i:ReviewInput!){ createReview(input:$i){ review{ verified verifiedAt } errors{code} } }", {"i": {"dishId": dish, "rating": 5, "body": "好吃"}}, gs[0][0]))
    show("客三 review verified? (not checked in)", await q(client, "mutation($i:ReviewInput!){ createReview(input:$i){ review{ verified verifiedAt } errors{code} } }", {"i": {"dishId": dish, "rating": 5, "body": "好吃"}}, gs[2][0]))
    show("nearby after completed", await q(client, NEAR, {"a": BASE[0], "b": BASE[1]}, gs[3][0]))
