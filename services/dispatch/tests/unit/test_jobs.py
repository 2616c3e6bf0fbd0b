# SPDX-License-Identifier: AGPL-3.0-or-later
"""One checkout's delivery orders from several shops become one job: several pickups, one drop-off, one fee."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from dispatch.domain.errors import InvalidChange
from dispatch.domain.jobs import ConfirmedOrder, TimeWindow, consolidate
from downtown_events.delivery.fees import FeeQuote, FeeRule, FlatFee
from downtown_events.delivery.geo import Coordinates

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
SLOT = TimeWindow(NOW + timedelta(hours=1), NOW + timedelta(hours=3))
CUSTOMER = Coordinates(51.84, 7.27)
WINE, BOOKS = Coordinates(51.83, 7.28), Coordinates(51.835, 7.29)
RULE = FeeRule(FlatFee(390), free_above_cents=5000)


def order(
    checkout: object, merchant: object, shop: Coordinates, cents: int, load: int = 1, **more: object
) -> ConfirmedOrder:
    return ConfirmedOrder(uuid4(), checkout, merchant, shop, cents, load, **more)  # type: ignore[arg-type]


def test_orders_of_several_shops_make_one_delivery_with_one_fee() -> None:
    checkout, wine, books = uuid4(), uuid4(), uuid4()
    orders = [
        order(checkout, wine, WINE, 3000, 2),
        order(checkout, books, BOOKS, 2500),
        order(checkout, wine, WINE, 100),
    ]
    job = consolidate(orders, CUSTOMER, SLOT, RULE)
    assert [(p.merchant_id, p.load, len(p.order_ids)) for p in job.pickups] == [(wine, 3, 2), (books, 1, 1)]
    assert job.drop_off == CUSTOMER and job.load == 4 and job.window == SLOT
    assert job.fee == FeeQuote(390, 0, 390)  # 56 euros together: above the town's 50


def test_the_job_is_named_by_its_checkout_so_a_redelivered_event_makes_the_same_job() -> None:
    checkout = uuid4()
    orders = [order(checkout, uuid4(), WINE, 1000)]
    assert consolidate(orders, CUSTOMER, SLOT, RULE).job_id == consolidate(orders, CUSTOMER, SLOT, RULE).job_id
    assert (
        consolidate([order(uuid4(), uuid4(), WINE, 1000)], CUSTOMER, SLOT, RULE).job_id
        != consolidate(orders, CUSTOMER, SLOT, RULE).job_id
    )


def test_a_shop_is_ready_when_its_last_order_is() -> None:
    checkout, wine = uuid4(), uuid4()
    orders = [
        order(checkout, wine, WINE, 1, ready_from=NOW),
        order(checkout, wine, WINE, 1, ready_from=NOW + timedelta(minutes=30)),
    ]
    assert consolidate(orders, CUSTOMER, SLOT, RULE).pickups[0].ready_from == NOW + timedelta(minutes=30)


def test_what_cannot_be_one_delivery_is_refused() -> None:
    checkout = uuid4()
    one = order(checkout, uuid4(), WINE, 1)
    with pytest.raises(InvalidChange):
        consolidate([], CUSTOMER, SLOT, RULE)
    with pytest.raises(InvalidChange):
        consolidate([one, order(uuid4(), uuid4(), WINE, 1)], CUSTOMER, SLOT, RULE)
    with pytest.raises(InvalidChange):
        consolidate([one, one], CUSTOMER, SLOT, RULE)
    with pytest.raises(InvalidChange):
        consolidate([order(checkout, uuid4(), WINE, 1, load=-1)], CUSTOMER, SLOT, RULE)
    merchant = uuid4()
    with pytest.raises(InvalidChange):
        consolidate([order(checkout, merchant, WINE, 1), order(checkout, merchant, BOOKS, 1)], CUSTOMER, SLOT, RULE)
    with pytest.raises(InvalidChange):
        TimeWindow(NOW, NOW)
    with pytest.raises(InvalidChange):
        TimeWindow(datetime(2026, 1, 1), datetime(2026, 1, 2))
