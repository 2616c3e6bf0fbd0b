# SPDX-License-Identifier: AGPL-3.0-or-later
"""The invoice and receipt PDFs' text against their golden files (``golden/pdf/``): every
label and sentence they print, from fixed particulars, in German (``<case>.txt``, German with
the English beside it, as they always printed) and in English (``<case>.en.txt``, the
English with the German beside it). A wording changed on purpose: ``DOWNTOWN_UPDATE_GOLDEN=1``
(see ``tests/support/golden.py``), then review the diff."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from downtown_events.catalog import Address
from downtown_events.ordering import VatAmount
from ordering.adapters.invoice_pdf import render_invoice_pdf
from ordering.adapters.receipt_pdf import render_receipt_pdf
from ordering.domain.invoice_document import InvoiceDocument, InvoiceLine, InvoiceParty
from ordering.domain.private_events import BankAccount, Receipt
from tests.support.golden import assert_golden, assert_no_stale_golden
from tests.support.pdf_text import pdf_text

GOLDEN = Path(__file__).parent / "golden" / "pdf"

SHOP = InvoiceParty(
    name="Fahrrad Terhaar",
    address=Address(street="Markt 3", postal_code="48624", city="Schöppingen"),
    tax_number="DE123456789",
    tax_number_kind="vat_id",
)
BUYER = InvoiceParty(
    name="Jörg Müller-Weiß", address=Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
)


def item(title: str, quantity: int, unit: int, rate: int) -> InvoiceLine:
    return InvoiceLine(
        title=title, quantity=quantity, unit_gross_cents=unit, gross_cents=quantity * unit, vat_rate_percent=rate
    )


DELIVERED = InvoiceDocument(
    number="RE-2026-00042",
    issued_on=date(2026, 3, 2),
    supplied_on=date(2026, 3, 1),
    seller=SHOP,
    buyer=BUYER,
    lines=(item("Fahrradschlauch 28 Zoll", 2, 899, 19), item("Kaffee, 500 g", 1, 1070, 7)),
    delivery_fee_cents=390,
    delivery_fee_vat_percent=19,
    vat=(
        VatAmount(rate_percent=7, net_cents=1000, vat_cents=70),
        VatAmount(rate_percent=19, net_cents=1839, vat_cents=349),
    ),
    net_cents=2839,
    vat_cents=419,
    gross_cents=3258,
    voucher_cents=1000,
    due_cents=2258,
    payment_method="invoice",
)
"""Delivered by courier, part paid by voucher, the rest by bank transfer; the shop has a VAT id."""

COLLECTED = InvoiceDocument(
    number="RE-2026-00043",
    issued_on=date(2026, 3, 4),
    supplied_on=None,
    seller=SHOP.model_copy(update={"tax_number": "12/345/67890", "tax_number_kind": "tax_number"}),
    buyer=BUYER,
    lines=(item("Fahrradinspektion", 1, 4900, 19),),
    delivery_fee_cents=0,
    delivery_fee_vat_percent=None,
    vat=(VatAmount(rate_percent=19, net_cents=4118, vat_cents=782),),
    net_cents=4118,
    vat_cents=782,
    gross_cents=4900,
    voucher_cents=4900,
    due_cents=0,
    payment_method="voucher",
)
"""Collected, paid wholly by voucher, no date of supply recorded; the shop has a tax number."""

BAKERY = InvoiceParty(
    name="Bäckerei Korn",
    address=Address(street="Kirchstraße 5", postal_code="48624", city="Schöppingen"),
    tax_number="12/345/67890",
    tax_number_kind="tax_number",
)
TO_TRANSFER = InvoiceDocument(
    number="RE-2026-00007",
    issued_on=date(2026, 3, 2),
    supplied_on=date(2026, 3, 2),
    seller=BAKERY,
    buyer=BUYER,
    lines=(item("Roggenbrot", 2, 535, 7), item("Kaffeebecher", 1, 1190, 19)),
    vat=(
        VatAmount(rate_percent=7, net_cents=1000, vat_cents=70),
        VatAmount(rate_percent=19, net_cents=1000, vat_cents=190),
    ),
    net_cents=2000,
    vat_cents=260,
    gross_cents=2260,
    due_cents=2260,
    payment_method="invoice",
    bank=BankAccount(iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX", account_holder="Korn GbR"),
    payment_reference="RE-2026-00007",
)
"""A bakery's bread at 7 % and a mug at 19 % on one invoice, to pay into its account."""

CANCELLATION = TO_TRANSFER.model_copy(
    update={
        "number": "RE-2026-00008",
        "issued_on": date(2026, 3, 9),
        "kind": "cancellation",
        "cancels_number": "RE-2026-00007",
        "cancels_issued_on": date(2026, 3, 2),
        "due_cents": 0,
        "bank": None,
        "payment_reference": "",
    }
)
"""The cancellation invoice (Stornorechnung) of that invoice: its amounts negated."""

CASES = {
    "invoice_delivered_part_paid.txt": DELIVERED,
    "invoice_collected_paid.txt": COLLECTED,
    "invoice_to_transfer_two_rates.txt": TO_TRANSFER,
    "invoice_cancellation.txt": CANCELLATION,
}
RECEIPTS = {
    "receipt_paid_at_pickup.txt": Receipt(
        number="A1B2C3D4",
        paid_on=date(2026, 3, 2),
        seller=BAKERY,
        buyer_name="Jörg Müller-Weiß",
        lines=(item("Roggenbrot", 2, 535, 7), item("Kaffeebecher", 1, 1190, 19)),
        vat=TO_TRANSFER.vat,
        gross_cents=2260,
        voucher_cents=500,
        paid_cents=1760,
        payment_method="at_pickup",
    )
}
"""A receipt (Quittung) for an order paid at pickup, part by voucher."""


LANGUAGES = ("de", "en")


def golden(name: str, language: str) -> str:
    """German keeps the files' names from before documents had a language."""
    return name if language == "de" else name.replace(".txt", f".{language}.txt")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_invoice_says_what_its_golden_file_says(name: str, language: str) -> None:
    assert_golden(GOLDEN / golden(name, language), pdf_text(render_invoice_pdf(CASES[name], language)))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(RECEIPTS))
def test_the_receipt_says_what_its_golden_file_says(name: str, language: str) -> None:
    assert_golden(GOLDEN / golden(name, language), pdf_text(render_receipt_pdf(RECEIPTS[name], language)))


def test_every_golden_invoice_is_still_rendered() -> None:
    assert_no_stale_golden(GOLDEN, [golden(name, language) for name in [*CASES, *RECEIPTS] for language in LANGUAGES])
