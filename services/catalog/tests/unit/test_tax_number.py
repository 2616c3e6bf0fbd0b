# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant's tax number for the invoices of orders paid on invoice: optional, a USt-IdNr
(DE and 9 digits) or a Steuernummer (10 to 13 digits), taken as it is written on letterheads,
carried by the profile's events with its kind (given, or read from its form)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from catalog.api.schemas import MerchantOut, MerchantRegistration, ProfileIn
from catalog.app.handlers import CatalogHandlers
from catalog.domain import merchant as merchants
from catalog.domain.commands import ChangeProfile, RegisterMerchant
from catalog.domain.errors import InvalidChange
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
        ("123/456/78901", "123/456/78901"),
        ("5133 0815 08159", "5133081508159"),
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
    [
        "DE12345678901234567890",
        "DE-123456789",
        "DE12345678",
        "DE1234567890",
        "ATU12345678",
        "12/345/678<b>",
        "DE12345678\u200b9",
        "123",
        "123456789",
        "12345678901234",
        "Steuer: 12/345/67890",
        "12\x00345/67890",
    ],
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


@pytest.mark.parametrize(
    ("written", "kind"),
    [("DE123456789", "ust_idnr"), ("12/345/67890", "steuernummer"), ("5133081508159", "steuernummer")],
)
async def test_the_kind_is_read_from_the_numbers_form_when_not_given(written: str, kind: str) -> None:
    store = InMemoryEventStore()
    handlers = CatalogHandlers(store, photos=None)  # type: ignore[arg-type]  # no photos here
    registration = MerchantRegistration.model_validate({**BODY, "tax_number": written})
    assert registration.to_profile().tax_number_kind is None  # the request as asked: its fingerprint stays
    merchant, _ = await handlers.register_merchant(RegisterMerchant(registration.to_profile()))
    assert merchant.profile.tax_number_kind == kind
    (registered,) = [stored.event for stored in await store.read(str(merchant.merchant_id))]
    assert isinstance(registered, MerchantRegistered) and registered.profile.tax_number_kind == kind


def test_a_kind_given_must_be_the_numbers() -> None:
    with pytest.raises(ValidationError, match="DE123456789 is a USt-IdNr, not a Steuernummer"):
        ProfileIn.model_validate({**BODY, "tax_number": "DE123456789", "tax_number_kind": "steuernummer"})
    with pytest.raises(ValidationError, match="without a tax_number"):
        ProfileIn.model_validate({**BODY, "tax_number_kind": "ust_idnr"})
    given = ProfileIn.model_validate({**BODY, "tax_number": "12/345/67890", "tax_number_kind": "steuernummer"})
    assert given.to_profile().tax_number_kind == "steuernummer"


def test_the_domain_refuses_a_kind_that_contradicts_the_number_whoever_calls_it() -> None:
    profile = ProfileIn.model_validate({**BODY, "tax_number": "DE123456789"}).to_profile()
    wrong = profile.model_copy(update={"tax_number_kind": "steuernummer"})
    with pytest.raises(InvalidChange, match="is a USt-IdNr"):
        merchants.register(None, uuid4(), wrong, [])
