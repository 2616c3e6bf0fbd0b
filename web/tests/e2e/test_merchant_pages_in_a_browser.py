# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's pages in Debian's Chromium on a phone: the shop signs in by the mailed link,
accepts an order, and puts a photo online, which the page's script scales down before it is
sent; every page passes axe-core (no serious or critical violation) and shows no error.

Screenshots of every step land in ``.downtown/artefacts/screenshots/``.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import uuid

import pytest
from PIL import Image
from playwright.async_api import Page

from tests.support.browser import PHONE, Pages, check_accessibility, no_page_errors, shoot
from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import Shop, check_out, open_basket, open_shop, pickup, put
from tests.support.polling import wait_until
from tests.support.web_front import WebFront

pytest_plugins = ["tests.support.browser_fixtures"]

pytestmark = pytest.mark.e2e

LINK = re.compile(r"/merchant/sign-in\?merchant=[0-9a-f-]+&token=[A-Za-z0-9_-]+")


@pytest.fixture(scope="module")
def shop_with_an_order(ordering_town: RunningTown) -> tuple[Shop, str, str]:
    """A shop, its e-mail address, and an order a customer placed there."""
    email = f"kerzen-{uuid.uuid4().hex[:12]}@example.de"
    shop = open_shop(ordering_town, "Wachszieherei Flamme", {"Stumpenkerze": ("4,50", 10)}, email=email)
    basket = open_basket(ordering_town)
    assert put(ordering_town, basket, shop.offers["Stumpenkerze"]).status_code == 200
    placed = check_out(ordering_town, basket, {shop.merchant_id: pickup()})
    assert placed.status_code == 201, placed.text
    return shop, email, placed.json()["orders"][0]["order_id"]


def sign_in_link(mailbox: Mailbox, email: str) -> re.Match[str] | None:
    """The sign-in link among the shop's mails (ordering mails it of each new order too)."""
    return next(filter(None, (LINK.search(str(mail.get_content())) for mail in mailbox.to(email))), None)


def phone_photo() -> bytes:
    """A photo as a phone takes it: several megabytes of detail."""
    picture = io.BytesIO()
    Image.frombytes("RGB", (2400, 1800), os.urandom(2400 * 1800 * 3)).save(picture, "JPEG", quality=90)
    return picture.getvalue()


async def looked_at(page: Page, name: str) -> None:
    await shoot(page, name)
    await check_accessibility(page)
    no_page_errors(page)


async def test_a_merchant_signs_in_accepts_an_order_and_puts_a_photo_online_on_a_phone(
    new_page: Pages, front: WebFront, mailbox: Mailbox, shop_with_an_order: tuple[Shop, str, str]
) -> None:
    _, email, order_id = shop_with_an_order
    page = await new_page(PHONE)
    await page.goto(f"{front.url}/merchant")  # not signed in: asked to
    await page.wait_for_url("**/merchant/sign-in")
    await looked_at(page, "merchant-sign-in")
    await page.get_by_label("E-Mail-Adresse Ihres Geschäfts").fill(email)
    await page.get_by_role("button", name="Anmeldelink schicken").click()
    await page.get_by_role("status").wait_for()
    await looked_at(page, "merchant-link-sent")

    link = await asyncio.to_thread(
        wait_until, lambda: sign_in_link(mailbox, email), seconds=60, what="the sign-in mail"
    )
    await page.goto(f"{front.url}{link.group(0)}")
    await looked_at(page, "merchant-link-opened")
    await page.get_by_role("button", name="Anmelden").click()
    await page.wait_for_url("**/merchant")

    for _ in range(100):  # ordering's list hears of the order a moment after it was placed
        if await page.locator(f"#order-{order_id}").count():
            break
        await asyncio.sleep(0.3)
        await page.reload()
    await looked_at(page, "merchant-orders")
    await page.locator(f"#order-{order_id}").get_by_role("button", name="Annehmen").click()
    await page.wait_for_url(f"**/merchant#order-{order_id}")
    await looked_at(page, "merchant-accepted")

    await page.get_by_role("link", name="Neues Angebot").click()
    await page.wait_for_url("**/merchant/offers/new")
    await looked_at(page, "merchant-new-offer")
    taken = phone_photo()
    await page.get_by_label("Foto").set_input_files({"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": taken})
    # the page's script replaces the photo by a smaller one before anything is sent (polled
    # by evaluate: wait_for_function evaluates a string, which the page's CSP refuses)
    sent = len(taken)
    for _ in range(150):
        sent = await page.evaluate("() => document.getElementById('photo').files[0].size")
        if sent < len(taken):
            break
        await asyncio.sleep(0.1)
    assert sent < len(taken) // 2, (sent, len(taken))
    title = f"Bienenwachskerze {uuid.uuid4().hex[:6]}"
    await page.get_by_label("Preis in Euro", exact=False).fill("12,50")
    await page.get_by_label("Titel").fill(title)
    await page.get_by_role("button", name="Online stellen").click()
    await page.wait_for_url("**/offers/*", timeout=60_000)
    await looked_at(page, "merchant-offer-online")
    assert await page.get_by_role("heading", name=title).count() == 1
