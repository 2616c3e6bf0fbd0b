# SPDX-License-Identifier: AGPL-3.0-or-later
"""The use cases of what is owed, on the in-memory store: handing over issues the invoice or
records the receipt in its unit of work; payments are recorded on the order's stream, once per
key; cancellations and corrections append to the merchant's sequence and the order's stream
together, their numbers following the invoices' without a gap."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    Fulfilment,
    InvoiceCancelled,
    InvoiceIssued,
    OrderLine,
    OrderPlaced,
    Payment,
    PaymentMethod,
    TimeSlot,
)
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.principal import Principal
from ordering.adapters.sealing import HandoffSealer
from ordering.app.context import Context
from ordering.app.invoicing import InvoicingHandlers
from ordering.app.orders import OrderHandlers
from ordering.domain import order as orders
from ordering.domain.errors import InvalidChange, NotFound
from ordering.domain.facts import MerchantFacts, OfferFacts, TownSettings
from ordering.domain.invoice import invoice_sequence_id
from ordering.domain.private_events import InvoiceNumberTaken, OrderCustomerRecorded, ReceiptParticularsRecorded

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SHOP = MerchantFacts(
    uuid4(),
    "Bäckerei Korn",
    approved=True,
    tax_number="12/345/67890",
    tax_number_kind="steuernummer",
    address=Address(street="Kirchstraße 5", postal_code="48624", city="Schöppingen"),
    iban="DE89370400440532013000",
)
MERCHANT = Principal(role="merchant", subject=SHOP.merchant_id)
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")


class Replica:
    async def offers(self, offer_ids: Iterable[UUID]) -> dict[UUID, OfferFacts]:
        return {}

    async def merchants(self, merchant_ids: Iterable[UUID]) -> dict[UUID, MerchantFacts]:
        return {SHOP.merchant_id: SHOP} if SHOP.merchant_id in set(merchant_ids) else {}

    async def facts(
        self, offer_ids: Iterable[UUID], merchant_ids: Iterable[UUID]
    ) -> tuple[dict[UUID, OfferFacts], dict[UUID, MerchantFacts]]:
        return {}, await self.merchants(merchant_ids)

    async def booked_slots(
        self, offer_ids: Iterable[UUID], since: datetime, until: datetime
    ) -> dict[UUID, list[TimeSlot]]:
        return {}

    async def tokens_valid_after(self, merchant_id: UUID) -> datetime | None:
        return None


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def context(store: InMemoryEventStore) -> Context:
    return Context(store, TownSettings(timezone=BERLIN), link_key=b"k" * 32, clock=lambda: NOW, timezone=BERLIN)


@pytest.fixture
def handlers(context: Context) -> OrderHandlers:
    sealer = HandoffSealer("a test town's hand-off key")
    return OrderHandlers(context, Replica(), jitsi_base_url="https://meet.example", sealer=sealer)  # type: ignore[arg-type]


@pytest.fixture
def invoicing(context: Context) -> InvoicingHandlers:
    return InvoicingHandlers(context, Replica())  # type: ignore[arg-type]


async def confirmed(store: InMemoryEventStore, method: PaymentMethod) -> UUID:
    """A confirmed pickup order of bread at 7 % and a mug at 19 %, 22,60 €, on the store."""
    lines = [
        OrderLine(
            offer_id=uuid4(), kind="product", title="Roggenbrot", quantity=2, unit_price_cents=535, vat_rate_percent=7
        ),
        OrderLine(
            offer_id=uuid4(), kind="product", title="Becher", quantity=1, unit_price_cents=1190, vat_rate_percent=19
        ),
    ]
    window = TimeSlot(starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, hours=1))
    placed = OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=SHOP.merchant_id,
        lines=lines,
        fulfilment=Fulfilment(method="pickup", pickup_window=window),
        payment=Payment(method=method),
        goods_cents=2260,
        total_cents=2260,
        merchant_answer_by=NOW + timedelta(hours=2),
        cancellable_until=NOW + timedelta(minutes=30),
    )
    customer = OrderCustomerRecorded(
        order_id=placed.order_id,
        checkout_id=placed.checkout_id,
        name="Anna Beispiel",
        email="a@b.de",
        billing_address=HOME,
    )
    history: list[IntegrationEvent] = [placed, customer]
    for step in (orders.record_stock_reserved, lambda state: orders.accept(state, now=NOW)):
        history += step(orders.replay(history))
    await store.append(str(placed.order_id), 0, history)
    return placed.order_id


def numbers(store: InMemoryEventStore) -> list[int]:
    taken = [stored.event for stored in store.streams[str(invoice_sequence_id(SHOP.merchant_id))]]
    assert all(isinstance(event, InvoiceNumberTaken) for event in taken)
    return [event.sequence for event in taken]  # type: ignore[attr-defined]


async def test_invoices_cancellations_and_corrections_append_both_streams_without_a_gap(
    store: InMemoryEventStore, handlers: OrderHandlers, invoicing: InvoicingHandlers
) -> None:
    first, second = await confirmed(store, "invoice"), await confirmed(store, "invoice")
    for order_id in (first, second):
        handed = await handlers.hand_over(MERCHANT, order_id, 0)
        assert handed.invoice is not None and handed.owed_cents == 2260
    cancelled = await invoicing.cancel_invoice(MERCHANT, first, "Retoure", "cancel-key-1")
    assert cancelled.invoice_cancelled and cancelled.owed_cents == 0
    again = await invoicing.cancel_invoice(MERCHANT, first, "Retoure", "cancel-key-1")  # a retry
    assert again.version == cancelled.version
    paid = await invoicing.record_payment(
        MERCHANT, second, received_by="bank_transfer", amount_cents=1000, paid_on=None, idempotency_key="pay-key-1"
    )
    corrected = await invoicing.correct_invoice(MERCHANT, second, "Firma", None, "correct-key-1")
    assert corrected.invoice is not None and corrected.invoice.invoice_number == "RE-2026-00005"
    assert corrected.owed_cents == paid.owed_cents == 1260
    assert numbers(store) == [1, 2, 3, 4, 5]
    documents = [
        stored.event
        for order_id in (first, second)
        for stored in store.streams[str(order_id)]
        if isinstance(stored.event, InvoiceIssued | InvoiceCancelled)
    ]
    assert sorted(document.sequence for document in documents) == [1, 2, 3, 4, 5]
    with pytest.raises(InvalidChange, match="cancelled already"):
        await invoicing.cancel_invoice(MERCHANT, first, "", "cancel-key-2")


async def test_a_payment_retried_with_its_key_is_recorded_once(
    store: InMemoryEventStore, handlers: OrderHandlers, invoicing: InvoicingHandlers
) -> None:
    order_id = await confirmed(store, "invoice")
    await handlers.hand_over(MERCHANT, order_id, 0)
    for _ in range(2):
        paid = await invoicing.record_payment(
            MERCHANT, order_id, received_by="bank_transfer", amount_cents=2260, paid_on=None, idempotency_key="same"
        )
    assert len(paid.payments) == 1 and paid.paid and paid.owed_cents == 0
    (payment,) = paid.payments.values()
    assert payment.paid_on == NOW.astimezone(BERLIN).date()
    other = Principal(role="merchant", subject=uuid4())
    with pytest.raises(NotFound, match="no such order"):
        await invoicing.record_payment(
            other, order_id, received_by="bank_transfer", amount_cents=1, paid_on=None, idempotency_key="x" * 8
        )


async def test_an_order_paid_at_pickup_gets_its_receipt_with_the_handing_over_once(
    store: InMemoryEventStore, handlers: OrderHandlers
) -> None:
    order_id = await confirmed(store, "at_pickup")
    handed = await handlers.hand_over(MERCHANT, order_id, 2260)
    assert handed.paid and handed.invoice is None
    await handlers.hand_over(MERCHANT, order_id, 2260)  # handed over again: nothing more
    receipts = [
        stored.event.receipt
        for stored in store.streams[str(order_id)]
        if isinstance(stored.event, ReceiptParticularsRecorded)
    ]
    assert len(receipts) == 1
    (receipt,) = receipts
    assert (receipt.paid_cents, receipt.gross_cents, [amount.rate_percent for amount in receipt.vat]) == (
        2260,
        2260,
        [7, 19],
    )
    assert receipt.seller.name == "Bäckerei Korn" and receipt.seller.tax_number_kind == "tax_number"
