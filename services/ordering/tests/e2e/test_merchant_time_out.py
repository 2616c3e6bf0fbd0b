# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant who does not answer in time: the durable scheduler rejects the order (no
sleeping process holds the deadline: the job reads the order overview on its interval)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import Databases, ordering_town_running
from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import (
    check_out,
    guest,
    open_basket,
    open_shop,
    pickup,
    put,
    step,
    town_rows,
    wait_for,
)
from tests.support.polling import wait_until

AROUND_THE_CLOCK = [{"weekday": day, "opens": "00:00", "closes": "23:59:59"} for day in range(7)]


@pytest.fixture(scope="module")
def hasty_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[RunningTown]:
    """Merchants have six seconds to answer here."""
    workdir = tmp_path_factory.mktemp("hasty-town")
    with ordering_town_running(databases, workdir, mailbox, DOWNTOWN_MERCHANT_ANSWER_MINUTES="0.1") as running:
        yield running


def test_an_unanswered_order_times_out_is_rejected_and_its_stock_released(hasty_town: RunningTown) -> None:
    town = hasty_town
    # Open around the clock: the six seconds are open time (they run in the shop's opening
    # hours), and the test must not wait for a morning when it runs at night.
    shop = open_shop(town, "Optik Klarblick", {"Brillenetui": ("9,00", 3)}, opening_hours=AROUND_THE_CLOCK)
    basket = open_basket(town)
    assert put(town, basket, shop.offers["Brillenetui"], 2).status_code == 200
    placed = check_out(town, basket, {shop.merchant_id: pickup()})
    assert placed.status_code == 201, placed.text
    (order,) = placed.json()["orders"]
    customer = guest(placed.json()["order_link_token"])

    timed_out = wait_for(town, order["order_id"], customer, status="rejected", seconds=40)
    assert timed_out["rejection_reason"] == "timed_out"
    late = step(town, shop, order["order_id"], "accept")
    assert late.status_code == 422, late.text  # too late: never backwards

    def stock() -> int:
        return int(
            town_rows(town, "SELECT stock FROM ordering_offers WHERE offer_id = %s", (shop.offers["Brillenetui"],))[0][
                "stock"
            ]
        )

    wait_until(lambda: stock() == 3, what="the reserved stock coming back")
