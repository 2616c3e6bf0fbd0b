# SPDX-License-Identifier: AGPL-3.0-or-later
"""Cancellation invoices (Stornorechnungen) and corrections: an issued invoice never changes.

To take an invoice back, the merchant issues a cancellation invoice: a document of its own,
with the next number of the merchant's one gapless sequence, that names the invoice it
cancels and states its amounts negated. A correction (another name or address for the buyer,
a shop's particulars put right) is a cancellation and a new invoice, the two numbers after
each other, decided and appended in one unit of work with the order's events, so a number
never exists without its document and none is skipped (§ 14 UStG; see
:mod:`ordering.domain.invoice` for why a rival decision cannot take the same number).

A cancellation alone leaves nothing owed on invoice; it is refused once payments were
recorded for the order (the money would have to go back first: a correction keeps them).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import InvoiceCancelled, InvoiceIssued
from ordering.domain.errors import Contradiction, InvalidChange, checked
from ordering.domain.facts import MerchantFacts
from ordering.domain.invoice import (
    InvoiceDecision,
    InvoiceSequence,
    evolve,
    invoice_sequence_id,
    issue,
    take_number,
)
from ordering.domain.invoice_issuer import invoice_bank, invoice_seller
from ordering.domain.order import Order, ensure_exists
from ordering.domain.order import evolve as evolve_order
from ordering.domain.private_events import (
    InvoiceDocument,
    InvoiceNumberTaken,
    InvoiceParticularsRecorded,
    InvoiceParty,
)


def _ensure_cancellable(state: Order | None, original: InvoiceDocument | None) -> tuple[Order, InvoiceIssued]:
    order = ensure_exists(state)
    invoice = order.invoice
    if invoice is None:
        raise InvalidChange("this order has no invoice to cancel")
    if order.invoice_cancelled:
        raise Contradiction(f"invoice {invoice.invoice_number} was cancelled already")
    if original is not None and original.number != invoice.invoice_number:
        raise InvalidChange("the invoice to cancel is not the order's current one")
    return order, invoice


def cancellation_document(original: InvoiceDocument, taken: InvoiceNumberTaken) -> InvoiceDocument:
    """The cancellation invoice of ``original``: the same parties, lines and amounts (which
    it prints negated), its own number and date, naming the invoice it cancels; nothing is
    asked to be paid on it."""
    return original.model_copy(
        update={
            "number": taken.invoice_number,
            "issued_on": taken.taken_on,
            "kind": "cancellation",
            "cancels_number": original.number,
            "cancels_issued_on": original.issued_on,
            "due_cents": 0,
            "bank": None,
            "payment_reference": "",
        }
    )


def _cancelled(
    order: Order,
    invoice: InvoiceIssued,
    taken: InvoiceNumberTaken,
    corrected: bool,
    reason: str,
    request_id: UUID | None,
) -> InvoiceCancelled:
    return checked(
        InvoiceCancelled,
        order_id=order.order_id,
        merchant_id=order.merchant_id,
        invoice_number=taken.invoice_number,
        sequence=taken.sequence,
        issued_on=taken.taken_on,
        cancels_invoice_number=invoice.invoice_number,
        net_cents=invoice.net_cents,
        vat=list(invoice.vat),
        gross_cents=invoice.gross_cents,
        corrected=corrected,
        reason=reason[:500],
        request_id=request_id,
    )


def _take(
    sequence: InvoiceSequence | None, order: Order, today: date, document: str, before: int
) -> InvoiceNumberTaken:
    taken = take_number(
        sequence,
        merchant_id=order.merchant_id,
        order_id=order.order_id,
        today=today,
        document="cancellation" if document == "cancellation" else "invoice",
        taken_before=before,
    )
    if not taken:  # a number without its document cannot be committed (one unit of work)
        raise InvalidChange("this order's invoice numbers are ahead of its documents; ask the operator")
    (number,) = taken
    assert isinstance(number, InvoiceNumberTaken)
    return number


def cancel_invoice(
    sequence: InvoiceSequence | None,
    state: Order | None,
    *,
    original: InvoiceDocument,
    today: date,
    reason: str = "",
    request_id: UUID | None = None,
) -> InvoiceDecision:
    """The cancellation invoice of the order's current invoice ``original``, under the
    merchant's next number; the order then owes nothing on invoice. The request
    ``request_id`` made before decides nothing (a retry)."""
    if _done(state, request_id):
        return _nothing(state)
    order, invoice = _ensure_cancellable(state, original)
    if order.received_cents:
        raise InvalidChange(
            f"payments were recorded for invoice {invoice.invoice_number}; correct the invoice instead, "
            "or pay the money back before cancelling it"
        )
    taken = _take(sequence, order, today, "cancellation", order.invoice_documents)
    document = cancellation_document(original, taken)
    events: list[IntegrationEvent] = [
        _cancelled(order, invoice, taken, False, reason, request_id),
        InvoiceParticularsRecorded(order_id=order.order_id, merchant_id=order.merchant_id, document=document),
    ]
    return InvoiceDecision(invoice_sequence_id(order.merchant_id), order.order_id, (taken,), tuple(events))


def correct_invoice(
    sequence: InvoiceSequence | None,
    state: Order | None,
    *,
    original: InvoiceDocument,
    merchant: MerchantFacts | None,
    today: date,
    standard_vat_percent: int,
    buyer: InvoiceParty | None = None,
    reason: str = "",
    request_id: UUID | None = None,
) -> InvoiceDecision:
    """The order's current invoice cancelled and issued anew, with the two next numbers: the
    new one names ``buyer`` (else whom the cancelled one named) and the merchant as its
    profile is now (which must still allow it to issue invoices); the lines, amounts and
    payments stay the order's. The request ``request_id`` made before decides nothing."""
    if _done(state, request_id):
        return _nothing(state)
    order, invoice = _ensure_cancellable(state, original)
    seller = invoice_seller(merchant)
    cancelling = _take(sequence, order, today, "cancellation", order.invoice_documents)
    cancelled = _cancelled(order, invoice, cancelling, True, reason, request_id)
    cancellation = InvoiceParticularsRecorded(
        order_id=order.order_id, merchant_id=order.merchant_id, document=cancellation_document(original, cancelling)
    )
    renewing = _take(evolve(sequence, cancelling), order, today, "invoice", order.invoice_documents + 1)
    after = evolve_order(evolve_order(order, cancelled), cancellation)
    reissued = issue(
        after,
        taken=renewing,
        seller=seller,
        standard_vat_percent=_fee_rate(original, standard_vat_percent),
        supplied_on=original.supplied_on or original.issued_on,
        bank=invoice_bank(merchant),
        buyer=buyer or original.buyer,
    )
    return InvoiceDecision(
        invoice_sequence_id(order.merchant_id),
        order.order_id,
        (cancelling, renewing),
        (cancelled, cancellation, *reissued),
    )


def _done(state: Order | None, request_id: UUID | None) -> bool:
    return request_id is not None and state is not None and request_id in state.invoice_requests


def _nothing(state: Order | None) -> InvoiceDecision:
    order = ensure_exists(state)
    return InvoiceDecision(invoice_sequence_id(order.merchant_id), order.order_id, (), ())


def _fee_rate(original: InvoiceDocument, standard_vat_percent: int) -> int:
    """The delivery fee keeps the rate the cancelled invoice charged it at."""
    return original.delivery_fee_vat_percent if original.delivery_fee_vat_percent is not None else standard_vat_percent
