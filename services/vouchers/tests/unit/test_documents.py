# SPDX-License-Identifier: AGPL-3.0-or-later
"""The vouchers' documents, read back the way people and spreadsheets read them.

Voucher PDFs are rasterised and their QR codes scanned (pypdfium2, zxing-cpp), their text
extracted; CSVs are parsed with the csv module as a spreadsheet import would.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

import pypdfium2
import pytest
import zxingcpp

from vouchers.adapters.documents import (
    CSV_ENCODING,
    CounterSale,
    IssuedCode,
    SettlementLine,
    SettlementStatement,
    VoucherDocument,
    codes_csv,
    settlement_csv,
    settlement_pdf,
    voucher_pdf,
)
from vouchers.adapters.documents.text import csv_amount
from vouchers.domain.codes import new_code, parse_code

HOSTILE = "<b>fett</b> & <font size=90>gross</font> <para> ]]> 🎉🎁 שלום עולם مرحبا ‮kehrt um\x00\x07 " * 80
SCALE = 1.5  # 108 dpi: a QR module is several pixels wide, as a phone camera would see it


def voucher(**changes: object) -> VoucherDocument:
    fields: dict[str, object] = {
        "voucher_id": uuid4(),
        "code": new_code(),
        "value_cents": 2500,
        "town_name": "Schöppingen",
        "programme_name": "Schöppinger Stadtgutschein",
        "valid_at": "bei allen teilnehmenden Geschäften in Schöppingen",
        "expires_on": date(2029, 12, 31),
        "recipient_name": "Jörg Müller-Weiß",
        "message": "Alles Gute zum Geburtstag!\nDeine Anna",
    }
    fields.update(changes)
    return VoucherDocument(**fields)  # type: ignore[arg-type]


def pages(pdf: bytes) -> list[pypdfium2.PdfPage]:
    return list(pypdfium2.PdfDocument(pdf))


def page_text(page: pypdfium2.PdfPage) -> str:
    return str(page.get_textpage().get_text_range())


def scanned_codes(page: pypdfium2.PdfPage) -> list[str]:
    image = page.render(scale=SCALE).to_pil()
    return [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def statement(count: int, **changes: object) -> SettlementStatement:
    start = datetime(2029, 11, 1, 9, 0)
    fields: dict[str, object] = {
        "town_name": "Schöppingen",
        "programme_name": "Schöppinger Stadtgutschein",
        "merchant_name": "Weinhandlung Brüggemann & Söhne",
        "merchant_id": UUID("6f0c1d9e-0000-4000-8000-000000000001"),
        "period_start": date(2029, 11, 1),
        "period_end": date(2029, 11, 30),
        "lines": [
            SettlementLine(
                redeemed_at=start + timedelta(hours=5 * number),
                voucher_id=uuid4(),
                redemption_id=uuid4(),
                amount_cents=2500,
                reversed_cents=500 if number % 10 == 0 else 0,
                order_id=UUID(int=number) if number % 3 else None,  # every third at the counter
                masked_code=new_code(random.Random(number).randbytes).masked,
            )
            for number in range(count)
        ],
    }
    fields.update(changes)
    return SettlementStatement(**fields)  # type: ignore[arg-type]


def counter_sale(cash_cents: int, vouchers: int = 1, day: int = 3) -> CounterSale:
    return CounterSale(datetime(2029, 11, day, 16, 45), uuid4(), vouchers=vouchers, cash_cents=cash_cents)


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def csv_blocks(text: str) -> list[list[list[str]]]:
    """The statement CSV's blocks as a reader sees them: redemptions, counter sales, totals."""
    blocks: list[list[list[str]]] = [[]]
    for row in read_csv(text):
        if row:
            blocks[-1].append(row)
        else:
            blocks.append([])
    return blocks


def statement_text(owed: SettlementStatement) -> str:
    return "".join(page_text(page) for page in pages(settlement_pdf(owed)))


# --- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "shown"),
    [
        (0, "0,00"),
        (5, "0,05"),
        (2500, "25,00"),
        (123450, "1234,50"),
        (100_000_000_00, "100000000,00"),
        (-300, "-3,00"),
        (-123456, "-1234,56"),
    ],
)
def test_csv_amounts_are_numbers_a_german_spreadsheet_adds_up(cents: int, shown: str) -> None:
    """The documents a person reads use downtown_events.money (tested there); the CSV files
    keep a bare decimal-comma number, no currency sign, no thousands separator."""
    assert csv_amount(cents) == shown


# --- printable vouchers ----------------------------------------------------------------------


def test_every_voucher_gets_a_page_whose_qr_code_scans_back_to_its_code() -> None:
    vouchers = [voucher(), voucher(value_cents=10_000, recipient_name=None, message=None), voucher()]

    printed = pages(voucher_pdf(vouchers))

    assert len(printed) == len(vouchers)
    for page, printed_voucher in zip(printed, vouchers, strict=True):
        scanned = scanned_codes(page)
        assert len(scanned) == 1
        assert scanned[0] == printed_voucher.code.display
        assert parse_code(scanned[0]) == printed_voucher.code


def test_a_voucher_page_says_where_what_until_when_and_for_whom() -> None:
    printed = voucher(bonus_cents=500)
    text = page_text(pages(voucher_pdf([printed]))[0])

    for expected in (
        "Schöppingen",
        "Schöppinger Stadtgutschein",
        "Gutschein",
        "25,00 €",
        "davon 5,00 € Aktionsbonus",
        "bei allen teilnehmenden Geschäften in Schöppingen",
        "31.12.2029",
        "Jörg Müller-Weiß",
        "Alles Gute zum Geburtstag!",
        printed.code.display,
        str(printed.voucher_id),
    ):
        assert expected in text, expected


def test_no_bonus_line_without_a_bonus_and_no_recipient_line_without_a_recipient() -> None:
    text = page_text(pages(voucher_pdf([voucher(recipient_name=None, message=None)]))[0])

    assert "Aktionsbonus" not in text
    assert "Für" not in text


def test_the_qr_code_is_large_enough_to_scan_from_a_phone() -> None:
    page = pages(voucher_pdf([voucher()]))[0]
    image = page.render(scale=SCALE).to_pil()
    (found,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)

    corners = found.position
    edge_pixels = min(corners.top_right.x - corners.top_left.x, corners.bottom_left.y - corners.top_left.y)
    assert edge_pixels / (72 * SCALE) * 2.54 >= 4.0  # the symbol itself, its quiet zone not counted


def test_a_hostile_text_is_printed_as_text_on_one_page() -> None:
    printed = voucher(
        town_name=HOSTILE,
        programme_name=HOSTILE,
        valid_at=HOSTILE,
        recipient_name=HOSTILE,
        message=HOSTILE * 2 + "\n" * 500,
        value_cents=99_999_999_99,
    )
    assert len(printed.message or "") > 5000

    (page,) = pages(voucher_pdf([printed]))
    text = page_text(page)

    assert "<b>fett</b> & <font size=90>gross</font>" in text  # shown, not interpreted
    assert "99.999.999,99 €" in text and "31.12.2029" in text
    assert printed.code.display in text
    assert scanned_codes(page) == [printed.code.display]
    assert "\x00" not in text


@pytest.mark.parametrize(
    "widest",
    ["W" * 1000, ("W" * 30 + "\n") * 50, " ".join(["WWWWWWW"] * 200)],
    ids=["one-word", "many-lines", "many-words"],
)
def test_the_widest_text_in_every_field_still_fits_one_page(widest: str) -> None:
    printed = voucher(
        town_name=widest, programme_name=widest, valid_at=widest, recipient_name=widest, message=widest, bonus_cents=1
    )
    (page,) = pages(voucher_pdf([printed]))

    assert scanned_codes(page) == [printed.code.display]
    assert str(printed.voucher_id) in page_text(page)


def test_a_message_of_the_longest_length_the_service_accepts_is_printed_whole() -> None:
    message = " ".join(f"Gruß{number:03d}" for number in range(125))[:1000]
    (page,) = pages(voucher_pdf([voucher(message=message)]))

    assert " ".join(page_text(page).split()).count("Gruß") == 125


def test_a_long_message_is_cut_and_wraps_inside_the_page() -> None:
    words = " ".join(f"Wort{number}" for number in range(2000))
    (page,) = pages(voucher_pdf([voucher(message=words)]))
    text = page_text(page)

    assert "Wort0 Wort1" in text and "…" in text
    assert "Wort1999" not in text
    width, height = page.get_size()
    textpage = page.get_textpage()
    for index in range(textpage.count_chars()):
        left, bottom, right, top = textpage.get_charbox(index)
        assert 0 <= left <= right <= width and 0 <= bottom <= top <= height


def test_the_pdf_has_a_title_and_is_the_same_for_the_same_vouchers() -> None:
    printed = [voucher()]
    pdf = voucher_pdf(printed)

    metadata = pypdfium2.PdfDocument(pdf).get_metadata_dict()
    assert metadata["Title"] == "Gutschein – Schöppingen"
    assert voucher_pdf(printed) == pdf
    assert b"http" not in pdf.replace(b"http://www.reportlab.com", b"")


def test_nothing_to_print_is_refused() -> None:
    with pytest.raises(ValueError, match="no vouchers"):
        voucher_pdf([])


def test_a_voucher_is_worth_something_and_its_bonus_is_part_of_it() -> None:
    with pytest.raises(ValueError):
        voucher(value_cents=0)
    with pytest.raises(ValueError):
        voucher(value_cents=500, bonus_cents=600)


# --- settlement statements -------------------------------------------------------------------


def test_the_statement_totals_what_was_redeemed_less_what_was_reversed() -> None:
    owed = statement(120)

    assert owed.redeemed_cents == 120 * 2500
    assert owed.reversed_cents == 12 * 500
    assert owed.owed_cents == 300_000 - 6_000


def test_a_long_statement_breaks_over_pages_and_ends_with_the_total_owed() -> None:
    long = statement(120)

    printed = pages(settlement_pdf(long))
    texts = [page_text(page) for page in printed]

    assert len(printed) >= 3
    assert "Abrechnung" in texts[0]
    assert "Weinhandlung Brüggemann & Söhne" in texts[0]
    assert "01.11.2029 – 30.11.2029" in texts[0]
    assert all("Betrag" in text for text in texts)  # the header row repeats
    assert all(f"Seite {number}" in text for number, text in enumerate(texts, start=1))
    every_line = "".join(texts)
    assert all(f"{line.redeemed_at:%d.%m.%Y %H:%M} {line.masked_code}" in every_line for line in long.lines)
    assert all(f"Bestellung {line.order_reference}" in every_line for line in long.lines if line.order_id)
    assert "3.000,00 €" in texts[-1] and "-60,00 €" in texts[-1]
    assert "Auszahlung an Weinhandlung Brüggemann & Söhne: 2.940,00 €" in texts[-1]


def test_statement_lines_name_the_voucher_by_its_masked_code_and_the_order_by_its_reference_not_by_ids() -> None:
    order_id = UUID("a1b2c3d4-5e6f-4a1b-8c2d-0123456789ab")
    paid_an_order = SettlementLine(
        datetime(2029, 11, 2, 18, 5), uuid4(), uuid4(), 1250, 0, order_id, "••••-••••-••••-••••-X7KQ"
    )
    at_the_counter = SettlementLine(datetime(2029, 11, 3, 9, 30), uuid4(), uuid4(), 500, 0)
    owed = statement(0, lines=[paid_an_order, at_the_counter])

    text = statement_text(owed)
    rows, _, _ = csv_blocks(settlement_csv(owed))

    lines = text.replace("\u00a0", " ").splitlines()
    assert lines[lines.index("02.11.2029 18:05 ••••-••••-••••-••••-X7KQ") + 1].startswith("Bestellung A1B2C3D4 12,50 €")
    assert lines[lines.index("03.11.2029 09:30 –") + 1].startswith("an der Kasse 5,00 €")
    assert [row[3:7] for row in rows[1:]] == [
        ["02.11.2029 18:05:00", "••••-••••-••••-••••-X7KQ", "A1B2C3D4", "12,50"],
        ["03.11.2029 09:30:00", "", "an der Kasse", "5,00"],
    ]
    for line in owed.lines:
        for machine_id in (line.voucher_id, line.redemption_id, line.order_id):
            assert str(machine_id) not in text and str(machine_id) not in settlement_csv(owed)


def test_a_statement_without_redemptions_says_so() -> None:
    text = page_text(pages(settlement_pdf(statement(0)))[0])

    assert "Keine Einlösungen in diesem Zeitraum" in text
    assert "Auszahlung an Weinhandlung Brüggemann & Söhne: 0,00 €" in text


def test_a_statement_with_more_reversed_than_redeemed_says_what_the_merchant_owes() -> None:
    line = SettlementLine(datetime(2029, 11, 2, 10, 0), uuid4(), uuid4(), amount_cents=0, reversed_cents=700)
    text = page_text(pages(settlement_pdf(statement(0, lines=[line])))[0])

    assert "Forderung an Weinhandlung Brüggemann & Söhne: 7,00 €" in text


def test_without_counter_sales_the_statement_says_so_and_owes_what_was_redeemed_less_reversed() -> None:
    owed = statement(5)
    text = statement_text(owed)

    assert (owed.counter_cash_cents, owed.owed_cents) == (0, 12_500 - 500)
    assert "Keine Barverkäufe in diesem Zeitraum" in text
    assert "Auszahlung an Weinhandlung Brüggemann & Söhne: 120,00 €" in text

    redemptions, sales, totals = csv_blocks(settlement_csv(owed))
    assert len(redemptions) == 1 + 5
    assert sales == [
        ["Barverkäufe"],
        ["Programm", "Händler", "Händler-ID", "Bezahlt am", "Kauf", "Gutscheine", "Bar"],
    ]
    assert totals == [
        ["Einlösungen", "5"],
        ["Eingelöst", "125,00"],
        ["Storniert", "-5,00"],
        ["Barverkäufe", "0"],
        ["Bareinnahmen", "0,00"],
        ["Saldo", "120,00"],
        ["Auszahlung an den Händler", "120,00"],
    ]


def test_counter_cash_below_what_was_redeemed_is_taken_off_the_payout() -> None:
    sales = [counter_sale(10_000, vouchers=1), counter_sale(5_000, vouchers=2, day=4)]
    owed = statement(10, counter_sales=sales)  # 250 € redeemed, 5 € reversed, 150 € cash
    text = statement_text(owed)

    assert (owed.counter_cash_cents, owed.owed_cents) == (15_000, 25_000 - 500 - 15_000)
    assert "Barverkäufe" in text and "Bezahlt am Kauf Gutscheine Bar" in text
    assert all(f"{sale.paid_at:%d.%m.%Y %H:%M} {sale.purchase_reference}" in text for sale in sales)
    assert "03.11.2029 16:45" in text and "100,00 €" in text and "50,00 €" in text
    assert "-150,00 €" in text  # the counter cash in the totals
    assert "Keine Barverkäufe" not in text
    assert "Auszahlung an Weinhandlung Brüggemann & Söhne: 95,00 €" in text

    redemptions, sale_rows, totals = csv_blocks(settlement_csv(owed))
    assert len(redemptions) == 1 + 10
    names = [owed.programme_name, owed.merchant_name, str(owed.merchant_id)]
    assert sale_rows[2:] == [
        [*names, "03.11.2029 16:45:00", sales[0].purchase_reference, "1", "100,00"],
        [*names, "04.11.2029 16:45:00", sales[1].purchase_reference, "2", "50,00"],
    ]
    assert totals[-4:] == [
        ["Barverkäufe", "2"],
        ["Bareinnahmen", "-150,00"],
        ["Saldo", "95,00"],
        ["Auszahlung an den Händler", "95,00"],
    ]


def test_counter_cash_above_what_was_redeemed_is_owed_by_the_merchant() -> None:
    owed = statement(1, counter_sales=[counter_sale(10_000), counter_sale(2_500)])  # 25 € − 5 € − 125 €

    text = statement_text(owed)

    assert owed.owed_cents == -10_500
    assert "-105,00 €" in text  # the balance
    assert "Forderung an Weinhandlung Brüggemann & Söhne: 105,00 €" in text
    assert "Auszahlung an" not in text
    *_, totals = csv_blocks(settlement_csv(owed))
    assert totals[-3:] == [["Bareinnahmen", "-125,00"], ["Saldo", "-105,00"], ["Forderung an den Händler", "105,00"]]


def test_a_counter_sale_is_of_a_voucher_or_more_for_no_negative_cash() -> None:
    with pytest.raises(ValueError):
        counter_sale(1_000, vouchers=0)
    with pytest.raises(ValueError):
        counter_sale(-1)


def test_a_hostile_merchant_name_does_not_break_the_statement() -> None:
    printed = pages(settlement_pdf(statement(3, merchant_name=HOSTILE, programme_name=HOSTILE)))

    assert "<b>fett</b> & <font size=90>gross</font>" in page_text(printed[0])


def test_a_period_ends_after_it_starts() -> None:
    with pytest.raises(ValueError, match="period"):
        statement(0, period_start=date(2029, 12, 1))


# --- CSV -------------------------------------------------------------------------------------


def test_the_settlement_csv_round_trips_with_german_amounts() -> None:
    owed = statement(25)

    rows, _, _ = csv_blocks(settlement_csv(owed))

    assert rows[0] == [
        "Programm",
        "Händler",
        "Händler-ID",
        "Eingelöst am",
        "Gutschein",
        "Bestellung",
        "Betrag",
        "Storniert",
        "Saldo",
    ]
    assert len(rows) == 1 + 25
    first, second = rows[1], rows[2]
    assert first[:4] == [owed.programme_name, owed.merchant_name, str(owed.merchant_id), "01.11.2029 09:00:00"]
    assert first[4:] == [owed.lines[0].masked_code, "an der Kasse", "25,00", "5,00", "20,00"]
    assert second[3:6] == ["01.11.2029 14:00:00", owed.lines[1].masked_code, "00000000"]  # UUID(int=1)'s reference
    total = sum(int(row[8].replace(",", "")) for row in rows[1:])
    assert total == owed.owed_cents


def test_codes_csv_round_trips_every_code() -> None:
    source = random.Random(11)
    issued = [
        IssuedCode(uuid4(), new_code(source.randbytes), 1_234_50, date(2030, 6, 30), "Weihnachten; „Aktion“ 2029")
        for _ in range(50)
    ]

    rows = read_csv(codes_csv(issued))

    assert rows[0] == ["Gutschein-ID", "Code", "Wert", "Gültig bis", "Programm"]
    assert [parse_code(row[1]) for row in rows[1:]] == [entry.code for entry in issued]
    assert rows[1][0] == str(issued[0].voucher_id)
    assert rows[1][2:] == ["1234,50", "30.06.2030", "Weihnachten; „Aktion“ 2029"]


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"],
)
def test_cells_that_would_start_a_formula_are_neutralised(name: str) -> None:
    code = new_code(random.Random(1).randbytes)
    issued_rows = read_csv(codes_csv([IssuedCode(uuid4(), code, 500, date(2030, 1, 1), name)]))
    settled = statement(1, merchant_name=name, programme_name=name, counter_sales=[counter_sale(500)])
    redemptions, sales, _ = csv_blocks(settlement_csv(settled))

    assert issued_rows[1][4] == "'" + name
    assert redemptions[1][0] == redemptions[1][1] == "'" + name
    assert sales[2][0] == sales[2][1] == "'" + name


def test_a_harmless_text_is_left_as_it_is() -> None:
    rows = read_csv(settlement_csv(statement(1, merchant_name="Café 3 = gut", programme_name="Müller's")))

    assert rows[1][:2] == ["Müller's", "Café 3 = gut"]


def test_csv_is_meant_to_be_served_with_a_byte_order_mark() -> None:
    encoded = settlement_csv(statement(1)).encode(CSV_ENCODING)

    assert encoded.startswith(b"\xef\xbb\xbf")
    assert read_csv(encoded.decode("utf-8-sig"))[0][1] == "Händler"
