"""Restaurant and dish search: token match + filters + sorts in one SQL statement per page.

Matching: every query token (models/search_tokens.py) must be in the document: a GIN `@>` on
PostgreSQL, an FTS5 `MATCH` on SQLite. When none holds them all, one relaxed pass lets go of the
bigrams across word breaks in long CJK runs (重庆火锅 -> 重庆 + 火锅; `_page`). RELEVANCE ranks
documents whose *name* holds every token first, then by popularity (review count), then newest;
it is the same order on both backends (no bm25 / ts_rank, whose scores differ). Radius: the geo
index gives the nearest GEO_CAP restaurants in the radius, and the statement keeps only those.
"Open now" needs each restaurant's own time zone and holidays, so it is checked in Python on the
rows read, reading on (bounded) until the page is full. Cursors hold the position in the
statement's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum
from functools import partial
from typing import Any

from core.context import Context
from core.error_text import between, too_long
from core.errors import BadRequestError, Collector, ErrorCode, UserInputError
from core.nearby import MAX_RADIUS_KM, check_coordinates, check_radius
from core.pagination import Page, decode_cursor, encode_cursor, page_size
from core.text import check_visible_text
from geo.distance import distance_km
from models.chinese_search import to_simplified
from models.deals import DealStatus
from models.restaurants import Dish, Restaurant, Visibility
from models.search_tokens import query_tokens, relaxed_query_tokens
from resolvers.foodies.tastes import CUISINE_BY_NAME, fold
from resolvers.restaurants.opening import open_flags
from resolvers.search.sql import Params, is_postgres, rows

MAX_QUERY_CHARS = 200
MAX_QUERY_TOKENS = 32
MAX_OFFSET = 1000  # results deeper than this are not paged (nobody reads page 51)
COUNT_CAP = 1000  # totalCount counts this many matches at most
GEO_CAP = 1000  # nearest restaurants a radius search considers
DISTANCE_CAP = 5000  # rows a DISTANCE sort orders in Python
SCAN_ROUNDS = 5  # "open now": batches read past closed places per page
SCAN_BATCH = 100
SCAN_CAP = 2000  # documents a sort's index walk looks at before a rare word takes the exact read
RESTAURANT_KIND = "restaurant"
BROWSE_RADIUS_KM = 3.0  # browsing without a word or cuisine and without a radius: restaurantsNearby's


class Sort(Enum):
    RELEVANCE = "relevance"
    DISTANCE = "distance"
    RATING = "rating"
    POPULARITY = "popularity"


@dataclass
class Criteria:
    query: str = ""
    cuisine: str | None = None
    lat: float | None = None
    lng: float | None = None
    radius_km: float | None = None
    open_now: bool = False
    price_levels: list[int] | None = None
    max_price_cents: int | None = None
    has_live_deal: bool = False
    min_rating: float | None = None
    sort: Sort = Sort.RELEVANCE
    tokens: list[str] = field(default_factory=list)
    # The relaxed token sets (models/search_tokens.relaxed_query_tokens), used (`relaxed`) when
    # no document holds every token: words written together (重庆火锅) match where they're apart.
    relaxed_sets: list[list[str]] = field(default_factory=list)
    relaxed: bool = False
    # Match the name only (search suggestions: what was typed is the start of a name).
    names_only: bool = False
    # Only symbols or emoji were typed (🌶️, %): no word to look for, so nothing matches (an
    # empty list, not an error toast).
    wordless: bool = False


def cuisine_tag(cuisine: str | None) -> str | None:
    """The cuisine's tag; None when none is asked; an unknown one is BAD_USER_INPUT."""
    if not (cuisine or "").strip():
        return None
    # A zh-Hant app sends the label it shows (火鍋): read as simplified, as queries are (tags
    # and simplified labels read as themselves).
    tag = CUISINE_BY_NAME.get(fold(to_simplified(cuisine or "")))
    if tag is None:
        message = "Unknown cuisine: give a tag of cuisineTags (hotpot) or its Chinese label (火锅)"
        raise UserInputError(ErrorCode.UNKNOWN_TAG, message, "cuisine")
    return tag


def token_sets(c: Criteria) -> list[list[str]]:
    """The token sets of which a document must hold one: the query's tokens, or relaxed ones."""
    return c.relaxed_sets if c.relaxed and c.relaxed_sets else [c.tokens]


@dataclass
class Hit:
    id: int
    restaurant_id: int
    distance_km: float | None


def check_criteria(c: Criteria) -> None:
    """Bad input is a UserError (BAD_USER_INPUT), never a 500 or a slow scan."""
    collector = Collector()
    if len(c.query) > MAX_QUERY_CHARS or len(c.cuisine or "") > MAX_QUERY_CHARS:
        collector.add("query", ErrorCode.TOO_LONG, too_long(MAX_QUERY_CHARS))
    else:
        check_visible_text(c.query, "query", collector)
        check_visible_text(c.cuisine or "", "cuisine", collector)
    collector.raise_if_any()
    c.tokens = query_tokens(c.query)[:MAX_QUERY_TOKENS]
    browsing = not c.tokens and not (c.cuisine or "").strip()
    c.wordless = browsing and bool(c.query.strip())
    if browsing and not c.wordless and (c.lat is None or c.lng is None):
        message = "Give a search word, a cuisine or a place (lat, lng)"
        raise UserInputError(ErrorCode.INVALID, message, "query")
    if browsing and not c.wordless and c.radius_km is None and c.sort is not Sort.DISTANCE:
        c.radius_km = BROWSE_RADIUS_KM  # 附近: what is around, never the whole city unfiltered
    c.cuisine = cuisine_tag(c.cuisine)
    c.relaxed_sets = [tokens[:MAX_QUERY_TOKENS] for tokens in relaxed_query_tokens(c.query)]
    if (c.lat is None) != (c.lng is None):
        raise UserInputError(ErrorCode.INVALID, "lat and lng go together", "lat")
    if c.lat is not None and c.lng is not None:
        check_coordinates(c.lat, c.lng)
        if c.radius_km is None and c.sort is Sort.DISTANCE:
            c.radius_km = MAX_RADIUS_KM  # nearest first, across the city
        if c.radius_km is not None:
            check_radius(c.radius_km)
    elif c.sort is Sort.DISTANCE:
        raise UserInputError(ErrorCode.INVALID, "Sorting by distance needs lat and lng", "sort")
    elif c.radius_km is not None:
        raise UserInputError(ErrorCode.INVALID, "radiusKm needs lat and lng", "radiusKm")
    if c.min_rating is not None and not 1 <= c.min_rating <= 5:
        raise UserInputError(
            ErrorCode.OUT_OF_RANGE, between("minRating is between 1 and 5", 1, 5), "minRating"
        )
    if c.price_levels is not None and not all(1 <= level <= 4 for level in c.price_levels):
        raise UserInputError(ErrorCode.OUT_OF_RANGE, between("Price levels are 1 to 4", 1, 4), "priceLevels")
    if c.max_price_cents is not None and c.max_price_cents < 0:
        raise UserInputError(ErrorCode.OUT_OF_RANGE, "maxPriceCents is not negative", "maxPriceCents")


def _match(p: Params, column: str, sets: list[list[str]]) -> str:
    """The document at `d` holds every token of one of the sets in `column` (name_tokens or
    tokens). One set (the strict search) is one `@>` / one AND; relaxed ones are OR'ed."""
    if p.postgres:
        array = "d.name_array" if column == "name_tokens" else "d.token_array"
        contains = [f"{array} @> {p(tokens, '::text[]')}" for tokens in sets]
        return contains[0] if len(contains) == 1 else f"({' OR '.join(contains)})"
    # Tokens hold no quotes or spaces.
    ands = [" AND ".join(f'"{t}"' for t in tokens) for tokens in sets]
    expression = ands[0] if len(ands) == 1 else " OR ".join(f"({a})" for a in ands)
    return f"d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH {p(f'{column} : ({expression})')})"


def _filters(
    kind: str, c: Criteria, p: Params, now: datetime, ids: list[int] | None, matched: bool = False
) -> list[str]:
    """The WHERE conditions every row of the search meets (kind and token match included, unless
    the documents `d` are `matched` already)."""
    visible = Visibility.VISIBLE.value
    where = ["r.archived = false", f"r.visibility = '{visible}'"]
    if not matched:
        where.insert(0, f"d.kind = '{kind}'")
    if c.tokens and not matched:
        where.append(_match(p, "name_tokens" if c.names_only else "tokens", token_sets(c)))
    if c.cuisine:
        # search_text holds "#tag label" per cuisine (resolvers/restaurants): an exact tag match
        # (a known tag, cuisine_tag: its only LIKE wildcard is a `_`, which meets only itself there).
        where.append(f"r.search_text LIKE {p('%#' + c.cuisine + ' %')}")
    if ids is not None:
        where.append(f"d.restaurant_id IN ({', '.join(str(int(i)) for i in ids) or 'NULL'})")
    if c.price_levels:
        level = "d.price_level" if kind == "restaurant" else "r_doc.price_level"
        where.append(f"{level} IN ({', '.join(str(int(x)) for x in c.price_levels)})")
    if c.max_price_cents is not None and kind == "dish":
        where.append(f"d.price_cents <= {p(c.max_price_cents)}")
    if c.has_live_deal:
        where.append(
            "EXISTS (SELECT 1 FROM deals l WHERE l.restaurant_id = r.id "
            f"AND l.status = '{DealStatus.ACTIVE.value}' AND l.visibility = '{visible}' "
            f"AND l.starts_at <= {p(now)} AND l.ends_at > {p(now)})"
        )
    if c.min_rating is not None:
        where.append(f"d.rating_weight > 0 AND d.rating_sum >= {p(c.min_rating)} * d.rating_weight")
    return where


def _select(kind: str, c: Criteria, where: list[str], name_hit: int, docs: str = "search_docs") -> str:
    """One SELECT over the documents `docs` (the sort keys live on the document: migration 0002)."""
    if kind == "restaurant":
        source = f"{docs} d JOIN restaurants r ON r.id = d.object_id"
    else:
        source = (
            f"{docs} d JOIN dishes x ON x.id = d.object_id AND x.archived = false "
            "JOIN restaurants r ON r.id = d.restaurant_id"
        )
        if c.price_levels:
            source += " JOIN search_docs r_doc ON r_doc.kind = 'restaurant' AND r_doc.object_id = r.id"
    return (
        f"SELECT d.object_id AS id, d.restaurant_id AS restaurant_id, d.rating_sum AS rating_sum, "
        f"d.rating_weight AS rating_weight, d.review_count AS review_count, {name_hit} AS name_hit "
        f"FROM {source} WHERE {' AND '.join(where)}"
    )


# Written as in the index search_docs_rated (models/migrations/search/0002), so it is used.
RATING_KEY = "(CASE WHEN {t}rating_weight > 0 THEN {t}rating_sum * 1.0 / {t}rating_weight ELSE -1 END)"
# Each sort in the documents' index order ({t}: table, {id}: the object id column there).
ORDER = {
    Sort.POPULARITY: "{t}review_count DESC, {t}{id} DESC",
    Sort.RATING: RATING_KEY + " DESC, {t}review_count DESC, {t}{id} DESC",
    Sort.DISTANCE: "{t}{id}",
}


def _part(kind: str, c: Criteria, p: Params, now: datetime, ids: list[int] | None, part: Part) -> str:
    """The first `part.depth` rows of (a half of) the search in `part.sort`'s order.

    Capped (PostgreSQL): only the first SCAN_CAP documents of the kind in the sort's index order
    are looked at, so a very common word costs a short index walk, never its whole posting list;
    the rows found are the first matches in the sort's order, so the page is exact. When that
    yields fewer than `depth` rows the word is rare there, and the exact read is used: the match
    set (GIN / FTS5) then sorted; `OFFSET 0` keeps PostgreSQL from walking the sort index instead
    (its estimates for `@>` on a rare word, or a NOT of one, are far off).
    """
    where = _filters(kind, c, p, now, ids)
    if part.name is not None:  # SQLite's `?` are positional: in the order they appear
        match = _match(p, "name_tokens", token_sets(c))
        where.append(match if part.name else f"NOT ({match})")
    hit = 1 if part.name else 0
    if part.capped:
        order = ORDER[part.sort].format(t="", id="object_id")
        docs = f"(SELECT * FROM search_docs WHERE kind = '{kind}' ORDER BY {order} LIMIT {SCAN_CAP})"
        inner = ORDER[part.sort].format(t="d.", id="object_id")
        return f"{_select(kind, c, where, hit, docs)} ORDER BY {inner} LIMIT {int(part.depth)}"
    fence = " OFFSET 0" if p.postgres else ""  # SQLite takes OFFSET only after a LIMIT
    outer = ORDER[part.sort].format(t="q.", id="id")
    return f"SELECT * FROM ({_select(kind, c, where, hit)}{fence}) q ORDER BY {outer} LIMIT {int(part.depth)}"


@dataclass(frozen=True)
class Part:
    sort: Sort
    depth: int
    name: bool | None = None  # RELEVANCE halves: name matches (True) or the others (False)
    capped: bool = True


async def _first(kind: str, c: Criteria, now: datetime, ids: list[int] | None, part: Part) -> list[dict]:
    """The part's rows: the capped read, or (when it comes up short) the exact one."""
    postgres = is_postgres()
    # SQLite materializes the FTS5 match set whichever way it reads, so a cap saves it nothing.
    for capped in (True, False) if part.capped and postgres else (False,):
        p = Params(postgres)
        found = await rows(_part(kind, c, p, now, ids, replace(part, capped=capped)), p)
        if len(found) >= part.depth:
            break
    return found


async def ordered(
    kind: str, c: Criteria, now: datetime, ids: list[int] | None, offset: int, limit: int
) -> list[dict]:
    """Rows [offset, offset+limit) of the search in its order (DISTANCE: up to DISTANCE_CAP rows
    in id order, ordered by the caller). Work is bounded by the page depth (MAX_OFFSET) and
    SCAN_CAP, not by how many documents hold a word. RELEVANCE is name matches first, each half
    in popularity order; the other half is read only when the first does not fill the page."""
    depth = offset + limit
    if c.sort is Sort.DISTANCE:
        return await _first(kind, c, now, ids, Part(Sort.DISTANCE, DISTANCE_CAP, capped=False))
    if c.sort is not Sort.RELEVANCE or not c.tokens:  # a cuisine alone has no name to match
        sort = Sort.RATING if c.sort is Sort.RATING else Sort.POPULARITY
        return (await _first(kind, c, now, ids, Part(sort, depth)))[offset:depth]
    found = await _first(kind, c, now, ids, Part(Sort.POPULARITY, depth, name=True))
    if len(found) < depth:
        found += await _first(kind, c, now, ids, Part(Sort.POPULARITY, depth - len(found), name=False))
    return found[offset:depth]


async def _read(
    kind: str, c: Criteria, now: datetime, near: dict[int, float] | None, offset: int, limit: int
) -> list[Hit]:
    """Rows [offset, offset+limit) of the search in its order."""
    ids = sorted(near) if near is not None else None
    found = await ordered(kind, c, now, ids, offset, limit)
    if c.sort is Sort.DISTANCE:
        assert near is not None
        found.sort(key=lambda row: (near[row["restaurant_id"]], row["id"]))
        found = found[offset : offset + limit]
    return [Hit(r["id"], r["restaurant_id"], near.get(r["restaurant_id"]) if near else None) for r in found]


def _cursor(offset: int, relaxed: bool) -> str:
    """The position after a row: [offset], or [offset, 1] in the relaxed search's results."""
    return encode_cursor([offset, 1] if relaxed else [offset])


def _position(after: str | None) -> tuple[int, bool]:
    """(offset, relaxed) of a cursor written by `_cursor`."""
    try:
        key = decode_cursor(after, 1)
    except BadRequestError:
        key = decode_cursor(after, 2)
    try:
        return (int(key[0]), len(key) == 2 and key[1] == 1) if key else (0, False)
    except (TypeError, ValueError):
        raise UserInputError(ErrorCode.INVALID, "Malformed cursor", "after") from None


async def around(ctx: Context, c: Criteria) -> dict[int, float] | None:
    """The restaurants a radius search keeps (the nearest GEO_CAP), with their distances; None
    when the search has no radius. For criteria already checked."""
    if c.lat is None or c.lng is None or c.radius_km is None:
        return None
    hits = await ctx.services.geo.within(RESTAURANT_KIND, c.lat, c.lng, c.radius_km, limit=GEO_CAP)
    return {h.object_id: h.distance_km for h in hits}


_LOOK_AROUND: Any = object()  # `search` reads `around` itself


async def search(
    ctx: Context, kind: str, c: Criteria, first: int | None, after: str | None, near: Any = _LOOK_AROUND
) -> Page[Hit]:
    """A page of hits; `near`: `around`'s answer for these criteria when the caller has it (two
    searches around one point look it up once)."""
    check_criteria(c)
    size = page_size(first)
    offset, relaxed = _position(after)
    c.relaxed = relaxed and bool(c.relaxed_sets)
    if not 0 <= offset <= MAX_OFFSET:
        raise UserInputError(ErrorCode.OUT_OF_RANGE, f"Results are paged up to {MAX_OFFSET}", "after")
    if c.wordless:
        return Page(items=[], cursors=[], has_next_page=False, count=_none_found)
    now = datetime.now(UTC)
    if near is _LOOK_AROUND:
        near = await around(ctx, c)
    page = await _page(kind, c, now, near, offset, size)
    if c.lat is not None and c.lng is not None and near is None:
        await _with_distances(page.items, c.lat, c.lng)
    page.count = partial(_count, kind, c, now, sorted(near) if near is not None else None)
    return page


async def _none_found() -> int:
    return 0


async def _count(kind: str, c: Criteria, now: datetime, ids: list[int] | None) -> int:
    """totalCount: the matches (of the search the pages come from, strict or relaxed), at most
    COUNT_CAP of them: one statement under a LIMIT, whatever the sort. "Open now" is checked on
    the restaurants of those rows, as the pages do."""
    p = Params(is_postgres())
    docs, matched = "search_docs", False
    if p.postgres and c.tokens:
        # The kind's matches from its GIN index (OFFSET 0: planned whole, as the exact read), then
        # joined row by row until the LIMIT. Planned under the LIMIT, PostgreSQL may walk every
        # document of the kind for a word its column statistics think common but the kind lacks
        # (an address word, for dishes). Kind and match are not repeated outside: estimated
        # twice, the matches look few, and PostgreSQL hashes all of them.
        match = _match(p, "tokens", token_sets(c))
        docs, matched = f"(SELECT * FROM search_docs d WHERE d.kind = '{kind}' AND {match} OFFSET 0)", True
    matches = f"{_select(kind, c, _filters(kind, c, p, now, ids, matched), 0, docs)} LIMIT {COUNT_CAP}"
    if not c.open_now:
        return int((await rows(f"SELECT COUNT(*) AS n FROM ({matches}) q", p))[0]["n"])
    found = await rows(matches, p)
    flags = await open_flags([row["restaurant_id"] for row in found], now)
    return sum(1 for row in found if flags.get(row["restaurant_id"], False))


async def _with_distances(hits: list[Hit], lat: float, lng: float) -> None:
    """A point without a radius ranks as usual, anywhere; each hit shows how far it is."""
    ids = {h.restaurant_id for h in hits}
    found = await Restaurant.filter(id__in=ids).values_list("id", "lat", "lng") if ids else []
    places = {pk: (plat, plng) for pk, plat, plng in found}
    for hit in hits:
        if hit.restaurant_id in places:
            hit.distance_km = distance_km(lat, lng, *places[hit.restaurant_id])


async def _page(
    kind: str, c: Criteria, now: datetime, near: dict[int, float] | None, offset: int, size: int
) -> Page[Hit]:
    """The page from `offset`: `size` hits, skipping closed places when `openNow` asks. When no
    document holds every token (the first page reads nothing), the relaxed sets are searched
    instead, once; the cursors then say so, and later pages read the relaxed search."""
    items: list[Hit] = []
    cursors: list[str] = []
    batch = size + 1
    for _ in range(SCAN_ROUNDS if c.open_now else 1):
        limit = min(batch, MAX_OFFSET - offset + 1)
        found = await _read(kind, c, now, near, offset, limit) if limit > 0 else []
        if not found and offset == 0 and c.relaxed_sets and not c.relaxed:
            c.relaxed = True
            found = await _read(kind, c, now, near, offset, limit)
        flags = await open_flags([h.restaurant_id for h in found], now) if c.open_now else {}
        for hit in found:
            offset += 1
            if c.open_now and not flags.get(hit.restaurant_id, False):
                continue
            if len(items) == size:
                return Page(items, cursors, has_next_page=True)
            items.append(hit)
            cursors.append(_cursor(offset, c.relaxed))
        if len(found) < limit or offset > MAX_OFFSET:
            return Page(items, cursors, has_next_page=False)
        batch = SCAN_BATCH
    return Page(items, cursors, has_next_page=True, resume_after=_cursor(offset, c.relaxed))


# ------------------------------------------------------------------ the two searches


async def search_restaurants(
    ctx: Context, c: Criteria, first: int | None, after: str | None
) -> Page[tuple[Restaurant, float | None]]:
    """Restaurants with their distance (when searched near a point)."""
    page = await search(ctx, "restaurant", c, first, after)
    found = {r.id: r for r in await Restaurant.filter(id__in=[h.id for h in page.items])}
    items = [(found.get(h.id), h.distance_km) for h in page.items]
    pairs = Page(items, page.cursors, page.has_next_page, page.resume_after)
    found_page = pairs.only([row is not None for row, _ in pairs.items])
    found_page.count = page.count  # the SQL count: only rows deleted since the read left the page
    return found_page  # type: ignore[return-value]


async def search_dishes(ctx: Context, c: Criteria, first: int | None, after: str | None) -> Page[Dish]:
    page = await search(ctx, "dish", c, first, after)
    found = {d.id: d for d in await Dish.filter(id__in=[h.id for h in page.items], archived=False)}
    dishes = Page([found.get(h.id) for h in page.items], page.cursors, page.has_next_page, page.resume_after)
    found_page = dishes.only([row is not None for row in dishes.items])
    found_page.count = page.count  # the SQL count: only rows deleted since the read left the page
    return found_page  # type: ignore[return-value]
