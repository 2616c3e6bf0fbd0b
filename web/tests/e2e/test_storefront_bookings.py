# SPDX-License-Identifier: AGPL-3.0-or-later
"""Booking a video consultation on the storefront, as a browser without JavaScript does it.

A customer picks one of the service's free times on its offer page (grouped by the town's
days), books it, sees it held in the basket, checks out, and the order page shows the time;
once the shop confirms, the meeting link; the checkout and the shop's orders page show the
time booked too. A second visitor, whose page still offered that
time, is told in their language that it was taken, beside the fresh free times, which no
longer list it.

Whatever the hour or the calendar: the shop takes bookings every day from 08:00 to 20:00,
and the time booked is one the page offered, at least an hour ahead (so it cannot pass
between the page and the booking).
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import babel.dates
import httpx
import pytest

from tests.support.local_stack import RunningTown
from tests.support.ordering_client import EVERY_DAY, Shop, guest, list_service, open_shop, step, town_rows, wait_for
from tests.support.polling import wait_until
from tests.support.web_front import WebFront

pytestmark = pytest.mark.e2e

TOWN_ZONE = ZoneInfo("Europe/Berlin")  # the front's default, and the test town's
SERVICE = "Sehberatung per Video"
MEETING = "https://meet.example/optik-blick"


def browser(front: WebFront, language: str = "de") -> httpx.Client:
    return httpx.Client(base_url=front.url, headers={"Accept-Language": language}, timeout=30)


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page[:2000]
    return match.group(1)


def offered_times(page: str) -> list[str]:
    """The values of the offer page's time buttons, as a browser would send one back."""
    return [
        html.unescape(value)
        for value in re.findall(r'type="radio" id="slot-[0-9-]+" name="slot" value="([^"]+)"', page)
    ]


def starts(value: str) -> datetime:
    return datetime.fromisoformat(value.split("|")[0])


def shown(value: str, language: str = "de") -> str:
    """A time as the pages write it: the town's day in full, then its hours."""
    begins, ends = (datetime.fromisoformat(part).astimezone(TOWN_ZONE) for part in value.split("|"))
    day = babel.dates.format_date(begins.date(), "full", locale=language)
    hours = [babel.dates.format_time(moment, "short", locale=language) for moment in (begins, ends)]
    return f"{day}, {hours[0]}–{hours[1]}"


@pytest.fixture(scope="module")
def optician(ordering_town: RunningTown) -> Shop:
    """A shop offering a 30-minute video consultation every day 08:00-20:00, known to ordering."""
    shop = open_shop(
        ordering_town,
        "Optik Blick",
        {},
        email=f"optik-{uuid.uuid4().hex[:8]}@example.de",
        video_consultation_url=MEETING,
    )
    offer_id = list_service(ordering_town, shop, SERVICE, "25,00", 30, EVERY_DAY, held="video")
    wait_until(
        lambda: bool(town_rows(ordering_town, "SELECT 1 FROM ordering_offers WHERE offer_id = %s", (offer_id,))),
        what="ordering hearing of the video consultation",
    )
    return shop


def test_a_customer_books_a_video_consultation_and_the_time_is_offered_no_more(
    front: WebFront, ordering_town: RunningTown, optician: Shop
) -> None:
    offer_id = optician.offers[SERVICE]
    with browser(front) as customer, browser(front, "en") as latecomer:
        shop_page = customer.get(f"/shops/{optician.merchant_id}")
        assert shop_page.status_code == 200 and SERVICE in shop_page.text and "Videoberatung" in shop_page.text

        def page_with_times() -> httpx.Response | None:
            page = customer.get(f"/offers/{offer_id}")
            return page if page.status_code == 200 and offered_times(page.text) else None

        offer = wait_until(page_with_times, seconds=30, what="the offer page listing free times")
        assert offer is not None
        assert "<fieldset" in offer.text and "<legend>" in offer.text and "Eine Videoberatung" in offer.text
        soon = datetime.now(UTC) + timedelta(hours=1)
        time = next(value for value in offered_times(offer.text) if starts(value) > soon)
        stale = latecomer.get(f"/offers/{offer_id}")  # the latecomer's page still offers the time
        assert time in offered_times(stale.text)

        booked = customer.post(
            "/basket/lines", data={"offer_id": offer_id, "book": "1", "slot": time, "csrf": csrf_of(offer.text)}
        )
        assert booked.status_code == 303, booked.text
        basket = customer.get("/basket")
        assert SERVICE in basket.text and "Videoberatung" in basket.text, basket.text
        assert shown(time) in basket.text and "Für Sie reserviert bis" in basket.text

        refused = latecomer.post(
            "/basket/lines", data={"offer_id": offer_id, "book": "1", "slot": time, "csrf": csrf_of(stale.text)}
        )
        assert refused.status_code == 409, refused.text
        assert "Someone else has just taken this time. Please choose another one." in refused.text
        assert offered_times(refused.text) and time not in offered_times(refused.text)  # the fresh free times
        assert time not in offered_times(latecomer.get(f"/offers/{offer_id}").text)

        form = customer.get("/checkout")
        assert form.status_code == 200, form.text
        assert "Videoberatung: <time" in form.text and shown(time) in form.text  # the time, as the basket said
        choices = dict(re.findall(r'<select id="[^"]+" name="([^"]+)">\s*<option value="([^"]*)"', form.text))
        key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text)
        assert key
        fields = {**choices, "csrf": csrf_of(form.text), "name": "Vera Blick", "email": "vera@example.de"}
        placed = customer.post("/checkout", data={**fields, "idempotency_key": key.group(1)})
        assert placed.status_code == 303, placed.text
        thanks = customer.get(placed.headers["location"])
        assert thanks.status_code == 200 and shown(time) in thanks.text, thanks.text
        link = re.search(r'href="(/orders/([0-9a-f-]+)\?token=([^"]+))"', thanks.text)
        assert link, thanks.text
        order_page = customer.get(html.unescape(link.group(1)))
        assert shown(time) in order_page.text and "sobald das Geschäft bestätigt" in order_page.text
        assert MEETING not in order_page.text  # no link before the shop confirms

        order_id, token = link.group(2), html.unescape(link.group(3))
        assert step(ordering_town, optician, order_id, "accept").status_code == 200
        confirmed = wait_for(ordering_town, order_id, guest(token), status="confirmed")
        (meeting,) = [line["meeting_url"] for line in confirmed["lines"]]
        assert meeting and meeting.startswith("https://")
        order_page = customer.get(html.unescape(link.group(1)))
        assert f'href="{html.escape(meeting)}"' in order_page.text and "Zur Videoberatung" in order_page.text
        assert shown(time) in order_page.text

    with browser(front) as shop_phone:  # the shop's orders page says the time booked, and that it is by video
        shop_phone.cookies.set("merchant", optician.auth["Authorization"].removeprefix("Bearer "))

        def with_the_order() -> str | None:
            page = shop_phone.get("/merchant")
            return page.text if page.status_code == 200 and order_id in page.text else None

        orders = wait_until(with_the_order, seconds=30, what="the order on the shop's orders page")
        card = str(orders).split(f'id="order-{order_id}"', 1)[1].split("</section>", 1)[0]
        assert f"1 × {SERVICE}: Videoberatung: <time" in card and shown(time) in card, card


def test_booking_without_choosing_a_time_asks_for_one_and_later_times_are_a_link_away(
    front: WebFront, optician: Shop
) -> None:
    offer_id = optician.offers[SERVICE]
    with browser(front) as visitor:
        offer = visitor.get(f"/offers/{offer_id}")
        later = re.search(rf'href="/offers/{offer_id}\?from=([0-9-]+)"', offer.text)
        assert later, offer.text
        next_week = visitor.get(f"/offers/{offer_id}", params={"from": later.group(1)})
        times = offered_times(next_week.text)
        assert times and all(
            starts(value).astimezone(TOWN_ZONE).date().isoformat() >= later.group(1) for value in times
        )
        assert max(map(starts, offered_times(offer.text))) < min(map(starts, times))  # the days after, none again
        unchosen = visitor.post("/basket/lines", data={"offer_id": offer_id, "book": "1", "csrf": csrf_of(offer.text)})
        assert unchosen.status_code == 422 and "Bitte wählen Sie eine Zeit." in unchosen.text
        assert 'aria-describedby="slots-problem"' in unchosen.text
