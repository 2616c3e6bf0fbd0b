# SPDX-License-Identifier: AGPL-3.0-or-later
"""Which voucher a code belongs to, by the code's keyed hash: fed from the service's own store.

The hashes are private (``VoucherCodeAssigned``), never on a topic, so this read model is
fed from and rebuilt from the vouchers' own event store (``Projection.from_store``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from downtown_events.runtime.projection import Projection, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent
from vouchers.domain.private_events import VoucherCodeAssigned

CODES = Table(name="voucher_codes", key="code_hash", columns={"code_hash": "text", "voucher_id": "uuid"})


class CodeLookup(Projection):
    name = "code_lookup"
    tables = (CODES,)
    event_types = (VoucherCodeAssigned,)
    from_store = True

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        return [(CODES, event.event.code_hash)] if isinstance(event.event, VoucherCodeAssigned) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        if isinstance(event.event, VoucherCodeAssigned):
            rows.put(CODES, {"code_hash": event.event.code_hash, "voucher_id": event.event.voucher_id})
