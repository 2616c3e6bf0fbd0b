# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant's tax number for the invoices of orders paid on invoice: optional, a VAT id or
a Steuernummer, taken as it is written on letterheads, carried by the profile's events."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from catalog.api.schemas import MerchantOut, MerchantRegistration, ProfileIn
from catalog.app.handlers import CatalogHandlers
from catalog.domain.commands import ChangeProfile, RegisterMerchant
from downtown_events.catalog import MerchantProfileChanged, MerchantRegistered
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.principal import Principal

BODY: dict[str, Any] = {
    "name": "Fahrradladen Speiche",
    "category": "Fahrräder",
    "address": {"street": "Markt 3", "postal_code": "48624", "city": "Schöppingen"},
    "phone": "+49 2555 1234",
    "email": "laden@example.de",
}


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("DE123456789", "DE123456789"),
        ("de 123 456 789", "DE123456789"),
        ("12/345/67890", "12/345/67890"),
        ("1234567890", "1234567890"),
        ("ATU12345678", "ATU12345678"),
        ("  ", None),
        (None, None),
    ],
)
def test_a_vat_id_or_steuernummer_is_taken_as_written_on_letterheads(written: str | None, kept: str | None) -> None:
    profile = ProfileIn.model_validate({**BODY, "tax_number": written}).to_profile()
    assert profile.tax_number == kept


def test_a_profile_without_a_tax_number_is_still_a_profile() -> None:
    assert ProfileIn.model_validate(BODY).to_profile().tax_number is None


@pytest.mark.parametrize(
    "written",
    ["DE12345678901234567890", "DE-123456789", "12/345/678<b>", "DE12345678\u200b9", "123", "Steuer: 12/345/67890"],
)
def test_other_characters_or_lengths_are_refused(written: str) -> None:
    with pytest.raises(ValidationError, match="tax_number"):
        ProfileIn.model_validate({**BODY, "tax_number": written})


async def test_registration_and_profile_changes_carry_the_tax_number_to_the_events() -> None:
    store = InMemoryEventStore()
    handlers = CatalogHandlers(store, photos=None)  # type: ignore[arg-type]  # no photos here
    registration = MerchantRegistration.model_validate({**BODY, "tax_number": "12/345/67890"})
    merchant, _ = await handlers.register_merchant(RegisterMerchant(registration.to_profile()))
    assert MerchantOut.of(merchant).model_dump()["profile"]["tax_number"] == "12/345/67890"

    changed = ProfileIn.model_validate({**BODY, "tax_number": "DE 123 456 789"}).to_profile()
    caller = Principal(role="merchant", subject=merchant.merchant_id)
    after = await handlers.change_profile(caller, ChangeProfile(changed))
    assert after.profile.tax_number == "DE123456789"
    registered, profile_changed = [stored.event for stored in await store.read(str(merchant.merchant_id))]
    assert isinstance(registered, MerchantRegistered) and registered.profile.tax_number == "12/345/67890"
    assert isinstance(profile_changed, MerchantProfileChanged) and profile_changed.profile.tax_number == "DE123456789"
