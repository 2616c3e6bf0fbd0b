# SPDX-License-Identifier: AGPL-3.0-or-later
"""The storefront over a running town, as a browser without JavaScript uses it: plain GETs and
form posts with the cookies the front sets.

The town's shops appear on the home page; search finds an offer; the offer goes into one
basket with another shop's; the checkout places one order per shop and the thank-you page
and the mailed status link show them. A form without the visitor's token is refused; a
refusal of ordering's comes back beside the field, in the visitor's language.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import Shop, open_shop
from tests.support.polling import wait_until
from tests.support.web_front import WebFront

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shops(ordering_town: RunningTown) -> list[Shop]:
    return [
        open_shop(ordering_town, "Imkerei Wabe", {"Waldhonig": ("7,50", 20)}),
        open_shop(ordering_town, "Bäckerei Kruste", {"Dinkelbrot": ("4,20", 20)}),
    ]


def browser(front: WebFront, language: str = "de") -> httpx.Client:
    return httpx.Client(base_url=front.url, headers={"Accept-Language": language}, timeout=30)


def first_choices(html: str) -> dict[str, str]:
    """Each select's first option, as a browser sends a form nobody changed."""
    return {
        name: value for name, value in re.findall(r'<select id="[^"]+" name="([^"]+)">\s*<option value="([^"]*)"', html)
    }


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def test_a_customer_finds_two_shops_offers_and_orders_from_both(front: WebFront, shops: list[Shop]) -> None:
    with browser(front) as visitor:
        home = visitor.get("/")
        assert home.status_code == 200, home.text
        assert "Imkerei Wabe" in home.text and "Bäckerei Kruste" in home.text
        assert 'lang="de"' in home.text

        found = visitor.get("/search", params={"q": "Waldhonig"})
        assert found.status_code == 200 and "Waldhonig" in found.text
        photo = re.search(r'src="(/photos/[0-9a-f]{64}/medium\.jpg)" srcset="([^"]+)"', found.text)
        assert photo and "320w" in photo.group(2) and "1600w" in photo.group(2), found.text
        picture = visitor.get(photo.group(1))  # passed through from the catalog
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
        for shop, title, price in ((shops[0], "Waldhonig", "7,50\xa0€"), (shops[1], "Dinkelbrot", "4,20\xa0€")):
            offer = visitor.get(f"/offers/{shop.offers[title]}")
            assert offer.status_code == 200 and price in offer.text, offer.text
            put = visitor.post(
                "/basket/lines", data={"offer_id": shop.offers[title], "quantity": "2", "csrf": csrf_of(offer.text)}
            )
            assert put.status_code == 303, put.text
        basket = visitor.get("/basket")
        assert "Waldhonig" in basket.text and "Dinkelbrot" in basket.text and "23,40\xa0€" in basket.text

        form = visitor.get("/checkout")
        assert form.status_code == 200, form.text
        fields = {**first_choices(form.text), "csrf": csrf_of(form.text), "name": "Anna", "email": "anna@example.de"}
        key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text)
        assert key
        fields["idempotency_key"] = key.group(1)
        placed = visitor.post("/checkout", data=fields)
        assert placed.status_code == 303, placed.text
        again = visitor.post("/checkout", data=fields)  # sent twice (a reload): the same orders, once
        thanks = visitor.get(placed.headers["location"])
        assert thanks.status_code == 200, thanks.text
        assert "Imkerei Wabe" in thanks.text and "Bäckerei Kruste" in thanks.text
        assert again.status_code in (303, 200)

        link = re.search(r'href="(/orders/[0-9a-f-]+\?token=[^"]+)"', thanks.text)
        assert link, thanks.text
        status = httpx.get(f"{front.url}{link.group(1).replace('&amp;', '&')}", headers={"Accept-Language": "en"})
        assert status.status_code == 200 and "placed, waiting for the shop" in status.text
        assert visitor.get("/basket").text.count("Waldhonig") == 0  # checked out: a new basket next time


def test_a_form_from_elsewhere_is_refused_and_changes_nothing(front: WebFront, shops: list[Shop]) -> None:
    with browser(front) as visitor:
        visitor.get("/")
        forged = visitor.post("/basket/lines", data={"offer_id": shops[0].offers["Waldhonig"], "csrf": "x" * 40})
        assert forged.status_code == 403 and "Formular" in forged.text
        assert "Waldhonig" not in visitor.get("/basket").text


def test_a_refusal_comes_back_next_to_its_field_in_the_visitors_language(front: WebFront, shops: list[Shop]) -> None:
    with browser(front, "en") as visitor:
        offer = visitor.get(f"/offers/{shops[1].offers['Dinkelbrot']}")
        visitor.post("/basket/lines", data={"offer_id": shops[1].offers["Dinkelbrot"], "csrf": csrf_of(offer.text)})
        form = visitor.get("/checkout")
        sent = {**first_choices(form.text), "csrf": csrf_of(form.text), "name": "Anna", "email": "not-an-address"}
        refused = visitor.post("/checkout", data=sent)
        assert refused.status_code == 422, refused.text
        assert 'aria-invalid="true"' in refused.text and "Please enter a valid e-mail address." in refused.text
        assert 'value="Anna"' in refused.text  # what was typed stays


def test_pages_are_german_or_english_and_unknown_things_are_a_page(front: WebFront) -> None:
    with browser(front, "en") as visitor:
        assert "The shops" in visitor.get("/").text
        switched = visitor.get("/language/de", params={"next": "/search"})
        assert switched.status_code == 303 and switched.headers["location"] == "/search"
        assert "Alle Angebote" in visitor.get("/search").text
        missing = visitor.get("/offers/00000000-0000-0000-0000-000000000000")
        assert missing.status_code == 404 and "nicht mehr da" in missing.text
        assert visitor.get("/language/en", params={"next": "//evil.example"}).headers["location"] == "/"


def test_a_customer_signs_in_by_the_mailed_link_once_and_sees_their_orders(front: WebFront, mailbox: Mailbox) -> None:
    email = "berta@example.de"
    with browser(front) as visitor:
        form = visitor.get("/sign-in")
        asked = visitor.post("/sign-in-links", data={"email": email, "csrf": csrf_of(form.text)})
        assert asked.status_code == 200 and email in asked.text
        mails = wait_until(lambda: mailbox.to(email), seconds=60, what="the sign-in mail")
        link = re.search(r"/sign-in\?account=[0-9a-f-]+&token=[A-Za-z0-9_-]+", str(mails[-1].get_content()))
        assert link, mails[-1].get_content()

        opened = visitor.get(link.group(0))  # a link preview fetching it uses nothing up: a button signs in
        assert opened.status_code == 200 and 'action="/sign-in"' in opened.text
        fields = dict(re.findall(r'name="(account|token|csrf)" value="([^"]+)"', opened.text))
        signed_in = visitor.post("/sign-in", data=fields)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/my/orders"
        cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("customer="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        orders = visitor.get("/my/orders")
        assert orders.status_code == 200 and "Abmelden" in orders.text

        again = visitor.post("/sign-in", data=fields)  # the same link twice: no second credential
        assert again.status_code == 403 and "customer=" not in " ".join(again.headers.get_list("set-cookie"))

        out = visitor.post("/sign-out", data={"csrf": fields["csrf"]})
        assert out.status_code == 303
        assert visitor.get("/my/orders").headers.get("location") == "/sign-in"
