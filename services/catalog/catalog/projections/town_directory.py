# SPDX-License-Identifier: AGPL-3.0-or-later
"""The town directory: one row per merchant with contact details, hours and offer counts.

Merchant events and offer events travel on different partitions (keyed by merchant and
by offer), so an ``OfferListed`` may be applied before its merchant's
``MerchantRegistered``. Every change here therefore commutes: offer events only move the
counters, a registration fills in the profile and keeps the counters, and ``updated_at``
is the latest event time seen rather than the time of the last event applied. A row
whose registration has not arrived yet has ``registered_at`` null and is not shown.

A merchant's note for customers is kept with its day (``availability_note``,
``availability_day``); the query shows it on that day only, so the row needs no event at
midnight. Both columns were added after the table: null in a row written before them, as in
a row that never had a note (no note was written before), so a rebuild compares equal.

For the association (never the public's queries) the row also says whether the association
vouches for the merchant (``approved``: false from its registration, true once approved) and
why it was suspended (``suspension_reason``, null when not suspended). Both came after the
table: a row written before them has null, and an old approval or reason is learnt only from
a rebuild, which then differs from the live table in exactly those columns (so its swap is
forced once; the README's status says so). Until then the association reads "not known".

It is not the merchant replica other services keep (``downtown_events.runtime.merchant_replica``),
though it maps a profile to the same columns with it: it is what the public sees of the
catalog's own merchants (and, with approval and suspension, the association of its members),
its rows also move with offer events (so a parallel rebuild merges them), and revoked tokens
are nobody's business here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from downtown_events.catalog import (
    MERCHANT_EVENTS,
    MerchantApprovalWithdrawn,
    MerchantApproved,
    MerchantAvailabilityNoted,
    MerchantClosed,
    MerchantProfile,
    MerchantProfileChanged,
    MerchantRegistered,
    MerchantReinstated,
    MerchantReopened,
    MerchantSuspended,
    MerchantTokensRevoked,
    OfferListed,
    OfferWithdrawn,
    OpeningHoursChanged,
)
from downtown_events.runtime.merchant_replica import opening_hours_column, profile_columns
from downtown_events.runtime.projection import Projection, Row, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent

MERCHANTS = Table(
    name="directory_merchants",
    key="merchant_id",
    columns={
        "merchant_id": "uuid",
        "name": "text",
        "category": "text",
        "street": "text",
        "postal_code": "text",
        "city": "text",
        "phone": "text",
        "email": "text",
        "video_consultation_url": "text",
        "opening_hours": "jsonb",
        "offers_delivery": "boolean",
        "offers_pickup": "boolean",
        "sells_vouchers": "boolean",
        "latitude": "double precision",
        "longitude": "double precision",
        "products": "integer",
        "services": "integer",
        "closed": "boolean",
        "closed_note": "text",
        "availability_note": "text",
        "availability_day": "date",
        "suspended": "boolean",
        "suspension_reason": "text",
        "approved": "boolean",
        "registered_at": "timestamptz",
        "updated_at": "timestamptz",
    },
    indexes=("{table} (category)",),
)

_EVENTS = (
    *(kind for kind in MERCHANT_EVENTS if kind is not MerchantTokensRevoked),
    MerchantApproved,
    MerchantApprovalWithdrawn,
    OfferListed,
    OfferWithdrawn,
)
_COUNTERS = {"product": "products", "service": "services"}


class TownDirectory(Projection):
    """Who trades in town, how to reach them, when they are open and how much they offer."""

    name = "town_directory"
    event_types = _EVENTS
    tables = (MERCHANTS,)
    parallel_rebuild = True  # see merge

    def merge(self, table: Table, first: Row | None, second: Row | None) -> Row | None:
        """A merchant's row as folded from two sets of partitions. Only the side holding the
        merchant's own stream has merchant events; the other saw only offers, which move
        the counters and the time. So counters add up, the time is the later one, and every
        other column is whichever side's differs from a row no merchant event has touched."""
        if first is None or second is None:
            return second if first is None else first
        untouched = _unregistered(first["merchant_id"])
        merged = {column: value if value != untouched[column] else second[column] for column, value in first.items()}
        for counter in _COUNTERS.values():
            merged[counter] = first[counter] + second[counter]
        if second["updated_at"] is not None:
            merged["updated_at"] = _latest(first["updated_at"], second["updated_at"])
        return merged

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        data = event.event
        return [(MERCHANTS, data.merchant_id)] if isinstance(data, _EVENTS) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data = event.event
        if not isinstance(data, _EVENTS):
            return
        row = rows.get(MERCHANTS, data.merchant_id) or _unregistered(data.merchant_id)
        if isinstance(data, OfferListed | OfferWithdrawn):  # the classes are disjoint: the order is free
            counter = _COUNTERS[data.kind]
            row[counter] += 1 if isinstance(data, OfferListed) else -1
        elif isinstance(data, MerchantRegistered):
            row.update(_profile(data.profile), registered_at=event.envelope.time, approved=False)
            row["opening_hours"] = opening_hours_column(data.opening_hours)
        elif isinstance(data, MerchantProfileChanged):
            row.update(_profile(data.profile))
        elif isinstance(data, OpeningHoursChanged):
            row["opening_hours"] = opening_hours_column(data.opening_hours)
        elif isinstance(data, MerchantClosed):
            row.update(closed=True, closed_note=data.note)
        elif isinstance(data, MerchantReopened):
            row.update(closed=False, closed_note="")
        elif isinstance(data, MerchantAvailabilityNoted):
            row.update(availability_note=data.note, availability_day=data.for_day)
        elif isinstance(data, MerchantSuspended):
            row.update(suspended=True, suspension_reason=data.reason)
        elif isinstance(data, MerchantReinstated):
            row.update(suspended=False, suspension_reason=None)
        elif isinstance(data, MerchantApproved | MerchantApprovalWithdrawn):
            row["approved"] = isinstance(data, MerchantApproved)
        row["updated_at"] = _latest(row["updated_at"], event.envelope.time)
        rows.put(MERCHANTS, row)


def _unregistered(merchant_id: Any) -> Row:
    """A row known only from offer events so far; the registration fills in the rest."""
    return {
        "merchant_id": merchant_id,
        "name": None,
        "category": None,
        "street": None,
        "postal_code": None,
        "city": None,
        "phone": None,
        "email": None,
        "video_consultation_url": None,
        "opening_hours": [],
        "offers_delivery": None,
        "offers_pickup": None,
        "sells_vouchers": None,
        "latitude": None,
        "longitude": None,
        "products": 0,
        "services": 0,
        "closed": False,
        "closed_note": "",
        "availability_note": None,
        "availability_day": None,
        "suspended": False,
        "suspension_reason": None,
        "approved": None,
        "registered_at": None,
        "updated_at": None,
    }


def _profile(profile: MerchantProfile) -> Row:
    """The profile as the merchant replicas of other services hold it, less what the directory
    does not show (the tax number is for invoices)."""
    return {column: value for column, value in profile_columns(profile).items() if column in MERCHANTS.columns}


def _latest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current
