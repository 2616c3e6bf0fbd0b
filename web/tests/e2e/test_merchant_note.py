# SPDX-License-Identifier: AGPL-3.0-or-later
"""A shop says a word to its customers for today on its phone page, over the session's running
town: the storefront's home, shop and offer pages show it beside how the shop serves, a note
too long is refused beside its field, and a note taken back is gone from the storefront."""

from __future__ import annotations

import html
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.local_stack import RunningTown
from tests.support.ordering_client import open_shop
from tests.support.polling import wait_until
from tests.support.web_front import WebFront
from web.tests.e2e.test_merchant_pages import form_fields

pytestmark = pytest.mark.e2e

BERLIN = ZoneInfo("Europe/Berlin")
NOTE = "Heute ab 14 Uhr nur Abholung – Tür klemmt"


def clear_of_midnight() -> None:
    """The note is for the town's today on the running town's own clock: a test begun in the
    last two minutes of the day waits for the next, rather than see its note expire mid-test."""
    now = datetime.now(BERLIN)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=BERLIN)
    if midnight - now < timedelta(minutes=2):
        time.sleep((midnight - now).total_seconds() + 1)


def test_a_shop_notes_today_on_its_page_and_the_storefront_shows_it(
    ordering_town: RunningTown, front: WebFront
) -> None:
    clear_of_midnight()
    shop = open_shop(ordering_town, f"Blumen Sonnenschein {uuid.uuid4().hex[:6]}", {"Tulpen": ("4,50", 10)})
    token = shop.auth["Authorization"].removeprefix("Bearer ")
    shown = f"Today: {html.escape(NOTE, quote=False)}"
    storefront_pages = ("/", f"/shops/{shop.merchant_id}", f"/offers/{shop.offers['Tulpen']}")

    with httpx.Client(
        base_url=front.url, headers={"Accept-Language": "en"}, cookies={"merchant": token}, timeout=30
    ) as phone:
        page = phone.get("/merchant")
        assert page.status_code == 200 and "note for customers" in page.text, page.text[:2000]

        too_long = phone.post(
            "/merchant/availability-note",
            data={"note": "x" * 201, **form_fields(page.text, "/merchant/availability-note")},
        )
        assert too_long.status_code == 422, too_long.text[:2000]
        assert "Please write one line of at most 200 characters." in too_long.text
        assert 'aria-invalid="true"' in too_long.text and 'value="' + "x" * 201 + '"' in too_long.text

        noted = phone.post(
            "/merchant/availability-note", data={"note": NOTE, **form_fields(page.text, "/merchant/availability-note")}
        )
        assert noted.status_code == 303 and noted.headers["location"] == "/merchant#availability-note", noted.text
        page = phone.get("/merchant")
        assert html.escape(NOTE, quote=False) in page.text and "Remove the note" in page.text

        with httpx.Client(base_url=front.url, headers={"Accept-Language": "en"}, timeout=30) as customer:
            for path in storefront_pages:  # the directory is a moment behind the catalog
                wait_until(lambda path=path: shown in customer.get(path).text, what=f"the note on {path}")
            german = customer.get(f"/shops/{shop.merchant_id}", headers={"Accept-Language": "de"})
            assert f"Heute: {html.escape(NOTE, quote=False)}" in german.text

            cleared = phone.post(
                "/merchant/availability-note/clear", data=form_fields(page.text, "/merchant/availability-note/clear")
            )
            assert cleared.status_code == 303, cleared.text
            wait_until(
                lambda: NOTE not in html.unescape(customer.get(f"/shops/{shop.merchant_id}").text),
                what="the note gone from the shop's page",
            )
        assert "Remove the note" not in phone.get("/merchant").text
