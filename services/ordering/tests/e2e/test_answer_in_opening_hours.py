# SPDX-License-Identifier: AGPL-3.0-or-later
"""A Sunday order to a shop closed on Sundays waits for Monday: the merchant's time to answer
runs in its opening hours. The town's clock is a file every process reads
(``DOWNTOWN_CLOCK_FILE``): the test sets it to a Sunday morning, checks out, and moves it to
Monday morning; nobody waits for a real Monday, and the real calendar does not matter.

Whether the time-out job has run at the moved clock is told by a second shop of the same
checkout, open around the clock: its order times out at 06:07 on Sunday. Once it has, the
job has looked at Monday 09:10, and the closed shop's order must still be waiting.

The same checkout shows who may see the customer: the merchant of the order sees the name,
phone, delivery address and note; the other merchant of the checkout gets a 404 for it, and
the customer's own view has no such block.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from conftest import Databases, ordering_town_running
from downtown_events.runtime.clock_file import set_clock
from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import (
    check_out,
    guest,
    open_basket,
    open_shop,
    order,
    put,
    step,
    wait_for,
)
from tests.support.polling import wait_until

BERLIN = ZoneInfo("Europe/Berlin")
SUNDAY_EARLY = datetime(2026, 3, 1, 5, 37, tzinfo=BERLIN)
MONDAY_MORNING = datetime(2026, 3, 2, 9, 10, tzinfo=BERLIN)
CLOSED_ON_SUNDAYS = [{"weekday": day, "opens": "09:00", "closes": "18:00"} for day in range(6)]
AROUND_THE_CLOCK = [{"weekday": day, "opens": "00:00", "closes": "23:59:59"} for day in range(7)]
HOME = {"street": "Kirchstraße 4", "postal_code": "48624", "city": "Schöppingen"}


@pytest.fixture(scope="module")
def clocked_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[tuple[RunningTown, Path]]:
    workdir = tmp_path_factory.mktemp("clocked-town")
    clock = workdir / "clock"
    set_clock(clock, SUNDAY_EARLY)
    with ordering_town_running(databases, workdir, mailbox, DOWNTOWN_CLOCK_FILE=str(clock)) as running:
        yield running, clock


def pickup_on_monday() -> dict[str, Any]:
    starts = datetime(2026, 3, 2, 10, 0, tzinfo=BERLIN)
    window = {"starts_at": starts.isoformat(), "ends_at": starts.replace(hour=11).isoformat()}
    return {"fulfilment": {"method": "pickup", "window": window}, "payment": {"method": "at_pickup"}}


def delivery_with_note() -> dict[str, Any]:
    return {
        "fulfilment": {"method": "delivery", "address": HOME, "note": "Bitte beim Nachbarn klingeln"},
        "payment": {"method": "cash_at_door"},
    }


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_sunday_order_waits_for_mondays_opening_and_only_its_merchant_sees_the_customer(
    clocked_town: tuple[RunningTown, Path], mailbox: Mailbox
) -> None:
    town, clock = clocked_town
    closed = open_shop(town, "Uhrmacher Sonntagsruh", {"Uhrenarmband": ("19,00", 2)}, opening_hours=CLOSED_ON_SUNDAYS)
    always = open_shop(town, "Kiosk Rund um die Uhr", {"Zeitung": ("2,50", 5)}, opening_hours=AROUND_THE_CLOCK)
    basket = open_basket(town)
    assert put(town, basket, closed.offers["Uhrenarmband"]).status_code == 200
    assert put(town, basket, always.offers["Zeitung"]).status_code == 200
    email = f"sonntag-{uuid.uuid4().hex[:8]}@example.de"
    customer = {"name": "Sophie Sonntag", "email": email, "phone": "02555 98765", "language": "de"}
    placed = check_out(
        town,
        basket,
        {closed.merchant_id: delivery_with_note(), always.merchant_id: pickup_on_monday()},
        customer=customer,
    )
    assert placed.status_code == 201, placed.text
    orders = {row["merchant_id"]: row for row in placed.json()["orders"]}
    waiting, control = orders[closed.merchant_id], orders[always.merchant_id]
    # By when each shop answers, told at checkout: half an hour of its open time.
    assert at(waiting["answer_by"]) == datetime(2026, 3, 2, 9, 30, tzinfo=BERLIN)
    assert at(control["answer_by"]) == datetime(2026, 3, 1, 6, 7, tzinfo=BERLIN)
    assert waiting["customer"] is None  # the customer's own answer carries no merchant's view
    me = guest(placed.json()["order_link_token"])
    for row in (waiting, control):
        wait_for(town, row["order_id"], me, stock_reserved=True)

    # The customer's mail says by when the shop answers, in the shop's own week.
    def mail_says_monday() -> bool:
        bodies = (message.get_body() for message in mailbox.to(email))
        return any(body is not None and "Mo., 02.03.2026, 09:30" in body.get_content() for body in bodies)

    wait_until(mail_says_monday, what="the order-placed mail naming Monday 09:30")

    # Only the order's merchant sees who ordered and where it goes.
    seen = httpx.get(f"{town['ordering'].api}/orders/{waiting['order_id']}", headers=closed.auth)
    assert seen.status_code == 200, seen.text
    assert seen.json()["customer"] == {
        "name": "Sophie Sonntag",
        "phone": "02555 98765",
        "delivery_address": HOME,
        "delivery_note": "Bitte beim Nachbarn klingeln",
    }
    other = httpx.get(f"{town['ordering'].api}/orders/{waiting['order_id']}", headers=always.auth)
    assert other.status_code == 404, other.text
    assert order(town, waiting["order_id"], me)["customer"] is None

    set_clock(clock, MONDAY_MORNING)
    timed_out = wait_for(town, control["order_id"], me, status="rejected")
    assert timed_out["rejection_reason"] == "timed_out"
    assert order(town, waiting["order_id"], me)["status"] == "placed"  # not before half past nine

    accepted = step(town, closed, waiting["order_id"], "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["customer"]["name"] == "Sophie Sonntag"
    wait_for(town, waiting["order_id"], me, status="confirmed")
