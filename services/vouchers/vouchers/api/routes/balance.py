# SPDX-License-Identifier: AGPL-3.0-or-later
"""Balance look-up for whoever holds a code: throttled, and telling a guesser nothing.

"No such code" and "wrong check symbol" get the same answer, after the same work (see
``RedemptionHandlers.look_up``), so neither the answer nor its timing says which.
Tries are counted per client and per code, across every API replica (with those of
``/authorizations``, which finds a voucher by code the same way).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from downtown_events.runtime.http.openapi import also_answers
from vouchers.api.deps import Container, count_code_try
from vouchers.api.schemas import BalanceOut, CodeIn

router = APIRouter(tags=["balance"])


@router.post("/balance-lookups", response_model=BalanceOut, openapi_extra=also_answers(404, 429))
async def look_up_balance(body: CodeIn, request: Request, container: Container) -> BalanceOut:
    """What a voucher is still worth and until when; send the code in the body (never in a URL)."""
    await count_code_try(container, request, body.code)
    voucher = await container.handlers.redemptions.look_up(body.code)
    return BalanceOut.of(voucher, container.handlers.context.today())
