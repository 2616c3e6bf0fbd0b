"""The catalog's use cases with an in-memory event store: who may do what, retries, idempotency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from catalog.app.handlers import CatalogHandlers, Principal
from catalog.domain.commands import ChangePrice, ListProduct, RegisterMerchant, SuspendMerchant
from catalog.domain.errors import NotAllowed
from catalog.domain.offer import OfferDetails
from downtown_events.catalog import Address, MerchantProfile, PhotoVariant
from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.store import ConcurrencyConflict, EventStore, StoredEvent

PROFILE = MerchantProfile(
    name="Blumen Hagedorn",
    category="Blumen",
    phone="0251 3",
    email="b@example.de",
    address=Address(street="Markt 4", postal_code="48143", city="Münster"),
)


class InMemoryEventStore(EventStore):
    """Same guarantees as the PostgreSQL store, minus durability; can simulate a rival writer."""

    def __init__(self) -> None:
        self.streams: dict[str, list[StoredEvent]] = defaultdict(list)
        self.conflicts_to_simulate = 0

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[IntegrationEvent]
    ) -> list[StoredEvent]:
        stream = self.streams[stream_id]
        if self.conflicts_to_simulate or len(stream) != expected_version:
            self.conflicts_to_simulate = max(self.conflicts_to_simulate - 1, 0)
            raise ConcurrencyConflict(stream_id, expected_version)
        stored = [
            StoredEvent(stream_id, expected_version + n + 1, 0, uuid4(), event, datetime.now(UTC))
            for n, event in enumerate(events)
        ]
        stream.extend(stored)
        return stored

    async def read(self, stream_id: str) -> list[StoredEvent]:
        return list(self.streams.get(stream_id, []))


class FakePhotos:
    async def store(self, data: bytes) -> tuple[str, list[PhotoVariant]]:
        return "a" * 64, [PhotoVariant(name="thumb", width=320, height=240, content_type="image/jpeg")]


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def handlers(store: InMemoryEventStore) -> CatalogHandlers:
    return CatalogHandlers(store, FakePhotos())


async def new_merchant(handlers: CatalogHandlers) -> Principal:
    merchant, _ = await handlers.register_merchant(RegisterMerchant(PROFILE))
    return Principal(role="merchant", merchant_id=merchant.merchant_id)


def listing(key: str | None = None) -> ListProduct:
    return ListProduct(OfferDetails("Tulpen"), 490, b"photo", stock=20, idempotency_key=key)


async def test_registering_again_with_the_same_key_returns_the_same_merchant(handlers: CatalogHandlers) -> None:
    first, created = await handlers.register_merchant(RegisterMerchant(PROFILE, idempotency_key="key-12345678"))
    again, created_again = await handlers.register_merchant(RegisterMerchant(PROFILE, idempotency_key="key-12345678"))
    assert (created, created_again) == (True, False)
    assert again == first


async def test_a_product_and_its_photo_are_one_append(handlers: CatalogHandlers, store: InMemoryEventStore) -> None:
    caller = await new_merchant(handlers)
    listed, _ = await handlers.list_product(caller, listing())
    names = [type(e.event).__name__ for e in store.streams[str(listed.offer_id)]]
    assert names == ["OfferListed", "OfferPhotoAdded"] and listed.photos == ("a" * 64,)


async def test_a_retried_listing_lists_once(handlers: CatalogHandlers) -> None:
    caller = await new_merchant(handlers)
    first, created = await handlers.list_product(caller, listing("listing-0001"))
    again, created_again = await handlers.list_product(caller, listing("listing-0001"))
    assert (created, created_again) == (True, False) and first.offer_id == again.offer_id


async def test_a_concurrent_writer_makes_the_handler_decide_again(
    handlers: CatalogHandlers, store: InMemoryEventStore
) -> None:
    caller = await new_merchant(handlers)
    listed, _ = await handlers.list_product(caller, listing())
    store.conflicts_to_simulate = 2
    changed = await handlers.change_price(caller, ChangePrice(listed.offer_id, 390))
    assert changed.price_cents == 390 and changed.version == 3


async def test_roles_are_enforced(handlers: CatalogHandlers) -> None:
    caller = await new_merchant(handlers)
    association = Principal(role="association")
    with pytest.raises(NotAllowed, match="association"):
        await handlers.suspend_merchant(caller, SuspendMerchant(caller.merchant(), "weil"))
    with pytest.raises(NotAllowed, match="merchant"):
        await handlers.list_product(association, listing())
    await handlers.suspend_merchant(association, SuspendMerchant(caller.merchant(), "Beschwerden"))
    with pytest.raises(NotAllowed, match="suspended"):
        await handlers.list_product(caller, listing())
