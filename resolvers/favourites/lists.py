"""Favourite lists: create, rename, delete, save and remove items, share by link.

Every write is the owner's: someone else's list or item is NOT_FOUND (never FORBIDDEN, which
would confirm it exists). Saving needs a target the saver may see; saving twice answers the item
already there. The default list is made on the first save without a list; two concurrent first
saves meet on the unique `default_owner` and both use the one that won.

Names are unique per owner: trimmed, compared case-insensitively (NFKC, so full-width Latin
matches too; Chinese has no case). Every name write (create, rename, the default list's
creation) first locks the owner's `users` row (`lock_row`, NO KEY UPDATE), so two parallel
requests for one owner check and write one after the other. The name is stored, not computed:
lists made before the default became 默认收藏 keep "Saved".
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Sequence
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.atomic import lock_row
from core.context import Context
from core.errors import Collector, ErrorCode, UserInputError
from core.loaders import now
from core.pagination import Page, newest_first
from core.text import check_title
from models.accounts import User
from models.favourites import FavouriteItem, FavouriteKind, FavouriteList
from models.meals import Audience, SharedMeal
from models.restaurants import Dish, Restaurant
from resolvers import visibility
from resolvers.accounts.accounts import write_limit

DEFAULT_NAME = "默认收藏"
MAX_NAME = 80
TOKEN_BYTES = 24  # 192 random bits, 32 URL-safe characters
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")

# Global ID type name -> (kind, model, item column).
TARGETS: dict[str, tuple[FavouriteKind, type[Model], str]] = {
    "Restaurant": (FavouriteKind.RESTAURANT, Restaurant, "restaurant_id"),
    "Dish": (FavouriteKind.DISH, Dish, "dish_id"),
    "SharedMeal": (FavouriteKind.SHARED_MEAL, SharedMeal, "meal_id"),
}
# Kind -> the item column naming its target.
COLUMNS: dict[FavouriteKind, str] = {kind: column for kind, _, column in TARGETS.values()}


def _name(name: str) -> str:
    collector = Collector()
    if not name.strip():
        raise UserInputError(ErrorCode.INVALID, "Name is required", "name")
    name = check_title(name, collector, "name", MAX_NAME)
    collector.raise_if_any()
    return name


def name_key(name: str) -> str:
    """What two names must not share: trimmed, NFKC, case-folded (Saved = saved = ＳＡＶＥＤ)."""
    return unicodedata.normalize("NFKC", name.strip()).casefold()


async def _lock_owner(owner_id: int) -> None:
    """Serialize this owner's name writes (call inside a transaction). NO KEY UPDATE: saving an
    item or writing a review that references the user is not blocked."""
    await lock_row("users", owner_id, "id", strength="NO KEY UPDATE")


async def _taken(owner_id: int, name: str, except_id: int | None = None) -> bool:
    """Whether another list of the owner has this name (the owner's row is locked)."""
    names = FavouriteList.filter(owner_id=owner_id)
    if except_id is not None:
        names = names.exclude(id=except_id)
    key = name_key(name)
    return any(name_key(other) == key for other in await names.values_list("name", flat=True))


def _duplicate() -> UserInputError:
    return UserInputError(ErrorCode.DUPLICATE, "You already have a list with this name", "name")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def own_list(ctx: Context, list_id: int) -> FavouriteList:
    viewer = ctx.require_viewer()
    row = await FavouriteList.get_or_none(id=list_id, owner_id=viewer.id)
    if row is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such list", "listId")
    return row


async def default_list(viewer: User) -> FavouriteList:
    """The viewer's default list, made now if they have none."""
    row = await FavouriteList.get_or_none(default_owner=viewer.id)
    if row is not None:
        return row
    try:
        async with in_transaction("default"):
            await _lock_owner(viewer.id)
            row = await FavouriteList.get_or_none(default_owner=viewer.id)
            if row is not None:  # a concurrent first save made it while we waited
                return row
            name, n = DEFAULT_NAME, 1
            while await _taken(viewer.id, name):  # a named list took it: 默认收藏 2, 3 ...
                n += 1
                name = f"{DEFAULT_NAME} {n}"
            return await FavouriteList.create(
                owner_id=viewer.id, name=name, is_default=True, default_owner=viewer.id
            )
    except IntegrityError:  # a concurrent first save made it
        return await FavouriteList.get(default_owner=viewer.id)


async def create_list(ctx: Context, name: str) -> FavouriteList:
    name = _name(name)
    viewer = await write_limit(ctx, "favourites")
    async with in_transaction("default"):
        await _lock_owner(viewer.id)
        if await _taken(viewer.id, name):
            raise _duplicate()
        return await FavouriteList.create(owner_id=viewer.id, name=name)


async def rename_list(ctx: Context, list_id: int, name: str) -> FavouriteList:
    name = _name(name)
    viewer = await write_limit(ctx, "favourites")
    async with in_transaction("default"):
        await _lock_owner(viewer.id)
        row = await own_list(ctx, list_id)
        if name == row.name:
            return row
        if await _taken(viewer.id, name, except_id=row.id):
            raise _duplicate()
        row.name = name
        await row.save(update_fields=["name", "updated_at"])
        return row


async def delete_list(ctx: Context, list_id: int) -> int:
    """Deletes the list and its items (a deleted default list comes back on the next save)."""
    viewer = await write_limit(ctx, "favourites")
    row = await own_list(ctx, list_id)
    await row.delete()
    _forget_saved(ctx, viewer.id)
    return row.id


async def save(
    ctx: Context, type_name: str, target_id: int, list_id: int | None
) -> tuple[FavouriteItem, FavouriteList]:
    """The saved item and its list. A followers-only meal is refused: lists show only what any
    reader of a shared link may see (resolvers/visibility.py), so it would never appear."""
    viewer = await write_limit(ctx, "favourites")
    if type_name not in TARGETS:
        raise UserInputError(ErrorCode.INVALID_ID, "Save a restaurant, a dish or a shared meal", "targetId")
    kind, model, column = TARGETS[type_name]
    target = await visibility.get(ctx, model, target_id)
    if target is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "Nothing to save here", "targetId")
    if isinstance(target, SharedMeal) and target.audience != Audience.PUBLIC:
        raise UserInputError(ErrorCode.INVALID, "Only public meals can be saved", "targetId")
    target_list = await own_list(ctx, list_id) if list_id is not None else await default_list(viewer)
    try:
        item = await FavouriteItem.create(list_id=target_list.id, kind=kind, **{column: target_id})
    except IntegrityError:  # saved already (maybe concurrently): the one item stays
        item = await FavouriteItem.get_or_none(list_id=target_list.id, **{column: target_id})
    if item is None:  # the list was deleted meanwhile
        raise UserInputError(ErrorCode.NOT_FOUND, "No such list", "listId")
    _forget_saved(ctx, viewer.id)
    return item, target_list


async def remove(ctx: Context, item_id: int) -> int:
    viewer = await write_limit(ctx, "favourites")
    deleted = await FavouriteItem.filter(id=item_id, list__owner_id=viewer.id).delete()
    if not deleted:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such saved item", "itemId")
    _forget_saved(ctx, viewer.id)
    return item_id


async def share(ctx: Context, list_id: int) -> tuple[FavouriteList, str]:
    """A new share link (the old one stops working). Only the token's hash is kept: the link is
    shown once, here; sharing again rotates it."""
    await write_limit(ctx, "favourites")
    row = await own_list(ctx, list_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row.share_token_hash = token_hash(token)
    await row.save(update_fields=["share_token_hash", "updated_at"])
    return row, token


async def unshare(ctx: Context, list_id: int) -> FavouriteList:
    await write_limit(ctx, "favourites")
    row = await own_list(ctx, list_id)
    row.share_token_hash = None
    await row.save(update_fields=["share_token_hash", "updated_at"])
    return row


async def by_share_token(ctx: Context, token: str) -> FavouriteList | None:
    """The list a link opens, or None (malformed, revoked, rotated, or owner not visible)."""
    if not _TOKEN.fullmatch(token):
        return None
    row = await FavouriteList.get_or_none(share_token_hash=token_hash(token))
    return row if await visibility.can_read_shared_list(ctx, row) else None


async def my_lists(ctx: Context, first: int | None, after: str | None) -> Page[Any]:
    viewer = ctx.require_viewer()
    return await newest_first(FavouriteList.filter(owner_id=viewer.id), first, after)


async def items(ctx: Context, list_id: int, first: int | None, after: str | None) -> Page[Any]:
    """A list's items the reader is shown; the caller has checked the list itself."""
    condition = await visibility.favourite_items_q(ctx)
    return await newest_first(FavouriteItem.filter(condition, list_id=list_id), first, after)


# ------------------------------------------------------------------ savedByMe (收藏 heart)


async def load_saved(viewer_id: int, kind: FavouriteKind, keys: Sequence[int]) -> list[bool]:
    """Whether the viewer has each target (restaurant, dish or meal ids, as `kind` says) in any
    of their lists: a whole page in one statement (the items joined to the viewer's lists)."""
    column = COLUMNS[kind]
    mine = FavouriteItem.filter(list__owner_id=viewer_id, **{f"{column}__in": list(keys)})
    saved = set(await mine.values_list(column, flat=True))
    return [key in saved for key in keys]


def saved_by_me(ctx: Context, kind: FavouriteKind, target_id: int) -> Any:
    """`savedByMe`: None for an anonymous viewer, else whether they saved the target; the answer
    itself when the request's loader holds it, else its pending future (core/loaders.py `now`),
    so a page of targets asking it costs one statement per kind."""
    viewer = ctx.viewer
    if viewer is None:
        return None
    return now(ctx.loaders.get(load_saved, viewer.id, kind), target_id)


def _forget_saved(ctx: Context, viewer_id: int) -> None:
    """A save or removal changes what the viewer saved: later fields of this request read again."""
    for kind in COLUMNS:
        ctx.loaders.get(load_saved, viewer_id, kind).clear_all()
