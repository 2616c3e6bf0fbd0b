# SPDX-License-Identifier: AGPL-3.0-or-later
"""Where a shop is: the merchant gives its door on the map (lat, lon) when it registers or
changes its profile; only a finite point on the earth is taken, and the profile it records
shows it back."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from pydantic import ValidationError

from catalog.api.schemas import MerchantOut, MerchantRegistration, ProfileIn
from catalog.app.handlers import CatalogHandlers
from catalog.domain.commands import ChangeProfile, RegisterMerchant
from downtown_events.catalog import MerchantProfile, MerchantProfileChanged
from downtown_events.geo import GeoPoint
from downtown_events.runtime.idempotency import fingerprint
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.principal import Principal

BODY: dict[str, Any] = {
    "name": "Fahrradladen am Schloss",
    "category": "Fahrräder",
    "address": {"street": "Burg Vischering 1", "postal_code": "59348", "city": "Lüdinghausen"},
    "phone": "+49 2591 1234",
    "email": "rad@example.de",
}
CASTLE = {"lat": 51.7993, "lon": 7.4431}


def test_a_profile_takes_the_shops_door_on_the_map() -> None:
    profile = ProfileIn.model_validate({**BODY, "location": CASTLE}).to_profile()
    assert profile.location == GeoPoint(lat=51.7993, lon=7.4431)
    assert ProfileIn.model_validate({**BODY, "location": {"lat": 52, "lon": -0}}).to_profile().location == GeoPoint(
        lat=52.0, lon=0.0
    )


def test_without_a_location_the_profile_has_none() -> None:
    assert ProfileIn.model_validate(BODY).to_profile().location is None
    assert ProfileIn.model_validate({**BODY, "location": None}).to_profile().location is None


@pytest.mark.parametrize(
    "location",
    [
        {"lat": 91, "lon": 7.4},
        {"lat": -90.5, "lon": 7.4},
        {"lat": 51.8, "lon": 180.01},
        {"lat": float("nan"), "lon": 7.4},
        {"lat": 51.8, "lon": float("inf")},
        {"lat": "51.8", "lon": "7.4"},
        {"lat": True, "lon": 7.4},
        {"lat": 51.8},
        {"lat": 51.8, "lon": 7.4, "alt": 60},
        [51.8, 7.4],
    ],
)
def test_a_point_off_the_earth_or_not_a_number_is_refused_naming_location(location: Any) -> None:
    with pytest.raises(ValidationError, match="location"):
        ProfileIn.model_validate({**BODY, "location": location})


def test_a_registration_without_a_location_is_the_request_it_was_before_locations() -> None:
    """A retry under an Idempotency-Key stored before the upgrade is still the same request:
    the fingerprint prints the profile as it was before it had a location."""
    profile = MerchantRegistration.model_validate(BODY).to_profile()
    later = MerchantProfile.added_fields
    before = {name: value for name, value in profile.model_dump(mode="json").items() if name not in later}
    assert "location" not in before
    printed = json.dumps({"opening_hours": [], "profile": before}, sort_keys=True, separators=(",", ":"))
    assert fingerprint(RegisterMerchant(profile)) == hashlib.sha256(printed.encode()).hexdigest()
    located = MerchantRegistration.model_validate({**BODY, "location": CASTLE}).to_profile()
    assert fingerprint(RegisterMerchant(located)) != fingerprint(RegisterMerchant(profile))


async def test_a_merchant_sets_and_moves_its_location_and_sees_it_in_its_profile() -> None:
    store = InMemoryEventStore()
    handlers = CatalogHandlers(store, photos=None)  # type: ignore[arg-type]  # no photos here
    merchant, _ = await handlers.register_merchant(RegisterMerchant(ProfileIn.model_validate(BODY).to_profile()))
    assert MerchantOut.of(merchant).profile.location is None

    moved = ProfileIn.model_validate({**BODY, "location": CASTLE}).to_profile()
    caller = Principal(role="merchant", subject=merchant.merchant_id)
    after = await handlers.change_profile(caller, ChangeProfile(moved))

    assert MerchantOut.of(after).model_dump(mode="json")["profile"]["location"] == CASTLE
    last = (await store.read(str(merchant.merchant_id)))[-1].event
    assert isinstance(last, MerchantProfileChanged) and last.profile.location == GeoPoint(**CASTLE)
