# SPDX-License-Identifier: AGPL-3.0-or-later
"""The invoice PDF's text against its golden file (``golden/pdf/``): every label and sentence
it prints, from fixed particulars. A wording changed on purpose: ``DOWNTOWN_UPDATE_GOLDEN=1``
(see ``tests/support/golden.py``), then review the diff."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from downtown_events.catalog import Address
from downtown_events.ordering import VatAmount
from ordering.adapters.invoice_pdf import render_invoice_pdf
from ordering.domain.invoice_document import InvoiceDocument, InvoiceLine, InvoiceParty
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

CASES = {"invoice_delivered_part_paid.txt": DELIVERED, "invoice_collected_paid.txt": COLLECTED}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_invoice_says_what_its_golden_file_says(name: str) -> None:
    assert_golden(GOLDEN / name, pdf_text(render_invoice_pdf(CASES[name])))


def test_every_golden_invoice_is_still_rendered() -> None:
    assert_no_stale_golden(GOLDEN, CASES)
