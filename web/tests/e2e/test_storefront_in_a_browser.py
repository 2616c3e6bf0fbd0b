# SPDX-License-Identifier: AGPL-3.0-or-later
"""The storefront in Debian's Chromium, on a phone and on a desktop: a customer finds a candle,
puts it in the basket and checks out; every page passes axe-core (no serious or critical
violation), shows no error, and stays within the weight budget.

Screenshots of every step land in ``.downtown/artefacts/screenshots/`` (see
tests/support/browser.py).
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from tests.support.browser import DESKTOP, PHONE, Pages, check_accessibility, no_page_errors, page_budget, shoot
from tests.support.local_stack import RunningTown
from tests.support.ordering_client import Shop, open_shop
from tests.support.web_front import WebFront

pytest_plugins = ["tests.support.browser_fixtures"]

pytestmark = pytest.mark.e2e

SCRIPTS_AND_STYLES_BUDGET = 100 * 1024
"""What a storefront page may load of JavaScript and CSS (the issue's budget), in bytes."""


@pytest.fixture(scope="module")
def candle_shop(ordering_town: RunningTown) -> Shop:
    return open_shop(ordering_town, "Kerzenzieherei Docht", {"Bienenwachskerze": ("6,90", 10)})


async def looked_at(page: Page, name: str) -> None:
    """Every step: kept as a screenshot, checked by axe, free of errors."""
    await shoot(page, name)
    await check_accessibility(page)
    no_page_errors(page)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=lambda viewport: viewport.name)
async def test_a_customer_finds_a_candle_and_orders_it_in_a_browser(
    new_page: Pages, front: WebFront, candle_shop: Shop, viewport: object
) -> None:
    page = await new_page(viewport)  # type: ignore[arg-type]
    await page.goto(f"{front.url}/")
    await looked_at(page, "home")

    await page.get_by_role("searchbox").fill("Bienenwachskerze")
    await page.get_by_role("button", name="Suchen").click()
    await page.wait_for_url("**/search?q=Bienenwachskerze*")
    await looked_at(page, "search")

    await page.get_by_role("link", name="Bienenwachskerze").first.click()
    await page.wait_for_url("**/offers/*")
    await looked_at(page, "offer")

    await page.get_by_role("button", name="In den Warenkorb").click()
    await page.wait_for_url("**/basket")
    await looked_at(page, "basket")

    await page.get_by_role("link", name="Zur Kasse").click()
    await page.wait_for_url("**/checkout")
    await page.get_by_label("Name").fill("Clara Kunde")
    await page.get_by_label("E-Mail", exact=False).fill("clara@example.de")
    await looked_at(page, "checkout")

    await page.get_by_role("button", name="Zahlungspflichtig bestellen").click()
    await page.wait_for_url("**/placed?*")
    await looked_at(page, "thank-you")
    assert await page.get_by_text("Kerzenzieherei Docht").count() >= 1


async def test_storefront_pages_stay_within_their_weight(new_page: Pages, front: WebFront, candle_shop: Shop) -> None:
    page = await new_page(PHONE)
    for path in ("/", "/search?q=Kerze"):
        budget = await page_budget(page, f"{front.url}{path}")
        weight = f"{budget.total} bytes ({budget.js} JS, {budget.css} CSS)"
        print(f"{path}: {weight}, first contentful paint {budget.first_contentful_paint_ms:.0f} ms")
        assert budget.js + budget.css <= SCRIPTS_AND_STYLES_BUDGET, budget
