# SPDX-License-Identifier: AGPL-3.0-or-later
"""Private events: stored and read back through the registry, never part of the published contract."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from pydantic import ValidationError

from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent, registry
from downtown_events.ordering import TimeSlot
from downtown_events.schemas import published_versions
from ordering.domain.private_events import (
    BasketCheckedOut,
    BasketLinePut,
    BasketLineRemoved,
    BasketOpened,
    CustomerAccountOpened,
    CustomerSignedOut,
    CustomerSignedOutEverywhere,
    InvoiceNumberTaken,
    MeetingLinkAssigned,
    OrderCustomerRecorded,
    SignInLinkIssued,
    SignInLinkUsed,
    SlotHeld,
    SlotHoldReleased,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HASH = hashlib.sha256(b"token").hexdigest()
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
SLOT = TimeSlot(starts_at=NOW, ends_at=NOW + timedelta(hours=1))


def recorded(**overrides: object) -> OrderCustomerRecorded:
    fields: dict[str, object] = dict(
        order_id=uuid4(),
        checkout_id=uuid4(),
        name="Anna Beispiel",
        email="anna@example.de",
        phone="02555 1234",
        delivery_address=HOME,
        delivery_note="2. Stock, links",
        guest_token_hash=HASH,
    )
    return OrderCustomerRecorded(**{**fields, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "event",
    [
        recorded(),
        MeetingLinkAssigned(
            order_id=uuid4(), offer_id=uuid4(), slot=SLOT, url="https://meet.jit.si/q3VHn4tkVw0pS1Yc5QyR8g"
        ),
        BasketOpened(basket_id=uuid4(), account_id=uuid4(), opened_at=NOW),
        BasketLinePut(
            basket_id=uuid4(),
            line_id=uuid4(),
            offer_id=uuid4(),
            merchant_id=uuid4(),
            kind="service",
            title="Englisch-Nachhilfe",
            quantity=1,
            unit_price_cents=3500,
            slot=SLOT,
        ),
        BasketLineRemoved(basket_id=uuid4(), line_id=uuid4()),
        BasketCheckedOut(basket_id=uuid4(), checkout_id=uuid4(), order_ids=[uuid4(), uuid4()], checked_out_at=NOW),
        SlotHeld(offer_id=uuid4(), basket_id=uuid4(), slot=SLOT, held_until=NOW + timedelta(minutes=10)),
        SlotHoldReleased(offer_id=uuid4(), basket_id=uuid4(), slot=SLOT),
        InvoiceNumberTaken(
            sequence_id=uuid4(),
            merchant_id=uuid4(),
            sequence=42,
            order_id=uuid4(),
            invoice_number="RE-2026-00042",
            taken_on=date(2026, 3, 2),
        ),
        CustomerAccountOpened(account_id=uuid4(), email="anna@example.de", opened_at=NOW),
        SignInLinkIssued(
            account_id=uuid4(), link_id=uuid4(), token_hash=HASH, issued_at=NOW, expires_at=NOW + timedelta(minutes=15)
        ),
        SignInLinkUsed(account_id=uuid4(), link_id=uuid4(), used_at=NOW),
        CustomerSignedOut(account_id=uuid4(), token_id=uuid4(), token_issued_at=NOW, signed_out_at=NOW),
        CustomerSignedOutEverywhere(account_id=uuid4(), signed_out_at=NOW),
    ],
)
def test_private_events_read_back_from_the_store_but_are_never_published(event: IntegrationEvent) -> None:
    assert not event.published and event.type_name().startswith("downtown.ordering.")
    stored = event.model_dump(mode="json")
    assert registry.decode(event.type_name(), event.schema_version, stored) == event
    assert type(event) not in published_versions()


def test_an_order_belongs_to_an_account_or_a_guest_and_reaches_the_customer_somehow() -> None:
    with pytest.raises(ValidationError, match="not both"):
        recorded(account_id=uuid4())
    with pytest.raises(ValidationError, match="e-mail address or a phone number"):
        recorded(email=None, phone="")
    assert recorded(email=None, guest_token_hash=None).phone == "02555 1234"  # an assisted order by phone


def test_addresses_and_hashes_are_checked_and_texts_have_limits() -> None:
    for address in ("anna", "anna@example", "an na@example.de", "a" * 250 + "@b.de"):
        with pytest.raises(ValidationError):
            recorded(email=address)
    with pytest.raises(ValidationError):
        recorded(guest_token_hash="A" * 64)
    with pytest.raises(ValidationError):
        recorded(name="")
    with pytest.raises(ValidationError):
        recorded(delivery_note="x" * 201)
    assert recorded(name="Anna\x00 Beispiel").name == "Anna Beispiel"  # read tolerantly, as every event text
    with pytest.raises(ValidationError, match="exactly one"):
        BasketOpened(basket_id=uuid4(), account_id=uuid4(), access_token_hash=HASH, opened_at=NOW)
    with pytest.raises(ValidationError):
        MeetingLinkAssigned(order_id=uuid4(), offer_id=uuid4(), slot=SLOT, url="http://meet.example/room")
    with pytest.raises(ValidationError):
        BasketLinePut(
            basket_id=uuid4(),
            line_id=uuid4(),
            offer_id=uuid4(),
            merchant_id=uuid4(),
            kind="product",
            title="Wein",
            quantity=1000,
            unit_price_cents=1,
        )
