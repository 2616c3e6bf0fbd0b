# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's accounts and the association's statements over a running town, as a phone
browser without JavaScript uses them: a shop with a tax number hands over an order paid on
invoice and finds the invoice on /merchant/invoices, its PDF passed through the front; it took
a town voucher at the counter and finds the month on /merchant/settlements; another shop
asking for that invoice's number gets a page, not the PDF; the association opens the shop's
settlement statement as a PDF from its page.

Then the same shop's pages in Debian's Chromium at a phone's viewport: its invoices under
each filter, its voucher settlements, its page with today's note set, an address that is not
there, a voucher's code refused at the counter and the new offer's form answered 413 for a photo
too large; each kept as a screenshot, passing axe-core (no serious or critical violation) and
showing no error. They reuse this module's shop, so no town is started and no order placed for
them.

The shops' sessions are their catalog tokens in the front's cookie, as signing in by the
mailed link leaves them (that way in is tested in test_merchant_pages.py)."""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.browser import PHONE, Pages, looked_at
from tests.support.local_stack import RunningTown
from tests.support.ordering_client import (
    BILLING,
    Shop,
    check_out,
    guest,
    open_basket,
    open_shop,
    pickup,
    put,
    step,
    wait_for,
)
from tests.support.pdf_text import pdf_text
from tests.support.polling import wait_until
from tests.support.vouchers_client import join, paid_vouchers, redeem, town_programme
from tests.support.web_front import WebFront
from web.tests.e2e.test_merchant_note import clear_of_midnight

pytest_plugins = ["tests.support.browser_fixtures"]

pytestmark = pytest.mark.e2e

COMPANY = {"name": "Firma Beispiel GmbH", "email": "einkauf@beispiel.example", "billing_address": BILLING}
TOO_LARGE_PHOTO = 16 * 1024 * 1024
"""Past the front's limit for the new offer's form (the catalog's 15 MB photo and the form)."""
HEIC_PHOTO = """(input, size) => {
    const chosen = new DataTransfer();
    chosen.items.add(new File([new Uint8Array(size)], "IMG_0042.HEIC", {type: "image/heic"}));
    input.files = chosen.files;
}"""
"""Puts a photo of ``size`` bytes in the file field, as choosing it does (a function evaluated
through the DevTools protocol, which the page's Content-Security-Policy does not stop)."""


def phone(front: WebFront, cookie: str, token: str) -> httpx.Client:
    """A browser signed in with ``token`` in the front's cookie of that name, reading English."""
    return httpx.Client(base_url=front.url, headers={"Accept-Language": "en"}, cookies={cookie: token}, timeout=30)


def token_of(shop: Shop) -> str:
    return shop.auth["Authorization"].removeprefix("Bearer ")


def invoiced(town: RunningTown, shop: Shop) -> str:
    """An order paid on invoice, accepted and handed over: the invoice's number."""
    basket = open_basket(town)
    assert put(town, basket, shop.offers["Apfelsaft"], 2).status_code == 200
    on_invoice = {**pickup(), "payment": {"method": "invoice"}}
    placed = check_out(town, basket, {shop.merchant_id: on_invoice}, customer=COMPANY)
    assert placed.status_code == 201, placed.text
    (order,) = placed.json()["orders"]
    assert step(town, shop, order["order_id"], "accept").status_code == 200
    wait_for(town, order["order_id"], guest(placed.json()["order_link_token"]), status="confirmed")
    handed = step(town, shop, order["order_id"], "handed-over", paid_cents=0)
    assert handed.status_code == 200, handed.text
    number: str = handed.json()["invoice_number"]
    return number


@dataclass(frozen=True)
class Accounts:
    """A shop with an invoice and a month of town vouchers, both on its pages, and a stranger."""

    name: str
    shop: Shop
    stranger: Shop
    programme_id: str
    invoice_number: str
    month: str
    """The redemption's month as the English page words it (the town's calendar)."""


@pytest.fixture(scope="module")
def accounts(ordering_town: RunningTown, front: WebFront) -> Accounts:
    """Set up once for the HTTP test and the browser's: the invoice and the month are each
    waited for on the shop's page (read models a moment behind), so either test finds them."""
    town = ordering_town
    name = f"Mosterei Kelter {uuid.uuid4().hex[:6]}"
    shop = open_shop(town, name, {"Apfelsaft": ("3,00", 20)}, tax_number="12/345/67890")
    stranger = open_shop(town, f"Nachbarladen {uuid.uuid4().hex[:6]}", {})
    programme_id = town_programme(town, name=f"Stadtgutschein {uuid.uuid4().hex[:6]}")
    join(town, programme_id, shop.auth)
    [(_, code)] = paid_vouchers(town, programme_id, 2500)
    assert redeem(town["vouchers"], shop.auth, code, 1000).status_code == 201
    number = invoiced(town, shop)
    month = datetime.now(ZoneInfo("Europe/Berlin")).strftime("%B %Y")
    with phone(front, "merchant", token_of(shop)) as counter:
        wait_until(
            lambda: number in counter.get("/merchant/invoices").text,
            seconds=30,
            what="the invoice among the shop's open invoices",
        )
        wait_until(
            lambda: month in counter.get("/merchant/settlements").text,
            seconds=30,
            what="the month of the redemption among the shop's settlements",
        )
    return Accounts(name, shop, stranger, programme_id, number, month)


def test_a_shop_finds_its_invoice_and_voucher_month_and_the_association_its_statement(
    ordering_town: RunningTown, front: WebFront, accounts: Accounts
) -> None:
    town, shop, number = ordering_town, accounts.shop, accounts.invoice_number

    with phone(front, "merchant", token_of(shop)) as counter:
        listed = counter.get("/merchant/invoices").text
        assert number in listed and "Firma Beispiel GmbH" in listed and "€6.00" in listed
        link = f"/merchant/invoices/{number}.pdf"
        assert f'href="{link}"' in listed
        assert 'href="/merchant/invoices"' in counter.get("/merchant").text  # linked from the merchant's page
        pdf = counter.get(link)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and number in pdf_text(pdf.content)
        assert number not in counter.get("/merchant/invoices", params={"status": "paid"}).text

        settled = counter.get("/merchant/settlements").text
        assert accounts.month in settled and "€10.00" in settled
        sheet = re.search(r'href="(/merchant/settlements/[0-9-]+/[0-9a-f-]+\.csv)"', settled)
        assert sheet, settled
        csv = counter.get(sheet.group(1))
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert "attachment" in csv.headers["content-disposition"]

    with phone(front, "merchant", token_of(accounts.stranger)) as neighbour:  # the same number, another shop
        refused = neighbour.get(f"/merchant/invoices/{number}.pdf")
        assert refused.status_code == 404 and not refused.content.startswith(b"%PDF")
        assert "no longer here" in refused.text
        assert "No invoices yet." in neighbour.get("/merchant/invoices", params={"status": "all"}).text

    with phone(front, "association", town.association_token) as office:
        statement = rf'href="(/association/settlements/{accounts.programme_id}/{shop.merchant_id}\.pdf\?[^"]+)"'
        board = wait_until(
            lambda: re.search(statement, office.get("/association").text),
            seconds=30,
            what="the shop's statement on the association's page",
        )
        pdf = office.get(html.unescape(board.group(1)))
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and accounts.name in pdf_text(pdf.content)


# --- the same pages in a browser -------------------------------------------------------------


async def test_the_shops_accounts_and_its_refusals_pass_axe_on_a_phone(
    new_page: Pages, front: WebFront, accounts: Accounts
) -> None:
    page = await new_page(PHONE)
    await page.context.add_cookies(
        [{"name": "merchant", "value": token_of(accounts.shop), "url": f"{front.url}/merchant"}]
    )
    number = accounts.invoice_number

    await page.goto(f"{front.url}/merchant")
    await page.get_by_role("link", name="Rechnungen", exact=True).click()
    await page.wait_for_url(f"{front.url}/merchant/invoices")
    await page.get_by_role("heading", name=number).wait_for()
    await looked_at(page, "invoices-open")
    filters = page.get_by_role("navigation", name="Welche Rechnungen")
    for status, shown, listed in (("paid", "Bezahlt", 0), ("all", "Alle", 1)):
        await filters.get_by_role("link", name=shown, exact=True).click()
        await page.wait_for_url(f"{front.url}/merchant/invoices?status={status}")
        assert await filters.get_by_role("link", name=shown, exact=True).get_attribute("aria-current") == "page"
        assert await page.get_by_role("heading", name=number).count() == listed
        await looked_at(page, f"invoices-{status}")

    await page.get_by_role("link", name="Gutschein-Abrechnungen", exact=True).click()
    await page.wait_for_url(f"{front.url}/merchant/settlements")
    month = page.get_by_role("link", name=re.compile(r"^PDF für "))
    assert await month.count() == 1
    await looked_at(page, "settlements")

    # today's note for customers, set on the shop's page (today is the town's: not at midnight)
    await asyncio.to_thread(clear_of_midnight)
    await page.get_by_role("link", name="Bestellungen", exact=True).click()
    await page.get_by_label("Eine Zeile, neben Ihrem Laden gezeigt bis zum Ende des Tages").fill("Heute nur bis 16 Uhr")
    await page.get_by_role("button", name="Heute zeigen").click()
    await page.wait_for_url(f"{front.url}/merchant#availability-note")
    await page.get_by_role("button", name="Hinweis entfernen").wait_for()
    await looked_at(page, "note-set")

    # a page a person reaches by a link kept too long, or a typo: the front's 404, in their words
    gone = await page.goto(f"{front.url}/merchant/invoices/RE-1999-{uuid.uuid4().hex[:6]}.pdf")
    assert gone is not None and gone.status == 404
    await looked_at(page, "invoice-not-found")
    nowhere = await page.goto(f"{front.url}/merchant/nowhere")
    assert nowhere is not None and nowhere.status == 404
    await looked_at(page, "page-not-found")

    # a voucher's code typed wrong at the counter: refused above the form, what was typed kept
    await page.goto(f"{front.url}/merchant/vouchers")
    await page.get_by_label("Der Code des Gutscheins").fill("AAAA-BBBB-CCCC")
    await page.get_by_label("Abzubuchender Betrag in Euro").fill("10,00")
    await page.get_by_role("button", name="Vom Gutschein abbuchen").click()
    await page.wait_for_url(f"{front.url}/merchant/vouchers/redemptions")
    await page.get_by_role("alert").wait_for()
    assert await page.get_by_label("Der Code des Gutscheins").input_value() == "AAAA-BBBB-CCCC"
    await looked_at(page, "voucher-refused")

    # a photo the page's script cannot scale down (an iPhone's HEIC, which Chromium cannot
    # read) is sent as taken: past the limit, the form comes back saying so beside the photo.
    # The photo is made in the page: handing 16 MB to set_input_files takes Playwright 8-18 s.
    await page.goto(f"{front.url}/merchant/offers/new")
    await page.get_by_label("Foto", exact=True).evaluate(HEIC_PHOTO, TOO_LARGE_PHOTO)
    await page.get_by_label("Preis in Euro", exact=False).fill("12,50")
    await page.get_by_label("Titel").fill("Apfelsaft naturtrüb")
    async with page.expect_navigation() as answered:
        await page.get_by_role("button", name="Online stellen").click()
    response = await answered.value
    assert response is not None and response.status == 413
    photo = page.get_by_label("Foto", exact=True)
    assert await photo.get_attribute("aria-invalid") == "true"
    assert "Das Foto ist zu groß" in await page.get_by_role("alert").inner_text()
    await looked_at(page, "photo-too-large")
