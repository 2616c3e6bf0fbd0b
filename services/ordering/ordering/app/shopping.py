# SPDX-License-Identifier: AGPL-3.0-or-later
"""Shopping: a basket filled from several merchants of the town, and its checkout.

A basket belongs to a signed-in customer or to a guest, who holds the basket's access token
(given once, when it is opened). Prices come from ordering's replica of the catalog, at the
moment a line is put in; checkout compares them with the replica again and shows every
price that changed rather than charging it. A checkout's orders — one per merchant — and
the basket's end are appended in one unit of work, so a checkout is all or nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from uuid import UUID, uuid4

from downtown_events.dispatch import DeliveryTermsSet
from downtown_events.ordering import TimeSlot
from downtown_events.runtime.commands import execute
from downtown_events.runtime.idempotency import created_id, ensure_same_request, fingerprint, fingerprint_metadata
from downtown_events.runtime.principal import Principal
from downtown_events.runtime.store import Append, ConcurrencyConflict
from ordering.app.context import Context, basket_of, order_of, token_hash
from ordering.app.ports import CatalogReplica, TownDeliveryTerms
from ordering.app.slot_holding import SlotHolding
from ordering.domain import basket as baskets
from ordering.domain import checkout
from ordering.domain import order as orders
from ordering.domain.basket import Basket
from ordering.domain.checkout import CheckoutDecision, StreamAppend
from ordering.domain.choices import AssistedLine, CustomerDetails, MerchantChoice
from ordering.domain.errors import AlreadyCheckedOut, NotAllowed, OfferUnavailable
from ordering.domain.order import Order
from ordering.domain.private_events import AssistedOrderEntered

CHECKOUT_TRIES = 3
"""A checkout that lost a race for a time's holds decides again (and then names the rival's hold)."""


@dataclass(frozen=True)
class OpenedBasket:
    basket: Basket
    access_token: str | None
    """A guest's handle on the basket, given once (a signed-in customer needs none)."""


@dataclass(frozen=True)
class CheckedOut:
    checkout_id: UUID
    orders: list[Order]
    guest_token: str | None
    """A guest's order link token (for every order of the checkout); None for an account."""
    created: bool


@dataclass(frozen=True)
class BasketKey:
    """Who may touch a basket: its customer account, or the guest holding its token."""

    account_id: UUID | None = None
    access_token: str | None = None

    @classmethod
    def of(cls, principal: Principal | None, access_token: str | None) -> BasketKey:
        if principal is not None and principal.role == "customer":
            return cls(account_id=principal.customer())
        return cls(access_token=access_token)

    @property
    def token_hash(self) -> str | None:
        return token_hash(self.access_token) if self.access_token else None


class ShoppingHandlers:
    def __init__(self, context: Context, replica: CatalogReplica, terms: TownDeliveryTerms | None = None) -> None:
        self._context = context
        self._store = context.store
        self._replica = replica
        self._terms = terms
        self.holding = SlotHolding(context, replica)

    async def delivery_terms(self) -> DeliveryTermsSet | None:
        """Dispatch's terms as ordering's replica holds them (None: none yet, or no replica)."""
        return None if self._terms is None else await self._terms.current()

    async def open_basket(self, key: BasketKey) -> OpenedBasket:
        basket_id = uuid4()
        token = None if key.account_id is not None else secrets.token_urlsafe(32)
        now = self._context.now()
        basket = await execute(
            self._store,
            str(basket_id),
            baskets.replay,
            lambda state: baskets.open_basket(
                state,
                basket_id=basket_id,
                account_id=key.account_id,
                access_token_hash=token_hash(token) if token else None,
                now=now,
            ),
        )
        return OpenedBasket(basket, token)

    async def basket(self, basket_id: UUID, key: BasketKey) -> Basket:
        return baskets.ensure_owner(
            await basket_of(self._store, basket_id), account_id=key.account_id, access_token_hash=key.token_hash
        )

    async def put(
        self, basket_id: UUID, key: BasketKey, offer_id: UUID, quantity: int, slot: TimeSlot | None
    ) -> Basket:
        """Put an offer in at the price the replica knows now (putting it again confirms a new
        price); a service's time is held from other baskets for a while (again: renewed)."""
        await self.basket(basket_id, key)
        offer = (await self._replica.offers([offer_id])).get(offer_id)
        if offer is None or offer.withdrawn:
            raise OfferUnavailable("no such offer in this town (any more)", offer_id)
        if slot is not None:
            return await self.holding.put(basket_id, offer, quantity, slot)
        return await execute(
            self._store,
            str(basket_id),
            baskets.replay,
            lambda state: baskets.put(
                state,
                offer_id=offer.offer_id,
                merchant_id=offer.merchant_id,
                kind=offer.kind,
                title=offer.title,
                quantity=quantity,
                unit_price_cents=offer.price_cents,
                slot=slot,
            ),
        )

    async def change_quantity(self, basket_id: UUID, key: BasketKey, line_id: UUID, quantity: int) -> Basket:
        await self.basket(basket_id, key)
        return await execute(
            self._store,
            str(basket_id),
            baskets.replay,
            lambda state: baskets.change_quantity(state, line_id=line_id, quantity=quantity),
        )

    async def remove(self, basket_id: UUID, key: BasketKey, line_id: UUID) -> Basket:
        """Take a line out; a service's time held for it goes with it."""
        basket = await self.basket(basket_id, key)
        line = basket.lines.get(line_id)
        if line is not None and line.slot is not None and not basket.checked_out:
            return await self.holding.remove(basket_id, line)
        return await execute(
            self._store, str(basket_id), baskets.replay, lambda state: baskets.remove(state, line_id=line_id)
        )

    async def check_out(
        self,
        basket_id: UUID,
        key: BasketKey,
        customer: CustomerDetails,
        choices: dict[UUID, MerchantChoice],
        idempotency_key: str | None,
        *,
        read: Basket | None = None,
    ) -> CheckedOut:
        """One order per merchant of the basket, all or none. Repeating a checkout (a lost
        answer, the same Idempotency-Key and request) answers its orders again — without the
        guest's link token; another request with that key is refused, as is a second checkout
        under another key. Of checkouts racing for one basket exactly one wins: the basket's
        ``BasketCheckedOut`` is appended at the version the checkout was decided on.

        ``read`` is the basket as the caller has just read it for this key (the route does,
        to refuse a stranger before taking the request's lease): decided on as it is, since
        if it changed meanwhile the append at its version is refused and the basket read again.
        """
        checkout_id = created_id(f"checkout:{basket_id}", idempotency_key)
        request = fingerprint((basket_id, customer, choices))
        basket = read if read is not None else await self.basket(basket_id, key)
        for attempt in range(CHECKOUT_TRIES):
            if basket.checked_out:
                break
            try:
                return await self._check_out(basket, key, checkout_id, customer, choices, request)
            except ConcurrencyConflict:  # a rival checkout, a change of the basket, a rival's hold came first
                decided_on, basket = basket, await self.basket(basket_id, key)
                changed = basket.version != decided_on.version
                if not basket.checked_out and (changed or attempt == CHECKOUT_TRIES - 1):
                    raise  # the basket changed under the checkout: the customer looks again
        if basket.checkout_id != checkout_id:
            raise AlreadyCheckedOut("this basket was checked out already", basket.checkout_id)
        if basket.order_ids:
            ensure_same_request(await self._store.read(str(basket.order_ids[0])), request)
        return CheckedOut(checkout_id, await self._orders(basket.order_ids), None, False)

    async def _check_out(
        self,
        basket: Basket,
        key: BasketKey,
        checkout_id: UUID,
        customer: CustomerDetails,
        choices: dict[UUID, MerchantChoice],
        request: str,
    ) -> CheckedOut:
        guest = key.account_id is None
        token = self._context.guest_token(checkout_id) if guest else None
        customer = replace(customer, account_id=key.account_id, guest_token_hash=token_hash(token) if token else None)
        # The lines name their merchants: both are asked for at once (an offer that moved to
        # another merchant is refused by the decision whatever that merchant's facts).
        offer_ids = {line.offer_id for line in basket.lines.values()}
        offers, merchants = await self._replica.facts(offer_ids, set(basket.merchant_ids) | set(choices))
        decision = checkout.check_out(
            basket,
            checkout_id=checkout_id,
            customer=customer,
            choices=choices,
            offers=offers,
            merchants=merchants,
            settings=self._context.town,
            now=self._context.now(),
            terms=await self.delivery_terms(),
        )
        holds = await self.holding.for_checkout(basket)
        await self._append(decision.appends(), request, holds)
        return CheckedOut(checkout_id, _orders_of(decision), token, True)

    async def place_assisted(
        self,
        principal: Principal,
        merchant_id: UUID,
        lines: list[AssistedLine],
        customer: CustomerDetails,
        choice: MerchantChoice,
        idempotency_key: str | None,
    ) -> CheckedOut:
        """A merchant (its own shop) or the association enters an order for a customer who
        phoned; the customer gets the order link by e-mail, if they gave an address. The
        assisted checkout has a stream of its own, begun with the order: a repeated request
        finds it there, and another request under the same key is refused, whichever
        merchant it names (it would otherwise share the first one's order link)."""
        if principal.role == "association":
            placed_by: str = "association"
        elif principal.merchant() != merchant_id:
            raise NotAllowed("a merchant enters orders for its own shop only")
        else:
            placed_by = "merchant"
        checkout_id = created_id(f"assisted:{principal.merchant_id or 'association'}", idempotency_key)
        request = fingerprint((merchant_id, lines, customer, choice))
        if idempotency_key is not None and (replayed := await self._assisted_replay(checkout_id, request)):
            return replayed
        token = self._context.guest_token(checkout_id)
        customer = replace(customer, account_id=None, guest_token_hash=token_hash(token))
        offers = await self._replica.offers({line.offer_id for line in lines})
        merchants = await self._replica.merchants({merchant_id})
        decision = checkout.place_assisted(
            checkout_id=checkout_id,
            merchant_id=merchant_id,
            lines=lines,
            placed_by=placed_by,  # type: ignore[arg-type]
            customer=customer,
            choice=choice,
            offers=offers,
            merchants=merchants,
            settings=self._context.town,
            now=self._context.now(),
            terms=await self.delivery_terms(),
        )
        try:
            await self._append(decision.appends(), request)
        except ConcurrencyConflict:  # the same key's first request got there meanwhile
            if (replayed := await self._assisted_replay(checkout_id, request)) is None:
                raise
            return replayed
        return CheckedOut(checkout_id, _orders_of(decision), token, True)

    async def _assisted_replay(self, checkout_id: UUID, request: str) -> CheckedOut | None:
        """The assisted checkout this key made before, if it made one and this is its request."""
        history = await self._store.read(str(checkout_id))
        if not history:
            return None
        ensure_same_request(history, request)
        entered = [stored.event for stored in history if isinstance(stored.event, AssistedOrderEntered)]
        return CheckedOut(checkout_id, await self._orders([event.order_id for event in entered]), None, False)

    async def _append(self, appends: list[StreamAppend], request: str, holds: Sequence[Append] = ()) -> None:
        """Every stream at the version its decision was made on, all or none: a conflict
        on any (a rival checkout's basket, a rival's hold of a time) is the whole checkout's."""
        metadata = fingerprint_metadata(request)
        await self._store.append_together(
            [
                *(
                    Append(str(append.stream_id), append.expected_version, append.events, metadata)
                    for append in appends
                ),
                *holds,
            ]
        )

    async def _orders(self, order_ids: list[UUID] | tuple[UUID, ...]) -> list[Order]:
        found = []
        for order_id in order_ids:
            order = await order_of(self._store, order_id)
            if order is not None:
                found.append(order)
        return found


def _orders_of(decision: CheckoutDecision) -> list[Order]:
    """The orders as the checkout's events make them (no need to read back what was just written)."""
    made = [orders.replay(placed.events) for placed in decision.orders]
    return [order for order in made if order is not None]
