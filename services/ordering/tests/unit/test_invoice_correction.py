# SPDX-License-Identifier: AGPL-3.0-or-later
"""Cancellation invoices and corrections keep an issued invoice as it is and the merchant's
numbers gapless; an invoice carries each line's own VAT rate, the shop's bank account and a
payment reference, and says whether the shop's number is a Steuernummer or a USt-IdNr."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

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
    VatAmount,
)
from ordering.domain import fulfilment, invoice, order, payments
from ordering.domain.errors import Contradiction, InvalidChange
from ordering.domain.facts import MerchantFacts
from ordering.domain.invoice import InvoiceDecision, InvoiceSequence
from ordering.domain.invoice_correction import cancel_invoice, correct_invoice
from ordering.domain.invoice_document import recorded_document
from ordering.domain.order import Order
from ordering.domain.private_events import (
    BankAccount,
    InvoiceDocument,
    InvoiceNumberTaken,
    InvoiceParticularsRecorded,
    InvoiceParty,
    OrderCustomerRecorded,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
LATER = date(2026, 3, 9)
MERCHANT = uuid4()
SHOP_ADDRESS = Address(street="Markt 3", postal_code="48624", city="Schöppingen")
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
OFFICE = Address(street="Am Hof 2", postal_code="48624", city="Schöppingen")
BAKERY = MerchantFacts(
    MERCHANT,
    "Bäckerei Korn",
    approved=True,
    tax_number="DE123456789",
    tax_number_kind="ust_idnr",
    address=SHOP_ADDRESS,
    iban="DE89370400440532013000",
    bic="cobadeffxxx",
    account_holder="Korn GbR",
)


def placed() -> OrderPlaced:
    lines = [
        OrderLine(
            offer_id=uuid4(), kind="product", title="Roggenbrot", quantity=2, unit_price_cents=535, vat_rate_percent=7
        ),
        OrderLine(
            offer_id=uuid4(),
            kind="product",
            title="Kaffeebecher",
            quantity=1,
            unit_price_cents=1190,
            vat_rate_percent=19,
        ),
    ]
    return OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=MERCHANT,
        lines=lines,
        fulfilment=Fulfilment(method="delivery", delivery_zone="48624", delivery_fee_cents=0),
        payment=Payment(method="invoice"),
        goods_cents=2260,
        total_cents=2260,
        merchant_answer_by=NOW + timedelta(hours=2),
        cancellable_until=NOW + timedelta(minutes=30),
    )


def after(state: Order | None, events: Sequence[IntegrationEvent]) -> Order:
    for event in events:
        state = order.evolve(state, event)
    assert state is not None
    return state


@dataclass
class Books:
    """The merchant's sequence and its orders' streams, as the event store would hold them."""

    sequence: InvoiceSequence | None = None

    def commit(self, decision: InvoiceDecision, state: Order, history: list[IntegrationEvent]) -> Order:
        for taken in decision.sequence_events:
            self.sequence = invoice.evolve(self.sequence, taken)
        history += decision.order_events
        return after(state, decision.order_events)

    def invoiced(self) -> tuple[Order, list[IntegrationEvent]]:
        """A delivered order on invoice with its invoice issued."""
        event = placed()
        customer = OrderCustomerRecorded(
            order_id=event.order_id,
            checkout_id=event.checkout_id,
            name="Anna Beispiel",
            email="a@b.de",
            delivery_address=HOME,
        )
        history: list[IntegrationEvent] = [event, customer]
        steps = (
            order.record_stock_reserved,
            lambda s: order.accept(s, now=NOW),
            fulfilment.send_out_for_delivery,
            lambda s: fulfilment.mark_delivered(s, paid_cents=0),
        )
        for step in steps:
            history += step(order.replay(history))
        state = order.replay(history)
        decision = invoice.invoice_order(self.sequence, state, merchant=BAKERY, today=TODAY, standard_vat_percent=19)
        return self.commit(decision, state, history), history  # type: ignore[arg-type]


def current(history: list[IntegrationEvent], state: Order) -> InvoiceDocument:
    assert state.invoice is not None
    document = recorded_document(history, state.invoice.invoice_number)
    assert document is not None
    return document


def test_an_invoice_keeps_each_lines_rate_names_the_bank_account_and_the_reference() -> None:
    state, history = Books().invoiced()
    assert state.invoice is not None
    assert state.invoice.vat == [
        VatAmount(rate_percent=7, net_cents=1000, vat_cents=70),
        VatAmount(rate_percent=19, net_cents=1000, vat_cents=190),
    ]
    document = current(history, state)
    assert [line.vat_rate_percent for line in document.lines] == [7, 19]
    assert document.bank == BankAccount(
        iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX", account_holder="Korn GbR"
    )
    assert document.payment_reference == "RE-2026-00001" and document.due_cents == 2260
    assert document.seller.tax_number_kind == "vat_id"
    named = replace(BAKERY, tax_number="DE123456789", tax_number_kind="steuernummer")  # the profile says which
    decision = invoice.invoice_order(
        None, order.replay(history[:-2]), merchant=named, today=TODAY, standard_vat_percent=19
    )
    particulars = decision.order_events[1]
    assert isinstance(particulars, InvoiceParticularsRecorded)
    assert particulars.document.seller.tax_number_kind == "tax_number"
    without = invoice.invoice_order(
        None, order.replay(history[:-2]), merchant=replace(BAKERY, iban=""), today=TODAY, standard_vat_percent=19
    )
    assert (
        isinstance(without.order_events[1], InvoiceParticularsRecorded)
        and without.order_events[1].document.bank is None
    )


def test_a_cancellation_takes_the_next_number_names_the_invoice_and_leaves_nothing_owed() -> None:
    books = Books()
    state, history = books.invoiced()
    decision = cancel_invoice(books.sequence, state, original=current(history, state), today=LATER, reason="Retoure")
    (taken,) = decision.sequence_events
    cancelled, particulars = decision.order_events
    assert isinstance(taken, InvoiceNumberTaken) and (taken.sequence, taken.document) == (2, "cancellation")
    assert isinstance(cancelled, InvoiceCancelled)
    assert (cancelled.invoice_number, cancelled.cancels_invoice_number, cancelled.corrected) == (
        "RE-2026-00002",
        "RE-2026-00001",
        False,
    )
    assert (cancelled.gross_cents, cancelled.net_cents, cancelled.vat) == (2260, 2000, state.invoice.vat)  # type: ignore[union-attr]
    assert isinstance(particulars, InvoiceParticularsRecorded)
    storno = particulars.document
    assert (storno.kind, storno.number, storno.issued_on, storno.cancels_number) == (
        "cancellation",
        "RE-2026-00002",
        LATER,
        "RE-2026-00001",
    )
    assert storno.due_cents == 0 and storno.bank is None and storno.lines == current(history, state).lines
    cancelled_state = books.commit(decision, state, history)
    assert cancelled_state.invoice_cancelled and cancelled_state.owed_cents == 0
    assert recorded_document(history, "RE-2026-00001") == current(history, state)  # the invoice never changes
    with pytest.raises(Contradiction, match="RE-2026-00001 was cancelled already"):
        cancel_invoice(books.sequence, cancelled_state, original=storno, today=LATER)


def test_an_invoice_with_payments_is_corrected_not_cancelled_and_the_payments_stay() -> None:
    books = Books()
    state, history = books.invoiced()
    paid = payments.record_payment(
        state, payment_id=uuid4(), received_by="bank_transfer", amount_cents=1000, paid_on=TODAY, today=TODAY
    )
    history += paid
    state = after(state, paid)
    with pytest.raises(InvalidChange, match="payments were recorded for invoice RE-2026-00001"):
        cancel_invoice(books.sequence, state, original=current(history, state), today=LATER)

    office = InvoiceParty(name="Beispiel GmbH", address=OFFICE)
    decision = correct_invoice(
        books.sequence,
        state,
        original=current(history, state),
        merchant=BAKERY,
        today=LATER,
        standard_vat_percent=19,
        buyer=office,
        reason="Rechnung auf die Firma",
    )
    assert [taken.sequence for taken in decision.sequence_events] == [2, 3]  # type: ignore[attr-defined]
    cancelled, _, reissued, particulars = decision.order_events
    assert isinstance(cancelled, InvoiceCancelled) and cancelled.corrected
    assert isinstance(reissued, InvoiceIssued) and reissued.invoice_number == "RE-2026-00003"
    assert isinstance(particulars, InvoiceParticularsRecorded)
    assert particulars.document.buyer == office and particulars.document.supplied_on == TODAY
    assert particulars.document.due_cents == 1260 and particulars.document.payment_reference == "RE-2026-00003"
    corrected = books.commit(decision, state, history)
    assert not corrected.invoice_cancelled and corrected.invoice == reissued and corrected.owed_cents == 1260


def test_numbers_stay_gapless_across_invoices_cancellations_and_corrections_of_many_orders() -> None:
    books = Books()
    first, first_history = books.invoiced()
    second, second_history = books.invoiced()
    books.commit(
        cancel_invoice(books.sequence, first, original=current(first_history, first), today=LATER),
        first,
        first_history,
    )
    books.commit(
        correct_invoice(
            books.sequence,
            second,
            original=current(second_history, second),
            merchant=BAKERY,
            today=LATER,
            standard_vat_percent=19,
        ),
        second,
        second_history,
    )
    third, third_history = books.invoiced()
    assert books.sequence is not None and books.sequence.last == 6
    numbers = [
        event.sequence
        for event in first_history + second_history + third_history
        if isinstance(event, InvoiceIssued | InvoiceCancelled)
    ]
    assert sorted(numbers) == [1, 2, 3, 4, 5, 6]
    documents = [
        event.document.number
        for event in first_history + second_history + third_history
        if isinstance(event, InvoiceParticularsRecorded)
    ]
    assert sorted(documents) == [f"RE-2026-0000{n}" for n in range(1, 7)]
    assert third.invoice is not None and third.invoice.invoice_number == "RE-2026-00006"


def test_a_number_the_sequence_gave_the_orders_next_document_is_not_taken_twice() -> None:
    order_id = uuid4()
    (first,) = invoice.take_number(None, merchant_id=MERCHANT, order_id=order_id, today=TODAY)
    sequence = invoice.evolve(None, first)
    assert invoice.take_number(sequence, merchant_id=MERCHANT, order_id=order_id, today=TODAY, taken_before=0) == []
    (second,) = invoice.take_number(
        sequence, merchant_id=MERCHANT, order_id=order_id, today=TODAY, document="cancellation", taken_before=1
    )
    assert isinstance(second, InvoiceNumberTaken) and (second.sequence, second.document) == (2, "cancellation")


def test_a_retried_cancellation_or_correction_decides_nothing_again() -> None:
    books = Books()
    state, history = books.invoiced()
    request = uuid4()
    decision = correct_invoice(
        books.sequence,
        state,
        original=current(history, state),
        merchant=BAKERY,
        today=LATER,
        standard_vat_percent=19,
        request_id=request,
    )
    corrected = books.commit(decision, state, history)
    assert request in corrected.invoice_requests
    again = correct_invoice(
        books.sequence,
        corrected,
        original=current(history, corrected),
        merchant=BAKERY,
        today=LATER,
        standard_vat_percent=19,
        request_id=request,
    )
    assert (again.sequence_events, again.order_events) == ((), ())
    assert (
        cancel_invoice(
            books.sequence, corrected, original=current(history, corrected), today=LATER, request_id=request
        ).order_events
        == ()
    )


def test_a_correction_needs_a_shop_that_may_still_issue_invoices() -> None:
    books = Books()
    state, history = books.invoiced()
    with pytest.raises(InvalidChange, match="association does not vouch for it"):
        correct_invoice(
            books.sequence,
            state,
            original=current(history, state),
            merchant=replace(BAKERY, approved=False),
            today=LATER,
            standard_vat_percent=19,
        )
