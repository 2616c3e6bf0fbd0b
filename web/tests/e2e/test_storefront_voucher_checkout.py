# SPDX-License-Identifier: AGPL-3.0-or-later
"""A town voucher at the storefront's checkout, over a running town, as a browser without
JavaScript uses it: a customer orders from two shops that take the town's vouchers and a
voucher pays part (the first order whole, the second in part); the thank-you page says each
order's voucher part and what is left to pay, and the voucher holds nothing more afterwards.
The same form sent again after the first checkout went through (its answer lost: the basket's
cookie still there) gives the same orders and the same thank-you page, and takes nothing
more of the voucher; sent again once the basket's cookie is gone (back, then send), it lands
on the same thank-you page. An unknown code, and a basket whose shop takes no vouchers, are said
beside the voucher's field, and nothing is placed. In Debian's Chromium at a phone's viewport,
the voucher's field is filled, refused and filled again, every step kept as a screenshot and
passing axe-core."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import Page

from tests.support.browser import PHONE, Pages, check_accessibility, no_page_errors, shoot
from tests.support.local_stack import RunningTown
from tests.support.ordering_client import Shop, open_shop
from tests.support.polling import wait_until
from tests.support.vouchers_client import balance, join, paid_vouchers, town_programme
from tests.support.web_front import WebFront

pytest_plugins = ["tests.support.browser_fixtures"]

pytestmark = pytest.mark.e2e

ORDER = re.compile(r'<section class="order" aria-labelledby="order-([0-9a-f-]{36})">')


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def first_choices(html: str) -> dict[str, str]:
    """Each select's first option, as a browser sends a form nobody changed."""
    return dict(re.findall(r'<select id="[^"]+" name="([^"]+)">\s*<option value="([^"]*)"', html))


def checkout_form(visitor: httpx.Client, *offers: str) -> dict[str, str]:
    """The offers put in the visitor's basket, and the checkout's form as a browser would send it."""
    for offer_id in offers:
        page = visitor.get(f"/offers/{offer_id}")
        put = visitor.post("/basket/lines", data={"offer_id": offer_id, "quantity": "1", "csrf": csrf_of(page.text)})
        assert put.status_code == 303, put.text
    form = visitor.get("/checkout")
    assert form.status_code == 200, form.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text)
    assert key and 'name="voucher_code"' in form.text
    return {
        **first_choices(form.text),
        "csrf": csrf_of(form.text),
        "idempotency_key": key.group(1),
        "name": "Clara",
        "email": "clara@example.de",
    }


def voucher_cents(code: str, town: RunningTown) -> int:
    answer = balance(town["vouchers"], code)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["balance_cents"])


@pytest.fixture(scope="module")
def voucher_shops(ordering_town: RunningTown) -> tuple[Shop, Shop, Shop, str]:
    """Two shops that take the town's vouchers (members of its programme), one that takes none."""
    programme_id = town_programme(ordering_town, name=f"Stadtgutschein {uuid.uuid4().hex[:6]}")
    hofladen = open_shop(ordering_town, "Hofladen Grün", {"Kürbis": ("18,00", 10)})
    toepferei = open_shop(ordering_town, "Töpferei Ton", {"Becher": ("12,00", 10)})
    kiosk = open_shop(ordering_town, "Kiosk Eck", {"Zeitung": ("2,50", 10)}, sells_vouchers=True)  # sells, no member
    for shop in (hofladen, toepferei):
        join(ordering_town, programme_id, shop.auth)
    members = f"{ordering_town['vouchers'].api}/programmes/{programme_id}/members"
    assert httpx.get(f"{members}/{hofladen.merchant_id}").json()["accepts"] is True  # public, no token
    assert httpx.get(f"{members}/{kiosk.merchant_id}").json()["accepts"] is False
    return hofladen, toepferei, kiosk, programme_id


def test_a_voucher_pays_part_of_two_shops_orders_and_a_form_sent_twice_places_them_once(
    front: WebFront, ordering_town: RunningTown, voucher_shops: tuple[Shop, Shop, Shop, str]
) -> None:
    hofladen, toepferei, _, programme_id = voucher_shops
    ((_, code),) = paid_vouchers(ordering_town, programme_id, 2500)
    with httpx.Client(base_url=front.url, headers={"Accept-Language": "de"}, timeout=30) as visitor:
        form = checkout_form(visitor, hofladen.offers["Kürbis"], toepferei.offers["Becher"])

        unknown = visitor.post("/checkout", data={**form, "voucher_code": "XXXX-XXXX-XXXX"})
        assert unknown.status_code == 422, unknown.text
        assert 'id="voucher_code-problem"' in unknown.text and "Kein Gutschein" in unknown.text
        assert 'aria-invalid="true"' in unknown.text and 'value="XXXX-XXXX-XXXX"' in unknown.text
        assert "Kürbis" in visitor.get("/basket").text  # nothing placed

        paying = {**form, "voucher_code": code}
        placed = visitor.post("/checkout", data=paying)
        assert placed.status_code == 303 and placed.headers["location"].startswith("/placed?"), placed.text
        thanks = visitor.get(placed.headers["location"])
        assert thanks.status_code == 200, thanks.text
        orders = ORDER.findall(thanks.text)
        assert len(orders) == 2 and "Hofladen Grün" in thanks.text and "Töpferei Ton" in thanks.text
        # 25 € over 18 € and 12 €: the first order whole, 7 € of the second, 5 € left to pay there.
        assert "Mit Gutschein bezahlt: 18,00\xa0€" in thanks.text and "Mit Gutschein bezahlt: 7,00\xa0€" in thanks.text
        assert "Noch zu zahlen: 0,00\xa0€" in thanks.text and "Noch zu zahlen: 5,00\xa0€" in thanks.text
        wait_until(lambda: voucher_cents(code, ordering_town) == 0, seconds=60, what="the orders' parts redeemed")

        back = visitor.post("/checkout", data=paying)  # back, then send: the basket's cookie is gone
        assert back.status_code == 303 and back.headers["location"] == placed.headers["location"], back.text

        # The first answer was lost (a dropped connection, a double click): the form goes again,
        # the basket's cookie still with it.
        basket_cookie = placed.request.headers["cookie"]
        again = httpx.post(
            f"{front.url}/checkout",
            data=paying,
            headers={"Accept-Language": "de", "Cookie": basket_cookie},
            timeout=30,
        )
        assert again.status_code == 200, again.text
        assert sorted(ORDER.findall(again.text)) == sorted(orders)
        for said in (
            "Mit Gutschein bezahlt: 18,00\xa0€",
            "Mit Gutschein bezahlt: 7,00\xa0€",
            "Noch zu zahlen: 5,00\xa0€",
        ):
            assert said in again.text
        assert "Bestätigungs-E-Mail" in again.text and "basket=" in again.headers.get("set-cookie", "")
        assert voucher_cents(code, ordering_town) == 0  # nothing more taken
        assert "Kürbis" not in visitor.get("/basket").text  # checked out: a new basket next time


def test_a_basket_whose_shop_takes_no_vouchers_is_told_so_beside_the_field(
    front: WebFront, ordering_town: RunningTown, voucher_shops: tuple[Shop, Shop, Shop, str]
) -> None:
    _, _, kiosk, programme_id = voucher_shops
    ((_, code),) = paid_vouchers(ordering_town, programme_id, 1000)
    with httpx.Client(base_url=front.url, headers={"Accept-Language": "en"}, timeout=30) as visitor:
        form = checkout_form(visitor, kiosk.offers["Zeitung"])
        refused = visitor.post("/checkout", data={**form, "voucher_code": code})
        assert refused.status_code == 422, refused.text
        assert 'id="voucher_code-problem"' in refused.text and "None of the shops of your basket" in refused.text
        assert "Zeitung" in visitor.get("/basket").text  # nothing placed
    assert voucher_cents(code, ordering_town) == 1000


async def looked_at(page: Page, name: str) -> None:
    """Every step: kept as a screenshot, checked by axe, free of errors."""
    await shoot(page, name)
    await check_accessibility(page)
    no_page_errors(page)


async def test_a_customer_pays_with_a_voucher_on_a_phone(
    new_page: Pages, front: WebFront, ordering_town: RunningTown, voucher_shops: tuple[Shop, Shop, Shop, str]
) -> None:
    hofladen, _, _, programme_id = voucher_shops
    ((_, code),) = paid_vouchers(ordering_town, programme_id, 1000)
    page = await new_page(PHONE)
    await page.goto(f"{front.url}/offers/{hofladen.offers['Kürbis']}")
    await page.get_by_role("button", name="In den Warenkorb").click()
    await page.wait_for_url("**/basket")
    await page.get_by_role("link", name="Zur Kasse").click()
    await page.wait_for_url("**/checkout")
    await page.get_by_label("Name").fill("Clara Kunde")
    await page.get_by_label("E-Mail", exact=False).fill("clara@example.de")
    await page.get_by_label("Gutscheincode").fill("XXXX-XXXX-XXXX")
    await looked_at(page, "checkout-voucher")

    await page.get_by_role("button", name="Zahlungspflichtig bestellen").click()
    await page.wait_for_load_state()
    field = page.get_by_label("Gutscheincode")
    assert await field.get_attribute("aria-invalid") == "true"
    assert await page.get_by_text("Kein Gutschein hat diesen Code", exact=False).count() == 1
    await looked_at(page, "checkout-voucher-refused")

    await field.fill(code)
    await page.get_by_role("button", name="Zahlungspflichtig bestellen").click()
    await page.wait_for_url("**/placed?*")
    await looked_at(page, "thank-you-voucher")
    shown = (await page.locator("main").inner_text()).replace("\xa0", " ")
    assert "Mit Gutschein bezahlt: 10,00 €" in shown and "Noch zu zahlen: 8,00 €" in shown, shown
