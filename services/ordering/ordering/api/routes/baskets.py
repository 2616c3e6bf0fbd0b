# SPDX-License-Identifier: AGPL-3.0-or-later
"""Baskets and checkout: one basket from several merchants of the town, one order per merchant.

A guest needs no account: opening a basket answers its access token (``Basket-Token``), and
checkout answers the token of the orders' link (``Order-Token``), also e-mailed. A
signed-in customer sends their customer token instead. Prices come from ordering's replica
of the catalog; one changed since it was put in is shown (409 with the changes), never charged.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from downtown_events.runtime.http.openapi import also_anonymous, also_answers
from downtown_events.runtime.request_leases import one_at_a_time
from ordering.api.deps import AppHandlers, BasketToken, Client, Container, IdempotencyKey, MaybeCaller
from ordering.api.limits import check_guest_checkout
from ordering.api.schemas import BasketOut, CheckoutIn, CheckoutOut, LineIn, OpenedBasketOut, QuantityIn
from ordering.app.shopping import BasketKey

router = APIRouter(tags=["baskets"])
BASKET = also_anonymous(also_answers(401, 404))
CHANGES = also_anonymous(also_answers(401, 404, 409, 422))


@router.post(
    "/baskets", status_code=status.HTTP_201_CREATED, response_model=OpenedBasketOut, openapi_extra=also_anonymous()
)
async def open_basket(handlers: AppHandlers, caller: MaybeCaller) -> OpenedBasketOut:
    """Open a basket: a guest's (its access token is in this answer only) or, with a customer
    token, the signed-in customer's."""
    opened = await handlers.shopping.open_basket(BasketKey.of(caller, None))
    return OpenedBasketOut(basket=BasketOut.of(opened.basket), access_token=opened.access_token)


@router.get("/baskets/{basket_id}", response_model=BasketOut, openapi_extra=BASKET)
async def show_basket(
    basket_id: UUID, handlers: AppHandlers, caller: MaybeCaller, token: BasketToken = None
) -> BasketOut:
    return BasketOut.of(await handlers.shopping.basket(basket_id, BasketKey.of(caller, token)))


@router.post("/baskets/{basket_id}/lines", response_model=BasketOut, openapi_extra=CHANGES)
async def put_line(
    basket_id: UUID, body: LineIn, handlers: AppHandlers, caller: MaybeCaller, token: BasketToken = None
) -> BasketOut:
    """Put an offer in at today's price (putting it in again confirms a changed price); a
    bookable service names its slot."""
    key = BasketKey.of(caller, token)
    return BasketOut.of(await handlers.shopping.put(basket_id, key, body.offer_id, body.quantity, body.slot))


@router.patch("/baskets/{basket_id}/lines/{line_id}", response_model=BasketOut, openapi_extra=CHANGES)
async def change_quantity(
    basket_id: UUID,
    line_id: UUID,
    body: QuantityIn,
    handlers: AppHandlers,
    caller: MaybeCaller,
    token: BasketToken = None,
) -> BasketOut:
    key = BasketKey.of(caller, token)
    return BasketOut.of(await handlers.shopping.change_quantity(basket_id, key, line_id, body.quantity))


@router.delete("/baskets/{basket_id}/lines/{line_id}", response_model=BasketOut, openapi_extra=CHANGES)
async def remove_line(
    basket_id: UUID, line_id: UUID, handlers: AppHandlers, caller: MaybeCaller, token: BasketToken = None
) -> BasketOut:
    return BasketOut.of(await handlers.shopping.remove(basket_id, BasketKey.of(caller, token), line_id))


@router.post(
    "/baskets/{basket_id}/checkout",
    status_code=status.HTTP_201_CREATED,
    response_model=CheckoutOut,
    openapi_extra=also_anonymous(also_answers(401, 404, 409, 422, 429, 503)),
)
async def check_out(
    basket_id: UUID,
    body: CheckoutIn,
    container: Container,
    caller: MaybeCaller,
    response: Response,
    client: Client,
    token: BasketToken = None,
    idempotency_key: IdempotencyKey = None,
) -> CheckoutOut:
    """Order what is in the basket: one order per merchant, each with its fulfilment and
    payment, all or none. Repeating the request (same Idempotency-Key) answers the same
    orders (200), without the guest's order token. A guest's checkouts are limited per
    connection and per e-mail address (429)."""
    key = BasketKey.of(caller, token)
    choices = {merchant_id: choice.choice() for merchant_id, choice in body.merchants.items()}
    basket = await container.handlers.shopping.basket(basket_id, key)  # a stranger's guess takes no lease: 404
    if key.account_id is None and not basket.checked_out:  # a repeat of a done checkout holds nothing new
        await check_guest_checkout(container.throttle, container.settings, client, body.customer.email)
    async with one_at_a_time(container.pool, f"checkout:{basket_id}", idempotency_key):
        done = await container.handlers.shopping.check_out(
            basket_id, key, body.customer.details(), choices, idempotency_key, read=basket
        )
    if not done.created:
        response.status_code = status.HTTP_200_OK
    return CheckoutOut.of(done, done.guest_token)
