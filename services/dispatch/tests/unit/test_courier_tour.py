# SPDX-License-Identifier: AGPL-3.0-or-later
"""The goods a courier takes back, as their tour tells them: by shop, the parcels of the shop's
orders together, the withdrawn ones left out, a shop the replica does not know yet unnamed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from uuid import uuid4

from dispatch.api.routes.tours import return_out
from dispatch.domain.delivery import Delivery, PickupAt
from downtown_events.catalog import Address
from downtown_events.dispatch import ArrivalWindow
from downtown_events.geo import GeoPoint
from downtown_events.runtime.merchant_replica import ReplicatedMerchant, Standing

AT = datetime(2026, 12, 7, 9, tzinfo=UTC)
SHOP = GeoPoint(lat=52.1, lon=7.23)


def test_the_goods_to_take_back_are_told_by_shop() -> None:
    bakery, florist, gone = uuid4(), uuid4(), uuid4()
    pickups = [PickupAt(uuid4(), bakery, SHOP, 2, 390), PickupAt(uuid4(), florist, SHOP, 1, 0)]
    pickups += [PickupAt(uuid4(), bakery, SHOP, 3, 0), PickupAt(gone, florist, SHOP, 5, 0)]
    job = Delivery(
        job_id=uuid4(),
        checkout_id=uuid4(),
        zone_id=uuid4(),
        slot=ArrivalWindow(starts_at=AT, ends_at=AT + timedelta(hours=1)),
        slot_kind="standard",
        expected_orders=4,
        pickups=MappingProxyType({pickup.order_id: pickup for pickup in pickups}),
        withdrawn=frozenset({gone}),
        attempts=2,
        status="to_return",
    )
    known = ReplicatedMerchant(
        bakery,
        "Bäckerei Krume",
        Standing(bakery, "Bäckerei Krume", known=True),
        address=Address(street="Markt 3", postal_code="48624", city="Schöppingen"),
        phone="02555 1",
    )

    back = return_out(job, {bakery: known})

    assert (back.job_id, back.attempts) == (job.job_id, 2)
    assert [(shop.merchant_id, shop.parcels) for shop in back.shops] == [(bakery, 5), (florist, 1)]
    named = back.shops[0].shop
    assert named is not None and (named.name, named.street, named.city, named.phone) == (
        "Bäckerei Krume",
        "Markt 3",
        "Schöppingen",
        "02555 1",
    )
    assert back.shops[1].shop is None
