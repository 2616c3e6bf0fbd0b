# SPDX-License-Identifier: AGPL-3.0-or-later
"""A video consultation is a service held by video: an offer's own choice, not every service
of a merchant that has a video link. Its kind stays "service", so readers of kind keep working."""

from __future__ import annotations

from uuid import uuid4

import pytest
from pydantic import ValidationError

from catalog.api.schemas import OfferOut, ServiceListingIn
from catalog.domain import offer as offers
from catalog.domain.errors import InvalidChange
from catalog.domain.merchant import Merchant
from catalog.domain.offer import OfferDetails
from downtown_events.catalog import Address, MerchantProfile, OfferListed, TimeWindow

PROFILE = MerchantProfile(
    name="Weinhandlung Böckmann",
    category="Wein & Spirituosen",
    address=Address(street="Hauptstraße 12", postal_code="48624", city="Schöppingen"),
    phone="+49 2555 981240",
    email="info@boeckmann.example",
    video_consultation_url="https://meet.example/boeckmann",  # type: ignore[arg-type]  # pydantic parses it
)
HOURS = [TimeWindow.model_validate({"weekday": 2, "opens": "14:00", "closes": "18:00"})]


def test_a_service_held_by_video_is_a_video_consultation_of_kind_service() -> None:
    merchant = Merchant(uuid4(), PROFILE)
    (listed,) = offers.list_service(
        None, merchant, uuid4(), OfferDetails("Weinberatung per Video"), 2500, 30, HOURS, held="video"
    )
    assert isinstance(listed, OfferListed) and (listed.kind, listed.held, listed.vat_percent) == (
        "service",
        "video",
        19,
    )
    offer = offers.replay([listed])
    assert offer is not None and OfferOut.of(offer).held == "video"


def test_a_service_of_a_merchant_with_a_video_link_is_held_in_person_unless_it_says() -> None:
    (listed,) = offers.list_service(
        None, Merchant(uuid4(), PROFILE), uuid4(), OfferDetails("Weinprobe"), 2500, 90, HOURS
    )
    assert isinstance(listed, OfferListed) and listed.held == "in_person"


def test_a_video_consultation_needs_the_merchants_video_link() -> None:
    without_link = Merchant(uuid4(), PROFILE.model_copy(update={"video_consultation_url": None}))
    with pytest.raises(InvalidChange, match="video consultation link"):
        offers.list_service(None, without_link, uuid4(), OfferDetails("Beratung"), 2500, 30, HOURS, held="video")


def test_the_api_takes_in_person_or_video_only() -> None:
    body = {"title": "Beratung", "price": "25", "duration_minutes": 30, "weekly_availability": [HOURS[0].model_dump()]}
    assert ServiceListingIn.model_validate(body).held == "in_person"
    assert ServiceListingIn.model_validate({**body, "held": "video", "vat_percent": 19}).held == "video"
    with pytest.raises(ValidationError, match="held"):
        ServiceListingIn.model_validate({**body, "held": "phone"})
    with pytest.raises(ValidationError, match="vat_percent"):
        ServiceListingIn.model_validate({**body, "vat_percent": 16})
