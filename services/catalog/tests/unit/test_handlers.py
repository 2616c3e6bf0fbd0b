# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's use cases with an in-memory event store: who may do what, retries, idempotency."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from catalog.app.handlers import CatalogHandlers
from catalog.domain.commands import (
    ChangePrice,
    ChangeProfile,
    CloseShop,
    ListProduct,
    RegisterMerchant,
    SuspendMerchant,
)
from catalog.domain.errors import InvalidChange, NotAllowed, NotFound, TokenRevoked
from catalog.domain.offer import OfferDetails
from downtown_events.catalog import Address, MerchantProfile, PhotoVariant
from downtown_events.runtime.idempotency import IdempotencyKeyReused
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.principal import NotPermitted, Principal

PROFILE = MerchantProfile(
    name="Blumen Hagedorn",
    category="Blumen",
    phone="0251 3",
    email="b@example.de",
    address=Address(street="Markt 4", postal_code="48143", city="Münster"),
)


class FakePhotos:
    """Records which photos were kept and which were removed because the request failed."""

    def __init__(self) -> None:
        self.kept: list[bytes] = []
        self.removed: list[bytes] = []

    @asynccontextmanager
    async def stored(self, data: bytes) -> AsyncIterator[tuple[str, list[PhotoVariant]]]:
        try:
            yield "a" * 64, [PhotoVariant(name="thumb", width=320, height=240, content_type="image/jpeg")]
        except BaseException:
            self.removed.append(data)
            raise
        self.kept.append(data)


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def photos() -> FakePhotos:
    return FakePhotos()


@pytest.fixture
def handlers(store: InMemoryEventStore, photos: FakePhotos) -> CatalogHandlers:
    return CatalogHandlers(store, photos)


async def new_merchant(handlers: CatalogHandlers) -> Principal:
    merchant, _ = await handlers.register_merchant(RegisterMerchant(PROFILE))
    return Principal(role="merchant", subject=merchant.merchant_id)


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
    with pytest.raises(NotPermitted, match="association"):
        await handlers.suspend_merchant(caller, SuspendMerchant(caller.merchant(), "weil"))
    with pytest.raises(NotPermitted, match="merchant"):
        await handlers.list_product(association, listing())
    await handlers.suspend_merchant(association, SuspendMerchant(caller.merchant(), "Beschwerden"))
    with pytest.raises(NotAllowed, match="suspended"):
        await handlers.list_product(caller, listing())


async def test_the_same_key_with_a_different_registration_is_refused(handlers: CatalogHandlers) -> None:
    await handlers.register_merchant(RegisterMerchant(PROFILE, idempotency_key="key-12345678"))
    other = PROFILE.model_copy(update={"name": "Someone Else"})
    with pytest.raises(IdempotencyKeyReused, match="different request"):
        await handlers.register_merchant(RegisterMerchant(other, idempotency_key="key-12345678"))


async def test_the_same_key_with_a_different_listing_is_refused_and_its_photo_not_kept(
    handlers: CatalogHandlers, photos: FakePhotos
) -> None:
    caller = await new_merchant(handlers)
    await handlers.list_product(caller, listing("listing-0001"))
    with pytest.raises(IdempotencyKeyReused):
        await handlers.list_product(caller, replace(listing("listing-0001"), price_cents=1))
    with pytest.raises(IdempotencyKeyReused):
        await handlers.list_product(caller, replace(listing("listing-0001"), photo=b"another photo"))
    assert photos.kept == [b"photo"]


async def test_a_replayed_listing_does_not_process_its_photo_again(
    handlers: CatalogHandlers, photos: FakePhotos
) -> None:
    caller = await new_merchant(handlers)
    await handlers.list_product(caller, listing("listing-0001"))
    await handlers.list_product(caller, listing("listing-0001"))
    assert photos.kept == [b"photo"]


async def test_a_listing_that_fails_removes_the_photo_it_stored(handlers: CatalogHandlers, photos: FakePhotos) -> None:
    caller = await new_merchant(handlers)
    with pytest.raises(InvalidChange):
        await handlers.list_product(caller, replace(listing(), stock=-1))
    assert photos.removed == [b"photo"] and photos.kept == []


async def test_a_suspended_merchant_changes_nothing_of_its_own(handlers: CatalogHandlers) -> None:
    caller = await new_merchant(handlers)
    await handlers.suspend_merchant(Principal(role="association"), SuspendMerchant(caller.merchant(), "Beschwerden"))
    with pytest.raises(NotAllowed, match="suspended"):
        await handlers.change_profile(caller, ChangeProfile(PROFILE.model_copy(update={"name": "Neu"})))
    with pytest.raises(NotAllowed, match="suspended"):
        await handlers.close_shop(caller, CloseShop("Urlaub"))


async def test_an_id_of_the_wrong_kind_is_not_found(handlers: CatalogHandlers) -> None:
    caller = await new_merchant(handlers)
    listed, _ = await handlers.list_product(caller, listing())
    association = Principal(role="association")
    with pytest.raises(NotFound, match="offer"):
        await handlers.change_price(caller, ChangePrice(caller.merchant(), 100))
    with pytest.raises(NotFound, match="merchant"):
        await handlers.suspend_merchant(association, SuspendMerchant(listed.offer_id, "weil"))
    with pytest.raises(NotFound, match="merchant"):
        await handlers.replace_merchant_tokens(association, listed.offer_id, datetime.now(UTC))


async def test_only_the_association_replaces_a_merchants_tokens_and_older_ones_stop_working(
    handlers: CatalogHandlers,
) -> None:
    caller = await new_merchant(handlers)
    issued_before = datetime.now(UTC)
    with pytest.raises(NotPermitted, match="association"):
        await handlers.replace_merchant_tokens(caller, caller.merchant(), datetime.now(UTC))
    await handlers.replace_merchant_tokens(Principal(role="association"), caller.merchant(), datetime.now(UTC))
    with pytest.raises(TokenRevoked):
        await handlers.ensure_token_not_revoked(caller, issued_before)
    await handlers.ensure_token_not_revoked(caller, datetime.now(UTC))


async def test_a_merchant_signing_out_voids_its_tokens_issued_until_then(handlers: CatalogHandlers) -> None:
    caller = await new_merchant(handlers)
    issued_before = datetime.now(UTC)
    await handlers.sign_out_merchant(caller, datetime.now(UTC))
    with pytest.raises(TokenRevoked, match="signed out"):
        await handlers.ensure_token_not_revoked(caller, issued_before)
    await handlers.ensure_token_not_revoked(caller, datetime.now(UTC))  # a session opened afterwards
    with pytest.raises(NotPermitted, match="merchant"):
        await handlers.sign_out_merchant(Principal(role="association"), datetime.now(UTC))
