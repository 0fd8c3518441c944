"""Photos no review shows are deleted with their files after PHOTO_KEEP_DAYS (the orphan
clean-up, resolvers/reviews/upload_cleanup.py): taken off a review, their review deleted, or
confirmed and never used. Photos on a review stay, whatever their age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.reviews import Photo
from resolvers.reviews.upload_cleanup import PHOTO_KEEP_DAYS, cleanup_uploads
from schema.ids import decode
from tests.helpers import gql, register
from tests.media_helpers import upload_photo
from tests.test_reviews import UPDATE, a_dish, review

DELETE = "mutation($id: ID!) { deleteReview(reviewId: $id) { errors { code } } }"


def days(n: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=n)


async def files_of(photo: dict) -> tuple[str, str]:
    row = await Photo.get(id=decode(photo["id"], "Photo", "id"))
    return row.key, row.thumbnail_key


async def gone(services, photo: dict, keys: tuple[str, str]) -> bool:
    """The row and both files are gone."""
    row_gone = not await Photo.filter(id=decode(photo["id"], "Photo", "id")).exists()
    return row_gone and all([await services.storage.read(key) is None for key in keys])


async def test_photos_taken_off_a_review_or_left_behind_go_after_the_keep_period(client, services):
    _, _, dish = await a_dish(client)
    token, _, _ = await register(client)
    kept, dropped, unused = [await upload_photo(client, token) for _ in range(3)]
    keys = {p["id"]: await files_of(p) for p in (kept, dropped, unused)}
    written = await review(client, token, dish, photo_ids=[kept["id"], dropped["id"]])
    assert written["errors"] == []
    edited = await gql(
        client, UPDATE, {"id": written["review"]["id"], "i": {"photoIds": [kept["id"]]}}, token
    )
    assert edited["data"]["updateReview"]["errors"] == []

    await cleanup_uploads(services, now=days(PHOTO_KEEP_DAYS - 1))  # moderators may still look
    assert not any([await gone(services, p, keys[p["id"]]) for p in (kept, dropped, unused)])
    report = await cleanup_uploads(services, now=days(PHOTO_KEEP_DAYS + 1))
    assert report.swept_photos >= 2
    assert await gone(services, dropped, keys[dropped["id"]]) and await gone(services, unused, keys[unused["id"]])
    assert not await gone(services, kept, keys[kept["id"]])  # still on the review, whatever its age
    assert await services.storage.read(keys[kept["id"]][0]) is not None

    assert (await gql(client, DELETE, {"id": written["review"]["id"]}, token))["data"]["deleteReview"][
        "errors"
    ] == []
    await cleanup_uploads(services, now=days(PHOTO_KEEP_DAYS + 1))
    assert await gone(services, kept, keys[kept["id"]])


async def test_a_review_taking_an_old_free_photo_keeps_it_or_is_told_not_found(client, services):
    _, _, dish = await a_dish(client)
    _, _, other_dish = await a_dish(client)
    token, _, _ = await register(client)
    taken, swept = await upload_photo(client, token), await upload_photo(client, token)
    long_ago = days(-(PHOTO_KEEP_DAYS + 5))
    for photo in (taken, swept):
        await Photo.filter(id=decode(photo["id"], "Photo", "id")).update(free_since=long_ago)

    assert (await review(client, token, dish, photo_ids=[taken["id"]]))["errors"] == []  # first
    await cleanup_uploads(services, now=datetime.now(UTC))
    assert await Photo.filter(id=decode(taken["id"], "Photo", "id"), free_since=None).exists()
    late = await review(client, token, other_dish, photo_ids=[swept["id"]])  # after the sweep
    assert late["errors"][0]["code"] == "NOT_FOUND" and late["review"] is None


async def test_a_photo_sent_in_a_chat_is_never_swept(client, services):
    """A photo on a message is used, as one on a review: it was swept after 30 days (the message
    kept its text and lost its picture) because only reviews cleared `free_since`."""
    from tests.test_conversations import pair, say

    a, _, _, _, conversation = await pair(client)
    sent, old = await upload_photo(client, a), await upload_photo(client, a)
    keys = await files_of(sent)
    assert (await say(client, a, conversation, "看这道菜", sent["id"]))["errors"] == []
    # One on a message since before this change (its `free_since` still set from confirmation).
    long_ago = days(-(PHOTO_KEEP_DAYS + 5))
    assert (await say(client, a, conversation, "还有这个", old["id"]))["errors"] == []
    await Photo.filter(id=decode(old["id"], "Photo", "id")).update(free_since=long_ago)
    await cleanup_uploads(services, now=days(PHOTO_KEEP_DAYS + 1))
    assert not await gone(services, sent, keys) and not await gone(services, old, await files_of(old))

    swept = await upload_photo(client, a)
    await Photo.filter(id=decode(swept["id"], "Photo", "id")).update(free_since=long_ago)
    await cleanup_uploads(services, now=datetime.now(UTC))
    late = await say(client, a, conversation, "晚了", swept["id"])  # after the sweep took it
    assert late["errors"][0]["code"] == "NOT_FOUND" and late["message"] is None
