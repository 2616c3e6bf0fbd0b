# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the service fills a document with: vouchers, settlement statements, issued codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from downtown_events.references import order_reference, purchase_reference
from vouchers.domain.codes import VoucherCode


@dataclass(frozen=True)
class VoucherDocument:
    """One printable voucher. ``value_cents`` includes ``bonus_cents`` (a campaign's gift).

    ``valid_at`` names where it is spent (a merchant's name); None for a town voucher, which
    the card says is valid at every participating shop of ``town_name``, in its language."""

    voucher_id: UUID
    code: VoucherCode
    value_cents: int
    town_name: str
    programme_name: str
    valid_at: str | None
    expires_on: date
    recipient_name: str | None = None
    message: str | None = None
    bonus_cents: int = 0

    def __post_init__(self) -> None:
        if self.value_cents <= 0 or not 0 <= self.bonus_cents <= self.value_cents:
            raise ValueError("a voucher is worth more than 0 and its bonus is part of its value")


@dataclass(frozen=True)
class SettlementLine:
    """One redemption at the merchant, and how much of it was reversed or refunded since.

    People read it by when (``redeemed_at``, in the town's time), which order it paid
    (``order_id``, shown as :attr:`order_reference`; none for a redemption at the counter)
    and which voucher (``masked_code``, when the service knows it); the ids are for machines.
    """

    redeemed_at: datetime
    voucher_id: UUID
    redemption_id: UUID
    amount_cents: int
    reversed_cents: int
    order_id: UUID | None = None
    masked_code: str | None = None

    def __post_init__(self) -> None:
        if self.amount_cents < 0 or self.reversed_cents < 0:
            raise ValueError("settlement amounts are 0 or more")

    @property
    def order_reference(self) -> str | None:
        """``A1B2C3D4``, as ordering's mails name the order; None at the counter."""
        return order_reference(self.order_id) if self.order_id is not None else None

    @property
    def owed_cents(self) -> int:
        return self.amount_cents - self.reversed_cents


@dataclass(frozen=True)
class CounterSale:
    """Town vouchers the merchant sold at its counter for cash: the town's money it holds,
    which the statement takes off what the association owes it."""

    paid_at: datetime
    purchase_id: UUID
    vouchers: int
    cash_cents: int

    def __post_init__(self) -> None:
        if self.vouchers < 1 or self.cash_cents < 0:
            raise ValueError("a counter sale is of one voucher or more, for 0 or more")

    @property
    def purchase_reference(self) -> str:
        """``GS-A1B2C3D4``: the purchase as the vouchers' mails and the association name it."""
        return purchase_reference(self.purchase_id)


@dataclass(frozen=True)
class SettlementStatement:
    """What the association owes one merchant for town vouchers redeemed in a period, net of
    the cash the merchant took for town vouchers at its counter (the JSON statement's sums).

    ``lines`` and ``counter_sales`` are printed in the order given; their times as given
    (pass the town's local time).
    """

    town_name: str
    programme_name: str
    merchant_name: str
    merchant_id: UUID
    period_start: date
    period_end: date
    lines: Sequence[SettlementLine]
    counter_sales: Sequence[CounterSale] = ()

    def __post_init__(self) -> None:
        if self.period_end < self.period_start:
            raise ValueError("a settlement period ends on or after its start")

    @property
    def redeemed_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def reversed_cents(self) -> int:
        return sum(line.reversed_cents for line in self.lines)

    @property
    def counter_cash_cents(self) -> int:
        return sum(sale.cash_cents for sale in self.counter_sales)

    @property
    def owed_cents(self) -> int:
        """Redeemed − reversed − counter cash: below zero, the merchant owes the association
        (it took more of the town's cash than the town owes it for redemptions)."""
        return self.redeemed_cents - self.reversed_cents - self.counter_cash_cents


@dataclass(frozen=True)
class IssuedCode:
    """One line of a bulk issue export (codes in the clear: the file is as secret as the money)."""

    voucher_id: UUID
    code: VoucherCode
    value_cents: int
    expires_on: date
    programme_name: str
