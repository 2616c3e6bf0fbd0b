# SPDX-License-Identifier: AGPL-3.0-or-later
"""The voucher PDF's and the settlement statement PDF's text against their golden files
(``golden/pdf/``), from fixed fixtures: German (no language named), and English (``.en.txt``).
A wording changed on purpose: ``DOWNTOWN_UPDATE_GOLDEN=1`` (see ``tests/support/golden.py``), then review the diff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from uuid import UUID

import pytest

from tests.support.golden import assert_golden, assert_no_stale_golden
from tests.support.pdf_text import pdf_text
from vouchers.adapters.documents import (
    CounterSale,
    SettlementLine,
    SettlementStatement,
    VoucherDocument,
    settlement_pdf,
    voucher_pdf,
)
from vouchers.adapters.documents.wording import Wording
from vouchers.domain.codes import VoucherCode, new_code

GOLDEN = Path(__file__).parent / "golden" / "pdf"


def code(seed: int) -> VoucherCode:
    """A fixed code (a seeded draw), so the page's text is the same every run."""
    return new_code(lambda count: bytes((seed + n * 7) % 256 for n in range(count)))


GIFT = VoucherDocument(
    voucher_id=UUID("6f0c1d9e-0000-4000-8000-0000000000a1"),
    code=code(1),
    value_cents=2500,
    bonus_cents=500,
    town_name="Schöppingen",
    programme_name="Schöppinger Stadtgutschein",
    valid_at=None,  # every participating shop in the town, in the buyer's language
    expires_on=date(2029, 12, 31),
    recipient_name="Jörg Müller-Weiß",
    message="Alles Gute zum Geburtstag!\nDeine Anna",
)
"""A town voucher given as a present, with a campaign's bonus."""

PLAIN = VoucherDocument(
    voucher_id=UUID("6f0c1d9e-0000-4000-8000-0000000000a2"),
    code=code(2),
    value_cents=100_000,
    town_name="Schöppingen",
    programme_name="Gutschein der Weinhandlung Brüggemann",
    valid_at="bei Weinhandlung Brüggemann & Söhne",
    expires_on=date(2030, 6, 30),
)
"""A merchant's voucher bought for oneself: no recipient, no message, no bonus."""


def redemption(number: int, day: int, hour: int, amount: int, reversed_cents: int = 0) -> SettlementLine:
    """Odd numbers paid an order (``A1B2C30n``), even ones were redeemed at the counter;
    the voucher of number 3 was never redeemed by code here, so its masked code is unknown."""
    return SettlementLine(
        redeemed_at=datetime(2029, 11, day, hour, 15),
        voucher_id=UUID(int=100 + number),
        redemption_id=UUID(int=200 + number),
        amount_cents=amount,
        reversed_cents=reversed_cents,
        order_id=UUID(f"a1b2c30{number}-0000-4000-8000-000000000000") if number % 2 else None,
        masked_code=None if number == 3 else f"••••-••••-••••-••••-K7M{number}",
    )


def sale(number: int, day: int, vouchers: int, cash: int) -> CounterSale:
    purchase_id = UUID(f"c0ffee{number:02d}-0000-4000-8000-000000000000")  # GS-C0FFEE0n on paper
    return CounterSale(datetime(2029, 11, day, 16, 45), purchase_id, vouchers=vouchers, cash_cents=cash)


def statement(lines: list[SettlementLine], sales: list[CounterSale]) -> SettlementStatement:
    return SettlementStatement(
        town_name="Schöppingen",
        programme_name="Schöppinger Stadtgutschein",
        merchant_name="Weinhandlung Brüggemann & Söhne",
        merchant_id=UUID("6f0c1d9e-0000-4000-8000-000000000001"),
        period_start=date(2029, 11, 1),
        period_end=date(2029, 11, 30),
        lines=lines,
        counter_sales=sales,
    )


ENGLISH = Wording.of("en")
PAYOUT = statement(
    [redemption(1, 2, 10, 2500), redemption(2, 9, 15, 1250, reversed_cents=250), redemption(3, 20, 11, 5000)],
    [sale(1, 3, 2, 2000)],
)

CASES: dict[str, Callable[[], bytes]] = {
    "voucher_gift_with_bonus.txt": lambda: voucher_pdf([GIFT]),
    "voucher_gift_with_bonus.en.txt": lambda: voucher_pdf([GIFT], ENGLISH),
    # As the service fills it in: a merchant voucher names its merchant, nothing in German.
    "voucher_plain.en.txt": lambda: voucher_pdf([replace(PLAIN, valid_at="Weinhandlung Brüggemann & Söhne")], ENGLISH),
    "statement_payout.en.txt": lambda: settlement_pdf(PAYOUT, ENGLISH),
    "statement_claim_on_the_merchant.en.txt": lambda: settlement_pdf(
        statement([redemption(4, 5, 9, 2500)], [sale(2, 6, 1, 10_000), sale(3, 7, 1, 2_500)]), ENGLISH
    ),
    "voucher_plain.txt": lambda: voucher_pdf([PLAIN]),
    "statement_payout.txt": lambda: settlement_pdf(PAYOUT),
    "statement_claim_on_the_merchant.txt": lambda: settlement_pdf(
        statement([redemption(4, 5, 9, 2500)], [sale(2, 6, 1, 10_000), sale(3, 7, 1, 2_500)])
    ),
    "statement_empty.txt": lambda: settlement_pdf(statement([], [])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_document_says_what_its_golden_file_says(name: str) -> None:
    assert_golden(GOLDEN / name, pdf_text(CASES[name]()))


def test_every_golden_document_is_still_rendered() -> None:
    assert_no_stale_golden(GOLDEN, CASES)
