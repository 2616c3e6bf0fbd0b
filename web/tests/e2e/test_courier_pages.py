# SPDX-License-Identifier: AGPL-3.0-or-later
"""The courier's phone pages over the running delivery town (catalog, vouchers, ordering and
dispatch as separate processes), as a phone browser without JavaScript uses them: a courier
signs in by the link dispatch mails (once), sees today's tour with the shop and the door in
order, types the slip's code at the shop and confirms the delivery at the door with the
recipient's name and a photo; and a courier whose every attempt at a door fails (the terms'
two) is sent back to the shop by the page and says there that the goods are back. That last
step is taken in Debian's Chromium at a phone's viewport, on the job the failed attempts here
set up (a browser test of its own would need a job and two failures more): its two pages are
kept as screenshots, pass axe-core (no serious or critical violation) and show no error.

The town is the session's ``delivery_town``: its terms and its couriers are set up here as
the association would, and this module's courier is let go at its end, so the planner (which
plans every courier on shift) hands no other test's job to them.
"""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from tests.support.browser import PHONE, Pages, looked_at
from tests.support.courier_town import (
    TOWN_CLOCK,
    Association,
    CourierJob,
    courier_checkout,
    courier_on_shift,
    door_photo,
    job_status,
    sign_in_link,
    wait_until_planned,
)
from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.polling import wait_until
from tests.support.web_front import WebFront, running_web_front

pytest_plugins = ["tests.support.browser_fixtures"]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def front(delivery_town: RunningTown, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebFront]:
    with running_web_front(delivery_town, tmp_path_factory.mktemp("web-courier")) as running:
        yield running


@pytest.fixture(scope="module")
def courier(delivery_town: RunningTown) -> Iterator[tuple[str, str]]:
    """This module's courier on shift (their id and address), let go at its end."""
    with courier_on_shift(delivery_town) as rider:
        yield rider


def form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form that posts to ``action``, as a browser sends them."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert form, page[:3000]
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))
    }


def test_a_courier_signs_in_by_link_and_rides_their_tour(
    delivery_town: RunningTown, front: WebFront, mailbox: Mailbox, courier: tuple[str, str]
) -> None:
    courier_id, email = courier
    with httpx.Client(base_url=front.url, headers={"Accept-Language": "en"}, timeout=60) as phone:
        asking = phone.get("/courier/sign-in")
        assert asking.status_code == 200
        asked = phone.post(
            "/courier/sign-in-links", data={"email": email, **form_fields(asking.text, "/courier/sign-in-links")}
        )
        assert asked.status_code == 200 and "a sign-in link is on its way" in asked.text, asked.text
        link = wait_until(lambda: sign_in_link(mailbox, email), seconds=60, what="the courier's sign-in mail")

        opened = phone.get(link.group(0))  # opening the link signs nobody in: its button does
        assert opened.status_code == 200 and "courier=" not in " ".join(opened.headers.get_list("set-cookie"))
        button = form_fields(opened.text, "/courier/sign-in")
        signed_in = phone.post("/courier/sign-in", data=button)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/courier", signed_in.text
        cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("courier="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/courier" in cookie
        again = phone.post("/courier/sign-in", data=button)  # the link once only
        assert again.status_code == 403 and "courier=" not in " ".join(again.headers.get_list("set-cookie"))

        job = courier_checkout(delivery_town)
        shop_name, order_id, job_id, day = job.shop_name, job.order_id, job.job_id, job.day
        wait_until_planned(delivery_town, job, courier_id)
        if day == datetime.now(TOWN_CLOCK).date():
            tour = wait_until(
                lambda: (
                    (answer := phone.get("/courier")).status_code == 200 and "/delivery" in answer.text and answer.text
                ),
                seconds=60,
                every=0.5,
                what="the job on the courier's tour page",
            )
            assert html.escape(shop_name) in tour and "Pick up at" in tour and "Deliver to" in tour
            assert tour.index("Pick up at") < tour.index("Deliver to")  # the shop before the door
            assert 'inputmode="' in tour and 'src="/static/scan.js"' in tour and "<script>" not in tour
            assert set(re.findall(r'action="/courier/jobs/([0-9a-f-]+)/delivery"', tour)) == {str(job_id)}
        else:  # today's page shows today's tour only: this one is tomorrow's
            tour = phone.get("/courier").text
            assert "No stops planned for you today yet" in tour
        csrf = form_fields(tour, "/courier/sign-out")

        wrong = phone.post("/courier/pickups", data={"code": "not a code", **csrf})
        assert wrong.status_code == 422 and "Please type the code" in wrong.text
        typed = order_id.upper().replace("-", " ")  # typed as printed, in blocks
        scanned = phone.post("/courier/pickups", data={"code": typed, **csrf})
        assert scanned.status_code == 303 and scanned.headers["location"].startswith("/courier?done=pickup"), (
            scanned.text
        )
        assert "Picked up" in phone.get(scanned.headers["location"]).text

        delivery = f"/courier/jobs/{job_id}/delivery"
        nameless = phone.post(delivery, data={"recipient_name": " ", **csrf})
        assert nameless.status_code == 422 and "Please enter the name" in nameless.text
        delivered = phone.post(
            delivery,
            data={"recipient_name": "Anna Beispiel", **csrf},
            files={"photo": ("door.jpg", door_photo(), "image/jpeg")},
        )
        assert delivered.status_code == 303 and "done=delivery" in delivered.headers["location"], delivered.text
        twice = phone.post(delivery, data={"recipient_name": "Anna Beispiel", **csrf})
        assert twice.status_code == 409  # told twice: refused beside the stop, nothing new

        # the board is a projection of dispatch's worker: it shows the delivery a moment later
        wait_until(
            lambda: job_status(delivery_town, job) == "delivered",
            seconds=30,
            what="the board showing the job delivered",
        )


def last_attempt_failed(town: RunningTown, front: WebFront, courier_id: str) -> tuple[str, CourierJob, str]:
    """As a phone without JavaScript: the courier picks up a job and fails at its door as
    often as the terms allow, and the page the last failure leads to sends the goods back.
    The courier's token, the job, and that page's address."""
    handed_over = Association(town).call("POST", f"/couriers/{courier_id}/token")
    assert handed_over.status_code == 201, handed_over.text  # signing in by link is the test above
    token = handed_over.json()["token"]
    job = courier_checkout(town)
    with httpx.Client(base_url=front.url, headers={"Accept-Language": "en"}, timeout=60) as phone:
        phone.cookies.set("courier", token)
        csrf = form_fields(phone.get("/courier").text, "/courier/sign-out")
        for then in ("failure", "last_failure"):  # the terms allow two attempts
            wait_until_planned(town, job, courier_id)
            scanned = phone.post("/courier/pickups", data={"code": job.order_id, **csrf})
            assert scanned.status_code == 303, scanned.text
            failed = phone.post(f"/courier/jobs/{job.job_id}/failure", data={"reason": "not_at_home", **csrf})
            assert failed.status_code == 303 and f"done={then}" in failed.headers["location"], failed.text
        told_at = failed.headers["location"]
        back_at_shop = f"Goods back at {html.escape(job.shop_name)}</button>"

        def going_back() -> str:  # the board shows the last attempt failed a moment later
            page = phone.get(told_at).text
            return page if back_at_shop in page else ""

        told = wait_until(going_back, seconds=30, what="the goods to take back on the courier's page")
    assert "It was the last one: take the goods back" in told
    assert f'action="/courier/jobs/{job.job_id}/delivery"' not in told  # not to the door any more
    return token, job, told_at


async def test_goods_no_attempt_could_deliver_go_back_to_the_shop_from_the_page(
    new_page: Pages, delivery_town: RunningTown, front: WebFront, courier: tuple[str, str]
) -> None:
    courier_id, _ = courier
    token, job, told_at = await asyncio.to_thread(last_attempt_failed, delivery_town, front, courier_id)

    page = await new_page(PHONE)
    await page.context.add_cookies([{"name": "courier", "value": token, "url": f"{front.url}/courier"}])
    await page.goto(f"{front.url}{told_at}")
    returns = page.get_by_role("region", name="Ware zurück in die Geschäfte bringen")
    back_at_shop = returns.get_by_role("button", name=f"Ware zurück bei {job.shop_name}", exact=True)
    assert await back_at_shop.count() == 1
    await looked_at(page, "courier-goods-to-take-back")
    await back_at_shop.click()
    await page.wait_for_url("**/courier?done=return*")
    assert await page.get_by_role("status").inner_text() == "Die Ware ist zurück in ihren Geschäften. Danke!"
    await looked_at(page, "courier-goods-back")
    await asyncio.to_thread(
        wait_until,
        lambda: job_status(delivery_town, job) == "returned",
        seconds=30,
        what="the job returned on the board",
    )
    await page.reload()
    assert await returns.count() == 0  # nothing left to take back


def test_without_a_session_the_tour_asks_to_sign_in(front: WebFront) -> None:
    with httpx.Client(base_url=front.url, timeout=30) as phone:
        answer = phone.get("/courier")
        assert answer.status_code == 303 and answer.headers["location"] == "/courier/sign-in"
        forged = phone.post("/courier/pickups", data={"code": str(uuid.uuid4()), "csrf": "x" * 40})
        assert forged.status_code == 403
