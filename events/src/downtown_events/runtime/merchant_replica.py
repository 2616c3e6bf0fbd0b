# SPDX-License-Identifier: Apache-2.0
"""The merchant replica: what the catalog says of its merchants, in a table of a service that
needs to know them, written once here.

A service asks no other service synchronously. Ordering (may this shop take orders, on
invoice? what do its invoices say?), vouchers (may it sell, redeem?) and every service after
them (dispatch: where to fetch a parcel) keep their own copy of the catalog's merchants from
``<town>.catalog.events``, a moment behind the catalog. A service declares it with its table:

    MERCHANTS = merchant_replica("voucher_merchants")  # the projection ``merchants``

registers it among its projections (``make rebuild PROJECTION=merchants`` rebuilds it) and
reads it with a :class:`MerchantReader` over the same table. A read model that holds more
than merchants in one projection (ordering's ``catalog_replica``, with the offers) keeps a
replica it does not register and hands it the merchant events (:meth:`MerchantReplica.touches`
and :meth:`MerchantReplica.evolve`).

One row per merchant, written only by the merchant's own stream (keyed by merchant, so one
partition, in order): replicas of a worker never contend for a row, and every event sets
what it says, so the last one read wins as in the catalog's aggregate.

=====================  ==========================================================  ================================
column                 from                                                        null in a row written before it
=====================  ==========================================================  ================================
``name`` …             ``MerchantRegistered``, ``MerchantProfileChanged``          not registered yet (name) or
(contact, address,     (the profile, repeated whole)                               not known until the next profile
tax number and its                                                                 change
kind, bank account,
delivery, pickup,
vouchers)
``opening_hours``      ``MerchantRegistered``, ``OpeningHoursChanged``             none known
``closed``,            ``MerchantClosed`` (with its note), ``MerchantReopened``    open, no note
``closed_note``
``suspended``          ``MerchantSuspended``, ``MerchantReinstated``               not suspended
``approved``,          ``MerchantApproved``, ``MerchantApprovalWithdrawn``         not approved (the safe side),
``approval_withdrawn``                                                             never withdrawn
``tokens_valid_after`` ``MerchantTokensRevoked``                                   no token revoked
=====================  ==========================================================  ================================

A table created before a column was declared gets it (null) when the worker starts, as every
projection's does (``ProjectionWriter.create_tables``), and the reader takes such a null as
the right-hand column says. Its rows learn what was said before the upgrade only from a
rebuild; the rebuilt table then differs from the live one in exactly those columns, so the
checksums cannot match and the swap is forced once:
``downtown-projections rebuild --service <service> --projection <name> --force``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, ClassVar, Literal
from uuid import UUID

from psycopg import sql
from pydantic import ValidationError

from downtown_events.catalog import (
    Address,
    MerchantApprovalWithdrawn,
    MerchantApproved,
    MerchantClosed,
    MerchantProfile,
    MerchantProfileChanged,
    MerchantRegistered,
    MerchantReinstated,
    MerchantReopened,
    MerchantSuspended,
    MerchantTokensRevoked,
    OpeningHoursChanged,
    TimeWindow,
)
from downtown_events.geo import GeoPoint
from downtown_events.runtime.database import Connection
from downtown_events.runtime.projection import Projection, Row, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent

MERCHANT_COLUMNS: dict[str, str] = {
    "merchant_id": "uuid",
    "name": "text",
    "category": "text",
    "street": "text",
    "postal_code": "text",
    "city": "text",
    "phone": "text",
    "email": "text",
    "tax_number": "text",
    "tax_number_kind": "text",
    "iban": "text",
    "bic": "text",
    "account_holder": "text",
    "video_consultation_url": "text",
    "offers_delivery": "boolean",
    "offers_pickup": "boolean",
    "sells_vouchers": "boolean",
    "latitude": "double precision",
    "longitude": "double precision",
    "opening_hours": "jsonb",
    "closed": "boolean",
    "closed_note": "text",
    "suspended": "boolean",
    "approved": "boolean",
    "approval_withdrawn": "boolean",
    "tokens_valid_after": "timestamptz",
    "updated_at": "timestamptz",
}
REPLICATED_EVENTS = (
    MerchantRegistered,
    MerchantProfileChanged,
    OpeningHoursChanged,
    MerchantClosed,
    MerchantReopened,
    MerchantSuspended,
    MerchantReinstated,
    MerchantApproved,
    MerchantApprovalWithdrawn,
    MerchantTokensRevoked,
)
"""Every event of a merchant's stream the catalog publishes (``catalog.MERCHANT_EVENTS``
and the association's approvals) but its availability notes (``MerchantAvailabilityNoted``):
a day's note is for customers, shown by the catalog's directory, and no service's rule reads
it, so a replica's consumer skips it undecoded as it skips any type it does not read."""
_FLAGS: dict[type, Row] = {
    MerchantReopened: {"closed": False, "closed_note": ""},
    MerchantSuspended: {"suspended": True},
    MerchantReinstated: {"suspended": False},
    MerchantApproved: {"approved": True, "approval_withdrawn": False},
    MerchantApprovalWithdrawn: {"approved": False, "approval_withdrawn": True},
}


def merchant_table(name: str) -> Table:
    """The replica's table under a service's own name for it."""
    return Table(name=name, key="merchant_id", columns=MERCHANT_COLUMNS)


def profile_columns(profile: MerchantProfile) -> Row:
    """The columns a merchant's profile fills (also for a catalog read model that shows them)."""
    url = profile.video_consultation_url
    bank = profile.bank_account
    return {
        "name": profile.name,
        "category": profile.category,
        "street": profile.address.street,
        "postal_code": profile.address.postal_code,
        "city": profile.address.city,
        "phone": profile.phone,
        "email": profile.email,
        "tax_number": profile.tax_number,
        "tax_number_kind": profile.tax_number_kind,
        "iban": None if bank is None else bank.iban,
        "bic": None if bank is None else bank.bic,
        "account_holder": None if bank is None else bank.account_holder,
        "video_consultation_url": None if url is None else str(url),
        "offers_delivery": profile.offers_delivery,
        "offers_pickup": profile.offers_pickup,
        "sells_vouchers": profile.sells_vouchers,
        "latitude": None if profile.location is None else profile.location.lat,
        "longitude": None if profile.location is None else profile.location.lon,
    }


def opening_hours_column(windows: Iterable[TimeWindow]) -> list[dict[str, Any]]:
    """Opening hours as the ``opening_hours`` column holds them (jsonb: weekday, opens, closes)."""
    return [window.model_dump(mode="json") for window in windows]


class MerchantReplica(Projection):
    """The catalog's merchants folded into one table (:func:`merchant_replica` declares one)."""

    table: ClassVar[Table]
    event_types = REPLICATED_EVENTS
    sources = ("catalog",)

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        data = event.event
        return [(self.table, data.merchant_id)] if isinstance(data, REPLICATED_EVENTS) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data = event.event
        if not isinstance(data, REPLICATED_EVENTS):
            return
        row = rows.get(self.table, data.merchant_id) or _unregistered(data.merchant_id)
        if isinstance(data, MerchantRegistered | MerchantProfileChanged):
            row.update(profile_columns(data.profile))
        if isinstance(data, MerchantRegistered | OpeningHoursChanged):
            row["opening_hours"] = opening_hours_column(data.opening_hours)
        elif isinstance(data, MerchantClosed):
            row.update(closed=True, closed_note=data.note)
        elif isinstance(data, MerchantTokensRevoked):
            row["tokens_valid_after"] = data.revoked_at
        else:
            row.update(_FLAGS.get(type(data), {}))  # a profile change has no flags to set
        row["updated_at"] = event.envelope.time
        rows.put(self.table, row)


def merchant_replica(table_name: str, *, name: str = "merchants") -> MerchantReplica:
    """The replica a service declares: ``name`` is the projection's (its consumer, and what
    ``make rebuild PROJECTION=`` takes), ``table_name`` its table's, unique in the service."""
    projection_name = name  # in the class body, ``name = name`` would look ``name`` up in the class

    class Declared(MerchantReplica):  # a class per declaration: a projection's name and tables are its class's
        name = projection_name
        table = merchant_table(table_name)
        tables = (table,)

    return Declared()


def _unregistered(merchant_id: Any) -> Row:
    """A row before its registration has been read: no name, nothing known, nothing allowed."""
    row: Row = dict.fromkeys(MERCHANT_COLUMNS)
    row.update(
        merchant_id=merchant_id,
        opening_hours=[],
        closed=False,
        closed_note="",
        suspended=False,
        approved=False,
        approval_withdrawn=False,
    )
    return row


# --- reading ---------------------------------------------------------------------------

Approval = Literal["approved", "none", "withdrawn"]
"""``approved``: the association vouches for the merchant; ``none``: it never did (yet);
``withdrawn``: it did, and took it back."""


@dataclass(frozen=True)
class Standing:
    """Whether a merchant trades now, as the catalog last said. ``known``: its registration
    has been read (an unknown merchant is not refused for good: its events may be on their way).
    :attr:`may_act_with_money` answers yes or no; a service that refuses with reasons says
    them itself (vouchers' ``merchant_standing`` domain module)."""

    merchant_id: UUID
    name: str
    known: bool
    closed: bool = False
    suspended: bool = False
    approval: Approval = "none"

    @property
    def approved(self) -> bool:
        return self.approval == "approved"

    @property
    def may_act_with_money(self) -> bool:
        """Known, approved by the association and not suspended: what ``MerchantApproved``
        allows (sell, take cash, redeem, invoice); a shop closed for now still may."""
        return self.known and self.approved and not self.suspended

    @classmethod
    def of(cls, merchant_id: UUID, row: Row | None) -> Standing:
        """From a replica row (None: no row). A null flag is false, as in a column added later."""
        if row is None or row.get("name") is None:
            return cls(merchant_id, "", known=False)
        approval: Approval = (
            "approved" if row.get("approved") else "withdrawn" if row.get("approval_withdrawn") else "none"
        )
        return cls(merchant_id, row["name"], True, bool(row.get("closed")), bool(row.get("suspended")), approval)


@dataclass(frozen=True)
class ReplicatedMerchant:
    """A registered merchant as the replica holds it. Text the catalog did not give is ""."""

    merchant_id: UUID
    name: str
    standing: Standing
    category: str = ""
    address: Address | None = None
    """Where the shop is (None: the replica's is missing or no longer valid)."""
    phone: str = ""
    email: str = ""
    tax_number: str = ""
    """The VAT id or Steuernummer its invoices carry ("": none given)."""
    tax_number_kind: str = ""
    """``steuernummer`` or ``ust_idnr`` as the profile says ("": it does not)."""
    iban: str = ""
    """The account its invoices ask customers to pay into, without spaces ("": none given)."""
    bic: str = ""
    account_holder: str = ""
    video_consultation_url: str | None = None
    offers_delivery: bool = False
    offers_pickup: bool = False
    sells_vouchers: bool = False
    location: GeoPoint | None = None
    """The shop's door on the map, where couriers pick up (None: the merchant has not set it)."""
    opening_hours: tuple[TimeWindow, ...] = ()
    closed_note: str = ""
    tokens_valid_after: datetime | None = None

    @classmethod
    def from_row(cls, row: Row) -> ReplicatedMerchant:
        """From a replica row of a registered merchant; a column the row lacks or holds null
        (added to the table later) reads as not known."""
        merchant_id = row["merchant_id"]
        return cls(
            merchant_id=merchant_id,
            name=row["name"],
            standing=Standing.of(merchant_id, row),
            category=row.get("category") or "",
            address=_address(row),
            phone=row.get("phone") or "",
            email=(row.get("email") or "").strip(),
            tax_number=(row.get("tax_number") or "").strip(),
            tax_number_kind=row.get("tax_number_kind") or "",
            iban=row.get("iban") or "",
            bic=row.get("bic") or "",
            account_holder=row.get("account_holder") or "",
            video_consultation_url=row.get("video_consultation_url") or None,
            offers_delivery=bool(row.get("offers_delivery")),
            offers_pickup=bool(row.get("offers_pickup")),
            sells_vouchers=bool(row.get("sells_vouchers")),
            location=_location(row),
            opening_hours=time_windows(row.get("opening_hours")),
            closed_note=row.get("closed_note") or "",
            tokens_valid_after=_moment(row.get("tokens_valid_after")),
        )


def time_windows(raw: Any) -> tuple[TimeWindow, ...]:
    """Windows as a jsonb column holds them (:func:`opening_hours_column`), back as values."""
    return tuple(
        TimeWindow(weekday=w["weekday"], opens=time.fromisoformat(w["opens"]), closes=time.fromisoformat(w["closes"]))
        for w in raw or []
    )


def _address(row: Row) -> Address | None:
    try:
        return Address(
            street=row.get("street") or "", postal_code=row.get("postal_code") or "", city=row.get("city") or ""
        )
    except ValidationError:
        return None


def _location(row: Row) -> GeoPoint | None:
    lat, lon = row.get("latitude"), row.get("longitude")
    return None if lat is None or lon is None else GeoPoint(lat=lat, lon=lon)


def _moment(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


class MerchantReader:
    """A merchant replica's table read on the caller's connection: the one place its queries
    are written. A merchant whose registration has not been read is unknown to every read
    but :meth:`tokens_valid_after` (a revocation holds whatever else is missing)."""

    def __init__(self, table: Table | str) -> None:
        name = sql.Identifier(table.name if isinstance(table, Table) else table)
        columns = sql.SQL(", ").join(map(sql.Identifier, MERCHANT_COLUMNS))
        self._many = sql.SQL("SELECT {} FROM {} WHERE merchant_id = ANY(%s::uuid[]) AND name IS NOT NULL").format(
            columns, name
        )
        self._standing = sql.SQL(
            "SELECT name, closed, suspended, approved, approval_withdrawn FROM {} WHERE merchant_id = %s"
        ).format(name)
        self._tokens = sql.SQL("SELECT tokens_valid_after FROM {} WHERE merchant_id = %s").format(name)

    async def merchants(self, conn: Connection, merchant_ids: Iterable[UUID]) -> dict[UUID, ReplicatedMerchant]:
        """The known merchants among ``merchant_ids``; the others are absent. Fetches its own
        result, so inside ``conn.pipeline()`` it goes out with the queries sent before it."""
        rows = await (await conn.execute(self._many, (list(merchant_ids),))).fetchall()
        return {row["merchant_id"]: ReplicatedMerchant.from_row(row) for row in rows}

    async def merchant(self, conn: Connection, merchant_id: UUID) -> ReplicatedMerchant | None:
        return (await self.merchants(conn, [merchant_id])).get(merchant_id)

    async def standing(self, conn: Connection, merchant_id: UUID) -> Standing:
        row = await (await conn.execute(self._standing, (merchant_id,))).fetchone()
        return Standing.of(merchant_id, row)

    async def tokens_valid_after(self, conn: Connection, merchant_id: UUID) -> datetime | None:
        """Tokens of the merchant issued at or before this moment are void (None: none revoked)."""
        row = await (await conn.execute(self._tokens, (merchant_id,))).fetchone()
        return None if row is None else _moment(row["tokens_valid_after"])
