# SPDX-License-Identifier: AGPL-3.0-or-later
"""The invoice PDF, read back as its recipient's PDF reader reads it (text extracted with pypdfium2),
in whatever script the names are written."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pypdfium2

from downtown_events.catalog import Address
from downtown_events.ordering import VatAmount
from ordering.adapters.invoice_pdf import render_invoice_pdf
from ordering.adapters.receipt_pdf import render_receipt_pdf
from ordering.app.notifications import mail_texts
from ordering.domain.invoice_document import InvoiceDocument, InvoiceLine, InvoiceParty
from ordering.domain.private_events import Receipt

SHOP = InvoiceParty(
    name="Fahrrad Terhaar",
    address=Address(street="Markt 3", postal_code="48624", city="Schöppingen"),
    tax_number="DE123456789",
    tax_number_kind="vat_id",
)
BUYER = InvoiceParty(
    name="Jörg Müller-Weiß", address=Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
)


def item(title: str, quantity: int, unit: int, gross: int, rate: int) -> InvoiceLine:
    return InvoiceLine(title=title, quantity=quantity, unit_gross_cents=unit, gross_cents=gross, vat_rate_percent=rate)


def document(**changes: object) -> InvoiceDocument:
    fields: dict[str, object] = {
        "number": "RE-2026-00042",
        "issued_on": date(2026, 3, 2),
        "supplied_on": date(2026, 3, 1),
        "seller": SHOP,
        "buyer": BUYER,
        "lines": (
            item("Fahrradschlauch 28 Zoll", 2, 899, 1798, 19),
            item("Kaffee, 500 g", 1, 1070, 1070, 7),
        ),
        "delivery_fee_cents": 390,
        "delivery_fee_vat_percent": 19,
        # 19 %: 1798 + 390 = 2188 gross -> 1839 net, 349 VAT; 7 %: 1070 gross -> 1000 net, 70 VAT
        "vat": (
            VatAmount(rate_percent=7, net_cents=1000, vat_cents=70),
            VatAmount(rate_percent=19, net_cents=1839, vat_cents=349),
        ),
        "net_cents": 2839,
        "vat_cents": 419,
        "gross_cents": 3258,
        "voucher_cents": 1000,
        "due_cents": 2258,
        "payment_method": "invoice",
    }
    fields.update(changes)
    return InvoiceDocument(**fields)  # type: ignore[arg-type]


def text_of(pdf: bytes) -> str:
    pages = list(pypdfium2.PdfDocument(pdf))
    return "\n".join(str(page.get_textpage().get_text_range()) for page in pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_pdf_carries_every_particular_paragraph_14_ustg_asks_for() -> None:
    pdf = render_invoice_pdf(document())
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    text = flat(text_of(pdf))
    # Nr. 1, 2: both parties, the merchant's tax number
    for expected in (
        "Fahrrad Terhaar",
        "Markt 3",
        "48624 Schöppingen",
        "DE123456789",
        "Jörg Müller-Weiß",
        "Hauptstraße 1",
    ):
        assert expected in text
    # Nr. 3, 4, 6: date of issue, the number, date of supply
    assert "RE-2026-00042" in text and "02.03.2026" in text and "01.03.2026" in text
    # Nr. 5: quantity and kind
    assert "Fahrradschlauch 28 Zoll" in text and "Kaffee, 500 g" in text and "8,99 €" in text and "17,98 €" in text
    # Nr. 7, 8: net per rate, the rate, the tax per rate
    assert "Net at 7 % 10,00 €" in text and "VAT at 7 % 0,70 €" in text
    assert "Net at 19 % 18,39 €" in text and "VAT at 19 % 3,49 €" in text
    assert "Total net 28,39 €" in text and "Total VAT 4,19 €" in text and "Invoice total 32,58 €" in text
    # the voucher part and what is left to pay
    assert "-10,00 €" in text and "Left to pay 22,58 €" in text


def test_the_delivery_fee_is_a_line_at_the_rate_it_was_taxed_at() -> None:
    text = flat(text_of(render_invoice_pdf(document())))
    assert "Courier delivery 3,90 € 19 % 3,90 €" in text


def test_the_tax_number_is_labelled_by_its_kind() -> None:
    assert "VAT id: DE123456789" in flat(text_of(render_invoice_pdf(document())))
    steuernummer = SHOP.model_copy(update={"tax_number": "12/345/67890", "tax_number_kind": "tax_number"})
    assert "Tax number: 12/345/67890" in flat(text_of(render_invoice_pdf(document(seller=steuernummer))))


def test_names_in_any_script_print_as_written_in_embedded_fonts() -> None:
    seller = SHOP.model_copy(update={"name": "Книжный дом Иванов"})
    buyer = BUYER.model_copy(update={"name": "王小明 (김민준) 😀"})
    lines = (item("Ελληνικός καφές ☕", 1, 1070, 1070, 7), item("抹茶 🦄", 2, 899, 1798, 19))
    pdf = render_invoice_pdf(document(seller=seller, buyer=buyer, lines=lines))
    embedded = set(re.findall(rb"/BaseFont /[A-Z]{6}\+([A-Za-z-]+)", pdf))
    assert {b"DejaVuSans", b"DejaVuSans-Bold", b"DroidSansFallback"} <= embedded
    text = flat(text_of(pdf))
    for name in ("Книжный дом Иванов", "王小明 (김민준) 😀", "Ελληνικός καφές ☕", "抹茶 \ufffd"):
        assert name in text  # the unicorn has no glyph in any font: one visible replacement
    assert "■" not in text


def test_without_a_date_of_supply_it_says_the_supply_was_on_the_day_of_issue() -> None:
    text = flat(text_of(render_invoice_pdf(document(supplied_on=None))))
    assert "same as the invoice date" in text


def test_a_paid_invoice_says_so() -> None:
    paid = document(voucher_cents=3258, due_cents=0, payment_method="voucher")
    text = flat(text_of(render_invoice_pdf(paid)))
    assert "The invoice is paid" in text and "Left to pay 0,00 €" in text


def test_the_same_invoice_gives_the_same_bytes() -> None:
    assert render_invoice_pdf(document()) == render_invoice_pdf(document())


def test_typed_text_is_drawn_as_text_never_as_markup() -> None:
    hostile = "<b>fett</b> & <font size=90>gross</font> ]]>\x00\x07 \u202ekehrt um"
    buyer = BUYER.model_copy(update={"name": hostile})
    lines = (item(hostile, 1, 100, 100, 19),)
    vat = (VatAmount(rate_percent=19, net_cents=84, vat_cents=16),)
    pdf = render_invoice_pdf(
        document(
            buyer=buyer,
            lines=lines,
            vat=vat,
            delivery_fee_cents=0,
            net_cents=84,
            vat_cents=16,
            gross_cents=100,
            voucher_cents=0,
            due_cents=100,
        )
    )
    text = text_of(pdf)
    assert "<b>fett</b> &" in text and "<font size=90>gross</font>" in text
    assert "\x00" not in text and "\u202e" not in text


def test_a_long_invoice_runs_on_over_pages() -> None:
    lines = tuple(item(f"Artikel {n}", 1, 100, 100, 19) for n in range(100))
    vat = (VatAmount(rate_percent=19, net_cents=8403, vat_cents=1597),)
    pdf = render_invoice_pdf(
        document(
            lines=lines,
            vat=vat,
            delivery_fee_cents=0,
            net_cents=8403,
            vat_cents=1597,
            gross_cents=10000,
            voucher_cents=0,
            due_cents=10000,
        )
    )
    assert len(pypdfium2.PdfDocument(pdf)) > 1
    text = flat(text_of(pdf))
    assert "Artikel 0" in text and "Artikel 99" in text and "Invoice total 100,00 €" in text


def test_an_english_customers_invoice_is_english_first_with_the_german_beside() -> None:
    text = flat(text_of(render_invoice_pdf(document(), "en")))
    assert "Invoice / Rechnung" in text and "Invoice total / Rechnungsbetrag €32.58" in text
    assert "Date of issue / Rechnungsdatum 2 Mar 2026" in text


def test_a_towns_catalogue_words_the_invoice_and_the_receipt(tmp_path: Path) -> None:
    """A town's ``DOWNTOWN_TEXTS_DIR`` changes a document's label as it changes a mail's; its
    own catalogue also sets the date's pattern."""
    po = tmp_path / "ordering" / "locale" / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Billed to"\nmsgstr "Rechnungsempfänger"\n\n'
        'msgid "Received with thanks"\nmsgstr "Betrag erhalten"\n\n'
        'msgid "d MMM yyyy"\nmsgstr "d. MMMM yyyy"\n'
    )
    texts = mail_texts(tmp_path)
    text = flat(text_of(render_invoice_pdf(document(), "de", texts)))
    assert "Rechnungsempfänger / Billed to" in text and "Rechnungsdatum / Date of issue 2. März 2026" in text
    assert "Rechnungssteller / Issued by" in text  # the rest as ordering words it
    receipt = Receipt(
        number="A1B2C3D4",
        paid_on=date(2026, 3, 2),
        seller=SHOP,
        lines=(item("Kaffee, 500 g", 1, 1070, 1070, 7),),
        vat=(VatAmount(rate_percent=7, net_cents=1000, vat_cents=70),),
        gross_cents=1070,
        paid_cents=1070,
        payment_method="at_pickup",
    )
    assert "Betrag erhalten / Received with thanks 10,70 €" in flat(text_of(render_receipt_pdf(receipt, "de", texts)))


def test_a_translation_is_printed_as_text_never_as_markup(tmp_path: Path) -> None:
    po = tmp_path / "ordering" / "locale" / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Billed to"\nmsgstr "<b>Kunde & Co</b>"\n'
    )
    assert "<b>Kunde & Co</b> / Billed to" in text_of(render_invoice_pdf(document(), "de", mail_texts(tmp_path)))


def test_a_translation_that_does_not_format_prints_the_english_instead(tmp_path: Path) -> None:
    """A town's entry naming a value the label is not given costs the label its German, not
    the customer their invoice."""
    po = tmp_path / "ordering" / "locale" / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Net at %(rate)s %%"\nmsgstr "Netto zu %(satz)s %%"\n'
    )
    text = flat(text_of(render_invoice_pdf(document(), "de", mail_texts(tmp_path))))
    assert "Net at 7 % 10,00 €" in text and "Umsatzsteuer 7 % / VAT at 7 %" in text
