# SPDX-License-Identifier: AGPL-3.0-or-later
"""The documents in their reader's language: which language a statement's reader gets (``lang``,
else ``Accept-Language``, else German), the statement's PDF and CSV and the code list in
English, the printable vouchers in the language the purchase recorded, and a town's own
wording over the catalogue's."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from uuid import UUID

import httpx
import pypdfium2
import pytest

from downtown_events.runtime.http.deps import get_container, get_read_connection
from downtown_events.runtime.principal import Principal
from downtown_events.runtime.texts import Texts
from downtown_events.vouchers import PurchaseItem
from vouchers.adapters.documents import (
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
from vouchers.adapters.documents.wording import Wording
from vouchers.adapters.printable import DrawnVouchers
from vouchers.api.app import create_app
from vouchers.api.deps import get_principal
from vouchers.api.routes import merchant_settlements, reports
from vouchers.api.routes.reports import file_name, get_wording
from vouchers.domain.codes import VoucherCode, new_code
from vouchers.domain.merchant_standing import MerchantStanding
from vouchers.domain.programme import Programme
from vouchers.domain.purchase import Purchase
from vouchers.domain.sale import BuyerSecrets
from vouchers.domain.voucher import Voucher
from vouchers.settings import VouchersSettings

ENGLISH = Wording.of("en")
TOWN_PROGRAMME, SHOP_PROGRAMME = UUID(int=1), UUID(int=2)
SHOP = UUID("6f0c1d9e-0000-4000-8000-000000000001")
GERMAN_WORDS = ("Abrechnung", "Seite", "Einlösungen", "Barverkäufe", "Auszahlung", "Forderung", "an der Kasse")


def text_of(pdf: bytes) -> str:
    pages = pypdfium2.PdfDocument(pdf)
    return " ".join(" ".join(str(page.get_textpage().get_text_range()).split()) for page in pages)


def statement(cash_cents: int = 2000) -> SettlementStatement:
    lines = [
        SettlementLine(
            datetime(2029, 11, 2, 10, 15), UUID(int=101), UUID(int=201), 2500, 0, UUID(int=301), "••••-K7M1"
        ),
        SettlementLine(datetime(2029, 11, 9, 15, 15, 30), UUID(int=102), UUID(int=202), 123_450, 250),
    ]
    sales = [CounterSale(datetime(2029, 11, 3, 16, 45), UUID(int=401), vouchers=2, cash_cents=cash_cents)]
    return SettlementStatement(
        "Schöppingen", "Stadtgutschein", "Brüggemann & Söhne", SHOP, date(2029, 11, 1), date(2029, 11, 30), lines, sales
    )


# --- which language ---------------------------------------------------------------------------


def container(texts_dir: Path | None = None) -> Any:
    return SimpleNamespace(settings=SimpleNamespace(texts_dir=texts_dir, timezone="Europe/Berlin"))


@pytest.mark.parametrize(
    ("lang", "accept_language", "language"),
    [
        (None, None, "de"),  # nothing said: the town's first language
        (None, "en-GB,en;q=0.9,de;q=0.5", "en"),
        (None, "fr-FR,fr;q=0.9", "de"),  # nothing the service writes: German
        (None, "fr, de;q=0.3, en;q=0.8", "en"),
        ("de", "en", "de"),  # a link's lang wins over the browser's
        ("en", None, "en"),
    ],
)
async def test_a_statement_is_written_in_lang_else_accept_language_else_german(
    lang: Any, accept_language: str | None, language: str
) -> None:
    words = await get_wording(container(), lang, accept_language)

    assert words.language == language
    assert words.gettext("Settlement statement") == {"de": "Abrechnung", "en": "Settlement statement"}[language]


# --- statements in English --------------------------------------------------------------------


def test_an_english_statement_pdf_has_no_german_word_and_writes_amounts_and_days_the_english_way() -> None:
    text = text_of(settlement_pdf(statement(), ENGLISH))

    for expected in (
        "Settlement statement Brüggemann & Söhne · 2029-11-01 – 2029-11-30",
        "Page 1",
        "Period 2029-11-01 – 2029-11-30",
        "2029-11-02 10:15",
        "Order 00000000",  # UUID(int=301)'s reference
        "at the counter",
        "€1,234.50",
        "Counter cash -€20.00",
        "Payout to Brüggemann & Söhne: €1,237.00",
    ):
        assert expected in text.replace("\u00a0", " "), expected
    assert not [word for word in GERMAN_WORDS if word in text]


def test_an_english_statement_claims_what_the_merchant_owes() -> None:
    text = text_of(settlement_pdf(statement(cash_cents=200_000), ENGLISH))

    assert "Claim on Brüggemann & Söhne: €743.00" in text.replace("\u00a0", " ")


def test_an_english_statement_csv_is_what_an_english_spreadsheet_opens_commas_and_decimal_points() -> None:
    rows = list(csv.reader(io.StringIO(settlement_csv(statement(), ENGLISH))))

    assert rows[0] == [
        "Programme",
        "Merchant",
        "Merchant id",
        "Redeemed on",
        "Voucher",
        "Order",
        "Amount",
        "Reversed",
        "Net",
    ]
    assert rows[1][3:] == ["2029-11-02 10:15:00", "••••-K7M1", "00000000", "25.00", "0.00", "25.00"]
    assert rows[2][3:] == ["2029-11-09 15:15:30", "", "at the counter", "1234.50", "2.50", "1232.00"]
    assert rows[4:6] == [
        ["Counter sales"],
        ["Programme", "Merchant", "Merchant id", "Paid on", "Purchase", "Vouchers", "Cash"],
    ]
    assert rows[6][3:] == ["2029-11-03 16:45:00", "GS-00000000", "2", "20.00"]
    assert rows[-3:] == [["Counter cash", "-20.00"], ["Balance", "1237.00"], ["Paid to the merchant", "1237.00"]]


def test_the_german_statement_csv_keeps_semicolons_and_decimal_commas() -> None:
    rows = list(csv.reader(io.StringIO(settlement_csv(statement())), delimiter=";"))

    assert rows[2][3:] == ["09.11.2029 15:15:30", "", "an der Kasse", "1234,50", "2,50", "1232,00"]
    assert rows[-1] == ["Auszahlung an den Händler", "1237,00"]


def test_an_english_code_list() -> None:
    code = new_code()
    issued = IssuedCode(UUID(int=7), code, 1_234_50, date(2030, 6, 30), "Christmas, 2029")

    rows = list(csv.reader(io.StringIO(codes_csv([issued], ENGLISH))))

    assert rows == [
        ["Voucher id", "Code", "Value", "Valid until", "Programme"],
        [str(UUID(int=7)), code.display, "1234.50", "2030-06-30", "Christmas, 2029"],
    ]


# --- printable vouchers in the purchase's language -----------------------------------------


class Merchants:
    async def standing(self, merchant_id: UUID) -> MerchantStanding:
        return MerchantStanding(merchant_id, "Weinhandlung Brüggemann", "active", "approved")

    async def tokens_valid_after(self, merchant_id: UUID) -> datetime | None:
        return None


def bought(language: str) -> tuple[Purchase, list[Voucher], dict[UUID, VoucherCode], dict[UUID, Programme]]:
    items = tuple(
        PurchaseItem(voucher_id=UUID(int=10 + n), programme_id=programme, amount_cents=2500)
        for n, programme in enumerate((TOWN_PROGRAMME, SHOP_PROGRAMME))
    )
    secrets = BuyerSecrets("anna@example.org", "ref", "0" * 64, "sealed", {}, language=language)  # type: ignore[arg-type]
    purchase = Purchase(UUID(int=9), "online", items, 5000, datetime(2029, 1, 1, tzinfo=UTC), secrets=secrets)
    vouchers = [
        cast(
            Voucher,
            SimpleNamespace(
                voucher_id=item.voucher_id,
                programme_id=item.programme_id,
                merchant_id=SHOP if item.programme_id == SHOP_PROGRAMME else None,
                value_cents=2500,
                bonus_cents=0,
                expires_on=date(2029, 12, 31),
            ),
        )
        for item in items
    ]
    codes = {item.voucher_id: new_code() for item in items}
    programmes = {
        programme: cast(Programme, SimpleNamespace(terms=SimpleNamespace(name=name)))
        for programme, name in ((TOWN_PROGRAMME, "Stadtgutschein"), (SHOP_PROGRAMME, "Weingutschein"))
    }
    return purchase, vouchers, codes, programmes


@pytest.mark.parametrize(
    ("language", "expected", "not_expected"),
    [
        ("en", ("every participating shop in Schöppingen", "Valid until", "2029-12-31", "€25.00"), ("Gültig",)),
        (
            "de",
            ("bei allen teilnehmenden Geschäften in Schöppingen", "Gültig bis", "31.12.2029", "25,00 €"),
            ("Valid",),
        ),
    ],
)
async def test_printable_vouchers_are_in_the_language_the_purchase_recorded(
    language: str, expected: tuple[str, ...], not_expected: tuple[str, ...]
) -> None:
    drawing = DrawnVouchers(Merchants(), "Schöppingen")

    text = text_of(await drawing.pdf(*bought(language))).replace("\u00a0", " ")

    assert all(words in text for words in expected), text
    assert "Weinhandlung Brüggemann" in text  # a merchant's voucher names its merchant, in any language
    assert not [words for words in not_expected if words in text]


# --- a town's own wording ---------------------------------------------------------------------


def test_a_towns_texts_word_the_documents_over_the_catalogue(tmp_path: Path) -> None:
    po = tmp_path / "vouchers" / "locale" / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid "Settlement statement"\nmsgstr "Gutscheinabrechnung"\n', encoding="utf-8")

    words = Wording.of("de", Texts("vouchers", override=tmp_path))
    text = text_of(settlement_pdf(statement(), words))

    assert "Gutscheinabrechnung" in text
    assert "Einlösungen" in text  # what the town did not word is the catalogue's


def test_a_statement_file_is_named_in_the_readers_words_and_always_in_plain_ascii(tmp_path: Path) -> None:
    po = tmp_path / "vouchers" / "locale" / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid "statement"\nmsgstr "Abrechnung\\"; x=ü"\n', encoding="utf-8")

    assert file_name(Wording.of("de"), "2026-12") == "abrechnung-2026-12"
    assert file_name(ENGLISH, "2026-12") == "statement-2026-12"
    assert file_name(Wording.of("de", Texts("vouchers", override=tmp_path)), "2026-12") == "statement-2026-12"


def test_an_english_voucher_of_the_widest_text_still_fits_its_page() -> None:
    widest = "W" * 1000
    printed = replace(
        bought_document(),
        town_name=widest,
        programme_name=widest,
        valid_at=widest,
        recipient_name=widest,
        message=widest,
        bonus_cents=1,
    )

    assert len(pypdfium2.PdfDocument(voucher_pdf([printed], ENGLISH))) == 1


def bought_document() -> VoucherDocument:
    return VoucherDocument(UUID(int=5), new_code(), 2500, "Schöppingen", "Stadtgutschein", None, date(2029, 12, 31))


# --- the routes -------------------------------------------------------------------------------


class Renderer:
    async def render(self, draw: Callable[[], bytes]) -> bytes:
        return draw()


@pytest.fixture
async def client(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    """The vouchers' app with the association signed in and the statement drawn from a fixture
    (what the read models would hold is the integration tests')."""

    async def fixed_statement(*_: object) -> SettlementStatement:
        return statement()

    async def no_connection() -> AsyncIterator[None]:
        yield None

    monkeypatch.setattr(reports, "statement_of", fixed_statement)
    monkeypatch.setattr(merchant_settlements, "statement_of", fixed_statement)
    settings = VouchersSettings(town="doc-town", database_url="postgresql://localhost/x")
    app = create_app(settings)
    fake = SimpleNamespace(settings=settings, renderer=Renderer())
    app.dependency_overrides[get_container] = lambda: fake
    app.dependency_overrides[get_principal] = lambda: Principal(role="merchant", subject=SHOP)
    app.dependency_overrides[get_read_connection] = no_connection
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://doc-town") as client:
        yield client


@pytest.mark.parametrize(
    ("lang", "headers", "stem", "heading"),
    [
        (None, {}, "abrechnung", "Abrechnung"),
        (None, {"Accept-Language": "en-US,en;q=0.9"}, "statement", "Settlement statement"),
        ("de", {"Accept-Language": "en"}, "abrechnung", "Abrechnung"),
        ("en", {}, "statement", "Settlement statement"),
    ],
)
async def test_the_statement_routes_answer_in_the_readers_language(
    client: httpx.AsyncClient, lang: str | None, headers: dict[str, str], stem: str, heading: str
) -> None:
    language = {"lang": lang} if lang else {}
    pdf = await client.get(f"/merchants/me/settlements/2029-11/{TOWN_PROGRAMME}.pdf", params=language, headers=headers)
    period = {"start": "2029-11-01", "end": "2029-11-30"}
    sheet = await client.get(f"/settlements/{TOWN_PROGRAMME}/{SHOP}.csv", params=period | language, headers=headers)

    assert pdf.status_code == sheet.status_code == 200, (pdf.text, sheet.text)
    assert pdf.headers["content-disposition"] == f'attachment; filename="{stem}-2029-11-{TOWN_PROGRAMME}.pdf"'
    assert text_of(pdf.content).startswith(f"{heading} Brüggemann")
    name = f"{stem}-{SHOP}-2029-11-01-2029-11-30.csv"
    assert sheet.headers["content-disposition"] == f'attachment; filename="{name}"'
    header_row = sheet.content.decode("utf-8-sig").split("\r\n", 1)[0]
    assert header_row.startswith({"abrechnung": "Programm;Händler;", "statement": "Programme,Merchant,"}[stem])


async def test_a_language_the_documents_are_not_written_in_is_refused_by_name(client: httpx.AsyncClient) -> None:
    answer = await client.get(f"/merchants/me/settlements/2029-11/{TOWN_PROGRAMME}.csv?lang=fr")

    assert answer.status_code == 422
    assert "lang" in answer.text


@pytest.mark.parametrize(
    ("language", "one", "three", "tag"),
    [("de", "Gutschein – Schöppingen", "3 Gutscheine – Schöppingen", "de-DE"), ("en", "Voucher", "3 vouchers", "en")],
)
def test_a_voucher_pdf_is_titled_and_tagged_in_its_language(language: str, one: str, three: str, tag: str) -> None:
    words = Wording.of(language)

    single = pypdfium2.PdfDocument(voucher_pdf([bought_document()], words))
    several = pypdfium2.PdfDocument(voucher_pdf([bought_document()] * 3, words))

    assert single.get_metadata_value("Title").startswith(one)
    assert several.get_metadata_value("Title").startswith(three)
    assert f"/Lang ({tag})".encode() in voucher_pdf([bought_document()], words)


def test_a_towns_translation_that_cannot_be_filled_gives_the_english_not_an_error(tmp_path: Path) -> None:
    po = tmp_path / "vouchers" / "locale" / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid "Page %(number)s"\nmsgstr "Seite %(nummer)s"\n', encoding="utf-8")

    words = Wording.of("de", Texts("vouchers", override=tmp_path))

    assert words.gettext("Page %(number)s", number=2) == "Page 2"
    assert "Abrechnung" in text_of(settlement_pdf(statement(), words))
