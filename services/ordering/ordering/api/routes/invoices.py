# SPDX-License-Identifier: AGPL-3.0-or-later
"""What is owed and the documents for it: payments the merchant records, its invoices (open,
paid, all) and their PDFs, cancellation invoices and corrections, and a receipt for an order
paid on the spot.

Who may: payments, cancellations, corrections and the invoice list are the order's merchant's
(merchant token; the association may act for it); a document's PDF and a receipt are also
the customer's (customer token, or a guest's ``Order-Token``). Documents print in the
customer's language, in the town's words (``DOWNTOWN_TEXTS_DIR``), as their mails carry them.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Response, status

from downtown_events.runtime.http.headers import RequiredIdempotencyKey
from downtown_events.runtime.http.openapi import also_anonymous, also_answers
from ordering.adapters.notifier import document_texts, order_invoice_pdf, order_receipt_pdf
from ordering.api.deps import AppHandlers, Caller, Container, MaybeCaller, OrderToken, ReadDb
from ordering.api.invoice_schemas import CorrectionIn, InvoiceStatus, InvoiceSummaryOut, PaymentIn
from ordering.api.schemas import OrderOut, ReasonIn
from ordering.domain.errors import NotFound
from ordering.projections.invoices import invoice_list, invoice_order

router = APIRouter(tags=["invoices"])
STEP = also_answers(401, 403, 404, 409, 422)
InvoiceNumber = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]
PDF: dict[int | str, dict[str, Any]] = {"200": {"content": {"application/pdf": {}}, "description": "the document"}}


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f"inline; filename={filename}"}
    )


@router.post(
    "/orders/{order_id}/payments",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderOut,
    openapi_extra=STEP,
)
async def record_payment(
    order_id: UUID,
    body: PaymentIn,
    caller: Caller,
    handlers: AppHandlers,
    response: Response,
    idempotency_key: RequiredIdempotencyKey,
) -> OrderOut:
    """The merchant received money for its order (a transfer for an invoice, a part in
    advance, cash or card): payments add up to what is owed and never beyond it; the same
    Idempotency-Key reports the same payment (200, recorded once)."""
    before = await handlers.orders.order(order_id, caller)
    order = await handlers.invoicing.record_payment(
        caller,
        order_id,
        received_by=body.received_by,
        amount_cents=body.cents,
        paid_on=body.paid_on,
        idempotency_key=idempotency_key,
    )
    if len(order.payments) == len(before.payments):
        response.status_code = status.HTTP_200_OK
    return OrderOut.of(order)


@router.get("/merchants/me/invoices", response_model=list[InvoiceSummaryOut], openapi_extra=also_answers(401, 403))
async def my_invoices(
    caller: Caller,
    db: ReadDb,
    status: InvoiceStatus = "open",
    limit: int = Query(default=100, ge=1, le=500),
) -> list[InvoiceSummaryOut]:
    """The merchant's invoices and cancellation invoices, newest number first: ``open`` (money
    still to come in), ``paid``, or ``all`` (cancelled ones and cancellations too)."""
    rows = await invoice_list(db, caller.merchant(), status=status, limit=limit)
    return [InvoiceSummaryOut.model_validate(row | {"total_cents": row["gross_cents"]}) for row in rows]


@router.get(
    "/merchants/me/invoices/{invoice_number}.pdf",
    response_class=Response,
    responses=PDF,
    openapi_extra=also_answers(401, 403, 404, 422),
)
async def my_invoice_pdf(invoice_number: InvoiceNumber, caller: Caller, db: ReadDb, container: Container) -> Response:
    """One of the merchant's invoices or cancellation invoices, as issued."""
    order_id = await invoice_order(db, caller.merchant(), invoice_number)
    if order_id is None:
        raise NotFound("no such invoice of this shop")
    zone, texts = ZoneInfo(container.settings.timezone), document_texts(container.settings)
    pdf = await order_invoice_pdf(db, order_id, zone, invoice_number, texts=texts)
    return _pdf(pdf, f"{invoice_number}.pdf")


@router.get(
    "/orders/{order_id}/invoices/{invoice_number}.pdf",
    response_class=Response,
    responses=PDF,
    openapi_extra=also_anonymous(also_answers(401, 404, 422)),
)
async def order_document_pdf(
    order_id: UUID,
    invoice_number: InvoiceNumber,
    container: Container,
    caller: MaybeCaller,
    db: ReadDb,
    token: OrderToken,
) -> Response:
    """An invoice or cancellation invoice of the order, by its number, for whoever may see the order."""
    await container.handlers.orders.order(order_id, caller, token)
    zone, texts = ZoneInfo(container.settings.timezone), document_texts(container.settings)
    pdf = await order_invoice_pdf(db, order_id, zone, invoice_number, texts=texts)
    return _pdf(pdf, f"{invoice_number}.pdf")


@router.post("/orders/{order_id}/invoice/cancel", response_model=OrderOut, openapi_extra=STEP)
async def cancel_invoice(
    order_id: UUID, body: ReasonIn, caller: Caller, handlers: AppHandlers, idempotency_key: RequiredIdempotencyKey
) -> OrderOut:
    """A cancellation invoice (Stornorechnung) for the order's invoice, with the shop's next
    number: the invoice stays as issued, and nothing is owed on it any more. Refused once
    payments were recorded (correct it instead), and for an invoice cancelled before."""
    return OrderOut.of(await handlers.invoicing.cancel_invoice(caller, order_id, body.reason, idempotency_key))


@router.post("/orders/{order_id}/invoice/correct", response_model=OrderOut, openapi_extra=STEP)
async def correct_invoice(
    order_id: UUID, body: CorrectionIn, caller: Caller, handlers: AppHandlers, idempotency_key: RequiredIdempotencyKey
) -> OrderOut:
    """A correction: the order's invoice cancelled and a new one issued, the shop's next two
    numbers, naming the buyer given (or the same) and the shop as its profile is now."""
    order = await handlers.invoicing.correct_invoice(caller, order_id, body.reason, body.buyer(), idempotency_key)
    return OrderOut.of(order)


@router.get(
    "/orders/{order_id}/receipt.pdf",
    response_class=Response,
    responses=PDF,
    openapi_extra=also_anonymous(also_answers(401, 404, 422)),
)
async def receipt_pdf(
    order_id: UUID, container: Container, caller: MaybeCaller, db: ReadDb, token: OrderToken
) -> Response:
    """The receipt (Quittung) of an order paid in full at the shop or the door, once it is."""
    await container.handlers.orders.order(order_id, caller, token)
    pdf = await order_receipt_pdf(
        db,
        order_id,
        timezone=ZoneInfo(container.settings.timezone),
        standard_vat_percent=container.handlers.context.town.standard_vat_percent,
        texts=document_texts(container.settings),
    )
    return _pdf(pdf, "receipt.pdf")
