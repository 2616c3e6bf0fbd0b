# SPDX-License-Identifier: AGPL-3.0-or-later
"""What checkout asks of the replica and the town: delivery zones, weekly windows, VAT rates."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from downtown_events.catalog import TimeWindow
from downtown_events.ordering import TimeSlot
from ordering.domain.facts import MerchantFacts, OfferFacts, delivery_zone, within_windows

BERLIN = ZoneInfo("Europe/Berlin")
FEES = {"48624": 390, "486": 590, "48": 990}


def test_the_longest_configured_postal_code_or_prefix_is_the_zone() -> None:
    assert delivery_zone("48624", FEES) == ("48624", 390)
    assert delivery_zone(" 48 619 ", FEES) == ("486", 590)
    assert delivery_zone("48143", FEES) == ("48", 990)
    assert delivery_zone("10115", FEES) is None
    assert delivery_zone("", FEES) is None
    assert delivery_zone("48624", {}) is None
    assert delivery_zone("10115", {"": 390, "486": 590}) == ("10115", 390)  # "" covers every other code
    assert delivery_zone("48619", {"": 390, "486": 590}) == ("486", 590)  # the longer zone wins


def test_a_slot_lies_wholly_inside_one_window_in_the_towns_wall_clock_time() -> None:
    monday = [TimeWindow(weekday=0, opens=time(9), closes=time(12))]

    def slot(start: datetime, minutes: int) -> TimeSlot:
        return TimeSlot(starts_at=start, ends_at=start + timedelta(minutes=minutes))

    nine = datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)
    assert within_windows(slot(nine, 180), monday, BERLIN)
    assert not within_windows(slot(nine, 181), monday, BERLIN)
    assert not within_windows(slot(nine - timedelta(minutes=1), 30), monday, BERLIN)
    assert within_windows(slot(nine.astimezone(ZoneInfo("UTC")), 60), monday, BERLIN)  # 08:00 UTC is 09:00 here
    assert not within_windows(slot(nine + timedelta(days=1), 60), monday, BERLIN)  # a Tuesday
    summer = datetime(2026, 6, 1, 7, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Berlin's summer time
    assert within_windows(slot(summer, 60), monday, BERLIN)
    late = [TimeWindow(weekday=0, opens=time(22), closes=time(23, 59))]
    assert not within_windows(slot(nine.replace(hour=23), 120), late, BERLIN)  # across midnight


def test_the_vat_rate_is_the_offers_then_its_categorys_then_the_merchants_then_the_standard() -> None:
    offer = OfferFacts(uuid4(), uuid4(), "product", "Kochbuch", 2490, category="Bücher")
    merchant = MerchantFacts(offer.merchant_id, "Buch & Wein", category="Wein")
    assert merchant.vat_percent(offer) == 19
    assert (
        MerchantFacts(offer.merchant_id, "B", category="Wein", vat_percent_by_category={"wein": 19}).vat_percent(offer)
        == 19
    )
    by_category = MerchantFacts(offer.merchant_id, "B", vat_percent_by_category={"BÜCHER": 7, "wein": 19})
    assert by_category.vat_percent(offer) == 7
    bakery = MerchantFacts(offer.merchant_id, "B", category="Bäckerei", vat_percent_by_category={"Bäckerei": 7})
    assert bakery.vat_percent(OfferFacts(uuid4(), offer.merchant_id, "product", "Brot", 450)) == 7
    by_offer = MerchantFacts(
        offer.merchant_id, "B", vat_percent_by_offer={offer.offer_id: 0}, vat_percent_by_category={"bücher": 7}
    )
    assert by_offer.vat_percent(offer) == 0
    assert merchant.vat_percent(offer, standard=20) == 20
