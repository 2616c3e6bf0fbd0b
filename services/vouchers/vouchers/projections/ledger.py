# SPDX-License-Identifier: AGPL-3.0-or-later
"""The voucher ledger: every voucher's balance and every change to it, from the log.

``voucher_balances`` has one row per voucher (what is left, in the buyer's money and the
bonus apart; expired remainders as breakage); ``voucher_history`` one row per issue,
redemption, reversal, refund and expiry. Liability, figures over time and settlement
statements are sums over these two (see ``queries``), not counters of their own: every
row here is written by one voucher's stream only, so worker replicas never contend for a
row and a rebuild from offset zero gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from downtown_events.runtime.projection import Projection, Row, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.vouchers import (
    BalanceChange,
    VoucherExpired,
    VoucherIssued,
    VoucherRedeemed,
    VoucherRedemptionReversed,
    VoucherRefunded,
)

BALANCES = Table(
    name="voucher_balances",
    key="voucher_id",
    columns={
        "voucher_id": "uuid",
        "purchase_id": "uuid",
        "programme_id": "uuid",
        "kind": "text",
        "merchant_id": "uuid",
        "campaign_id": "uuid",
        "value_cents": "bigint",
        "paid_cents": "bigint",
        "bonus_cents": "bigint",
        "paid_balance_cents": "bigint",
        "bonus_balance_cents": "bigint",
        "balance_cents": "bigint",
        "breakage_cents": "bigint",
        "expires_on": "date",
        "status": "text",
        "issued_at": "timestamptz",
        "updated_at": "timestamptz",
    },
    indexes=("{table} (status, expires_on)", "{table} (programme_id, merchant_id)", "{table} (purchase_id)"),
)
HISTORY = Table(
    name="voucher_history",
    key="entry_id",
    columns={
        "entry_id": "text",
        "voucher_id": "uuid",
        "version": "integer",
        "kind": "text",
        "at": "timestamptz",
        "programme_id": "uuid",
        "programme_kind": "text",
        "merchant_id": "uuid",
        "redemption_id": "uuid",
        "amount_cents": "bigint",
        "paid_part_cents": "bigint",
        "bonus_part_cents": "bigint",
        "balance_after_cents": "bigint",
        "channel": "text",
        "order_id": "uuid",
    },
    indexes=("{table} (voucher_id, version)", "{table} (merchant_id, at)", "{table} (programme_id, at)"),
)
_EVENTS = (VoucherIssued, VoucherRedeemed, VoucherRedemptionReversed, VoucherRefunded, VoucherExpired)
_KINDS: dict[type, str] = {
    VoucherIssued: "issued",
    VoucherRedeemed: "redeemed",
    VoucherRedemptionReversed: "reversed",
    VoucherRefunded: "refunded",
    VoucherExpired: "expired",
}


class VoucherLedger(Projection):
    name = "ledger"
    tables = (BALANCES, HISTORY)
    event_types = _EVENTS

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        if not isinstance(event.event, _EVENTS):
            return []
        return [(BALANCES, event.event.voucher_id), (HISTORY, _entry_id(event))]

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data = event.event
        if isinstance(data, VoucherIssued):
            voucher = {**_issued(data), "issued_at": event.envelope.time}
        elif isinstance(data, _EVENTS):
            existing = rows.get(BALANCES, data.voucher_id)
            if existing is None:  # its issue was not readable; the stream's later events cannot be placed
                return
            voucher = _changed(existing, data)
        else:
            return
        voucher["updated_at"] = event.envelope.time
        rows.put(BALANCES, voucher)
        rows.put(HISTORY, _history_row(event, voucher))


def _entry_id(event: ReceivedEvent) -> str:
    return f"{event.stream_id}:{event.stream_version}"


def _issued(data: VoucherIssued) -> Row:
    return {
        "voucher_id": data.voucher_id,
        "purchase_id": data.purchase_id,
        "programme_id": data.programme_id,
        "kind": data.kind,
        "merchant_id": data.merchant_id,
        "campaign_id": data.campaign_id,
        "value_cents": data.value_cents,
        "paid_cents": data.paid_cents,
        "bonus_cents": data.bonus_cents,
        "paid_balance_cents": data.paid_cents,
        "bonus_balance_cents": data.bonus_cents,
        "balance_cents": data.value_cents,
        "breakage_cents": 0,
        "expires_on": data.expires_on,
        "status": "active",
    }


def _changed(voucher: Row, data: Any) -> Row:
    if isinstance(data, VoucherExpired):
        voucher["paid_balance_cents"] -= data.paid_breakage_cents
        voucher["bonus_balance_cents"] -= data.bonus_breakage_cents
        voucher["breakage_cents"] += data.breakage_cents
        voucher["status"] = "expired"
    elif isinstance(data, BalanceChange):
        sign = -1 if isinstance(data, VoucherRedeemed) else 1
        voucher["paid_balance_cents"] += sign * data.paid_part_cents
        voucher["bonus_balance_cents"] += sign * data.bonus_part_cents
        if voucher["status"] != "expired":
            voucher["status"] = "active" if data.balance_after_cents else "spent"
    voucher["balance_cents"] = voucher["paid_balance_cents"] + voucher["bonus_balance_cents"]
    return voucher


def _history_row(event: ReceivedEvent, voucher: Row) -> Row:
    data: Any = event.event
    row: Row = {
        "entry_id": _entry_id(event),
        "voucher_id": voucher["voucher_id"],
        "version": event.stream_version,
        "kind": _KINDS[type(data)],
        "at": event.envelope.time,
        "programme_id": voucher["programme_id"],
        "programme_kind": voucher["kind"],
        "merchant_id": getattr(data, "merchant_id", None),
        "redemption_id": getattr(data, "redemption_id", None),
        "channel": getattr(data, "channel", None),
        "order_id": getattr(data, "order_id", None),
        "balance_after_cents": voucher["balance_cents"],
    }
    if isinstance(data, VoucherIssued):
        row.update(amount_cents=data.value_cents, paid_part_cents=data.paid_cents, bonus_part_cents=data.bonus_cents)
    elif isinstance(data, VoucherExpired):
        row.update(
            amount_cents=data.breakage_cents,
            paid_part_cents=data.paid_breakage_cents,
            bonus_part_cents=data.bonus_breakage_cents,
        )
    else:
        row.update(
            amount_cents=data.amount_cents, paid_part_cents=data.paid_part_cents, bonus_part_cents=data.bonus_part_cents
        )
    return row
