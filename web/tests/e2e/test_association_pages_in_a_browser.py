# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's page in Debian's Chromium: it signs in with the town's token and reads
its members and the charts; every page passes axe-core (no serious or critical violation)
and shows no error (the charts are inline SVG: the CSP refuses none of it).

Screenshots land in ``.downtown/artefacts/screenshots/``.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from playwright.async_api import Page

from tests.support.browser import DESKTOP, PHONE, Pages, check_accessibility, no_page_errors, shoot
from tests.support.local_stack import RunningTown
from tests.support.ordering_client import open_shop
from tests.support.vouchers_client import campaign, town_programme
from tests.support.web_front import WebFront

pytest_plugins = ["tests.support.browser_fixtures"]

pytestmark = pytest.mark.e2e


async def looked_at(page: Page, name: str) -> None:
    await shoot(page, name)
    await check_accessibility(page)
    no_page_errors(page)


async def test_the_association_reads_its_page_on_a_phone_and_a_desktop(
    new_page: Pages, front: WebFront, ordering_town: RunningTown
) -> None:
    name = f"Töpferei Drehscheibe {uuid.uuid4().hex[:6]}"
    await asyncio.to_thread(open_shop, ordering_town, name, {"Becher": ("18,00", 3)})
    programme = f"Stadtgutschein {uuid.uuid4().hex[:6]}"
    programme_id = await asyncio.to_thread(town_programme, ordering_town, name=programme)
    started = await asyncio.to_thread(campaign, ordering_town, programme_id, percent=10, budget=20_000, cap=1_000)

    for viewport in (PHONE, DESKTOP):
        page = await new_page(viewport, locale="en-GB")
        await page.goto(f"{front.url}/association")
        await page.wait_for_url("**/association/sign-in")
        await looked_at(page, "association-sign-in")
        await page.get_by_label("The association's token").fill(ordering_town.association_token)
        await page.get_by_role("button", name="Sign in").last.click()
        await page.wait_for_url("**/association")
        for _ in range(60):  # the directory and the programmes are read models: a moment behind
            if await page.get_by_text(name).count() and await page.get_by_text(programme).count():
                break
            await asyncio.sleep(0.5)
            await page.reload()
        assert await page.get_by_text(name).count(), f"{name} not on the association's page"
        await page.get_by_role("img", name="Orders by status").wait_for()
        await looked_at(page, "association-page")

        await page.goto(f"{front.url}/association?campaign={started['campaign_id']}#campaign")
        await page.get_by_role("img", name="Budget of €200.00").wait_for()
        await looked_at(page, "association-campaign")
