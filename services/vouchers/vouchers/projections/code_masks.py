# SPDX-License-Identifier: AGPL-3.0-or-later
"""Each voucher's code as statements show it, masked (``••••-••••-••••-••••-X7KQ``).

The masked form is private: ``VoucherCodeMaskRecorded``, noted at the voucher's first
redemption by code at a counter, and ``VoucherPaymentAuthorized``, whose code was typed at an
online checkout. So this read model is fed from and rebuilt from the vouchers' own event
store (``Projection.from_store``), like the code lookup. Both say the same of one voucher,
so whichever comes last writes the same row. A voucher whose code the service never saw
typed since (redeemed or authorised only before issue 16) has no row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from downtown_events.runtime.projection import Projection, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent
from vouchers.domain.private_events import VoucherCodeMaskRecorded, VoucherPaymentAuthorized

MASKS = Table(name="voucher_code_masks", key="voucher_id", columns={"voucher_id": "uuid", "masked_code": "text"})


class CodeMasks(Projection):
    name = "code_masks"
    tables = (MASKS,)
    event_types = (VoucherCodeMaskRecorded, VoucherPaymentAuthorized)
    from_store = True

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        noted = _noted(event)
        return [(MASKS, noted[0])] if noted else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        noted = _noted(event)
        if noted:
            rows.put(MASKS, {"voucher_id": noted[0], "masked_code": noted[1]})


def _noted(event: ReceivedEvent) -> tuple[UUID, str] | None:
    """The voucher and its masked code, when the event says them."""
    data = event.event
    if isinstance(data, VoucherCodeMaskRecorded | VoucherPaymentAuthorized) and data.masked_code:
        return data.voucher_id, data.masked_code
    return None
