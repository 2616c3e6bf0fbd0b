# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association audits a projection rebuild over a running town: an operator rebuilds the
catalog's directory from the log (``downtown-projections rebuild``, as in production, beside
the live worker), and the association's audit page, linked from its page, shows that rebuild
as matching and swapped in, with the directory table's rows; the catalog's API itself gives
the record to the association's token only. Then the page passes axe in Chromium, and so do
the two refusals a person at the association's desk meets: the sign-in form refusing a token
copied wrong, and the page asking why when a suspension's reason is left blank."""

from __future__ import annotations

import html
import re
import uuid

import httpx
import pytest

from tests.support.browser import DESKTOP, Pages, looked_at
from tests.support.local_stack import RunningTown
from tests.support.ordering_client import open_shop
from tests.support.vouchers_client import rebuild
from tests.support.web_front import WebFront

pytest_plugins = ["tests.support.browser_fixtures"]

pytestmark = pytest.mark.e2e


def signed_in(office: httpx.Client, town: RunningTown) -> None:
    asking = office.get("/association/sign-in")
    csrf = re.search(r'<input type="hidden" name="csrf" value="([^"]*)"', asking.text)
    assert csrf, asking.text[:2000]
    answer = office.post("/association/sign-in", data={"csrf": html.unescape(csrf[1]), "token": town.association_token})
    assert answer.status_code == 303 and answer.headers["location"] == "/association", answer.text


def test_a_rebuild_of_the_directory_shows_on_the_audit_page_as_matching(
    ordering_town: RunningTown, front: WebFront
) -> None:
    catalog = ordering_town["catalog"]
    open_shop(ordering_town, f"Kerzenzieherei {uuid.uuid4().hex[:6]}", {"Kerze": ("4,00", 9)})  # events to read
    running = rebuild(catalog, "town_directory")
    _, report = running.communicate(timeout=180)
    assert running.returncode == 0 and "checksum match: yes" in report and "swapped: yes" in report, report

    assert httpx.get(f"{catalog.api}/projections/rebuilds").status_code == 401
    records = httpx.get(
        f"{catalog.api}/projections/rebuilds", headers={"Authorization": f"Bearer {catalog.association_token}"}
    )
    newest = next(record for record in records.json() if record["projection"] == "town_directory")
    assert newest["matches"] and newest["swapped"] and newest["events_read"] > 0, newest
    rows = {table["table"]: table["rebuilt_rows"] for table in newest["tables"]}

    with httpx.Client(base_url=front.url, headers={"Accept-Language": "en"}, timeout=30) as office:
        signed_in(office, ordering_town)
        assert 'href="/association/audit"' in office.get("/association").text
        page = office.get("/association/audit")
    assert page.status_code == 200 and "Audit: projection rebuilds" in page.text
    catalog_section = page.text.split("<h2 ")[1]
    assert "Catalogue and directory" in catalog_section
    row = next(row for row in catalog_section.split("<tr>") if "<td>town_directory</td>" in row)
    assert "match</strong>" in row and "differ" not in row and "<td>yes</td>" in row, row
    assert f"directory_merchants: {rows['directory_merchants']:,} / {rows['directory_merchants']:,}" in row, row
    assert "Deliveries" in page.text and "is not answering" in page.text  # this town runs no dispatch


async def test_the_audit_page_and_the_associations_refusals_pass_axe_in_a_browser(
    new_page: Pages, front: WebFront, ordering_town: RunningTown
) -> None:
    page = await new_page(DESKTOP, locale="en-GB")
    await page.goto(f"{front.url}/association/audit")
    await page.wait_for_url("**/association/sign-in")
    token = page.get_by_label("The association's token")
    await token.fill("not-the-token-" + "x" * 30)  # a token copied wrong: said beside the form
    await page.get_by_role("button", name="Sign in").last.click()
    await page.get_by_role("alert").wait_for()
    await looked_at(page, "association-wrong-token")
    await token.fill(ordering_town.association_token)
    await page.get_by_role("button", name="Sign in").last.click()
    await page.wait_for_url("**/association")
    await page.get_by_role("link", name="Audit: projection rebuilds").click()
    await page.wait_for_url("**/association/audit")
    await page.get_by_role("heading", name="Catalogue and directory").wait_for()
    await looked_at(page, "association-audit")

    # a suspension with only spaces for its reason: the front asks why and suspends nobody
    await page.goto(f"{front.url}/association")
    suspension = page.locator('form[action$="/suspension"]').first
    await suspension.get_by_role("textbox").fill("   ")
    await suspension.get_by_role("button", name="Suspend", exact=True).click()
    await page.wait_for_url("**/suspension")
    assert await page.get_by_role("alert").inner_text() == "Please say why: the shop reads it."
    await looked_at(page, "association-reason-needed")
