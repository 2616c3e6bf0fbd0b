# SPDX-License-Identifier: AGPL-3.0-or-later
"""Which purchases each buyer has waiting for their money, by the keyed reference standing
for the buyer: fed from the service's own store.

The reference is private (``PurchaseSecretsSealed``), never on a topic, so this read model is
fed from and rebuilt from the vouchers' own event store, like the code lookup. It answers one
question: how many online purchases of one buyer wait for payment (the cap on open unpaid
purchases per buyer). References are stored as each purchase recorded them, so a rebuild
gives the same rows whatever the service derives from an address today.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from downtown_events.runtime.projection import Projection, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.vouchers import PurchaseExpiredUnpaid, PurchasePaid, PurchaseStarted
from vouchers.domain.private_events import PurchaseSecretsSealed

BUYER_PURCHASES = Table(
    name="voucher_buyer_purchases",
    key="purchase_id",
    columns={
        "purchase_id": "uuid",
        "buyer_ref": "text",
        "channel": "text",
        "status": "text",
        "expires_at": "timestamptz",
    },
    indexes=("{table} (buyer_ref, status)",),
)
_EVENTS = (PurchaseStarted, PurchaseSecretsSealed, PurchasePaid, PurchaseExpiredUnpaid)


class BuyerPurchaseIndex(Projection):
    name = "buyer_purchases"
    tables = (BUYER_PURCHASES,)
    event_types = _EVENTS
    from_store = True

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        return [(BUYER_PURCHASES, event.event.purchase_id)] if isinstance(event.event, _EVENTS) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data = event.event
        if isinstance(data, PurchaseStarted):
            row: dict[str, Any] = {"purchase_id": data.purchase_id, "buyer_ref": None}
            rows.put(
                BUYER_PURCHASES, {**row, "channel": data.channel, "status": "pending", "expires_at": data.expires_at}
            )
            return
        existing = rows.get(BUYER_PURCHASES, data.purchase_id) if isinstance(data, _EVENTS) else None
        if existing is None:  # its start was not readable: nothing to count it by
            return
        if isinstance(data, PurchaseSecretsSealed):
            existing["buyer_ref"] = data.buyer_ref
        elif isinstance(data, PurchasePaid):
            existing["status"] = "paid"
        elif isinstance(data, PurchaseExpiredUnpaid):
            existing["status"] = "expired"
        rows.put(BUYER_PURCHASES, existing)
