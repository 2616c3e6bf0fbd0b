# SPDX-License-Identifier: AGPL-3.0-or-later
"""Booking a service's time in Debian's Chromium at a phone's viewport: the offer page with its
free times grouped by day, then the basket with the time booked; both pass axe-core (no serious
or critical violation) and show no error. Screenshots land in
``.downtown/artefacts/screenshots/`` (see tests/support/browser.py).

The time booked is one the page offers at least an hour ahead, whatever the hour or the day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.browser import PHONE, Pages, looked_at
from tests.support.local_stack import RunningTown
from tests.support.ordering_client import EVERY_DAY, Shop, list_service, open_shop, town_rows
from tests.support.polling import wait_until
from tests.support.web_front import WebFront

pytest_plugins = ["tests.support.browser_fixtures"]

pytestmark = pytest.mark.e2e

SERVICE = "Brillenanpassung"


@pytest.fixture(scope="module")
def fitting_shop(ordering_town: RunningTown) -> Shop:
    """A shop whose 20-minute fitting is booked at the shop, every day 08:00-20:00, known to ordering."""
    shop = open_shop(ordering_town, "Optik Rahmen", {})
    offer_id = list_service(ordering_town, shop, SERVICE, "15,00", 20, EVERY_DAY)
    wait_until(
        lambda: bool(town_rows(ordering_town, "SELECT 1 FROM ordering_offers WHERE offer_id = %s", (offer_id,))),
        what="ordering hearing of the fitting",
    )
    return shop


async def test_a_customer_books_a_time_on_a_phone(new_page: Pages, front: WebFront, fitting_shop: Shop) -> None:
    page = await new_page(PHONE)
    await page.goto(f"{front.url}/offers/{fitting_shop.offers[SERVICE]}")
    times = page.locator('input[type=radio][name="slot"]')
    await times.first.wait_for()
    await looked_at(page, "service-offer-times")
    assert await page.locator("fieldset legend").count() >= 1

    soon = datetime.now(UTC) + timedelta(hours=1)
    values = [str(await times.nth(index).get_attribute("value")) for index in range(await times.count())]
    value = next(each for each in values if datetime.fromisoformat(each.split("|")[0]) > soon)
    await page.locator(f'input[name="slot"][value="{value}"]').check()
    await page.get_by_role("button", name="Buchen", exact=True).click()
    await page.wait_for_url("**/basket")
    assert await page.get_by_text(SERVICE).count() >= 1
    assert await page.get_by_text("Für Sie reserviert bis", exact=False).count() == 1
    await looked_at(page, "service-basket")
