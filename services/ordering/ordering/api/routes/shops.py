# SPDX-License-Identifier: AGPL-3.0-or-later
"""What a shop of the town offers at checkout (anyone may ask: it is what the shop's page shows)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from downtown_events.runtime.http.openapi import also_anonymous, also_answers
from ordering.api.deps import AppHandlers
from ordering.api.schemas import CheckoutOptionsOut
from ordering.domain.checkout_options import checkout_options
from ordering.domain.errors import NotFound

router = APIRouter(tags=["shops"])


@router.get(
    "/shops/{merchant_id}/checkout-options",
    response_model=CheckoutOptionsOut,
    openapi_extra=also_anonymous(also_answers(404)),
)
async def shop_checkout_options(merchant_id: UUID, handlers: AppHandlers) -> CheckoutOptionsOut:
    """How the shop's orders can be fulfilled and paid, as checkout will accept them: payment on
    invoice only at a shop the association approved that has a tax number (else
    ``not_on_invoice`` says why). From ordering's replica of the catalog, which may lag it by
    a moment; checkout decides."""
    merchant = (await handlers.replica.merchants([merchant_id])).get(merchant_id)
    if merchant is None:
        raise NotFound("ordering knows no such shop in this town (yet)")
    return CheckoutOptionsOut.of(checkout_options(merchant))
