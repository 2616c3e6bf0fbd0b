# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's accounts and the association's statements over a running town, as a phone
browser without JavaScript uses them: a shop with a tax number hands over an order paid on
invoice and finds the invoice on /merchant/invoices, its PDF passed through the front; it took
a town voucher at the counter and finds the month on /merchant/settlements; another shop
asking for that invoice's number gets a page, not the PDF; the association opens the shop's
settlement statement as a PDF from its page.

The shops' sessions are their catalog tokens in the front's cookie, as signing in by the
mailed link leaves them (that way in is tested in test_merchant_pages.py)."""

from __future__ import annotations

import html
import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

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

pytestmark = pytest.mark.e2e

COMPANY = {"name": "Firma Beispiel GmbH", "email": "einkauf@beispiel.example", "billing_address": BILLING}


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


def test_a_shop_finds_its_invoice_and_voucher_month_and_the_association_its_statement(
    ordering_town: RunningTown, front: WebFront
) -> None:
    town = ordering_town
    name = f"Mosterei Kelter {uuid.uuid4().hex[:6]}"
    shop = open_shop(town, name, {"Apfelsaft": ("3,00", 20)}, tax_number="12/345/67890")
    stranger = open_shop(town, f"Nachbarladen {uuid.uuid4().hex[:6]}", {})
    programme_id = town_programme(town, name=f"Stadtgutschein {uuid.uuid4().hex[:6]}")
    join(town, programme_id, shop.auth)
    [(_, code)] = paid_vouchers(town, programme_id, 2500)
    assert redeem(town["vouchers"], shop.auth, code, 1000).status_code == 201
    number = invoiced(town, shop)

    with phone(front, "merchant", token_of(shop)) as counter:
        listed = wait_until(
            lambda: number in (page := counter.get("/merchant/invoices")).text and page.text,
            seconds=30,
            what="the invoice among the shop's open invoices",
        )
        assert "Firma Beispiel GmbH" in listed and "€6.00" in listed
        link = f"/merchant/invoices/{number}.pdf"
        assert f'href="{link}"' in listed
        assert 'href="/merchant/invoices"' in counter.get("/merchant").text  # linked from the merchant's page
        pdf = counter.get(link)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and number in pdf_text(pdf.content)
        assert number not in counter.get("/merchant/invoices", params={"status": "paid"}).text

        month = datetime.now(ZoneInfo("Europe/Berlin")).strftime("%B %Y")
        settled = wait_until(
            lambda: month in (page := counter.get("/merchant/settlements")).text and page.text,
            seconds=30,
            what="the month of the redemption among the shop's settlements",
        )
        assert "€10.00" in settled
        sheet = re.search(r'href="(/merchant/settlements/[0-9-]+/[0-9a-f-]+\.csv)"', settled)
        assert sheet, settled
        csv = counter.get(sheet.group(1))
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert "attachment" in csv.headers["content-disposition"]

    with phone(front, "merchant", token_of(stranger)) as neighbour:  # the same number, another shop
        refused = neighbour.get(f"/merchant/invoices/{number}.pdf")
        assert refused.status_code == 404 and not refused.content.startswith(b"%PDF")
        assert "no longer here" in refused.text
        assert "No invoices yet." in neighbour.get("/merchant/invoices", params={"status": "all"}).text

    with phone(front, "association", town.association_token) as office:
        statement = rf'href="(/association/settlements/{programme_id}/{shop.merchant_id}\.pdf\?[^"]+)"'
        board = wait_until(
            lambda: re.search(statement, office.get("/association").text),
            seconds=30,
            what="the shop's statement on the association's page",
        )
        pdf = office.get(html.unescape(board.group(1)))
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF") and name in pdf_text(pdf.content)
