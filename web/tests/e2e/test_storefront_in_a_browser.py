# SPDX-License-Identifier: AGPL-3.0-or-later
"""The storefront's weight in Debian's Chromium on a phone: its home and search pages load at
most 100 KB of JavaScript and CSS (measured in the browser, with an empty cache). And the
storefront's pages no journey passes through, on a phone: a shop's page with its offer, a
voucher's code nobody knows, and a customer signing in by the mailed link (the form, the link
sent, the link opened, their orders); each kept as a screenshot, passing axe-core (no serious
or critical violation) and showing no error.

A customer finding, ordering and following an order in the browser, on a phone and on a
desktop, is in test_journeys_in_a_browser.py.
"""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
from playwright.async_api import Page

from tests.support.browser import PHONE, Pages, check_accessibility, no_page_errors, page_budget, shoot
from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import Shop, open_shop
from tests.support.polling import wait_until
from tests.support.web_front import WebFront

pytest_plugins = ["tests.support.browser_fixtures"]

pytestmark = pytest.mark.e2e

SCRIPTS_AND_STYLES_BUDGET = 100 * 1024
"""What a storefront page may load of JavaScript and CSS (the issue's budget), in bytes."""


@pytest.fixture(scope="module")
def candle_shop(ordering_town: RunningTown) -> Shop:
    """A shop with an offer, so the search page has a result to draw."""
    return open_shop(ordering_town, "Kerzenzieherei Docht", {"Bienenwachskerze": ("6,90", 10)})


async def test_storefront_pages_stay_within_their_weight(new_page: Pages, front: WebFront, candle_shop: Shop) -> None:
    page = await new_page(PHONE)
    for path in ("/", "/search?q=Kerze"):
        budget = await page_budget(page, f"{front.url}{path}")
        weight = f"{budget.total} bytes ({budget.js} JS, {budget.css} CSS)"
        print(f"{path}: {weight}, first contentful paint {budget.first_contentful_paint_ms:.0f} ms")
        assert budget.js + budget.css <= SCRIPTS_AND_STYLES_BUDGET, budget


async def looked_at(page: Page, name: str) -> None:
    """Every step: kept as a screenshot, checked by axe, free of errors."""
    await shoot(page, name)
    await check_accessibility(page)
    no_page_errors(page)


async def test_a_shops_page_and_an_unknown_voucher_pass_axe_on_a_phone(
    new_page: Pages, front: WebFront, candle_shop: Shop
) -> None:
    page = await new_page(PHONE)
    await page.goto(f"{front.url}/shops/{candle_shop.merchant_id}")
    candle = page.get_by_role("link", name="Bienenwachskerze")
    for _ in range(100):  # the catalog's search (a read model) lists the offer a moment after the shop
        if await candle.count():
            break
        await page.wait_for_timeout(300)
        await page.reload()
    assert await page.get_by_role("heading", name="Kerzenzieherei Docht", level=1).count() == 1
    assert await candle.count() == 1
    await looked_at(page, "shop")

    await page.goto(f"{front.url}/vouchers")  # a code typed wrong: the balance page says so
    await page.get_by_label("Der Code des Gutscheins").fill("AAAA-BBBB-CCCC")
    async with page.expect_navigation() as answered:
        await page.get_by_role("button", name="Prüfen").click()
    response = await answered.value
    assert response is not None and response.status == 404
    assert "Kein Gutschein hat diesen Code" in await page.get_by_role("alert").inner_text()
    await looked_at(page, "voucher-unknown")


async def test_a_customer_signs_in_by_the_mailed_link_on_a_phone(
    new_page: Pages, front: WebFront, mailbox: Mailbox
) -> None:
    email = f"kundin-{uuid.uuid4().hex[:12]}@example.de"
    page = await new_page(PHONE)
    await page.goto(f"{front.url}/my/orders")  # not signed in: asked to
    await page.wait_for_url(f"{front.url}/sign-in")
    await looked_at(page, "customer-sign-in")
    await page.get_by_label("E-Mail", exact=True).fill(email)
    await page.get_by_role("button", name="Anmeldelink schicken").click()
    await page.get_by_role("status").wait_for()
    await looked_at(page, "customer-link-sent")
    mails = await asyncio.to_thread(wait_until, lambda: mailbox.to(email), seconds=60, what="the sign-in mail")
    link = re.search(r"/sign-in\?account=[0-9a-f-]+&token=[A-Za-z0-9_-]+", str(mails[-1].get_content()))
    assert link, mails[-1].get_content()
    await page.goto(f"{front.url}{link.group(0)}")
    await looked_at(page, "customer-link-opened")
    await page.get_by_role("button", name="Anmelden", exact=True).click()
    await page.wait_for_url(f"{front.url}/my/orders")
    assert await page.get_by_role("heading", name="Ihre Bestellungen", level=1).count() == 1
    await looked_at(page, "customer-orders")
