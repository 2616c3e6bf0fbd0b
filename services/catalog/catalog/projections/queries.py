# SPDX-License-Identifier: AGPL-3.0-or-later
"""Read-side queries behind the catalog API, over the town_catalog and town_directory tables.

User text never becomes SQL: search words are turned into a tsquery string in Python and
passed as a parameter, and every optional filter is a fixed SQL fragment with a named
parameter. Suspended merchants, and their offers, are invisible here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql

from catalog.domain.courier_delivery import TownDelivery, delivered_for, town_delivery
from catalog.domain.opening_hours import is_open
from catalog.projections.compounds import STOP_WORDS, cut_word
from catalog.projections.delivery_terms import TERMS
from downtown_events.geo import GeoPoint
from downtown_events.runtime.readable import each_readable

Row = dict[str, Any]
_WORD = re.compile(r"\w+")
_MAX_LIMIT = 100
_SIMILAR_ENOUGH = 0.5
_MIN_FUZZY = 3
"""How alike (pg_trgm's strict word similarity) a query and an offer's words must be for
the fallback: "Burgnder" and "burgunder" are 0.58 alike, "Schloss" and "Schlüssel" 0.29."""


@dataclass(frozen=True)
class SearchPage:
    """One page of offers and how many offers match in all."""

    total: int
    items: list[Row]


def prefix_tsquery(text: str | None) -> str | None:
    """``"Käse, Schok"`` -> ``"(Käse:* | kaese:*) & Schok:*"``: every word, as a prefix, must match.

    ``\\w`` keeps umlauts and ß inside words and drops every tsquery operator, so the
    result is always a valid query; ``None`` when there is no word to search for. A word
    spelt with ae/oe/ue/ss also matches its umlaut spelling and the other way round, so a
    customer without umlauts on the keyboard finds "Käse" by typing "Kaese". A compound
    also matches its parts wherever they stand: "Fahrradschloss" finds the "Schloss fürs
    Fahrrad" (``fahrradschloss:* | fahrrad & schloss:*``).
    """
    words = _WORD.findall(text or "")
    return " & ".join(_alternatives(word) for word in words) if words else None


_TO_UMLAUTS = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"), ("ss", "ß"))


def _alternatives(word: str) -> str:
    spellings = _spellings(word)
    prefixes = [f"{spelling}:*" for spelling in spellings]
    for parts in dict.fromkeys(cut for spelling in spellings if (cut := cut_word(spelling))):
        # Only the last part may be unfinished; the others were typed in full.
        prefixes.append(" & ".join([*parts[:-1], f"{parts[-1]}:*"]))
    return prefixes[0] if len(prefixes) == 1 else "(" + " | ".join(prefixes) + ")"


def _spellings(word: str) -> list[str]:
    """The word as typed, or lower case in each spelling when it has two."""
    lower = word.lower()
    alternatives = {lower}
    with_umlauts, without_umlauts = lower, lower
    for plain, umlaut in _TO_UMLAUTS:
        with_umlauts = with_umlauts.replace(plain, umlaut)
        without_umlauts = without_umlauts.replace(umlaut, plain)
    alternatives |= {with_umlauts, without_umlauts}
    return [word] if len(alternatives) == 1 else sorted(alternatives)


def fuzzy_words(text: str | None) -> list[str]:
    """The words of a query, lower case and each once, for the trigram fallback: not the
    stop words (the full-text search ignores them too), nor words too short to be alike."""
    words = (word.lower() for word in _WORD.findall(text or ""))
    return list(dict.fromkeys(word for word in words if len(word) >= _MIN_FUZZY and word not in STOP_WORDS))


_OFFER_COLUMNS = sql.SQL("""
    o.offer_id, o.merchant_id, o.kind, o.title, o.description, o.category, o.price_cents, o.currency,
    o.stock, o.duration_minutes, o.weekly_availability, o.photo_id, o.photo_variants, o.listed_at,
    o.updated_at, o.vat_percent, o.held, m.name AS merchant_name, m.status AS merchant_status,
    m.offers_delivery, m.offers_pickup
""")
_OFFERS_FROM = sql.SQL("catalog_offers o JOIN catalog_merchants m ON m.merchant_id = o.merchant_id")
# An all-stop-word query ("die der") has no nodes; it then filters nothing rather than everything.
_TEXT_MATCH = sql.SQL("(numnode(q.query) = 0 OR o.search @@ q.query OR m.search @@ q.query)")
_FILTERS = {
    "category": sql.SQL("o.category = %(category)s"),
    "merchant_id": sql.SQL("o.merchant_id = %(merchant_id)s"),
    "delivery": sql.SQL("m.offers_delivery = %(delivery)s"),
    "pickup": sql.SQL("m.offers_pickup = %(pickup)s"),
    "min_price_cents": sql.SQL("o.price_cents >= %(min_price_cents)s"),
    "max_price_cents": sql.SQL("o.price_cents <= %(max_price_cents)s"),
    "kind": sql.SQL("o.kind = %(kind)s"),
}


async def search_offers(
    conn: AsyncConnection[Row],
    *,
    text: str | None = None,
    category: str | None = None,
    merchant_id: UUID | None = None,
    delivery: bool | None = None,
    pickup: bool | None = None,
    min_price_cents: int | None = None,
    max_price_cents: int | None = None,
    kind: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchPage:
    """Offers matching every given filter; with text, best match first (title > category >
    description, a merchant-name match counting too), otherwise newest first.

    When the words find nothing at all, the offers whose title (with its compound parts)
    or category holds words most like them are given instead, most similar first: a typo
    ("Burgnder") still finds something. Only then, so that a page never mixes two rankings
    and the total stays the number of offers the pages hold.
    """
    if not 1 <= limit <= _MAX_LIMIT or offset < 0:
        raise ValueError(f"limit must be 1..{_MAX_LIMIT} and offset >= 0")
    params: dict[str, Any] = {
        "category": category,
        "merchant_id": merchant_id,
        "delivery": delivery,
        "pickup": pickup,
        "min_price_cents": min_price_cents,
        "max_price_cents": max_price_cents,
        "kind": kind,
    }
    where = [sql.SQL("NOT m.suspended")] + [_FILTERS[name] for name, value in params.items() if value is not None]
    params.update(tsquery=prefix_tsquery(text), limit=limit, offset=offset)
    if params["tsquery"] is None:
        return await _page(conn, _NEWEST, where, params)
    page = await _page(conn, _FULL_TEXT, where, params)
    words = fuzzy_words(text)
    if page.total == 0 and words:
        params.update({f"fuzzy{i}": word for i, word in enumerate(words)})
        page = await _page(conn, _similar(words), where, params)
    return page


@dataclass(frozen=True)
class _Ranking:
    """How one kind of search finds and orders offers: its source, condition and rank."""

    source: sql.Composable
    condition: sql.Composable | None
    rank: sql.Composable
    order: sql.Composable


_BY_AGE = sql.SQL("o.listed_at DESC, o.offer_id")
_NEWEST = _Ranking(_OFFERS_FROM, None, sql.SQL("0"), _BY_AGE)
_FULL_TEXT = _Ranking(
    sql.SQL("{} CROSS JOIN to_tsquery('german', %(tsquery)s) AS q(query)").format(_OFFERS_FROM),
    _TEXT_MATCH,
    sql.SQL("ts_rank(o.search, q.query) + ts_rank(m.search, q.query)"),
    sql.SQL("rank DESC, {}").format(_BY_AGE),
)


def _similar(words: Sequence[str]) -> _Ranking:
    """Offers with a word like each query word, most alike first: every word must match
    here as in the full-text search. ``<<%`` finds candidates in the trigram index (at
    pg_trgm.strict_word_similarity_threshold, 0.5 unless a server is set otherwise); the
    explicit floor keeps the answer the same on such a server."""
    floor = sql.Literal(_SIMILAR_ENOUGH)
    alike = [
        sql.SQL("strict_word_similarity({}, o.fuzzy)").format(sql.Placeholder(f"fuzzy{i}")) for i in range(len(words))
    ]
    conditions = [
        sql.SQL("{} <<%% o.fuzzy AND {} >= {}").format(sql.Placeholder(f"fuzzy{i}"), similarity, floor)
        for i, similarity in enumerate(alike)
    ]
    return _Ranking(
        _OFFERS_FROM,
        sql.SQL(" AND ").join(conditions),
        sql.SQL(" + ").join(alike),
        sql.SQL("rank DESC, {}").format(_BY_AGE),
    )


async def _page(
    conn: AsyncConnection[Row], ranking: _Ranking, where: Sequence[sql.Composable], params: Row
) -> SearchPage:
    """One round trip: the page's rows each carry the total (a window over every match,
    counted before LIMIT); only a page past the end asks for the total apart."""
    conditions = where if ranking.condition is None else [*where, ranking.condition]
    condition = sql.SQL(" AND ").join(conditions)
    page = sql.SQL(
        "SELECT {}, {} AS rank, count(*) OVER () AS total FROM {} WHERE {} ORDER BY {} "
        "LIMIT %(limit)s OFFSET %(offset)s"
    ).format(_OFFER_COLUMNS, ranking.rank, ranking.source, condition, ranking.order)
    items = await (await conn.execute(page, params)).fetchall()
    if items:
        total = int(items[0]["total"])
    elif params["offset"] == 0:
        total = 0
    else:
        count = sql.SQL("SELECT count(*) AS total FROM {} WHERE {}").format(ranking.source, condition)
        total_row = await (await conn.execute(count, params)).fetchone()
        total = int(total_row["total"]) if total_row else 0
    return SearchPage(total=total, items=[_without_rank(i) for i in items])


def _without_rank(row: Row) -> Row:
    return {key: value for key, value in row.items() if key not in _PAGE_ONLY}


_PAGE_ONLY = frozenset({"rank", "total"})


async def get_offer(conn: AsyncConnection[Row], offer_id: UUID) -> Row | None:
    """One offer with its merchant's name and flags; ``None`` if unknown, withdrawn or suspended."""
    query = sql.SQL("SELECT {} FROM {} WHERE o.offer_id = %(offer_id)s AND NOT m.suspended").format(
        _OFFER_COLUMNS, _OFFERS_FROM
    )
    return await (await conn.execute(query, {"offer_id": offer_id})).fetchone()


# --- directory -------------------------------------------------------------------------

_DIRECTORY_OFFERS = {
    "delivery": sql.SQL("offers_delivery"),
    "couriers": sql.SQL("offers_delivery"),  # and, below, in a zone of the town's couriers
    "pickup": sql.SQL("offers_pickup"),
    "vouchers": sql.SQL("sells_vouchers"),
    "services": sql.SQL("services > 0"),
}
# registered_at is null while only offer events of a merchant have arrived (see town_directory).
_VISIBLE = sql.SQL("NOT suspended AND registered_at IS NOT NULL")
Gettext = Callable[[str], str]


def _english(message: str) -> str:
    """The messages as written: English (a reader's language comes with the API's ``gettext``)."""
    return message


async def directory(
    conn: AsyncConnection[Row],
    *,
    category: str | None = None,
    offers: str | None = None,
    open_now: bool | None = None,
    now_local: datetime,
    gettext: Gettext = _english,
) -> list[Row]:
    """Merchants by name, each with ``open_now`` at ``now_local``, a short ``availability``
    in the reader's language (``gettext``: the English message in it) and ``courier_delivery``:
    whether the town's couriers deliver for it (None: they do not, or the town has none).

    ``offers`` keeps merchants that deliver, that the town's couriers deliver for
    (``couriers``), that offer pickup, sell vouchers or list services.
    """
    where = [_VISIBLE]
    if category is not None:
        where.append(sql.SQL("category = %(category)s"))
    if offers is not None:
        if offers not in _DIRECTORY_OFFERS:
            raise ValueError(f"offers must be one of {sorted(_DIRECTORY_OFFERS)}, not {offers!r}")
        where.append(_DIRECTORY_OFFERS[offers])
    query = sql.SQL("SELECT * FROM directory_merchants WHERE {} ORDER BY name, merchant_id").format(
        sql.SQL(" AND ").join(where)
    )
    rows = await (await conn.execute(query, {"category": category})).fetchall()
    town = await _town_delivery(conn, now_local)
    entries = each_readable(rows, lambda row: _entry(row, now_local, gettext, town), key="merchant_id")
    return [
        entry
        for entry in entries
        if (open_now is None or entry["open_now"] is open_now)
        and (offers != "couriers" or entry["courier_delivery"] is not None)
    ]


async def get_directory_entry(
    conn: AsyncConnection[Row], merchant_id: UUID, now_local: datetime, gettext: Gettext = _english
) -> Row | None:
    """One merchant's directory entry, or ``None`` if unknown or suspended."""
    query = sql.SQL("SELECT * FROM directory_merchants WHERE merchant_id = %(merchant_id)s AND {}").format(_VISIBLE)
    row = await (await conn.execute(query, {"merchant_id": merchant_id})).fetchone()
    if row is None:
        return None
    return _entry(row, now_local, gettext, await _town_delivery(conn, now_local))


async def _town_delivery(conn: AsyncConnection[Row], now_local: datetime) -> TownDelivery | None:
    """The town's couriers' terms as of now, read once for a page (None: dispatch has
    published none, or the town runs no dispatch)."""
    return town_delivery(await TERMS.current(conn), now_local)


def _entry(row: Row, now_local: datetime, gettext: Gettext, town: TownDelivery | None) -> Row:
    location = _location(row)
    return {
        **row,
        "location": location,
        "open_now": not row["closed"] and is_open(row["opening_hours"], now_local),
        "availability": availability(row, gettext),
        "availability_note": availability_note(row, now_local),
        "courier_delivery": delivered_for(town, bool(row["offers_delivery"]), location, row["postal_code"]),
    }


def _location(row: Row) -> GeoPoint | None:
    """The shop's pin; a row written before the directory kept it has neither column (null)."""
    lat, lon = row.get("latitude"), row.get("longitude")
    return None if lat is None or lon is None else GeoPoint(lat=lat, lon=lon)


def availability_note(row: Row, now_local: datetime) -> str | None:
    """The merchant's own note for customers if it is for the town's today, as written
    (None: none today, or cleared); a row from before the directory kept notes has none."""
    if row.get("availability_day") != now_local.date():
        return None
    return row.get("availability_note") or None


def availability(row: Row, gettext: Gettext = _english) -> str:
    """A short note on how customers can get something from the merchant, in the language
    ``gettext`` translates into (the messages are English, extracted by ``make translations``)."""
    if row["closed"]:
        if row["closed_note"]:
            return gettext("temporarily closed: %(note)s") % {"note": row["closed_note"]}
        return gettext("temporarily closed")
    if row["offers_delivery"] and row["offers_pickup"]:
        return gettext("delivery and pickup")
    if row["offers_delivery"]:
        return gettext("delivery only")
    if row["offers_pickup"]:
        return gettext("pickup only")
    if row["services"]:
        return gettext("bookable services")
    return gettext("vouchers only") if row["sells_vouchers"] else gettext("in store only")


# --- the association's members ---------------------------------------------------------

MEMBERS_PAGE = 500
"""At most this many members a page: a town's association has tens or hundreds of members."""
_MEMBER_COLUMNS = sql.SQL(
    "merchant_id, name, category, street, postal_code, city, phone, email, approved, suspended, "
    "suspension_reason, closed, closed_note, registered_at"
)


@dataclass(frozen=True)
class MembersPage:
    """One page of members and whether more follow it."""

    items: list[Row]
    more: bool


async def members(conn: AsyncConnection[Row], *, limit: int = MEMBERS_PAGE, offset: int = 0) -> MembersPage:
    """Every registered merchant of the town by name, suspended ones too, with the standing the
    association decides (``approved``, ``suspended`` and why): the association's list, never
    the public's. ``approved`` is null in a row written before the directory kept approvals."""
    if not 1 <= limit <= MEMBERS_PAGE or offset < 0:
        raise ValueError(f"limit must be 1..{MEMBERS_PAGE} and offset >= 0")
    query = sql.SQL(
        "SELECT {} FROM directory_merchants WHERE registered_at IS NOT NULL "
        "ORDER BY name, merchant_id LIMIT %(limit)s OFFSET %(offset)s"
    ).format(_MEMBER_COLUMNS)
    rows = await (await conn.execute(query, {"limit": limit + 1, "offset": offset})).fetchall()
    return MembersPage(items=rows[:limit], more=len(rows) > limit)
