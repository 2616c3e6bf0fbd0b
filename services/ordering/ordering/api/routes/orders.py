# SPDX-License-Identifier: AGPL-3.0-or-later
"""Orders after checkout: seeing them, the merchant's answers and steps, cancelling, invoices.

Who may: the customer (customer token, or a guest's ``Order-Token``), the order's merchant
(merchant token), the association (its token). Every step is decided on the order's
stream: a late or repeated request changes nothing and says why.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response, status

from downtown_events.runtime.http.openapi import also_anonymous, also_answers
from downtown_events.runtime.request_leases import one_at_a_time
from ordering.adapters.notifier import document_texts, order_invoice_pdf
from ordering.api.deps import AppHandlers, Caller, Container, IdempotencyKey, MaybeCaller, OrderToken, ReadDb
from ordering.api.schemas import AssistedOrderIn, CheckoutOut, OrderOut, OrderSummaryOut, PaidIn, ReasonIn
from ordering.domain.order import Order
from ordering.projections.delivery_jobs import expected_arrival
from ordering.projections.queries import order_list

router = APIRouter(tags=["orders"])
STEP = also_answers(401, 403, 404, 422)
PDF: dict[int | str, dict[str, Any]] = {"200": {"content": {"application/pdf": {}}, "description": "the invoice"}}
View = Literal["all", "new", "to_accept", "to_pack", "pickup_today", "open", "done", "unpaid"]


def merchants_view(order: Order) -> OrderOut:
    """A merchant's step answers the order's merchant (or the association, acting for it; the
    handlers refused anybody else), who sees who ordered and where it goes."""
    return OrderOut.of(order, customer=True)


@router.get("/orders", response_model=list[OrderSummaryOut], openapi_extra=also_answers(401))
async def list_orders(
    caller: Caller,
    db: ReadDb,
    container: Container,
    view: View = "all",
    merchant_id: UUID | None = Query(default=None, description="the association: one merchant's orders"),
    limit: int = Query(default=50, ge=1, le=200),
) -> list[OrderSummaryOut]:
    """A customer's order history, a merchant's inbox (``view``: new, to_accept, to_pack,
    pickup_today, open, done; unpaid: gone ahead with something left to collect), or, for the
    association, the town's orders. Newest first. The merchant's and the association's rows
    name the customer and their phone; a customer's do not."""
    rows = await order_list(
        db, caller, view=view, merchant_id=merchant_id, limit=limit, timezone=container.settings.timezone
    )
    return [OrderSummaryOut.of(row) for row in rows]


@router.get("/orders/{order_id}", response_model=OrderOut, openapi_extra=also_anonymous(also_answers(401, 404)))
async def show_order(
    order_id: UUID, handlers: AppHandlers, caller: MaybeCaller, token: OrderToken, db: ReadDb
) -> OrderOut:
    """The order; a courier order on its way says when the courier is expected (dispatch's plan)."""
    order = await handlers.orders.order(order_id, caller, token)
    job = order.delivery_job_id
    arrival = await expected_arrival(db, job) if job is not None and not order.settled else None
    return OrderOut.of(order, customer=handlers.orders.shows_customer(order, caller), arrival=arrival)


@router.get(
    "/orders/{order_id}/invoice.pdf",
    response_class=Response,
    responses=PDF,
    openapi_extra=also_anonymous(also_answers(401, 404, 422)),
)
async def invoice_pdf(
    order_id: UUID, container: Container, caller: MaybeCaller, db: ReadDb, token: OrderToken
) -> Response:
    """The invoice of an order paid on invoice, once it is fulfilled (the one its e-mail carried)."""
    await container.handlers.orders.order(order_id, caller, token)
    pdf = await order_invoice_pdf(
        db, order_id, ZoneInfo(container.settings.timezone), texts=document_texts(container.settings)
    )
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": "inline; filename=invoice.pdf"})


@router.post("/orders/{order_id}/cancel", response_model=OrderOut, openapi_extra=also_anonymous(STEP))
async def cancel(
    order_id: UUID, body: ReasonIn, handlers: AppHandlers, caller: MaybeCaller, token: OrderToken
) -> OrderOut:
    """The customer cancels within the grace period and until the merchant has packed; the
    merchant or the association may cancel until it is handed over. Compensation follows."""
    order = await handlers.orders.cancel(order_id, caller, token, body.reason)
    return OrderOut.of(order, customer=handlers.orders.shows_customer(order, caller))


@router.post("/orders/{order_id}/accept", response_model=OrderOut, openapi_extra=STEP)
async def accept(order_id: UUID, caller: Caller, handlers: AppHandlers) -> OrderOut:
    """The merchant will fulfil it; confirmed once the stock and any voucher part are secured."""
    return merchants_view(await handlers.orders.accept(caller, order_id))


@router.post("/orders/{order_id}/decline", response_model=OrderOut, openapi_extra=STEP)
async def decline(order_id: UUID, body: ReasonIn, caller: Caller, handlers: AppHandlers) -> OrderOut:
    return merchants_view(await handlers.orders.decline(caller, order_id, body.reason))


@router.post("/orders/{order_id}/packed", response_model=OrderOut, openapi_extra=STEP)
async def packed(order_id: UUID, caller: Caller, handlers: AppHandlers) -> OrderOut:
    return merchants_view(await handlers.orders.mark_packed(caller, order_id))


@router.post("/orders/{order_id}/ready", response_model=OrderOut, openapi_extra=STEP)
async def ready(order_id: UUID, caller: Caller, handlers: AppHandlers) -> OrderOut:
    """Ready for pickup in front of the shop (the customer is told)."""
    return merchants_view(await handlers.orders.mark_ready(caller, order_id))


@router.post("/orders/{order_id}/handed-over", response_model=OrderOut, openapi_extra=STEP)
async def handed_over(order_id: UUID, body: PaidIn, caller: Caller, handlers: AppHandlers) -> OrderOut:
    """Collected and paid at the shop; an order on invoice gets its invoice now."""
    return merchants_view(await handlers.orders.hand_over(caller, order_id, body.paid_cents))


@router.post("/orders/{order_id}/out-for-delivery", response_model=OrderOut, openapi_extra=STEP)
async def out_for_delivery(order_id: UUID, caller: Caller, handlers: AppHandlers) -> OrderOut:
    return merchants_view(await handlers.orders.send_out(caller, order_id))


@router.post("/orders/{order_id}/delivered", response_model=OrderOut, openapi_extra=STEP)
async def delivered(order_id: UUID, body: PaidIn, caller: Caller, handlers: AppHandlers) -> OrderOut:
    """Delivered and paid at the door; an order on invoice gets its invoice now."""
    return merchants_view(await handlers.orders.mark_delivered(caller, order_id, body.paid_cents))


@router.post("/orders/{order_id}/delivery-failed", response_model=OrderOut, openapi_extra=STEP)
async def delivery_failed(order_id: UUID, body: ReasonIn, caller: Caller, handlers: AppHandlers) -> OrderOut:
    return merchants_view(await handlers.orders.mark_delivery_failed(caller, order_id, body.reason))


@router.post(
    "/assisted-orders",
    status_code=status.HTTP_201_CREATED,
    response_model=CheckoutOut,
    openapi_extra=also_answers(401, 403, 409, 422, 503),
)
async def place_assisted(
    body: AssistedOrderIn,
    caller: Caller,
    container: Container,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CheckoutOut:
    """A merchant (for its own shop) or the association enters an order for a customer who
    phoned; the customer gets the order link by e-mail, if they gave an address."""
    async with one_at_a_time(container.pool, f"assisted:{caller.subject or 'association'}", idempotency_key):
        done = await container.handlers.shopping.place_assisted(
            caller, body.merchant_id, body.lines_(), body.customer.details(), body.choice.choice(), idempotency_key
        )
    if not done.created:
        response.status_code = status.HTTP_200_OK
    return CheckoutOut.of(done, None)  # the link's token is the customer's, mailed to them
