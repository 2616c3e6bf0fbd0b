# SPDX-License-Identifier: AGPL-3.0-or-later
"""Each voucher's code as statements show it, masked (``••••-••••-••••-••••-X7KQ``).

The masked form is private (``VoucherCodeMaskRecorded``, noted at the voucher's first
redemption by code), so this read model is fed from and rebuilt from the vouchers' own
event store (``Projection.from_store``), like the code lookup. A voucher never redeemed by
code (spent through orders only, or issued before the masked form was noted) has no row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from downtown_events.runtime.projection import Projection, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent
from vouchers.domain.private_events import VoucherCodeMaskRecorded

MASKS = Table(name="voucher_code_masks", key="voucher_id", columns={"voucher_id": "uuid", "masked_code": "text"})


class CodeMasks(Projection):
    name = "code_masks"
    tables = (MASKS,)
    event_types = (VoucherCodeMaskRecorded,)
    from_store = True

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        return [(MASKS, event.event.voucher_id)] if isinstance(event.event, VoucherCodeMaskRecorded) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        if isinstance(event.event, VoucherCodeMaskRecorded):
            rows.put(MASKS, {"voucher_id": event.event.voucher_id, "masked_code": event.event.masked_code})
