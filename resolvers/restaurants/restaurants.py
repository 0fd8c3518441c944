"""Restaurants and dishes: create, edit, archive, staff, nearby and CJK-safe search."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise import connections
from tortoise.transactions import in_transaction

from core.atomic import lock_row
from core.context import Context
from core.error_text import too_long, unknown_tags
from core.errors import BadRequestError, Collector, ErrorCode, UserInputError
from core.loaders import Shaped, Slot, by_key, group_by_key
from core.nearby import check_coordinates, check_radius
from core.pagination import Page, decode_cursor, encode_cursor, page_size
from core.text import check_visible_text, check_visible_texts, distinct_tags
from models.accounts import Role
from models.meals import MealStatus, RestaurantEvent, SharedMeal
from models.restaurants import Dish, Restaurant, RestaurantStaff, StaffRole
from models.tables import HOLDING, Booking, BookingStatus
from resolvers import visibility
from resolvers.accounts.accounts import write_limit
from resolvers.deals import rollup
from resolvers.foodies.tastes import CUISINE_BY_NAME, CUISINES, known_tags
from resolvers.meals import notifications
from resolvers.restaurants.access import require_staff
from resolvers.reviews import ratings
from resolvers.search.index import reindex_restaurant

RESTAURANT_KIND = "restaurant"
MAX_PRICE_CENTS = 10_000_000  # ¥100,000: a typo guard, not a business rule
# 028-8666 1234, +86 138 0000 0000, (028) 86661234, 400-820-8820转1; empty: no phone.
PHONE = re.compile(r"(\+?\(?[0-9][0-9 ()-]*(?:(?:转|ext\.?|x) ?[0-9]+)?)?", re.IGNORECASE)


@dataclass
class RestaurantFields:
    name: str | None = None
    lat: float | None = None
    lng: float | None = None
    address: str | None = None
    cuisines: list[str] | None = None
    phone: str | None = None


@dataclass
class DishFields:
    name: str | None = None
    price_cents: int | None = None
    tags: list[str] | None = None
    description: str | None = None


def search_text(name: str, address: str, cuisines: Sequence[str]) -> str:
    """Lower-cased haystack: name, address, cuisine tags (#tag) and their Chinese labels."""
    labels = " ".join(f"#{c} {CUISINES.get(c, '')}" for c in cuisines)
    return f"{name} {address} {labels}".lower()


def _check_restaurant(fields: RestaurantFields, collector: Collector, creating: bool) -> None:
    if fields.name is not None or creating:
        name = (fields.name or "").strip()
        if not name:
            collector.add("name", ErrorCode.INVALID, "Name is required")
        elif len(name) > 120:
            collector.add("name", ErrorCode.TOO_LONG, too_long(120))
        else:
            check_visible_text(name, "name", collector)
        fields.name = name
    if fields.address is not None:
        fields.address = fields.address.strip()
        if len(fields.address) > 255:
            collector.add("address", ErrorCode.TOO_LONG, too_long(255))
        check_visible_text(fields.address, "address", collector)
    if fields.phone is not None:
        fields.phone = " ".join(fields.phone.split())
        if len(fields.phone) > 32:
            collector.add("phone", ErrorCode.TOO_LONG, too_long(32))
        elif not PHONE.fullmatch(fields.phone):  # a number to dial, not 加微信… or hidden characters
            message = "A phone number: digits, spaces, + - ( ) and 转 before an extension"
            collector.add("phone", ErrorCode.INVALID, message)
    if fields.cuisines is not None:
        fields.cuisines, unknown = known_tags(fields.cuisines, CUISINE_BY_NAME)  # sichuan or 川菜
        if unknown:
            collector.add("cuisines", ErrorCode.UNKNOWN_TAG, unknown_tags("Unknown cuisines", unknown))
    if creating or fields.lat is not None or fields.lng is not None:
        if fields.lat is None or fields.lng is None:
            collector.add("lat", ErrorCode.INVALID, "lat and lng go together")
        else:
            try:
                check_coordinates(fields.lat, fields.lng)
            except UserInputError as error:
                for field, code, message in error.errors:
                    collector.add(field, code, message)


async def create_restaurant(ctx: Context, fields: RestaurantFields) -> Restaurant:
    viewer = await write_limit(ctx, "restaurant")
    if viewer.role not in (Role.RESTAURANT, Role.ADMIN):
        raise UserInputError(ErrorCode.FORBIDDEN, "Only restaurant accounts can create restaurants")
    collector = Collector()
    _check_restaurant(fields, collector, creating=True)
    collector.raise_if_any()
    assert fields.name is not None and fields.lat is not None and fields.lng is not None
    cuisines = fields.cuisines or []
    address = (fields.address or "").strip()
    async with in_transaction("default"):
        restaurant = await Restaurant.create(
            owner_id=viewer.id,
            name=fields.name,
            address=address,
            lat=fields.lat,
            lng=fields.lng,
            cuisines=cuisines,
            phone=(fields.phone or "").strip(),
            search_text=search_text(fields.name, address, cuisines),
        )
        await RestaurantStaff.create(restaurant_id=restaurant.id, user_id=viewer.id, role=StaffRole.OWNER)
        await ctx.services.geo.upsert(RESTAURANT_KIND, restaurant.id, fields.lat, fields.lng)
        await reindex_restaurant(restaurant.id)
    return restaurant


async def update_restaurant(ctx: Context, restaurant_id: int, fields: RestaurantFields) -> Restaurant:
    viewer = await write_limit(ctx, "restaurant")
    await require_staff(viewer, restaurant_id, owner=True)
    collector = Collector()
    _check_restaurant(fields, collector, creating=False)
    collector.raise_if_any()
    changes = {
        name: value.strip() if isinstance(value, str) else value
        for name in ("name", "address", "cuisines", "phone", "lat", "lng")
        if (value := getattr(fields, name)) is not None
    }
    async with in_transaction("default"):
        # Only the fields asked for, on the row as it is now (locked): a save of the whole row
        # read earlier brought back a restaurant archived, or hidden by a moderator, meanwhile
        # (and put a closed one back on the map). The counters first, as review writers take
        # them: the reindex below writes the search documents their triggers write (PostgreSQL
        # found a deadlock between this edit and a review being posted).
        await ratings.lock(restaurant_id)
        locked = await lock_row("restaurants", restaurant_id, "archived", strength="NO KEY UPDATE")
        if locked is None or locked["archived"]:
            raise UserInputError(ErrorCode.NOT_FOUND, "No such restaurant", "restaurantId")
        restaurant = await Restaurant.get(id=restaurant_id)
        for name, value in changes.items():
            setattr(restaurant, name, value)
        restaurant.search_text = search_text(restaurant.name, restaurant.address, restaurant.cuisines)
        await restaurant.save(update_fields=[*changes, "search_text"])
        await ctx.services.geo.upsert(RESTAURANT_KIND, restaurant.id, restaurant.lat, restaurant.lng)
        await reindex_restaurant(restaurant.id)
    return restaurant


async def archive_restaurant(ctx: Context, restaurant_id: int) -> Restaurant:
    viewer = await write_limit(ctx, "restaurant")
    restaurant = await require_staff(viewer, restaurant_id, owner=True)

    async def set_archived() -> None:
        restaurant.archived = True
        await restaurant.save(update_fields=["archived"])
        await ctx.services.geo.remove(RESTAURANT_KIND, restaurant.id)

    await _close_down(ctx, restaurant, CLOSED, set_archived)
    return restaurant


# What the notices say happened to the restaurant: its owner closed it, or moderation took it down.
CLOSED = "已停业"
TAKEN_DOWN = "已下线"


async def call_off_after_removal(ctx: Context, restaurant_id: int) -> None:
    """A restaurant moderation removed (REMOVE_CONTENT) is gone for its diners as a closed one:
    its deals end, unused vouchers are refunded (free ones void), future bookings and events are
    called off and upcoming shared meals cancelled, each diner told once that it was taken down.
    Hiding (reversible, under review) calls nothing off; a restored restaurant starts afresh."""
    restaurant = await Restaurant.get_or_none(id=restaurant_id)
    if restaurant is not None:
        await _close_down(ctx, restaurant, TAKEN_DOWN)


async def _close_down(
    ctx: Context, restaurant: Restaurant, state: str, inside: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Everything a restaurant leaving calls off, `inside` first in the same transaction."""
    from resolvers.deals import closure  # deals import this module: resolved at call time

    zone = await rollup.time_zone(restaurant.id)  # the words of every notice below
    async with in_transaction("default"):
        if inside is not None:
            await inside()
        closed = await closure.end_sales(ctx, restaurant.id, state)  # its deals' locks first, as before
        moved, told = await _call_off_plans(ctx, restaurant, zone, state)
    await closure.settle(ctx, closed)
    await _after_call_off(ctx, moved, told)
    await _call_off_meals(ctx, restaurant, zone, state)


async def _call_off_meals(ctx: Context, restaurant: Restaurant, zone: str, state: str) -> None:
    """After the close: its upcoming shared meals are cancelled (a closed restaurant's meals are
    out of everyone's sight, the host's too, so none could be moved elsewhere): guests get
    `meal_cancelled` saying why, the host `restaurant_closed`."""
    from resolvers.meals import meals
    from resolvers.tables.offers import local_time

    upcoming = SharedMeal.filter(
        restaurant_id=restaurant.id, status=MealStatus.OPEN, starts_at__gt=datetime.now(UTC)
    )
    hosts: list[int] = []
    for meal in await upcoming.order_by("starts_at", "id"):
        try:
            await meals.cancel(ctx, meal, why=f"：「{restaurant.name}」{state}")
        except UserInputError:
            continue  # cancelled or over meanwhile
        when = local_time(meal.starts_at, zone)
        text = f"「{restaurant.name}」{state}，你 {when} 的饭局「{meal.title}」已取消"
        await notifications.notify(
            ctx,
            [meal.host_id],
            "restaurant_closed",
            text,
            meal_id=meal.id,
            dedupe_key=f"restaurant_closed:{restaurant.id}:meal:{meal.id}",
        )
        hosts.append(meal.host_id)
    await notifications.announce(ctx, hosts)


async def _call_off_plans(
    ctx: Context, restaurant: Restaurant, zone: str, state: str
) -> tuple[list[Booking], list[int]]:
    """Inside the close-down's transaction: every live future booking cancelled (its seats back),
    every upcoming event cancelled (its places freed), each diner told once what was called off,
    in the restaurant's local time. Returns the bookings moved and the diners told."""
    from resolvers.meals import events  # events, bookings import this module: at call time
    from resolvers.tables import bookings
    from resolvers.tables.offers import local_time

    now = datetime.now(UTC)
    lost: dict[int, list[tuple[datetime, str]]] = {}
    moved: list[Booking] = []
    live = Booking.filter(restaurant_id=restaurant.id, status__in=list(HOLDING), starts_at__gt=now)
    for booking in await live.order_by("starts_at", "id"):
        # The conditional move: a diner cancelling at the same moment wins or loses whole, and
        # only the winner gives the seats back.
        if await bookings.move(booking, HOLDING, BookingStatus.CANCELLED):
            moved.append(booking)
            lost.setdefault(booking.user_id, []).append(
                (booking.starts_at, f"{local_time(booking.starts_at, zone)} 的订座")
            )
    upcoming = RestaurantEvent.filter(restaurant_id=restaurant.id, cancelled=False, starts_at__gt=now)
    for event in await upcoming.order_by("starts_at", "id"):
        for user_id in await events.end_event(event) or []:
            lost.setdefault(user_id, []).append(
                (event.starts_at, f"{local_time(event.starts_at, zone)} 的活动「{event.title}」")
            )
    for user_id, items in sorted(lost.items()):
        parts = [what for _, what in sorted(items, key=lambda item: item[0])]
        listed = "、".join(parts[:3]) + (f" 等 {len(parts)} 项" if len(parts) > 3 else "")
        await notifications.notify(
            ctx,
            [user_id],
            "restaurant_closed",
            f"「{restaurant.name}」{state}，你 {listed}已取消",
            dedupe_key=f"restaurant_closed:{restaurant.id}:{user_id}",
        )
    return moved, sorted(lost)


async def _after_call_off(ctx: Context, moved: list[Booking], told: list[int]) -> None:
    """After the commit: booking subscribers and the inbox see the cancellations, badges move."""
    from resolvers.tables import inbox

    for booking in moved:
        await inbox.changed(ctx, booking)
    await notifications.announce(ctx, told)


def _check_dish(fields: DishFields, collector: Collector, creating: bool) -> None:
    if fields.name is not None or creating:
        fields.name = (fields.name or "").strip()
        if not fields.name:
            collector.add("name", ErrorCode.INVALID, "Name is required")
        elif len(fields.name) > 120:
            collector.add("name", ErrorCode.TOO_LONG, too_long(120))
        else:
            check_visible_text(fields.name, "name", collector)
    if fields.price_cents is not None or creating:
        if fields.price_cents is None or not 0 <= fields.price_cents <= MAX_PRICE_CENTS:
            collector.add("priceCents", ErrorCode.OUT_OF_RANGE, f"Between 0 and {MAX_PRICE_CENTS} cents")
    if fields.tags is not None:
        fields.tags = distinct_tags(fields.tags)
        if len(fields.tags) > 12 or any(len(t) > 24 for t in fields.tags):
            collector.add("tags", ErrorCode.OUT_OF_RANGE, "At most 12 tags of 24 characters")
        check_visible_texts(fields.tags, "tags", collector)
    if fields.description is not None:
        if len(fields.description) > 500:
            collector.add("description", ErrorCode.TOO_LONG, too_long(500))
        check_visible_text(fields.description, "description", collector, multiline=True)


# A space between two Chinese characters is not read: 鲜 毛肚 is 鲜毛肚 (between words it is).
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff]) (?=[\u3400-\u9fff\uf900-\ufaff])")


def _menu_key(name: str) -> str:
    """How a diner reads a dish name: width, case and spacing don't make another dish."""
    return _CJK_GAP.sub("", unicodedata.normalize("NFKC", " ".join(name.split())).casefold())


async def _check_new_name(restaurant_id: int, name: str, dish_id: int | None = None) -> None:
    """One dish per name on a menu (鲜毛肚 three times would split its reviews and ratings).
    The restaurant's row is locked first, so two staff adding the same dish at once make one."""
    await lock_row("restaurants", restaurant_id, "id", strength="NO KEY UPDATE")
    others = Dish.filter(restaurant_id=restaurant_id, archived=False)
    if dish_id is not None:
        others = others.exclude(id=dish_id)
    if _menu_key(name) in {_menu_key(n) for n in await others.values_list("name", flat=True)}:
        raise UserInputError(ErrorCode.DUPLICATE, f"The menu already has 「{name}」", "name")


async def add_dish(ctx: Context, restaurant_id: int, fields: DishFields) -> Dish:
    viewer = await write_limit(ctx, "dish")
    await require_staff(viewer, restaurant_id)
    collector = Collector()
    _check_dish(fields, collector, creating=True)
    collector.raise_if_any()
    async with in_transaction("default"):
        await ratings.lock(restaurant_id)  # the review writers' order: counters, then the menu
        await _check_new_name(restaurant_id, fields.name or "")
        dish = await Dish.create(
            restaurant_id=restaurant_id,
            name=fields.name,
            price_cents=fields.price_cents,
            tags=fields.tags or [],
            description=(fields.description or "").strip(),
        )
        await reindex_restaurant(restaurant_id)
    return dish


async def _staff_dish(ctx: Context, dish_id: int) -> Dish:
    viewer = await write_limit(ctx, "dish")
    dish = await Dish.get_or_none(id=dish_id, archived=False)
    if dish is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such dish", "dishId")
    await require_staff(viewer, dish.restaurant_id, field="dishId")
    return dish


async def update_dish(ctx: Context, dish_id: int, fields: DishFields) -> Dish:
    dish = await _staff_dish(ctx, dish_id)
    collector = Collector()
    _check_dish(fields, collector, creating=False)
    collector.raise_if_any()
    changes = {
        name: getattr(fields, name)
        for name in ("name", "price_cents", "tags", "description")
        if getattr(fields, name) is not None
    }
    async with in_transaction("default"):
        await ratings.lock(dish.restaurant_id)  # the review writers' order: counters, then the dish
        if fields.name is not None:
            await _check_new_name(dish.restaurant_id, fields.name, dish.id)
        # Only the fields asked for, and only while not archived: a save of the whole row read
        # earlier would write back stale rating counters (a review posted meanwhile lost) or
        # bring back a dish archived meanwhile.
        if changes and not await Dish.filter(id=dish.id, archived=False).update(**changes):
            raise UserInputError(ErrorCode.NOT_FOUND, "No such dish", "dishId")
        await reindex_restaurant(dish.restaurant_id)
    return await Dish.get(id=dish.id)


async def archive_dish(ctx: Context, dish_id: int) -> Dish:
    dish = await _staff_dish(ctx, dish_id)
    dish.archived = True
    async with in_transaction("default"):
        await ratings.lock(dish.restaurant_id)  # the review writers' order: counters, then the dish
        await dish.save(update_fields=["archived"])
        await reindex_restaurant(dish.restaurant_id)
    return dish


async def unarchive_dish(ctx: Context, dish_id: int) -> Dish:
    """重新上架: an archived dish back on the menu with its reviews and ratings (they stayed on
    it), unless the menu took its name again meanwhile (DUPLICATE)."""
    viewer = await write_limit(ctx, "dish")
    dish = await Dish.get_or_none(id=dish_id, archived=True)
    if dish is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such dish off the menu", "dishId")
    await require_staff(viewer, dish.restaurant_id, field="dishId")
    async with in_transaction("default"):
        await ratings.lock(dish.restaurant_id)  # the review writers' order: counters, then the dish
        await _check_new_name(dish.restaurant_id, dish.name, dish.id)
        if not await Dish.filter(id=dish.id, archived=True).update(archived=False):
            raise UserInputError(ErrorCode.NOT_FOUND, "No such dish off the menu", "dishId")
        await reindex_restaurant(dish.restaurant_id)
    return await Dish.get(id=dish.id)


def _public_restaurants():  # noqa: ANN202 - queryset
    return Restaurant.filter(visibility.restaurants_q())


_VISIBLE_ROWS: dict[str, str] = {}


def _visible_rows_sql() -> str:
    """The visible restaurants as one SELECT (visibility.restaurants_q rendered by Tortoise, values
    inlined: constants), for geo/ to join with the nearest points. Built once per dialect."""
    dialect = connections.get("default").capabilities.dialect
    if dialect not in _VISIBLE_ROWS:
        _VISIBLE_ROWS[dialect] = _public_restaurants().sql(params_inline=True)
    return _VISIBLE_ROWS[dialect]


async def restaurants_nearby(
    ctx: Context, lat: float, lng: float, radius_km: float, first: int | None, after: str | None
) -> Page[tuple[Restaurant, float]]:
    """Nearest first, exact distance (restaurants are public places).

    Hidden restaurants stay in the spatial index (moderation may restore them): the spatial
    query joins the visible restaurants' rows and reads past the others inside its index scan,
    so a page is one statement whatever lies hidden between its rows.
    """
    from geo import Hit

    check_coordinates(lat, lng)
    check_radius(radius_km)
    size = page_size(first)
    key = decode_cursor(after, 2)
    try:
        last = Hit(float(key[0]), int(key[1])) if key else None
    except (TypeError, ValueError):
        raise BadRequestError("Malformed cursor") from None

    async def count() -> int:
        """totalCount: one COUNT of the visible restaurants inside the same radius."""
        inside = await ctx.services.geo.within_subquery(RESTAURANT_KIND, lat, lng, radius_km)
        # Planned for its point each time (literals): a generic plan assumes ~10 points inside
        # any radius and picks a GiST index scan where a dense city needs a bitmap scan (2x
        # slower); planning is <1 ms against tens of ms counting. See bench/README.md §15.1.
        return await _public_restaurants().filter(id__in=inside.inlined()).count()

    found = await ctx.services.geo.within_rows(
        RESTAURANT_KIND, lat, lng, radius_km, _visible_rows_sql(), limit=size + 1, after=last
    )
    window = found[:size]
    # Model objects from the joined columns, as Tortoise builds them from its own queries.
    items = [(Restaurant._init_from_db(**row), hit.distance_km) for hit, row in window if row is not None]
    cursors = [encode_cursor([hit.distance_km, hit.object_id]) for hit, _ in window]
    return Page(items, cursors, has_next_page=len(found) > size, count=count)


async def get_restaurant(ctx: Context, restaurant_id: int) -> Restaurant | None:
    return await visibility.fetch(ctx, Restaurant, restaurant_id)


async def get_dish(ctx: Context, dish_id: int) -> Dish | None:
    """The dish if the viewer may see it (see `load_dishes`), else None."""
    return await ctx.loaders.get(load_dishes).load(dish_id)


# ------------------------------------------------------------------ loaders


# Dishes by id as anyone may see them: the dish rule (resolvers/visibility.py `dishes_q`: not
# archived, at a visible restaurant; it reads nothing of the viewer, as the restaurant rule) as the
# statement's own condition, so every single-dish read (dish(id), node(id), Review.dish and any
# other relation through this loader) applies it, still one batched statement per request.
# Staff reach their archived restaurant's menu through myRestaurants (the restaurant's `dishes`).
_VISIBLE_DISHES = Shaped(Dish, lambda many: Dish.filter(visibility.dishes_q(), id__in=Slot("ids", many=many)))
_REVIEWED_DISHES = Shaped(
    Dish, lambda many: Dish.filter(visibility.reviewed_dishes_q(), id__in=Slot("ids", many=many))
)


async def load_dishes(keys: Sequence[int]) -> list[Dish | None]:
    """Each dish the rule lets anyone see, None for the others (archived, restaurant taken down)."""
    return by_key(await _VISIBLE_DISHES.rows(len(keys), {"ids": list(keys)}), keys)


async def load_reviewed_dishes(keys: Sequence[int]) -> list[Dish | None]:
    """Each dish as a review names it (`Review.dish`): archived ones too (visibility.py
    `reviewed_dishes_q`), None when its restaurant is taken down."""
    return by_key(await _REVIEWED_DISHES.rows(len(keys), {"ids": list(keys)}), keys)


async def load_dishes_by_restaurant(keys: Sequence[int]) -> list[list[Dish]]:
    rows = await Dish.filter(restaurant_id__in=list(keys), archived=False).order_by("id")
    return group_by_key(rows, keys, "restaurant_id")


async def load_staff_roles(viewer_id: int, keys: Sequence[int]) -> list[StaffRole | None]:
    rows = await RestaurantStaff.filter(user_id=viewer_id, restaurant_id__in=list(keys))
    roles = {row.restaurant_id: row.role for row in rows}
    return [roles.get(key) for key in keys]


async def load_staff_lists(keys: Sequence[int]) -> list[list[RestaurantStaff]]:
    rows = await RestaurantStaff.filter(restaurant_id__in=list(keys)).order_by("id")
    return group_by_key(rows, keys, "restaurant_id")


def page_of_list(rows: list, first: int | None, after: str | None) -> Page:  # noqa: ANN001
    """Keyset page over an id-ordered list already loaded by a DataLoader."""
    size = page_size(first)
    key = decode_cursor(after, 1)
    try:
        start = int(key[0]) if key else 0
    except (TypeError, ValueError):
        raise BadRequestError("Malformed cursor") from None
    rest = [row for row in rows if row.id > start]
    items = rest[:size]
    return Page(items=items, cursors=[encode_cursor([r.id]) for r in items], has_next_page=len(rest) > size)
