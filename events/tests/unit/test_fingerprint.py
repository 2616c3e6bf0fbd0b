# SPDX-License-Identifier: Apache-2.0
"""A request's fingerprint: the same content gives the same print, whatever its shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from downtown_events.runtime.idempotency import fingerprint

SHOP = UUID("6f1c1a52-0d2b-4c43-9d43-1b1f0b0f0a01")


@dataclass(frozen=True)
class Choice:
    method: str
    idempotency_key: str | None = None


def test_choices_keyed_by_id_print_alike_in_any_order_and_without_their_key() -> None:
    other = UUID("6f1c1a52-0d2b-4c43-9d43-1b1f0b0f0a02")
    first = fingerprint({SHOP: Choice("pickup", "k1"), other: Choice("delivery")})
    again = fingerprint({other: Choice("delivery"), SHOP: Choice("pickup", "k2")})
    assert first == again
    assert fingerprint({SHOP: Choice("delivery")}) != fingerprint({SHOP: Choice("pickup")})


def test_a_field_added_later_left_empty_keeps_the_fingerprint_of_before() -> None:
    from downtown_events.catalog import Address, MerchantProfile

    profile = MerchantProfile(
        name="Weinhandlung Böckmann",
        category="Wein",
        address=Address(street="Hauptstraße 12", postal_code="48624", city="Schöppingen"),
        phone="+49 2555 1234",
        email="info@boeckmann.example",
    )
    before = {key: value for key, value in profile.model_dump(mode="json").items() if key not in profile.added_fields}
    assert fingerprint(Choice(method="x")) != fingerprint(profile)
    assert fingerprint(profile) == fingerprint(before)
    assert fingerprint(profile.model_copy(update={"tax_number": "DE123456789"})) != fingerprint(before)


def test_a_commands_field_added_later_left_at_its_default_keeps_the_fingerprint_of_before() -> None:
    @dataclass(frozen=True)
    class Listing:
        title: str
        idempotency_key: str | None = None
        rate: int | None = None
        added_fields: ClassVar[frozenset[str]] = frozenset({"rate"})

    @dataclass(frozen=True)
    class ListingBefore:
        title: str
        idempotency_key: str | None = None

    assert fingerprint(Listing("Brot", "k1")) == fingerprint(ListingBefore("Brot", "k2"))
    assert fingerprint(Listing("Brot", rate=7)) != fingerprint(ListingBefore("Brot"))
