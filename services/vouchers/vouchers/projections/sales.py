# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the vouchers sell and to whom: programmes, memberships, campaigns and purchases.

One row per aggregate, each written by its own stream only. The API lists programmes and
campaigns from here; the scheduled job finds unpaid purchases past their time here (and
then decides through the purchase's own stream, which refuses what is not due).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from downtown_events.runtime.projection import Projection, Row, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.vouchers import (
    CAMPAIGN_EVENTS,
    MEMBERSHIP_EVENTS,
    PROGRAMME_EVENTS,
    PURCHASE_EVENTS,
    CampaignBonusGranted,
    CampaignBonusReleased,
    CampaignBonusReserved,
    CampaignEnded,
    CampaignStarted,
    MerchantJoinedProgramme,
    ProgrammeChanged,
    ProgrammeClosed,
    ProgrammeOpened,
    PurchaseExpiredUnpaid,
    PurchasePaid,
    PurchaseStarted,
)

PROGRAMMES = Table(
    name="voucher_programmes",
    key="programme_id",
    columns={
        "programme_id": "uuid",
        "kind": "text",
        "merchant_id": "uuid",
        "name": "text",
        "terms": "jsonb",
        "open": "boolean",
        "opened_at": "timestamptz",
    },
    indexes=("{table} (merchant_id)", "{table} (name, programme_id) WHERE open"),
)
MEMBERSHIPS = Table(
    name="voucher_memberships",
    key="membership_id",
    columns={"membership_id": "uuid", "programme_id": "uuid", "merchant_id": "uuid", "active": "boolean"},
    indexes=("{table} (merchant_id)",),
)
CAMPAIGNS = Table(
    name="voucher_campaigns",
    key="campaign_id",
    columns={
        "campaign_id": "uuid",
        "programme_id": "uuid",
        "name": "text",
        "bonus_percent": "integer",
        "budget_cents": "bigint",
        "reserved_cents": "bigint",
        "granted_cents": "bigint",
        "per_buyer_cap_cents": "bigint",
        "ends_at": "timestamptz",
        "ended": "boolean",
        "started_at": "timestamptz",
    },
)
"""``started_at`` (the ``CampaignStarted`` event's time, for the association's list, newest
first) came after the table: null in a row written before it, until a rebuild fills it (which
then differs from the live table in that column only: swap it with ``--force``)."""
PURCHASES = Table(
    name="voucher_purchases",
    key="purchase_id",
    columns={
        "purchase_id": "uuid",
        "channel": "text",
        "total_cents": "bigint",
        "vouchers": "integer",
        "status": "text",
        "method": "text",
        "merchant_id": "uuid",
        "started_at": "timestamptz",
        "expires_at": "timestamptz",
        "paid_at": "timestamptz",
        "cash_taken_by": "uuid",
    },
    indexes=("{table} (status, expires_at)", "{table} (cash_taken_by, paid_at)"),
)
"""``cash_taken_by``: the merchant who confirmed a cash payment, holding that money for the
association where it paid for town vouchers (the settlement nets it). A column added later:
rows from before hold null until the projection is rebuilt (``make rebuild PROJECTION=sales``)."""
_EVENTS = (*PROGRAMME_EVENTS, *MEMBERSHIP_EVENTS, *CAMPAIGN_EVENTS, *PURCHASE_EVENTS)
_CAMPAIGN_MOVES = {
    CampaignBonusReserved: {"reserved_cents": 1},
    CampaignBonusGranted: {"reserved_cents": -1, "granted_cents": 1},
    CampaignBonusReleased: {"reserved_cents": -1},
}


class Sales(Projection):
    name = "sales"
    tables = (PROGRAMMES, MEMBERSHIPS, CAMPAIGNS, PURCHASES)
    event_types = _EVENTS

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        data = event.event
        if isinstance(data, PROGRAMME_EVENTS):
            return [(PROGRAMMES, data.programme_id)]
        if isinstance(data, MEMBERSHIP_EVENTS):
            return [(MEMBERSHIPS, data.membership_id)]
        if isinstance(data, CAMPAIGN_EVENTS):
            return [(CAMPAIGNS, data.campaign_id)]
        if isinstance(data, PURCHASE_EVENTS):
            return [(PURCHASES, data.purchase_id)]
        return []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data = event.event
        if isinstance(data, PROGRAMME_EVENTS):
            _programme(rows, event)
        elif isinstance(data, MEMBERSHIP_EVENTS):
            active = isinstance(data, MerchantJoinedProgramme)
            row: Row = {"membership_id": data.membership_id, "programme_id": data.programme_id}
            rows.put(MEMBERSHIPS, {**row, "merchant_id": data.merchant_id, "active": active})
        elif isinstance(data, CAMPAIGN_EVENTS):
            _campaign(rows, event)
        elif isinstance(data, PURCHASE_EVENTS):
            _purchase(rows, event)


def _programme(rows: RowSet, event: ReceivedEvent) -> None:
    data: Any = event.event
    if isinstance(data, ProgrammeOpened):
        row: Row = {"programme_id": data.programme_id, "kind": data.kind, "merchant_id": data.merchant_id}
        row.update(open=True, opened_at=event.envelope.time)
    elif (existing := rows.get(PROGRAMMES, data.programme_id)) is None:
        return
    else:
        row = existing
    if isinstance(data, ProgrammeOpened | ProgrammeChanged):
        row.update(name=data.terms.name, terms=data.terms.model_dump(mode="json"))
    if isinstance(data, ProgrammeClosed):
        row["open"] = False
    rows.put(PROGRAMMES, row)


def _campaign(rows: RowSet, event: ReceivedEvent) -> None:
    data: Any = event.event
    if isinstance(data, CampaignStarted):
        fields = ("campaign_id", "programme_id", "name", "bonus_percent", "budget_cents", "per_buyer_cap_cents")
        row: Row = {name: getattr(data, name) for name in fields}
        row.update(ends_at=data.ends_at, reserved_cents=0, granted_cents=0, ended=False)
        rows.put(CAMPAIGNS, {**row, "started_at": event.envelope.time})
        return
    existing = rows.get(CAMPAIGNS, data.campaign_id)
    if existing is None:
        return
    if isinstance(data, CampaignEnded):
        existing["ended"] = True
    for column, sign in _CAMPAIGN_MOVES.get(type(data), {}).items():
        existing[column] += sign * data.bonus_cents
    rows.put(CAMPAIGNS, existing)


def _purchase(rows: RowSet, event: ReceivedEvent) -> None:
    data: Any = event.event
    if isinstance(data, PurchaseStarted):
        row: Row = {"purchase_id": data.purchase_id, "channel": data.channel, "total_cents": data.total_cents}
        row.update(vouchers=len(data.items), status="pending", method=None, merchant_id=data.merchant_id)
        row["cash_taken_by"] = None
        rows.put(PURCHASES, {**row, "started_at": event.envelope.time, "expires_at": data.expires_at, "paid_at": None})
        return
    existing = rows.get(PURCHASES, data.purchase_id)
    if existing is None:
        return
    if isinstance(data, PurchasePaid):
        existing.update(status="paid", method=data.method, paid_at=event.envelope.time)
        existing["cash_taken_by"] = data.merchant_id if data.method == "cash" else None
    elif isinstance(data, PurchaseExpiredUnpaid):
        existing["status"] = "expired"
    rows.put(PURCHASES, existing)
