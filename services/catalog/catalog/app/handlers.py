# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's use cases: load an aggregate, let the domain decide, append what it decided.

Every handler follows the same three steps through the runtime's command loop
(:func:`downtown_events.runtime.commands.execute`), which also retries a concurrency
conflict by reloading and deciding again. Who may do
what is checked here from the :class:`Principal`; the rules themselves live in the domain.
Creating handlers honour idempotency keys (see :mod:`downtown_events.runtime.idempotency`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from catalog.domain import merchant as merchants
from catalog.domain import offer as offers
from catalog.domain.commands import (
    AddPhoto,
    AdjustStock,
    ChangeOfferDetails,
    ChangeOpeningHours,
    ChangePrice,
    ChangeProfile,
    ChangeVatRate,
    CloseShop,
    ListProduct,
    ListService,
    NoteAvailability,
    RegisterMerchant,
    SuspendMerchant,
    WithdrawOffer,
)
from catalog.domain.errors import AlreadyExists, TokenRevoked
from catalog.domain.merchant import Merchant
from catalog.domain.offer import Offer
from downtown_events.catalog import PhotoVariant
from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.commands import events_of, execute, load
from downtown_events.runtime.idempotency import (
    create_once,
    created_id,
    ensure_same_request,
    fingerprint,
    fingerprint_metadata,
)
from downtown_events.runtime.principal import REPLACED, Principal
from downtown_events.runtime.store import EventStore

S = TypeVar("S", Merchant, Offer)


class PhotoStorage(Protocol):
    """Checks, cleans, resizes and stores a photo; raises a ``PhotoRejected`` if unusable.

    ``stored(data)`` yields the photo's id and variants; if the block raises, the files it
    stored are removed again, so a failed request leaves nothing behind.
    """

    def stored(self, data: bytes) -> AbstractAsyncContextManager[tuple[str, list[PhotoVariant]]]: ...


class CatalogHandlers:
    def __init__(self, store: EventStore, photos: PhotoStorage) -> None:
        self._store = store
        self._photos = photos

    # --- merchants ---------------------------------------------------------------------

    async def register_merchant(self, command: RegisterMerchant) -> tuple[Merchant, bool]:
        """Returns the merchant and whether it was created now (False: a replay, which must
        not be answered with the merchant's token)."""
        merchant_id = created_id("merchant", command.idempotency_key)
        return await create_once(
            self._store,
            str(merchant_id),
            merchants.replay,
            lambda state: merchants.register(state, merchant_id, command.profile, command.opening_hours),
            command=command,
            idempotency_key=command.idempotency_key,
            exists=AlreadyExists,
        )

    async def merchant(self, merchant_id: UUID) -> Merchant:
        return merchants.ensure_exists(await self._optional_merchant(merchant_id))

    async def change_profile(self, principal: Principal, command: ChangeProfile) -> Merchant:
        return await self._merchant_change(principal.merchant(), lambda s: merchants.change_profile(s, command.profile))

    async def change_opening_hours(self, principal: Principal, command: ChangeOpeningHours) -> Merchant:
        return await self._merchant_change(
            principal.merchant(), lambda s: merchants.change_opening_hours(s, command.opening_hours)
        )

    async def close_shop(self, principal: Principal, command: CloseShop) -> Merchant:
        return await self._merchant_change(principal.merchant(), lambda s: merchants.close(s, command.note))

    async def reopen_shop(self, principal: Principal) -> Merchant:
        return await self._merchant_change(principal.merchant(), merchants.reopen)

    async def note_availability(self, principal: Principal, command: NoteAvailability) -> Merchant:
        return await self._merchant_change(
            principal.merchant(), lambda s: merchants.note_availability(s, command.note, command.day)
        )

    async def suspend_merchant(self, principal: Principal, command: SuspendMerchant) -> Merchant:
        principal.association()
        return await self._merchant_change(command.merchant_id, lambda s: merchants.suspend(s, command.reason))

    async def reinstate_merchant(self, principal: Principal, merchant_id: UUID) -> Merchant:
        principal.association()
        return await self._merchant_change(merchant_id, merchants.reinstate)

    async def approve_merchant(self, principal: Principal, merchant_id: UUID) -> Merchant:
        """The association vouches for a merchant: it may act with money from now on."""
        principal.association()
        return await self._merchant_change(merchant_id, merchants.approve)

    async def withdraw_approval(self, principal: Principal, merchant_id: UUID, reason: str) -> Merchant:
        principal.association()
        return await self._merchant_change(merchant_id, lambda s: merchants.withdraw_approval(s, reason))

    async def replace_merchant_tokens(self, principal: Principal, merchant_id: UUID, now: datetime) -> Merchant:
        """A merchant who lost a token asks the association, which knows them, for a new one;
        every token issued before ``now`` stops working, in every service."""
        principal.association()
        return await self._merchant_change(merchant_id, lambda s: merchants.revoke_tokens(s, now))

    async def sign_out_merchant(self, principal: Principal, now: datetime) -> None:
        """The merchant signs out: every token of it issued until ``now`` (the one sent too)
        stops working, in every service, by the same revocation as the association's
        replacement. Merchant tokens are checked against a replica of the merchant, not a
        list of token ids, so one token cannot be revoked alone."""
        await self._merchant_change(principal.merchant(), lambda s: merchants.revoke_tokens(s, now))

    async def ensure_token_not_revoked(self, principal: Principal, issued_at: datetime) -> None:
        merchant = await self._optional_merchant(principal.merchant())
        if merchant is None or not merchants.accepts_token_issued_at(merchant, issued_at):
            raise TokenRevoked(REPLACED)

    async def _merchant_change(
        self, merchant_id: UUID, decide: Callable[[Merchant | None], list[IntegrationEvent]]
    ) -> Merchant:
        return await self._execute(str(merchant_id), merchants.replay, decide)

    # --- offers ------------------------------------------------------------------------

    async def list_product(self, principal: Principal, command: ListProduct) -> tuple[Offer, bool]:
        """List a product and its photo in one append: both or neither become visible, and
        a photo stored for a listing that then fails is removed again."""
        merchant = merchants.ensure_not_suspended(await self._optional_merchant(principal.merchant()))
        offer_id = created_id(f"offer:{merchant.merchant_id}", command.idempotency_key)
        if command.idempotency_key is not None and await self._store.read(str(offer_id)):
            # A replay: answered from the log, without processing the photo again.
            return await self._replayed_offer(offer_id, merchant.merchant_id, fingerprint(command)), False

        async with self._photos.stored(command.photo) as (photo_id, variants):

            def decide(state: Offer | None) -> list[IntegrationEvent]:
                listed = offers.list_product(
                    state, merchant, offer_id, command.details, command.price_cents, command.stock, command.vat_percent
                )
                with_listing = offers.evolve(None, listed[0])
                return [*listed, *offers.add_photo(with_listing, merchant.merchant_id, photo_id, variants)]

            return await self._create_offer(offer_id, merchant.merchant_id, command, decide)

    async def list_service(self, principal: Principal, command: ListService) -> tuple[Offer, bool]:
        merchant = merchants.ensure_not_suspended(await self._optional_merchant(principal.merchant()))
        offer_id = created_id(f"offer:{merchant.merchant_id}", command.idempotency_key)
        return await self._create_offer(
            offer_id,
            merchant.merchant_id,
            command,
            lambda state: offers.list_service(
                state,
                merchant,
                offer_id,
                command.details,
                command.price_cents,
                command.duration_minutes,
                command.availability,
                command.vat_percent,
                command.held,
            ),
        )

    async def offer(self, principal: Principal, offer_id: UUID) -> Offer:
        return offers.owned_by(await self._optional_offer(offer_id), principal.merchant())

    async def change_price(self, principal: Principal, command: ChangePrice) -> Offer:
        return await self._offer_change(
            principal, command.offer_id, lambda s, m: offers.change_price(s, m, command.price_cents)
        )

    async def change_vat_rate(self, principal: Principal, command: ChangeVatRate) -> Offer:
        return await self._offer_change(
            principal, command.offer_id, lambda s, m: offers.change_vat_rate(s, m, command.vat_percent)
        )

    async def change_offer_details(self, principal: Principal, command: ChangeOfferDetails) -> Offer:
        return await self._offer_change(
            principal, command.offer_id, lambda s, m: offers.change_details(s, m, command.details)
        )

    async def add_photo(self, principal: Principal, command: AddPhoto) -> Offer:
        await self.offer(principal, command.offer_id)  # refuse strangers before processing their upload
        async with self._photos.stored(command.photo) as (photo_id, variants):
            return await self._offer_change(
                principal, command.offer_id, lambda s, m: offers.add_photo(s, m, photo_id, variants)
            )

    async def adjust_stock(self, principal: Principal, command: AdjustStock) -> Offer:
        return await self._offer_change(
            principal, command.offer_id, lambda s, m: offers.adjust_stock(s, m, command.delta, command.reason)
        )

    async def withdraw_offer(self, principal: Principal, command: WithdrawOffer) -> Offer:
        return await self._offer_change(principal, command.offer_id, lambda s, m: offers.withdraw(s, m, command.reason))

    async def _offer_change(
        self,
        principal: Principal,
        offer_id: UUID,
        decide: Callable[[Offer | None, UUID], list[IntegrationEvent]],
    ) -> Offer:
        merchant_id = principal.merchant()
        merchants.ensure_not_suspended(await self._optional_merchant(merchant_id))
        return await self._execute(str(offer_id), offers.replay, lambda state: decide(state, merchant_id))

    async def _create_offer(
        self,
        offer_id: UUID,
        merchant_id: UUID,
        command: ListProduct | ListService,
        decide: Callable[[Offer | None], list[IntegrationEvent]],
    ) -> tuple[Offer, bool]:
        offer, created = await create_once(
            self._store,
            str(offer_id),
            offers.replay,
            decide,
            command=command,
            idempotency_key=command.idempotency_key,
            exists=AlreadyExists,
        )
        return (offer if created else offers.owned_by(offer, merchant_id)), created

    async def _replayed_offer(self, offer_id: UUID, merchant_id: UUID, request: str) -> Offer:
        return offers.owned_by(await self._replayed(str(offer_id), request, offers.replay), merchant_id)

    async def _replayed(
        self, stream_id: str, request: str, replay: Callable[[Sequence[IntegrationEvent]], S | None]
    ) -> S | None:
        """The aggregate a repeated creating request asked for, if it is the same request."""
        history = await self._store.read(stream_id)
        ensure_same_request(history, request)
        return replay(events_of(history))

    async def _optional_merchant(self, merchant_id: UUID) -> Merchant | None:
        return await load(self._store, str(merchant_id), merchants.replay)

    async def _optional_offer(self, offer_id: UUID) -> Offer | None:
        return await load(self._store, str(offer_id), offers.replay)

    async def _execute(
        self,
        stream_id: str,
        replay: Callable[[Sequence[IntegrationEvent]], S | None],
        decide: Callable[[S | None], list[IntegrationEvent]],
        request_fingerprint: str | None = None,
    ) -> S:
        return await execute(self._store, stream_id, replay, decide, metadata=fingerprint_metadata(request_fingerprint))
