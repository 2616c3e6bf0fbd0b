# SPDX-License-Identifier: AGPL-3.0-or-later
"""Vouchers in the storefront over a running town: a customer buys a town voucher online, pays,
prints it through the front and checks its balance by its code; a wrong amount is said
beside its field, an unknown code is a page that says so."""

from __future__ import annotations

import re

import httpx

from tests.support.local_stack import RunningTown
from tests.support.polling import wait_until
from tests.support.vouchers_client import codes_in_pdf, provider_pays, town_programme
from tests.support.web_front import WebFront


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def test_a_customer_buys_a_town_voucher_prints_it_and_checks_its_balance(
    front: WebFront, ordering_town: RunningTown
) -> None:
    programme_id = town_programme(ordering_town, name="Teststadt-Gutschein")
    with httpx.Client(base_url=front.url, headers={"Accept-Language": "de"}, timeout=30) as visitor:
        page = wait_until(
            lambda: (
                (answer := visitor.get("/vouchers")).status_code == 200
                and "Teststadt-Gutschein" in answer.text
                and answer
            ),
            seconds=30,
            what="the programme on the vouchers page",
        )
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
        assert key
        form = {
            "csrf": csrf_of(page.text),
            "idempotency_key": key.group(1),
            "programme_id": programme_id,
            "email": "dora@example.de",
            "amount": "25,00",
        }
        wrong = visitor.post("/vouchers/purchases", data={**form, "amount": "viel"})
        assert wrong.status_code == 422 and 'aria-invalid="true"' in wrong.text and "in Euro" in wrong.text

        started = visitor.post("/vouchers/purchases", data=form)
        assert started.status_code == 303, started.text
        again = visitor.post("/vouchers/purchases", data=form)  # a resent form: the same purchase
        assert again.headers["location"] == started.headers["location"]
        purchase_page = visitor.get(started.headers["location"])
        assert purchase_page.status_code == 200 and "25,00\xa0€" in purchase_page.text, purchase_page.text

        purchase_id = started.headers["location"].rsplit("/", 1)[-1]
        paid = provider_pays(ordering_town["vouchers"], {"purchase_id": purchase_id, "total_cents": 2500})
        assert paid.status_code == 200, paid.text
        wait_until(
            lambda: ".pdf" in visitor.get(started.headers["location"]).text, seconds=30, what="the purchase paid"
        )
        pdf = visitor.get(f"{started.headers['location']}/vouchers.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        [code] = codes_in_pdf(pdf.content)

        worth = wait_until(
            lambda: (
                (answer := visitor.post("/vouchers/balance", data={"code": code, "csrf": form["csrf"]})).status_code
                == 200
                and answer
            ),
            seconds=30,
            what="the voucher's balance",
        )
        assert "25,00\xa0€" in worth.text
        unknown = visitor.post("/vouchers/balance", data={"code": "XXXX-XXXX-XXXX", "csrf": form["csrf"]})
        assert unknown.status_code == 404 and "Kein Gutschein" in unknown.text

    stranger = httpx.get(f"{front.url}{started.headers['location']}")  # no purchase cookie: not theirs to see
    assert stranger.status_code == 401
