# SPDX-License-Identifier: AGPL-3.0-or-later
"""Invoices for orders paid on invoice, with the particulars § 14 Abs. 4 UStG asks for.

**Gapless numbers per merchant.** Each merchant has an :class:`InvoiceSequence`, a stream of
its own (id from the merchant's, :func:`invoice_sequence_id`). Its :func:`take_number`
appends the private ``InvoiceNumberTaken`` for number n + 1, and the app appends it in the
same unit of work as the order's ``InvoiceIssued``: a number exists only with its invoice,
and an invoice only with its number. Two invoices of one merchant at once both ask for
n + 1; the event store's concurrency check on the sequence stream lets one commit, and the
other reloads and takes n + 2. No number is drawn before the transaction, so none is lost.

VAT is worked out from gross prices (German consumer prices include VAT): per rate over
the order's lines, net = gross × 100 / (100 + rate) rounded half up to the cent, VAT =
gross − net, so net and VAT add up to the gross exactly. The delivery fee is a service
ancillary to the goods but charged apart; it is taxed at the standard rate here.

**Cancelled, never changed.** An issued invoice stays as it is; a cancellation invoice
(Stornorechnung, :mod:`ordering.domain.invoice_correction`) takes the next number of the same
sequence and cancels it, and a correction is a cancellation and a new invoice, each with its
number, in one unit of work. So an order may hold several numbers, in the order taken.

**Who may issue one.** Only a merchant the town's association approved, with a tax number or
VAT id and an address (:mod:`ordering.domain.invoice_issuer`): checkout refuses an order on invoice at
any other shop, and the invoice itself is refused (with the handing over it belongs to)
should the shop have lost either since. **What it says** is fixed when it is issued: the
private ``InvoiceParticularsRecorded`` (:mod:`ordering.domain.invoice_document`) goes with
``InvoiceIssued``, and every copy of the PDF is drawn from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from uuid import UUID, uuid5

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import InvoiceIssued, OrderLine, VatAmount
from ordering.domain.errors import Contradiction, InvalidChange, NotFound
from ordering.domain.facts import MerchantFacts
from ordering.domain.invoice_document import draw_up
from ordering.domain.invoice_issuer import invoice_bank, invoice_seller
from ordering.domain.order import Order, ensure_exists
from ordering.domain.private_events import (
    BankAccount,
    InvoiceKind,
    InvoiceNumberTaken,
    InvoiceParticularsRecorded,
    InvoiceParty,
)


@dataclass(frozen=True)
class InvoiceSequence:
    sequence_id: UUID
    merchant_id: UUID
    last: int = 0
    # Read-only by convention: a fold copies it once. The last number each order was given,
    # and how many it was given (an invoice, cancellations, corrected invoices).
    numbers: Mapping[UUID, InvoiceNumberTaken] = field(default_factory=dict)
    counts: Mapping[UUID, int] = field(default_factory=dict)
    version: int = 0


def invoice_sequence_id(merchant_id: UUID) -> UUID:
    """The stream of the merchant's invoice numbers: one merchant, one sequence."""
    return uuid5(merchant_id, "invoice-sequence")


def invoice_number(sequence: int, issued_on: date) -> str:
    """``RE-2026-00042``. The year is there for people; the sequence does not restart with
    it: a count that never resets is unique by itself, and an invoice issued on 31 December
    while another takes the first number of January cannot give two invoices one number or
    leave a gap at the turn of the year."""
    return f"RE-{issued_on.year}-{sequence:05d}"


def evolve(state: InvoiceSequence | None, event: IntegrationEvent) -> InvoiceSequence:
    return _fold(state, [event])


def replay(events: Iterable[IntegrationEvent]) -> InvoiceSequence | None:
    """None for a merchant that has issued no invoice yet."""
    history = list(events)
    return _fold(None, history) if history else None


def _fold(state: InvoiceSequence | None, events: Sequence[IntegrationEvent]) -> InvoiceSequence:
    """A busy shop issues thousands of invoices: the numbers are copied once per fold. What is
    stored is read as it is (the log is forever); gaps are prevented when deciding, not here."""
    if state is None:
        first = events[0]
        if not isinstance(first, InvoiceNumberTaken):
            raise ValueError(f"{type(first).__name__} in an invoice sequence")
        state = InvoiceSequence(first.sequence_id, first.merchant_id)
    numbers, counts, last = dict(state.numbers), dict(state.counts), state.last
    for event in events:
        if not isinstance(event, InvoiceNumberTaken):
            raise ValueError(f"{type(event).__name__} in an invoice sequence")
        numbers[event.order_id], last = event, max(last, event.sequence)
        counts[event.order_id] = counts.get(event.order_id, 0) + 1
    return replace(state, numbers=numbers, counts=counts, last=last, version=state.version + len(events))


def take_number(
    state: InvoiceSequence | None,
    *,
    merchant_id: UUID,
    order_id: UUID,
    today: date,
    document: InvoiceKind = "invoice",
    taken_before: int = 0,
) -> list[IntegrationEvent]:
    """The merchant's next number for the order's next document, the order's stream holding
    ``taken_before`` of them: an order the sequence gave more numbers already keeps its own."""
    if state is not None:
        if state.merchant_id != merchant_id:
            raise InvalidChange("this invoice sequence is another merchant's")
        if state.counts.get(order_id, 0) > taken_before:
            return []
    sequence = (state.last if state is not None else 0) + 1
    taken = InvoiceNumberTaken(
        sequence_id=invoice_sequence_id(merchant_id),
        merchant_id=merchant_id,
        sequence=sequence,
        order_id=order_id,
        invoice_number=invoice_number(sequence, today),
        taken_on=today,
        document=document,
    )
    return [taken]


def net_cents(gross_cents: int, rate_percent: int) -> int:
    """The net of a gross amount that includes ``rate_percent`` VAT, rounded half up (in
    integers: floor((2·100·gross + (100 + rate)) / (2·(100 + rate))))."""
    divisor = 100 + rate_percent
    return (200 * gross_cents + divisor) // (2 * divisor)


def vat_breakdown(lines: Sequence[OrderLine], delivery_fee_cents: int, standard_rate_percent: int) -> list[VatAmount]:
    """Net and VAT per rate, lowest rate first."""
    gross_by_rate: dict[int, int] = {}
    for line in lines:
        gross_by_rate[line.vat_rate_percent] = gross_by_rate.get(line.vat_rate_percent, 0) + line.gross_cents
    if delivery_fee_cents:
        gross_by_rate[standard_rate_percent] = gross_by_rate.get(standard_rate_percent, 0) + delivery_fee_cents
    amounts = []
    for rate, gross in sorted(gross_by_rate.items()):
        net = net_cents(gross, rate)
        amounts.append(VatAmount(rate_percent=rate, net_cents=net, vat_cents=gross - net))
    return amounts


def issue(
    state: Order | None,
    *,
    taken: InvoiceNumberTaken,
    seller: InvoiceParty,
    standard_vat_percent: int,
    supplied_on: date | None = None,
    bank: BankAccount | None = None,
    buyer: InvoiceParty | None = None,
) -> list[IntegrationEvent]:
    """The order's invoice under the number taken for it, dated the day it was taken, and
    everything it says (``InvoiceParticularsRecorded``), from ``seller`` as it is now (and
    the account to pay into, ``bank``; ``buyer`` to correct whom it names)."""
    order = ensure_invoiceable(state)
    if order.invoice is not None and not order.invoice_cancelled:
        if order.invoice.sequence == taken.sequence:
            return []
        raise Contradiction(f"this order has invoice {order.invoice.invoice_number} already")
    if (taken.order_id, taken.merchant_id) != (order.order_id, order.merchant_id):
        raise InvalidChange("this invoice number was taken for another order")
    vat = vat_breakdown(order.lines, order.fulfilment.delivery_fee_cents, standard_vat_percent)
    issued = InvoiceIssued(
        order_id=order.order_id,
        merchant_id=order.merchant_id,
        invoice_number=taken.invoice_number,
        sequence=taken.sequence,
        issued_on=taken.taken_on,
        net_cents=sum(amount.net_cents for amount in vat),
        vat=vat,
        gross_cents=order.total_cents,
    )
    document = draw_up(
        order,
        issued,
        seller=seller,
        supplied_on=supplied_on,
        delivery_fee_vat_percent=standard_vat_percent,
        bank=bank,
        buyer=buyer,
    )
    return [
        issued,
        InvoiceParticularsRecorded(order_id=order.order_id, merchant_id=order.merchant_id, document=document),
    ]


def ensure_invoiceable(state: Order | None) -> Order:
    """An order paid on invoice gets one once it is confirmed; a rejected or cancelled one none."""
    order = ensure_exists(state)
    if order.payment.method != "invoice":
        raise InvalidChange("this order is not paid on invoice; it gets no invoice")
    if order.ended:
        raise InvalidChange("this order did not go ahead; it gets no invoice")
    if not order.confirmed:
        raise InvalidChange("this order is not confirmed yet; its invoice follows the confirmation")
    return order


@dataclass(frozen=True)
class InvoiceDecision:
    """What to append in one unit of work: to the merchant's sequence stream, and to the order's."""

    sequence_id: UUID
    order_id: UUID
    sequence_events: tuple[IntegrationEvent, ...]
    order_events: tuple[IntegrationEvent, ...]


def invoice_order(
    sequence: InvoiceSequence | None,
    order: Order | None,
    *,
    merchant: MerchantFacts | None,
    today: date,
    standard_vat_percent: int,
) -> InvoiceDecision:
    """The next number and the invoice together. An order invoiced before decides nothing;
    a number is taken only for an order that gets its invoice in the same decision, and only
    if ``merchant`` (the replica's, now) may issue it. It is issued in the unit of work that
    hands the order over or delivers it, so the day of supply is ``today``."""
    invoiced = ensure_invoiceable(order)
    sequence_id = invoice_sequence_id(invoiced.merchant_id)
    if invoiced.invoice is not None:
        return InvoiceDecision(sequence_id, invoiced.order_id, (), ())
    seller = invoice_seller(merchant)
    taken_events = take_number(
        sequence,
        merchant_id=invoiced.merchant_id,
        order_id=invoiced.order_id,
        today=today,
        taken_before=invoiced.invoice_documents,
    )
    if taken_events:
        (taken,) = taken_events
    elif sequence is not None:  # a number without its invoice cannot be committed; read defensively
        taken = sequence.numbers[invoiced.order_id]
    else:
        raise NotFound("no invoice sequence")
    assert isinstance(taken, InvoiceNumberTaken)
    issued = issue(
        invoiced,
        taken=taken,
        seller=seller,
        standard_vat_percent=standard_vat_percent,
        supplied_on=today,
        bank=invoice_bank(merchant),
    )
    return InvoiceDecision(sequence_id, invoiced.order_id, tuple(taken_events), tuple(issued))
