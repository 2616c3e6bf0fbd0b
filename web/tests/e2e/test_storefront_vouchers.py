# SPDX-License-Identifier: AGPL-3.0-or-later
"""Vouchers in the storefront over a running town: a customer buys a town voucher online, pays,
prints it through the front and checks its balance by its code; a member shop, signed in by
its mailed link, takes part of it at the counter on its phone page (a resent form takes it
once); a wrong amount is said beside its field, an unknown code is a page that says so."""

from __future__ import annotations

import re
import uuid

import httpx

from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import open_shop
from tests.support.polling import wait_until
from tests.support.vouchers_client import codes_in_pdf, join, provider_pays, town_programme
from tests.support.web_front import WebFront


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


MERCHANT_LINK = re.compile(r"/merchant/sign-in\?merchant=[0-9a-f-]+&token=[A-Za-z0-9_-]+")


def test_a_customer_buys_a_town_voucher_prints_it_checks_its_balance_and_a_shop_takes_it(
    front: WebFront, ordering_town: RunningTown, mailbox: Mailbox
) -> None:
    programme_id = town_programme(ordering_town, name="Teststadt-Gutschein")
    email = f"buchladen-{uuid.uuid4().hex[:10]}@example.de"
    shop = open_shop(ordering_town, "Buchladen Seite", {"Roman": ("18,00", 5)}, email=email)
    join(ordering_town, programme_id, shop.auth)
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

    with httpx.Client(base_url=front.url, headers={"Accept-Language": "de"}, timeout=30) as counter:
        asking = counter.get("/merchant/sign-in")
        counter.post("/merchant/sign-in-links", data={"email": email, "csrf": csrf_of(asking.text)})
        mails = wait_until(lambda: mailbox.to(email), seconds=60, what="the shop's sign-in mail")
        link = next(filter(None, (MERCHANT_LINK.search(str(mail.get_content())) for mail in mails)))
        button = counter.get(link.group(0))
        fields = dict(re.findall(r'name="(merchant|token|csrf)" value="([^"]+)"', button.text))
        assert counter.post("/merchant/sign-in", data=fields).status_code == 303

        till = counter.get("/merchant/vouchers")
        assert till.status_code == 200 and 'data-scan="qr"' in till.text and 'src="/static/scan.js"' in till.text
        key = re.search(r'name="idempotency_key" value="([^"]+)"', till.text)
        assert key
        taking = {"csrf": csrf_of(till.text), "idempotency_key": key.group(1), "code": code, "amount": "10,00"}
        taken = counter.post("/merchant/vouchers/redemptions", data=taking)
        assert taken.status_code == 200 and "15,00\xa0€" in taken.text, taken.text
        resent = counter.post("/merchant/vouchers/redemptions", data=taking)  # the connection dropped: sent again
        assert resent.status_code == 200 and "15,00\xa0€" in resent.text, resent.text

    with httpx.Client(base_url=front.url, headers={"Accept-Language": "de"}, timeout=30) as visitor:
        form_page = visitor.get("/vouchers")
        left = wait_until(
            lambda: (
                "15,00\xa0€"
                in (
                    answer := visitor.post("/vouchers/balance", data={"code": code, "csrf": csrf_of(form_page.text)})
                ).text
                and answer
            ),
            seconds=30,
            what="the balance after the shop took 10 €",
        )
        assert "25,00\xa0€" in left.text  # of its value

    stranger = httpx.get(f"{front.url}{started.headers['location']}")  # no purchase cookie: not theirs to see
    assert stranger.status_code == 401
