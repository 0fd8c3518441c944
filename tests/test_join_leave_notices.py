"""Joining and leaving a meal again and again tells the host once while unread, with the latest
state, instead of a notice and a push per tap."""

from __future__ import annotations

from tests.helpers import gql, register
from tests.test_meals import JOIN, LEAVE, NOTES, host_meal

READ = "mutation { markNotificationsRead { errors { code } } }"


async def about(client, host, meal):
    body = (await gql(client, NOTES, token=host))["data"]
    mine = [e["node"] for e in body["notifications"]["edges"] if (e["node"]["meal"] or {}).get("id") == meal]
    return [(n["kind"], n["message"], n["read"]) for n in mine], body["unreadNotificationCount"]


async def test_a_diner_toggling_join_and_leave_tells_the_host_once_with_the_latest_state(client):
    host, _, meal, _ = await host_meal(client)
    diner, _, _ = await register(client, name="反复横跳")
    for _ in range(4):
        assert (await gql(client, JOIN, {"id": meal}, diner))["data"]["joinSharedMeal"]["errors"] == []
        assert (await gql(client, LEAVE, {"id": meal}, diner))["data"]["leaveSharedMeal"]["errors"] == []
    notes, unread = await about(client, host, meal)
    assert notes == [("meal_left", "反复横跳 退出了「周五火锅局」", False)] and unread == 1
    assert (await gql(client, JOIN, {"id": meal}, diner))["data"]["joinSharedMeal"]["errors"] == []
    notes, unread = await about(client, host, meal)
    assert notes == [("meal_joined", "反复横跳 加入了「周五火锅局」", False)] and unread == 1
    # Once the host has read it, the next change is news again.
    await gql(client, READ, token=host)
    assert (await gql(client, LEAVE, {"id": meal}, diner))["data"]["leaveSharedMeal"]["errors"] == []
    notes, unread = await about(client, host, meal)
    assert notes[0] == ("meal_left", "反复横跳 退出了「周五火锅局」", False) and unread == 1
    assert ("meal_joined", "反复横跳 加入了「周五火锅局」", True) in notes
