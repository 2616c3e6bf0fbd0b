# SPDX-License-Identifier: AGPL-3.0-or-later
"""An order's life after checkout: the merchant's answers and steps, cancellation, the
invoice, and what follows a confirmation (a video consultation's meeting link).

Who may see or change an order: its customer (signed in, or a guest with the order link's
token), its merchant, the association. The rules themselves are the domain's; every
decision goes through the order's stream, so late or repeated requests change nothing.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Literal
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.commands import HOT_STREAM_RETRIES, decide_again_on_conflict, execute
from downtown_events.runtime.principal import NotPermitted, Principal
from downtown_events.runtime.store import EventStore
from ordering.app.context import Context, order_of, token_hash
from ordering.app.ports import CatalogReplica, DropOffSealer
from ordering.domain import courier, fulfilment
from ordering.domain import invoice as invoices
from ordering.domain import order as orders
from ordering.domain import receipt as receipts
from ordering.domain.errors import DomainError, NotFound
from ordering.domain.facts import MerchantFacts
from ordering.domain.order import Order

Step = Callable[[Order | None], list[IntegrationEvent]]
log = logging.getLogger(__name__)


class OrderHandlers:
    def __init__(
        self, context: Context, replica: CatalogReplica, *, jitsi_base_url: str, sealer: DropOffSealer
    ) -> None:
        self._context = context
        self._store = context.store
        self._replica = replica
        self._jitsi = jitsi_base_url
        self._sealer = sealer

    # --- seeing ---------------------------------------------------------------------------

    async def order(self, order_id: UUID, principal: Principal | None, guest_token: str | None = None) -> Order:
        order = orders.ensure_exists(await order_of(self._store, order_id))
        if not self._may_see(order, principal, guest_token):
            raise NotFound("no such order")
        return order

    @staticmethod
    def shows_customer(order: Order, principal: Principal | None) -> bool:
        """Who ordered, their phone and where it goes are the order's merchant's to see (and
        the association's, who may act for it): not another merchant's of the same checkout,
        nor anybody holding the order's link."""
        if principal is None or principal.role not in ("merchant", "association"):
            return False
        return principal.role == "association" or principal.merchant() == order.merchant_id

    def _may_see(self, order: Order, principal: Principal | None, guest_token: str | None) -> bool:
        if principal is not None:
            if principal.role == "association":
                return True
            if principal.role == "merchant":
                return principal.merchant() == order.merchant_id
            record = order.customer
            return record is not None and record.account_id == principal.customer_id
        if guest_token and order.customer is not None and order.customer.guest_token_hash:
            return hmac.compare_digest(token_hash(guest_token), order.customer.guest_token_hash)
        return False

    # --- the merchant -------------------------------------------------------------------

    async def accept(self, principal: Principal, order_id: UUID) -> Order:
        await self._merchants(principal, order_id)
        now = self._context.now()
        return await self._decide(order_id, lambda state: orders.accept(state, now=now))

    async def decline(self, principal: Principal, order_id: UUID, reason: str) -> Order:
        await self._merchants(principal, order_id)
        return await self._decide(order_id, lambda state: orders.decline(state, reason=reason))

    async def mark_packed(self, principal: Principal, order_id: UUID) -> Order:
        await self._merchants(principal, order_id)
        return await self._decide(order_id, fulfilment.mark_packed)

    async def mark_ready(self, principal: Principal, order_id: UUID) -> Order:
        await self._merchants(principal, order_id)
        return await self._decide(order_id, fulfilment.mark_ready_for_pickup)

    async def send_out(self, principal: Principal, order_id: UUID) -> Order:
        await self._merchants(principal, order_id)
        return await self._decide(order_id, fulfilment.send_out_for_delivery)

    async def hand_over(self, principal: Principal, order_id: UUID, paid_cents: int) -> Order:
        order = await self._merchants(principal, order_id)
        return await self._fulfil(order, lambda state: fulfilment.hand_over(state, paid_cents=paid_cents))

    async def mark_delivered(self, principal: Principal, order_id: UUID, paid_cents: int) -> Order:
        order = await self._merchants(principal, order_id)
        return await self._fulfil(order, lambda state: fulfilment.mark_delivered(state, paid_cents=paid_cents))

    async def mark_delivery_failed(self, principal: Principal, order_id: UUID, reason: str) -> Order:
        await self._merchants(principal, order_id)
        return await self._decide(order_id, lambda state: fulfilment.mark_delivery_failed(state, reason=reason))

    async def _merchants(self, principal: Principal, order_id: UUID) -> Order:
        """The merchant's own order (the association may act for any merchant)."""
        order = orders.ensure_exists(await order_of(self._store, order_id))
        if principal.role != "association" and principal.merchant() != order.merchant_id:
            raise NotFound("no such order")
        return order

    # --- cancellation -------------------------------------------------------------------

    async def cancel(self, order_id: UUID, principal: Principal | None, guest_token: str | None, reason: str) -> Order:
        order = await self.order(order_id, principal, guest_token)
        by: Literal["customer", "merchant", "association"] = "customer"
        if principal is not None and principal.role in ("merchant", "association"):
            by = "merchant" if principal.role == "merchant" else "association"
        elif order.customer is None:
            raise NotPermitted("only the customer, the merchant or the association cancels an order")
        now = self._context.now()
        return await self._decide(order_id, lambda state: orders.cancel(state, by=by, reason=reason, now=now))

    # --- deciding, and what follows ------------------------------------------------------

    async def decide(self, store: EventStore, order_id: UUID, step: Step) -> Order:
        """Decide on the order in ``store`` (a unit of work, or a reaction's transaction) and
        arrange what a confirmation brings with it: a courier order's hand-off to dispatch in
        the same decision, a meeting link in the same transaction."""
        handoff = courier.Handoff(self._sealer.seal, self._context.now(), self._context.town.answers_time)
        order = await execute(
            store,
            str(order_id),
            orders.replay,
            lambda state: courier.handed_off(state, step(state), handoff),
            retries=HOT_STREAM_RETRIES,
        )
        if order.confirmed and not order.ended:
            order = await self._arrange_meetings(store, order)
        return order

    async def _decide(self, order_id: UUID, step: Step) -> Order:
        async with self._store.unit_of_work() as unit:
            return await self.decide(unit, order_id, step)

    async def _fulfil(self, read: Order, step: Step) -> Order:
        """Handing over or delivering, and for an order paid on invoice its invoice, with the
        merchant's next number, in the same unit of work (numbers without gaps); for one paid
        in full on the spot its receipt. Who issues them is read from the replica first, so
        that no pooled connection is held while the unit of work waits for another."""
        merchant = await self._issuer(read)
        async with self._store.unit_of_work() as unit:
            order = await self.decide(unit, read.order_id, step)
            if order.fulfilled and order.payment.method == "invoice" and order.invoice is None:
                order = await self._invoice(unit, order, merchant)
            elif order.fulfilled and not read.fulfilled:
                order = await self._receipt(unit, order, merchant)
        return order

    async def follow_courier(self, store: EventStore, order_id: UUID, step: Step) -> Order | None:
        """Dispatch's news of a courier order, decided in ``store`` (the reaction's
        transaction; None: no such order here); a delivery brings the invoice or receipt the
        merchant's would. An invoice the merchant cannot issue (its tax number gone since the
        checkout) is logged and left for the merchant: the delivery stands, as the courier's
        word does."""
        try:
            read = await order_of(store, order_id)
        except NotFound:
            read = None  # a stream of something else under that id
        if read is None:
            return None  # not one of ours (another town's test, a stray record): nothing to decide
        order = await self.decide(store, order_id, step)
        if not order.fulfilled or read.fulfilled:
            return order
        merchant = await self._issuer(read)
        if order.payment.method != "invoice":
            return await self._receipt(store, order, merchant)
        try:
            return await self._invoice(store, order, merchant)
        except DomainError as refused:
            log.warning("order %s delivered without its invoice: %s", order_id, refused)
            return order

    async def _issuer(self, read: Order) -> MerchantFacts | None:
        """Who issues the invoice or receipt of an order not yet fulfilled (None: fulfilled)."""
        if read.fulfilled:
            return None
        return (await self._replica.merchants([read.merchant_id])).get(read.merchant_id)

    async def _receipt(self, unit: EventStore, order: Order, merchant: MerchantFacts | None) -> Order:
        """The receipt of an order this unit of work handed over or delivered, paid in full
        (once: a rival request that handed it over first has recorded it)."""
        history = [stored.event for stored in await unit.read(str(order.order_id))]
        if receipts.recorded_receipt(history) is not None:
            return order
        current = orders.ensure_exists(orders.replay(history))
        today, standard = self._context.today(), self._context.town.standard_vat_percent
        recorded = receipts.record_receipt(current, merchant, today=today, standard_vat_percent=standard)
        if recorded:
            await unit.append(str(order.order_id), current.version, recorded)
        return current

    async def _invoice(self, unit: EventStore, order: Order, merchant: MerchantFacts | None) -> Order:
        """The merchant's next number and the invoice with its particulars, on both streams at
        the versions read; a rival invoice of the merchant that took the number first means
        reading again. Refused (and the handing over with it) if the merchant cannot issue it."""
        today = self._context.today()
        standard = self._context.town.standard_vat_percent
        sequence_id = str(invoices.invoice_sequence_id(order.merchant_id))

        async def attempt(store: EventStore) -> Order:
            history = await store.read(sequence_id)
            current = orders.ensure_exists(await order_of(store, order.order_id))
            sequence = invoices.replay([stored.event for stored in history])
            decision = invoices.invoice_order(
                sequence, current, merchant=merchant, today=today, standard_vat_percent=standard
            )
            await store.append(sequence_id, len(history), list(decision.sequence_events))
            await store.append(str(current.order_id), current.version, list(decision.order_events))
            return orders.ensure_exists(await order_of(store, order.order_id))

        return await decide_again_on_conflict(unit, attempt)

    async def _arrange_meetings(self, store: EventStore, order: Order) -> Order:
        """A confirmed booking of a video consultation gets an unguessable meeting link, once.
        The order's lines say how each service is held; for orders placed before they said so,
        the replica's offer does."""
        unrecorded = [line.offer_id for line in order.lines if line.kind == "service" and line.held is None]
        replica = await self._replica.offers(unrecorded) if unrecorded else {}
        video = {offer.offer_id for offer in replica.values() if offer.video_consultation}
        for line in order.lines:
            by_video = line.held == "video" or (line.held is None and line.offer_id in video)
            if line.kind != "service" or not by_video or line.slot is None:
                continue
            url = fulfilment.meeting_url(self._jitsi, secrets.token_urlsafe(24))
            order = await execute(
                store,
                str(order.order_id),
                orders.replay,
                lambda state, line=line, url=url: fulfilment.assign_meeting_link(  # type: ignore[misc]
                    state, offer_id=line.offer_id, slot=line.slot, url=url
                ),
            )
        return order
