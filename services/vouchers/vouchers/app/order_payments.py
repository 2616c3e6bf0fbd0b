# SPDX-License-Identifier: AGPL-3.0-or-later
"""The order saga's vouchers side: an order's voucher part paid, refused, or given back.

A process manager reads ordering's topic. ``OrderPlaced`` with a voucher part redeems it
from the authorised voucher at the order's merchant (``VoucherRedeemed`` with the order's id,
on the voucher's stream) or refuses it (``VoucherPaymentRefused``, on the authorisation's);
ordering's saga reads exactly these two. An order that ends unfulfilled (rejected,
cancelled, not delivered) gets its redemption reversed.

Everything one order decides is appended in the consumer's one transaction with its
tracking row, to the authorisation's, the voucher's and the order part's streams, each at
the version it was read at. Orders of one checkout drawing on one authorisation at once
meet at those versions: the loser's savepoint is rolled back, it reads again and decides
again, so neither the authorisation nor the voucher is ever overdrawn. A redelivered or
repeated event finds its order answered on those streams and decides nothing; the
consumer's tracking applies each order's events in their stream's order, so an ending is
never seen before its placement. A decision that keeps losing to rivals is left to the
consumer, which tries the batch again later, outside its transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    OrderCancelled,
    OrderDeliveryFailed,
    OrderEvent,
    OrderPlaced,
    OrderRejected,
    OrderVoucherRedemptionReturned,
)
from downtown_events.runtime.commands import HOT_STREAM_RETRIES, decide_again_on_conflict, events_of, execute
from downtown_events.runtime.failures import NotYetDecidable
from downtown_events.runtime.process_manager import ProcessManager
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.store import EventStore
from vouchers.app.context import Context, membership_of
from vouchers.app.ports import MerchantDirectory
from vouchers.domain import authorization as authorizations
from vouchers.domain import balance, order_payment
from vouchers.domain import membership as memberships
from vouchers.domain import voucher as vouchers
from vouchers.domain.authorization import Authorization
from vouchers.domain.errors import DomainError, NotYetKnown
from vouchers.domain.order_payment import Decision, OrderVoucherPart
from vouchers.domain.voucher import Voucher

log = logging.getLogger(__name__)
REACTS_TO = (OrderPlaced, OrderRejected, OrderCancelled, OrderDeliveryFailed, OrderVoucherRedemptionReturned)
NAME = "order_payments"
SERVICE = "vouchers"
CONSUMER_NAME = f"process:{NAME}"


@dataclass(frozen=True)
class _Read:
    """The streams one order's voucher part is decided on, their versions as read, and their states."""

    part_stream: str
    part_version: int
    part: OrderVoucherPart | None
    authorization_stream: str
    authorization_version: int
    authorization: Authorization | None
    voucher_version: int = 0
    voucher: Voucher | None = None

    async def append(self, unit: EventStore, decision: Decision) -> None:
        """The authorisation's stream first, then the voucher's, then the order part's:
        every writer takes them in this order, so no two wait for each other in a circle."""
        if decision.authorization:
            await unit.append(self.authorization_stream, self.authorization_version, decision.authorization)
        if decision.voucher:
            if self.voucher is None:
                raise ValueError("a decision for a voucher that was not read")
            await unit.append(str(self.voucher.voucher_id), self.voucher_version, decision.voucher)
        if decision.part:
            await unit.append(self.part_stream, self.part_version, decision.part)


async def _read(store: EventStore, order_id: UUID, authorization_id: UUID) -> _Read:
    part_stream = order_payment.stream_id(order_id)
    part = await store.read(part_stream)
    authorization = await store.read(str(authorization_id))
    found = authorizations.replay(events_of(authorization))
    read = _Read(
        part_stream,
        len(part),
        order_payment.replay(events_of(part)),
        str(authorization_id),
        len(authorization),
        found,
    )
    if found is None or found.voucher_id is None:
        return read
    voucher = await store.read(str(found.voucher_id))
    return replace(read, voucher_version=len(voucher), voucher=vouchers.replay(events_of(voucher)))


Decide = Callable[[EventStore], Awaitable[tuple[_Read | None, Decision]]]


async def _decide_and_append(store: EventStore, decide: Decide) -> Decision:
    """Decide on the streams as read and append to each at the version read, all or none (a
    savepoint); when another writer got to one of them first, read again and decide again
    (at once: this runs inside the consumer's transaction, see the kit's command loop)."""

    async def attempt(unit: EventStore) -> Decision:
        read, decision = await decide(unit)
        if read is not None and not decision.empty:
            await read.append(unit, decision)
        return decision

    return await decide_again_on_conflict(store, attempt)


class OrderPayments:
    """The use cases behind the process manager; each runs on the store it is handed (the
    consumer's transaction)."""

    def __init__(self, context: Context, merchants: MerchantDirectory) -> None:
        self._context = context
        self._merchants = merchants

    async def react(self, received: ReceivedEvent, store: EventStore) -> None:
        match received.event:
            case OrderPlaced() as placed:
                await self.on_order_placed(store, placed, received.envelope.time)
            case OrderRejected() | OrderCancelled() | OrderDeliveryFailed() as ending:
                await self.on_order_ended(store, ending)
            case OrderVoucherRedemptionReturned() as returned:
                await self.on_redemption_returned(store, returned)

    async def on_order_placed(self, store: EventStore, placed: OrderPlaced, placed_at: datetime) -> Decision:
        """Pay or refuse the order's voucher part; an order without one is none of ours. A shop
        not known here yet makes the consumer try again later (until the order's answer time)."""
        if placed.payment.voucher_cents <= 0:
            return Decision()
        merchant = await self._merchants.standing(placed.merchant_id)
        authorization_id = order_payment.authorization_stream(placed)
        today = placed_at.astimezone(self._context.timezone).date()  # the order's day, however late we are
        now = self._context.now()

        async def decide(unit: EventStore) -> tuple[_Read | None, Decision]:
            read = await _read(unit, placed.order_id, authorization_id)
            voucher = read.voucher
            accepts = (
                voucher is not None
                and voucher.kind == "town"
                and memberships.accepts(await membership_of(unit, voucher.programme_id, placed.merchant_id))
            )
            decision = order_payment.pay(
                read.part,
                read.authorization,
                voucher,
                placed=placed,
                placed_at=placed_at,
                merchant=merchant,
                merchant_accepts=accepts,
                today=today,
                now=now,
            )
            return read, decision

        try:
            return await _decide_and_append(store, decide)
        except NotYetKnown as unknown:
            raise NotYetDecidable(f"order {placed.order_id}: {unknown.reason}") from None

    async def on_order_ended(self, store: EventStore, ending: OrderEvent) -> Decision:
        """Give back what the order took, once; an order that took nothing decides nothing."""
        return await self._give_back(store, ending)

    async def on_redemption_returned(self, store: EventStore, returned: OrderVoucherRedemptionReturned) -> Decision:
        """Ordering could not take a redemption for its order: reverse it. The order's own
        redemption goes back with its authorisation, as on an ending; one the order's part
        does not know (nothing here makes such a thing) is reversed on its voucher alone."""
        part_stream = order_payment.stream_id(returned.order_id)
        part = order_payment.replay(events_of(await store.read(part_stream)))
        if part is not None and part.redemption_id == returned.redemption_id:
            return await self._give_back(store, returned)
        today = self._context.today()

        def reverse(voucher: Voucher | None) -> list[IntegrationEvent]:
            try:
                return balance.reverse_redemption(
                    voucher,
                    redemption_id=returned.redemption_id,
                    today=today,
                    reason=order_payment.ENDING_REASONS[OrderVoucherRedemptionReturned],
                    order_id=returned.order_id,
                )
            except DomainError as unknown:  # no such redemption of that voucher: nothing to give back
                log.warning("redemption %s handed back by its order: %s", returned.redemption_id, unknown.reason)
                return []

        await execute(store, str(returned.voucher_id), vouchers.replay, reverse, retries=HOT_STREAM_RETRIES)
        return Decision()

    async def _give_back(self, store: EventStore, ending: OrderEvent) -> Decision:
        today = self._context.today()  # money credited after the voucher's validity is breakage today

        async def decide(unit: EventStore) -> tuple[_Read | None, Decision]:
            part = order_payment.replay(events_of(await unit.read(order_payment.stream_id(ending.order_id))))
            if part is None:
                return None, Decision()
            read = await _read(unit, ending.order_id, part.authorization_id)
            return read, order_payment.give_back(
                read.part, read.authorization, read.voucher, ending=ending, today=today
            )

        return await _decide_and_append(store, decide)


def order_payments(context: Context, merchants: MerchantDirectory) -> ProcessManager:
    """The process manager of the vouchers' part of the order saga (reads ordering's topic)."""
    return ProcessManager(NAME, service=SERVICE, reacts_to=REACTS_TO, react=OrderPayments(context, merchants).react)
