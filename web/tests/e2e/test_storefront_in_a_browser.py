# SPDX-License-Identifier: AGPL-3.0-or-later
"""The storefront's weight in Debian's Chromium on a phone: its home and search pages load at
most 100 KB of JavaScript and CSS (measured in the browser, with an empty cache).

A customer finding, ordering and following an order in the browser, on a phone and on a
desktop, is in test_journeys_in_a_browser.py.
"""

from __future__ import annotations

import pytest

from tests.support.browser import PHONE, Pages, page_budget
from tests.support.local_stack import RunningTown
from tests.support.ordering_client import Shop, open_shop
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
